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

/// Runs `f` on a rayon pool of two threads (the machine's cores; Miri sees one CPU, so the global
/// pool would have one thread and skip the parallel paths).
#[cfg(test)]
pub(crate) fn on_two_threads(f: impl FnOnce() + Send) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("a pool of 2 threads");
    pool.install(f);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n).map(|i| ((i * 7 + seed) % 13) as f32 - 6.0).collect()
    }

    /// map1, map3 and map_rows against plain iterator maps.
    fn check(n: usize, w: usize) {
        let (a, b, c) = (values(n, 0), values(n, 1), values(n, 2));
        let want: Vec<f32> = a.iter().map(|&x| x * 2.0 + 1.0).collect();
        assert_eq!(map1(&a, |x| x * 2.0 + 1.0), want, "map1 of {n}");
        let want: Vec<f32> = (0..n).map(|i| a[i].mul_add(b[i], c[i])).collect();
        assert_eq!(
            map3(&a, &b, &c, |x, y, z| x.mul_add(y, z)),
            want,
            "map3 of {n}"
        );
        let row = values(w, 3);
        let want: Vec<f32> = (0..n).map(|i| a[i] - row[i % w]).collect();
        assert_eq!(
            map_rows(&a, &row, |x, y| x - y),
            want,
            "map_rows of {n} by {w}"
        );
    }

    #[test]
    fn miri_small_maps_write_every_element() {
        for (n, w) in [(0, 1), (1, 1), (6, 3), (17, 17), (35, 5)] {
            check(n, w);
        }
        // Elements that own nothing but are not Copy-trivial to produce: every one is written
        // before `set_len`, including the first and the last.
        let a = [1.0f64, f64::NAN, -0.0];
        let out = map1(&a, |x| if x.is_nan() { 9.0 } else { x });
        assert_eq!(out.len(), 3);
        assert_eq!(
            (out[0], out[1], out[2].to_bits()),
            (1.0, 9.0, (-0.0f64).to_bits())
        );
    }

    // Under Miri the 2.6e5 elements a split needs take many minutes, so this runs under `cargo
    // test` only; the unsafe `set_len` after a split relies on the chunks of `par_chunks_mut`
    // covering the buffer, checked here natively, and after one `fill` under Miri above.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn large_maps_split_across_threads_and_fill_every_chunk() {
        // Over PAR_MAP_MIN_LEN on two threads: chunks of CHUNK, the last one partial (n a
        // multiple of the row width 7, as map_rows needs).
        let n = (PAR_MAP_MIN_LEN / 7 + 1) * 7;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a pool of 2 threads");
        pool.install(|| {
            assert!(parallel(n) && !n.is_multiple_of(CHUNK));
            check(n, 7);
        });
    }
}
