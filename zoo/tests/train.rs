//! The trainer: bit-identical resume, atomic and checked checkpoints, early stopping, metrics.

use autograd::params::{read_tensors, write_tensors, CONFIG_KEY};
use autograd::{Error, ParamId, ParamStore, Result, Rng, Schedule, Tape, Tensor, Var};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use zoo::train::{
    accuracy, argmax, bits_per_char, exact_match, mse, nats_per_symbol, rmse, token_accuracy,
    Checkpoint, Metrics, MetricsLog, Objective, Observer, Progress, SaveEvery, TrainConfig,
    Trainer,
};
use zoo::{Ctx, Linear, RecurrentConfig, RecurrentInput, RecurrentKind, RecurrentLayer};

const BATCH: usize = 8;
const LEN: usize = 6;
const HIDDEN: usize = 8;

/// A stacked LSTM with dropout + a linear head regressing the mean of a sequence.
struct SeqMean {
    rnn: RecurrentLayer,
    head: Linear,
    val: (Tensor<f32>, Tensor<f32>),
}

/// Inputs `[B, LEN, 1]` uniform in ±1 and targets `[B, 1]`: twice their mean.
fn batch(seed: u64, n: usize) -> (Tensor<f32>, Tensor<f32>) {
    let mut rng = Rng::new(seed);
    let x: Vec<f64> = (0..n * LEN).map(|_| rng.uniform_in(-1.0, 1.0)).collect();
    let y: Vec<f64> = x
        .chunks(LEN)
        .map(|c| 2.0 * c.iter().sum::<f64>() / LEN as f64)
        .collect();
    (
        Tensor::from_f64(&[n, LEN, 1], &x),
        Tensor::from_f64(&[n, 1], &y),
    )
}

/// The model's parameters, built from a fixed seed: the "template" a resumed run rebuilds.
fn seq_mean(hidden: usize) -> (SeqMean, ParamStore<f32>) {
    let mut store = ParamStore::new();
    let mut rng = Rng::new(11);
    let config = RecurrentConfig::new(RecurrentKind::Lstm, 1, hidden)
        .layers(2)
        .dropout(0.2);
    let rnn = RecurrentLayer::new(&mut store.path("rnn"), config, &mut rng).expect("config");
    let head = Linear::new(&mut store.path("head"), hidden, 1, true, &mut rng);
    let model = SeqMean {
        rnn,
        head,
        val: batch(999, 32),
    };
    (model, store)
}

impl SeqMean {
    fn predict<'t>(&self, cx: &Ctx<'_, 't, f32>, x: &Tensor<f32>) -> Var<'t, f32> {
        let n = x.dim(0);
        let input = RecurrentInput::default();
        let out = self.rnn.forward(cx, cx.constant(x.clone()), input);
        let last = out.h_n.narrow(0, 1, 1).reshape(&[n, HIDDEN]);
        self.head.forward(cx, cx.dropout(last, 0.1))
    }
}

impl Objective<f32> for SeqMean {
    fn loss<'t>(
        &self,
        tape: &'t Tape<f32>,
        store: &ParamStore<f32>,
        step: usize,
        rng: &mut Rng,
    ) -> Result<Var<'t, f32>> {
        let (x, y) = batch(step as u64, BATCH);
        Ok(self
            .predict(&Ctx::train(tape, store, rng), &x)
            .mse(tape.constant(y)))
    }

    fn validate(&self, store: &ParamStore<f32>) -> Result<Metrics> {
        let tape = Tape::new();
        let _guard = tape.no_grad();
        let pred = self.predict(&Ctx::eval(&tape, store), &self.val.0).value();
        let m = mse(pred.data(), self.val.1.data())?;
        Ok(Metrics::new().with("val_loss", m).with("val_mse", m))
    }
}

fn resume_config(steps: usize) -> TrainConfig {
    TrainConfig::new(steps, "adam", 0.02)
        .expect("adam")
        .schedule(Schedule::cosine(steps, 1e-4).with_warmup(4))
        .clip(Some(0.5))
        .val_every(5)
        .restore_best(true)
        .seed(7)
}

fn bits(store: &ParamStore<f32>) -> Vec<(String, Vec<u32>)> {
    store
        .iter()
        .map(|(_, p)| {
            let b = p.value.data().iter().map(|x| x.to_bits()).collect();
            (p.name.clone(), b)
        })
        .collect()
}

/// The parameters whose bits differ, with how many elements differ (empty when identical).
fn differing(a: &ParamStore<f32>, b: &ParamStore<f32>) -> Vec<(String, usize)> {
    bits(a)
        .into_iter()
        .zip(bits(b))
        .filter_map(|((name, x), (_, y))| {
            let n = x.iter().zip(&y).filter(|(p, q)| p != q).count();
            (n > 0 || x.len() != y.len()).then_some((name, n))
        })
        .collect()
}

/// An optimizer's step, per-parameter steps and buffers as bits.
type OptimizerBits = (u64, Vec<(String, u64)>, Vec<(String, Vec<u32>)>);

/// The optimizer's state as bits: step counts and every buffer.
fn optimizer_bits(t: &Trainer<f32>) -> OptimizerBits {
    let state = t.optimizer().state();
    let buffers = state
        .tensors
        .iter()
        .map(|(n, b)| (n.clone(), b.data().iter().map(|x| x.to_bits()).collect()))
        .collect();
    (state.step, state.param_steps, buffers)
}

/// Asks the trainer to stop once step `at` is done.
struct StopAt {
    at: usize,
    step: usize,
}

impl Observer for StopAt {
    fn step(&mut self, step: usize, _loss: f64, _lr: f64) {
        self.step = step;
    }
    fn stop_requested(&mut self) -> bool {
        self.step >= self.at
    }
}

#[test]
fn checkpoints_saved_during_a_run_resume_bit_identically() {
    let n = 30;
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, template) = seq_mean(HIDDEN);
    let mut straight = Trainer::new(template, resume_config(n)).expect("trainer");
    straight
        .train_until(&model, &mut (), n)
        .expect("straight run");

    // Saves after steps 4, 8, 12 (mid validation interval) and whenever validation runs.
    let mut saved = Vec::new();
    for (every, stop) in [(SaveEvery::Steps(4), 14), (SaveEvery::Validation, 12)] {
        let (model1, template) = seq_mean(HIDDEN);
        let mut first = Trainer::new(template, resume_config(n)).expect("trainer");
        let mut save = |t: &Trainer<f32>| {
            let path = dir
                .path()
                .join(format!("{every:?}-{}.safetensors", t.step()));
            saved.push(path.clone());
            t.save_checkpoint(path, &BTreeMap::new())
        };
        let mut observer = StopAt { at: stop, step: 0 };
        let stopped = first
            .train_saving(&model1, &mut observer, n, Some(every), &mut save)
            .expect("first part");
        assert!(stopped);
        assert_eq!(first.step(), stop);
        // What a stopped run saves last: the state after its latest step.
        let last = dir.path().join(format!("{every:?}-stopped.safetensors"));
        first
            .save_checkpoint(&last, &BTreeMap::new())
            .expect("save");
        saved.push(last);
    }
    let steps: Vec<usize> = saved
        .iter()
        .map(|p| Checkpoint::open(p).expect("open").step().expect("step"))
        .collect();
    assert_eq!(steps, [4, 8, 12, 14, 5, 10, 12]);

    for path in &saved {
        let (model2, template) = seq_mean(HIDDEN);
        let mut resumed = Trainer::resume(path, template, resume_config(n)).expect("resume");
        resumed.train_until(&model2, &mut (), n).expect("rest");
        let at = path.display();
        assert_eq!(differing(straight.store(), resumed.store()), [], "{at}");
        assert_eq!(optimizer_bits(&straight), optimizer_bits(&resumed), "{at}");
        let losses = |t: &Trainer<f32>| -> Vec<(usize, u64)> {
            t.history()
                .iter()
                .map(|r| (r.step, r.metrics.val_loss().expect("val").to_bits()))
                .collect()
        };
        assert_eq!(losses(&straight), losses(&resumed), "{at}");
    }
}

#[test]
fn resume_is_bit_identical_to_an_uninterrupted_run() {
    // Split mid-interval (validation every 5 steps), so the running train loss is saved too.
    let (n, split) = (15, 13);
    let dir = tempfile::tempdir().expect("tempdir");
    let ckpt = dir.path().join("half.safetensors");
    let log_path = dir.path().join("log.jsonl");

    let (model, template) = seq_mean(HIDDEN);
    let mut straight = Trainer::new(template, resume_config(2 * n)).expect("trainer");
    straight
        .train_until(&model, &mut (), 2 * n)
        .expect("straight run");

    // Every model runs against the store it was built on.
    let (model1, template) = seq_mean(HIDDEN);
    let mut first = Trainer::new(template, resume_config(2 * n)).expect("trainer");
    let mut log = MetricsLog::append(&log_path).expect("log");
    first
        .train_until(&model1, &mut log, split)
        .expect("first part");
    first
        .save_checkpoint(&ckpt, &BTreeMap::new())
        .expect("save");
    drop(first);

    // A fresh process: the model rebuilt from its template, everything else from the file.
    let (model2, template) = seq_mean(HIDDEN);
    let mut resumed = Trainer::resume(&ckpt, template, resume_config(2 * n)).expect("resume");
    assert_eq!(resumed.step(), split);
    let mut log = MetricsLog::append(&log_path).expect("log");
    resumed
        .train_until(&model2, &mut log, 2 * n)
        .expect("second part");
    // The log of the two parts reads as one run.
    let logged: Vec<u64> = std::fs::read_to_string(&log_path)
        .expect("log")
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["step"]
                .as_u64()
                .expect("step")
        })
        .collect();
    assert_eq!(logged, [5, 10, 15, 20, 25, 30]);

    assert_eq!(differing(straight.store(), resumed.store()), []);
    let losses = |t: &Trainer<f32>| -> Vec<(usize, u64, u64)> {
        t.history()
            .iter()
            .map(|r| {
                let v = r.metrics.val_loss().expect("val_loss");
                (r.step, r.train_loss.to_bits(), v.to_bits())
            })
            .collect()
    };
    assert_eq!(losses(&straight), losses(&resumed));
    assert_eq!(straight.history().len(), 6);

    // Finishing (final validation, best weights put back) agrees as well.
    let a = straight.finish(&model, &mut ()).expect("finish");
    let b = resumed.finish(&model2, &mut ()).expect("finish");
    assert_eq!(differing(straight.store(), resumed.store()), []);
    assert_eq!(
        (a.steps, a.best_step, a.train_loss.to_bits()),
        (b.steps, b.best_step, b.train_loss.to_bits())
    );
    assert_eq!(a.best_val, b.best_val);

    // The generator matters: another seed gives other dropout masks, so other weights.
    let (model3, template) = seq_mean(HIDDEN);
    let mut other = Trainer::new(template, resume_config(2 * n).seed(8)).expect("trainer");
    other.train_until(&model3, &mut (), n).expect("run");
    let (model4, template) = seq_mean(HIDDEN);
    let mut same = Trainer::new(template, resume_config(2 * n)).expect("trainer");
    same.train_until(&model4, &mut (), n).expect("run");
    assert!(!differing(other.store(), same.store()).is_empty());
}

#[test]
fn checkpoint_holds_weights_by_name_and_the_callers_metadata() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("model.safetensors");
    let (model, template) = seq_mean(HIDDEN);
    let mut trainer = Trainer::new(template, resume_config(10)).expect("trainer");
    trainer.run(&model, &mut ()).expect("run");
    let extra = BTreeMap::from([
        (CONFIG_KEY.to_string(), r#"{"hidden":8}"#.to_string()),
        ("task".to_string(), "mean".to_string()),
    ]);
    trainer.save_checkpoint(&path, &extra).expect("save");

    let ckpt = Checkpoint::open(&path).expect("open");
    assert_eq!(ckpt.extra(), extra);
    assert_eq!(ckpt.extra_value("task"), Some("mean"));
    assert_eq!(ckpt.step().expect("step"), 10);
    assert_eq!(ckpt.train_config().expect("config"), resume_config(10));
    assert_eq!(ckpt.history().expect("history").len(), 2);
    let cfg: serde_json::Value = ckpt.model_config().expect("json").expect("present");
    assert_eq!(cfg["hidden"], 8);

    // Every parameter under its own name, the trainer's tensors under reserved prefixes.
    let file = read_tensors(&path).expect("read");
    for (_, p) in trainer.store().iter() {
        assert_eq!(file.entry(&p.name).expect("param").shape, p.value.shape());
        assert!(file
            .entry(&format!("__optim__.exp_avg.{}", p.name))
            .is_some());
        assert!(file.entry(&format!("__best__.{}", p.name)).is_some());
    }

    // eval / generate: rebuild the model, then load just the weights.
    let (_, mut fresh) = seq_mean(HIDDEN);
    ckpt.load_weights(&mut fresh).expect("load");
    assert_eq!(differing(&fresh, trainer.store()), []);
}

fn saved_checkpoint(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("ckpt.safetensors");
    let (model, template) = seq_mean(HIDDEN);
    let mut trainer = Trainer::new(template, resume_config(5)).expect("trainer");
    trainer.run(&model, &mut ()).expect("run");
    trainer
        .save_checkpoint(&path, &BTreeMap::new())
        .expect("save");
    path
}

#[test]
fn checkpoint_writes_are_atomic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = saved_checkpoint(dir.path());
    let before = std::fs::read(&path).expect("read");
    let (_, template) = seq_mean(HIDDEN);
    let trainer = Trainer::new(template, resume_config(5)).expect("trainer");

    // A rejected save leaves the existing file as it was.
    let reserved = BTreeMap::from([("seqzoo.step".to_string(), "3".to_string())]);
    let err = trainer.save_checkpoint(&path, &reserved).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    assert_eq!(std::fs::read(&path).expect("read"), before);

    // A save that fails at the rename (the target is a directory) leaves no temp file behind.
    let blocked = dir.path().join("blocked");
    std::fs::create_dir(&blocked).expect("mkdir");
    std::fs::write(blocked.join("keep"), b"x").expect("write");
    let err = trainer
        .save_checkpoint(&blocked, &BTreeMap::new())
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    names.sort();
    assert_eq!(names, ["blocked", "ckpt.safetensors"]);
    assert_eq!(std::fs::read(&path).expect("read"), before);

    // A missing directory is an I/O error naming the path.
    let err = trainer
        .save_checkpoint(dir.path().join("no/such/dir.safetensors"), &BTreeMap::new())
        .unwrap_err();
    assert!(err.to_string().contains("no/such"), "{err}");
}

/// The error of resuming `path` into a fresh model of `hidden` units with `config`.
fn resume_error(path: &Path, hidden: usize, config: TrainConfig) -> Error {
    let (_, template) = seq_mean(hidden);
    match Trainer::resume(path, template, config) {
        Ok(_) => panic!("resuming {} should fail", path.display()),
        Err(e) => e,
    }
}

/// Rewrites the checkpoint at `from` to `to`, minus the tensor `drop` and metadata key `drop_meta`.
fn rewrite(from: &Path, to: &Path, drop: &str, drop_meta: &str) {
    let file = read_tensors(from).expect("read");
    let tensors: Vec<(String, Tensor<f32>)> = file
        .names()
        .filter(|n| *n != drop)
        .map(|n| (n.to_string(), file.tensor(n).expect("tensor")))
        .collect();
    let refs: Vec<(&str, &Tensor<f32>)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut meta = file.metadata().clone();
    meta.remove(drop_meta);
    write_tensors(to, &refs, &meta).expect("write");
}

#[test]
fn bad_checkpoints_give_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = saved_checkpoint(dir.path());
    let config = resume_config(10);
    let has = |e: &Error, parts: &[&str]| {
        let msg = e.to_string();
        for p in parts {
            assert!(msg.contains(p), "{msg:?} should mention {p:?}");
        }
    };

    // Truncated and garbage files.
    let bytes = std::fs::read(&path).expect("read");
    let truncated = dir.path().join("truncated.safetensors");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let e = resume_error(&truncated, HIDDEN, config.clone());
    assert!(matches!(e, Error::Format { .. }), "{e}");
    has(&e, &["truncated.safetensors"]);
    let garbage = dir.path().join("garbage.txt");
    std::fs::write(&garbage, "hello, I am not a checkpoint").expect("write");
    let e = resume_error(&garbage, HIDDEN, config.clone());
    has(&e, &["garbage.txt", "not a safetensors file"]);
    let e = resume_error(&dir.path().join("absent"), HIDDEN, config.clone());
    assert!(matches!(e, Error::Io { .. }), "{e}");

    // Plain weights are not a checkpoint.
    let plain = dir.path().join("plain.safetensors");
    let (_, store) = seq_mean(HIDDEN);
    store.save(&plain, &BTreeMap::new()).expect("save");
    has(
        &resume_error(&plain, HIDDEN, config.clone()),
        &["plain.safetensors", "not a seqzoo checkpoint"],
    );
    // ... but their weights load with ParamStore::load, and a checkpoint's with load_weights.
    let (_, mut other) = seq_mean(HIDDEN);
    zoo::train::load_weights(&path, &mut other).expect("weights");

    // Another model size: every mismatched shape, with the file name.
    let e = resume_error(&path, 4, config.clone());
    assert!(matches!(e, Error::Load { .. }), "{e}");
    has(
        &e,
        &["ckpt.safetensors", "rnn.weight_ih_l0", "shape mismatch"],
    );

    // Another optimizer.
    let sgd = TrainConfig {
        optimizer: autograd::OptimConfig::from_name("sgd").expect("sgd"),
        ..config.clone()
    };
    has(
        &resume_error(&path, HIDDEN, sgd),
        &["ckpt.safetensors", "\"adam\"", "\"sgd\""],
    );

    // A missing weight, a missing optimizer buffer, missing metadata.
    let no_weight = dir.path().join("no_weight.safetensors");
    rewrite(&path, &no_weight, "head.bias", "");
    has(
        &resume_error(&no_weight, HIDDEN, config.clone()),
        &["no_weight.safetensors", "missing key `head.bias`"],
    );
    let no_buffer = dir.path().join("no_buffer.safetensors");
    rewrite(&path, &no_buffer, "__optim__.exp_avg_sq.head.bias", "");
    has(
        &resume_error(&no_buffer, HIDDEN, config.clone()),
        &["no_buffer.safetensors", "exp_avg_sq.head.bias"],
    );
    let no_rng = dir.path().join("no_rng.safetensors");
    rewrite(&path, &no_rng, "", "seqzoo.rng");
    has(
        &resume_error(&no_rng, HIDDEN, config.clone()),
        &["no_rng.safetensors", "`seqzoo.rng` is missing"],
    );
}

/// One scalar weight pulled toward 10 by SGD, validated against a scripted sequence of losses.
struct Scripted {
    w: ParamId,
    val_losses: Vec<f64>,
    seen: RefCell<Vec<f64>>,
}

impl Objective<f64> for Scripted {
    fn loss<'t>(
        &self,
        tape: &'t Tape<f64>,
        store: &ParamStore<f64>,
        _step: usize,
        _rng: &mut Rng,
    ) -> Result<Var<'t, f64>> {
        let target = tape.constant(Tensor::from_f64(&[1], &[10.0]));
        Ok(tape.param(store, self.w).mse(target))
    }

    fn validate(&self, store: &ParamStore<f64>) -> Result<Metrics> {
        let mut seen = self.seen.borrow_mut();
        seen.push(store.value(self.w).item());
        let v = self.val_losses.get(seen.len() - 1).copied().unwrap_or(9.0);
        Ok(Metrics::new().with("val_loss", v))
    }
}

fn scripted(val_losses: &[f64]) -> (Scripted, ParamStore<f64>) {
    let mut store = ParamStore::new();
    let w = store.add("w", Tensor::from_f64(&[1], &[0.0]));
    let obj = Scripted {
        w,
        val_losses: val_losses.to_vec(),
        seen: RefCell::new(Vec::new()),
    };
    (obj, store)
}

#[test]
fn early_stopping_stops_when_validation_stops_improving() {
    let losses = [5.0, 4.0, 3.0, 3.5, 3.2, 1.0];
    let config = TrainConfig::new(100, "sgd", 0.1)
        .expect("sgd")
        .val_every(2)
        .patience(Some(2))
        .restore_best(true);
    let (obj, store) = scripted(&losses);
    let mut trainer = Trainer::new(store, config.clone()).expect("trainer");
    let summary = trainer.run(&obj, &mut ()).expect("run");
    assert!(summary.stopped_early);
    assert_eq!(summary.steps, 10);
    assert_eq!(summary.best_step, 6);
    assert_eq!(summary.best_val.val_loss(), Some(3.0));
    assert_eq!(summary.last_val.val_loss(), Some(3.2));
    assert_eq!(obj.seen.borrow().len(), 5, "no extra validation at the end");
    // The weights of the best validation are back.
    assert!(summary.restored_best);
    let w = trainer.store().value(obj.w).item();
    assert_eq!(w, obj.seen.borrow()[2]);

    // Without restore_best the latest weights stay; without patience the run goes on.
    let (obj, store) = scripted(&losses);
    let mut trainer = Trainer::new(store, config.clone().restore_best(false)).expect("trainer");
    let summary = trainer.run(&obj, &mut ()).expect("run");
    assert!(!summary.restored_best);
    assert_eq!(trainer.store().value(obj.w).item(), obj.seen.borrow()[4]);
    let (obj, store) = scripted(&losses);
    let mut trainer = Trainer::new(store, config.patience(None)).expect("trainer");
    let summary = trainer.run(&obj, &mut ()).expect("run");
    assert!(!summary.stopped_early);
    assert_eq!(summary.steps, 100);
    assert_eq!(summary.best_val.val_loss(), Some(1.0));
}

#[test]
fn validation_without_val_loss_and_bad_configs_are_errors() {
    struct NoVal(ParamId);
    impl Objective<f64> for NoVal {
        fn loss<'t>(
            &self,
            tape: &'t Tape<f64>,
            store: &ParamStore<f64>,
            _: usize,
            _: &mut Rng,
        ) -> Result<Var<'t, f64>> {
            Ok(tape.param(store, self.0).sum())
        }
        fn validate(&self, _: &ParamStore<f64>) -> Result<Metrics> {
            Ok(Metrics::new().with("val_mse", 1.0))
        }
    }
    let (obj, store) = scripted(&[]);
    let mut trainer =
        Trainer::new(store, TrainConfig::new(3, "sgd", 0.1).expect("sgd")).expect("trainer");
    let e = trainer.run(&NoVal(obj.w), &mut ()).unwrap_err();
    assert!(e.to_string().contains("val_loss"), "{e}");

    let (_, store) = scripted(&[]);
    let bad = TrainConfig::new(3, "sgd", 0.1)
        .expect("sgd")
        .clip(Some(-1.0));
    assert!(matches!(Trainer::new(store, bad), Err(Error::Config(_))));
    assert!(matches!(
        TrainConfig::new(3, "lbfgs", 0.1),
        Err(Error::Config(_))
    ));
}

#[test]
fn train_config_round_trips_through_json() {
    let config = resume_config(30).patience(Some(3));
    let json = serde_json::to_string(&config).expect("json");
    let back: TrainConfig = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, config);
    // Optional settings may be left out.
    let minimal: TrainConfig = serde_json::from_str(
        r#"{"steps": 5, "optimizer": {"name": "sgd", "lr": 0.1}, "val_every": 1, "seed": 0}"#,
    )
    .expect("parse");
    assert_eq!(minimal.clip, None);
    assert_eq!(minimal.schedule, Schedule::Constant);
}

/// Linear regression y = 2x − 1 on a fixed grid.
struct Line {
    layer: Linear,
}

impl Line {
    fn data(n: usize, offset: f64) -> (Tensor<f32>, Tensor<f32>) {
        let xs: Vec<f64> = (0..n)
            .map(|i| -1.0 + 2.0 * (i as f64 + offset) / n as f64)
            .collect();
        let ys: Vec<f64> = xs.iter().map(|x| 2.0 * x - 1.0).collect();
        (
            Tensor::from_f64(&[n, 1], &xs),
            Tensor::from_f64(&[n, 1], &ys),
        )
    }

    fn loss_on<'t>(
        &self,
        cx: &Ctx<'_, 't, f32>,
        (x, y): (Tensor<f32>, Tensor<f32>),
    ) -> Var<'t, f32> {
        let pred = self.layer.forward(cx, cx.constant(x));
        pred.mse(cx.constant(y))
    }
}

impl Objective<f32> for Line {
    fn loss<'t>(
        &self,
        tape: &'t Tape<f32>,
        store: &ParamStore<f32>,
        step: usize,
        rng: &mut Rng,
    ) -> Result<Var<'t, f32>> {
        let cx = Ctx::train(tape, store, rng);
        Ok(self.loss_on(&cx, Line::data(16, (step % 7) as f64 / 7.0)))
    }

    fn validate(&self, store: &ParamStore<f32>) -> Result<Metrics> {
        let tape = Tape::new();
        let cx = Ctx::eval(&tape, store);
        let loss = self.loss_on(&cx, Line::data(10, 0.5)).item();
        Ok(Metrics::new()
            .with("val_loss", loss)
            .with("val_rmse", loss.sqrt()))
    }
}

#[test]
fn loss_decreases_on_an_easy_task_and_the_log_records_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log_path = dir.path().join("metrics.jsonl");
    let mut store = ParamStore::new();
    let layer = Linear::new(&mut store.root(), 1, 1, true, &mut Rng::new(0));
    let config = TrainConfig::new(200, "adam", 0.05)
        .expect("adam")
        .val_every(50);
    let mut trainer = Trainer::new(store, config).expect("trainer");
    let log = MetricsLog::append(&log_path).expect("log");
    // The bar draws only on a terminal; a hidden one never does.
    assert!(!Progress::hidden().is_visible());
    let mut observers = (Progress::stderr(), Some(log));
    let summary = trainer.run(&Line { layer }, &mut observers).expect("run");

    let history = trainer.history();
    assert_eq!(history.len(), 4);
    assert!(history[3].train_loss < history[0].train_loss / 10.0);
    assert!(
        summary.last_val.val_loss().expect("val") < 1e-3,
        "{summary:?}"
    );
    assert_eq!(summary.train_loss, history[3].train_loss);
    assert_eq!(summary.steps, 200);

    let text = std::fs::read_to_string(&log_path).expect("log");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[1]["step"], 100);
    for key in ["lr", "train_loss", "val_loss", "val_rmse", "seconds"] {
        assert!(lines[3][key].is_f64(), "{key} in {}", lines[3]);
    }
    let summary_json = serde_json::to_value(&summary).expect("json");
    assert_eq!(summary_json["steps"], 200);
}

#[test]
fn metric_helpers_give_known_values() {
    let eps = 1e-12;
    let close = |a: f64, b: f64| assert!((a - b).abs() < eps, "{a} vs {b}");
    close(
        mse(&[1.0f32, 2.0, 3.0], &[1.0, 0.0, 5.0]).expect("mse"),
        8.0 / 3.0,
    );
    close(
        rmse(&[0.0f64, 0.0], &[3.0, 4.0]).expect("rmse"),
        12.5f64.sqrt(),
    );
    assert!(mse::<f64>(&[1.0], &[1.0, 2.0]).is_err());
    assert!(mse::<f64>(&[], &[]).is_err());

    // Rows [0.1 0.9 0] → 1, [2 1 0] → 0, [0 0 3] → 2, [1 1 0] → 0 (first on ties).
    let logits = [
        0.1f32, 0.9, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 3.0, 1.0, 1.0, 0.0,
    ];
    assert_eq!(argmax(&logits, 3).expect("argmax"), [1, 0, 2, 0]);
    close(accuracy(&logits, 3, &[1, 0, 1, 1]).expect("acc"), 0.5);
    // The masked target (-100) is not counted: 2 right out of 3.
    close(
        accuracy(&logits, 3, &[1, -100, 2, 1]).expect("acc"),
        2.0 / 3.0,
    );
    assert!(accuracy(&logits, 3, &[-100; 4]).is_err());
    assert!(accuracy(&logits, 3, &[5, 0, 0, 0]).is_err());
    assert!(accuracy(&logits, 5, &[0, 0]).is_err());

    let pred = vec![vec![1, 2, 3], vec![4, 5], vec![7]];
    let target = vec![vec![1, 2, 3], vec![4, 6], vec![7, 8]];
    close(exact_match(&pred, &target).expect("em"), 1.0 / 3.0);
    // Tokens: 3 + 1 + 1 right of 3 + 2 + 2.
    close(token_accuracy(&pred, &target).expect("tok"), 5.0 / 7.0);

    close(nats_per_symbol(6.0, 4).expect("nats"), 1.5);
    close(bits_per_char(std::f64::consts::LN_2), 1.0);
    close(bits_per_char(256f64.ln()), 8.0);

    // Metrics keep insertion order, replace in place, and write NaN as null.
    let mut m = Metrics::new()
        .with("val_loss", 0.5)
        .with("val_bpc", f64::NAN);
    m.insert("val_loss", 0.25);
    let names: Vec<_> = m.iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["val_loss", "val_bpc"]);
    let json = serde_json::to_string(&m).expect("json");
    assert_eq!(json, r#"{"val_loss":0.25,"val_bpc":null}"#);
    let back: Metrics = serde_json::from_str(&json).expect("parse");
    assert_eq!(back.val_loss(), Some(0.25));
    assert!(back.get("val_bpc").expect("present").is_nan());
}
