//! safetensors files: atomic writes, validated reads, and strict or lenient loading into a store.
//!
//! A file is an 8-byte little-endian header length `n`, `n` bytes of JSON header (tensor name →
//! `{dtype, shape, data_offsets}` plus an optional `__metadata__` map of strings), then the data.
//! Every claim of the header is checked against the real file size before anything is allocated
//! from it, and the result is cross-checked with the reference `safetensors` reader.

use super::store::{ParamId, ParamStore};
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The `__metadata__` key under which the model config is stored as JSON.
pub const CONFIG_KEY: &str = "config";

/// The header key that holds the string-to-string metadata map.
const METADATA_KEY: &str = "__metadata__";
/// Size of the leading header-length field.
const LEN_FIELD: usize = 8;
/// The largest header accepted (the reference reader's limit).
const MAX_HEADER_LEN: u64 = 100_000_000;
/// Elements encoded per write call when streaming a tensor out.
const WRITE_CHUNK: usize = 1 << 14;

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

/// One header entry before validation (`shape` and offsets as u64 so nothing is lost to `usize`).
#[derive(Deserialize)]
struct RawEntry {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: [u64; 2],
}

/// The header length must fit the file and the reference limit; checked before any allocation.
fn check_header_len(path: &Path, n: u64, file_len: u64) -> Result<usize> {
    if n > MAX_HEADER_LEN {
        return Err(Error::format(
            path,
            format!("header length {n} exceeds the limit of {MAX_HEADER_LEN} bytes"),
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

/// The product of a shape, or `None` on overflow.
fn checked_numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Parses one header entry and checks it against the data section (`data_len` bytes).
fn parse_entry(
    path: &Path,
    name: String,
    value: serde_json::Value,
    data_len: usize,
) -> Result<TensorEntry> {
    let bad = |what: String| Error::format(path, format!("tensor `{name}`: {what}"));
    let raw: RawEntry =
        serde_json::from_value(value).map_err(|e| bad(format!("malformed header entry: {e}")))?;
    let st_dtype: ::safetensors::Dtype =
        serde_json::from_value(serde_json::Value::String(raw.dtype.clone()))
            .map_err(|_| bad(format!("unknown dtype `{}`", raw.dtype)))?;
    let shape = raw
        .shape
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<Result<Vec<usize>, _>>()
        .map_err(|_| bad(format!("shape {:?} has a dimension too large", raw.shape)))?;
    let numel = checked_numel(&shape).ok_or_else(|| {
        bad(format!(
            "shape {shape:?} has more elements than can be addressed"
        ))
    })?;
    let bits = numel
        .checked_mul(st_dtype.bitsize())
        .ok_or_else(|| bad(format!("shape {shape:?} of {st_dtype} overflows")))?;
    if bits % 8 != 0 {
        return Err(bad(format!(
            "{numel} elements of {st_dtype} do not fill whole bytes"
        )));
    }
    let need = bits / 8;
    let [s, e] = raw.data_offsets;
    if s > e {
        return Err(bad(format!("data_offsets [{s}, {e}] are reversed")));
    }
    if e > data_len as u64 {
        return Err(bad(format!(
            "data_offsets [{s}, {e}] run past the end of the {data_len}-byte data section"
        )));
    }
    // Both offsets are ≤ data_len, which is a usize.
    let (start, end) = (s as usize, e as usize);
    if end - start != need {
        return Err(bad(format!(
            "shape {shape:?} of {st_dtype} needs {need} bytes, but data_offsets [{s}, {e}] span {}",
            end - start
        )));
    }
    Ok(TensorEntry {
        name,
        dtype: FileDtype::from_st(st_dtype),
        shape,
        numel,
        start,
        end,
    })
}

/// The `__metadata__` object as a string map.
fn parse_metadata(path: &Path, value: serde_json::Value) -> Result<BTreeMap<String, String>> {
    let serde_json::Value::Object(map) = value else {
        return Err(Error::format(
            path,
            format!("`{METADATA_KEY}` is not a JSON object of strings"),
        ));
    };
    map.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k, s)),
            other => Err(Error::format(
                path,
                format!("`{METADATA_KEY}` entry `{k}` is not a string: {other}"),
            )),
        })
        .collect()
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
        let header: serde_json::Value = serde_json::from_str(header)
            .map_err(|e| Error::format(p, format!("header is not valid JSON: {e}")))?;
        let serde_json::Value::Object(header) = header else {
            return Err(Error::format(p, "header is not a JSON object"));
        };
        let data_len = bytes.len() - data_start;

        let mut metadata = BTreeMap::new();
        let mut entries = Vec::with_capacity(header.len());
        for (name, value) in header {
            if name == METADATA_KEY {
                metadata = parse_metadata(p, value)?;
            } else {
                entries.push(parse_entry(p, name, value, data_len)?);
            }
        }

        // The tensors must tile the data section exactly: sorted, contiguous, no overlap, no gap.
        entries.sort_by_key(|e| (e.start, e.end));
        let mut covered = 0usize;
        let mut prev: Option<&TensorEntry> = None;
        for e in &entries {
            if e.start != covered {
                let what = match prev {
                    Some(q) if e.start < covered => format!(
                        "tensors `{}` [{}, {}] and `{}` [{}, {}] overlap",
                        q.name, q.start, q.end, e.name, e.start, e.end
                    ),
                    _ => format!(
                        "{} data bytes before tensor `{}` belong to no tensor",
                        e.start - covered,
                        e.name
                    ),
                };
                return Err(Error::format(p, what));
            }
            covered = e.end;
            prev = Some(e);
        }
        if covered != data_len {
            return Err(Error::format(
                p,
                format!(
                    "the last {} of the {data_len} data bytes belong to no tensor",
                    data_len - covered
                ),
            ));
        }

        // Second opinion from the reference reader (all offsets are in range, so it cannot overflow).
        ::safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| {
            Error::format(
                p,
                format!("rejected by the reference safetensors reader: {e}"),
            )
        })?;

        let index = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), i))
            .collect();
        Ok(SafetensorsFile {
            path,
            bytes,
            data_start,
            entries,
            index,
            metadata,
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

/// Metadata holding `config` serialized as JSON under [`CONFIG_KEY`]; add other string keys freely.
pub fn config_metadata<C: Serialize + ?Sized>(config: &C) -> Result<BTreeMap<String, String>> {
    let json = serde_json::to_string(config)
        .map_err(|e| Error::Config(format!("cannot serialize the config as JSON: {e}")))?;
    Ok(BTreeMap::from([(CONFIG_KEY.to_string(), json)]))
}

/// Distinguishes temp files of concurrent saves within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes through `write` to a temp file beside `path`, fsyncs it and renames it over `path`;
/// on any failure the temp file is removed and `path` is untouched.
fn atomic_write(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<()> {
    let Some(file_name) = path.file_name() else {
        return Err(Error::io(
            path,
            io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"),
        ));
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp_name = OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = dir.join(tmp_name);
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| Error::io(&tmp, e))?;
    let result = (|| {
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        let file = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    // Make the rename durable; not every platform can open a directory, so this is best effort.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
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

/// What a load did: the keys loaded and, for each key skipped, one problem message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Parameters whose value was replaced from the file.
    pub loaded: Vec<String>,
    /// Parameters of the store that the file lacks.
    pub missing: Vec<String>,
    /// Tensors of the file that the store lacks.
    pub unexpected: Vec<String>,
    /// Keys present in both whose shape or dtype does not fit.
    pub mismatched: Vec<String>,
    /// One message per skipped key, naming the key and the expected and found shapes.
    pub problems: Vec<String>,
}

impl LoadReport {
    /// Whether every parameter was loaded and the file held nothing else.
    pub fn is_complete(&self) -> bool {
        self.problems.is_empty()
    }
}

impl<E: Element> ParamStore<E> {
    /// Saves every parameter (by name, dtype `E::DTYPE`) and `metadata` to `path`, atomically.
    pub fn save(&self, path: impl AsRef<Path>, metadata: &BTreeMap<String, String>) -> Result<()> {
        let tensors: Vec<(&str, &Tensor<E>)> = self
            .iter()
            .map(|(_, p)| (p.name.as_str(), &p.value))
            .collect();
        write_tensors(path, &tensors, metadata)
    }

    /// Loads parameter values from a safetensors file by name (see [`ParamStore::load_from`]).
    pub fn load(&mut self, path: impl AsRef<Path>, strict: bool) -> Result<LoadReport> {
        let file = read_tensors(path)?;
        self.load_from(&file, strict)
    }

    /// Loads values by name, converting float dtypes to `E`; strict mode fails with every problem
    /// in one [`Error::Load`] and changes nothing, lenient mode loads what fits and reports the rest.
    pub fn load_from(&mut self, file: &SafetensorsFile, strict: bool) -> Result<LoadReport> {
        let mut report = LoadReport::default();
        let mut updates: Vec<(ParamId, Tensor<E>)> = Vec::new();
        let mut known = BTreeSet::new();
        for (id, p) in self.iter() {
            known.insert(p.name.as_str());
            let expected = p.value.shape();
            let Some(entry) = file.entry(&p.name) else {
                report.missing.push(p.name.clone());
                report.problems.push(format!(
                    "missing key `{}`: expected shape {expected:?}, found none",
                    p.name
                ));
                continue;
            };
            let problem = if entry.shape != expected {
                Some(format!(
                    "key `{}`: shape mismatch: expected {expected:?}, found {:?}",
                    p.name, entry.shape
                ))
            } else if !entry.dtype.is_float() {
                Some(format!(
                    "key `{}`: dtype {} cannot be loaded as floats (expected {}; F64, F32, F16 \
                     and BF16 are converted), shape expected {expected:?}, found {:?}",
                    p.name,
                    entry.dtype,
                    E::DTYPE.name(),
                    entry.shape
                ))
            } else {
                match file.tensor::<E>(&p.name) {
                    Ok(t) => {
                        updates.push((id, t));
                        None
                    }
                    Err(e) => Some(format!("key `{}`: {e}", p.name)),
                }
            };
            if let Some(problem) = problem {
                report.mismatched.push(p.name.clone());
                report.problems.push(problem);
            } else {
                report.loaded.push(p.name.clone());
            }
        }
        for entry in file.entries() {
            if !known.contains(entry.name.as_str()) {
                report.unexpected.push(entry.name.clone());
                report.problems.push(format!(
                    "unexpected key `{}`: expected none, found shape {:?} ({})",
                    entry.name, entry.shape, entry.dtype
                ));
            }
        }
        if strict && !report.problems.is_empty() {
            return Err(Error::Load {
                path: file.path().to_path_buf(),
                problems: report.problems,
            });
        }
        for (id, t) in updates {
            self.set_value(id, t);
        }
        Ok(report)
    }
}
