//! A minimal safetensors reader for test fixtures (F32, F64 and I64 only).
//!
//! Format: an 8-byte little-endian header length `N`, `N` bytes of JSON
//! `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the data
//! buffer the offsets point into. To be replaced by the autograd crate's own reader.

use std::collections::BTreeMap;
use std::path::Path;

/// The elements of one stored tensor, by dtype.
#[derive(Clone, Debug)]
pub enum Data {
    /// 32-bit floats.
    F32(Vec<f32>),
    /// 64-bit floats.
    F64(Vec<f64>),
    /// 64-bit signed integers.
    I64(Vec<i64>),
}

/// One stored tensor: its shape and elements.
#[derive(Clone, Debug)]
pub struct RawTensor {
    /// Dimensions, outermost first (empty for a scalar).
    pub shape: Vec<usize>,
    /// Row-major elements.
    pub data: Data,
}

/// Every tensor of a safetensors file, with its `__metadata__`.
#[derive(Clone, Debug, Default)]
pub struct SafetensorsFile {
    /// Tensors by name.
    pub tensors: BTreeMap<String, RawTensor>,
    /// The string-to-string `__metadata__` map (empty when absent).
    pub metadata: BTreeMap<String, String>,
}

/// Decodes fixed-size little-endian chunks of `bytes` with `f`.
fn decode<T, const W: usize>(bytes: &[u8], f: fn([u8; W]) -> T) -> Vec<T> {
    bytes
        .chunks_exact(W)
        .map(|c| f(c.try_into().expect("chunk width")))
        .collect()
}

/// Reads and parses the safetensors file at `path`; panics with a message on malformed input.
pub fn read(path: impl AsRef<Path>) -> SafetensorsFile {
    let path = path.as_ref();
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses safetensors bytes.
pub fn parse(bytes: &[u8]) -> Result<SafetensorsFile, String> {
    let n = u64::from_le_bytes(
        bytes
            .get(..8)
            .ok_or("no header length")?
            .try_into()
            .unwrap(),
    );
    let header = bytes
        .get(8..8 + n as usize)
        .ok_or("header runs past the end")?;
    let buffer = &bytes[8 + n as usize..];
    let json: serde_json::Value = serde_json::from_slice(header).map_err(|e| e.to_string())?;
    let mut file = SafetensorsFile::default();
    for (name, entry) in json.as_object().ok_or("header is not an object")? {
        if name == "__metadata__" {
            for (k, v) in entry.as_object().ok_or("metadata is not an object")? {
                file.metadata
                    .insert(k.clone(), v.as_str().ok_or("metadata value")?.to_string());
            }
            continue;
        }
        let uints = |key: &str| -> Result<Vec<usize>, String> {
            entry[key]
                .as_array()
                .ok_or(format!("{name}: no {key}"))?
                .iter()
                .map(|v| {
                    v.as_u64()
                        .map(|x| x as usize)
                        .ok_or(format!("{name}: bad {key}"))
                })
                .collect()
        };
        let (shape, offsets) = (uints("shape")?, uints("data_offsets")?);
        let raw = buffer
            .get(offsets[0]..offsets[1])
            .ok_or(format!("{name}: data offsets {offsets:?} out of range"))?;
        let data = match entry["dtype"].as_str() {
            Some("F32") => Data::F32(decode(raw, f32::from_le_bytes)),
            Some("F64") => Data::F64(decode(raw, f64::from_le_bytes)),
            Some("I64") => Data::I64(decode(raw, i64::from_le_bytes)),
            other => return Err(format!("{name}: unsupported dtype {other:?}")),
        };
        let len = match &data {
            Data::F32(v) => v.len(),
            Data::F64(v) => v.len(),
            Data::I64(v) => v.len(),
        };
        if len != shape.iter().product::<usize>() {
            return Err(format!("{name}: {len} elements for shape {shape:?}"));
        }
        file.tensors.insert(name.clone(), RawTensor { shape, data });
    }
    Ok(file)
}

impl SafetensorsFile {
    /// The tensor called `name`; panics listing the available names if there is none.
    pub fn get(&self, name: &str) -> &RawTensor {
        self.tensors.get(name).unwrap_or_else(|| {
            let names: Vec<&String> = self.tensors.keys().collect();
            panic!("no tensor {name:?} in fixture; it has {names:?}")
        })
    }

    /// The float tensor `name` as shape and f64 elements (F32 widened exactly).
    pub fn floats(&self, name: &str) -> (Vec<usize>, Vec<f64>) {
        let t = self.get(name);
        let data = match &t.data {
            Data::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Data::F64(v) => v.clone(),
            Data::I64(_) => panic!("tensor {name:?} is I64, expected a float"),
        };
        (t.shape.clone(), data)
    }

    /// The I64 tensor `name`'s elements.
    pub fn ints(&self, name: &str) -> Vec<i64> {
        match &self.get(name).data {
            Data::I64(v) => v.clone(),
            _ => panic!("tensor {name:?} is not I64"),
        }
    }
}
