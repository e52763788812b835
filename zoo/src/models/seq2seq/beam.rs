//! Beam search over one source row.

use crate::models::StateValues;
use autograd::{Element, Tensor};

/// A partial or finished translation.
struct Hypothesis {
    /// The tokens so far (no BOS, no EOS).
    tokens: Vec<usize>,
    /// The sum of the log-probabilities of every token scored (EOS included once finished).
    score: f64,
    /// Tokens scored: `tokens.len()`, plus one for EOS.
    scored: usize,
}

impl Hypothesis {
    /// The mean log-probability per scored token.
    fn normalized(&self) -> f64 {
        self.score / self.scored.max(1) as f64
    }
}

/// Keeps the `beam` best continuations (by summed log-probability) at each step; a continuation
/// with `eos` is finished. Stops when `beam` hypotheses have finished, none is left or after
/// `max_len` steps, and returns the best hypothesis by length-normalized score (finished ones
/// first, the unfinished ones only when none finished).
///
/// `step(tokens, state)` runs the decoder one step for the live hypotheses (their last tokens, one
/// row each) and returns log-probabilities `[k, 1, V]` and the next state.
pub(super) fn search<E: Element>(
    beam: usize,
    max_len: usize,
    bos: usize,
    eos: usize,
    mut state: StateValues<E>,
    mut step: impl FnMut(&[usize], &StateValues<E>) -> (Tensor<E>, StateValues<E>),
) -> Vec<usize> {
    let mut live = vec![Hypothesis {
        tokens: Vec::new(),
        score: 0.0,
        scored: 0,
    }];
    let mut finished = Vec::new();
    for _ in 0..max_len {
        let last: Vec<usize> = live
            .iter()
            .map(|h| *h.tokens.last().unwrap_or(&bos))
            .collect();
        let (log_probs, next) = step(&last, &state);
        let vocab = log_probs.dim(2);
        let mut candidates: Vec<(f64, usize, usize)> = log_probs
            .data()
            .chunks(vocab)
            .zip(&live)
            .enumerate()
            .flat_map(|(i, (row, h))| {
                row.iter().enumerate().map(move |(token, &lp)| {
                    (h.score + lp.to_f64().unwrap_or(f64::NEG_INFINITY), i, token)
                })
            })
            .collect();
        // Stable: ties keep (hypothesis, token) order, so beam 1 picks what argmax picks.
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut parents = Vec::new();
        let mut kept = Vec::new();
        for &(score, i, token) in candidates.iter().take(beam) {
            let parent = &live[i];
            let mut h = Hypothesis {
                tokens: parent.tokens.clone(),
                score,
                scored: parent.scored + 1,
            };
            if token == eos {
                finished.push(h);
            } else {
                h.tokens.push(token);
                kept.push(h);
                parents.push(i);
            }
        }
        live = kept;
        if finished.len() >= beam || live.is_empty() {
            break;
        }
        state = next.select(&parents);
    }
    let pool = if finished.is_empty() { live } else { finished };
    pool.into_iter()
        .max_by(|a, b| a.normalized().total_cmp(&b.normalized()))
        .map(|h| h.tokens)
        .unwrap_or_default()
}
