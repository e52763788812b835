//! `teacher-forcing`: a decoder trained only on true previous tokens scores well when fed them
//! but worse when it must read its own outputs (exposure bias); mixing in its own predictions
//! (a lower ratio, or scheduled sampling) narrows the gap.

use autograd::Result;
use serde_json::json;

use super::seq2seq::{Seq2SeqResult, Seq2SeqSetup, BATCH, LR};
use super::{Cell, Experiment, Options, Plot, Report, Table, Verdict};
use crate::plot::{LineChart, Series};
use crate::problem::{ModelSpec, TeacherForcingSchedule};

/// Teacher-forcing ratios 1, 0.5, 0 and scheduled sampling on one seq2seq task.
pub struct TeacherForcing;

/// The task trained on.
const TASK: &str = "addition";

/// How much lower (fraction of examples) full teacher forcing's free-running exact match must be
/// than the best other setting's for the claim to hold.
const MARGIN: f64 = 0.02;

/// One training setting and what it measured.
struct Setting {
    label: String,
    result: Seq2SeqResult,
}

/// The settings: fixed ratios, then the linear decay from 1 to 0 over the run.
fn settings(steps: usize) -> Vec<(String, f64, TeacherForcingSchedule)> {
    let constant = TeacherForcingSchedule::Constant;
    vec![
        ("ratio 1.0".into(), 1.0, constant),
        ("ratio 0.5".into(), 0.5, constant),
        ("ratio 0.0".into(), 0.0, constant),
        (
            "scheduled 1→0".into(),
            1.0,
            TeacherForcingSchedule::Linear { steps },
        ),
    ]
}

impl Experiment for TeacherForcing {
    fn name(&self) -> &'static str {
        "teacher-forcing"
    }

    fn claim(&self) -> &'static str {
        "full teacher forcing gives the lowest forced loss but not the best free-running decoding \
         (exposure bias)"
    }

    fn run(&self, options: &Options) -> Result<Report> {
        let steps = options.pick(1500, 3000);
        let val_every = options.pick(150, 200);
        let val_size = options.pick(300, 1000);
        let model = ModelSpec {
            model: "gru".into(),
            hidden: 64,
            attention: true,
            ..ModelSpec::default()
        };
        let mut runs = Vec::new();
        for (label, ratio, schedule) in settings(steps) {
            let setup = Seq2SeqSetup {
                task: TASK,
                model: model.clone(),
                teacher_forcing: ratio,
                schedule,
                steps,
                val_every,
                val_size,
            };
            runs.push(Setting {
                label,
                result: setup.train(options)?,
            });
        }
        let mut table = Table::new(
            format!(
                "After {steps} steps: the validation loss with the true previous tokens fed in \
                 (nats per target token), and greedy decoding from the model's own outputs: the \
                 fraction of sums written exactly and of target tokens right ({val_size} \
                 validation examples)."
            ),
            &[
                "training",
                "forced loss",
                "free exact match",
                "free token accuracy",
            ],
        );
        for s in &runs {
            let r = &s.result;
            table.push(vec![
                Cell::text(&s.label),
                Cell::measured(r.forced_loss, 3),
                Cell::measured(r.exact_match, 3),
                Cell::measured(r.token_accuracy, 3),
            ]);
        }
        let verdict = verdict(&runs);
        let x1 = steps as f64;
        let mut losses = LineChart::new(
            "Teacher-forced validation loss during training",
            "training step",
            "forced validation loss (nats per token)",
        )
        .fit_y();
        let mut exact = LineChart::new(
            "Free-running (greedy) exact match during training",
            "training step",
            "exact match (fraction of examples)",
        );
        for s in &runs {
            losses = losses.with(Series::line(&s.label, s.result.loss_curve.clone()));
            exact = exact.with(Series::line(&s.label, s.result.exact_curve.clone()));
        }
        exact = exact.with(Series::level("all correct", 1.0, 0.0, x1));
        let data = json!({
            "task": TASK, "steps": steps, "val_every": val_every, "val_size": val_size,
            "hidden": model.hidden, "model": model.model, "batch": BATCH, "lr": LR,
            "margin": MARGIN,
            "runs": runs.iter().map(|s| {
                let mut v = s.result.to_json();
                v["setting"] = json!(s.label);
                v
            }).collect::<Vec<_>>(),
        });
        Ok(Report {
            name: self.name().into(),
            claim: "A decoder trained with teacher forcing always sees the correct previous \
                    token, yet at test time it must continue from its own guesses; a single \
                    early mistake puts it in states it never trained on. So the model that is \
                    best when fed the truth need not be best when running free. Feeding back \
                    its own predictions part of the time (a fixed ratio below one, or a ratio \
                    that decays during training: scheduled sampling) trains it on those states."
                .into(),
            setup: format!(
                "The {TASK} task (two numbers of up to 3 digits and a plus sign → their sum, \
                 digit by digit). Encoder-decoder with attention, one {} layer of {} units, \
                 embeddings of {}; Adam \
                 at {LR} with a cosine decay, gradient-norm clipping at 1, batches of {BATCH}, \
                 {steps} steps, validation every {val_every} steps on {val_size} examples. \
                 Settings: teacher-forcing ratio 1, 0.5 and 0 (the previous token fed in is the \
                 true one with that probability, else the model's own greedy choice), and \
                 scheduled sampling with the ratio falling linearly from 1 at the start to 0 at \
                 the last step. Seed {}.",
                model.model.to_uppercase(),
                model.hidden,
                model.embedding,
                options.seed
            ),
            quick: options.quick,
            seed: options.seed,
            tables: vec![table],
            plots: vec![
                Plot {
                    slug: "forced-loss".into(),
                    chart: losses,
                },
                Plot {
                    slug: "exact-match".into(),
                    chart: exact,
                },
            ],
            verdict,
            data,
            seconds: 0.0,
        })
    }
}

/// Holds when full teacher forcing has the lowest forced loss and its free-running exact match
/// trails the best other setting's by at least [`MARGIN`].
fn verdict(runs: &[Setting]) -> Verdict {
    let full = &runs[0];
    let others = &runs[1..];
    let lowest_loss = others
        .iter()
        .all(|s| full.result.forced_loss < s.result.forced_loss);
    let best = others
        .iter()
        .max_by(|a, b| a.result.exact_match.total_cmp(&b.result.exact_match))
        .expect("several settings");
    let trails = full.result.exact_match + MARGIN <= best.result.exact_match;
    let loss_word = if lowest_loss {
        "the lowest"
    } else {
        "not the lowest"
    };
    Verdict {
        holds: lowest_loss && trails,
        because: format!(
            "full teacher forcing has {loss_word} forced loss ({:.3} against {}) and a \
             free-running exact match of {:.3} against {:.3} for {} (the rule asks for a gap of \
             at least {MARGIN})",
            full.result.forced_loss,
            others
                .iter()
                .map(|s| format!("{:.3} for {}", s.result.forced_loss, s.label))
                .collect::<Vec<_>>()
                .join(", "),
            full.result.exact_match,
            best.result.exact_match,
            best.label
        ),
    }
}
