//! Per-parameter optimizer state: named buffers per `ParamId`, their export and checked import.

use crate::element::Element;
use crate::error::{Error, Result};
use crate::params::{ParamId, ParamStore};
use crate::tensor::Tensor;
use std::collections::BTreeMap;

/// An optimizer's checkpointable state: plain data, written by the checkpoint code.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimState<E: Element = f32> {
    /// The optimizer's name (`"sgd"`, `"adam"`, `"adamw"`, `"rmsprop"`, `"adagrad"`).
    pub kind: String,
    /// How many times `step` was called.
    pub step: u64,
    /// Per parameter name, how many updates it received (PyTorch keeps one count per parameter).
    pub param_steps: Vec<(String, u64)>,
    /// Per-parameter buffers named `<buffer>.<param name>`, e.g. `exp_avg.encoder.weight`.
    pub tensors: Vec<(String, Tensor<E>)>,
}

/// The state of one parameter: its name, update count and buffers (in the optimizer's order).
struct Slot<E: Element> {
    name: String,
    step: u64,
    bufs: Vec<Tensor<E>>,
}

/// A parameter's state read from an [`OptimState`], before it is checked to be complete.
struct Incoming<E: Element> {
    step: u64,
    bufs: Vec<Option<Tensor<E>>>,
}

/// The buffers of one parameter handed to an update, taken in the order they were declared.
pub(crate) struct Buffers<'a, E>(std::vec::IntoIter<&'a mut [E]>);

impl<'a, E> Buffers<'a, E> {
    /// The next declared buffer.
    pub(crate) fn next(&mut self) -> &'a mut [E] {
        self.0
            .next()
            .expect("optimizer update takes more buffers than it declared")
    }

    /// The next declared buffer if `declared` (for buffers that only some settings use).
    pub(crate) fn next_if(&mut self, declared: bool) -> Option<&'a mut [E]> {
        declared.then(|| self.next())
    }
}

/// One update of one parameter: its per-parameter step (from 1), value, gradient and buffers.
pub(crate) struct Update<'a, E> {
    /// How many updates this parameter has received, this one included.
    pub step: u64,
    /// The parameter's elements, to update in place.
    pub param: &'a mut [E],
    /// The gradient's elements.
    pub grad: &'a [E],
    /// The parameter's buffers.
    pub bufs: Buffers<'a, E>,
}

/// The per-parameter state shared by all optimizers: lazily created buffers, export, import.
pub(crate) struct ParamSlots<E: Element> {
    kind: &'static str,
    /// Buffer names and the value a new buffer is filled with.
    buffers: Vec<(&'static str, E)>,
    step: u64,
    slots: Vec<Option<Slot<E>>>,
}

impl<E: Element> ParamSlots<E> {
    /// Empty state for optimizer `kind` keeping the named buffers (each filled with its value).
    pub(crate) fn new(kind: &'static str, buffers: Vec<(&'static str, E)>) -> Self {
        ParamSlots {
            kind,
            buffers,
            step: 0,
            slots: Vec::new(),
        }
    }

    /// The optimizer's name.
    pub(crate) fn kind(&self) -> &'static str {
        self.kind
    }

    /// Calls `update` for every parameter with a gradient, creating its buffers on first use.
    pub(crate) fn step(
        &mut self,
        store: &mut ParamStore<E>,
        mut update: impl FnMut(Update<'_, E>),
    ) {
        self.step += 1;
        for (id, p) in store.iter_mut() {
            let Some(grad) = p.grad.as_ref() else {
                continue;
            };
            assert_eq!(
                grad.shape(),
                p.value.shape(),
                "{}: gradient of {:?} has the wrong shape",
                self.kind,
                p.name
            );
            let slot = self.slot(id, &p.name, p.value.shape());
            slot.step += 1;
            let bufs: Vec<&mut [E]> = slot.bufs.iter_mut().map(Tensor::data_mut).collect();
            update(Update {
                step: slot.step,
                param: p.value.data_mut(),
                grad: grad.data(),
                bufs: Buffers(bufs.into_iter()),
            });
        }
    }

    /// The slot of parameter `id`, created if new; panics if it belongs to another store's param.
    fn slot(&mut self, id: ParamId, name: &str, shape: &[usize]) -> &mut Slot<E> {
        let i = id.index();
        if self.slots.len() <= i {
            self.slots.resize_with(i + 1, || None);
        }
        let slot = self.slots[i].get_or_insert_with(|| Slot {
            name: name.to_string(),
            step: 0,
            bufs: self
                .buffers
                .iter()
                .map(|&(_, fill)| Tensor::full(shape, fill))
                .collect(),
        });
        assert_eq!(
            slot.name, name,
            "{}: optimizer state is for another parameter store",
            self.kind
        );
        slot
    }

    /// The state as plain data.
    pub(crate) fn export(&self) -> OptimState<E> {
        let slots = self.slots.iter().flatten();
        OptimState {
            kind: self.kind.to_string(),
            step: self.step,
            param_steps: slots.clone().map(|s| (s.name.clone(), s.step)).collect(),
            tensors: slots
                .flat_map(|s| {
                    self.buffers
                        .iter()
                        .zip(&s.bufs)
                        .map(|(&(buf, _), t)| (format!("{buf}.{}", s.name), t.clone()))
                })
                .collect(),
        }
    }

    /// Replaces the state with `state` after checking it fits this optimizer and `store`.
    pub(crate) fn import(&mut self, state: OptimState<E>, store: &ParamStore<E>) -> Result<()> {
        let mut problems = Vec::new();
        if state.kind != self.kind {
            problems.push(format!("state is for optimizer {:?}", state.kind));
        }
        let mut slots: BTreeMap<String, Incoming<E>> = BTreeMap::new();
        for (name, step) in state.param_steps {
            if store.id(&name).is_none() {
                problems.push(format!("no parameter {name:?} in the model"));
            }
            let bufs = vec![None; self.buffers.len()];
            if slots
                .insert(name.clone(), Incoming { step, bufs })
                .is_some()
            {
                problems.push(format!("parameter {name:?} listed twice"));
            }
        }
        for (key, tensor) in state.tensors {
            let (buf, name) = key.split_once('.').unwrap_or((key.as_str(), ""));
            let Some(b) = self.buffers.iter().position(|&(n, _)| n == buf) else {
                problems.push(format!("unexpected buffer {key:?}"));
                continue;
            };
            let Some(Incoming { bufs, .. }) = slots.get_mut(name) else {
                problems.push(format!(
                    "buffer {key:?} for a parameter without a step count"
                ));
                continue;
            };
            if let Some(id) = store.id(name) {
                let want = store.value(id).shape();
                if tensor.shape() != want {
                    problems.push(format!(
                        "{key:?} has shape {:?}, parameter has {want:?}",
                        tensor.shape()
                    ));
                }
            }
            if bufs[b].replace(tensor).is_some() {
                problems.push(format!("buffer {key:?} given twice"));
            }
        }
        let mut new_slots = Vec::new();
        for (name, Incoming { step, bufs }) in slots {
            let missing: Vec<_> = self
                .buffers
                .iter()
                .zip(&bufs)
                .filter(|(_, t)| t.is_none())
                .map(|(&(buf, _), _)| format!("{buf}.{name}"))
                .collect();
            if !missing.is_empty() {
                problems.push(format!("missing buffers {}", missing.join(", ")));
            }
            if let Some(id) = store.id(&name) {
                let bufs = bufs.into_iter().flatten().collect();
                new_slots.push((id, Slot { name, step, bufs }));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Config(format!(
                "optimizer state does not fit this {} optimizer: {}",
                self.kind,
                problems.join("; ")
            )));
        }
        self.step = state.step;
        self.slots.clear();
        for (id, slot) in new_slots {
            let i = id.index();
            if self.slots.len() <= i {
                self.slots.resize_with(i + 1, || None);
            }
            self.slots[i] = Some(slot);
        }
        Ok(())
    }
}
