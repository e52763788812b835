//! Editing a checkpoint's metadata the way a corrupted or hostile file would differ.

use std::collections::BTreeMap;
use std::path::Path;

use autograd::params::{read_tensors, write_tensors};
use autograd::Tensor;
use serde_json::Value;

/// Rewrites the JSON metadata entry `key` of the safetensors file at `path` with `edit`, keeping
/// every tensor (as f32) and every other entry.
pub fn edit_metadata(path: &Path, key: &str, edit: impl FnOnce(&mut Value)) {
    edit_metadata_text(path, key, |text| {
        let mut value: Value = serde_json::from_str(text).expect("JSON metadata");
        edit(&mut value);
        value.to_string()
    });
}

/// Rewrites the metadata entry `key` of the safetensors file at `path` as text (for what a JSON
/// value cannot hold, e.g. integers beyond 64 bits).
pub fn edit_metadata_text(path: &Path, key: &str, edit: impl FnOnce(&str) -> String) {
    let file = read_tensors(path).expect("readable checkpoint");
    let mut metadata: BTreeMap<String, String> = file.metadata().clone();
    let text = edit(&metadata[key]);
    metadata.insert(key.to_string(), text);
    let tensors: Vec<(String, Tensor<f32>)> = file
        .names()
        .map(|name| (name.to_string(), file.tensor::<f32>(name).expect("tensor")))
        .collect();
    let refs: Vec<(&str, &Tensor<f32>)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    write_tensors(path, &refs, &metadata).expect("writable checkpoint");
}
