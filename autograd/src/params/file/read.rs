//! Reading safetensors files. The `safetensors` crate parses and validates the header; this module
//! adds what it leaves out: the file is bounded before it is read, the tensors must cover the data
//! section exactly, hostile sizes are errors rather than overflows, and every error names the file
//! and the entry at fault.

use crate::element::DType;
use crate::element::Element;
use crate::error::Error;
use crate::error::Result;
use crate::tensor::Tensor;
use safetensors::tensor::{Metadata, TensorInfo};
use safetensors::{Dtype, SafeTensorError};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::path::PathBuf;

use super::{CONFIG_KEY, LEN_FIELD, MAX_HEADER_LEN, METADATA_KEY};

/// The element type of a tensor as stored in a safetensors file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FileDtype {
    /// 64-bit float.
    F64,
    /// 32-bit float.
    F32,
    /// IEEE half precision.
    F16,
    /// bfloat16.
    BF16,
    /// Signed 64-bit integer.
    I64,
    /// Signed 32-bit integer.
    I32,
    /// Signed 16-bit integer.
    I16,
    /// Signed 8-bit integer.
    I8,
    /// Unsigned 64-bit integer.
    U64,
    /// Unsigned 32-bit integer.
    U32,
    /// Unsigned 16-bit integer.
    U16,
    /// Unsigned 8-bit integer.
    U8,
    /// Boolean, one byte each.
    Bool,
    /// Any other dtype the format knows (FP8, complex, …): listed, but not decoded.
    Other(String),
}

impl FileDtype {
    /// The dtype's name as written in the header ("F32", "BF16", …).
    pub fn name(&self) -> &str {
        match self {
            FileDtype::F64 => "F64",
            FileDtype::F32 => "F32",
            FileDtype::F16 => "F16",
            FileDtype::BF16 => "BF16",
            FileDtype::I64 => "I64",
            FileDtype::I32 => "I32",
            FileDtype::I16 => "I16",
            FileDtype::I8 => "I8",
            FileDtype::U64 => "U64",
            FileDtype::U32 => "U32",
            FileDtype::U16 => "U16",
            FileDtype::U8 => "U8",
            FileDtype::Bool => "BOOL",
            FileDtype::Other(name) => name,
        }
    }

    /// Whether tensors of this dtype can be read as floats (F64, F32, F16, BF16).
    pub fn is_float(&self) -> bool {
        matches!(
            self,
            FileDtype::F64 | FileDtype::F32 | FileDtype::F16 | FileDtype::BF16
        )
    }

    /// Whether tensors of this dtype can be read as integers (`tensor_i64`).
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            FileDtype::I64
                | FileDtype::I32
                | FileDtype::I16
                | FileDtype::I8
                | FileDtype::U64
                | FileDtype::U32
                | FileDtype::U16
                | FileDtype::U8
                | FileDtype::Bool
        )
    }

    /// Maps the reference crate's dtype onto ours.
    fn from_st(dtype: ::safetensors::Dtype) -> Self {
        use ::safetensors::Dtype as D;
        match dtype {
            D::F64 => FileDtype::F64,
            D::F32 => FileDtype::F32,
            D::F16 => FileDtype::F16,
            D::BF16 => FileDtype::BF16,
            D::I64 => FileDtype::I64,
            D::I32 => FileDtype::I32,
            D::I16 => FileDtype::I16,
            D::I8 => FileDtype::I8,
            D::U64 => FileDtype::U64,
            D::U32 => FileDtype::U32,
            D::U16 => FileDtype::U16,
            D::U8 => FileDtype::U8,
            D::BOOL => FileDtype::Bool,
            other => FileDtype::Other(other.to_string()),
        }
    }
}

impl From<DType> for FileDtype {
    fn from(dtype: DType) -> Self {
        match dtype {
            DType::F32 => FileDtype::F32,
            DType::F64 => FileDtype::F64,
        }
    }
}

impl fmt::Display for FileDtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One tensor listed in a file's header: its name, dtype, shape and (private) data range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorEntry {
    /// The tensor's name (a PyTorch state_dict key).
    pub name: String,
    /// The stored element type.
    pub dtype: FileDtype,
    /// The shape, row-major.
    pub shape: Vec<usize>,
    numel: usize,
    start: usize,
    end: usize,
}

impl TensorEntry {
    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.numel
    }

    /// The number of data bytes.
    pub fn byte_len(&self) -> usize {
        self.end - self.start
    }
}

/// A parsed, validated safetensors file held in memory.
pub struct SafetensorsFile {
    path: PathBuf,
    bytes: Vec<u8>,
    data_start: usize,
    entries: Vec<TensorEntry>,
    index: BTreeMap<String, usize>,
    metadata: BTreeMap<String, String>,
}

impl fmt::Debug for SafetensorsFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SafetensorsFile")
            .field("path", &self.path)
            .field("entries", &self.entries)
            .field("metadata", &self.metadata)
            .finish()
    }
}

/// The header length must fit the file and the reference limit; checked before any allocation.
fn check_header_len(path: &Path, n: u64, file_len: u64) -> Result<usize> {
    if n > MAX_HEADER_LEN {
        return Err(Error::format(
            path,
            format!("not a safetensors file: header length {n} exceeds the limit of {MAX_HEADER_LEN} bytes"),
        ));
    }
    let room = file_len.saturating_sub(LEN_FIELD as u64);
    if n > room {
        return Err(Error::format(
            path,
            format!(
                "header length {n} is larger than the {room} bytes that follow the length field \
                 (truncated or corrupted file)"
            ),
        ));
    }
    usize::try_from(n).map_err(|_| Error::format(path, format!("header length {n} overflows")))
}

/// Reads a regular file whose header length has been checked against its size first.
fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::format(path, "not a regular file"));
    }
    let len = meta.len();
    if len < LEN_FIELD as u64 {
        return Err(Error::format(
            path,
            format!("file is {len} bytes long, shorter than the 8-byte header length field"),
        ));
    }
    let mut head = [0u8; LEN_FIELD];
    file.read_exact(&mut head).map_err(|e| Error::io(path, e))?;
    check_header_len(path, u64::from_le_bytes(head), len)?;
    let cap = usize::try_from(len)
        .map_err(|_| Error::format(path, format!("file of {len} bytes is too large")))?;
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(cap)
        .map_err(|_| Error::format(path, format!("file of {len} bytes does not fit in memory")))?;
    bytes.extend_from_slice(&head);
    file.take(len - LEN_FIELD as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

/// Reads and validates a safetensors file.
pub fn read_tensors(path: impl AsRef<Path>) -> Result<SafetensorsFile> {
    let path = path.as_ref();
    let bytes = read_bounded(path)?;
    SafetensorsFile::from_bytes(path, bytes)
}

/// The bytes a tensor of this shape and dtype needs, or why it has no valid size.
fn byte_size(info: &TensorInfo) -> std::result::Result<usize, String> {
    let (shape, dtype) = (&info.shape, info.dtype);
    let numel = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("shape {shape:?} has more elements than can be addressed"))?;
    let bits = numel
        .checked_mul(dtype.bitsize())
        .ok_or_else(|| format!("shape {shape:?} of {dtype} overflows"))?;
    if bits % 8 != 0 {
        return Err(format!(
            "{numel} elements of {dtype} do not fill whole bytes"
        ));
    }
    Ok(bits / 8)
}

/// Parses the header into the `safetensors` crate's types and validates it with the crate (dtypes,
/// shapes, tensors tiling `0..end` in offset order). Around that, what the crate does not do: every
/// offset must lie inside the `data_len`-byte data section (so no sum of them can overflow), the
/// tensors must cover that section exactly, and each error names the entry at fault.
///
/// (`SafeTensors::read_metadata` is not called: its closing `end + 8 + n == file length` overflows,
/// a panic in debug builds, on a header that declares ~2⁶⁴ data bytes.)
fn parse_header(path: &Path, header: &str, data_len: usize) -> Result<Metadata> {
    let fail = |what: String| Error::format(path, what);
    let header: Value =
        serde_json::from_str(header).map_err(|e| fail(format!("header is not valid JSON: {e}")))?;
    let Value::Object(map) = header else {
        return Err(fail("header is not a JSON object".into()));
    };
    let mut metadata = None;
    let mut tensors = Vec::with_capacity(map.len());
    for (name, value) in map {
        if name == METADATA_KEY {
            if let Some((k, v)) = value
                .as_object()
                .and_then(|m| m.iter().find(|(_, v)| !v.is_string()))
            {
                return Err(fail(format!(
                    "`{METADATA_KEY}` entry `{k}` is not a string: {v}"
                )));
            }
            metadata = Some(HashMap::deserialize(&value).map_err(|e| {
                fail(format!(
                    "`{METADATA_KEY}` is not a JSON object of strings: {e}"
                ))
            })?);
            continue;
        }
        let bad = |what: String| fail(format!("tensor `{name}`: {what}"));
        let info = TensorInfo::deserialize(&value).map_err(|e| match value.get("dtype") {
            Some(Value::String(d)) if Dtype::deserialize(&value["dtype"]).is_err() => {
                bad(format!("unknown dtype `{d}`"))
            }
            _ => bad(format!("malformed header entry: {e}")),
        })?;
        let (s, e) = info.data_offsets;
        if s > e {
            return Err(bad(format!("data_offsets [{s}, {e}] are reversed")));
        }
        if e > data_len {
            return Err(bad(format!(
                "data_offsets [{s}, {e}] run past the end of the {data_len}-byte data section"
            )));
        }
        tensors.push((name, info));
    }
    tensors.sort_by_key(|(_, info)| info.data_offsets);
    let meta = Metadata::new(metadata, tensors.clone()).map_err(|e| explain(path, &tensors, e))?;
    // The tensors tile `0..end` with `end <= data_len`; the data section must hold nothing else.
    let end = meta.data_len();
    if end < data_len {
        return Err(fail(format!(
            "the last {} of the {data_len} data bytes belong to no tensor",
            data_len - end
        )));
    }
    Ok(meta)
}

/// Names the entry at fault when the crate rejects the (sorted) tensors; its errors mostly do not.
fn explain(path: &Path, tensors: &[(String, TensorInfo)], err: SafeTensorError) -> Error {
    // Walk in offset order as the crate does: each tensor starts where the previous one ends and
    // spans exactly the bytes its shape and dtype need.
    let mut prev: Option<(&str, usize, usize)> = None;
    for (name, info) in tensors {
        let (s, e) = info.data_offsets;
        let covered = prev.map_or(0, |(_, _, end)| end);
        let what = match (prev, byte_size(info)) {
            (Some((q, qs, qe)), _) if s < covered => {
                format!("tensors `{q}` [{qs}, {qe}] and `{name}` [{s}, {e}] overlap")
            }
            _ if s > covered => format!(
                "{} data bytes before tensor `{name}` belong to no tensor",
                s - covered
            ),
            (_, Err(what)) => format!("tensor `{name}`: {what}"),
            (_, Ok(need)) if need != e - s => format!(
                "tensor `{name}`: shape {:?} of {} needs {need} bytes, but data_offsets [{s}, {e}] span {}",
                info.shape,
                info.dtype,
                e - s
            ),
            _ => {
                prev = Some((name, s, e));
                continue;
            }
        };
        return Error::format(path, what);
    }
    Error::format(
        path,
        format!("header rejected by the safetensors reader: {err}"),
    )
}

/// Decodes an IEEE half-precision value.
fn f16_to_f32(h: u16) -> f32 {
    let negative = h & 0x8000 != 0;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let sign = u32::from(negative) << 31;
    let bits = match exp {
        0 => {
            // Zero or subnormal: man · 2^-24, exact in f32.
            let v = man as f32 * (1.0 / 16_777_216.0);
            return if negative { -v } else { v };
        }
        0x1f => sign | 0x7f80_0000 | (man << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

/// Copies an exact-size chunk into an array (chunks come from `chunks_exact(N)`).
fn arr<const N: usize>(chunk: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(chunk);
    a
}

impl SafetensorsFile {
    /// Parses and validates the bytes of a safetensors file; `path` names it in errors.
    pub fn from_bytes(path: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<Self> {
        let path = path.into();
        let p = path.as_path();
        let Some(head) = bytes.get(..LEN_FIELD) else {
            return Err(Error::format(
                p,
                format!(
                    "file is {} bytes long, shorter than the 8-byte header length field",
                    bytes.len()
                ),
            ));
        };
        let n = check_header_len(p, u64::from_le_bytes(arr(head)), bytes.len() as u64)?;
        let data_start = LEN_FIELD + n;
        let header = bytes
            .get(LEN_FIELD..data_start)
            .ok_or_else(|| Error::format(p, "header runs past the end of the file"))?;
        let header = std::str::from_utf8(header)
            .map_err(|e| Error::format(p, format!("header is not UTF-8: {e}")))?;
        let data_len = bytes.len() - data_start;
        let meta = parse_header(p, header, data_len)?;

        let entries: Vec<TensorEntry> = meta
            .offset_keys()
            .into_iter()
            .filter_map(|name| {
                let info = meta.info(&name)?;
                let (start, end) = info.data_offsets;
                Some(TensorEntry {
                    dtype: FileDtype::from_st(info.dtype),
                    shape: info.shape.clone(),
                    // The crate has checked this product for overflow.
                    numel: info.shape.iter().product(),
                    name,
                    start,
                    end,
                })
            })
            .collect();
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), i))
            .collect();
        let metadata = meta.metadata().clone().unwrap_or_default();
        Ok(SafetensorsFile {
            path,
            bytes,
            data_start,
            entries,
            index,
            metadata: metadata.into_iter().collect(),
        })
    }

    /// The file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The number of tensors.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the file holds no tensors.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every tensor's header entry, in data-offset order.
    pub fn entries(&self) -> &[TensorEntry] {
        &self.entries
    }

    /// The tensor names, in data-offset order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// The header entry of `name`, if present.
    pub fn entry(&self, name: &str) -> Option<&TensorEntry> {
        self.index.get(name).and_then(|&i| self.entries.get(i))
    }

    /// The `__metadata__` map (empty when the file has none).
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// The model config stored under [`CONFIG_KEY`], parsed as JSON (`None` when absent).
    pub fn config_json(&self) -> Result<Option<serde_json::Value>> {
        self.config()
    }

    /// The model config stored under [`CONFIG_KEY`], deserialized into `C` (`None` when absent).
    pub fn config<C: DeserializeOwned>(&self) -> Result<Option<C>> {
        let Some(text) = self.metadata.get(CONFIG_KEY) else {
            return Ok(None);
        };
        serde_json::from_str(text).map(Some).map_err(|e| {
            Error::format(
                &self.path,
                format!("metadata `{CONFIG_KEY}` is not a valid config: {e}"),
            )
        })
    }

    /// The entry of `name` and its data bytes, or a format error naming what the file has.
    fn raw(&self, name: &str) -> Result<(&TensorEntry, &[u8])> {
        let entry = self.entry(name).ok_or_else(|| {
            Error::format(&self.path, format!("no tensor named `{name}` in the file"))
        })?;
        let bytes = self
            .bytes
            .get(self.data_start + entry.start..self.data_start + entry.end)
            .ok_or_else(|| {
                Error::format(&self.path, format!("tensor `{name}`: data out of range"))
            })?;
        Ok((entry, bytes))
    }

    /// Tensor `name` converted to `E` (from F64, F32, F16 or BF16; bit-exact when the dtypes match).
    pub fn tensor<E: Element>(&self, name: &str) -> Result<Tensor<E>> {
        let (entry, b) = self.raw(name)?;
        let data: Vec<E> = match entry.dtype {
            FileDtype::F64 if E::DTYPE == DType::F64 => {
                b.chunks_exact(8).map(E::from_le_slice).collect()
            }
            FileDtype::F32 if E::DTYPE == DType::F32 => {
                b.chunks_exact(4).map(E::from_le_slice).collect()
            }
            FileDtype::F64 => b
                .chunks_exact(8)
                .map(|c| E::of(f64::from_le_bytes(arr(c))))
                .collect(),
            FileDtype::F32 => b
                .chunks_exact(4)
                .map(|c| E::of(f64::from(f32::from_le_bytes(arr(c)))))
                .collect(),
            FileDtype::F16 => b
                .chunks_exact(2)
                .map(|c| E::of(f64::from(f16_to_f32(u16::from_le_bytes(arr(c))))))
                .collect(),
            FileDtype::BF16 => b
                .chunks_exact(2)
                .map(|c| {
                    let bits = u32::from(u16::from_le_bytes(arr(c))) << 16;
                    E::of(f64::from(f32::from_bits(bits)))
                })
                .collect(),
            ref other => {
                return Err(Error::format(
                    &self.path,
                    format!(
                    "tensor `{name}` has dtype {other}, not a float dtype (F64, F32, F16, BF16)"
                ),
                ))
            }
        };
        Tensor::try_new(&entry.shape, data)
            .map_err(|e| Error::format(&self.path, format!("tensor `{name}`: {e}")))
    }

    /// Integer tensor `name` (e.g. `lengths`) as its shape and i64 values (from any integer or BOOL dtype).
    pub fn tensor_i64(&self, name: &str) -> Result<(Vec<usize>, Vec<i64>)> {
        let (entry, b) = self.raw(name)?;
        let data: Vec<i64> = match entry.dtype {
            FileDtype::I64 => b
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(arr(c)))
                .collect(),
            FileDtype::I32 => b
                .chunks_exact(4)
                .map(|c| i64::from(i32::from_le_bytes(arr(c))))
                .collect(),
            FileDtype::I16 => b
                .chunks_exact(2)
                .map(|c| i64::from(i16::from_le_bytes(arr(c))))
                .collect(),
            FileDtype::I8 => b.iter().map(|&x| i64::from(x as i8)).collect(),
            FileDtype::U64 => b
                .chunks_exact(8)
                .map(|c| {
                    let x = u64::from_le_bytes(arr(c));
                    i64::try_from(x).map_err(|_| {
                        Error::format(
                            &self.path,
                            format!("tensor `{name}`: U64 value {x} does not fit in i64"),
                        )
                    })
                })
                .collect::<Result<_>>()?,
            FileDtype::U32 => b
                .chunks_exact(4)
                .map(|c| i64::from(u32::from_le_bytes(arr(c))))
                .collect(),
            FileDtype::U16 => b
                .chunks_exact(2)
                .map(|c| i64::from(u16::from_le_bytes(arr(c))))
                .collect(),
            FileDtype::U8 | FileDtype::Bool => b.iter().map(|&x| i64::from(x)).collect(),
            ref other => {
                return Err(Error::format(
                    &self.path,
                    format!("tensor `{name}` has dtype {other}, not an integer dtype"),
                ))
            }
        };
        Ok((entry.shape.clone(), data))
    }
}
