//! Language-model batching: contiguous streams for truncated backpropagation through time, and
//! padded sentence batches; plus n-gram baselines in nats per token.

use std::collections::HashMap;

use autograd::{Error, Result, Tensor};

use super::vocab::{BOS, EOS};
use crate::dataset::{Baseline, Dataset, Example, Input, Target};

/// One chunk of a BPTT stream: `inputs[b, t]` is followed by `targets[b, t]` in the text.
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    /// Input ids, row-major `[batch, steps]`.
    pub inputs: Vec<usize>,
    /// Next-token ids, row-major `[batch, steps]`.
    pub targets: Vec<usize>,
    /// Rows (parallel streams).
    pub batch: usize,
    /// Steps in this chunk (the last chunk may be shorter).
    pub steps: usize,
}

impl Chunk {
    /// The inputs as an f32 tensor `[batch, steps]`.
    pub fn inputs_tensor(&self) -> Tensor<f32> {
        Tensor::new(
            &[self.batch, self.steps],
            self.inputs.iter().map(|&i| i as f32).collect(),
        )
    }
}

/// A token stream cut into `batch` contiguous rows, read `steps` at a time: row `b` of chunk `i+1`
/// continues row `b` of chunk `i`, so a model carries its hidden state across chunks.
#[derive(Clone, Debug)]
pub struct BpttStream {
    rows: Vec<Vec<usize>>,
    steps: usize,
}

impl BpttStream {
    /// Cuts `ids` into `batch` rows of `⌊len/batch⌋` tokens (the remainder is dropped).
    pub fn new(ids: &[usize], batch: usize, steps: usize) -> Result<Self> {
        if batch == 0 || steps == 0 {
            return Err(Error::Config(format!(
                "a BPTT stream needs batch >= 1 and steps >= 1, got {batch} and {steps}"
            )));
        }
        let width = ids.len() / batch;
        if width < 2 {
            return Err(Error::Data(format!(
                "{} tokens are too few for {batch} rows of at least 2",
                ids.len()
            )));
        }
        Ok(BpttStream {
            rows: ids
                .chunks_exact(width)
                .take(batch)
                .map(<[usize]>::to_vec)
                .collect(),
            steps,
        })
    }

    /// The number of chunks in one pass.
    pub fn len(&self) -> usize {
        (self.rows[0].len() - 1).div_ceil(self.steps)
    }

    /// The number of chunks of a full `steps` in one pass (the last chunk may be shorter).
    pub fn full_len(&self) -> usize {
        (self.rows[0].len() - 1) / self.steps
    }

    /// Tokens per row (each row predicts all but its first).
    pub fn width(&self) -> usize {
        self.rows[0].len()
    }

    /// Whether there are no chunks (never: a row has at least 2 tokens).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Chunk `i` (0-based, `i < len()`).
    pub fn chunk(&self, i: usize) -> Chunk {
        let start = i * self.steps;
        let end = (start + self.steps).min(self.rows[0].len() - 1);
        let mut inputs = Vec::new();
        let mut targets = Vec::new();
        for row in &self.rows {
            inputs.extend_from_slice(&row[start..end]);
            targets.extend_from_slice(&row[start + 1..end + 1]);
        }
        Chunk {
            inputs,
            targets,
            batch: self.rows.len(),
            steps: end - start,
        }
    }

    /// All chunks in order.
    pub fn chunks(&self) -> impl Iterator<Item = Chunk> + '_ {
        (0..self.len()).map(|i| self.chunk(i))
    }
}

/// Sentences as a dataset for padded batches: input `BOS w1 … wn`, target `w1 … wn EOS`.
#[derive(Clone, Debug)]
pub struct Sentences {
    sentences: Vec<Vec<usize>>,
}

impl Sentences {
    /// Encoded sentences (without BOS/EOS).
    pub fn new(sentences: Vec<Vec<usize>>) -> Self {
        Sentences { sentences }
    }
}

impl Dataset for Sentences {
    fn len(&self) -> usize {
        self.sentences.len()
    }
    fn example(&self, index: usize) -> Example {
        let s = &self.sentences[index];
        let mut input = vec![BOS];
        input.extend(s);
        let mut target = s.clone();
        target.push(EOS);
        Example {
            input: Input::Tokens(input),
            target: Target::Tags(target),
        }
    }
}

/// Nats per token on `eval` of an order-`order` n-gram model fitted on `train` with add-α
/// smoothing (α = 0.1) over `vocab` ids: order 0 is uniform, 1 unigram, 2 bigram, 3 trigram.
pub fn ngram_nats(train: &[usize], eval: &[usize], order: usize, vocab: usize) -> f64 {
    const ALPHA: f64 = 0.1;
    let v = vocab.max(1) as f64;
    if order == 0 || eval.is_empty() {
        return v.ln();
    }
    let ctx = order - 1;
    let mut counts: HashMap<&[usize], HashMap<usize, f64>> = HashMap::new();
    let mut totals: HashMap<&[usize], f64> = HashMap::new();
    for i in ctx..train.len() {
        let c = &train[i - ctx..i];
        *counts.entry(c).or_default().entry(train[i]).or_default() += 1.0;
        *totals.entry(c).or_default() += 1.0;
    }
    let mut nats = 0.0;
    let mut n = 0usize;
    for i in ctx..eval.len() {
        let c = &eval[i - ctx..i];
        let count = counts
            .get(c)
            .and_then(|m| m.get(&eval[i]))
            .copied()
            .unwrap_or(0.0);
        let total = totals.get(c).copied().unwrap_or(0.0);
        nats -= ((count + ALPHA) / (total + ALPHA * v)).ln();
        n += 1;
    }
    nats / n.max(1) as f64
}

/// The uniform, unigram, bigram and trigram baselines (nats per token) of `eval` given `train`.
pub fn ngram_baselines(train: &[usize], eval: &[usize], vocab: usize) -> Vec<(&'static str, f64)> {
    ["uniform", "unigram", "bigram", "trigram"]
        .into_iter()
        .enumerate()
        .map(|(order, name)| (name, ngram_nats(train, eval, order, vocab)))
        .collect()
}

/// The trigram baseline as a [`Baseline`] (the number a recurrent LM must beat).
pub fn trigram_baseline(train: &[usize], eval: &[usize], vocab: usize) -> Baseline {
    Baseline {
        metric: "nats",
        value: ngram_nats(train, eval, 3, vocab),
        predictor: "trigram with add-0.1 smoothing fitted on the training split",
        lower_is_better: true,
    }
}
