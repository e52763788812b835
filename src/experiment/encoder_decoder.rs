//! `encoder-decoder`: what helps an encoder-decoder on dates and addition: attention over the
//! encoder's states, a reversed source, a second stacked layer.

use autograd::Result;
use serde_json::json;

use super::seq2seq::{Seq2SeqResult, Seq2SeqSetup, BATCH, LR};
use super::{Cell, Experiment, Options, Plot, Report, Table, Verdict};
use crate::plot::{LineChart, Series};
use crate::problem::{ModelSpec, TeacherForcingSchedule};

/// Encoder-decoder variants on the dates and addition tasks.
pub struct EncoderDecoder;

/// Which chart a task's curves are drawn on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chart {
    /// The dates chart.
    Dates,
    /// The addition chart, plain and reversed source together.
    Addition,
}

/// A task of the experiment: its name, its budget, and how its curves are drawn.
#[derive(Clone, Copy, Debug)]
struct TaskSetting {
    /// The task, by `seqzoo data list` name.
    task: &'static str,
    /// (steps, validate every) of a quick run.
    quick: (usize, usize),
    /// (steps, validate every) of a full run.
    full: (usize, usize),
    /// The chart of its curves.
    chart: Chart,
    /// The prefix of its curves' names and whether they are dashed, on a shared chart.
    legend: Option<(&'static str, bool)>,
}

impl TaskSetting {
    /// (steps, validate every) of a run with `options`.
    fn budget(&self, options: &Options) -> (usize, usize) {
        options.pick(self.quick, self.full)
    }
}

/// The tasks, in table order.
const TASKS: [TaskSetting; 3] = [
    TaskSetting {
        task: "dates",
        quick: (600, 100),
        full: (1500, 100),
        chart: Chart::Dates,
        legend: None,
    },
    TaskSetting {
        task: "addition",
        quick: (4000, 500),
        full: (8000, 500),
        chart: Chart::Addition,
        legend: Some(("plain", false)),
    },
    TaskSetting {
        task: "addition-reversed",
        quick: (4000, 500),
        full: (8000, 500),
        chart: Chart::Addition,
        legend: Some(("reversed", true)),
    },
];

/// How much higher (fraction of examples) an improvement's exact match must be to count.
const MARGIN: f64 = 0.05;

/// An encoder-decoder variant.
#[derive(Clone, Copy, Debug)]
struct Variant {
    label: &'static str,
    layers: usize,
    attention: bool,
}

/// The plain one-layer model the others are compared with.
const PLAIN: Variant = Variant {
    label: "1 layer",
    layers: 1,
    attention: false,
};
/// Two stacked layers, no attention.
const STACKED: Variant = Variant {
    label: "2 layers",
    layers: 2,
    attention: false,
};
/// One layer with attention.
const ATTENTION: Variant = Variant {
    label: "1 layer + attention",
    layers: 1,
    attention: true,
};

/// One (task, variant) run.
struct Run {
    task: &'static str,
    setting: TaskSetting,
    variant: Variant,
    result: Seq2SeqResult,
}

impl Experiment for EncoderDecoder {
    fn name(&self) -> &'static str {
        "encoder-decoder"
    }

    fn claim(&self) -> &'static str {
        "attention over the encoder states raises an encoder-decoder's exact match on dates and \
         addition; reversing the source and stacking layers are measured too"
    }

    fn run(&self, options: &Options) -> Result<Report> {
        let variants: Vec<Variant> =
            options.pick(vec![PLAIN, ATTENTION], vec![PLAIN, STACKED, ATTENTION]);
        let val_size = options.pick(300, 1000);
        let hidden = 64;
        let mut runs = Vec::new();
        for setting in &TASKS {
            let task = setting.task;
            let (steps, val_every) = setting.budget(options);
            for &variant in &variants {
                let setup = Seq2SeqSetup {
                    task,
                    model: ModelSpec {
                        model: "gru".into(),
                        hidden,
                        layers: variant.layers,
                        attention: variant.attention,
                        ..ModelSpec::default()
                    },
                    teacher_forcing: 1.0,
                    schedule: TeacherForcingSchedule::Constant,
                    steps,
                    val_every,
                    val_size,
                };
                runs.push(Run {
                    task,
                    setting: *setting,
                    variant,
                    result: setup.train(options)?,
                });
            }
        }
        let find = |task: &str, label: &str| {
            runs.iter()
                .find(|r| r.task == task && r.variant.label == label)
                .map(|r| &r.result)
        };
        let ((dates_steps, dates_every), (addition_steps, addition_every)) =
            (TASKS[0].budget(options), TASKS[1].budget(options));
        let mut header = vec!["task".to_string()];
        header.extend(variants.iter().map(|v| format!("{} exact", v.label)));
        header.extend(variants.iter().map(|v| format!("{} tokens", v.label)));
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut table = Table::new(
            format!(
                "Greedy decoding on {val_size} validation examples after {dates_steps} steps \
                 (dates) or {addition_steps} steps (addition): the fraction written exactly \
                 (exact) and of target tokens right (tokens)."
            ),
            &header,
        );
        for task in TASKS.map(|t| t.task) {
            let mut row = vec![Cell::text(task)];
            for v in &variants {
                row.push(Cell::measured(
                    find(task, v.label).map_or(f64::NAN, |r| r.exact_match),
                    3,
                ));
            }
            for v in &variants {
                row.push(Cell::measured(
                    find(task, v.label).map_or(f64::NAN, |r| r.token_accuracy),
                    3,
                ));
            }
            table.push(row);
        }
        let exact =
            |task: &str, v: Variant| find(task, v.label).map_or(f64::NAN, |r| r.exact_match);
        let verdict = verdict(&exact, options.quick);
        let mut dates = LineChart::new(
            "Dates: exact match during training",
            "training step",
            "exact match (fraction of examples)",
        );
        let mut addition = LineChart::new(
            "Addition, plain and reversed source: exact match during training",
            "training step",
            "exact match (fraction of examples)",
        );
        for r in &runs {
            let curve = r.result.exact_curve.clone();
            let series = match r.setting.legend {
                None => Series::line(r.variant.label, curve),
                Some((prefix, false)) => {
                    Series::line(format!("{prefix}, {}", r.variant.label), curve)
                }
                Some((prefix, true)) => {
                    Series::dashed(format!("{prefix}, {}", r.variant.label), curve)
                }
            };
            match r.setting.chart {
                Chart::Dates => dates = dates.with(series),
                Chart::Addition => addition = addition.with(series),
            }
        }
        let data = json!({
            "tasks": TASKS.map(|t| t.task), "dates_steps": dates_steps, "addition_steps": addition_steps,
            "dates_val_every": dates_every, "addition_val_every": addition_every,
            "val_size": val_size,
            "hidden": hidden, "batch": BATCH, "lr": LR, "margin": MARGIN,
            "runs": runs.iter().map(|r| {
                let mut v = r.result.to_json();
                v["task"] = json!(r.task);
                v["variant"] = json!(r.variant.label);
                v
            }).collect::<Vec<_>>(),
        });
        Ok(Report {
            name: self.name().into(),
            claim: "An encoder-decoder squeezes the whole source into the encoder's last state \
                    before the decoder writes a word. Letting the decoder look back at every \
                    encoder state (attention) removes that bottleneck and should help on both \
                    date normalization and addition. Feeding the source backwards puts the \
                    digits that decide the first output next to it, which should help addition \
                    without attention, and a second stacked layer adds capacity."
                .into(),
            setup: format!(
                "Tasks: dates (a date in one of several written formats → ISO form), addition \
                 (two numbers of up to 3 digits and a plus sign → their sum) and the same with \
                 the source reversed. GRU encoder and decoder of {hidden} units per layer, \
                 embeddings of 32, full teacher forcing; Adam at {LR} with a cosine decay, \
                 clipping at 1, batches of {BATCH}; {dates_steps} steps on dates (validation \
                 every {dates_every}) and {addition_steps} on addition (validation every \
                 {addition_every}), on {val_size} examples. Variants: {}. Seed {}.",
                variants
                    .iter()
                    .map(|v| v.label)
                    .collect::<Vec<_>>()
                    .join(", "),
                options.seed
            ),
            quick: options.quick,
            seed: options.seed,
            tables: vec![table],
            plots: vec![
                Plot {
                    slug: "dates".into(),
                    chart: dates,
                },
                Plot {
                    slug: "addition".into(),
                    chart: addition,
                },
            ],
            verdict,
            data,
            seconds: 0.0,
        })
    }
}

/// Holds when attention raises exact match by at least [`MARGIN`] on every task; the sentence
/// also gives the reversal comparison (without attention) and, in full runs, stacking.
fn verdict(exact: &dyn Fn(&str, Variant) -> f64, quick: bool) -> Verdict {
    let tasks = TASKS.map(|t| t.task);
    let gains: Vec<String> = tasks
        .iter()
        .map(|t| format!("{t} {:.3} → {:.3}", exact(t, PLAIN), exact(t, ATTENTION)))
        .collect();
    let holds = tasks
        .iter()
        .all(|t| exact(t, ATTENTION) >= exact(t, PLAIN) + MARGIN);
    let (plain, reversed) = (exact(tasks[1], PLAIN), exact(tasks[2], PLAIN));
    let reversal = if reversed >= plain + MARGIN {
        "helps"
    } else {
        "does not clearly help"
    };
    let mut because = format!(
        "exact match without → with attention: {}; reversing the source {reversal} addition \
         without attention ({plain:.3} → {reversed:.3})",
        gains.join(", ")
    );
    if !quick {
        let stacking: Vec<String> = tasks
            .iter()
            .map(|t| format!("{t} {:.3} → {:.3}", exact(t, PLAIN), exact(t, STACKED)))
            .collect();
        because.push_str(&format!(
            "; one → two layers without attention: {}",
            stacking.join(", ")
        ));
    }
    Verdict { holds, because }
}
