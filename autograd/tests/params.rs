//! ParamPath names, safetensors round trips, strict/lenient loading, atomic writes and corrupted files.

use autograd::params::{config_metadata, read_tensors, write_tensors, FileDtype, CONFIG_KEY};
use autograd::{Error, ParamStore, SafetensorsFile, Tensor};
use proptest::prelude::*;
use safetensors::tensor::TensorView;
use safetensors::Dtype;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system temp dir, removed on drop.
struct TestDir(PathBuf);

impl TestDir {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "seqzoo-params-{}-{tag}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TestDir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A small f32 model with awkward values (signed zero, subnormal, infinities, NaN payload).
fn sample_store_f32() -> ParamStore<f32> {
    let mut store = ParamStore::new();
    let mut enc = store.path("encoder");
    let mut rnn = enc.path("rnn");
    rnn.add(
        "weight_ih_l0",
        Tensor::from_slice(
            &[2, 3],
            &[
                1.5,
                -0.0,
                f32::from_bits(1),
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::from_bits(0x7fc0_1234),
            ],
        ),
    );
    rnn.add("bias_ih_l0", Tensor::from_slice(&[2], &[0.1, -0.2]));
    store.path("head").add(
        "weight",
        Tensor::from_fn(&[3, 4], |i| i as f32 * 0.37 - 1.0),
    );
    store
        .root()
        .add("scale", Tensor::scalar(std::f32::consts::PI));
    store.root().add("empty", Tensor::zeros(&[0, 3]));
    store
}

/// The same model in f64.
fn sample_store_f64() -> ParamStore<f64> {
    let mut store = ParamStore::new();
    store.path("encoder.rnn").add(
        "weight_ih_l0",
        Tensor::from_slice(
            &[2, 3],
            &[
                1.0 / 3.0,
                -0.0,
                f64::from_bits(1),
                f64::INFINITY,
                f64::MIN_POSITIVE,
                f64::from_bits(0x7ff8_0000_dead_beef),
            ],
        ),
    );
    store
        .path("head")
        .add("weight", Tensor::from_fn(&[3, 4], |i| (i as f64).sqrt()));
    store
}

fn bits32(t: &Tensor<f32>) -> Vec<u32> {
    t.data().iter().map(|x| x.to_bits()).collect()
}

fn bits64(t: &Tensor<f64>) -> Vec<u64> {
    t.data().iter().map(|x| x.to_bits()).collect()
}

/// Serializes raw tensors with the reference crate (what PyTorch's `save_file` produces).
fn reference_file(
    tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)],
    meta: &[(&str, &str)],
) -> Vec<u8> {
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(n, d, s, b)| (n.to_string(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    let meta = if meta.is_empty() {
        None
    } else {
        Some(
            meta.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    };
    safetensors::serialize(views, meta).unwrap()
}

fn f32_bytes(xs: &[f32]) -> Vec<u8> {
    xs.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A file from a header given as JSON text, padded like the reference writer, and `data`.
fn craft(header: &str, data: &[u8]) -> Vec<u8> {
    let mut h = header.as_bytes().to_vec();
    h.resize(h.len().next_multiple_of(8), b' ');
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    out
}

fn parse(bytes: &[u8]) -> autograd::Result<SafetensorsFile> {
    SafetensorsFile::from_bytes("crafted.safetensors", bytes.to_vec())
}

/// Asserts a format error naming the file and containing `needle`.
fn assert_format_err(result: autograd::Result<SafetensorsFile>, needle: &str) {
    match result {
        Err(Error::Format { path, what }) => {
            assert_eq!(path, Path::new("crafted.safetensors"));
            assert!(what.contains(needle), "{what:?} should mention {needle:?}");
        }
        Err(other) => panic!("expected a format error, got {other}"),
        Ok(f) => panic!("expected a format error, got {f:?}"),
    }
}

fn valid_bytes() -> Vec<u8> {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(save_valid).clone()
}

fn save_valid() -> Vec<u8> {
    let dir = TestDir::new("valid");
    let path = dir.join("m.safetensors");
    let meta = config_metadata(&serde_json::json!({"hidden": 4, "cell": "lstm"})).unwrap();
    sample_store_f32().save(&path, &meta).unwrap();
    std::fs::read(&path).unwrap()
}

// ---------------------------------------------------------------- paths

#[test]
fn nested_paths_build_dotted_names() {
    let mut store = ParamStore::<f32>::new();
    let mut enc = store.path("encoder");
    assert_eq!(enc.prefix(), "encoder");
    {
        let mut rnn = enc.path("rnn");
        assert_eq!(rnn.name("weight_ih_l0"), "encoder.rnn.weight_ih_l0");
        let id = rnn.add("weight_ih_l0", Tensor::zeros(&[8, 3]));
        assert_eq!(rnn.store().get(id).name, "encoder.rnn.weight_ih_l0");
        rnn.path(0).add("bias", Tensor::zeros(&[2]));
    }
    enc.add("proj", Tensor::zeros(&[1]));
    let layers = enc.into_path("layers");
    assert_eq!(layers.name(1), "encoder.layers.1");
    store.root().add("top", Tensor::zeros(&[1]));
    store.path("a.b").add("c", Tensor::zeros(&[1]));
    assert_eq!(store.root().name("x"), "x");
    let names: Vec<&str> = store.names().collect();
    assert_eq!(
        names,
        [
            "a.b.c",
            "encoder.proj",
            "encoder.rnn.0.bias",
            "encoder.rnn.weight_ih_l0",
            "top"
        ]
    );
    assert!(store.id("encoder.rnn.weight_ih_l0").is_some());
}

#[test]
#[should_panic(expected = "already registered")]
fn path_add_panics_on_duplicate_name() {
    let mut store = ParamStore::<f32>::new();
    store.path("a").add("w", Tensor::zeros(&[1]));
    store.root().path("a").add("w", Tensor::zeros(&[1]));
}

#[test]
#[should_panic(expected = "not a valid dotted name")]
fn path_rejects_empty_segments() {
    let mut store = ParamStore::<f32>::new();
    store.path("a").path("").add("w", Tensor::zeros(&[1]));
}

// ---------------------------------------------------------------- round trips

#[test]
fn f32_round_trip_is_bit_exact() {
    let dir = TestDir::new("rt32");
    let path = dir.join("m.safetensors");
    let store = sample_store_f32();
    store.save(&path, &BTreeMap::new()).unwrap();

    let file = read_tensors(&path).unwrap();
    assert_eq!(file.len(), store.len());
    assert!(file.metadata().is_empty());
    for (_, p) in store.iter() {
        let e = file.entry(&p.name).unwrap();
        assert_eq!(e.dtype, FileDtype::F32);
        assert_eq!(e.shape, p.value.shape());
        assert_eq!(
            bits32(&file.tensor::<f32>(&p.name).unwrap()),
            bits32(&p.value)
        );
    }

    let mut fresh = sample_store_f32();
    for (_, p) in fresh.iter_mut() {
        p.value = Tensor::zeros(p.value.shape());
    }
    let report = fresh.load(&path, true).unwrap();
    assert!(report.is_complete());
    assert_eq!(report.loaded.len(), store.len());
    for ((_, a), (_, b)) in store.iter().zip(fresh.iter()) {
        assert_eq!(bits32(&a.value), bits32(&b.value), "{}", a.name);
    }
}

#[test]
fn f64_round_trip_is_bit_exact() {
    let dir = TestDir::new("rt64");
    let path = dir.join("m.safetensors");
    let store = sample_store_f64();
    store.save(&path, &BTreeMap::new()).unwrap();
    let file = read_tensors(&path).unwrap();
    assert!(file.entries().iter().all(|e| e.dtype == FileDtype::F64));

    let mut fresh = sample_store_f64();
    for (_, p) in fresh.iter_mut() {
        p.value = Tensor::zeros(p.value.shape());
    }
    fresh.load(&path, true).unwrap();
    for ((_, a), (_, b)) in store.iter().zip(fresh.iter()) {
        assert_eq!(bits64(&a.value), bits64(&b.value), "{}", a.name);
    }
}

#[test]
fn metadata_and_config_round_trip() {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Config {
        cell: String,
        hidden: usize,
        layers: Vec<u32>,
    }
    let config = Config {
        cell: "gru".into(),
        hidden: 32,
        layers: vec![1, 2],
    };
    let dir = TestDir::new("meta");
    let path = dir.join("m.safetensors");
    let mut meta = config_metadata(&config).unwrap();
    meta.insert("format".into(), "pt".into());
    meta.insert("note".into(), "ünïcode \"quoted\"\n".into());
    sample_store_f32().save(&path, &meta).unwrap();

    let file = read_tensors(&path).unwrap();
    assert_eq!(file.metadata(), &meta);
    assert_eq!(file.config::<Config>().unwrap(), Some(config));
    let json = file.config_json().unwrap().unwrap();
    assert_eq!(json["hidden"], 32);
    assert!(file.metadata().contains_key(CONFIG_KEY));

    // A file without config reports none; a config that does not parse is a format error.
    let dir2 = TestDir::new("meta2");
    let p2 = dir2.join("m.safetensors");
    let mut bad = BTreeMap::new();
    bad.insert(CONFIG_KEY.to_string(), "{not json".to_string());
    sample_store_f32().save(&p2, &bad).unwrap();
    let f2 = read_tensors(&p2).unwrap();
    assert!(matches!(f2.config_json(), Err(Error::Format { .. })));
    sample_store_f32().save(&p2, &BTreeMap::new()).unwrap();
    assert_eq!(read_tensors(&p2).unwrap().config_json().unwrap(), None);
}

#[test]
fn written_files_are_read_by_the_reference_crate() {
    let bytes = valid_bytes();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let w = st.tensor("encoder.rnn.weight_ih_l0").unwrap();
    assert_eq!(w.dtype(), Dtype::F32);
    assert_eq!(w.shape(), &[2, 3]);
    assert_eq!(&w.data()[..4], &1.5f32.to_le_bytes());
    let (n, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    assert_eq!(n % 8, 0, "header is padded to 8 bytes");
    let config = &meta.metadata().as_ref().unwrap()["config"];
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(config).unwrap()["cell"],
        "lstm"
    );
    // Saving twice gives the same bytes (deterministic header).
    assert_eq!(bytes, save_valid());
}

#[test]
fn reads_reference_files_with_half_and_integer_dtypes() {
    let f16: Vec<u8> = [0x3c00u16, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let bf16: Vec<u8> = [0x3f80u16, 0xc040]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let i64s: Vec<u8> = [3i64, -7].iter().flat_map(|x| x.to_le_bytes()).collect();
    let i32s: Vec<u8> = [5i32, 0, -1].iter().flat_map(|x| x.to_le_bytes()).collect();
    let bytes = reference_file(
        &[
            ("half", Dtype::F16, vec![2, 3], f16),
            ("brain", Dtype::BF16, vec![2], bf16),
            ("lengths", Dtype::I64, vec![2], i64s),
            ("ids", Dtype::I32, vec![3], i32s),
            ("w", Dtype::F32, vec![2], f32_bytes(&[0.5, 2.0])),
        ],
        &[("format", "pt")],
    );
    let file = parse(&bytes).unwrap();
    assert_eq!(file.metadata()["format"], "pt");
    assert_eq!(file.entry("half").unwrap().dtype, FileDtype::F16);
    let h = file.tensor::<f32>("half").unwrap();
    assert_eq!(h.shape(), &[2, 3]);
    assert_eq!(
        h.data(),
        &[1.0, -2.0, 65504.0, 2f32.powi(-24), f32::INFINITY, -0.0]
    );
    assert!(h.data()[5].is_sign_negative());
    assert_eq!(file.tensor::<f64>("brain").unwrap().data(), &[1.0, -3.0]);
    assert_eq!(file.tensor_i64("lengths").unwrap(), (vec![2], vec![3, -7]));
    assert_eq!(file.tensor_i64("ids").unwrap(), (vec![3], vec![5, 0, -1]));
    assert_eq!(file.tensor::<f64>("w").unwrap().data(), &[0.5, 2.0]);
    assert!(matches!(
        file.tensor::<f32>("lengths"),
        Err(Error::Format { .. })
    ));
    assert!(matches!(file.tensor_i64("w"), Err(Error::Format { .. })));
    assert!(matches!(
        file.tensor::<f32>("nope"),
        Err(Error::Format { .. })
    ));
}

#[test]
fn f32_file_loads_into_f64_store() {
    let dir = TestDir::new("cast");
    let path = dir.join("m.safetensors");
    let mut s32 = ParamStore::<f32>::new();
    s32.path("l")
        .add("w", Tensor::from_slice(&[3], &[0.1, -2.5, 1e-30]));
    s32.save(&path, &BTreeMap::new()).unwrap();
    let mut s64 = ParamStore::<f64>::new();
    let id = s64.path("l").add("w", Tensor::zeros(&[3]));
    s64.load(&path, true).unwrap();
    let want: Vec<f64> = [0.1f32, -2.5, 1e-30]
        .iter()
        .map(|&x| f64::from(x))
        .collect();
    assert_eq!(s64.value(id).data(), want.as_slice());
}

#[test]
fn write_rejects_duplicate_and_reserved_names() {
    let dir = TestDir::new("names");
    let path = dir.join("m.safetensors");
    let t = Tensor::<f32>::zeros(&[1]);
    let dup = write_tensors(&path, &[("a", &t), ("a", &t)], &BTreeMap::new());
    assert!(matches!(dup, Err(Error::Data(ref m)) if m.contains("`a`")));
    let reserved = write_tensors(&path, &[("__metadata__", &t)], &BTreeMap::new());
    assert!(matches!(reserved, Err(Error::Data(_))));
    assert!(
        dir.listing().is_empty(),
        "nothing written: {:?}",
        dir.listing()
    );
}

// ---------------------------------------------------------------- loading

/// A store and a file that disagree in every possible way, plus one key that matches.
fn mismatched_setup(dir: &TestDir) -> (ParamStore<f32>, PathBuf) {
    let mut store = ParamStore::<f32>::new();
    let mut enc = store.path("enc");
    enc.add("w", Tensor::full(&[4, 3], 7.0));
    enc.add("b", Tensor::full(&[3], 7.0));
    let mut dec = store.path("dec");
    dec.add("w", Tensor::full(&[2, 2], 7.0));
    dec.add("len", Tensor::full(&[2], 7.0));

    let bytes = reference_file(
        &[
            ("enc.w", Dtype::F32, vec![3, 4], f32_bytes(&[1.0; 12])),
            (
                "dec.w",
                Dtype::F32,
                vec![2, 2],
                f32_bytes(&[1.0, 2.0, 3.0, 4.0]),
            ),
            ("dec.len", Dtype::I64, vec![2], vec![0; 16]),
            ("extra.bias", Dtype::F32, vec![5], f32_bytes(&[0.0; 5])),
        ],
        &[],
    );
    let path = dir.join("mismatch.safetensors");
    std::fs::write(&path, bytes).unwrap();
    (store, path)
}

#[test]
fn strict_load_reports_every_problem_in_one_error() {
    let dir = TestDir::new("strict");
    let (mut store, path) = mismatched_setup(&dir);
    let before: Vec<Vec<f32>> = store.iter().map(|(_, p)| p.value.to_vec()).collect();
    let err = store.load(&path, true).unwrap_err();
    let msg = err.to_string();
    match &err {
        Error::Load { path: p, problems } => {
            assert_eq!(p, &path);
            assert_eq!(problems.len(), 4, "{problems:#?}");
        }
        other => panic!("expected Error::Load, got {other}"),
    }
    for needle in [
        "mismatch.safetensors",
        "`enc.w`",
        "[4, 3]",
        "[3, 4]",
        "missing key `enc.b`",
        "`dec.len`",
        "I64",
        "unexpected key `extra.bias`",
        "[5]",
    ] {
        assert!(msg.contains(needle), "{msg:?} should mention {needle:?}");
    }
    assert!(!msg.contains("`dec.w`"), "dec.w matches: {msg}");
    let after: Vec<Vec<f32>> = store.iter().map(|(_, p)| p.value.to_vec()).collect();
    assert_eq!(before, after, "a failed strict load changes nothing");
}

#[test]
fn lenient_load_loads_what_fits_and_reports_the_rest() {
    let dir = TestDir::new("lenient");
    let (mut store, path) = mismatched_setup(&dir);
    let report = store.load(&path, false).unwrap();
    assert!(!report.is_complete());
    assert_eq!(report.loaded, ["dec.w"]);
    assert_eq!(report.missing, ["enc.b"]);
    assert_eq!(report.unexpected, ["extra.bias"]);
    assert_eq!(report.mismatched, ["enc.w", "dec.len"]);
    assert_eq!(report.problems.len(), 4);
    let dec_w = store.id("dec.w").unwrap();
    assert_eq!(store.value(dec_w).data(), &[1.0, 2.0, 3.0, 4.0]);
    let enc_w = store.id("enc.w").unwrap();
    assert!(store.value(enc_w).data().iter().all(|&x| x == 7.0));
}

// ---------------------------------------------------------------- atomic writes

#[test]
fn overwrite_replaces_the_file_and_leaves_no_temp_files() {
    let dir = TestDir::new("over");
    let path = dir.join("m.safetensors");
    sample_store_f32().save(&path, &BTreeMap::new()).unwrap();
    sample_store_f64().save(&path, &BTreeMap::new()).unwrap();
    assert_eq!(dir.listing(), ["m.safetensors"]);
    let file = read_tensors(&path).unwrap();
    assert_eq!(file.len(), sample_store_f64().len());
}

#[test]
fn failed_write_leaves_the_old_file_intact() {
    let dir = TestDir::new("atomic");
    // The target's name is legal, but the temp name beside it exceeds NAME_MAX (255 bytes), so the
    // temp file cannot be created — a failure that happens even as root.
    let name = format!("{}.st", "m".repeat(247));
    let path = dir.join(&name);
    std::fs::write(&path, valid_bytes()).unwrap();
    let old = std::fs::read(&path).unwrap();

    let err = sample_store_f64()
        .save(&path, &BTreeMap::new())
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), old, "old file untouched");
    assert_eq!(dir.listing(), [name], "no temp file left behind");

    // A parent that is a file: an I/O error, nothing created.
    let blocker = dir.join("blocker");
    std::fs::write(&blocker, b"x").unwrap();
    let err = sample_store_f32()
        .save(blocker.join("m.safetensors"), &BTreeMap::new())
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert_eq!(std::fs::read(&blocker).unwrap(), b"x");

    // The target is a non-empty directory: the rename fails and the temp file is cleaned up.
    let target_dir = dir.join("occupied");
    std::fs::create_dir(&target_dir).unwrap();
    std::fs::write(target_dir.join("keep"), b"k").unwrap();
    let err = sample_store_f32()
        .save(&target_dir, &BTreeMap::new())
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert_eq!(std::fs::read(target_dir.join("keep")).unwrap(), b"k");
    assert_eq!(dir.listing().len(), 3, "{:?}", dir.listing());
}

// ---------------------------------------------------------------- corrupted files

#[test]
fn missing_files_and_directories_are_errors() {
    let dir = TestDir::new("missing");
    assert!(matches!(
        read_tensors(dir.join("nope.safetensors")),
        Err(Error::Io { .. })
    ));
    assert!(matches!(read_tensors(&dir.0), Err(Error::Format { .. })));
}

#[test]
fn every_truncation_is_a_format_error() {
    let bytes = valid_bytes();
    assert!(parse(&bytes).is_ok());
    let dir = TestDir::new("trunc");
    let path = dir.join("t.safetensors");
    for len in 0..bytes.len() {
        assert!(parse(&bytes[..len]).is_err(), "in memory, length {len}");
        std::fs::write(&path, &bytes[..len]).unwrap();
        match read_tensors(&path) {
            Err(Error::Format { path: p, what }) => {
                assert_eq!(p, path, "length {len}: {what}")
            }
            Err(e) => panic!("length {len}: expected a format error, got {e}"),
            Ok(_) => panic!("length {len}: truncated file accepted"),
        }
    }
    // Trailing garbage is an error too.
    let mut longer = bytes.clone();
    longer.push(0);
    assert_format_err(parse(&longer), "belong to no tensor");
}

#[test]
fn any_change_to_the_length_field_is_an_error() {
    let bytes = valid_bytes();
    for i in 0..8 {
        for v in [0x00u8, 0x01, 0x7f, 0x80, 0xff] {
            let mut b = bytes.clone();
            if b[i] == v {
                continue;
            }
            b[i] = v;
            assert!(parse(&b).is_err(), "byte {i} set to {v:#x}");
        }
    }
    for n in [0u64, 1, 7, u64::MAX, 1 << 40, 100_000_001] {
        let mut b = bytes.clone();
        b[..8].copy_from_slice(&n.to_le_bytes());
        assert!(parse(&b).is_err(), "header length {n}");
    }
}

#[test]
fn header_byte_flips_never_panic_and_are_validated() {
    let bytes = valid_bytes();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let (mut accepted, mut tried) = (0, 0);
    for i in 8..8 + n {
        for v in [
            b'"', b'}', b'{', b'[', b',', b'9', b'0', b'-', b' ', 0x00, 0x80, 0xff,
        ] {
            let mut b = bytes.clone();
            if b[i] == v {
                continue;
            }
            b[i] = v;
            tried += 1;
            if let Ok(f) = parse(&b) {
                // Only harmless edits (a renamed key, edited metadata text, whitespace) survive,
                // and what survives still tiles the data exactly.
                accepted += 1;
                let total: usize = f.entries().iter().map(|e| e.byte_len()).sum();
                assert_eq!(total, bytes.len() - 8 - n);
                for e in f.entries() {
                    if e.dtype.is_float() {
                        f.tensor::<f64>(&e.name).unwrap();
                    }
                }
            }
        }
    }
    eprintln!("header flips: {accepted} of {tried} accepted");
    assert!(
        accepted * 4 < tried,
        "{accepted} of {tried} header corruptions accepted"
    );
}

#[test]
fn lying_headers_are_format_errors() {
    let d16 = [0u8; 16];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "10^12 elements",
            craft(
                r#"{"w":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4000000000000]}}"#,
                &d16,
            ),
            "run past the end",
        ),
        (
            "10^12 elements, small offsets",
            craft(
                r#"{"w":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,16]}}"#,
                &d16,
            ),
            "needs 4000000000000 bytes",
        ),
        (
            "offsets past the end",
            craft(r#"{"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}"#, &d16),
            "run past the end",
        ),
        (
            "offsets at u64::MAX",
            craft(
                r#"{"w":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551614,18446744073709551615]}}"#,
                &d16,
            ),
            "run past the end",
        ),
        (
            "offset beyond u64",
            craft(
                r#"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,99999999999999999999]}}"#,
                &d16,
            ),
            "malformed",
        ),
        (
            "chained huge tensors (would overflow the reference reader's sum)",
            craft(
                &format!(
                    "{{{}}}",
                    (0..8u64)
                        .map(|i| {
                            let size = (1u64 << 61) - 1;
                            format!(
                                r#""t{i}":{{"dtype":"BOOL","shape":[{size}],"data_offsets":[{},{}]}}"#,
                                i * size,
                                (i + 1) * size
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                &d16,
            ),
            "run past the end",
        ),
        (
            "overlapping",
            craft(
                r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                &d16,
            ),
            "overlap",
        ),
        (
            "identical ranges",
            craft(
                r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
                &d16,
            ),
            "overlap",
        ),
        (
            "gap",
            craft(
                r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#,
                &d16,
            ),
            "belong to no tensor",
        ),
        (
            "reversed offsets",
            craft(r#"{"w":{"dtype":"U8","shape":[0],"data_offsets":[16,0]}}"#, &d16),
            "reversed",
        ),
        (
            "data not covered",
            craft(r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, &d16),
            "belong to no tensor",
        ),
        (
            "wrong dtype size",
            craft(r#"{"w":{"dtype":"F64","shape":[3],"data_offsets":[0,12]}}"#, &d16[..12]),
            "needs 24 bytes",
        ),
        (
            "sub-byte dtype",
            craft(r#"{"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#, &d16[..2]),
            "whole bytes",
        ),
        (
            "unknown dtype",
            craft(r#"{"w":{"dtype":"F33","shape":[4],"data_offsets":[0,16]}}"#, &d16),
            "unknown dtype",
        ),
        (
            "shape overflow",
            craft(
                r#"{"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,16]}}"#,
                &d16,
            ),
            "more elements",
        ),
        (
            "negative dimension",
            craft(r#"{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}"#, &d16),
            "malformed",
        ),
        (
            "fractional dimension",
            craft(r#"{"w":{"dtype":"F32","shape":[4.0],"data_offsets":[0,16]}}"#, &d16),
            "malformed",
        ),
        (
            "three offsets",
            craft(r#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8,16]}}"#, &d16),
            "malformed",
        ),
        (
            "missing offsets",
            craft(r#"{"w":{"dtype":"F32","shape":[4]}}"#, &d16),
            "malformed",
        ),
        (
            "entry is not an object",
            craft(r#"{"w":[1,2,3]}"#, &d16),
            "malformed",
        ),
        (
            "metadata not an object",
            craft(r#"{"__metadata__":"x"}"#, &[]),
            "__metadata__",
        ),
        (
            "metadata value not a string",
            craft(r#"{"__metadata__":{"config":{"h":1}}}"#, &[]),
            "not a string",
        ),
        ("header is an array", craft("[1,2]", &[]), "not a JSON object"),
        ("header is invalid JSON", craft(r#"{"w":"#, &[]), "not valid JSON"),
        ("empty header", craft("", &[]), "not valid JSON"),
        ("header is deeply nested", craft(&"[".repeat(10_000), &[]), "not valid JSON"),
    ];
    for (label, bytes, needle) in cases {
        let result = std::panic::catch_unwind(|| parse(&bytes));
        let result = result.unwrap_or_else(|_| panic!("{label}: panicked"));
        assert!(result.is_err(), "{label}: accepted");
        assert_format_err(result, needle);
    }

    // Header bytes that are not UTF-8.
    let mut b = craft(
        r#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
        &d16,
    );
    b[10] = 0xff;
    assert_format_err(parse(&b), "not UTF-8");

    // A header length larger than the file.
    let mut b = craft("{}", &[]);
    b[..8].copy_from_slice(&1000u64.to_le_bytes());
    assert_format_err(parse(&b), "larger than");
    let dir = TestDir::new("lie");
    let path = dir.join("lie.safetensors");
    std::fs::write(&path, &b).unwrap();
    assert!(
        matches!(read_tensors(&path), Err(Error::Format { what, .. }) if what.contains("larger than"))
    );
}

#[test]
fn unusual_but_valid_headers_are_accepted() {
    // Keys need not be in offset order; zero-size tensors may share an offset; metadata is optional.
    let bytes = craft(
        r#"{"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"z":{"dtype":"F32","shape":[0,5],"data_offsets":[8,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"s":{"dtype":"F32","shape":[],"data_offsets":[16,20]}}"#,
        &f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0]),
    );
    let f = parse(&bytes).unwrap();
    let names: Vec<&str> = f.names().collect();
    assert_eq!(names, ["a", "z", "b", "s"]);
    assert_eq!(f.tensor::<f32>("b").unwrap().data(), &[3.0, 4.0]);
    assert_eq!(f.tensor::<f32>("z").unwrap().shape(), &[0, 5]);
    assert_eq!(f.tensor::<f32>("s").unwrap().item(), 5.0);
    let empty = parse(&craft("{}", &[])).unwrap();
    assert!(empty.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_corruptions_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in proptest::option::of(any::<prop::sample::Index>()),
        tail in proptest::collection::vec(any::<u8>(), 0..4),
    ) {
        let mut bytes = valid_bytes();
        for (i, v) in &edits {
            let i = i.index(bytes.len());
            bytes[i] = *v;
        }
        if let Some(c) = cut {
            bytes.truncate(c.index(bytes.len()));
        }
        bytes.extend_from_slice(&tail);
        if let Ok(f) = parse(&bytes) {
            for e in f.entries() {
                if e.dtype.is_float() {
                    prop_assert!(f.tensor::<f32>(&e.name).is_ok());
                } else if e.dtype.is_integer() {
                    let _ = f.tensor_i64(&e.name);
                }
            }
        }
    }

    #[test]
    fn random_headers_never_panic(
        n in 0u64..200,
        header in proptest::collection::vec(any::<u8>(), 0..200),
        data in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = n.to_le_bytes().to_vec();
        bytes.extend_from_slice(&header);
        bytes.extend_from_slice(&data);
        let _ = parse(&bytes);
    }

    #[test]
    fn random_json_headers_never_panic(
        entries in proptest::collection::vec(
            ("[a-c]", prop::sample::select(vec!["F32", "F64", "F16", "I64", "BOOL", "F4", "X"]),
             proptest::collection::vec(0u64..6, 0..3), 0u64..40, 0u64..40),
            0..4),
        data_len in 0usize..40,
    ) {
        let body: Vec<String> = entries
            .iter()
            .map(|(k, d, s, a, b)| {
                format!(r#""{k}":{{"dtype":"{d}","shape":{s:?},"data_offsets":[{a},{b}]}}"#)
            })
            .collect();
        let bytes = craft(&format!("{{{}}}", body.join(",")), &vec![7u8; data_len]);
        if let Ok(f) = parse(&bytes) {
            for e in f.entries() {
                if e.dtype.is_float() {
                    prop_assert!(f.tensor::<f64>(&e.name).is_ok());
                }
            }
        }
    }
}

#[test]
#[should_panic(expected = "belongs to another ParamStore")]
fn a_store_refuses_ids_of_another_store() {
    let mut a = ParamStore::<f64>::new();
    let w = a.add("w", Tensor::from_f64(&[1], &[1.0]));
    let mut b = ParamStore::<f64>::new();
    b.add("w", Tensor::from_f64(&[1], &[2.0]));
    let _ = b.value(w);
}

#[test]
#[should_panic(expected = "belongs to another ParamStore")]
fn a_tape_refuses_an_id_of_another_store() {
    let mut a = ParamStore::<f64>::new();
    let w = a.add("w", Tensor::from_f64(&[1], &[1.0]));
    let mut b = ParamStore::<f64>::new();
    b.add("w", Tensor::from_f64(&[1], &[2.0]));
    let tape = autograd::Tape::new();
    let _ = tape.param(&b, w);
}

#[test]
fn a_clone_accepts_the_ids_of_its_original() {
    let mut a = ParamStore::<f64>::new();
    let w = a.add("w", Tensor::from_f64(&[1], &[1.0]));
    let mut b = a.clone();
    b.set_value(w, Tensor::from_f64(&[1], &[3.0]));
    assert_eq!(b.id("w"), Some(w));
    assert_eq!(b.value(w).data(), &[3.0]);
    assert_eq!(a.value(w).data(), &[1.0]);
    let tape = autograd::Tape::new();
    assert_eq!(tape.param(&b, w).value().data(), &[3.0]);
}

#[test]
fn a_meta_store_records_names_and_shapes_without_making_values() {
    let mut meta = ParamStore::<f32>::meta();
    assert!(meta.is_meta());
    let mut path = meta.path("rnn");
    // 2^40 × 2^20 floats: only the shape is kept, the initializer never runs.
    let huge = path.add_with("weight_hh_l0", &[1 << 40, 1 << 20], |_| {
        panic!("a meta store must not initialize")
    });
    let small = path.add("bias", Tensor::from_f64(&[3], &[1.0, 2.0, 3.0]));
    assert_eq!((huge.index(), small.index()), (0, 1));
    assert_eq!(
        meta.shapes(),
        vec![
            ("rnn.weight_hh_l0", &[1usize << 40, 1 << 20][..]),
            ("rnn.bias", &[3][..])
        ]
    );
    assert_eq!((meta.len(), meta.num_weights()), (2, (1usize << 60) + 3));
    assert_eq!(meta.id("rnn.bias"), Some(small));
    assert_eq!(meta.iter().count(), 0);
    // The same calls on a plain store make the values.
    let mut store = ParamStore::<f32>::new();
    let mut calls = 0;
    let id = store.path("rnn").add_with("w", &[2, 3], |shape| {
        calls += 1;
        Tensor::zeros(shape)
    });
    assert_eq!((calls, store.value(id).shape()), (1, &[2usize, 3][..]));
    assert_eq!(store.shapes(), vec![("rnn.w", &[2usize, 3][..])]);
}

#[test]
#[should_panic(expected = "a meta ParamStore holds no parameter values")]
fn a_meta_store_has_no_values_to_read() {
    let mut meta = ParamStore::<f32>::meta();
    let id = meta.add_with("w", &[2], |_| unreachable!());
    let _ = meta.value(id);
}
