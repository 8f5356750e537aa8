//! Single-channel convolution in the deep-learning sense (cross-correlation, no kernel flip),
//! its explicit matrix form, and the two equivalent ways back to the input gradient.
//! Pure functions of ndarray values.

use ndarray::{s, Array2};

/// Surrounds `x` with `p` rows/columns of zeros on every side. `x`: (h, w) -> (h + 2p, w + 2p).
pub fn pad(x: &Array2<f64>, p: usize) -> Array2<f64> {
    let (h, w) = x.dim();
    let mut out = Array2::zeros((h + 2 * p, w + 2 * p));
    out.slice_mut(s![p..p + h, p..p + w]).assign(x);
    out
}

/// Output size of a window of `k` sliding over `n` at `stride`, floored.
pub fn output_len(n: usize, k: usize, stride: usize) -> usize {
    (n - k) / stride + 1
}

/// Cross-correlation at `stride`: `out[i][j] = sum_ab x[i*stride + a][j*stride + b] * f[a][b]`.
/// `x`: (h, w), `f`: (kh, kw) -> ((h - kh)/stride + 1, (w - kw)/stride + 1). Requires kh <= h, kw <= w.
pub fn cross_correlate(x: &Array2<f64>, f: &Array2<f64>, stride: usize) -> Array2<f64> {
    let (h, w) = x.dim();
    let (kh, kw) = f.dim();
    let out_dim = (output_len(h, kh, stride), output_len(w, kw, stride));
    // Plain index loops: exercise-sized matrices are tiny, and allocating a product array per
    // output entry dominated the generator's time.
    Array2::from_shape_fn(out_dim, |(i, j)| {
        let mut sum = 0.0;
        for a in 0..kh {
            for b in 0..kw {
                sum += x[[i * stride + a, j * stride + b]] * f[[a, b]];
            }
        }
        sum
    })
}

/// The matrix M with vec(cross_correlate(pad(x, padding), f, stride)) = M vec(x), row-major vec,
/// over the *unpadded* input: padding zeros contribute nothing, so their columns are dropped.
/// `f`: (kh, kw), `input`: (h, w) -> (out_h * out_w, h * w).
pub fn conv_matrix(
    input: (usize, usize),
    f: &Array2<f64>,
    stride: usize,
    padding: usize,
) -> Array2<f64> {
    let (h, w) = input;
    let (kh, kw) = f.dim();
    let out_h = output_len(h + 2 * padding, kh, stride);
    let out_w = output_len(w + 2 * padding, kw, stride);
    let mut m = Array2::zeros((out_h * out_w, h * w));
    for i in 0..out_h {
        for j in 0..out_w {
            for ((a, b), &weight) in f.indexed_iter() {
                // Position in the unpadded input; outside it means the tap sits on a padding zero.
                let r = (i * stride + a).checked_sub(padding).filter(|&r| r < h);
                let c = (j * stride + b).checked_sub(padding).filter(|&c| c < w);
                if let (Some(r), Some(c)) = (r, c) {
                    m[[i * out_w + j, r * w + c]] = weight;
                }
            }
        }
    }
    m
}

/// Rotates a matrix by 180 degrees (flips both axes). `f`: (kh, kw) -> (kh, kw).
pub fn rotate_180(f: &Array2<f64>) -> Array2<f64> {
    f.slice(s![..;-1, ..;-1]).to_owned()
}

/// Inserts `stride - 1` zeros between neighbouring entries, undoing a strided subsampling.
/// `d`: (h, w) -> ((h - 1) * stride + 1, (w - 1) * stride + 1).
pub fn dilate(d: &Array2<f64>, stride: usize) -> Array2<f64> {
    let (h, w) = d.dim();
    let mut out = Array2::zeros(((h - 1) * stride + 1, (w - 1) * stride + 1));
    out.slice_mut(s![..;stride, ..;stride]).assign(d);
    out
}

/// dC/dZ1 prepared for the full convolution: dilated by the stride, then framed by kh - 1 rows
/// and kw - 1 columns of zeros on every side so that every filter tap meets every gradient entry.
/// `d_z1`: (out_h, out_w), `f`: (kh, kw) -> ((out_h - 1) * stride + 2kh - 1, (out_w - 1) * stride + 2kw - 1).
pub fn full_conv_frame(d_z1: &Array2<f64>, f: (usize, usize), stride: usize) -> Array2<f64> {
    let (kh, kw) = f;
    let dilated = dilate(d_z1, stride);
    let (dh, dw) = dilated.dim();
    let mut framed = Array2::zeros((dh + 2 * (kh - 1), dw + 2 * (kw - 1)));
    framed
        .slice_mut(s![kh - 1..kh - 1 + dh, kw - 1..kw - 1 + dw])
        .assign(&dilated);
    framed
}

/// dC/d(padded X): the framed dC/dZ1 cross-correlated with F1 rotated by 180 degrees, placed in
/// the top-left of the padded input. Rows/columns that the forward pass never read (floored
/// output size) get zero gradient.
/// `d_z1`: (out_h, out_w), `f`: (kh, kw), `input`: (h, w) -> (h + 2 padding, w + 2 padding).
pub fn input_gradient_padded(
    d_z1: &Array2<f64>,
    f: &Array2<f64>,
    stride: usize,
    padding: usize,
    input: (usize, usize),
) -> Array2<f64> {
    let framed = full_conv_frame(d_z1, f.dim(), stride);
    let touched = cross_correlate(&framed, &rotate_180(f), 1);
    let (h, w) = input;
    let mut d_padded = Array2::zeros((h + 2 * padding, w + 2 * padding));
    let (th, tw) = touched.dim();
    d_padded.slice_mut(s![..th, ..tw]).assign(&touched);
    d_padded
}

/// dC/dX as the full convolution of the dilated, zero-padded dC/dZ1 with F1 rotated by 180
/// degrees ([`input_gradient_padded`]), cropped back to the unpadded input.
/// `d_z1`: (out_h, out_w), `f`: (kh, kw), `input`: (h, w) -> (h, w).
pub fn input_gradient_full_conv(
    d_z1: &Array2<f64>,
    f: &Array2<f64>,
    stride: usize,
    padding: usize,
    input: (usize, usize),
) -> Array2<f64> {
    let (h, w) = input;
    input_gradient_padded(d_z1, f, stride, padding, input)
        .slice(s![padding..padding + h, padding..padding + w])
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cross_correlation_does_not_flip_the_kernel() {
        // The original's convention: Z11 = 2*0.5 + 0*1 + 0*0 + 4*(-0.5) = -1 before the bias.
        let x = array![[2.0, 0.0], [0.0, 4.0]];
        let f = array![[0.5, 1.0], [0.0, -0.5]];
        assert_eq!(cross_correlate(&x, &f, 1), array![[-1.0]]);
    }

    #[test]
    fn stride_floors_the_output_size() {
        let x = Array2::<f64>::ones((5, 5));
        let f = Array2::<f64>::ones((2, 2));
        assert_eq!(cross_correlate(&x, &f, 2).dim(), (2, 2));
    }

    #[test]
    fn padding_surrounds_with_zeros() {
        let p = pad(&array![[1.0]], 1);
        assert_eq!(p, array![[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]);
    }

    #[test]
    fn dilate_inserts_stride_minus_one_zeros() {
        let d = dilate(&array![[1.0, 2.0], [3.0, 4.0]], 2);
        assert_eq!(d, array![[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [3.0, 0.0, 4.0]]);
    }

    #[test]
    fn rotate_180_flips_both_axes() {
        assert_eq!(
            rotate_180(&array![[1.0, 2.0], [3.0, 4.0]]),
            array![[4.0, 3.0], [2.0, 1.0]]
        );
    }
}
