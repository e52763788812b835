//! Seq2seq decoding holds one step in memory at a time: the peak of live heap bytes does not grow
//! with the number of decoded steps (a test binary of its own, for its counting allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use autograd::{ParamStore, Rng};
use zoo::{AttentionScore, RecurrentKind, Seq2Seq, Seq2SeqConfig};

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The peak of live bytes above the start while `run` runs.
fn peak_of(run: impl FnOnce()) -> usize {
    let start = LIVE.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    run();
    PEAK.load(Ordering::Relaxed) - start
}

#[test]
fn greedy_and_beam_decoding_run_in_constant_memory_per_step() {
    let config = Seq2SeqConfig {
        src_vocab: 6,
        tgt_vocab: 5,
        embedding: 8,
        kind: RecurrentKind::Lstm,
        hidden: 16,
        layers: 2,
        bidirectional_encoder: true,
        attention: Some(AttentionScore::General),
        dropout: 0.0,
        layer_norm: false,
    };
    let mut store = ParamStore::<f64>::new();
    let model = Seq2Seq::new(&mut store.root(), config, &mut Rng::new(0)).expect("valid");
    let (src, lengths) = ([1, 2, 3, 4, 5, 1, 2, 3], [4, 2]);
    // No token is EOS, so every call decodes exactly `steps` steps.
    let never = usize::MAX;
    let greedy = |steps| peak_of(|| drop(model.greedy(&store, &src, &lengths, 0, never, steps)));
    let beam =
        |steps| peak_of(|| drop(model.beam_search(&store, &src, &lengths, 0, never, 3, steps)));
    for (name, beams, decode) in [
        ("greedy", 1, &greedy as &dyn Fn(usize) -> usize),
        ("beam", 3, &beam),
    ] {
        let (short, long) = (decode(50), decode(800));
        // The results grow by 8 bytes per step and beam, held in a few copies while the beams are
        // reordered; a tape holding every step grows by kilobytes.
        assert!(
            long < short + 800 * 32 * beams,
            "{name}: peak {short} bytes for 50 steps, {long} for 800"
        );
    }
}
