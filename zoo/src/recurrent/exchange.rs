//! Moving recurrent layers between seqzoo and PyTorch: detect the architecture of a state_dict file
//! from its names and shapes alone, load it strictly, and save files PyTorch's `load_state_dict`
//! accepts.

use super::config::{RecurrentConfig, RecurrentKind};
use super::layer::{param_name, RecurrentLayer};
use autograd::params::{config_metadata, read_tensors, CONFIG_KEY};
use autograd::{Element, Error, ParamStore, Result, Rng, SafetensorsFile};
use std::collections::BTreeMap;
use std::path::Path;

/// The metadata key PyTorch users set for a relu RNN (`{"nonlinearity": "relu"}`).
pub const NONLINEARITY_KEY: &str = "nonlinearity";

/// The layer and direction of a parsed state_dict key `{weight,bias}_{ih,hh}_l{layer}[_reverse]`
/// (or an LSTMP's `weight_hr_l{layer}[_reverse]`).
struct Key {
    layer: usize,
    reverse: bool,
}

fn parse_key(name: &str) -> Option<Key> {
    let (stem, reverse) = match name.strip_suffix("_reverse") {
        Some(s) => (s, true),
        None => (name, false),
    };
    PARAMS.into_iter().chain([PROJECTION]).find_map(|what| {
        let layer = stem.strip_prefix(what)?.strip_prefix("_l")?.parse().ok()?;
        Some(Key { layer, reverse })
    })
}

/// The most layers a state_dict file may hold (the recurrent layer's own bound).
pub const MAX_FILE_LAYERS: usize = super::config::MAX_LAYERS;

/// The name stems a layer's tensors may have: PyTorch's four, then a layer-normalized cell's.
const PARAMS: [&str; 8] = [
    "weight_ih",
    "weight_hh",
    "bias_ih",
    "bias_hh",
    "ln_ih_weight",
    "ln_hh_weight",
    "ln_c_weight",
    "ln_c_bias",
];

/// The fifth tensor of every layer and direction of an LSTM with projections (`proj_size`).
const PROJECTION: &str = "weight_hr";

/// Works out kind, sizes, layers and direction of the recurrent layer a file holds.
///
/// The kind comes from `weight_hh_l0` (rows ÷ columns = 1 RNN, 3 GRU, 4 LSTM), a relu RNN from the
/// `nonlinearity` metadata (`tanh` or `relu`, RNNs only), layer-normalized cells from an
/// `ln_ih_weight_l0`; a `config` written by seqzoo is used when present and must agree. An LSTM
/// with projections has `weight_hr_l0` `[P, H]`, which gives H and P (then `weight_hh_l0` is
/// `[4H, P]`). Every layer from 0 (at most [`MAX_FILE_LAYERS`]) and direction must have all its
/// tensors, shaped as PyTorch shapes them (see [`RecurrentConfig::parameter_shapes`]), before
/// anything is built.
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
        if key.layer >= MAX_FILE_LAYERS {
            return Err(fail(format!(
                "tensor `{}`: layer {} is above the bound of {MAX_FILE_LAYERS} layers",
                e.name, key.layer
            )));
        }
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
    // With projections, H and P from weight_hr `[P, H]`; weight_hh then has P columns.
    let proj_name = param_name(PROJECTION, 0, 0);
    let (hidden, proj_size) = match file.entry(&proj_name) {
        None => {
            let stray = file.names().find(|n| n.starts_with(PROJECTION));
            if let Some(name) = stray {
                return Err(fail(format!(
                    "tensor `{name}` without {proj_name}: a projection (proj_size) needs weight_hr on every layer and direction"
                )));
            }
            (whh[1], 0)
        }
        Some(e) => match e.shape[..] {
            [p, h] if p == whh[1] && h > 0 => (h, p),
            _ => {
                return Err(fail(format!(
                    "{proj_name} of shape {:?} does not fit weight_hh_l0 {whh:?}: expected [P, H] with P = {} (weight_hh's columns)",
                    e.shape, whh[1]
                )))
            }
        },
    };
    let kind = match (whh[0] / hidden, whh[0] % hidden) {
        (1, 0) => RecurrentKind::Rnn,
        (3, 0) => RecurrentKind::Gru,
        (4, 0) => RecurrentKind::Lstm,
        _ => {
            return Err(fail(format!(
                "weight_hh_l0 of shape {whh:?}: rows must be 1, 3 or 4 times the {hidden} columns (RNN, GRU, LSTM)"
            )))
        }
    };
    if proj_size > 0 && kind != RecurrentKind::Lstm {
        return Err(fail(format!(
            "{proj_name} is an LSTM's projection, but weight_hh_l0 {whh:?} is a {}'s",
            kind.cell().torch_name()
        )));
    }
    let kind = nonlinearity(file, kind).map_err(fail)?;
    let mut config = RecurrentConfig::new(kind, wih[1], hidden)
        .layers(layers)
        .bidirectional(bidirectional)
        .proj_size(proj_size)
        .layer_norm(file.entry("ln_ih_weight_l0").is_some());
    config.validate().map_err(|e| fail(e.to_string()))?;
    check_shapes(file, &config).map_err(fail)?;
    if let Some(saved) = file.config::<RecurrentConfig>()? {
        let same = saved.kind == config.kind
            && saved.input_size == config.input_size
            && saved.hidden_size == config.hidden_size
            && saved.num_layers == config.num_layers
            && saved.bidirectional == config.bidirectional
            && saved.proj_size == config.proj_size
            && saved.layer_norm == config.layer_norm;
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

/// The kind with the `nonlinearity` metadata applied: `tanh` or `relu` on an RNN; any other value,
/// or the key on an LSTM or GRU, is an error naming it.
fn nonlinearity(
    file: &SafetensorsFile,
    kind: RecurrentKind,
) -> std::result::Result<RecurrentKind, String> {
    let Some(value) = file.metadata().get(NONLINEARITY_KEY) else {
        return Ok(kind);
    };
    match (kind, value.as_str()) {
        (RecurrentKind::Rnn, "tanh") => Ok(RecurrentKind::Rnn),
        (RecurrentKind::Rnn, "relu") => Ok(RecurrentKind::RnnRelu),
        (RecurrentKind::Rnn, other) => Err(format!(
            "metadata `{NONLINEARITY_KEY}` is {other:?}; expected \"tanh\" or \"relu\""
        )),
        (other, _) => Err(format!(
            "metadata `{NONLINEARITY_KEY}` = {value:?} on a {}: only an RNN has a nonlinearity",
            other.name()
        )),
    }
}

/// An error naming the first tensor of `config`'s layers and directions that is missing or
/// shaped otherwise than PyTorch shapes it, or a tensor the configuration has no place for (the
/// file's tensors are exactly these: none extra).
fn check_shapes(
    file: &SafetensorsFile,
    config: &RecurrentConfig,
) -> std::result::Result<(), String> {
    let mut expected = std::collections::BTreeSet::new();
    for layer in 0..config.num_layers {
        let params = config.parameter_shapes(layer);
        for dir in 0..config.directions() {
            for p in &params {
                let name = param_name(p.name, layer, dir);
                match file.entry(&name) {
                    None => {
                        return Err(format!(
                        "no tensor `{name}`: every layer 0..{} and direction needs all {} tensors",
                        config.num_layers,
                        params.len()
                    ))
                    }
                    Some(e) if e.shape != p.shape => {
                        return Err(format!(
                            "tensor `{name}` has shape {:?}; expected {:?}",
                            e.shape, p.shape
                        ))
                    }
                    Some(_) => {}
                }
                expected.insert(name);
            }
        }
    }
    match file.entries().iter().find(|e| !expected.contains(&e.name)) {
        Some(e) => Err(format!(
            "tensor `{}` has no place in {} layers of {}{}",
            e.name,
            config.num_layers,
            config.kind.name(),
            if config.layer_norm {
                " with layer norm"
            } else {
                ""
            }
        )),
        None => Ok(()),
    }
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
