//! SIGINT and SIGTERM during `train`: the run stops after the current step, writes its checkpoint
//! and exits with 128 + the signal's number (130, 143); a second signal ends it at once.

use std::os::raw::c_int;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;
use signal_hook::low_level::signal_name;
use zoo::train::Observer;

use super::Failure;

/// An [`Observer`] asking the run to stop once SIGINT or SIGTERM has arrived.
pub struct Interrupt {
    /// The number of the signal that arrived; 0 before any.
    signal: Arc<AtomicUsize>,
}

impl Interrupt {
    /// Catches SIGINT and SIGTERM from now on; while one is being handled, a second ends the
    /// process as the signal would have.
    pub fn catch() -> Result<Self, Failure> {
        let signal = Arc::new(AtomicUsize::new(0));
        let armed = Arc::new(AtomicBool::new(false));
        for sig in [SIGINT, SIGTERM] {
            // The order matters: the second signal finds `armed` set by the first.
            flag::register_conditional_default(sig, Arc::clone(&armed))
                .and_then(|_| flag::register(sig, Arc::clone(&armed)))
                .and_then(|_| flag::register_usize(sig, Arc::clone(&signal), sig as usize))
                .map_err(|e| Failure::runtime(format!("cannot catch signal {sig}: {e}")))?;
        }
        Ok(Interrupt { signal })
    }

    /// The signal that arrived, if any.
    fn caught(&self) -> Option<c_int> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            sig => c_int::try_from(sig).ok(),
        }
    }

    /// The failure a run stopped by the signal after `step` ends with: what was saved where, and
    /// exit code 128 + the signal's number.
    pub fn failure(&self, step: usize, saved: Option<&Path>) -> Failure {
        let sig = self.caught().unwrap_or(SIGINT);
        let name = signal_name(sig).unwrap_or("a signal");
        let what = match saved {
            Some(path) => format!(
                "checkpoint saved to {0} (continue with --resume {0})",
                path.display()
            ),
            None => "nothing saved (no --save)".to_string(),
        };
        Failure {
            message: format!("interrupted by {name} after step {step}: {what}"),
            code: u8::try_from(128 + sig).unwrap_or(1),
        }
    }
}

impl Observer for Interrupt {
    fn stop_requested(&mut self) -> bool {
        self.caught().is_some()
    }
}
