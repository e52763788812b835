//! A progress bar on stderr (loss, steps/s, ETA) that stays silent when stderr is not a terminal.

use super::{Observer, TrainSummary, ValRecord};
use autograd::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// The bar's layout: bar, steps, loss (and latest validation loss), steps/s, time left.
const TEMPLATE: &str = "{bar:30.cyan/blue} {pos}/{len} {msg}  {rate} ETA {eta}";

/// Steps averaged into the loss shown on the bar.
const SHOWN_LOSS_WINDOW: f64 = 50.0;

/// An [`Observer`] drawing an indicatif bar on stderr. `ProgressDrawTarget::stderr()` hides
/// itself when stderr is not a terminal (or `TERM` is unset or `dumb`), so piped output stays clean.
pub struct Progress {
    bar: Option<ProgressBar>,
    target: fn() -> ProgressDrawTarget,
    /// Exponential moving average of the training loss.
    loss: Option<f64>,
    val_loss: Option<f64>,
}

impl Progress {
    /// A bar on stderr (hidden automatically when stderr is not a terminal).
    pub fn stderr() -> Self {
        Progress {
            bar: None,
            target: ProgressDrawTarget::stderr,
            loss: None,
            val_loss: None,
        }
    }

    /// A bar that never draws (tests, `--quiet`).
    pub fn hidden() -> Self {
        Progress {
            target: ProgressDrawTarget::hidden,
            ..Progress::stderr()
        }
    }

    /// Whether the bar draws anything (false when stderr is not a terminal).
    pub fn is_visible(&self) -> bool {
        !(self.target)().is_hidden()
    }

    fn message(&self) -> String {
        let mut msg = String::new();
        if let Some(l) = self.loss {
            msg.push_str(&format!("loss {l:.4}"));
        }
        if let Some(v) = self.val_loss {
            msg.push_str(&format!("  val {v:.4}"));
        }
        msg
    }
}

impl Observer for Progress {
    fn start(&mut self, step: usize, total: usize) {
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(Some(total as u64), (self.target)());
            let style = ProgressStyle::with_template(TEMPLATE)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    // The bar has nothing to report if the terminal write fails.
                    let _ = write!(w, "{:.1} steps/s", s.per_sec());
                });
            bar.set_style(style);
            bar
        });
        bar.set_length(total as u64);
        bar.set_position(step as u64);
        // Steps done before a resume are not this process's speed.
        bar.reset_eta();
    }

    fn step(&mut self, step: usize, loss: f64, _lr: f64) {
        let a = 1.0 / SHOWN_LOSS_WINDOW;
        self.loss = Some(match self.loss {
            Some(m) if m.is_finite() => m + a * (loss - m),
            _ => loss,
        });
        let msg = self.message();
        if let Some(bar) = &self.bar {
            bar.set_position(step as u64);
            bar.set_message(msg);
        }
    }

    fn validation(&mut self, record: &ValRecord) -> Result<()> {
        self.val_loss = record.metrics.val_loss();
        let msg = self.message();
        if let Some(bar) = &self.bar {
            bar.set_message(msg);
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &TrainSummary) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses() {
        assert!(ProgressStyle::with_template(TEMPLATE).is_ok());
    }

    #[test]
    fn the_message_shows_smoothed_and_validation_loss() {
        let mut p = Progress::hidden();
        p.start(0, 10);
        p.step(1, 2.0, 0.1);
        p.step(2, 1.0, 0.1);
        assert_eq!(p.message(), "loss 1.9800");
        p.val_loss = Some(0.5);
        assert_eq!(p.message(), "loss 1.9800  val 0.5000");
    }
}
