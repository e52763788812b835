//! Spec conformance of the adding problem and the copy task, and determinism of synthetic data.

use datasets::synthetic::adding::{marked_positions, Adding, AddingSpec};
use datasets::synthetic::copy::{CopyTask, BLANK, DELIMITER};
use datasets::synthetic::Synthetic;
use datasets::{Dataset, Input, Split, Target};

fn steps_of(e: &datasets::Example) -> &[f32] {
    match &e.input {
        Input::Steps { width: 2, values } => values,
        other => panic!("adding input must be 2-channel steps, got {other:?}"),
    }
}

#[test]
fn adding_has_two_markers_one_per_half_and_target_is_their_sum() {
    for t in [2, 3, 10, 51, 200] {
        let ds = Synthetic::new(Adding::new(t, AddingSpec::Modern).unwrap(), 7, 300);
        for i in 0..ds.len() {
            let e = ds.example(i);
            let v = steps_of(&e);
            assert_eq!(v.len(), 2 * t);
            let marks = marked_positions(v);
            assert_eq!(marks.len(), 2, "T={t} example {i}");
            assert!(marks[0] < t / 2 && marks[1] >= t / 2, "T={t}: {marks:?}");
            assert!(v.chunks(2).all(|s| (0.0..1.0).contains(&s[0])));
            assert!(v.chunks(2).all(|s| s[1] == 0.0 || s[1] == 1.0));
            let sum = v[2 * marks[0]] + v[2 * marks[1]];
            assert_eq!(e.target, Target::Values(vec![sum]));
        }
    }
}

#[test]
fn adding_marker_positions_are_spread_over_each_half() {
    let t = 20;
    let ds = Synthetic::new(Adding::new(t, AddingSpec::Modern).unwrap(), 1, 2000);
    let mut seen = [0usize; 20];
    for i in 0..ds.len() {
        for p in marked_positions(steps_of(&ds.example(i))) {
            seen[p] += 1;
        }
    }
    // Each position of a half is hit about 2000/10 = 200 times.
    assert!(seen.iter().all(|&c| (120..280).contains(&c)), "{seen:?}");
}

#[test]
fn adding_predict_one_baseline_is_one_sixth_on_10000_samples() {
    let ds = Synthetic::new(Adding::new(100, AddingSpec::Modern).unwrap(), 42, 10_000);
    let b = ds.baseline().unwrap();
    assert_eq!(b.metric, "mse");
    assert!((b.value - 1.0 / 6.0).abs() < 0.005, "{}", b.value);
    // Recompute from the examples directly: the baseline is on exactly these samples.
    let direct: f64 = (0..ds.len())
        .map(|i| match ds.example(i).target {
            Target::Values(v) => (v[0] as f64 - 1.0).powi(2),
            _ => unreachable!(),
        })
        .sum::<f64>()
        / ds.len() as f64;
    assert!((b.value - direct).abs() < 1e-9);
}

#[test]
fn adding_original_spec_has_end_markers_and_scaled_target() {
    let ds = Synthetic::new(Adding::new(100, AddingSpec::Original).unwrap(), 3, 500);
    for i in 0..ds.len() {
        let e = ds.example(i);
        let v = steps_of(&e);
        assert_eq!((v[1], v[199]), (-1.0, -1.0));
        let marks = marked_positions(v);
        assert_eq!(marks.len(), 2);
        assert!(marks.iter().any(|&p| (1..10).contains(&p)), "{marks:?}");
        assert!(marks.iter().all(|&p| p < 50));
        assert!(v.chunks(2).all(|s| (-1.0..1.0).contains(&s[0])));
        let want = 0.5 + (v[2 * marks[0]] + v[2 * marks[1]]) / 4.0;
        assert_eq!(e.target, Target::Values(vec![want]));
    }
    assert!(Adding::new(5, AddingSpec::Original).is_err());
    assert!(Adding::new(6, AddingSpec::Original).is_ok());
    assert!(Adding::new(1, AddingSpec::Modern).is_err());
}

#[test]
fn copy_task_layout_matches_the_spec() {
    for t in [1, 5, 100] {
        let task = CopyTask::new(t).unwrap();
        let ds = Synthetic::new(task, 9, 50);
        for i in 0..ds.len() {
            let e = ds.example(i);
            let (Input::Tokens(x), Target::Tags(y)) = (&e.input, &e.target) else {
                panic!("copy is tokens → tags")
            };
            assert_eq!(x.len(), t + 20);
            assert_eq!(y.len(), t + 20);
            assert!(x[..10].iter().all(|s| (1..=8).contains(s)));
            assert!(x[10..t + 9].iter().all(|&s| s == BLANK));
            assert_eq!(x[t + 9], DELIMITER);
            assert!(x[t + 10..].iter().all(|&s| s == BLANK));
            assert!(y[..t + 10].iter().all(|&s| s == BLANK));
            assert_eq!(&y[t + 10..], &x[..10]);
        }
    }
    assert!(CopyTask::new(0).is_err());
}

#[test]
fn copy_baseline_is_10_ln8_over_t_plus_20() {
    for t in [10, 100, 300] {
        let ds = Synthetic::new(CopyTask::new(t).unwrap(), 5, 200);
        let b = ds.baseline().unwrap();
        let want = 10.0 * 8f64.ln() / (t as f64 + 20.0);
        assert!(
            (b.value - want).abs() < 1e-12,
            "T={t}: {} vs {want}",
            b.value
        );
    }
    let at100 = Synthetic::new(CopyTask::new(100).unwrap(), 0, 10)
        .baseline()
        .unwrap();
    assert!((at100.value - 0.1733).abs() < 5e-5);
}

fn bytes(ds: &impl Dataset) -> Vec<u8> {
    (0..ds.len())
        .flat_map(|i| format!("{:?}", ds.example(i)).into_bytes())
        .collect()
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = Synthetic::new(Adding::new(30, AddingSpec::Modern).unwrap(), 5, 20);
    let b = Synthetic::new(Adding::new(30, AddingSpec::Modern).unwrap(), 5, 20);
    let c = Synthetic::new(Adding::new(30, AddingSpec::Modern).unwrap(), 6, 20);
    assert_eq!(bytes(&a), bytes(&b));
    assert_ne!(bytes(&a), bytes(&c));
    // Splits draw from disjoint streams; an example does not depend on the dataset length.
    assert_ne!(bytes(&a), bytes(&a.split(Split::Val, 20)));
    let longer = Synthetic::new(Adding::new(30, AddingSpec::Modern).unwrap(), 5, 1000);
    assert_eq!(longer.example(17), a.example(17));
}

#[test]
fn endless_stream_continues_past_the_nominal_length() {
    let ds = Synthetic::new(CopyTask::new(4).unwrap(), 2, 3);
    let batches: Vec<_> = ds.stream(2).take(4).map(Result::unwrap).collect();
    assert_eq!(batches[3].indices, vec![6, 7]);
    assert_eq!(batches[0].lengths, vec![24, 24]);
    let again: Vec<_> = ds.stream(2).take(4).map(Result::unwrap).collect();
    assert_eq!(batches, again);
}

#[test]
fn a_subset_computes_the_baseline_on_its_own_examples() {
    let ds = Synthetic::new(Adding::new(20, AddingSpec::Modern).unwrap(), 8, 400);
    let picked: Vec<usize> = (0..400).filter(|i| i % 3 == 0).collect();
    let sub = datasets::Subset::new(&ds, picked.clone()).unwrap();
    // Predict-1 MSE over only the picked examples, computed from their targets by hand.
    let want = picked
        .iter()
        .map(|&i| match ds.example(i).target {
            Target::Values(v) => (v[0] as f64 - 1.0).powi(2),
            other => panic!("{other:?}"),
        })
        .sum::<f64>()
        / picked.len() as f64;
    let got = sub.baseline().unwrap();
    assert_eq!(got.metric, "mse");
    assert!((got.value - want).abs() < 1e-12, "{} vs {want}", got.value);
    assert!((got.value - ds.baseline().unwrap().value).abs() > 1e-9);
}
