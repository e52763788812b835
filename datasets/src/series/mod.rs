//! Time series: generators (logistic growth, logistic map, Mackey-Glass, sine mixtures, a lagged
//! echo), a CSV loader, windowing, normalization fitted on the training split, and forecasting
//! baselines.

pub mod baselines;
pub mod csv;
pub mod echo;
pub mod forecast_task;
pub mod logistic_growth;
pub mod logistic_map;
pub mod mackey_glass;
pub mod normalize;
pub mod sines;
pub mod task;
pub mod window;

pub use baselines::{forecast_baselines, ForecastError};
pub use normalize::Normalizer;
pub use task::{ForecastConfig, Forecasting};
pub use window::{WindowMode, Windows};
