//! A text's token ids kept whole for stateful training (`--set stateful=true`): training and
//! validation read as contiguous streams ([`BpttStream`]), one per batch row, so a model carries
//! its state from each window to the next.

use std::sync::Arc;

use autograd::{Error, Result};

use super::lm::BpttStream;

/// The training and validation ids of a text task, to be read as streams of `window` steps.
#[derive(Clone, Debug)]
pub struct TextStreams {
    task: String,
    train: Arc<Vec<usize>>,
    val: Arc<Vec<usize>>,
    window: usize,
}

impl TextStreams {
    /// The streams of task `task` (named in errors) over `train` and `val`, read `window` at a time.
    pub fn new(task: &str, train: Vec<usize>, val: Vec<usize>, window: usize) -> Self {
        TextStreams {
            task: task.to_string(),
            train: Arc::new(train),
            val: Arc::new(val),
            window,
        }
    }

    /// Steps per window.
    pub fn window(&self) -> usize {
        self.window
    }

    /// The training text cut into `batch` contiguous rows; an error naming `batch` and `window`
    /// unless every row holds at least one full window (`window + 1` tokens).
    pub fn train(&self, batch: usize) -> Result<BpttStream> {
        self.cut("training", &self.train, batch, self.window + 1)
    }

    /// The validation text cut into `batch` contiguous rows (each at least 2 tokens, one
    /// prediction), read `window` at a time; an error naming `batch` when the text is too short.
    pub fn val(&self, batch: usize) -> Result<BpttStream> {
        self.cut("validation", &self.val, batch, 2)
    }

    /// `ids` in `batch` rows of at least `least` tokens, or an error saying what to lower.
    fn cut(&self, split: &str, ids: &[usize], batch: usize, least: usize) -> Result<BpttStream> {
        let width = ids.len().checked_div(batch).unwrap_or(0);
        if width < least {
            return Err(Error::Config(format!(
                "{}: stateful=true cuts the {} {split} tokens into batch = {batch} streams of \
                 {width}, but each needs at least {least} (window = {}): lower the batch or the \
                 window",
                self.task,
                ids.len(),
                self.window
            )));
        }
        BpttStream::new(ids, batch, self.window)
    }
}
