//! ParamPath names, safetensors round trips, strict/lenient loading, atomic writes and corrupted files.

use autograd::{ParamStore, Tensor};

// ---------------------------------------------------------------- paths

#[test]
fn nested_paths_build_dotted_names() {
    let mut store = ParamStore::<f32>::new();
    let mut enc = store.path("encoder");
    assert_eq!(enc.prefix(), "encoder");
    {
        let mut rnn = enc.path("rnn");
        assert_eq!(rnn.name("weight_ih_l0"), "encoder.rnn.weight_ih_l0");
        let id = rnn.add("weight_ih_l0", Tensor::zeros(&[8, 3]));
        assert_eq!(rnn.store().get(id).name, "encoder.rnn.weight_ih_l0");
        rnn.path(0).add("bias", Tensor::zeros(&[2]));
    }
    enc.add("proj", Tensor::zeros(&[1]));
    let layers = enc.into_path("layers");
    assert_eq!(layers.name(1), "encoder.layers.1");
    store.root().add("top", Tensor::zeros(&[1]));
    store.path("a.b").add("c", Tensor::zeros(&[1]));
    assert_eq!(store.root().name("x"), "x");
    let names: Vec<&str> = store.names().collect();
    assert_eq!(
        names,
        [
            "a.b.c",
            "encoder.proj",
            "encoder.rnn.0.bias",
            "encoder.rnn.weight_ih_l0",
            "top"
        ]
    );
    assert!(store.id("encoder.rnn.weight_ih_l0").is_some());
}

#[test]
#[should_panic(expected = "already registered")]
fn path_add_panics_on_duplicate_name() {
    let mut store = ParamStore::<f32>::new();
    store.path("a").add("w", Tensor::zeros(&[1]));
    store.root().path("a").add("w", Tensor::zeros(&[1]));
}

#[test]
#[should_panic(expected = "not a valid dotted name")]
fn path_rejects_empty_segments() {
    let mut store = ParamStore::<f32>::new();
    store.path("a").path("").add("w", Tensor::zeros(&[1]));
}
