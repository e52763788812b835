//! Time-series generators, CSV loading, windows, normalization and baselines.

use std::io::Write;
use std::sync::Arc;

use datasets::autograd::Rng;
use datasets::series::csv::{load_column, Missing};
use datasets::series::logistic_growth::LogisticGrowth;
use datasets::series::logistic_map::{lyapunov, orbit};
use datasets::series::mackey_glass::MackeyGlass;
use datasets::series::sines::SineMixture;
use datasets::series::task::ForecastConfig;
use datasets::series::{forecast_baselines, Forecasting, Normalizer, WindowMode, Windows};
use datasets::{BatchInput, Batcher, Dataset, Input, Split, Target};

#[test]
fn logistic_growth_without_noise_tracks_the_continuous_solution_and_saturates() {
    let model = LogisticGrowth {
        r: 0.01,
        k: 500.0,
        p0: 5.0,
        noise: 0.0,
    };
    let xs = model.simulate(3000, &mut Rng::new(0)).unwrap();
    // Small r: the discrete map is Euler's method for the logistic ODE.
    for t in [0usize, 300, 600, 1000] {
        let rel = (xs[t] - model.continuous(t as f64)).abs() / model.continuous(t as f64);
        assert!(
            rel < 0.05,
            "t={t}: {} vs {}",
            xs[t],
            model.continuous(t as f64)
        );
    }
    assert!((xs[2999] - 500.0).abs() < 1.0);
    assert!(
        xs.windows(2).all(|w| w[1] >= w[0]),
        "growth is monotone below K"
    );
    // Too large a rate makes the repeated update unstable: it never settles.
    let wild = LogisticGrowth {
        r: 2.7,
        ..model.clone()
    };
    let ys = wild.simulate(500, &mut Rng::new(0)).unwrap();
    let spread = ys[400..].iter().cloned().fold(f64::MIN, f64::max)
        - ys[400..].iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 100.0, "{spread}");
    assert!(LogisticGrowth { k: 0.0, ..model }
        .simulate(3, &mut Rng::new(0))
        .is_err());
}

#[test]
fn logistic_growth_noise_is_seeded() {
    let m = LogisticGrowth::default();
    let a = m.simulate(50, &mut Rng::new(1)).unwrap();
    assert_eq!(a, m.simulate(50, &mut Rng::new(1)).unwrap());
    assert_ne!(a, m.simulate(50, &mut Rng::new(2)).unwrap());
}

#[test]
fn logistic_map_regimes_and_lyapunov_exponent() {
    let fixed = orbit(2.8, 0.3, 2000).unwrap();
    assert!((fixed[1999] - (1.0 - 1.0 / 2.8)).abs() < 1e-9);
    let two = orbit(3.2, 0.3, 2000).unwrap();
    assert!((two[1999] - two[1997]).abs() < 1e-9);
    assert!((two[1999] - two[1998]).abs() > 0.1);
    let l4 = lyapunov(4.0, 0.123, 100, 200_000).unwrap();
    assert!((l4 - 2f64.ln()).abs() < 0.02, "{l4}");
    assert!(lyapunov(2.8, 0.3, 100, 1000).unwrap() < 0.0);
    assert!(orbit(4.5, 0.3, 3).is_err());
}

#[test]
fn mackey_glass_tau17_is_bounded_and_aperiodic() {
    let xs = MackeyGlass::default().series(3000).unwrap();
    assert_eq!(xs[0], 1.2);
    let tail = &xs[500..];
    assert!(tail.iter().all(|&x| x > 0.0 && x < 1.5));
    let mean = tail.iter().sum::<f64>() / tail.len() as f64;
    let sd = (tail.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
    assert!(sd > 0.1, "not constant: sd {sd}");
    // No period up to 500 repeats the last 1000 values.
    for p in 1..=500 {
        let n = tail.len();
        let max_diff = (n - 1000..n)
            .map(|t| (tail[t] - tail[t - p]).abs())
            .fold(0.0, f64::max);
        assert!(max_diff > 1e-3, "period {p}");
    }
}

#[test]
fn mackey_glass_short_delay_settles_on_the_fixed_point() {
    // With τ below the stability limit (≈ 4.7 for these a, b, n) the delay buffer must give
    // convergence to x* = (a/b − 1)^(1/n) = 1; a missing or wrong delay changes this picture.
    let mg = MackeyGlass {
        tau: 2.0,
        ..MackeyGlass::default()
    };
    let xs = mg.series(600).unwrap();
    assert!((xs[599] - 1.0).abs() < 1e-4, "{}", xs[599]);
    let long = MackeyGlass {
        tau: 6.0,
        ..MackeyGlass::default()
    };
    let ys = long.series(1500).unwrap();
    let swing = ys[1000..].iter().cloned().fold(f64::MIN, f64::max)
        - ys[1000..].iter().cloned().fold(f64::MAX, f64::min);
    assert!(swing > 0.1, "beyond the limit it oscillates: {swing}");
    assert!(MackeyGlass { tau: 0.0, ..mg }.series(5).is_err());
}

#[test]
fn sine_mixture_is_periodic_up_to_noise() {
    let mut rng = Rng::new(4);
    let mut mix = SineMixture::random(&mut rng);
    mix.noise = 0.0;
    for c in &mut mix.components {
        c.period = 20.0;
    }
    let xs = mix.series(100, &mut rng).unwrap();
    assert!((xs[73] - xs[33]).abs() < 1e-9);
    assert!(xs.iter().any(|x| x.abs() > 0.1));
}

fn temp_csv(name: &str, text: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("seqzoo-ds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text)
        .unwrap();
    path
}

#[test]
fn csv_reads_a_named_column() {
    let p = temp_csv(
        "ok.csv",
        b"date,fish,temp\n2020,10,3.5\n2021,12.5,4\n2022,15,5\n",
    );
    let col = load_column(&p, "fish", Missing::Error).unwrap();
    assert_eq!(col.values, vec![10.0, 12.5, 15.0]);
    assert!(col.skipped_lines.is_empty());
}

#[test]
fn csv_missing_values_error_with_line_or_are_skipped_and_counted() {
    let p = temp_csv("gaps.csv", b"t,x\n1,1.0\n2,\n3,3.0\n4,NA\n5,5.0\n");
    let err = load_column(&p, "x", Missing::Error)
        .unwrap_err()
        .to_string();
    assert!(err.contains("gaps.csv") && err.contains("line 3"), "{err}");
    let col = load_column(&p, "x", Missing::Skip).unwrap();
    assert_eq!(col.values, vec![1.0, 3.0, 5.0]);
    assert_eq!(col.skipped_lines, vec![3, 5]);
    assert_eq!(col.report(), "3 values, 2 missing skipped (lines 3, 5)");
}

#[test]
fn csv_errors_name_the_file_and_line() {
    let bad = temp_csv("bad.csv", b"t,x\n1,1.0\n2,abc\n");
    let err = load_column(&bad, "x", Missing::Skip)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.csv") && err.contains("line 3") && err.contains("abc"),
        "{err}"
    );
    let err = load_column(&bad, "y", Missing::Skip)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no column named 'y'") && err.contains("t, x"),
        "{err}"
    );
    let ragged = temp_csv("ragged.csv", b"t,x\n1,1.0\n2,2.0,9\n");
    let err = load_column(&ragged, "x", Missing::Skip)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ragged.csv") && err.contains("line 3"),
        "{err}"
    );
    let inf = temp_csv("inf.csv", b"x\n1\ninf\n");
    assert!(load_column(&inf, "x", Missing::Skip)
        .unwrap_err()
        .to_string()
        .contains("line 3"));
    let err = load_column(bad.with_file_name("absent.csv"), "x", Missing::Skip).unwrap_err();
    assert!(err.to_string().contains("absent.csv"));
    let empty = temp_csv("empty.csv", b"");
    assert!(load_column(&empty, "x", Missing::Skip).is_err());
}

#[test]
fn windows_pair_k_past_values_with_the_next_horizon() {
    let series = Arc::new((0..20).map(f64::from).collect::<Vec<_>>());
    let w = Windows::new(series.clone(), 3, 2, WindowMode::Vector, 10..15).unwrap();
    // Targets must start in 10..15 and end inside it: starts 10..=13.
    assert_eq!(w.len(), 4);
    assert_eq!(w.example(0).input, Input::Vector(vec![7.0, 8.0, 9.0]));
    assert_eq!(w.example(3).target, Target::Values(vec![13.0, 14.0]));
    let s = Windows::new(series.clone(), 3, 1, WindowMode::Sequence, 0..20).unwrap();
    assert_eq!(s.len(), 17);
    let batch = Batcher::new(4)
        .unwrap()
        .epoch(&s, 0)
        .next()
        .unwrap()
        .unwrap();
    let BatchInput::Steps(x) = &batch.input else {
        panic!()
    };
    assert_eq!(x.shape(), &[4, 3, 1]);
    assert!(Windows::new(series, 0, 1, WindowMode::Vector, 0..5).is_err());
}

#[test]
fn normalization_is_fitted_on_train_only_and_invertible() {
    // A trending series: statistics of the whole series would differ from the training ones.
    let series: Vec<f64> = (0..100).map(|t| 10.0 + t as f64).collect();
    let task = Forecasting::new(series.clone(), ForecastConfig::default()).unwrap();
    let train = &series[task.range(Split::Train)];
    let n = Normalizer::fit(train).unwrap();
    assert_eq!(task.normalizer(), n);
    assert!((n.mean - 44.5).abs() < 1e-12);
    let z = n.apply_all(&series);
    let train_z = &z[task.range(Split::Train)];
    assert!(train_z.iter().sum::<f64>().abs() < 1e-9);
    assert!(z[99] > 2.0, "test values lie outside the training range");
    let back = n.invert_all(&z);
    assert!(back.iter().zip(&series).all(|(a, b)| (a - b).abs() < 1e-9));
    assert!(Normalizer::fit(&[]).is_err());
    assert_eq!(Normalizer::fit(&[3.0, 3.0]).unwrap().std, 1.0);
}

#[test]
fn forecasting_windows_and_baselines_cover_the_same_split() {
    let mut rng = Rng::new(0);
    let series: Vec<f64> = (0..400)
        .map(|t| (t as f64 * std::f64::consts::TAU / 12.0).sin() + 0.01 * rng.normal())
        .collect();
    let config = ForecastConfig {
        k: 12,
        season: 12,
        ..ForecastConfig::default()
    };
    let task = Forecasting::new(series.clone(), config).unwrap();
    let val = task.windows(Split::Val).unwrap();
    let range = task.range(Split::Val);
    assert_eq!(val.len(), range.len());
    assert_eq!(val.target_start(0), range.start);
    let b = task.baselines(Split::Val);
    let names: Vec<&str> = b.iter().map(|e| e.name).collect();
    assert_eq!(names, ["persistence", "seasonal_naive", "train_mean"]);
    // A clean season-12 sine: seasonal-naive is nearly exact, persistence is not, the mean is worse.
    assert!(
        b[1].rmse < 0.05 && b[0].rmse > 0.3 && b[2].rmse > b[0].rmse,
        "{b:?}"
    );
    // Persistence computed by hand on the raw val targets.
    let want: f64 = range
        .clone()
        .map(|t| (series[t] - series[t - 1]).powi(2))
        .sum::<f64>()
        / range.len() as f64;
    assert!((b[0].mse - want).abs() < 1e-12);
    // The dataset's own baseline is the same persistence error, in normalized units.
    let own = val.baseline().unwrap().value;
    assert!((own * task.normalizer().std - b[0].rmse).abs() < 1e-9);
}

#[test]
fn forecast_baselines_by_hand() {
    let s = [1.0, 2.0, 4.0, 8.0];
    let b = forecast_baselines(&s, 0..2, 2..4, 1, 2);
    // persistence: predict 2 for 4 and 4 for 8; seasonal(2): 1 for 4, 2 for 8; mean 1.5.
    assert!((b[0].mse - (4.0 + 16.0) / 2.0).abs() < 1e-12);
    assert!((b[1].mse - (9.0 + 36.0) / 2.0).abs() < 1e-12);
    assert!((b[2].mae - (2.5 + 6.5) / 2.0).abs() < 1e-12);
}

#[test]
fn forecast_baselines_cut_ranges_at_the_end_of_the_series() {
    let s = [1.0, 2.0, 4.0, 8.0];
    let b = forecast_baselines(&s, 0..10, 2..10, 1, 1);
    // Targets 4 and 8 only; persistence predicts 2 and 4; the train mean is (1+2+4+8)/4.
    assert!((b[0].mse - (4.0 + 16.0) / 2.0).abs() < 1e-12, "{b:?}");
    assert!((b[2].mae - (0.25 + 4.25) / 2.0).abs() < 1e-12, "{b:?}");
}
