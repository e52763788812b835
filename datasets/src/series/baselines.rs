//! Forecasting baselines a model must beat: persistence, seasonal-naive and the training mean.

/// Errors of one predictor over a set of forecasts.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastError {
    /// The predictor: `persistence`, `seasonal_naive` or `train_mean`.
    pub name: &'static str,
    /// Mean squared error.
    pub mse: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
}

fn errors(name: &'static str, pairs: impl Iterator<Item = (f64, f64)>) -> ForecastError {
    let (mut se, mut ae, mut n) = (0.0, 0.0, 0usize);
    for (pred, truth) in pairs {
        se += (pred - truth).powi(2);
        ae += (pred - truth).abs();
        n += 1;
    }
    let n = n.max(1) as f64;
    ForecastError {
        name,
        mse: se / n,
        rmse: (se / n).sqrt(),
        mae: ae / n,
    }
}

/// RMSE of repeating each window's last input for every target step.
pub fn persistence_rmse<'a>(windows: impl Iterator<Item = (&'a [f64], &'a [f64])>) -> f64 {
    errors(
        "persistence",
        windows.flat_map(|(x, y)| {
            // A window without inputs has nothing to repeat: it contributes no forecasts.
            let last = x.last().copied();
            y.iter().filter_map(move |&v| Some((last?, v)))
        }),
    )
    .rmse
}

/// The three baselines for forecasting `series[t..t+horizon]` at every `t` in `targets` (with
/// `t + horizon ≤ series.len()`), all in the series' units:
/// persistence (`x[t−1]`), seasonal-naive with period `season` (`x[t+j−season·⌈(j+1)/season⌉]`),
/// and the mean of `series[train]`. Targets needing history before index 0 are skipped.
pub fn forecast_baselines(
    series: &[f64],
    train: std::ops::Range<usize>,
    targets: std::ops::Range<usize>,
    horizon: usize,
    season: usize,
) -> Vec<ForecastError> {
    let season = season.max(1);
    // Ranges reaching past the series are cut at its end rather than read out of bounds.
    let train = train.start.min(series.len())..train.end.min(series.len());
    let train_mean = if train.is_empty() {
        0.0
    } else {
        series[train.clone()].iter().sum::<f64>() / train.len() as f64
    };
    let end = (targets.end.min(series.len()) + 1).saturating_sub(horizon);
    let starts = || (targets.start.max(season)..end).filter(|&t| t >= 1);
    let steps = |t: usize| (0..horizon).map(move |j| (t, j));
    vec![
        errors(
            "persistence",
            starts()
                .flat_map(steps)
                .map(|(t, j)| (series[t - 1], series[t + j])),
        ),
        errors(
            "seasonal_naive",
            starts().flat_map(steps).map(|(t, j)| {
                let back = season * (j / season + 1);
                (series[t + j - back], series[t + j])
            }),
        ),
        errors(
            "train_mean",
            starts()
                .flat_map(steps)
                .map(|(t, j)| (train_mean, series[t + j])),
        ),
    ]
}
