//! A counting global allocator: per-thread live bytes, the peak of the input a thread is running,
//! and a cap on what one input may hold. An allocator cannot unwind, so an input over the cap is
//! reported on one line naming target, seed and index and the process aborts — unless the cap is
//! set to record (for testing the harness), in which case [`end_input`] reports it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The default cap on the bytes one input may hold live: 256 MiB.
pub const DEFAULT_CAP: usize = 256 << 20;

/// The most bytes one input may hold live (or ask for at once).
static CAP: AtomicUsize = AtomicUsize::new(DEFAULT_CAP);
/// Whether an input over the cap aborts the process (otherwise it is recorded).
static ABORT_OVER_CAP: AtomicBool = AtomicBool::new(true);

/// The system allocator, counting what each thread holds; install it with `#[global_allocator]`.
pub struct CountingAlloc;

/// What names the input a thread is running, for the line printed before an abort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputLabel {
    /// The target's name.
    pub target: &'static str,
    /// The run's seed.
    pub seed: u64,
    /// The input's index.
    pub index: u64,
}

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static BASE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static OVER: Cell<usize> = const { Cell::new(0) };
    static LABEL: Cell<Option<InputLabel>> = const { Cell::new(None) };
}

/// What one input used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InputUsage {
    /// The most bytes it held live at once (allocated during the input and not yet freed).
    pub peak_bytes: usize,
    /// When it went over the cap (record mode only): the most bytes it held or asked for.
    pub over_cap: Option<usize>,
}

/// Sets the cap on the bytes one input may hold live or ask for at once.
pub fn set_cap(bytes: usize) {
    CAP.store(bytes, Ordering::Relaxed);
}

/// The cap on the bytes one input may hold live or ask for at once.
pub fn cap() -> usize {
    CAP.load(Ordering::Relaxed)
}

/// Whether an input over the cap aborts the process (the default) or is recorded.
pub fn set_abort_over_cap(abort: bool) {
    ABORT_OVER_CAP.store(abort, Ordering::Relaxed);
}

/// Whether an input holding `live` bytes that asks for `request` more is over `cap`.
pub fn exceeds_cap(live: usize, request: usize, cap: usize) -> bool {
    request > cap || live.saturating_add(request) > cap
}

/// Bytes the calling thread holds live (allocated minus freed on this thread).
pub fn thread_live_bytes() -> isize {
    LIVE.with(Cell::get)
}

/// Whether [`CountingAlloc`] is the global allocator (the counts move when something is allocated).
pub fn installed() -> bool {
    let before = thread_live_bytes();
    let probe = std::hint::black_box(vec![0u8; 4096]);
    let moved = thread_live_bytes() != before;
    drop(probe);
    moved
}

/// Starts accounting for one input on this thread: its peak and the cap count from here.
pub fn begin_input(label: InputLabel) {
    let live = thread_live_bytes();
    BASE.with(|b| b.set(live));
    PEAK.with(|p| p.set(live));
    OVER.with(|o| o.set(0));
    LABEL.with(|l| l.set(Some(label)));
    ARMED.with(|a| a.set(true));
}

/// Ends the input [`begin_input`] started and reports what it used.
pub fn end_input() -> InputUsage {
    ARMED.with(|a| a.set(false));
    LABEL.with(|l| l.set(None));
    let base = BASE.with(Cell::get);
    let peak = PEAK.with(Cell::get);
    let over = OVER.with(Cell::get);
    InputUsage {
        peak_bytes: usize::try_from(peak - base).unwrap_or(0),
        over_cap: (over > 0).then_some(over),
    }
}

/// Counts `grow` more bytes live on this thread (`request` asked for at once) and checks the cap.
fn grow(grow: usize, request: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().wrapping_add(grow as isize);
        live.set(now);
        if !ARMED.with(Cell::get) {
            return;
        }
        let base = BASE.with(Cell::get);
        PEAK.with(|p| p.set(p.get().max(now)));
        let held = usize::try_from(now - base).unwrap_or(0);
        let cap = CAP.load(Ordering::Relaxed);
        if exceeds_cap(held.saturating_sub(grow), request, cap) {
            over_cap(held.max(request), cap);
        }
    });
}

/// Counts `shrink` bytes freed on this thread.
fn shrink(shrink: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().wrapping_sub(shrink as isize)));
}

/// An input went over the cap: record it, or print one line naming it and abort.
fn over_cap(bytes: usize, cap: usize) {
    if !ABORT_OVER_CAP.load(Ordering::Relaxed) {
        OVER.with(|o| o.set(o.get().max(bytes)));
        return;
    }
    ARMED.with(|a| a.set(false));
    let mut line = StackLine::default();
    let _ = match LABEL.with(Cell::get) {
        Some(l) => writeln!(
            line,
            "ALLOCATION OVER CAP target={} seed={} index={}: {bytes} bytes, cap {cap} bytes; aborting",
            l.target, l.seed, l.index
        ),
        None => writeln!(line, "ALLOCATION OVER CAP: {bytes} bytes, cap {cap}; aborting"),
    };
    let _ = std::io::stderr().write_all(line.as_bytes());
    std::process::abort();
}

/// A fixed-size line formatted without allocating (the allocator cannot allocate to report).
struct StackLine {
    buf: [u8; 256],
    len: usize,
}

impl Default for StackLine {
    fn default() -> Self {
        StackLine {
            buf: [0; 256],
            len: 0,
        }
    }
}

impl StackLine {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl std::fmt::Write for StackLine {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

// SAFETY: every call is forwarded unchanged to `System`; the bookkeeping only touches
// thread-local cells with const initializers, which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size(), layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size(), layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            grow(new_size - layout.size(), new_size);
        } else {
            shrink(layout.size() - new_size);
        }
        System.realloc(ptr, layout, new_size)
    }
}
