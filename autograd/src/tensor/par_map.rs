//! Elementwise maps over large buffers, computed across the rayon threads. Each element is
//! computed alone, so the result has the same bits on any number of threads.

use crate::element::Element;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Maps over at least this many elements run across the rayon threads.
pub const PAR_MAP_MIN_LEN: usize = 1 << 18;

/// Whether a map over `n` elements is worth splitting across threads.
fn parallel(n: usize) -> bool {
    n >= PAR_MAP_MIN_LEN && rayon::current_num_threads() > 1
}

/// Elements per task of a parallel map.
const CHUNK: usize = PAR_MAP_MIN_LEN / 2;

/// A vector of `n` elements, `fill(start, out)` writing elements `start..start + out.len()`: the
/// whole range at once, or chunks across the rayon threads when `n` is large. Plain loops inside
/// `fill` inline the element function, which rayon's iterator adaptors do not always do.
fn build<E: Element>(
    n: usize,
    fill: impl Fn(usize, &mut [MaybeUninit<E>]) + Sync + Send,
) -> Vec<E> {
    let mut out = Vec::with_capacity(n);
    let spare = &mut out.spare_capacity_mut()[..n];
    if parallel(n) {
        spare
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(i, chunk)| fill(i * CHUNK, chunk));
    } else {
        fill(0, spare);
    }
    // SAFETY: `fill` wrote every one of the first `n` elements (each caller's loop covers its
    // whole `out`), and `n` is within the capacity.
    unsafe { out.set_len(n) };
    out
}

/// `f(a[i])` for every i.
pub fn map1<E: Element>(a: &[E], f: impl Fn(E) -> E + Sync + Send) -> Vec<E> {
    build(a.len(), |start, out| {
        for (o, &x) in out.iter_mut().zip(&a[start..]) {
            o.write(f(x));
        }
    })
}

/// `f(a[i], b[i], c[i])` for every i (all three of one length).
pub fn map3<E: Element>(
    a: &[E],
    b: &[E],
    c: &[E],
    f: impl Fn(E, E, E) -> E + Sync + Send,
) -> Vec<E> {
    assert!(
        a.len() == b.len() && a.len() == c.len(),
        "map3: lengths differ"
    );
    build(a.len(), |start, out| {
        let inputs = a[start..].iter().zip(&b[start..]).zip(&c[start..]);
        for (o, ((&x, &y), &z)) in out.iter_mut().zip(inputs) {
            o.write(f(x, y, z));
        }
    })
}

/// `f(a[i], row[i mod row.len()])` for every i: a row (e.g. a bias) combined with each row of `a`.
pub fn map_rows<E: Element>(a: &[E], row: &[E], f: impl Fn(E, E) -> E + Sync + Send) -> Vec<E> {
    let w = row.len();
    assert!(w > 0 && a.len().is_multiple_of(w), "map_rows: ragged rows");
    let each = |(out, x): (&mut [E], &[E])| {
        for ((o, &x), &y) in out.iter_mut().zip(x).zip(row) {
            *o = f(x, y);
        }
    };
    let mut out = super::zeroed(a.len());
    if parallel(a.len()) {
        let rows = (PAR_MAP_MIN_LEN / 2).div_ceil(w);
        out.par_chunks_mut(w)
            .zip(a.par_chunks(w))
            .with_min_len(rows)
            .for_each(each);
    } else {
        out.chunks_mut(w).zip(a.chunks(w)).for_each(each);
    }
    out
}
