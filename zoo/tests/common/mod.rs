//! Helpers shared by the recurrent-layer tests: every kind, seeded inputs, a layer on its own store.

use autograd::{ParamStore, Rng, Tensor};
use zoo::{RecurrentConfig, RecurrentKind, RecurrentLayer};

/// Every recurrent kind.
pub const KINDS: [RecurrentKind; 4] = [
    RecurrentKind::Rnn,
    RecurrentKind::RnnRelu,
    RecurrentKind::Lstm,
    RecurrentKind::Gru,
];

/// Values in [-1, 1) of `shape`, from `seed`.
pub fn uniform(shape: &[usize], seed: u64) -> Tensor<f64> {
    let mut rng = Rng::new(seed);
    Tensor::from_fn(shape, |_| rng.uniform_in(-1.0, 1.0))
}

/// A layer of `config` on a store of its own, initialized from seed 3.
pub fn build(config: RecurrentConfig) -> (RecurrentLayer, ParamStore<f64>) {
    let mut store = ParamStore::new();
    let layer =
        RecurrentLayer::new(&mut store.root(), config, &mut Rng::new(3)).expect("valid config");
    (layer, store)
}
