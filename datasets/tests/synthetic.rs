//! Spec checks of the seq2seq, tagging, captioning and classification tasks.

use datasets::synthetic::addition::Addition;
use datasets::synthetic::anomaly::Anomaly;
use datasets::synthetic::captioning::{Captioning, FEATURES};
use datasets::synthetic::dates::{Date, Dates, FORMATS};
use datasets::synthetic::digits::{DigitOrder, DigitTransform};
use datasets::synthetic::parity::Parity;
use datasets::synthetic::sentiment::Sentiment;
use datasets::synthetic::tagging::{Tagging, O, PERSON, THING};
use datasets::synthetic::{Generator, Synthetic};
use datasets::text::{BOS, EOS};
use datasets::{Dataset, Example, Input, Target};

fn tokens(e: &Example) -> (&[usize], &[usize]) {
    match (&e.input, &e.target) {
        (Input::Tokens(x), Target::Tokens(y)) => {
            assert_eq!((y[0], y[y.len() - 1]), (BOS, EOS));
            (x, &y[1..y.len() - 1])
        }
        other => panic!("expected tokens → tokens, got {other:?}"),
    }
}

#[test]
fn reversal_and_sorting_targets() {
    let rev = Synthetic::new(
        DigitTransform::new(DigitOrder::Reversed, 2, 9).unwrap(),
        1,
        300,
    );
    let srt = Synthetic::new(
        DigitTransform::new(DigitOrder::Sorted, 2, 9).unwrap(),
        1,
        300,
    );
    for i in 0..300 {
        let e = rev.example(i);
        let (x, y) = tokens(&e);
        assert!((2..=9).contains(&x.len()));
        assert_eq!(y.iter().rev().copied().collect::<Vec<_>>(), x);
        let e = srt.example(i);
        let (x, y) = tokens(&e);
        let v = srt.generator().vocab();
        let digits: String = v.decode(y);
        let mut want: Vec<char> = v.decode(x).chars().collect();
        want.sort();
        assert_eq!(digits, want.into_iter().collect::<String>());
    }
    // Reversing one digit is the identity: the echo baseline is then perfect.
    let one = Synthetic::new(
        DigitTransform::new(DigitOrder::Reversed, 1, 1).unwrap(),
        1,
        50,
    )
    .baseline()
    .unwrap();
    assert_eq!(one.value, 1.0);
    let long = rev.baseline().unwrap().value;
    assert!(long > 0.05 && long < 0.4, "{long}");
    assert!(
        DigitTransform::new(DigitOrder::Reversed, 3, 2).is_err()
            && DigitTransform::new(DigitOrder::Sorted, 0, 2).is_err()
    );
}

#[test]
fn addition_targets_are_the_sums() {
    for reverse in [false, true] {
        let ds = Synthetic::new(Addition::new(3, reverse).unwrap(), 4, 400);
        let v = ds.generator().vocab();
        assert_eq!(v.len(), 15);
        let mut saw_three_digit = false;
        for i in 0..ds.len() {
            let e = ds.example(i);
            let (x, y) = tokens(&e);
            let mut q = v.decode(x);
            if reverse {
                q = q.chars().rev().collect();
            }
            let (a, b) = q.split_once('+').unwrap();
            saw_three_digit |= a.len() == 3;
            assert!(a.len() <= 3 && !(a.len() > 1 && a.starts_with('0')), "{q}");
            let sum: u64 = a.parse::<u64>().unwrap() + b.parse::<u64>().unwrap();
            assert_eq!(v.decode(y), sum.to_string());
        }
        assert!(saw_three_digit);
    }
    assert!(Addition::new(0, false).is_err());
}

#[test]
fn dates_render_in_distinct_formats_and_translate_to_iso() {
    let d = Date {
        year: 2026,
        month: 11,
        day: 24,
    };
    assert_eq!(d.human(0), "24 nov 2026");
    assert_eq!(d.iso(), "2026-11-24");
    assert_eq!(d.human(8), "Tuesday, November 24, 2026");
    let weekday = |year, month, day| Date { year, month, day }.weekday();
    assert_eq!(
        (
            weekday(1950, 1, 1),
            weekday(2000, 2, 29),
            weekday(2049, 12, 31)
        ),
        (0, 2, 5)
    );
    let all: std::collections::HashSet<String> = (0..FORMATS).map(|f| d.human(f)).collect();
    assert!(all.len() >= 10, "{all:?}");
    let ds = Synthetic::new(Dates::default(), 2, 500);
    let v = ds.generator().vocab();
    for i in 0..ds.len() {
        let e = ds.example(i);
        let (x, y) = tokens(&e);
        assert!(!x.contains(&datasets::text::UNK));
        let iso = v.decode(y);
        let parts: Vec<u32> = iso.split('-').map(|p| p.parse().unwrap()).collect();
        assert_eq!(iso.len(), 10);
        assert!((1950..2050).contains(&parts[0]) && (1..=12).contains(&parts[1]));
        // The ISO answer must carry the human date's own year, month and day: every format
        // writes the full year and the day number, and the month as a number or English name.
        let human = v.decode(x);
        let (year, month, day) = (parts[0], parts[1], parts[2]);
        let months = [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ];
        let numbers: Vec<u32> = human
            .split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .flat_map(|p| {
                // `YYYYMMDD` is one run of digits: split it into its three fields.
                if p.len() == 8 {
                    vec![&p[..4], &p[4..6], &p[6..]]
                } else {
                    vec![p]
                }
            })
            .map(|p| p.parse().unwrap())
            .collect();
        let named = human.to_lowercase().contains(months[month as usize - 1]);
        assert!(numbers.contains(&year), "{human} → {iso}");
        assert!(numbers.contains(&day), "{human} → {iso}");
        assert!(named || numbers.contains(&month), "{human} → {iso}");
    }
}

#[test]
fn tagging_labels_are_decided_by_a_later_cue() {
    let task = Tagging::new(12, 5).unwrap();
    let ds = Synthetic::new(task.clone(), 8, 1000);
    let v = task.vocab();
    let (mut persons, mut things) = (0, 0);
    for i in 0..ds.len() {
        let Example {
            input: Input::Tokens(x),
            target: Target::Tags(y),
        } = ds.example(i)
        else {
            panic!()
        };
        let tagged: Vec<usize> = (0..12).filter(|&t| y[t] != O).collect();
        assert_eq!(tagged.len(), 1);
        let p = tagged[0];
        let later: Vec<&str> = x[p + 1..].iter().map(|&w| v.token(w)).collect();
        let person_cue = later
            .iter()
            .any(|w| ["roosevelt", "spoke", "smiled"].contains(w));
        let thing_cue = later
            .iter()
            .any(|w| ["bears", "flowed", "shipped"].contains(w));
        assert!(person_cue != thing_cue);
        assert_eq!(y[p], if person_cue { PERSON } else { THING });
        if y[p] == PERSON {
            persons += 1
        } else {
            things += 1
        }
    }
    assert!((400..600).contains(&persons) && persons + things == 1000);
    // Left-to-right best guess: right on every O word, half the ambiguous ones: 1 − 0.5/12.
    let b = ds.baseline().unwrap().value;
    assert!((b - (1.0 - 0.5 / 12.0)).abs() < 0.005, "{b}");
    assert!(Tagging::new(5, 4).is_err());
}

#[test]
fn captions_describe_the_scene_features() {
    let ds = Synthetic::new(Captioning::default(), 3, 200);
    let v = ds.generator().vocab();
    let colours = ["red", "green", "blue", "yellow"];
    for i in 0..ds.len() {
        let e = ds.example(i);
        let Input::Vector(f) = &e.input else { panic!() };
        assert_eq!(f.len(), FEATURES);
        let Target::Tokens(y) = &e.target else {
            panic!()
        };
        let caption = v.decode(y);
        let two = f[11] == 1.0;
        assert_eq!(caption.contains(" is "), two, "{caption}");
        let first_colour = colours[(1..5).find(|&k| f[k] == 1.0).unwrap() - 1];
        assert_eq!(caption.split(' ').nth(2), Some(first_colour), "{caption}");
        assert!(caption.ends_with('.'));
    }
    let b = ds.baseline().unwrap();
    assert!(b.value > 0.5 && b.value < (v.len() as f64).ln());
}

#[test]
fn sentiment_negation_and_but_decide_the_label() {
    let ds = Synthetic::new(Sentiment::default(), 5, 500);
    let v = ds.generator().vocab();
    let mut positives = 0;
    for i in 0..ds.len() {
        let e = ds.example(i);
        let (Input::Tokens(x), Target::Class(c)) = (&e.input, &e.target) else {
            panic!()
        };
        assert!(!x.contains(&datasets::text::UNK));
        let text = v.decode(x);
        let last = text.rsplit("but").next().unwrap();
        let words: Vec<&str> = last.split([' ', '.']).collect();
        let pos = words.iter().any(|w| {
            [
                "wonderful",
                "happy",
                "delightful",
                "kind",
                "bright",
                "lovely",
            ]
            .contains(w)
        });
        let want = pos != words.contains(&"not");
        assert_eq!(*c, want as usize, "{text}");
        positives += c;
    }
    assert!((200..300).contains(&positives));
}

#[test]
fn parity_and_anomaly_classes() {
    let ds = Synthetic::new(Parity::new(1, 20).unwrap(), 6, 300);
    for i in 0..ds.len() {
        let e = ds.example(i);
        let (Input::Steps { values, .. }, Target::Class(c)) = (&e.input, &e.target) else {
            panic!()
        };
        assert_eq!(values.iter().sum::<f32>() as usize % 2, *c);
    }
    let task = Anomaly::new(64).unwrap();
    let mut rng = datasets::example_rng(0, 0);
    let mut kinds = [0; 3];
    for _ in 0..300 {
        let (x, class, info) = task.draw(&mut rng);
        assert_eq!(x.len(), 64);
        assert_eq!(class == 1, info.is_some());
        if let Some((kind, _)) = info {
            kinds[kind] += 1;
        }
    }
    assert!(kinds.iter().all(|&k| k > 20), "{kinds:?}");
    let b = Synthetic::new(task, 1, 1000).baseline().unwrap();
    assert!(b.value >= 0.5 && b.value < 0.56, "{}", b.value);
    assert!(Anomaly::new(8).is_err() && Parity::new(0, 1).is_err());
}

fn fingerprint<G: Generator>(ds: &Synthetic<G>) -> String {
    (0..ds.len())
        .map(|i| format!("{:?}", ds.example(i)))
        .collect()
}

#[test]
fn every_task_is_deterministic_in_its_seed() {
    macro_rules! check {
        ($g:expr) => {{
            let a = fingerprint(&Synthetic::new($g, 10, 30));
            assert_eq!(a, fingerprint(&Synthetic::new($g, 10, 30)));
            assert_ne!(a, fingerprint(&Synthetic::new($g, 11, 30)));
        }};
    }
    check!(DigitTransform::new(DigitOrder::Reversed, 1, 8).unwrap());
    check!(DigitTransform::new(DigitOrder::Sorted, 1, 8).unwrap());
    check!(Addition::new(3, true).unwrap());
    check!(Dates::default());
    check!(Tagging::new(10, 3).unwrap());
    check!(Captioning::default());
    check!(Anomaly::new(32).unwrap());
    check!(Sentiment::default());
    check!(Parity::new(4, 12).unwrap());
}
