//! `ParamPath`: a prefix into a `ParamStore` that hands each module its dotted name space.

use super::store::{ParamId, ParamStore};
use crate::element::Element;
use crate::tensor::Tensor;
use std::fmt::Display;

/// A borrowed store plus a dotted prefix: `store.path("encoder").path("rnn").add("weight_ih_l0", t)`
/// registers `encoder.rnn.weight_ih_l0`.
#[derive(Debug)]
pub struct ParamPath<'a, E: Element = f32> {
    store: &'a mut ParamStore<E>,
    prefix: String,
}

/// Checks one path segment or leaf name; a bad name is a programming error, so it panics.
fn check_segment(what: &str, segment: &str) {
    assert!(
        !segment.is_empty()
            && !segment.starts_with('.')
            && !segment.ends_with('.')
            && !segment.contains(".."),
        "ParamPath::{what}: {segment:?} is not a valid dotted name (empty segment)"
    );
}

/// `prefix.segment`, or `segment` alone at the root.
fn join(prefix: &str, segment: &str) -> String {
    if prefix.is_empty() {
        segment.to_string()
    } else {
        format!("{prefix}.{segment}")
    }
}

impl<E: Element> ParamStore<E> {
    /// A path at the root of the store: names registered through it have no prefix.
    pub fn root(&mut self) -> ParamPath<'_, E> {
        ParamPath {
            store: self,
            prefix: String::new(),
        }
    }

    /// A path under `name` (which may itself be dotted, e.g. `"encoder.rnn"`).
    pub fn path(&mut self, name: impl Display) -> ParamPath<'_, E> {
        let name = name.to_string();
        check_segment("path", &name);
        ParamPath {
            store: self,
            prefix: name,
        }
    }
}

impl<'a, E: Element> ParamPath<'a, E> {
    /// A sub-path `self.name`, reborrowing the store (numbers work too: `.path(0)`).
    pub fn path(&mut self, name: impl Display) -> ParamPath<'_, E> {
        let name = name.to_string();
        check_segment("path", &name);
        ParamPath {
            prefix: join(&self.prefix, &name),
            store: self.store,
        }
    }

    /// A sub-path `self.name` that takes over this path's borrow of the store.
    pub fn into_path(self, name: impl Display) -> ParamPath<'a, E> {
        let name = name.to_string();
        check_segment("into_path", &name);
        ParamPath {
            prefix: join(&self.prefix, &name),
            store: self.store,
        }
    }

    /// The full dotted name `leaf` would get under this path.
    pub fn name(&self, leaf: impl Display) -> String {
        let leaf = leaf.to_string();
        check_segment("name", &leaf);
        join(&self.prefix, &leaf)
    }

    /// The dotted prefix of this path (empty at the root).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Registers `value` as `prefix.leaf`; panics if that name is taken.
    pub fn add(&mut self, leaf: impl Display, value: Tensor<E>) -> ParamId {
        let name = self.name(leaf);
        self.store.add(&name, value)
    }

    /// Registers a parameter `prefix.leaf` of `shape` whose value `init` makes (not called on a
    /// meta store: see [`ParamStore::add_with`]).
    pub fn add_with(
        &mut self,
        leaf: impl Display,
        shape: &[usize],
        init: impl FnOnce(&[usize]) -> Tensor<E>,
    ) -> ParamId {
        let name = self.name(leaf);
        self.store.add_with(&name, shape, init)
    }

    /// The underlying store (e.g. to look up an id registered elsewhere).
    pub fn store(&mut self) -> &mut ParamStore<E> {
        self.store
    }
}
