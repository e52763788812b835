//! Batcher, padding, masks and splits.

use datasets::{
    chronological_ranges, collate, random_indices, BatchInput, BatchTarget, Batcher, Dataset,
    Example, Input, Subset, Target, PAD,
};

/// Example i: a token sequence of length 1 + i % 4 whose ids are i+1, tagged by parity.
struct Ragged(usize);

impl Dataset for Ragged {
    fn len(&self) -> usize {
        self.0
    }
    fn example(&self, index: usize) -> Example {
        let ids = vec![index + 1; 1 + index % 4];
        let tags = ids.iter().map(|i| i % 2).collect();
        Example {
            input: Input::Tokens(ids),
            target: Target::Tags(tags),
        }
    }
}

fn steps(values: &[f32], width: usize) -> Example {
    Example {
        input: Input::Steps {
            width,
            values: values.to_vec(),
        },
        target: Target::Values(vec![values.iter().sum()]),
    }
}

#[test]
fn step_inputs_are_zero_padded_with_lengths_and_mask() {
    let ex = [
        steps(&[1., 2., 3., 4.], 2),
        steps(&[5., 6., 7., 8., 9., 10.], 2),
    ];
    let batch = collate(&ex, &[7, 3]).unwrap();
    assert_eq!(batch.lengths, vec![2, 3]);
    assert_eq!(batch.indices, vec![7, 3]);
    assert_eq!(batch.mask.shape(), &[2, 3]);
    assert_eq!(batch.mask.data(), &[1., 1., 0., 1., 1., 1.]);
    let BatchInput::Steps(x) = &batch.input else {
        panic!("expected steps")
    };
    assert_eq!(x.shape(), &[2, 3, 2]);
    assert_eq!(x.data(), &[1., 2., 3., 4., 0., 0., 5., 6., 7., 8., 9., 10.]);
    let BatchTarget::Values(y) = &batch.target else {
        panic!("expected values")
    };
    assert_eq!(y.shape(), &[2, 1]);
    assert_eq!(y.data(), &[10., 45.]);
}

#[test]
fn token_batches_pad_with_pad_and_ignore_padding_in_targets() {
    let ds = Ragged(4);
    let batch = Batcher::new(4)
        .unwrap()
        .epoch(&ds, 0)
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(batch.lengths, vec![1, 2, 3, 4]);
    let BatchInput::Tokens(p) = &batch.input else {
        panic!("expected tokens")
    };
    assert_eq!((p.batch, p.steps), (4, 4));
    assert_eq!(p.row(2), &[3, 3, 3]);
    assert_eq!(&p.ids[4..8], &[2, 2, PAD, PAD]);
    assert_eq!(p.mask, batch.mask);
    let BatchTarget::Tags(t) = &batch.target else {
        panic!("expected tags")
    };
    let ce = t.targets_ignoring_pad();
    assert_eq!(&ce[0..4], &[1, -100, -100, -100]);
    assert_eq!(&ce[12..16], &[0, 0, 0, 0]);
}

#[test]
fn teacher_forcing_shift_drops_last_and_first() {
    let p = datasets::Padded::new(&[&[1, 5, 6, 2], &[1, 7, 2]]);
    let (inp, out) = p.shift_for_teacher_forcing();
    assert_eq!(inp.row(0), &[1, 5, 6]);
    assert_eq!(inp.row(1), &[1, 7]);
    assert_eq!(out.row(0), &[5, 6, 2]);
    assert_eq!(out.row(1), &[7, 2]);
    assert_eq!(out.mask.data(), &[1., 1., 1., 1., 1., 0.]);
}

#[test]
fn mixed_examples_are_an_error_naming_the_example() {
    let ex = [steps(&[1., 2.], 2), steps(&[1., 2., 3.], 3)];
    let err = collate(&ex, &[0, 9]).unwrap_err().to_string();
    assert!(err.contains("example 9"), "{err}");
    let tok = Example {
        input: Input::Tokens(vec![1]),
        target: Target::Class(0),
    };
    let err = collate(&[steps(&[1.], 1), tok], &[0, 1])
        .unwrap_err()
        .to_string();
    assert!(err.contains("example 1") && err.contains("token"), "{err}");
    assert!(collate(&[], &[]).is_err());
    assert!(Batcher::new(0).is_err());
}

#[test]
fn shuffling_is_seeded_per_epoch_and_covers_every_index() {
    let b = Batcher::new(3).unwrap().shuffled(11);
    let e0 = b.order(10, 0);
    assert_eq!(e0, b.order(10, 0));
    assert_ne!(e0, b.order(10, 1));
    assert_ne!(e0, Batcher::new(3).unwrap().shuffled(12).order(10, 0));
    let mut sorted = e0.clone();
    sorted.sort();
    assert_eq!(sorted, (0..10).collect::<Vec<_>>());
    let seen: Vec<usize> = b
        .epoch(&Ragged(10), 0)
        .flat_map(|batch| batch.unwrap().indices)
        .collect();
    assert_eq!(seen, e0);
}

#[test]
fn drop_last_drops_only_the_short_batch() {
    let ds = Ragged(10);
    let keep: Vec<usize> = Batcher::new(4)
        .unwrap()
        .epoch(&ds, 0)
        .map(|b| b.unwrap().size())
        .collect();
    assert_eq!(keep, vec![4, 4, 2]);
    let drop = Batcher::new(4).unwrap().drop_last(true);
    assert_eq!(drop.num_batches(10), 2);
    assert_eq!(drop.epoch(&ds, 0).count(), 2);
}

#[test]
fn chronological_ranges_are_contiguous_and_cover_everything() {
    let [tr, va, te] = chronological_ranges(103, 0.7, 0.15).unwrap();
    assert_eq!((tr.start, tr.end, va.end, te.end), (0, 72, 87, 103));
    assert_eq!(va.start, tr.end);
    assert_eq!(te.start, va.end);
    assert!(chronological_ranges(10, 0.8, 0.3).is_err());
    assert!(chronological_ranges(10, f64::NAN, 0.1).is_err());
}

#[test]
fn random_splits_are_disjoint_and_seeded() {
    let parts = random_indices(50, 0.6, 0.2, 3).unwrap();
    assert_eq!(
        parts.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![30, 10, 10]
    );
    let mut all: Vec<usize> = parts.concat();
    all.sort();
    assert_eq!(all, (0..50).collect::<Vec<_>>());
    assert_eq!(parts, random_indices(50, 0.6, 0.2, 3).unwrap());
    assert_ne!(parts, random_indices(50, 0.6, 0.2, 4).unwrap());
    let sub = Subset::new(Ragged(50), parts[1].clone()).unwrap();
    assert_eq!(sub.example(0), Ragged(50).example(parts[1][0]));
    assert!(Subset::new(Ragged(5), vec![5]).is_err());
}

#[test]
fn step_values_that_are_not_whole_steps_are_an_error_not_a_panic() {
    let ragged = [steps(&[1., 2., 3., 4.], 2), steps(&[1., 2., 3.], 2)];
    let err = collate(&ragged, &[0, 5]).unwrap_err().to_string();
    assert!(
        err.contains("example 5") && err.contains("3 values"),
        "{err}"
    );
    let zero = [steps(&[1.], 0)];
    assert!(collate(&zero, &[0]).is_err());
}

#[test]
fn registry_settings_change_the_task_and_unknown_keys_are_named() {
    use datasets::params::Params;
    use datasets::registry::dataset_with;
    use datasets::series::forecast_task::SeriesTask;
    use datasets::series::logistic_growth::LogisticGrowthSeries;
    let p = Params::parse(&["t=7"]).unwrap();
    let copy = dataset_with("copy", 0, 3, &p).unwrap();
    // Copy sequences are T + 20 long.
    assert_eq!(copy.example(0).input.steps(), 27);
    let p = Params::parse(&["min=3", "max=3"]).unwrap();
    let rev = dataset_with("reversal", 0, 20, &p).unwrap();
    assert!((0..20).all(|i| rev.example(i).input.steps() == 3));
    let p = Params::parse(&["len=50", "noise=0"]).unwrap();
    let growth = SeriesTask(LogisticGrowthSeries).series(0, &p).unwrap();
    // Without noise the first value is exactly P0 = 10 and the next is 10 + 0.2·10·(1 − 10/1000).
    assert_eq!(growth.len(), 50);
    assert_eq!(growth[0], 10.0);
    assert!((growth[1] - 11.98).abs() < 1e-12, "{}", growth[1]);

    let err = |name: &str, items: &[&str]| {
        let p = Params::parse(items).unwrap();
        dataset_with(name, 0, 3, &p).err().unwrap().to_string()
    };
    let e = err("copy", &["T=7"]);
    assert!(e.contains("'T'") && e.contains("its settings: t"), "{e}");
    let e = err("dates", &["t=7"]);
    assert!(e.contains("'t'") && e.contains("none"), "{e}");
    let e = err("adding", &["t=many"]);
    assert!(e.contains("t=many") && e.contains("usize"), "{e}");
    assert!(err("copy", &["t=0"]).contains("T >= 1"));
    assert!(Params::parse(&["t"]).is_err() && Params::parse(&["t=1", "t=2"]).is_err());
}

#[test]
fn vectors_and_value_targets_of_other_widths_are_errors_naming_the_example() {
    let ex = |n: usize, k: usize| Example {
        input: Input::Vector(vec![1.0; n]),
        target: Target::Values(vec![0.5; k]),
    };
    let batch = collate(&[ex(3, 2), ex(3, 2)], &[0, 1]).unwrap();
    let (BatchInput::Vectors(x), BatchTarget::Values(y)) = (&batch.input, &batch.target) else {
        panic!("expected vectors and values")
    };
    assert_eq!((x.shape(), y.shape()), (&[2, 3][..], &[2, 2][..]));
    let err = collate(&[ex(3, 2), ex(4, 2)], &[0, 8])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("vectors") && err.contains("example 8 has 4 values"),
        "{err}"
    );
    let err = collate(&[ex(3, 2), ex(3, 1)], &[0, 6])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("targets") && err.contains("example 6 has 1 values"),
        "{err}"
    );
}

#[test]
fn batch_at_walks_the_epochs_in_order() {
    let ds = Ragged(10);
    let b = Batcher::new(4).unwrap().shuffled(5).drop_last(true);
    let by_epoch: Vec<Vec<usize>> = (0..2)
        .flat_map(|e| b.epoch(&ds, e).map(|batch| batch.unwrap().indices))
        .collect();
    let by_step: Vec<Vec<usize>> = (0..4)
        .map(|s| b.batch_at(&ds, s).unwrap().indices)
        .collect();
    assert_eq!(by_step, by_epoch);
    assert!(Batcher::new(11)
        .unwrap()
        .drop_last(true)
        .batch_at(&ds, 0)
        .is_err());
}
