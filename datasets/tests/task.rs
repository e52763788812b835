//! `registry::prepare`: every task's declared input and output kinds fit its examples.

use datasets::params::Params;
use datasets::registry::TASKS;
use datasets::registry::{prepare, prepare_fitted};
use datasets::task::{InputKind, OutputKind, Problem, TaskData, TaskSizes};
use datasets::{Dataset, Input, Target};

const SIZES: TaskSizes = TaskSizes { train: 50, val: 20 };

/// Checks every example of `data` against the declared kinds.
fn check_examples(data: &TaskData, split: &dyn Dataset) {
    for i in 0..split.len() {
        let e = split.example(i);
        match (data.input, &e.input) {
            (InputKind::Steps { width }, Input::Steps { width: w, .. }) => assert_eq!(width, *w),
            (InputKind::Tokens { vocab }, Input::Tokens(ids)) => {
                assert!(
                    ids.iter().all(|&t| t > 0 && t < vocab),
                    "{}: {ids:?}",
                    data.name
                )
            }
            (InputKind::Vector { width }, Input::Vector(v)) => assert_eq!(width, v.len()),
            (kind, input) => panic!("{}: declared {kind:?}, example {input:?}", data.name),
        }
        match (data.output, &e.target) {
            (OutputKind::Values { count }, Target::Values(v)) => assert_eq!(count, v.len()),
            (OutputKind::Classes { count }, Target::Class(c)) => assert!(*c < count),
            (OutputKind::Tags { count }, Target::Tags(t)) => {
                assert_eq!(t.len(), e.input.steps(), "{}", data.name);
                assert!(
                    t.iter().all(|&x| x > 0 && x < count),
                    "{}: {t:?}",
                    data.name
                )
            }
            (OutputKind::Tokens { vocab }, Target::Tokens(t)) => {
                assert!(
                    t.iter().all(|&x| x > 0 && x < vocab),
                    "{}: {t:?}",
                    data.name
                )
            }
            (kind, target) => panic!("{}: declared {kind:?}, example {target:?}", data.name),
        }
    }
}

#[test]
fn every_registered_task_prepares_with_kinds_that_fit_its_examples() {
    for task in TASKS {
        let name = task.name();
        let data = prepare(name, 3, &Params::default(), SIZES, None).expect(name);
        assert_eq!(data.problem, task.problem(), "{name}");
        assert_eq!(data.recipe, task.recipe(), "{name}");
        assert!(!data.train.is_empty() && !data.val.is_empty(), "{name}");
        check_examples(&data, &*data.train);
        check_examples(&data, &*data.val);
        assert!(data.baseline.is_some(), "{name} has no baseline");
        if let OutputKind::Classes { count } | OutputKind::Tags { count } = data.output {
            if data.problem != Problem::LanguageModel {
                assert_eq!(data.labels.len(), count, "{name}");
            }
        }
    }
}

#[test]
fn validation_examples_differ_from_training_examples() {
    let data = prepare("adding", 1, &Params::default(), SIZES, None).unwrap();
    let train: Vec<_> = (0..SIZES.train).map(|i| data.train.example(i)).collect();
    assert!((0..SIZES.val).all(|i| !train.contains(&data.val.example(i))));
}

#[test]
fn forecasting_tasks_carry_their_baselines_in_series_units() {
    let params = Params::parse(&["k=8"]).unwrap();
    // Mackey-Glass is smooth: repeating the last value beats the mean by far.
    let data = prepare("mackey-glass", 0, &params, SIZES, None).unwrap();
    let f = data.forecast.expect("forecast baselines");
    assert!(
        f.persistence_rmse > 0.0 && f.persistence_rmse < 0.5 * f.mean_rmse,
        "{f:?}"
    );
    assert!(f.scale > 0.1 && f.scale < 1.0, "{f:?}");
    let Input::Steps { values, .. } = data.train.example(0).input else {
        panic!("sequence windows")
    };
    assert_eq!(values.len(), 8);
}

#[test]
fn bad_settings_and_files_are_errors_that_name_them() {
    let err = |name: &str, set: &[&str], column: Option<&str>| {
        let params = Params::parse(set).unwrap();
        match prepare(name, 0, &params, SIZES, column) {
            Ok(_) => panic!("{name} {set:?} prepared"),
            Err(e) => e.to_string(),
        }
    };
    assert!(err("adding", &["bogus=1"], None).contains("bogus"));
    assert!(err("sines", &["k=0"], None).contains("k and horizon"));
    assert!(err("nope", &[], None).contains("unknown task"));
    assert!(err("csv:/no/such.csv", &[], None).contains("--column"));
    assert!(err("text:/no/such.txt", &[], None).contains("/no/such.txt"));
}

#[test]
fn every_size_setting_has_a_bound_named_in_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.txt");
    std::fs::write(&path, "abc ".repeat(100)).unwrap();
    let text = format!("text:{}", path.display());
    let huge = u64::MAX.to_string();
    let cases: [(&str, &str, &str, &str); 16] = [
        ("adding", "t", "100001", "100000"),
        ("copy", "t", &huge, "100000"),
        ("tagging", "len", "100001", "100000"),
        ("tagging", "gap", &huge, "100000"),
        ("anomaly", "len", &huge, "100000"),
        ("parity", "max", "100001", "100000"),
        ("reversal", "min", &huge, "100000"),
        ("sorting", "max", &huge, "100000"),
        ("addition", "digits", "10", "9"),
        ("mackey-glass", "tau", "1e12", "10000"),
        ("mackey-glass", "tau", "NaN", "10000"),
        ("sines", "len", "1000000000000", "1000000"),
        ("sines", "k", "10001", "10000"),
        ("logistic-map", "horizon", &huge, "10000"),
        (&text, "window", &huge, "100000"),
        ("dates", "bogus", "1", "bogus"),
    ];
    for (task, key, value, bound) in cases {
        let params = Params::parse(&[format!("{key}={value}")]).unwrap();
        let e = match prepare(task, 0, &params, SIZES, None) {
            Ok(_) => panic!("{task} {key}={value} prepared"),
            Err(e) => e,
        };
        let message = e.to_string();
        assert!(matches!(e, datasets::Error::Config(_)), "{message}");
        assert!(
            message.contains(key) && message.contains(bound),
            "{message}"
        );
    }
}

#[test]
fn a_text_file_becomes_windows_over_a_train_vocabulary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.txt");
    let text = "the quick brown fox jumps over the lazy dog. ".repeat(40);
    std::fs::write(&path, &text).unwrap();
    let name = format!("text:{}", path.display());
    let params = Params::parse(&["window=16"]).unwrap();
    let data = prepare(&name, 0, &params, SIZES, None).unwrap();
    let vocab = data.vocab.as_ref().unwrap();
    // 4 specials + 28 distinct characters (26 letters... minus unused, plus space and '.').
    let distinct: std::collections::BTreeSet<char> = text.chars().collect();
    assert_eq!(vocab.len(), 4 + distinct.len());
    let e = data.train.example(1);
    let (Input::Tokens(x), Target::Tags(y)) = (&e.input, &e.target) else {
        panic!("token windows")
    };
    assert_eq!(x.len(), 16);
    assert_eq!(&x[1..], &y[..15], "targets are the inputs shifted by one");
    assert_eq!(
        vocab.decode(x),
        text.chars().skip(8).take(16).collect::<String>()
    );
    check_examples(&data, &*data.val);
}

#[test]
fn a_checkpoint_vocabulary_reads_its_own_text_and_refuses_unknown_training_characters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.txt");
    // The held-out tenth holds a '6' that the training part lacks: training reads it as UNK.
    let text = format!(
        "{}6 sixes 6",
        "the quick brown fox jumps over the lazy dog. ".repeat(40)
    );
    std::fs::write(&path, &text).unwrap();
    let name = format!("text:{}", path.display());
    let params = Params::parse(&["window=16"]).unwrap();
    let data = prepare(&name, 0, &params, SIZES, None).unwrap();
    assert!(data.vocab.as_ref().unwrap().get("6").is_none());
    // Evaluating the checkpoint on its own text encodes it exactly as training did.
    let fitted = data.fitted();
    let again = prepare_fitted(&name, 0, &params, SIZES, None, &fitted).unwrap();
    assert_eq!(again.val.len(), data.val.len());
    for i in 0..data.val.len() {
        assert_eq!(again.val.example(i).input, data.val.example(i).input);
    }
    // A character of the training part outside the vocabulary is an error naming it and its line.
    std::fs::write(&path, format!("7\n{text}")).unwrap();
    let err = prepare_fitted(&name, 0, &params, SIZES, None, &fitted)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("\"7\" (line 1)") && err.contains("t.txt"),
        "{err}"
    );
}

/// A class task whose file forgets to name its labels.
struct Unlabelled;

impl datasets::synthetic::task::SyntheticSpec for Unlabelled {
    type Generator = datasets::synthetic::parity::Parity;
    fn name(&self) -> &'static str {
        "unlabelled"
    }
    fn summary(&self) -> &'static str {
        "parity without label names"
    }
    fn problem(&self) -> Problem {
        Problem::Classification
    }
    fn recipe(&self) -> datasets::Recipe {
        datasets::Recipe::default()
    }
    fn generator(&self, _: &Params) -> datasets::Result<Self::Generator> {
        datasets::synthetic::parity::Parity::new(1, 4)
    }
    fn show_example(&self, _: &Self::Generator, _: &datasets::Example, _: u64, _: usize) -> String {
        String::new()
    }
}

#[test]
fn a_class_task_without_label_names_is_an_error_not_a_guess() {
    use datasets::synthetic::task::SyntheticTask;
    use datasets::task::Task;
    let err = SyntheticTask(Unlabelled)
        .prepare(
            0,
            &Params::default(),
            SIZES,
            &datasets::task::Fitted::default(),
        )
        .err()
        .expect("no labels, no task")
        .to_string();
    assert!(
        err.contains("unlabelled") && err.contains("labels"),
        "{err}"
    );
}

#[test]
fn every_task_has_a_recipe_and_file_recipes_scale_with_the_file() {
    use datasets::series::forecast_task::CsvFileTask;
    use datasets::text::task::TextFileTask;
    for task in TASKS {
        let r = task.recipe();
        assert!(
            r.steps > 0 && r.batch > 0 && r.hidden > 0 && r.lr > 0.0,
            "{}",
            task.name()
        );
    }
    let small = TextFileTask::recipe_for(20_000);
    let big = TextFileTask::recipe_for(1_000_000);
    assert!(
        small.steps < big.steps && small.hidden < big.hidden,
        "{small} / {big}"
    );
    assert!(CsvFileTask::recipe_for(300).steps < CsvFileTask::recipe_for(5_000).steps);
    // No size overflows, and every step count stays within the recipe's bounds.
    for chars in [0, 199_999, 200_000, 1_190_317, usize::MAX] {
        let r = TextFileTask::recipe_for(chars);
        assert!((500..=5200).contains(&r.steps), "{chars}: {r}");
    }
    assert_eq!(TextFileTask::recipe_for(1_190_317).steps, 5200);
    assert_eq!(TextFileTask::recipe_for(883_027).steps, 3800);
}

#[test]
fn logistic_growth_capacity_and_the_forecasting_window_are_separate_settings() {
    let run = |settings: &[&str]| {
        let params = Params::parse(settings).unwrap();
        prepare("logistic-growth", 0, &params, SIZES, None).unwrap()
    };
    let window = |data: &TaskData| data.train.example(0).input.steps();
    let defaults = run(&[]);
    let capacity = run(&["capacity=5000"]);
    let k = run(&["k=7"]);
    // The capacity changes the series (so its normalization), not the window; k the reverse.
    assert_eq!(window(&capacity), window(&defaults));
    assert_ne!(capacity.normalizer, defaults.normalizer);
    assert_eq!(window(&k), 7);
    assert_eq!(k.normalizer, defaults.normalizer);
}
