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
    /// In a meta store ([`ParamStore::meta`]): the name and shape of each parameter declared, whose
    /// values are never made.
    meta: Option<Vec<(String, Vec<usize>)>>,
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
            meta: self.meta.clone(),
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
            meta: None,
        }
    }

    /// A meta store (PyTorch's meta device): a model builds on it as on any store, but it keeps
    /// only each parameter's name and shape and never makes a value, so the sizes a configuration
    /// asks for can be checked (e.g. against a file's tensors) before anything is allocated.
    /// It holds no [`Param`]: `get`, `value` and their kin panic, `iter` yields nothing.
    pub fn meta() -> Self {
        ParamStore {
            meta: Some(Vec::new()),
            ..Self::new()
        }
    }

    /// Whether this is a meta store, which records shapes but holds no values.
    pub fn is_meta(&self) -> bool {
        self.meta.is_some()
    }

    /// The name and shape of every parameter in registration order (a meta store's included).
    pub fn shapes(&self) -> Vec<(&str, &[usize])> {
        match &self.meta {
            Some(declared) => declared
                .iter()
                .map(|(name, shape)| (name.as_str(), shape.as_slice()))
                .collect(),
            None => self
                .params
                .iter()
                .map(|p| (p.name.as_str(), p.value.shape()))
                .collect(),
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
            self.meta.is_none(),
            "a meta ParamStore holds no parameter values (parameter #{})",
            id.index
        );
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
        if self.is_meta() {
            return self.declare(name, value.shape());
        }
        let id = self.id_at(self.params.len());
        self.params.push(Param {
            name: name.to_string(),
            value,
            grad: None,
        });
        self.by_name.insert(name.to_string(), id);
        id
    }

    /// Registers a parameter of `shape` whose value `init` makes; a meta store records the shape
    /// and never calls `init` (so nothing of that size is allocated).
    pub fn add_with(
        &mut self,
        name: &str,
        shape: &[usize],
        init: impl FnOnce(&[usize]) -> Tensor<E>,
    ) -> ParamId {
        if self.is_meta() {
            assert!(
                !self.by_name.contains_key(name),
                "ParamStore::add_with: parameter {name:?} is already registered"
            );
            return self.declare(name, shape);
        }
        let value = init(shape);
        assert_eq!(
            value.shape(),
            shape,
            "ParamStore::add_with: {name:?} was initialized with another shape"
        );
        self.add(name, value)
    }

    /// Records a parameter's name and shape in a meta store (whose caller checked the name).
    fn declare(&mut self, name: &str, shape: &[usize]) -> ParamId {
        let id = self.id_at(self.len());
        if let Some(declared) = &mut self.meta {
            declared.push((name.to_string(), shape.to_vec()));
        }
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
        self.meta.as_ref().map_or(self.params.len(), Vec::len)
    }

    /// Whether the store holds no parameters.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The total number of scalar weights (of a meta store: the number its shapes ask for,
    /// saturating at `usize::MAX`).
    pub fn num_weights(&self) -> usize {
        self.shapes()
            .iter()
            .map(|(_, shape)| shape.iter().fold(1usize, |n, &d| n.saturating_mul(d)))
            .fold(0usize, usize::saturating_add)
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
