//! Moving recurrent layers between seqzoo and PyTorch: detect the architecture of a state_dict file
//! from its names and shapes alone, load it strictly, and save files PyTorch's `load_state_dict`
//! accepts.

use super::config::{RecurrentConfig, RecurrentKind};
use super::layer::RecurrentLayer;
use autograd::params::{config_metadata, read_tensors, CONFIG_KEY};
use autograd::{Element, Error, ParamStore, Result, Rng, SafetensorsFile};
use std::collections::BTreeMap;
use std::path::Path;

/// The metadata key PyTorch users set for a relu RNN (`{"nonlinearity": "relu"}`).
pub const NONLINEARITY_KEY: &str = "nonlinearity";

/// The layer and direction of a parsed state_dict key `{weight,bias}_{ih,hh}_l{layer}[_reverse]`.
struct Key {
    layer: usize,
    reverse: bool,
}

fn parse_key(name: &str) -> Option<Key> {
    let (stem, reverse) = match name.strip_suffix("_reverse") {
        Some(s) => (s, true),
        None => (name, false),
    };
    ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
        .into_iter()
        .find_map(|what| {
            let layer = stem.strip_prefix(what)?.strip_prefix("_l")?.parse().ok()?;
            Some(Key { layer, reverse })
        })
}

/// Works out kind, sizes, layers and direction of the recurrent layer a file holds.
///
/// The kind comes from `weight_hh_l0` (rows ÷ columns = 1 RNN, 3 GRU, 4 LSTM), a relu RNN from the
/// `nonlinearity` metadata; a `config` written by seqzoo is used when present and must agree.
pub fn detect(file: &SafetensorsFile) -> Result<RecurrentConfig> {
    let path = file.path();
    let fail = |what: String| Error::format(path, what);
    let mut layers = 0;
    let mut bidirectional = false;
    for e in file.entries() {
        let key = parse_key(&e.name).ok_or_else(|| {
            fail(format!(
                "tensor `{}` is not a parameter of nn.RNN, nn.LSTM or nn.GRU (expected names like weight_ih_l0)",
                e.name
            ))
        })?;
        layers = layers.max(key.layer + 1);
        bidirectional |= key.reverse;
    }
    let shape_of = |name: &str| {
        file.entry(name).map(|e| e.shape.clone()).ok_or_else(|| {
            fail(format!(
                "no tensor `{name}`: not a recurrent layer's state_dict"
            ))
        })
    };
    let whh = shape_of("weight_hh_l0")?;
    let wih = shape_of("weight_ih_l0")?;
    if whh.len() != 2 || whh[1] == 0 || wih.len() != 2 {
        return Err(fail(format!(
            "weight_hh_l0 {whh:?} and weight_ih_l0 {wih:?} must be 2-d with a nonzero hidden size"
        )));
    }
    let hidden = whh[1];
    let relu = file.metadata().get(NONLINEARITY_KEY).map(String::as_str) == Some("relu");
    let kind = match (whh[0] / hidden, whh[0] % hidden) {
        (1, 0) if relu => RecurrentKind::RnnRelu,
        (1, 0) => RecurrentKind::Rnn,
        (3, 0) => RecurrentKind::Gru,
        (4, 0) => RecurrentKind::Lstm,
        _ => {
            return Err(fail(format!(
                "weight_hh_l0 of shape {whh:?}: rows must be 1, 3 or 4 times the {hidden} columns (RNN, GRU, LSTM)"
            )))
        }
    };
    let mut config = RecurrentConfig::new(kind, wih[1], hidden)
        .layers(layers)
        .bidirectional(bidirectional);
    if let Some(saved) = file.config::<RecurrentConfig>()? {
        let same = saved.kind == config.kind
            && saved.input_size == config.input_size
            && saved.hidden_size == config.hidden_size
            && saved.num_layers == config.num_layers
            && saved.bidirectional == config.bidirectional;
        if !same {
            return Err(fail(format!(
                "the `{CONFIG_KEY}` metadata {saved:?} disagrees with the tensors ({config:?})"
            )));
        }
        config = saved;
    }
    config.validate().map_err(|e| fail(e.to_string()))?;
    Ok(config)
}

/// A layer and its parameters loaded from a safetensors file; every tensor is checked strictly.
pub fn load_file<E: Element>(file: &SafetensorsFile) -> Result<(RecurrentLayer, ParamStore<E>)> {
    let config = detect(file)?;
    let mut store = ParamStore::new();
    let layer = RecurrentLayer::new(&mut store.root(), config, &mut Rng::new(0))?;
    store.load_from(file, true)?;
    Ok((layer, store))
}

/// Reads `path` and loads the recurrent layer it holds (see [`load_file`]).
pub fn load<E: Element>(path: impl AsRef<Path>) -> Result<(RecurrentLayer, ParamStore<E>)> {
    load_file(&read_tensors(path)?)
}

/// Saves a layer's parameters under their PyTorch names, with its config (and the relu
/// nonlinearity PyTorch users look for) in `__metadata__`, atomically.
pub fn save<E: Element>(
    layer: &RecurrentLayer,
    store: &ParamStore<E>,
    path: impl AsRef<Path>,
) -> Result<()> {
    let mut metadata: BTreeMap<String, String> = config_metadata(layer.config())?;
    if layer.config().kind == RecurrentKind::RnnRelu {
        metadata.insert(NONLINEARITY_KEY.to_string(), "relu".to_string());
    }
    store.save(path, &metadata)
}
