//! Stateful text tasks (`--set stateful=true`): the training and validation text as contiguous
//! streams, one per batch row, each window continuing the one before; the setting's bounds.

use datasets::params::Params;
use datasets::registry::prepare;
use datasets::task::{TaskData, TaskSizes};
use datasets::text::lm::Chunk;
use datasets::Dataset;

const SIZES: TaskSizes = TaskSizes { train: 50, val: 20 };

/// A text of distinct-looking lines (so a misplaced character shows), 2,000 characters.
fn text() -> String {
    (0..100)
        .map(|i| format!("line {i:>5} of text.\n"))
        .collect()
}

/// The text task of `text` in a temp dir prepared with `settings`.
fn task(text: &str, settings: &[&str]) -> datasets::Result<TaskData> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.txt");
    std::fs::write(&path, text).unwrap();
    prepare(
        &format!("text:{}", path.display()),
        0,
        &Params::parse(settings).unwrap(),
        SIZES,
        None,
    )
}

/// Row `r` of a chunk's inputs.
fn row(chunk: &Chunk, r: usize) -> &[usize] {
    &chunk.inputs[r * chunk.steps..(r + 1) * chunk.steps]
}

#[test]
fn stateful_streams_continue_row_by_row_character_for_character() {
    let text = text();
    let data = task(&text, &["stateful=true", "window=7"]).unwrap();
    let vocab = data.vocab.as_ref().unwrap();
    let streams = data
        .streams
        .as_ref()
        .expect("stateful=true keeps the streams");
    assert_eq!(streams.window(), 7);
    let (batch, train_chars) = (3, 1800);
    let train = streams.train(batch).unwrap();
    let width = train_chars / batch;
    assert_eq!(train.width(), width);
    // 599 predictions per row: 85 full windows of 7 and a tail of 4 that training skips.
    assert_eq!((train.full_len(), train.len()), (85, 86));
    for k in 0..train.full_len() - 1 {
        let (this, next) = (train.chunk(k), train.chunk(k + 1));
        assert_eq!((this.batch, this.steps), (batch, 7));
        for r in 0..batch {
            // Row r of batch k+1 starts with the character row r of batch k predicted last.
            assert_eq!(
                next.inputs[r * 7],
                this.targets[r * 7 + 6],
                "batch {k} row {r}"
            );
            let expected: String = text.chars().skip(r * width + k * 7).take(7).collect();
            assert_eq!(vocab.decode(row(&this, r)), expected, "batch {k} row {r}");
        }
    }
    // Row r read through is the r-th contiguous third of the training text.
    for r in 0..batch {
        let read: String = train.chunks().map(|c| vocab.decode(row(&c, r))).collect();
        let expected: String = text.chars().skip(r * width).take(width - 1).collect();
        assert_eq!(read, expected);
    }
    // Validation: the held-out 200 characters as 3 streams of 66, read 7 at a time.
    let val = streams.val(batch).unwrap();
    assert_eq!((val.width(), val.len()), (66, 10));
    let read: String = val.chunks().map(|c| vocab.decode(row(&c, 1))).collect();
    let expected: String = text.chars().skip(train_chars + 66).take(65).collect();
    assert_eq!(read, expected);
}

#[test]
fn stateful_is_true_or_false_and_a_stateful_task_counts_whole_windows() {
    let text = text();
    let windows = task(&text, &["window=10"]).unwrap();
    assert!(windows.streams.is_none());
    assert!(task(&text, &["stateful=false"]).unwrap().streams.is_none());
    let stateful = task(&text, &["window=10", "stateful=true"]).unwrap();
    // Windows every 10 characters instead of every 5: an epoch is about one pass of the streams.
    assert_eq!((windows.train.len(), stateful.train.len()), (358, 179));
    for value in ["maybe", "1", "", "yes", "18446744073709551615", "NaN"] {
        let e = task(&text, &[&format!("stateful={value}")]).err().unwrap();
        let message = e.to_string();
        assert!(matches!(e, datasets::Error::Config(_)), "{message}");
        assert!(
            message.contains(&format!("'stateful={value}'")),
            "{message}"
        );
    }
}

#[test]
fn a_batch_of_more_streams_than_the_text_holds_names_the_batch_and_the_window() {
    let data = task(&text(), &["stateful=true", "window=9"]).unwrap();
    let streams = data.streams.as_ref().unwrap();
    // 1800 training characters: 180 streams of 10 hold one window of 9 each; 181 do not.
    assert_eq!(streams.train(180).unwrap().full_len(), 1);
    for batch in [0, 181, 1800, usize::MAX] {
        let message = streams.train(batch).unwrap_err().to_string();
        assert!(
            message.contains(&format!("batch = {batch}"))
                && message.contains("window = 9")
                && message.contains("stateful=true"),
            "{message}"
        );
    }
    // 200 validation characters: 100 streams of 2 make one prediction each; 101 make none.
    assert_eq!(streams.val(100).unwrap().width(), 2);
    let message = streams.val(101).unwrap_err().to_string();
    assert!(
        message.contains("validation") && message.contains("batch = 101"),
        "{message}"
    );
}

#[test]
fn the_sentence_corpus_refuses_stateful_training_naming_the_setting() {
    let stateful = Params::parse(&["stateful=true"]).unwrap();
    let e = prepare("corpus", 0, &stateful, SIZES, None).err().unwrap();
    let message = e.to_string();
    assert!(matches!(e, datasets::Error::Config(_)), "{message}");
    assert!(message.contains("corpus: stateful=true") && message.contains("sentences"));
    let plain = Params::parse(&["stateful=false"]).unwrap();
    assert!(prepare("corpus", 0, &plain, SIZES, None)
        .unwrap()
        .streams
        .is_none());
}
