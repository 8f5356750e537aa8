//! Max and average pooling without padding, and their backward routing. Overlapping windows
//! (stride < size) are allowed: their gradients add up. Max-pool ties send the gradient to the
//! first maximum in row-major order.

use ndarray::{s, Array2, ArrayView2};

use super::conv::output_len;
use crate::spec::{Pool, PoolKind};

/// Output size of pooling a `map` of shape (h, w). Requires size <= h, w.
pub fn output_dim(map: (usize, usize), pool: Pool) -> (usize, usize) {
    (
        output_len(map.0, pool.size, pool.stride),
        output_len(map.1, pool.size, pool.stride),
    )
}

/// Top-left corner in the input of output window (i, j).
pub fn window_origin(i: usize, j: usize, pool: Pool) -> (usize, usize) {
    (i * pool.stride, j * pool.stride)
}

fn window(a: &Array2<f64>, i: usize, j: usize, pool: Pool) -> ArrayView2<'_, f64> {
    let (r, c) = window_origin(i, j, pool);
    a.slice(s![r..r + pool.size, c..c + pool.size])
}

/// Position in `a` of the first maximum (row-major) of output window (i, j).
pub fn argmax(a: &Array2<f64>, i: usize, j: usize, pool: Pool) -> (usize, usize) {
    let (r0, c0) = window_origin(i, j, pool);
    let w = window(a, i, j, pool);
    let mut best = (0, 0);
    for ((r, c), &v) in w.indexed_iter() {
        // Strictly greater: a tie keeps the earlier (row-major) position.
        if v > w[best] {
            best = (r, c);
        }
    }
    (r0 + best.0, c0 + best.1)
}

/// P = pool(A). `a`: (h, w) -> ((h - k)/t + 1, (w - k)/t + 1).
pub fn forward(a: &Array2<f64>, pool: Pool) -> Array2<f64> {
    Array2::from_shape_fn(output_dim(a.dim(), pool), |(i, j)| match pool.kind {
        PoolKind::Max => a[argmax(a, i, j, pool)],
        PoolKind::Avg => window(a, i, j, pool)
            .mean()
            .expect("invariant: window is non-empty"),
    })
}

/// dC/dA from dC/dP: max sends each entry to its own window's arg-max, avg spreads it evenly.
/// `a`: (h, w), `d_p`: pooled shape -> (h, w).
pub fn backward(a: &Array2<f64>, d_p: &Array2<f64>, pool: Pool) -> Array2<f64> {
    let mut d_a = Array2::zeros(a.dim());
    let share = 1.0 / (pool.size * pool.size) as f64;
    for ((i, j), &g) in d_p.indexed_iter() {
        match pool.kind {
            PoolKind::Max => d_a[argmax(a, i, j, pool)] += g,
            PoolKind::Avg => {
                let (r, c) = window_origin(i, j, pool);
                d_a.slice_mut(s![r..r + pool.size, c..c + pool.size])
                    .mapv_inplace(|v| v + g * share);
            }
        }
    }
    d_a
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn max_pool(size: usize, stride: usize) -> Pool {
        Pool {
            kind: PoolKind::Max,
            size,
            stride,
        }
    }

    #[test]
    fn ties_go_to_first_maximum_in_row_major_order() {
        let a = array![[1.0, 3.0], [3.0, 0.0]];
        assert_eq!(argmax(&a, 0, 0, max_pool(2, 2)), (0, 1));
    }

    #[test]
    fn each_gradient_goes_to_its_own_windows_maximum() {
        // Guards the original's error 5: the bottom windows' gradients were swapped.
        let a = array![
            [0.0, 0.0, 1.0, 0.0],
            [2.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 3.0],
            [3.0, 1.0, 0.0, 2.0]
        ];
        let d_p = array![[10.0, 20.0], [30.0, 40.0]];
        let d_a = backward(&a, &d_p, max_pool(2, 2));
        assert_eq!(d_a[[1, 0]], 10.0);
        assert_eq!(d_a[[0, 2]], 20.0);
        assert_eq!(d_a[[3, 0]], 30.0);
        assert_eq!(d_a[[2, 3]], 40.0);
        assert_eq!(d_a.sum(), 100.0);
    }

    #[test]
    fn overlapping_windows_add_their_gradients() {
        let a = array![[0.0, 5.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]];
        let d_a = backward(&a, &array![[1.0, 2.0], [3.0, 4.0]], max_pool(2, 1));
        assert_eq!(d_a[[0, 1]], 3.0);
    }

    #[test]
    fn average_pool_spreads_evenly() {
        let pool = Pool {
            kind: PoolKind::Avg,
            size: 2,
            stride: 2,
        };
        let a = array![[1.0, 2.0], [3.0, 6.0]];
        assert_eq!(forward(&a, pool), array![[3.0]]);
        assert_eq!(
            backward(&a, &array![[4.0]], pool),
            array![[1.0, 1.0], [1.0, 1.0]]
        );
    }
}
