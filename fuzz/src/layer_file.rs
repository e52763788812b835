//! Valid state_dict files of small recurrent layers (RNN, GRU, LSTM; layers, directions, float
//! dtypes, optional config and nonlinearity metadata), the starting point of the safetensors and
//! exchange targets' mutations.

use crate::mutate::safetensors::{dtype_size, FileModel};
use crate::mutate::Gen;
use autograd::params::config_metadata;
use rand::Rng;
use zoo::recurrent::param_name;
use zoo::{RecurrentConfig, RecurrentKind};

/// The float dtypes a layer file is written in.
const FLOAT_DTYPES: [&str; 4] = ["F32", "F64", "F16", "BF16"];

/// A random element of `dtype` as little-endian bytes: small values, and now and then NaN or ±inf.
fn element(rng: &mut Gen, dtype: &str) -> Vec<u8> {
    let x: f64 = match rng.random_range(0..20) {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => 1e30,
        _ => rng.random_range(-1.0..1.0),
    };
    match dtype {
        "F64" => x.to_le_bytes().to_vec(),
        "F32" => (x as f32).to_le_bytes().to_vec(),
        "BF16" => (((x as f32).to_bits() >> 16) as u16).to_le_bytes().to_vec(),
        "F16" => rng.random::<u16>().to_le_bytes().to_vec(),
        _ => vec![rng.random(); dtype_size(dtype)],
    }
}

/// The bytes of `numel` random elements of `dtype`.
pub fn elements(rng: &mut Gen, dtype: &str, numel: usize) -> Vec<u8> {
    (0..numel).flat_map(|_| element(rng, dtype)).collect()
}

/// A small random layer config.
pub fn small_config(rng: &mut Gen) -> RecurrentConfig {
    let kind = [
        RecurrentKind::Rnn,
        RecurrentKind::RnnRelu,
        RecurrentKind::Gru,
        RecurrentKind::Lstm,
    ][rng.random_range(0..4)];
    // Now and then a zero size: a layer that reads nothing or has no units.
    let size = |rng: &mut Gen| usize::from(!rng.random_bool(0.03)) * rng.random_range(1..4);
    RecurrentConfig::new(kind, size(rng), size(rng))
        .layers(rng.random_range(1..3))
        .bidirectional(rng.random_bool(0.3))
}

/// The state_dict file of a layer of `config`: every tensor with PyTorch's names and shapes, in
/// one float dtype, with the config metadata and (for relu RNNs, usually) the nonlinearity.
pub fn layer_file(rng: &mut Gen, config: &RecurrentConfig) -> FileModel {
    let dtype = FLOAT_DTYPES[rng.random_range(0..FLOAT_DTYPES.len())];
    let (h, d) = (config.hidden_size, config.directions());
    let rows = config.kind.cell().gates() * h;
    let mut model = FileModel::default();
    for layer in 0..config.num_layers {
        let input = if layer == 0 { config.input_size } else { d * h };
        for dir in 0..d {
            for (what, shape) in [
                ("weight_ih", vec![rows, input]),
                ("weight_hh", vec![rows, h]),
                ("bias_ih", vec![rows]),
                ("bias_hh", vec![rows]),
            ] {
                let numel = shape.iter().product();
                let data = elements(rng, dtype, numel);
                model.push_tensor(&param_name(what, layer, dir), dtype, &shape, &data);
            }
        }
    }
    if rng.random_bool(0.7) {
        if let Ok(meta) = config_metadata(config) {
            for (k, v) in meta {
                model.set_metadata(&k, &v);
            }
        }
    }
    let relu = config.kind == RecurrentKind::RnnRelu;
    if relu || rng.random_bool(0.05) {
        model.set_metadata("nonlinearity", if relu { "relu" } else { "tanh" });
    }
    model
}
