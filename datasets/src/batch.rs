//! Batching: seeded shuffling, padding to the longest sequence, lengths and masks, batch-first tensors.

use autograd::{Error, Result, Rng, Tensor, IGNORE_INDEX};

use crate::dataset::{Dataset, Example, Input, Target, PAD};

/// Token sequences padded with [`PAD`] to a `[batch, steps]` grid, with their true lengths.
#[derive(Clone, Debug, PartialEq)]
pub struct Padded {
    /// The ids, row-major `[batch, steps]`, [`PAD`] after each row's length.
    pub ids: Vec<usize>,
    /// Rows in the batch.
    pub batch: usize,
    /// Columns: the longest row's length.
    pub steps: usize,
    /// Each row's true length.
    pub lengths: Vec<usize>,
    /// `[batch, steps]`: 1 on real positions, 0 on padding.
    pub mask: Tensor<f32>,
}

impl Padded {
    /// Pads `rows` to the longest one.
    pub fn new(rows: &[&[usize]]) -> Self {
        let batch = rows.len();
        let steps = rows.iter().map(|r| r.len()).max().unwrap_or(0);
        let mut ids = vec![PAD; batch * steps];
        let mut mask = vec![0.0f32; batch * steps];
        for (b, row) in rows.iter().enumerate() {
            ids[b * steps..b * steps + row.len()].copy_from_slice(row);
            mask[b * steps..b * steps + row.len()].fill(1.0);
        }
        Padded {
            ids,
            batch,
            steps,
            lengths: rows.iter().map(|r| r.len()).collect(),
            mask: Tensor::new(&[batch, steps], mask),
        }
    }

    /// The ids of row `b` without padding.
    pub fn row(&self, b: usize) -> &[usize] {
        &self.ids[b * self.steps..b * self.steps + self.lengths[b]]
    }

    /// The ids as an f32 tensor `[batch, steps]` (for index-taking ops).
    pub fn to_tensor(&self) -> Tensor<f32> {
        Tensor::new(
            &[self.batch, self.steps],
            self.ids.iter().map(|&i| i as f32).collect(),
        )
    }

    /// The ids as cross-entropy targets: `IGNORE_INDEX` (-100) on padded positions.
    pub fn targets_ignoring_pad(&self) -> Vec<i64> {
        let mask = self.mask.data();
        self.ids
            .iter()
            .zip(mask)
            .map(|(&i, &m)| if m > 0.0 { i as i64 } else { IGNORE_INDEX })
            .collect()
    }

    /// Teacher forcing for BOS…EOS rows: (decoder input = each row without its last token,
    /// decoder target = each row without its first token), both padded.
    pub fn shift_for_teacher_forcing(&self) -> (Padded, Padded) {
        let rows: Vec<&[usize]> = (0..self.batch).map(|b| self.row(b)).collect();
        let inputs: Vec<&[usize]> = rows
            .iter()
            .map(|r| &r[..r.len().saturating_sub(1)])
            .collect();
        let targets: Vec<&[usize]> = rows.iter().map(|r| &r[r.len().min(1)..]).collect();
        (Padded::new(&inputs), Padded::new(&targets))
    }
}

/// The batched inputs.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchInput {
    /// Per-step features `[B, T, F]`, zero on padded steps.
    Steps(Tensor<f32>),
    /// Token ids `[B, T]`, [`PAD`] on padded steps.
    Tokens(Padded),
    /// One vector per example `[B, F]`.
    Vectors(Tensor<f32>),
}

/// The batched targets.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchTarget {
    /// Regression targets `[B, K]`.
    Values(Tensor<f32>),
    /// One class per example.
    Classes(Vec<usize>),
    /// One class per input step, padded like the input.
    Tags(Padded),
    /// Output sequences (BOS … EOS), padded to the longest.
    Tokens(Padded),
}

/// A batch: inputs in the batch-first layout, true lengths, a padding mask and the targets.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// The dataset indices of the rows, in row order.
    pub indices: Vec<usize>,
    /// The inputs.
    pub input: BatchInput,
    /// Each row's number of real input steps (1 for vector inputs).
    pub lengths: Vec<usize>,
    /// `[B, T]`: 1 on real input steps, 0 on padding.
    pub mask: Tensor<f32>,
    /// The targets.
    pub target: BatchTarget,
}

impl Batch {
    /// Rows in the batch.
    pub fn size(&self) -> usize {
        self.indices.len()
    }

    /// Input steps per row after padding (T).
    pub fn steps(&self) -> usize {
        self.mask.shape()[1]
    }
}

fn kind_error(what: &str, first: &str, other: &str, index: usize) -> Error {
    Error::Data(format!(
        "cannot batch {what}: example {index} is {other} but the first is {first}"
    ))
}

fn input_kind(input: &Input) -> &'static str {
    match input {
        Input::Steps { .. } => "a step sequence",
        Input::Tokens(_) => "a token sequence",
        Input::Vector(_) => "a vector",
    }
}

fn target_kind(target: &Target) -> &'static str {
    match target {
        Target::Values(_) => "values",
        Target::Class(_) => "a class",
        Target::Tags(_) => "tags",
        Target::Tokens(_) => "tokens",
    }
}

fn mask_from_lengths(lengths: &[usize], steps: usize) -> Tensor<f32> {
    let mut mask = vec![0.0f32; lengths.len() * steps];
    for (b, &len) in lengths.iter().enumerate() {
        mask[b * steps..b * steps + len].fill(1.0);
    }
    Tensor::new(&[lengths.len(), steps], mask)
}

fn batch_inputs(examples: &[Example], indices: &[usize]) -> Result<(BatchInput, Vec<usize>)> {
    let first = &examples[0].input;
    match first {
        Input::Steps { width, .. } => {
            let width = *width;
            let mut rows = Vec::with_capacity(examples.len());
            for (e, &i) in examples.iter().zip(indices) {
                match &e.input {
                    Input::Steps { width: w, values }
                        if *w == width && (width == 0 || values.len() % width != 0) =>
                    {
                        return Err(Error::Data(format!(
                            "cannot batch step sequences: example {i} has {} values, not a whole \
                             number of steps of {width} features",
                            values.len()
                        )))
                    }
                    Input::Steps { width: w, values } if *w == width => rows.push(values),
                    Input::Steps { width: w, .. } => {
                        return Err(Error::Data(format!(
                            "cannot batch step sequences: example {i} has {w} features per step, \
                             the first has {width}"
                        )))
                    }
                    other => {
                        return Err(kind_error(
                            "inputs",
                            input_kind(first),
                            input_kind(other),
                            i,
                        ))
                    }
                }
            }
            let lengths: Vec<usize> = rows.iter().map(|r| r.len() / width).collect();
            let steps = lengths.iter().copied().max().unwrap_or(0);
            let mut data = vec![0.0f32; rows.len() * steps * width];
            for (b, row) in rows.iter().enumerate() {
                let start = b * steps * width;
                data[start..start + row.len()].copy_from_slice(row);
            }
            Ok((
                BatchInput::Steps(Tensor::new(&[rows.len(), steps, width], data)),
                lengths,
            ))
        }
        Input::Tokens(_) => {
            let mut rows = Vec::with_capacity(examples.len());
            for (e, &i) in examples.iter().zip(indices) {
                match &e.input {
                    Input::Tokens(ids) => rows.push(ids.as_slice()),
                    other => {
                        return Err(kind_error(
                            "inputs",
                            input_kind(first),
                            input_kind(other),
                            i,
                        ))
                    }
                }
            }
            let padded = Padded::new(&rows);
            let lengths = padded.lengths.clone();
            Ok((BatchInput::Tokens(padded), lengths))
        }
        Input::Vector(_) => {
            let rows = examples.iter().zip(indices).map(|(e, &i)| match &e.input {
                Input::Vector(v) => Ok((i, v.as_slice())),
                other => Err(kind_error(
                    "inputs",
                    input_kind(first),
                    input_kind(other),
                    i,
                )),
            });
            Ok((
                BatchInput::Vectors(stack_equal_rows("vectors", rows)?),
                vec![1; examples.len()],
            ))
        }
    }
}

/// Stacks `(dataset index, row)` pairs into a `[rows, width]` tensor; a row of another width is an
/// error naming its example, as is any error the iterator yields.
fn stack_equal_rows<'a>(
    what: &str,
    rows: impl Iterator<Item = Result<(usize, &'a [f32])>>,
) -> Result<Tensor<f32>> {
    let (mut data, mut count, mut width) = (Vec::new(), 0usize, None);
    for row in rows {
        let (i, values) = row?;
        let w = *width.get_or_insert(values.len());
        if values.len() != w {
            return Err(Error::Data(format!(
                "cannot batch {what}: example {i} has {} values, the first has {w}",
                values.len()
            )));
        }
        data.extend_from_slice(values);
        count += 1;
    }
    Ok(Tensor::new(&[count, width.unwrap_or(0)], data))
}

fn batch_targets(examples: &[Example], indices: &[usize]) -> Result<BatchTarget> {
    let first = &examples[0].target;
    let mismatch =
        |other: &Target, i: usize| kind_error("targets", target_kind(first), target_kind(other), i);
    match first {
        Target::Values(_) => {
            let rows = examples.iter().zip(indices).map(|(e, &i)| match &e.target {
                Target::Values(v) => Ok((i, v.as_slice())),
                other => Err(mismatch(other, i)),
            });
            Ok(BatchTarget::Values(stack_equal_rows("targets", rows)?))
        }
        Target::Class(_) => examples
            .iter()
            .zip(indices)
            .map(|(e, &i)| match &e.target {
                Target::Class(c) => Ok(*c),
                other => Err(mismatch(other, i)),
            })
            .collect::<Result<Vec<_>>>()
            .map(BatchTarget::Classes),
        Target::Tags(_) | Target::Tokens(_) => {
            let tags = matches!(first, Target::Tags(_));
            let mut rows = Vec::with_capacity(examples.len());
            for (e, &i) in examples.iter().zip(indices) {
                match (&e.target, tags) {
                    (Target::Tags(ids), true) | (Target::Tokens(ids), false) => {
                        rows.push(ids.as_slice())
                    }
                    (other, _) => return Err(mismatch(other, i)),
                }
            }
            let padded = Padded::new(&rows);
            Ok(if tags {
                BatchTarget::Tags(padded)
            } else {
                BatchTarget::Tokens(padded)
            })
        }
    }
}

/// Stacks examples into one batch: pads inputs to the longest, records lengths, builds the mask.
/// `indices` are the examples' dataset indices (kept in the batch and named in errors).
pub fn collate(examples: &[Example], indices: &[usize]) -> Result<Batch> {
    if examples.is_empty() {
        return Err(Error::Data("cannot batch zero examples".into()));
    }
    if examples.len() != indices.len() {
        return Err(Error::Data(format!(
            "cannot batch {} examples with {} indices",
            examples.len(),
            indices.len()
        )));
    }
    let (input, lengths) = batch_inputs(examples, indices)?;
    let steps = lengths.iter().copied().max().unwrap_or(0);
    let target = batch_targets(examples, indices)?;
    Ok(Batch {
        indices: indices.to_vec(),
        input,
        mask: mask_from_lengths(&lengths, steps),
        lengths,
        target,
    })
}

/// Cuts a dataset into batches: optional seeded shuffling per epoch, a batch size, drop-last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batcher {
    batch_size: usize,
    shuffle_seed: Option<u64>,
    drop_last: bool,
}

impl Batcher {
    /// In-order batches of `batch_size` (an error if it is 0), keeping a short last batch.
    pub fn new(batch_size: usize) -> Result<Self> {
        if batch_size == 0 {
            return Err(Error::Config("batch size must be at least 1".into()));
        }
        Ok(Batcher {
            batch_size,
            shuffle_seed: None,
            drop_last: false,
        })
    }

    /// Shuffle every epoch: epoch `e` uses the order drawn from `Rng::new(seed).fork(e)`.
    pub fn shuffled(mut self, seed: u64) -> Self {
        self.shuffle_seed = Some(seed);
        self
    }

    /// Whether to drop a last batch smaller than the batch size.
    pub fn drop_last(mut self, drop: bool) -> Self {
        self.drop_last = drop;
        self
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The order in which epoch `epoch` visits the indices `0..len`.
    pub fn order(&self, len: usize, epoch: u64) -> Vec<usize> {
        let mut order: Vec<usize> = (0..len).collect();
        if let Some(seed) = self.shuffle_seed {
            Rng::new(seed).fork(epoch).shuffle(&mut order);
        }
        order
    }

    /// How many batches an epoch over `len` examples yields.
    pub fn num_batches(&self, len: usize) -> usize {
        if self.drop_last {
            len / self.batch_size
        } else {
            len.div_ceil(self.batch_size)
        }
    }

    /// Batch number `step` of an endless run over `dataset`: epoch `step / num_batches`, batch
    /// `step % num_batches` of it. A pure function of `step`, so a resumed run sees the same
    /// batches; an error when `dataset` holds no batch at all.
    pub fn batch_at<D: Dataset + ?Sized>(&self, dataset: &D, step: u64) -> Result<Batch> {
        let (epoch, index) = self.position(dataset.len(), step)?;
        self.batch_of(dataset, &self.order(dataset.len(), epoch), index)
    }

    /// Where batch `step` of an endless run over `len` examples lies: (epoch, batch in the
    /// epoch); an error when `len` examples make no batch.
    pub fn position(&self, len: usize, step: u64) -> Result<(u64, usize)> {
        let n = self.num_batches(len) as u64;
        if n == 0 {
            return Err(Error::Data(format!(
                "{len} examples make no batch of {}",
                self.batch_size
            )));
        }
        Ok((step / n, (step % n) as usize))
    }

    /// Batch `index` of an epoch that visits `dataset` in `order` (from [`Batcher::order`]; a
    /// caller may keep it for the whole epoch instead of drawing it for every batch).
    pub fn batch_of<D: Dataset + ?Sized>(
        &self,
        dataset: &D,
        order: &[usize],
        index: usize,
    ) -> Result<Batch> {
        let b = index * self.batch_size;
        let idx = &order[b..(b + self.batch_size).min(order.len())];
        let examples: Vec<Example> = idx.iter().map(|&i| dataset.example(i)).collect();
        collate(&examples, idx)
    }

    /// The batches of epoch `epoch` over `dataset`.
    pub fn epoch<'a, D: Dataset + ?Sized>(
        &self,
        dataset: &'a D,
        epoch: u64,
    ) -> impl Iterator<Item = Result<Batch>> + 'a {
        let order = self.order(dataset.len(), epoch);
        let n = self.num_batches(order.len());
        let size = self.batch_size;
        (0..n).map(move |b| {
            let idx = &order[b * size..((b + 1) * size).min(order.len())];
            let examples: Vec<Example> = idx.iter().map(|&i| dataset.example(i)).collect();
            collate(&examples, idx)
        })
    }
}
