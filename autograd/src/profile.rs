//! Where a tape's time goes: each op's forward and backward, summed by op name (opt-in, see
//! [`Tape::profiled`](crate::Tape::profiled)).
//!
//! Ops run eagerly: an op computes its value, then records it on the tape. So the forward time of
//! an op is the time since the tape recorded the value before it; leaves (inputs, constants,
//! parameters) take the time of whatever ran between ops, such as making a batch.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The time of one kind of op: forward, backward, and how many ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpTime {
    /// Time computing values (see the module's note on how it is measured).
    pub forward: Duration,
    /// Time in the op's backward arm.
    pub backward: Duration,
    /// Ops of this kind recorded.
    pub count: usize,
}

/// Time per op name (`"Recurrent"`, `"Linear"`, `"Leaf"`, …), summed over every tape added in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpProfile {
    /// By op name, as [`Op::name`](crate::Op::name) gives it.
    pub ops: BTreeMap<&'static str, OpTime>,
}

impl OpProfile {
    /// Adds the times of `other` into this profile.
    pub fn add(&mut self, other: &OpProfile) {
        for (name, t) in &other.ops {
            let mine = self.ops.entry(name).or_default();
            mine.forward += t.forward;
            mine.backward += t.backward;
            mine.count += t.count;
        }
    }

    /// The forward and backward time of every op.
    pub fn total(&self) -> Duration {
        self.ops.values().map(|t| t.forward + t.backward).sum()
    }
}

/// The clock of a profiled tape.
pub(crate) struct Profiler {
    last: Instant,
    profile: OpProfile,
}

impl Profiler {
    pub(crate) fn new() -> Self {
        Profiler {
            last: Instant::now(),
            profile: OpProfile::default(),
        }
    }

    /// Charges the time since the last record to the forward of op `name`, just recorded.
    pub(crate) fn recorded(&mut self, name: &'static str) {
        let now = Instant::now();
        let t = self.profile.ops.entry(name).or_default();
        t.forward += now - self.last;
        t.count += 1;
        self.last = now;
    }

    /// Charges `time` to the backward of op `name`.
    pub(crate) fn backward(&mut self, name: &'static str, time: Duration) {
        self.profile.ops.entry(name).or_default().backward += time;
    }

    /// The times so far.
    pub(crate) fn profile(&self) -> &OpProfile {
        &self.profile
    }
}
