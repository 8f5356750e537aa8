//! The convolution's structure as the worked solution lays it out: the explicit matrix M with
//! vec(Z1) = M vec(X) + B1, and the padded, rotated, dilated and framed forms of its operands.
//! The convolution's arithmetic is a step of the chain (`chain`); these are layouts, generic
//! over the entry type so that shown (decimal) values are laid out like exact ones.

use ndarray::{s, Array2, Array4, ArrayView2};

/// Surrounds `x` with `p` rows/columns of `zero` on every side. `x`: (h, w) -> (h + 2p, w + 2p).
pub fn pad<T: Clone>(x: ArrayView2<'_, T>, p: usize, zero: T) -> Array2<T> {
    let (h, w) = x.dim();
    let mut out = Array2::from_elem((h + 2 * p, w + 2 * p), zero);
    out.slice_mut(s![p..p + h, p..p + w]).assign(&x);
    out
}

/// Output size of a window of `k` sliding over `n` at `stride`, floored.
pub fn output_len(n: usize, k: usize, stride: usize) -> usize {
    (n - k) / stride + 1
}

/// The matrix M with vec(Z1 - B1) = M vec(X) for a filter bank `f` over an input of `input`
/// per channel: row-major vecs, the input channel by channel and the output map by map, over
/// the *unpadded* input (padding zeros contribute nothing, so their columns are dropped).
/// `f`: (c_out, c_in, kh, kw), `input`: (h, w) -> (c_out * out_h * out_w, c_in * h * w).
pub fn conv_matrix(
    input: (usize, usize),
    f: &Array4<f64>,
    stride: usize,
    padding: usize,
) -> Array2<f64> {
    let (h, w) = input;
    let (c_out, c_in, kh, kw) = f.dim();
    let out_h = output_len(h + 2 * padding, kh, stride);
    let out_w = output_len(w + 2 * padding, kw, stride);
    let mut m = Array2::zeros((c_out * out_h * out_w, c_in * h * w));
    for ((o, c, a, b), &weight) in f.indexed_iter() {
        for i in 0..out_h {
            for j in 0..out_w {
                // Position in the unpadded input; outside it means the tap sits on a padding zero.
                let r = (i * stride + a).checked_sub(padding).filter(|&r| r < h);
                let col = (j * stride + b).checked_sub(padding).filter(|&col| col < w);
                if let (Some(r), Some(col)) = (r, col) {
                    m[[(o * out_h + i) * out_w + j, (c * h + r) * w + col]] = weight;
                }
            }
        }
    }
    m
}

/// Rotates a matrix by 180 degrees (flips both axes). `f`: (kh, kw) -> (kh, kw).
pub fn rotate_180<T: Clone>(f: ArrayView2<'_, T>) -> Array2<T> {
    f.slice(s![..;-1, ..;-1]).to_owned()
}

/// Inserts `stride - 1` zeros between neighbouring entries, undoing a strided subsampling.
/// `d`: (h, w) -> ((h - 1) * stride + 1, (w - 1) * stride + 1).
pub fn dilate<T: Clone>(d: ArrayView2<'_, T>, stride: usize, zero: T) -> Array2<T> {
    let (h, w) = d.dim();
    let mut out = Array2::from_elem(((h - 1) * stride + 1, (w - 1) * stride + 1), zero);
    out.slice_mut(s![..;stride, ..;stride]).assign(&d);
    out
}

/// dC/dZ1 prepared for the full convolution: dilated by the stride, then framed by kh - 1 rows
/// and kw - 1 columns of zeros on every side so that every filter tap meets every gradient entry.
/// `d_z1`: (out_h, out_w), `f`: (kh, kw) -> ((out_h - 1) * stride + 2kh - 1, (out_w - 1) * stride + 2kw - 1).
pub fn full_conv_frame<T: Clone>(
    d_z1: ArrayView2<'_, T>,
    f: (usize, usize),
    stride: usize,
    zero: T,
) -> Array2<T> {
    let (kh, kw) = f;
    let dilated = dilate(d_z1, stride, zero.clone());
    let (dh, dw) = dilated.dim();
    let mut framed = Array2::from_elem((dh + 2 * (kh - 1), dw + 2 * (kw - 1)), zero);
    framed
        .slice_mut(s![kh - 1..kh - 1 + dh, kw - 1..kw - 1 + dw])
        .assign(&dilated);
    framed
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn padding_surrounds_with_zeros() {
        let p = pad(array![[1.0]].view(), 1, 0.0);
        assert_eq!(p, array![[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]);
    }

    #[test]
    fn dilate_inserts_stride_minus_one_zeros() {
        let d = dilate(array![[1.0, 2.0], [3.0, 4.0]].view(), 2, 0.0);
        assert_eq!(d, array![[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [3.0, 0.0, 4.0]]);
    }

    #[test]
    fn rotate_180_flips_both_axes() {
        assert_eq!(
            rotate_180(array![[1.0, 2.0], [3.0, 4.0]].view()),
            array![[4.0, 3.0], [2.0, 1.0]]
        );
    }

    #[test]
    fn the_conv_matrix_holds_each_window_s_taps() {
        // Task 3.1's first window reads X[0][0], X[0][1], X[1][0], X[1][1].
        let f = array![[[[0.5, 1.0], [0.0, -0.5]]]];
        let m = conv_matrix((5, 5), &f, 1, 0);
        assert_eq!(m.dim(), (16, 25));
        assert_eq!(
            (m[[0, 0]], m[[0, 1]], m[[0, 5]], m[[0, 6]]),
            (0.5, 1.0, 0.0, -0.5)
        );
        assert_eq!(m.row(0).iter().filter(|&&v| v != 0.0).count(), 3);
    }

    #[test]
    fn the_conv_matrix_stacks_maps_in_rows_and_channels_in_columns() {
        // Two 1x1 filters over two channels of a 1x2 input: Z1[o][0][j] = f[o][0] X0[j] +
        // f[o][1] X1[j].
        let f = array![[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]];
        let m = conv_matrix((1, 2), &f, 1, 0);
        assert_eq!(
            m,
            array![
                [1.0, 0.0, 2.0, 0.0],
                [0.0, 1.0, 0.0, 2.0],
                [3.0, 0.0, 4.0, 0.0],
                [0.0, 3.0, 0.0, 4.0]
            ]
        );
    }
}
