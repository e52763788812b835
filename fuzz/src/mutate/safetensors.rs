//! A structured model of a safetensors file — header entries with raw JSON fields, the
//! `__metadata__` map, the data section and the 8-byte header length — and structure-aware
//! mutations of it: shapes, dtypes, offsets, header length, names and metadata (config JSON).

use super::numbers::{json_number, odd_text};
use super::Gen;
use rand::Rng;
use serde_json::Value;

/// Every dtype name the safetensors format knows, and some it does not.
pub const DTYPES: [&str; 26] = [
    "F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL",
    "F8_E4M3", "F8_E5M2", "F8_E8M0", "E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64", "f32", "", "F128",
    "bool", "Q4",
];

/// One header entry; every field is kept as raw JSON text so that any value can be written.
#[derive(Clone, Debug, PartialEq)]
pub struct RawEntry {
    /// The tensor name (written JSON-escaped).
    pub name: String,
    /// The dtype, raw JSON (normally a quoted name).
    pub dtype: String,
    /// The shape's elements, raw JSON.
    pub shape: Vec<String>,
    /// `data_offsets` start and end, raw JSON.
    pub offsets: [String; 2],
    /// An extra raw `"key": value` member, if any.
    pub extra: Option<String>,
}

/// A safetensors file as parts that can be changed one at a time and written back.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileModel {
    /// The tensors' header entries, in the order written.
    pub entries: Vec<RawEntry>,
    /// The `__metadata__` members as (key, raw JSON value), or no `__metadata__` at all.
    pub metadata: Option<Vec<(String, String)>>,
    /// The data section.
    pub data: Vec<u8>,
    /// A header length to write instead of the true one.
    pub header_len: Option<u64>,
    /// Where `__metadata__` goes among the entries (0 = first).
    pub metadata_at: usize,
}

/// A JSON string literal.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The bytes per element of the dtypes whose tensors this model writes.
pub fn dtype_size(dtype: &str) -> usize {
    match dtype {
        "F64" | "I64" | "U64" => 8,
        "F32" | "I32" | "U32" => 4,
        "F16" | "BF16" | "I16" | "U16" => 2,
        _ => 1,
    }
}

impl FileModel {
    /// Appends a tensor with the given data bytes and offsets right after the last tensor.
    pub fn push_tensor(&mut self, name: &str, dtype: &str, shape: &[usize], data: &[u8]) {
        let start = self.data.len();
        self.data.extend_from_slice(data);
        self.entries.push(RawEntry {
            name: name.to_string(),
            dtype: quote(dtype),
            shape: shape.iter().map(usize::to_string).collect(),
            offsets: [start.to_string(), self.data.len().to_string()],
            extra: None,
        });
    }

    /// Sets metadata `key` to the string `value`.
    pub fn set_metadata(&mut self, key: &str, value: &str) {
        let meta = self.metadata.get_or_insert_with(Vec::new);
        meta.retain(|(k, _)| k != key);
        meta.push((key.to_string(), quote(value)));
    }

    /// The model of the bytes of a valid file (`None` when its header does not parse).
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let n = usize::try_from(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?)).ok()?;
        let header: Value = serde_json::from_slice(bytes.get(8..8usize.checked_add(n)?)?).ok()?;
        let mut model = FileModel {
            data: bytes[8 + n..].to_vec(),
            ..FileModel::default()
        };
        for (name, value) in header.as_object()? {
            if name == "__metadata__" {
                let meta = value.as_object()?;
                model.metadata = Some(
                    meta.iter()
                        .map(|(k, v)| (k.clone(), v.to_string()))
                        .collect(),
                );
                continue;
            }
            let offsets = value.get("data_offsets")?.as_array()?;
            model.entries.push(RawEntry {
                name: name.clone(),
                dtype: value.get("dtype")?.to_string(),
                shape: value
                    .get("shape")?
                    .as_array()?
                    .iter()
                    .map(Value::to_string)
                    .collect(),
                offsets: [offsets.first()?.to_string(), offsets.get(1)?.to_string()],
                extra: None,
            });
        }
        Some(model)
    }

    /// The header JSON text.
    pub fn header(&self) -> String {
        let mut members: Vec<String> = self
            .entries
            .iter()
            .map(|e| {
                let mut m = format!(
                    "{}:{{\"dtype\":{},\"shape\":[{}],\"data_offsets\":[{},{}]",
                    quote(&e.name),
                    e.dtype,
                    e.shape.join(","),
                    e.offsets[0],
                    e.offsets[1]
                );
                if let Some(extra) = &e.extra {
                    m.push(',');
                    m.push_str(extra);
                }
                m.push('}');
                m
            })
            .collect();
        if let Some(meta) = &self.metadata {
            let inner: Vec<String> = meta
                .iter()
                .map(|(k, v)| format!("{}:{v}", quote(k)))
                .collect();
            let at = self.metadata_at.min(members.len());
            members.insert(at, format!("\"__metadata__\":{{{}}}", inner.join(",")));
        }
        format!("{{{}}}", members.join(","))
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = self.header();
        let n = self.header_len.unwrap_or(header.len() as u64);
        let mut out = Vec::with_capacity(8 + header.len() + self.data.len());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&self.data);
        out
    }
}

/// A name a recurrent layer's state_dict might hold, or nearly: odd layer numbers and suffixes.
pub fn recurrent_name(rng: &mut Gen) -> String {
    const STEMS: [&str; 6] = [
        "weight_ih",
        "weight_hh",
        "bias_ih",
        "bias_hh",
        "weight_hr",
        "weight",
    ];
    const LAYERS: [&str; 10] = [
        "0",
        "1",
        "2",
        "63",
        "64",
        "01",
        "-1",
        "18446744073709551615",
        "18446744073709551616",
        "",
    ];
    let stem = STEMS[rng.random_range(0..STEMS.len())];
    let layer = LAYERS[rng.random_range(0..LAYERS.len())];
    let suffix = ["", "", "_reverse", "_reverse_reverse", "_rev"][rng.random_range(0..5)];
    format!("{stem}_l{layer}{suffix}")
}

/// Applies 1 to 3 structure-aware mutations to `model`.
pub fn mutate(rng: &mut Gen, model: &mut FileModel) {
    for _ in 0..rng.random_range(1..=3) {
        mutate_once(rng, model);
    }
}

/// A random entry of `model`, if it has any.
fn pick<'a>(rng: &mut Gen, model: &'a mut FileModel) -> Option<&'a mut RawEntry> {
    if model.entries.is_empty() {
        return None;
    }
    let i = rng.random_range(0..model.entries.len());
    model.entries.get_mut(i)
}

/// One structure-aware mutation.
fn mutate_once(rng: &mut Gen, model: &mut FileModel) {
    match rng.random_range(0..12) {
        0 | 1 => mutate_shape(rng, model),
        2 => {
            if let Some(e) = pick(rng, model) {
                e.dtype = match rng.random_range(0..6) {
                    0 => json_number(rng),
                    1 => "null".into(),
                    _ => quote(DTYPES[rng.random_range(0..DTYPES.len())]),
                };
            }
        }
        3 | 4 => mutate_offsets(rng, model),
        5 => {
            model.header_len = Some(match rng.random_range(0..7) {
                0 => 0,
                1 => model.header().len() as u64 + 1,
                2 => (model.header().len() as u64).saturating_sub(1),
                3 => u64::MAX,
                4 => 100_000_001,
                5 => (model.header().len() + model.data.len()) as u64,
                _ => rng.random(),
            })
        }
        6 | 7 => mutate_names(rng, model),
        8 | 9 => mutate_metadata(rng, model),
        10 => {
            // The data section: cut, grow or flip.
            let len = model.data.len();
            match rng.random_range(0..3) {
                0 if len > 0 => model.data.truncate(rng.random_range(0..len)),
                1 => model
                    .data
                    .extend(std::iter::repeat_n(0u8, rng.random_range(1..9))),
                _ if len > 0 => {
                    let i = rng.random_range(0..len);
                    model.data[i] = rng.random();
                }
                _ => {}
            }
        }
        _ => {
            if let Some(e) = pick(rng, model) {
                e.extra = Some(match rng.random_range(0..3) {
                    0 => "\"extra\":1".into(),
                    1 => "\"dtype\":\"F32\"".into(),
                    _ => format!("{}:{}", quote(&odd_text(rng)), json_number(rng)),
                });
            }
        }
    }
}

/// Changes a dimension, the rank, or swaps two shapes.
fn mutate_shape(rng: &mut Gen, model: &mut FileModel) {
    let other = model
        .entries
        .get(rng.random_range(0..model.entries.len().max(1)))
        .map(|e| e.shape.clone());
    let Some(e) = pick(rng, model) else { return };
    match rng.random_range(0..5) {
        0 if !e.shape.is_empty() => {
            e.shape.pop();
        }
        1 => {
            let i = rng.random_range(0..=e.shape.len());
            e.shape.insert(i, json_number(rng));
        }
        2 => {
            if let Some(other) = other {
                e.shape = other;
            }
        }
        3 => {
            // Two dimensions whose product overflows or wraps to something small.
            e.shape = match rng.random_range(0..3) {
                0 => vec!["4294967296".into(), "4294967296".into()],
                1 => vec!["9223372036854775808".into(), "2".into(), "0".into()],
                _ => vec!["18446744073709551615".into(), "0".into()],
            };
        }
        _ if !e.shape.is_empty() => {
            let i = rng.random_range(0..e.shape.len());
            e.shape[i] = json_number(rng);
        }
        _ => e.shape.push(json_number(rng)),
    }
}

/// Moves offsets: reversed, past the end, overlapping, gaps, huge.
fn mutate_offsets(rng: &mut Gen, model: &mut FileModel) {
    let len = model.data.len() as u64;
    let Some(e) = pick(rng, model) else { return };
    let start: u64 = e.offsets[0].parse().unwrap_or(0);
    let end: u64 = e.offsets[1].parse().unwrap_or(0);
    let (s, t) = match rng.random_range(0..7) {
        0 => (end.to_string(), start.to_string()),
        1 => (start.to_string(), (len + 1).to_string()),
        2 => (start.saturating_sub(1).to_string(), end.to_string()),
        3 => ((start + 1).to_string(), (end + 1).to_string()),
        4 => (start.to_string(), json_number(rng)),
        5 => (json_number(rng), end.to_string()),
        _ => (
            rng.random_range(0..=len).to_string(),
            rng.random_range(0..=len).to_string(),
        ),
    };
    e.offsets = [s, t];
}

/// Renames, duplicates or removes entries.
fn mutate_names(rng: &mut Gen, model: &mut FileModel) {
    let n = model.entries.len();
    match rng.random_range(0..6) {
        0 if n > 0 => {
            model.entries.remove(rng.random_range(0..n));
        }
        1 if n > 0 => {
            let e = model.entries[rng.random_range(0..n)].clone();
            model.entries.push(e);
        }
        2 if n > 1 => {
            let name = model.entries[rng.random_range(0..n)].name.clone();
            model.entries[rng.random_range(0..n)].name = name;
        }
        3 => {
            if let Some(e) = pick(rng, model) {
                e.name = odd_text(rng);
            }
        }
        4 => {
            if let Some(e) = pick(rng, model) {
                e.name = ["__metadata__", "input", "lengths", "h0", "__optim__.x"]
                    [rng.random_range(0..5)]
                .into();
            }
        }
        _ => {
            let name = recurrent_name(rng);
            if let Some(e) = pick(rng, model) {
                e.name = name;
            }
        }
    }
}

/// Changes the metadata: a value inside config JSON, a whole value, a key, or the map itself.
fn mutate_metadata(rng: &mut Gen, model: &mut FileModel) {
    let meta = model.metadata.get_or_insert_with(Vec::new);
    let n = meta.len();
    match rng.random_range(0..10) {
        0..=3 if n > 0 => {
            // A value inside a metadata string that holds JSON (a config, run spec, vocab …).
            let i = rng.random_range(0..n);
            let text: Option<String> = serde_json::from_str(&meta[i].1).ok();
            if let Some(mut json) = text.and_then(|t| serde_json::from_str::<Value>(&t).ok()) {
                let token = mutate_json(rng, &mut json);
                let inner = json.to_string().replace("\"__HOSTILE__\"", &token);
                meta[i].1 = quote(&inner);
            } else {
                meta[i].1 = quote(&json_number(rng));
            }
        }
        4 if n > 0 => {
            meta.remove(rng.random_range(0..n));
        }
        5 if n > 0 => {
            let i = rng.random_range(0..n);
            meta[i].1 = match rng.random_range(0..4) {
                0 => json_number(rng),
                1 => "{}".into(),
                2 => "[\"a\"]".into(),
                _ => quote(&odd_text(rng)),
            };
        }
        6 => {
            const KEYS: [&str; 10] = [
                "config",
                "seqzoo.checkpoint",
                "seqzoo.step",
                "seqzoo.rng",
                "seqzoo.optimizer",
                "seqzoo.train_config",
                "seqzoo.state",
                "run",
                "vocab",
                "nonlinearity",
            ];
            let key = KEYS[rng.random_range(0..KEYS.len())].to_string();
            let value = match rng.random_range(0..4) {
                0 => quote(&json_number(rng)),
                1 => quote(["relu", "tanh", "1", "2", "{}", "null"][rng.random_range(0..6)]),
                2 => quote(&odd_text(rng)),
                _ => json_number(rng),
            };
            meta.retain(|(k, _)| *k != key);
            meta.push((key, value));
        }
        7 if n > 0 => {
            let i = rng.random_range(0..n);
            meta[i].0 = odd_text(rng);
        }
        8 => model.metadata = None,
        _ => model.metadata_at = rng.random_range(0..=model.entries.len()),
    }
}

/// Replaces one node of `json` by a placeholder string `"__HOSTILE__"` (returning the raw token
/// to put in its place: a hostile number, a string, null, …) or removes an object member (then
/// the token is unused).
pub fn mutate_json(rng: &mut Gen, json: &mut Value) -> String {
    let n = count_nodes(json);
    let target = rng.random_range(0..n);
    let mut seen = 0;
    replace_node(rng, json, target, &mut seen);
    match rng.random_range(0..6) {
        0 => quote(&odd_text(rng)),
        1 => "null".into(),
        2 => "[]".into(),
        _ => json_number(rng),
    }
}

/// The nodes of a JSON value.
fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(m) => m.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Walks to node `target` (pre-order) and replaces it, or removes one of its members.
fn replace_node(rng: &mut Gen, v: &mut Value, target: usize, seen: &mut usize) -> bool {
    if *seen == target {
        match v {
            Value::Object(m) if !m.is_empty() && rng.random_bool(0.3) => {
                let key = m.keys().nth(rng.random_range(0..m.len())).cloned();
                if let Some(key) = key {
                    m.remove(&key);
                }
            }
            _ => *v = Value::String("__HOSTILE__".into()),
        }
        return true;
    }
    *seen += 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|x| replace_node(rng, x, target, seen)),
        Value::Object(m) => m.values_mut().any(|x| replace_node(rng, x, target, seen)),
        _ => false,
    }
}
