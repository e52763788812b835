//! The safetensors reader: `SafetensorsFile::from_bytes`, then every entry read as f32, f64 and
//! i64, the config JSON and the metadata. A tensor that reads must have its entry's shape.

use super::{Outcome, Target};
use crate::corpus::Corpus;
use crate::layer_file::{elements, layer_file, small_config};
use crate::mutate::safetensors::{mutate, FileModel, DTYPES};
use crate::mutate::{bytes, Gen};
use autograd::{Element, SafetensorsFile};
use rand::Rng;

/// The target.
pub const TARGET: Target = Target {
    name: "safetensors",
    about: "SafetensorsFile::from_bytes, tensor::<f32/f64>, tensor_i64, config_json, metadata",
    needs_corpus: false,
    generate,
    run,
};

/// A file of a few tensors of any dtype and shape, with metadata.
fn mixed_file(rng: &mut Gen) -> FileModel {
    let mut model = FileModel::default();
    for i in 0..rng.random_range(0..5) {
        let dtype = DTYPES[rng.random_range(0..13)];
        let shape: Vec<usize> = (0..rng.random_range(0..4))
            .map(|_| rng.random_range(0..4))
            .collect();
        let numel = shape.iter().product();
        let data = elements(rng, dtype, numel);
        model.push_tensor(&format!("t{i}"), dtype, &shape, &data);
    }
    if rng.random_bool(0.5) {
        model.set_metadata("config", "{\"hidden\":4,\"layers\":[1,2]}");
    }
    model
}

/// A valid file (a layer's state_dict or mixed tensors), then structure-aware mutations and/or
/// byte mutations; sometimes plain random bytes.
fn generate(rng: &mut Gen, _corpus: &Corpus) -> Vec<u8> {
    if rng.random_bool(0.03) {
        let n = rng.random_range(0..64);
        return (0..n).map(|_| rng.random()).collect();
    }
    let mut model = if rng.random_bool(0.5) {
        let config = small_config(rng);
        layer_file(rng, &config)
    } else {
        mixed_file(rng)
    };
    if rng.random_bool(0.85) {
        mutate(rng, &mut model);
    }
    let mut out = model.to_bytes();
    if rng.random_bool(0.25) {
        bytes::mutate(rng, &mut out, 4, 1 << 16);
    }
    out
}

/// Reads `name` as `E`; a tensor that reads has the entry's shape.
fn read_as<E: Element>(file: &SafetensorsFile, name: &str) -> bool {
    match file.tensor::<E>(name) {
        Ok(t) => {
            let entry = file.entry(name).expect("a listed tensor has an entry");
            assert_eq!(t.shape(), entry.shape.as_slice(), "tensor `{name}` shape");
            assert_eq!(t.numel(), entry.numel(), "tensor `{name}` numel");
            true
        }
        Err(_) => false,
    }
}

/// Parses the file and reads everything in it.
fn run(input: &[u8]) -> Outcome {
    let file = match SafetensorsFile::from_bytes("fuzz.safetensors", input.to_vec()) {
        Ok(f) => f,
        Err(e) => return format!("error: {e}"),
    };
    let names: Vec<String> = file.names().map(str::to_string).collect();
    let mut read = 0;
    for name in &names {
        read += usize::from(read_as::<f32>(&file, name));
        read += usize::from(read_as::<f64>(&file, name));
        if let Ok((shape, values)) = file.tensor_i64(name) {
            let entry = file.entry(name).expect("a listed tensor has an entry");
            assert_eq!(shape, entry.shape, "tensor `{name}` i64 shape");
            assert_eq!(values.len(), entry.numel(), "tensor `{name}` i64 numel");
            read += 1;
        }
    }
    let config = file.config_json().map(|c| c.is_some());
    format!(
        "ok: {} tensors, {read} reads, config {config:?}, {} metadata keys",
        names.len(),
        file.metadata().len()
    )
}
