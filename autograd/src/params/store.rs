//! `ParamStore`: trainable tensors under dotted hierarchical names, with their accumulated grads.

use crate::element::Element;
use crate::tape::Grads;
use crate::tensor::Tensor;
use std::collections::BTreeMap;

/// The handle of a parameter inside its store: its position and the lineage of the store it was
/// registered in (shared by the store's clones), so that it cannot be used on another store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId {
    index: usize,
    lineage: u64,
}

impl ParamId {
    /// The position of the parameter in its store (registration order).
    pub fn index(self) -> usize {
        self.index
    }
}

/// One trainable tensor, its name and its accumulated gradient.
#[derive(Clone, Debug)]
pub struct Param<E: Element = f32> {
    /// The dotted name, e.g. `encoder.rnn.weight_ih_l0`.
    pub name: String,
    /// The current value.
    pub value: Tensor<E>,
    /// The gradient accumulated since the last `zero_grad` (`None` when nothing was accumulated).
    pub grad: Option<Tensor<E>>,
}

/// Owns every trainable tensor of a model under dotted names; gradients accumulate here.
#[derive(Debug)]
pub struct ParamStore<E: Element = f32> {
    params: Vec<Param<E>>,
    by_name: BTreeMap<String, ParamId>,
    /// Tells stores apart, so that a tape can refuse parameters of a second store.
    uid: u64,
    /// Shared by a store and its clones (which hold the same parameters under the same ids): the
    /// ids of this store carry it, and the store refuses ids of another lineage.
    lineage: u64,
}

/// The next [`ParamStore`] identity.
fn next_uid() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl<E: Element> Default for ParamStore<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Element> Clone for ParamStore<E> {
    /// A copy with its own identity for tapes but the same lineage: the original's `ParamId`s
    /// (and so the models built on it) work on the copy.
    fn clone(&self) -> Self {
        ParamStore {
            params: self.params.clone(),
            by_name: self.by_name.clone(),
            uid: next_uid(),
            lineage: self.lineage,
        }
    }
}

impl<E: Element> ParamStore<E> {
    /// An empty store.
    pub fn new() -> Self {
        ParamStore {
            params: Vec::new(),
            by_name: BTreeMap::new(),
            uid: next_uid(),
            lineage: next_uid(),
        }
    }

    /// This store's identity among the stores of the process.
    pub(crate) fn uid(&self) -> u64 {
        self.uid
    }

    /// The position of `id` in this store; panics if `id` was registered in another store's
    /// lineage (a model runs only against the store it was built on, or a clone of it).
    pub(crate) fn slot(&self, id: ParamId) -> usize {
        assert!(
            id.lineage == self.lineage,
            "parameter #{} belongs to another ParamStore: a model runs only against the store it \
             was built on",
            id.index
        );
        id.index
    }

    /// The id of the parameter at position `index` of this store.
    fn id_at(&self, index: usize) -> ParamId {
        ParamId {
            index,
            lineage: self.lineage,
        }
    }

    /// Registers a parameter; panics if the name is taken (two modules built on one path).
    pub fn add(&mut self, name: &str, value: Tensor<E>) -> ParamId {
        assert!(
            !self.by_name.contains_key(name),
            "ParamStore::add: parameter {name:?} is already registered"
        );
        let id = self.id_at(self.params.len());
        self.params.push(Param {
            name: name.to_string(),
            value,
            grad: None,
        });
        self.by_name.insert(name.to_string(), id);
        id
    }

    /// The id of the parameter called `name`.
    pub fn id(&self, name: &str) -> Option<ParamId> {
        self.by_name.get(name).copied()
    }

    /// The parameter behind `id`.
    pub fn get(&self, id: ParamId) -> &Param<E> {
        &self.params[self.slot(id)]
    }

    /// The parameter behind `id`, mutably.
    pub fn get_mut(&mut self, id: ParamId) -> &mut Param<E> {
        let i = self.slot(id);
        &mut self.params[i]
    }

    /// The current value of a parameter.
    pub fn value(&self, id: ParamId) -> &Tensor<E> {
        &self.get(id).value
    }

    /// Replaces the value of a parameter; panics if the shape changes.
    pub fn set_value(&mut self, id: ParamId, value: Tensor<E>) {
        let p = self.get_mut(id);
        assert_eq!(
            p.value.shape(),
            value.shape(),
            "set_value: shape of {:?} would change",
            p.name
        );
        p.value = value;
    }

    /// The accumulated gradient of a parameter, if any.
    pub fn grad(&self, id: ParamId) -> Option<&Tensor<E>> {
        self.get(id).grad.as_ref()
    }

    /// The number of parameters (tensors).
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether the store holds no parameters.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The total number of scalar weights.
    pub fn num_weights(&self) -> usize {
        self.params.iter().map(|p| p.value.numel()).sum()
    }

    /// All parameters in registration order.
    pub fn iter(&self) -> impl Iterator<Item = (ParamId, &Param<E>)> {
        let lineage = self.lineage;
        self.params
            .iter()
            .enumerate()
            .map(move |(index, p)| (ParamId { index, lineage }, p))
    }

    /// All parameters in registration order, mutably (what optimizers walk).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (ParamId, &mut Param<E>)> {
        let lineage = self.lineage;
        self.params
            .iter_mut()
            .enumerate()
            .map(move |(index, p)| (ParamId { index, lineage }, p))
    }

    /// The names in sorted order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// Adds the parameter gradients of one backward pass to the accumulated gradients.
    pub fn accumulate(&mut self, grads: &Grads<E>) {
        for (id, g) in grads.params() {
            let p = self.get_mut(id);
            p.grad = Some(match p.grad.take() {
                None => g.clone(),
                Some(acc) => acc.add_into(g),
            });
        }
    }

    /// Clears every accumulated gradient.
    pub fn zero_grad(&mut self) {
        for p in &mut self.params {
            p.grad = None;
        }
    }
}
