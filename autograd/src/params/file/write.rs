//! Writing safetensors files deterministically (sorted header, 8-byte padding) and atomically.

use crate::element::Element;
use crate::error::Error;
use crate::error::Result;
use crate::tensor::Tensor;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use super::{CONFIG_KEY, LEN_FIELD, MAX_HEADER_LEN, METADATA_KEY, WRITE_CHUNK};
use crate::fs::atomic_write;

/// Metadata holding `config` serialized as JSON under [`CONFIG_KEY`]; add other string keys freely.
pub fn config_metadata<C: Serialize + ?Sized>(config: &C) -> Result<BTreeMap<String, String>> {
    let json = serde_json::to_string(config)
        .map_err(|e| Error::Config(format!("cannot serialize the config as JSON: {e}")))?;
    Ok(BTreeMap::from([(CONFIG_KEY.to_string(), json)]))
}

/// Writes named tensors (dtype from `E::DTYPE`) and string metadata to `path`, atomically.
pub fn write_tensors<E: Element>(
    path: impl AsRef<Path>,
    tensors: &[(&str, &Tensor<E>)],
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let path = path.as_ref();
    let mut header = serde_json::Map::new();
    if !metadata.is_empty() {
        let meta = metadata
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        header.insert(METADATA_KEY.to_string(), serde_json::Value::Object(meta));
    }
    let mut offset = 0usize;
    for (name, t) in tensors {
        if *name == METADATA_KEY {
            return Err(Error::Data(format!(
                "{}: `{METADATA_KEY}` is reserved and cannot name a tensor",
                path.display()
            )));
        }
        let end = t
            .numel()
            .checked_mul(E::DTYPE.size())
            .and_then(|n| n.checked_add(offset))
            .ok_or_else(|| Error::Data(format!("tensor `{name}` is too large to write")))?;
        let entry = serde_json::json!({
            "dtype": E::DTYPE.name(),
            "shape": t.shape(),
            "data_offsets": [offset, end],
        });
        if header.insert(name.to_string(), entry).is_some() {
            return Err(Error::Data(format!(
                "{}: tensor name `{name}` appears twice",
                path.display()
            )));
        }
        offset = end;
    }
    let mut header = serde_json::to_vec(&serde_json::Value::Object(header))
        .map_err(|e| Error::Data(format!("cannot encode the safetensors header: {e}")))?;
    // Pad with spaces to keep the data 8-byte aligned, as the reference writer does.
    header.resize(header.len().next_multiple_of(LEN_FIELD), b' ');
    if header.len() as u64 > MAX_HEADER_LEN {
        return Err(Error::Data(format!(
            "{}: the header would be {} bytes, over the {MAX_HEADER_LEN}-byte limit",
            path.display(),
            header.len()
        )));
    }
    atomic_write(path, |w| {
        w.write_all(&(header.len() as u64).to_le_bytes())?;
        w.write_all(&header)?;
        let mut buf = Vec::with_capacity(WRITE_CHUNK * E::DTYPE.size());
        for (_, t) in tensors {
            for chunk in t.data().chunks(WRITE_CHUNK) {
                buf.clear();
                for &x in chunk {
                    x.write_le(&mut buf);
                }
                w.write_all(&buf)?;
            }
        }
        Ok(())
    })
}
