//! Gradient clipping over a whole store: by global norm (torch `clip_grad_norm_`) and by value.

use crate::element::Element;
use crate::params::ParamStore;

/// The `norm_type`-norm of all gradients taken together (`f64::INFINITY` for the max norm).
///
/// Panics unless `norm_type > 0` (a programming error).
pub fn grad_norm<E: Element>(store: &ParamStore<E>, norm_type: f64) -> f64 {
    assert!(
        norm_type > 0.0,
        "grad_norm: norm_type must be positive or infinite, got {norm_type}"
    );
    let values = store
        .iter()
        .filter_map(|(_, p)| p.grad.as_ref())
        .flat_map(|g| g.data().iter())
        .map(|x| x.to_f64().unwrap_or(f64::NAN).abs());
    if norm_type == f64::INFINITY {
        values.fold(0.0, |m, x| if x > m || x.is_nan() { x } else { m })
    } else if norm_type == 2.0 {
        values.map(|x| x * x).sum::<f64>().sqrt()
    } else {
        values
            .map(|x| x.powf(norm_type))
            .sum::<f64>()
            .powf(1.0 / norm_type)
    }
}

/// Scales all gradients by `min(1, max_norm/(norm + 1e-6))` and returns the norm before clipping.
///
/// `norm_type` is 2.0 for PyTorch's default L2 norm, `f64::INFINITY` for the max norm.
pub fn clip_grad_norm<E: Element>(store: &mut ParamStore<E>, max_norm: f64, norm_type: f64) -> f64 {
    let norm = grad_norm(store, norm_type);
    let coef = (max_norm / (norm + 1e-6)).min(1.0);
    // min() drops a NaN coefficient; torch would spread the NaN, so do the same.
    let coef = if norm.is_nan() { f64::NAN } else { coef };
    if coef != 1.0 {
        let s = E::of(coef);
        for (_, p) in store.iter_mut() {
            if let Some(g) = p.grad.as_mut() {
                g.data_mut().iter_mut().for_each(|x| *x *= s);
            }
        }
    }
    norm
}

/// Clamps every gradient element to `[-clip, clip]` (torch `clip_grad_value_`).
pub fn clip_grad_value<E: Element>(store: &mut ParamStore<E>, clip: f64) {
    let (lo, hi) = (E::of(-clip), E::of(clip));
    for (_, p) in store.iter_mut() {
        if let Some(g) = p.grad.as_mut() {
            for x in g.data_mut() {
                // Comparisons rather than max/min, so a NaN stays NaN as in torch.
                if *x < lo {
                    *x = lo;
                } else if *x > hi {
                    *x = hi;
                }
            }
        }
    }
}
