//! Stateful truncated BPTT of a text language model (`--set stateful=true`) through the library:
//! each batch starts from the previous one's final state, detached; validation reads the held-out
//! text as streams; the same bits on 1 and 2 threads.

use std::collections::BTreeMap;
use std::path::Path;

use autograd::{CrossEntropyOptions, ParamId, ParamStore, Rng, Tape, Tensor, Var, IGNORE_INDEX};
use datasets::text::lm::{BpttStream, Chunk};
use seqzoo::problem::{Carry, Model, ModelSpec, RunSpec, Session, TaskObjective};
use zoo::models::{LmInput, StateValues};
use zoo::train::{Objective, TrainConfig};
use zoo::Ctx;

/// Rows per batch of every test here.
const BATCH: usize = 4;

/// A stateful session of a 2-layer LSTM on a 3,000-character text in `dir`, windows of 8.
fn session(dir: &Path, steps: usize) -> Session {
    let path = dir.join("t.txt");
    let text: String = (0..150).map(|i| format!("verse {i:>6}: amen.\n")).collect();
    std::fs::write(&path, text).unwrap();
    let model = ModelSpec {
        hidden: 12,
        layers: 2,
        embedding: 6,
        ..ModelSpec::default()
    };
    let spec = RunSpec {
        settings: vec!["stateful=true".into(), "window=8".into()],
        batch: BATCH,
        ..RunSpec::new(&format!("text:{}", path.display()), model)
    };
    let train = TrainConfig::new(steps, "adam", 0.01).unwrap().val_every(10);
    Session::new(spec, train).unwrap()
}

/// The session's training and validation streams.
fn streams(s: &Session) -> (BpttStream, BpttStream) {
    let streams = s.task.streams.as_ref().expect("a stateful task");
    (streams.train(BATCH).unwrap(), streams.val(BATCH).unwrap())
}

/// The language model's summed cross-entropy on `chunk` from `state` (zeros when `None`) on
/// `tape`, the number of predictions, and the final state: written out here, apart from the
/// objective.
fn forward<'t>(
    s: &Session,
    tape: &'t Tape<f32>,
    chunk: &Chunk,
    state: Option<&StateValues<f32>>,
) -> (Var<'t, f32>, StateValues<f32>) {
    let Model::LanguageModel(m) = &s.model else {
        panic!("a language model")
    };
    let mut rng = Rng::new(0);
    let cx = Ctx::train(tape, s.trainer.store(), &mut rng);
    let input = LmInput {
        state: state.map(|s| StateValues::on(s, tape)),
        ..LmInput::default()
    };
    let (logits, last) = m.forward(&cx, &chunk.inputs, [chunk.batch, chunk.steps], input);
    let v = logits.shape()[2];
    let targets: Vec<i64> = chunk.targets.iter().map(|&t| t as i64).collect();
    let opts = CrossEntropyOptions {
        ignore_index: Some(IGNORE_INDEX),
        ..Default::default()
    };
    let loss = logits
        .reshape(&[chunk.batch * chunk.steps, v])
        .cross_entropy_with(&targets, &opts);
    (loss, last.values())
}

/// [`forward`]'s loss value on a tape of its own, and the final state.
fn loss_value(
    s: &Session,
    chunk: &Chunk,
    state: Option<&StateValues<f32>>,
) -> (f64, StateValues<f32>) {
    let tape = Tape::new();
    let (loss, last) = forward(s, &tape, chunk, state);
    (loss.item(), last)
}

/// The objective's training loss of batch `step`.
fn loss_at<'t>(
    objective: &TaskObjective<'_>,
    tape: &'t Tape<f32>,
    store: &ParamStore<f32>,
    step: usize,
) -> Var<'t, f32> {
    objective.loss(tape, store, step, &mut Rng::new(0)).unwrap()
}

/// The carry's tensors by name.
fn carried(carry: &Carry) -> BTreeMap<&'static str, Tensor<f32>> {
    carry.tensors().into_iter().collect()
}

/// Every parameter gradient of a backward pass from `loss`, as bits.
fn gradient_bits(loss: Var<'_, f32>) -> BTreeMap<ParamId, Vec<u32>> {
    let grads = loss.backward();
    grads
        .params()
        .map(|(id, g)| (id, g.data().iter().map(|x| x.to_bits()).collect()))
        .collect()
}

#[test]
fn each_batch_starts_from_the_last_ones_final_state_which_changes_its_loss() {
    let dir = tempfile::tempdir().unwrap();
    let s = session(dir.path(), 10);
    let (train, _) = streams(&s);
    let carry = Carry::default();
    let objective = TaskObjective::new(&s.task, &s.model, BATCH, 0, 1.0)
        .unwrap()
        .carrying(carry.clone());
    let store = s.trainer.store();
    assert!(
        carried(&carry).is_empty(),
        "nothing carried before the first batch"
    );

    let tape0 = Tape::new();
    let loss0 = loss_at(&objective, &tape0, store, 0);
    let (manual0, final0) = loss_value(&s, &train.chunk(0), None);
    assert_eq!(loss0.item().to_bits(), manual0.to_bits());
    let after0 = carried(&carry);
    assert_eq!(after0["h"], final0.h, "the carried h is batch 0's final h");
    assert_eq!(Some(&after0["c"]), final0.c.as_ref());
    assert_eq!(after0["h"].shape(), [2, BATCH, 12]);

    // Batch 1 reads window 1 of the streams from batch 0's final state, detached: its gradients
    // are those of the same window from that state as constants of a tape of its own, while
    // batch 0's tape is still alive.
    let tape1 = Tape::new();
    let loss1 = loss_at(&objective, &tape1, store, 1);
    let fresh = Tape::new();
    let (carried1, _) = forward(&s, &fresh, &train.chunk(1), Some(&final0));
    let (zeros1, _) = loss_value(&s, &train.chunk(1), None);
    assert_eq!(loss1.item().to_bits(), carried1.item().to_bits());
    assert!(
        (loss1.item() - zeros1).abs() > 1e-4,
        "the carried state changes the loss: {} vs {zeros1} from zeros",
        loss1.item()
    );
    let (through, alone) = (gradient_bits(loss1), gradient_bits(carried1));
    assert_eq!(through.len(), alone.len());
    assert!(through == alone, "no gradient reaches batch 0");
    assert!(loss0.requires_grad(), "batch 0's tape was alive throughout");
}

#[test]
fn a_pass_over_the_streams_ends_and_the_next_starts_from_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let s = session(dir.path(), 10);
    let (train, _) = streams(&s);
    // 3,000 characters, 2,700 for training: 4 streams of 675, 84 full windows of 8 (the tail of
    // 2 predictions is not trained on).
    assert_eq!((train.full_len(), train.len()), (84, 85));
    let objective = TaskObjective::new(&s.task, &s.model, BATCH, 0, 1.0).unwrap();
    let store = s.trainer.store();
    let value_at = |step| loss_at(&objective, &Tape::new(), store, step).item();
    for step in 0..84 {
        value_at(step);
    }
    let (wrapped, _) = loss_value(&s, &train.chunk(0), None);
    assert_eq!(value_at(84).to_bits(), wrapped.to_bits());
    // A batch that continues a stream whose state is not at hand is an error, not zeros.
    let fresh = TaskObjective::new(&s.task, &s.model, BATCH, 0, 1.0).unwrap();
    let message = fresh
        .loss(&Tape::new(), store, 5, &mut Rng::new(0))
        .err()
        .expect("an error")
        .to_string();
    assert!(message.contains("batch 5 continues batch 4"), "{message}");
}

#[test]
fn validation_reads_the_held_out_text_as_streams_carrying_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path(), 25);
    s.run(&mut zoo::train::Progress::hidden()).unwrap();
    let (_, val) = streams(&s);
    // 300 held-out characters: 4 streams of 75, windows 8 … 8, 2.
    assert_eq!(val.len(), 10);
    let (mut carried, mut zeros, mut count) = (0.0, 0.0, 0usize);
    let mut state = None;
    for chunk in val.chunks() {
        let n = chunk.targets.len();
        let (loss, last) = loss_value(&s, &chunk, state.as_ref());
        carried += loss * n as f64;
        zeros += loss_value(&s, &chunk, None).0 * n as f64;
        count += n;
        state = Some(last);
    }
    let objective = TaskObjective::new(&s.task, &s.model, BATCH, 0, 1.0).unwrap();
    let metrics = objective.validate(s.trainer.store()).unwrap();
    let nats = metrics.get("val_nats").unwrap();
    assert_eq!(count, 4 * 74);
    assert!((nats - carried / count as f64).abs() < 1e-12, "{nats}");
    assert!((nats - zeros / count as f64).abs() > 1e-4, "{nats}");
}

/// Weights, carried state and last validation of a stateful run of `steps` in a pool of `threads`.
fn run_bits(threads: usize, steps: usize) -> Vec<Vec<u32>> {
    run_bits_diagnosing(threads, steps, false)
}

/// [`run_bits`], diagnosing a training batch at every validation when `diagnose`.
fn run_bits_diagnosing(threads: usize, steps: usize, diagnose: bool) -> Vec<Vec<u32>> {
    let dir = tempfile::tempdir().unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut s = session(dir.path(), steps);
        s.trainer.set_diagnostics(diagnose);
        let summary = s.run(&mut zoo::train::Progress::hidden()).unwrap();
        let bits = |t: &Tensor<f32>| t.data().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let mut out: Vec<Vec<u32>> = s
            .trainer
            .store()
            .iter()
            .map(|(_, p)| bits(&p.value))
            .collect();
        out.extend(s.carry.tensors().iter().map(|(_, t)| bits(t)));
        let nats = summary.last_val.get("val_nats").unwrap().to_bits();
        out.push(vec![(nats >> 32) as u32, nats as u32]);
        out
    })
}

#[test]
fn stateful_training_gives_the_same_bits_on_one_and_two_threads() {
    // 100 steps: the streams' 84 windows and 16 of the next pass.
    let one = run_bits(1, 100);
    assert_eq!(one.len(), 11 + 2 + 1, "11 weights, h and c, val_nats");
    assert!(one == run_bits(2, 100));
    assert!(one != run_bits(1, 99));
}

#[test]
fn a_checkpoint_whose_carried_state_does_not_fit_the_model_is_refused_naming_it() {
    use autograd::params::{read_tensors, write_tensors};
    use zoo::train::CARRY_PREFIX;
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path(), 5);
    s.run(&mut zoo::train::Progress::hidden()).unwrap();
    let saved = dir.path().join("s.st");
    s.save(&saved).unwrap();
    assert!(Session::resume(&saved, None).is_ok());
    let h = format!("{CARRY_PREFIX}h");
    let c = format!("{CARRY_PREFIX}c");
    let mut nan = Tensor::zeros(&[2, BATCH, 12]);
    nan.data_mut()[7] = f32::NAN;
    let cases: [(Option<Tensor<f32>>, &str, &str); 4] = [
        (
            Some(Tensor::zeros(&[2, BATCH, 6])),
            &h,
            "has shape [2, 4, 6]",
        ),
        (
            Some(Tensor::zeros(&[2, BATCH + 1, 12])),
            &c,
            "has shape [2, 5, 12]",
        ),
        (Some(nan), &h, "holds NaN, not a finite number"),
        (None, &c, "lacks a cell state"),
    ];
    for (i, (tensor, name, problem)) in cases.into_iter().enumerate() {
        let file = read_tensors(&saved).unwrap();
        let mut tensors: Vec<(String, Tensor<f32>)> = file
            .names()
            .filter(|n| *n != name)
            .map(|n| (n.to_string(), file.tensor::<f32>(n).unwrap()))
            .collect();
        tensors.extend(tensor.map(|t| (name.to_string(), t)));
        let refs: Vec<(&str, &Tensor<f32>)> =
            tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
        let edited = dir.path().join(format!("edited-{i}.st"));
        write_tensors(&edited, &refs, file.metadata()).unwrap();
        let message = Session::resume(&edited, None)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            message.contains(&edited.display().to_string()) && message.contains(problem),
            "{message}"
        );
    }
}

#[test]
fn diagnosing_a_stateful_run_replays_its_batches_and_changes_no_bit() {
    // Every validation (each 10 steps) runs the step's batch again on a diagnosing tape, from the
    // state that batch started from; the carried state moves on only with training.
    let plain = run_bits(1, 30);
    assert!(plain == run_bits_diagnosing(1, 30, true));
}
