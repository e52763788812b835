//! Quick runs of the `window`, `population` and `clipping` experiments: their pages, snapshots and
//! verdicts.

mod common;

use common::experiment::quick;

#[test]
fn window_quick_run() {
    let report = quick("window");
    insta::assert_snapshot!(report.snapshot());
    assert!(report.verdict.holds, "{}", report.verdict.because);
}

#[test]
fn clipping_quick_run() {
    let report = quick("clipping");
    insta::assert_snapshot!(report.snapshot());
    assert!(report.verdict.holds, "{}", report.verdict.because);
}

#[test]
fn population_quick_run() {
    let report = quick("population");
    insta::assert_snapshot!(report.snapshot());
    assert!(report.verdict.holds, "{}", report.verdict.because);
}

/// The gradient norms reported to an observer, and one-step forecasts by `predict_next` that
/// score the validation MSE the trainer reports.
#[test]
fn gradient_norms_and_forecasts_agree_with_the_trainer() {
    use datasets::{Input, Target};
    use seqzoo::experiment::{Options, Trial};
    use seqzoo::problem::{predict_next, ModelSpec, RunSpec};
    use zoo::train::{Observer, TrainConfig};

    #[derive(Default)]
    struct Norms(Vec<f64>);
    impl Observer for Norms {
        fn wants_gradient_norm(&self) -> bool {
            true
        }
        fn gradient(&mut self, _step: usize, norm: f64) {
            self.0.push(norm);
        }
    }
    let spec = RunSpec {
        settings: vec!["k=6".into()],
        ..RunSpec::new(
            "logistic-map",
            ModelSpec {
                model: "srn".into(),
                hidden: 8,
                ..ModelSpec::default()
            },
        )
    };
    let train = TrainConfig {
        steps: 30,
        val_every: 30,
        ..TrainConfig::default()
    };
    let mut norms = Norms::default();
    let trial = Trial::run_observed(spec, train, None, &Options::quick(0), &mut norms).unwrap();
    assert_eq!(norms.0.len(), 30, "one norm per step without clipping");
    assert!(norms.0.iter().all(|n| n.is_finite() && *n > 0.0));

    let val = &trial.session.task.val;
    let (mut windows, mut targets) = (vec![], vec![]);
    for i in 0..val.len() {
        let e = val.example(i);
        let (Input::Steps { values, .. }, Target::Values(y)) = (e.input, e.target) else {
            panic!("forecasting windows are steps with values");
        };
        windows.push(values.iter().map(|&v| v as f64).collect::<Vec<f64>>());
        targets.push(y[0] as f64);
    }
    let store = trial.session.trainer.store();
    let predicted = predict_next(&trial.session.model, store, &windows).unwrap();
    let scale = trial.session.task.normalizer.unwrap().std;
    let mse: f64 = predicted
        .iter()
        .zip(&targets)
        .map(|(p, t)| (p - t).powi(2))
        .sum::<f64>()
        / targets.len() as f64
        * scale
        * scale;
    let reported = trial.last("val_mse");
    assert!(
        (mse - reported).abs() < 1e-4 * reported.max(1e-6),
        "{mse} vs {reported}"
    );
    assert!(predict_next(&trial.session.model, store, &[vec![0.0; 6], vec![0.0; 5]]).is_err());
}
