//! Elementwise maps over large buffers, computed across the rayon threads. Each element is
//! computed alone, so the result has the same bits on any number of threads.

use crate::element::Element;
use rayon::prelude::*;

/// Maps over at least this many elements run across the rayon threads.
pub const PAR_MAP_MIN_LEN: usize = 1 << 16;

/// Whether a map over `n` elements is worth splitting across threads.
fn parallel(n: usize) -> bool {
    n >= PAR_MAP_MIN_LEN && rayon::current_num_threads() > 1
}

/// `f(a[i])` for every i.
pub fn map1<E: Element>(a: &[E], f: impl Fn(E) -> E + Sync + Send) -> Vec<E> {
    if !parallel(a.len()) {
        return a.iter().map(|&x| f(x)).collect();
    }
    let mut out = Vec::with_capacity(a.len());
    a.par_iter()
        .with_min_len(PAR_MAP_MIN_LEN / 2)
        .map(|&x| f(x))
        .collect_into_vec(&mut out);
    out
}

/// `f(a[i], b[i])` for every i (`a` and `b` of one length).
pub fn map2<E: Element>(a: &[E], b: &[E], f: impl Fn(E, E) -> E + Sync + Send) -> Vec<E> {
    assert_eq!(a.len(), b.len(), "map2: lengths differ");
    if !parallel(a.len()) {
        return a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect();
    }
    let mut out = Vec::with_capacity(a.len());
    a.par_iter()
        .zip(b)
        .with_min_len(PAR_MAP_MIN_LEN / 2)
        .map(|(&x, &y)| f(x, y))
        .collect_into_vec(&mut out);
    out
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
    if !parallel(a.len()) {
        return a
            .iter()
            .zip(b)
            .zip(c)
            .map(|((&x, &y), &z)| f(x, y, z))
            .collect();
    }
    let mut out = Vec::with_capacity(a.len());
    a.par_iter()
        .zip(b)
        .zip(c)
        .with_min_len(PAR_MAP_MIN_LEN / 2)
        .map(|((&x, &y), &z)| f(x, y, z))
        .collect_into_vec(&mut out);
    out
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
