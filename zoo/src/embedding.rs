//! A lookup table of vectors, mirroring `torch.nn.Embedding`.

use crate::Ctx;
use autograd::init::normal;
use autograd::{Element, ParamId, ParamPath, Rng, Var};

/// Row `i` of `weight [num_embeddings, embedding_dim]` for every id `i`, mirroring
/// `torch.nn.Embedding` (initialized N(0, 1) as PyTorch does).
#[derive(Clone, Debug)]
pub struct Embedding {
    weight: ParamId,
    num_embeddings: usize,
    embedding_dim: usize,
}

impl Embedding {
    /// Registers `weight [num_embeddings, embedding_dim]` under `path`.
    pub fn new<E: Element>(
        path: &mut ParamPath<'_, E>,
        num_embeddings: usize,
        embedding_dim: usize,
        rng: &mut Rng,
    ) -> Self {
        let weight = path.add_with("weight", &[num_embeddings, embedding_dim], |s| {
            normal(s, 0.0, 1.0, rng)
        });
        Embedding {
            weight,
            num_embeddings,
            embedding_dim,
        }
    }

    /// The number of rows (the vocabulary size).
    pub fn num_embeddings(&self) -> usize {
        self.num_embeddings
    }

    /// The size of each vector.
    pub fn embedding_dim(&self) -> usize {
        self.embedding_dim
    }

    /// Looks up `ids` laid out as `shape` (row-major), giving `[..shape, embedding_dim]`; the
    /// gradient flows into the rows that were picked.
    ///
    /// Panics if an id is out of range or `ids` does not fill `shape`: callers validate user data.
    pub fn forward<'t, E: Element>(
        &self,
        cx: &Ctx<'_, 't, E>,
        ids: &[usize],
        shape: &[usize],
    ) -> Var<'t, E> {
        assert!(
            ids.len() == shape.iter().product::<usize>(),
            "embedding: {} ids for shape {shape:?}",
            ids.len()
        );
        if let Some(bad) = ids.iter().find(|&&id| id >= self.num_embeddings) {
            panic!(
                "embedding: id {bad} out of range for {} embeddings",
                self.num_embeddings
            );
        }
        let mut out_shape = shape.to_vec();
        out_shape.push(self.embedding_dim);
        cx.param(self.weight)
            .index_select(0, ids)
            .reshape(&out_shape)
    }
}
