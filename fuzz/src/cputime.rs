//! The CPU time a thread has used, read from Linux's `/proc` — so the watchdog can tell an input
//! that computes for too long from one that waits for a core on a busy machine.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Clock ticks per second of `/proc` times (`USER_HZ`, 100 on every Linux ABI).
const TICKS_PER_SECOND: u64 = 100;

/// One thread's CPU clock.
#[derive(Clone, Debug)]
pub struct ThreadCpu {
    stat: PathBuf,
}

impl ThreadCpu {
    /// The calling thread's clock (`None` where `/proc/thread-self` does not exist).
    pub fn current() -> Option<Self> {
        let link = std::fs::read_link("/proc/thread-self").ok()?;
        let cpu = ThreadCpu {
            stat: Path::new("/proc").join(link).join("stat"),
        };
        cpu.used().map(|_| cpu)
    }

    /// User plus system time the thread has used so far.
    pub fn used(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(&self.stat).ok()?;
        parse_stat_cpu(&stat)
    }
}

/// utime + stime (fields 14 and 15) of a `/proc/…/stat` line; the command name (field 2) may
/// hold spaces and parentheses, so fields are counted after its last `)`.
pub fn parse_stat_cpu(stat: &str) -> Option<Duration> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks = utime.checked_add(stime)?;
    Some(Duration::from_millis(
        ticks.checked_mul(1000 / TICKS_PER_SECOND)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utime_and_stime_are_read_after_the_command_name() {
        let line = "4242 (a (b) c) R 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 1 0";
        assert_eq!(parse_stat_cpu(line), Some(Duration::from_millis(1750)));
        assert_eq!(parse_stat_cpu("garbage"), None);
    }
}
