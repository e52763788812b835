//! The Wengert-list tape, the `Var` handle, no-grad mode and reverse-mode backward.

use crate::diagnostics::RecurrentRecord;
use crate::element::Element;
use crate::op::Op;
use crate::params::{ParamId, ParamStore};
use crate::profile::{OpProfile, Profiler};
use crate::tensor::Tensor;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// The position of a node on its tape; ids grow in execution order.
pub type NodeId = usize;

/// One recorded value and the op that produced it.
pub(crate) struct Node<E: Element> {
    pub(crate) value: Tensor<E>,
    pub(crate) op: Op<E>,
    pub(crate) requires_grad: bool,
    pub(crate) param: Option<ParamId>,
}

/// A Wengert list: every value of one forward pass, in execution order, with the op behind it.
pub struct Tape<E: Element = f32> {
    nodes: RefCell<Vec<Node<E>>>,
    grad_enabled: Cell<bool>,
    params: RefCell<HashMap<ParamId, NodeId>>,
    /// The store whose parameters this tape holds (a tape serves one store).
    store: Cell<Option<u64>>,
    /// The op clock of a profiled tape.
    profiler: RefCell<Option<Profiler>>,
    /// The recurrent kernels' records of a diagnosing tape.
    diagnostics: RefCell<Option<Vec<RecurrentRecord>>>,
}

/// A value on a tape: a cheap `Copy` handle (tape reference + node id) with the op methods.
#[derive(Clone, Copy)]
pub struct Var<'t, E: Element = f32> {
    tape: &'t Tape<E>,
    id: NodeId,
}

/// Restores the tape's previous grad mode when dropped (see [`Tape::no_grad`]).
pub struct NoGradGuard<'t, E: Element> {
    tape: &'t Tape<E>,
    previous: bool,
}

impl<E: Element> Drop for NoGradGuard<'_, E> {
    fn drop(&mut self) {
        self.tape.grad_enabled.set(self.previous);
    }
}

impl<E: Element> Default for Tape<E> {
    fn default() -> Self {
        Tape::new()
    }
}

impl<E: Element> Tape<E> {
    /// An empty tape with gradients enabled.
    pub fn new() -> Self {
        Tape {
            nodes: RefCell::new(Vec::new()),
            grad_enabled: Cell::new(true),
            params: RefCell::new(HashMap::new()),
            store: Cell::new(None),
            profiler: RefCell::new(None),
            diagnostics: RefCell::new(None),
        }
    }

    /// An empty tape on which every recurrent kernel records its gradient flow, gate statistics
    /// and hidden-state norms (see [`crate::diagnostics`] and [`Tape::recurrent_diagnostics`]).
    pub fn diagnosing() -> Self {
        let tape = Tape::new();
        *tape.diagnostics.borrow_mut() = Some(Vec::new());
        tape
    }

    /// Whether this is a [`Tape::diagnosing`] tape.
    pub fn is_diagnosing(&self) -> bool {
        self.diagnostics.borrow().is_some()
    }

    /// The records of the recurrent kernels run so far on a [`Tape::diagnosing`] tape, in op
    /// order (with their backward part once a backward ran through them); `None` for a tape that
    /// is not diagnosing.
    pub fn recurrent_diagnostics(&self) -> Option<Vec<RecurrentRecord>> {
        self.diagnostics.borrow().clone()
    }

    /// Adds the record `make` gives on a diagnosing tape and returns its index; `None` (and
    /// nothing made) on any other tape.
    pub(crate) fn add_record(&self, make: impl FnOnce() -> RecurrentRecord) -> Option<usize> {
        let mut diagnostics = self.diagnostics.borrow_mut();
        let records = diagnostics.as_mut()?;
        records.push(make());
        Some(records.len() - 1)
    }

    /// An empty tape that also times each op, forward and backward (see [`OpProfile`]).
    pub fn profiled() -> Self {
        let tape = Tape::new();
        *tape.profiler.borrow_mut() = Some(Profiler::new());
        tape
    }

    /// The op times of a [`Tape::profiled`] tape so far; `None` for a tape that is not profiled.
    pub fn profile(&self) -> Option<OpProfile> {
        self.profiler.borrow().as_ref().map(|p| p.profile().clone())
    }

    /// Until the guard drops, ops record values only: no backward state, nothing requires grad.
    pub fn no_grad(&self) -> NoGradGuard<'_, E> {
        let previous = self.grad_enabled.replace(false);
        NoGradGuard {
            tape: self,
            previous,
        }
    }

    /// Whether ops recorded now keep backward state.
    pub fn grad_enabled(&self) -> bool {
        self.grad_enabled.get()
    }

    /// A leaf that requires a gradient (an input to differentiate with respect to).
    pub fn var(&self, value: Tensor<E>) -> Var<'_, E> {
        let requires_grad = self.grad_enabled();
        self.push_node(value, Op::Leaf, requires_grad, None, "Leaf")
    }

    /// A leaf that never requires a gradient (data, targets, masks).
    pub fn constant(&self, value: Tensor<E>) -> Var<'_, E> {
        self.push_node(value, Op::Leaf, false, None, "Leaf")
    }

    /// The leaf for a parameter of `store`; registering the same parameter twice returns one leaf.
    /// A tape serves one store: parameters of a second store panic (their ids would collide), and
    /// so does an `id` registered in a store other than `store` (or its clones).
    pub fn param(&self, store: &ParamStore<E>, id: ParamId) -> Var<'_, E> {
        store.slot(id);
        match self.store.get() {
            None => self.store.set(Some(store.uid())),
            Some(uid) => assert!(
                uid == store.uid(),
                "Tape::param: this tape already holds parameters of another ParamStore; \
                 use one tape per store"
            ),
        }
        if let Some(&node) = self.params.borrow().get(&id) {
            return Var {
                tape: self,
                id: node,
            };
        }
        let requires_grad = self.grad_enabled();
        let v = self.push_node(
            store.value(id).clone(),
            Op::Leaf,
            requires_grad,
            Some(id),
            "Leaf",
        );
        self.params.borrow_mut().insert(id, v.id);
        v
    }

    /// The leaf for the parameter named `name` of `store`; panics if there is none.
    pub fn param_named(&self, store: &ParamStore<E>, name: &str) -> Var<'_, E> {
        let id = store
            .id(name)
            .unwrap_or_else(|| panic!("param_named: no parameter {name:?} in the store"));
        self.param(store, id)
    }

    /// Records the result of an op; it requires a gradient if any input does and grad is enabled.
    pub(crate) fn push(&self, value: Tensor<E>, op: Op<E>) -> Var<'_, E> {
        let requires_grad = self.grad_enabled() && {
            let nodes = self.nodes.borrow();
            op.inputs().iter().any(|&i| nodes[i].requires_grad)
        };
        let name = op.name();
        let op = if requires_grad { op } else { Op::Leaf };
        self.push_node(value, op, requires_grad, None, name)
    }

    /// Records a node; `name` is the op that computed it (for the profile: a node recorded
    /// without backward state is a leaf, whatever computed it).
    fn push_node(
        &self,
        value: Tensor<E>,
        op: Op<E>,
        requires_grad: bool,
        param: Option<ParamId>,
        name: &'static str,
    ) -> Var<'_, E> {
        if let Some(p) = self.profiler.borrow_mut().as_mut() {
            p.recorded(name);
        }
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node {
            value,
            op,
            requires_grad,
            param,
        });
        Var {
            tape: self,
            id: nodes.len() - 1,
        }
    }

    /// The number of recorded nodes.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The names of the ops recorded with backward state, in execution order (leaves excluded).
    pub fn op_names(&self) -> Vec<&'static str> {
        self.nodes
            .borrow()
            .iter()
            .filter(|n| !matches!(n.op, Op::Leaf))
            .map(|n| n.op.name())
            .collect()
    }

    /// Reverse-mode sweep from `root` seeded with `seed`; returns the gradients of all leaves.
    fn backward_from(&self, root: NodeId, seed: Tensor<E>) -> Grads<E> {
        let nodes = self.nodes.borrow();
        let mut grads: Vec<Option<Tensor<E>>> = vec![None; root + 1];
        let mut result = Grads::default();
        if !nodes[root].requires_grad {
            return result;
        }
        grads[root] = Some(seed);
        for i in (0..=root).rev() {
            let Some(g) = grads[i].take() else { continue };
            let node = &nodes[i];
            if let Op::Leaf = node.op {
                if let Some(p) = node.param {
                    result.params.insert(p, g.clone());
                }
                result.leaves.insert(i, g);
                continue;
            }
            let mut ctx = Backward {
                nodes: &nodes,
                diagnostics: &self.diagnostics,
                out: &node.value,
                grad: &g,
                sink: &mut grads,
            };
            let start = self
                .profiler
                .borrow()
                .is_some()
                .then(std::time::Instant::now);
            node.op.backward(&mut ctx);
            if let (Some(start), Some(p)) = (start, self.profiler.borrow_mut().as_mut()) {
                p.backward(node.op.name(), start.elapsed());
            }
        }
        result
    }
}

/// What an op's backward arm sees: its output, the gradient of the output, and the input values.
pub(crate) struct Backward<'a, E: Element> {
    nodes: &'a [Node<E>],
    diagnostics: &'a RefCell<Option<Vec<RecurrentRecord>>>,
    /// The op's output value.
    pub(crate) out: &'a Tensor<E>,
    /// The gradient of the loss with respect to the op's output.
    pub(crate) grad: &'a Tensor<E>,
    sink: &'a mut [Option<Tensor<E>>],
}

impl<E: Element> Backward<'_, E> {
    /// The forward value of input node `id`.
    pub(crate) fn value(&self, id: NodeId) -> &Tensor<E> {
        &self.nodes[id].value
    }

    /// Record `index` of a diagnosing tape, to fill in its backward part.
    pub(crate) fn record(&self, index: usize, fill: impl FnOnce(&mut RecurrentRecord)) {
        if let Some(records) = self.diagnostics.borrow_mut().as_mut() {
            fill(&mut records[index]);
        }
    }

    /// Whether input `id` takes a gradient.
    pub(crate) fn needs(&self, id: NodeId) -> bool {
        self.nodes[id].requires_grad
    }

    /// Adds the gradient computed by `f` to input `id`, computing it only if `id` needs one.
    pub(crate) fn give(&mut self, id: NodeId, f: impl FnOnce(&Self) -> Tensor<E>) {
        if !self.nodes[id].requires_grad {
            return;
        }
        let contribution = f(self);
        debug_assert_eq!(
            contribution.shape(),
            self.nodes[id].value.shape(),
            "backward: gradient shape differs from value shape"
        );
        self.sink[id] = Some(match self.sink[id].take() {
            None => contribution,
            Some(acc) => acc.add_into(&contribution),
        });
    }
}

/// The gradients of one backward pass: by leaf [`Var`] and by parameter.
pub struct Grads<E: Element = f32> {
    leaves: HashMap<NodeId, Tensor<E>>,
    params: HashMap<ParamId, Tensor<E>>,
}

impl<E: Element> Default for Grads<E> {
    fn default() -> Self {
        Grads {
            leaves: HashMap::new(),
            params: HashMap::new(),
        }
    }
}

impl<E: Element> Grads<E> {
    /// The gradient with respect to a leaf, or `None` if the loss does not depend on it.
    pub fn get(&self, v: Var<'_, E>) -> Option<&Tensor<E>> {
        self.leaves.get(&v.id)
    }

    /// The gradient with respect to a leaf, zeros if the loss does not depend on it.
    pub fn wrt(&self, v: Var<'_, E>) -> Tensor<E> {
        self.get(v)
            .cloned()
            .unwrap_or_else(|| Tensor::zeros(&v.shape()))
    }

    /// The gradient with respect to a parameter, or `None` if the loss does not depend on it.
    pub fn param(&self, id: ParamId) -> Option<&Tensor<E>> {
        self.params.get(&id)
    }

    /// Every parameter gradient of this pass.
    pub fn params(&self) -> impl Iterator<Item = (ParamId, &Tensor<E>)> {
        self.params.iter().map(|(&id, g)| (id, g))
    }
}

impl<'t, E: Element> Var<'t, E> {
    /// The tape this value lives on.
    pub fn tape(&self) -> &'t Tape<E> {
        self.tape
    }

    /// The node id on the tape.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The forward value (shares storage; cheap).
    pub fn value(&self) -> Tensor<E> {
        self.tape.nodes.borrow()[self.id].value.clone()
    }

    /// The shape of the value.
    pub fn shape(&self) -> Vec<usize> {
        self.tape.nodes.borrow()[self.id].value.shape().to_vec()
    }

    /// The size of dimension `d`.
    pub fn dim(&self, d: usize) -> usize {
        self.tape.nodes.borrow()[self.id].value.dim(d)
    }

    /// The single value of a one-element result, as f64.
    pub fn item(&self) -> f64 {
        self.tape.nodes.borrow()[self.id]
            .value
            .item()
            .to_f64()
            .unwrap_or(f64::NAN)
    }

    /// Whether gradients flow back through this value.
    pub fn requires_grad(&self) -> bool {
        self.tape.nodes.borrow()[self.id].requires_grad
    }

    /// The same value cut off from the graph: no gradient flows back through it.
    pub fn detach(self) -> Var<'t, E> {
        let value = self.value();
        self.tape.constant(value)
    }

    /// Backpropagates from this scalar; returns the gradients of every leaf it depends on.
    pub fn backward(self) -> Grads<E> {
        let shape = self.shape();
        assert!(
            shape.iter().product::<usize>() == 1,
            "backward: output of shape {shape:?} is not a scalar; use backward_with"
        );
        self.tape.backward_from(self.id, Tensor::ones(&shape))
    }

    /// Backpropagates from this value with `seed` as its gradient (a vector-Jacobian product).
    pub fn backward_with(self, seed: &Tensor<E>) -> Grads<E> {
        let shape = self.shape();
        assert_eq!(
            seed.shape(),
            &shape[..],
            "backward_with: seed shape differs from output shape"
        );
        self.tape.backward_from(self.id, seed.clone())
    }

    pub(crate) fn push(&self, value: Tensor<E>, op: Op<E>) -> Var<'t, E> {
        self.tape.push(value, op)
    }
}
