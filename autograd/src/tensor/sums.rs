//! Sums of many elements in a fixed order that vectorizes: several running partial sums instead of
//! one serial chain, combined the same way on every machine and any number of threads.

use crate::element::Element;
use crate::simd::vectorized;
use rayon::prelude::*;

/// Running partial sums of [`sum`] (two AVX-512 registers of f32).
const LANES: usize = 32;
/// Rows per block of [`column_sums`]: blocks are summed alone (across threads when there are
/// several), then added up in order, so the bits do not depend on the thread count.
const ROWS_PER_BLOCK: usize = 256;
/// Column sums over at least this many elements use the rayon threads.
const PAR_SUM_MIN_LEN: usize = 1 << 19;

/// The sum of all of `xs`: element i goes to partial sum i mod 32, the partial sums are folded in
/// halves, then the tail is added.
pub fn sum<E: Element>(xs: &[E]) -> E {
    vectorized(
        #[inline(always)]
        || {
            let mut acc = [E::zero(); LANES];
            let mut chunks = xs.chunks_exact(LANES);
            for chunk in &mut chunks {
                for (a, &x) in acc.iter_mut().zip(chunk) {
                    *a += x;
                }
            }
            let mut width = LANES;
            while width > 1 {
                width /= 2;
                for i in 0..width {
                    acc[i] += acc[i + width];
                }
            }
            chunks.remainder().iter().fold(acc[0], |s, &x| s + x)
        },
    )
}

/// The sum of the rows of `data` (rows of `width`): one value per column.
pub fn column_sums<E: Element>(data: &[E], width: usize) -> Vec<E> {
    assert!(
        width > 0 && data.len().is_multiple_of(width),
        "column_sums: ragged rows"
    );
    let block = ROWS_PER_BLOCK * width;
    let add_rows = |rows: &[E]| {
        let mut acc = vec![E::zero(); width];
        add_rows_into(&mut acc, rows);
        acc
    };
    if data.len() <= block {
        return add_rows(data);
    }
    let partials: Vec<Vec<E>> = if data.len() >= PAR_SUM_MIN_LEN && rayon::current_num_threads() > 1
    {
        data.par_chunks(block).map(add_rows).collect()
    } else {
        data.chunks(block).map(add_rows).collect()
    };
    let mut total = vec![E::zero(); width];
    for p in &partials {
        add_rows_into(&mut total, p);
    }
    total
}

/// `acc += each row of rows` (rows as wide as `acc`), in row order.
fn add_rows_into<E: Element>(acc: &mut [E], rows: &[E]) {
    vectorized(
        #[inline(always)]
        || {
            for row in rows.chunks_exact(acc.len()) {
                for (a, &x) in acc.iter_mut().zip(row) {
                    *a += x;
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_matches_a_plain_sum_of_integers_at_every_length() {
        for n in [0, 1, 31, 32, 33, 100, 1000, 4099] {
            let xs: Vec<f64> = (0..n).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
            let want: f64 = xs.iter().sum();
            assert_eq!(sum(&xs), want, "n = {n}");
        }
    }

    #[test]
    fn column_sums_match_plain_sums_serial_and_parallel() {
        for (rows, width) in [(1, 3), (300, 5), (257, 16), (9000, 17)] {
            let data: Vec<f64> = (0..rows * width).map(|i| ((i * 13) % 17) as f64).collect();
            let mut want = vec![0.0; width];
            for (i, &x) in data.iter().enumerate() {
                want[i % width] += x;
            }
            assert_eq!(column_sums(&data, width), want, "{rows}x{width}");
        }
    }
}
