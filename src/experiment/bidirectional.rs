//! `bidirectional`: a tagger whose labels are decided by later words needs to read the sentence
//! backwards too. Unidirectional against bidirectional LSTM on the `tagging` task.

use autograd::Result;
use datasets::synthetic::tagging::{PERSON, THING};
use serde_json::json;

use super::budget::{curves_chart, Budget};
use super::{Cell, Experiment, Options, Plot, Report, Table, Trial, Verdict};
use crate::plot::LineChart;
use crate::problem::TaskObjective;

/// A unidirectional and a bidirectional LSTM tagging words whose tag a later cue decides.
pub struct Bidirectional;

/// The tags only the future decides (an ambiguous word is a person or a thing).
const FUTURE_TAGS: [usize; 2] = [PERSON, THING];

/// A left-to-right reader guesses the future-decided tags at this rate (two equally likely tags).
const CHANCE: f64 = 0.5;

/// The bidirectional tagger solves the future-decided words when above this accuracy, and the
/// unidirectional one stays near chance when below the other.
const SOLVED: f64 = 0.9;
const NEAR_CHANCE: f64 = 0.65;

/// What one reading direction's run found.
struct DirectionRun {
    name: &'static str,
    weights: usize,
    accuracy: f64,
    future: f64,
    curve: Vec<(f64, f64)>,
    loss: Vec<(f64, f64)>,
}

impl DirectionRun {
    /// Measures a finished trial: its final accuracy overall and on the future-decided words.
    fn of(name: &'static str, trial: &Trial) -> Result<Self> {
        let s = &trial.session;
        let tally = TaskObjective::new(&s.task, &s.model, s.spec.batch, s.spec.seed, 1.0)?
            .tally(s.trainer.store())?;
        Ok(DirectionRun {
            name,
            weights: s.num_weights(),
            accuracy: tally.accuracy(),
            future: tally.accuracy_of(&FUTURE_TAGS),
            curve: trial.curve("val_accuracy"),
            loss: trial.curve("val_loss"),
        })
    }
}

impl Experiment for Bidirectional {
    fn name(&self) -> &'static str {
        "bidirectional"
    }

    fn claim(&self) -> &'static str {
        "a tagger whose labels depend on later words needs a bidirectional network"
    }

    fn run(&self, options: &Options) -> Result<Report> {
        let budget = Budget {
            hidden: 32,
            batch: 32,
            lr: 0.01,
            steps: options.pick(300, 1500),
            val_every: options.pick(25, 50),
            val_size: options.pick(500, 2000),
        };
        let (len, gap) = options.pick((12, 5), (20, 10));
        let settings = [format!("len={len}"), format!("gap={gap}")];
        let mut runs = Vec::new();
        let mut baseline = f64::NAN;
        for (name, bidirectional) in [("unidirectional", false), ("bidirectional", true)] {
            let trial = budget.train("tagging", &settings, "lstm", bidirectional, None, options)?;
            baseline = trial
                .session
                .task
                .baseline
                .as_ref()
                .map_or(f64::NAN, |b| b.value);
            runs.push(DirectionRun::of(name, &trial)?);
        }
        let mut table = Table::new(
            format!(
                "Validation accuracy after {} steps: over every word, and over the ambiguous \
                 words whose tag only a later cue decides. The baseline tags each word with its \
                 most frequent tag; on the ambiguous words a left-to-right guess is right half \
                 the time.",
                budget.steps
            ),
            &[
                "LSTM",
                "weights",
                "accuracy",
                "future-decided accuracy",
                "baseline accuracy",
                "chance (future-decided)",
            ],
        );
        for r in &runs {
            table.push(vec![
                Cell::text(r.name),
                Cell::int(r.weights as i64),
                Cell::measured(r.accuracy, 4),
                Cell::measured(r.future, 4),
                Cell::num(baseline, 4),
                Cell::num(CHANCE, 2),
            ]);
        }
        let (uni, bi) = (&runs[0], &runs[1]);
        let holds = bi.future > SOLVED && uni.future < NEAR_CHANCE && bi.accuracy > uni.accuracy;
        let verdict = Verdict {
            holds,
            because: format!(
                "on the future-decided words the bidirectional LSTM is right {:.1}% of the time \
                 and the unidirectional one {:.1}% (chance 50%); overall {:.2}% against {:.2}% \
                 (the rule: bidirectional above {:.0}%, unidirectional below {:.0}%, and better \
                 overall)",
                100.0 * bi.future,
                100.0 * uni.future,
                100.0 * bi.accuracy,
                100.0 * uni.accuracy,
                100.0 * SOLVED,
                100.0 * NEAR_CHANCE
            ),
        };
        let named = |f: fn(&DirectionRun) -> &Vec<(f64, f64)>| -> Vec<(String, Vec<(f64, f64)>)> {
            runs.iter()
                .map(|r| (r.name.to_string(), f(r).clone()))
                .collect()
        };
        let accuracy = curves_chart(
            LineChart::new(
                format!("Tagging (length {len}, cue up to {gap} words later): accuracy"),
                "training step",
                "validation accuracy (share of words)",
            ),
            &named(|r| &r.curve),
            Some(("baseline (most frequent tag)", baseline)),
            budget.steps,
        );
        let loss = curves_chart(
            LineChart::new(
                format!("Tagging (length {len}, cue up to {gap} words later): loss"),
                "training step",
                "validation cross-entropy (nats per word)",
            ),
            &named(|r| &r.loss),
            None,
            budget.steps,
        )
        .fit_y();
        let data = json!({
            "len": len, "gap": gap, "budget": budget, "baseline": super::finite(baseline),
            "runs": runs.iter().map(|r| json!({
                "name": r.name, "weights": r.weights, "accuracy": super::finite(r.accuracy),
                "future_accuracy": super::finite(r.future),
            })).collect::<Vec<_>>(),
        });
        Ok(Report {
            name: self.name().into(),
            claim: "When a word's label hinges on something said after it, a network that \
                    reads only left to right has to commit before the evidence arrives, so on \
                    those words it can do no better than guessing. Running a second network \
                    from the end of the sentence and giving the tagger both states lets it see \
                    the later cue."
                .into(),
            setup: format!(
                "The tagging task: sentences of {len} words with one ambiguous word (teddy, \
                 paris, …) tagged PERSON or THING by a cue 1 to {gap} words later; every other \
                 word is O. An LSTM read left to right and a bidirectional LSTM (both with \
                 32-dimensional word embeddings) each get {}. The future-decided accuracy is \
                 measured on the ambiguous words of the validation set after training. Seed {}.",
                budget.describe(),
                options.seed
            ),
            quick: options.quick,
            seed: options.seed,
            tables: vec![table],
            plots: vec![
                Plot {
                    slug: "accuracy".into(),
                    chart: accuracy,
                },
                Plot {
                    slug: "loss".into(),
                    chart: loss,
                },
            ],
            verdict,
            data,
            seconds: 0.0,
        })
    }
}
