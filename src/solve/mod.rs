//! The solver: forward pass, loss, every gradient, the convolution matrix and the SGD update
//! for one [`Problem`], exactly (f64) and as a worked solution shows them ([`shown`]), and the
//! work a student does ([`workload`]). Pure ndarray arithmetic: no randomness, no templates, no
//! I/O.

pub mod activation;
pub mod conv;
pub mod loss;
pub mod pool;
pub mod shown;
pub mod workload;

use ndarray::{Array1, Array2};
use serde::Serialize;

use crate::spec::rows::{serialize_list, serialize_rows};
use crate::spec::Problem;

/// The forward pass, in the exercise's notation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Forward {
    /// Z1 = pad(X) (*) F1 + B1: (out_h, out_w).
    #[serde(serialize_with = "serialize_rows")]
    pub z1: Array2<f64>,
    /// A1 = act(Z1): (out_h, out_w).
    #[serde(serialize_with = "serialize_rows")]
    pub a1: Array2<f64>,
    /// P1 = pool(A1): (p_h, p_w).
    #[serde(serialize_with = "serialize_rows")]
    pub p1: Array2<f64>,
    /// S = row-major flatten of P1: (p_h * p_w).
    #[serde(serialize_with = "serialize_list")]
    pub s: Array1<f64>,
    /// z2 = W2 . S + B2.
    pub z2: f64,
    /// y_hat = sigmoid(z2).
    pub y_hat: f64,
    /// C, the loss of the single sample.
    pub loss: f64,
}

/// Every gradient dC/dK, each with the shape of K, plus the convolution matrix. In JSON each
/// gradient is named after K alone (`backward.w2` is dC/dW2, `backward.x` is dC/dP0).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backward {
    /// dC/dz2, the output error.
    #[serde(rename = "z2")]
    pub d_z2: f64,
    /// dC/dW2: (n).
    #[serde(rename = "w2", serialize_with = "serialize_list")]
    pub d_w2: Array1<f64>,
    /// dC/dB2.
    #[serde(rename = "b2")]
    pub d_b2: f64,
    /// dC/dS: (n).
    #[serde(rename = "s", serialize_with = "serialize_list")]
    pub d_s: Array1<f64>,
    /// dC/dP1: (p_h, p_w).
    #[serde(rename = "p1", serialize_with = "serialize_rows")]
    pub d_p1: Array2<f64>,
    /// dC/dA1: (out_h, out_w).
    #[serde(rename = "a1", serialize_with = "serialize_rows")]
    pub d_a1: Array2<f64>,
    /// dC/dZ1: (out_h, out_w).
    #[serde(rename = "z1", serialize_with = "serialize_rows")]
    pub d_z1: Array2<f64>,
    /// dC/dF1: (kh, kw).
    #[serde(rename = "f1", serialize_with = "serialize_rows")]
    pub d_f1: Array2<f64>,
    /// dC/dB1.
    #[serde(rename = "b1")]
    pub d_b1: f64,
    /// dC/dP0 over the unpadded input: (h, w).
    #[serde(rename = "x", serialize_with = "serialize_rows")]
    pub d_p0: Array2<f64>,
    /// M with vec(Z1) = M vec(X) + B1: (out_h * out_w, h * w). Its transpose is the
    /// "transposed convolution matrix".
    #[serde(serialize_with = "serialize_rows")]
    pub conv_matrix: Array2<f64>,
}

/// Parameters after one SGD step, every gradient taken at the original parameters.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Update {
    #[serde(serialize_with = "serialize_list")]
    /// W2 - lr dC/dW2: (n).
    pub w2: Array1<f64>,
    /// B2 - lr dC/dB2.
    pub b2: f64,
    #[serde(serialize_with = "serialize_rows")]
    /// F1 - lr dC/dF1: (kh, kw).
    pub f1: Array2<f64>,
    /// B1 - lr dC/dB1.
    pub b1: f64,
}

/// A problem with its complete solution: the `solve --format json` contract.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Solution {
    /// The exercise.
    pub problem: Problem,
    /// The forward pass.
    pub forward: Forward,
    /// Every gradient.
    pub backward: Backward,
    /// The parameters after the step.
    pub update: Update,
}

impl Solution {
    /// The `solve --format json` contract: pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(self).expect("invariant: a solution serialises to JSON");
        text.push('\n');
        text
    }
}

/// Solves a validated problem exactly (in f64).
pub fn solve(problem: &Problem) -> Solution {
    let forward = forward(problem);
    let backward = backward(problem, &forward);
    let update = update(problem, &backward);
    Solution {
        problem: problem.clone(),
        forward,
        backward,
        update,
    }
}

/// Z1 before the activation. `x`: (h, w), `f1`: (kh, kw) -> (out_h, out_w).
pub fn conv_forward(problem: &Problem) -> Array2<f64> {
    let padded = conv::pad(&problem.x, problem.conv.padding);
    conv::cross_correlate(&padded, &problem.f1, problem.conv.stride) + problem.b1
}

/// The forward pass through conv, activation, pool, flatten, dense and sigmoid, and the loss.
pub fn forward(problem: &Problem) -> Forward {
    let z1 = conv_forward(problem);
    let a1 = activation::apply(problem.activation, &z1);
    let p1 = pool::forward(&a1, problem.pool);
    let s = Array1::from_iter(p1.iter().copied());
    let z2 = problem.w2.dot(&s) + problem.b2;
    Forward {
        y_hat: activation::sigmoid(z2),
        loss: loss::value(problem.loss, z2, problem.label()),
        z1,
        a1,
        p1,
        s,
        z2,
    }
}

/// Back-propagation of the loss to every parameter and to the input P0.
pub fn backward(problem: &Problem, fwd: &Forward) -> Backward {
    let d_z2 = loss::d_z2(problem.loss, fwd.z2, problem.label());
    let d_w2 = &fwd.s * d_z2;
    let d_s = &problem.w2 * d_z2;
    let d_p1 = d_s
        .to_shape(fwd.p1.dim())
        .expect("invariant: S has as many entries as P1")
        .to_owned();
    let d_a1 = pool::backward(&fwd.a1, &d_p1, problem.pool);
    let d_z1 = &d_a1 * &activation::derivative(problem.activation, &fwd.z1);
    let padded = conv::pad(&problem.x, problem.conv.padding);
    let d_f1 = d_filter(&padded, &d_z1, problem.f1.dim(), problem.conv.stride);
    let conv_matrix = conv::conv_matrix(
        problem.x.dim(),
        &problem.f1,
        problem.conv.stride,
        problem.conv.padding,
    );
    let d_z1_vec = Array1::from_iter(d_z1.iter().copied());
    let d_p0 = conv_matrix
        .t()
        .dot(&d_z1_vec)
        .into_shape_with_order(problem.x.dim())
        .expect("invariant: M has h * w columns");
    Backward {
        d_z2,
        d_w2,
        d_b2: d_z2,
        d_s,
        d_p1,
        d_a1,
        d_b1: d_z1.sum(),
        d_z1,
        d_f1,
        d_p0,
        conv_matrix,
    }
}

/// `dC/dF1[a][b] = sum_ij dC/dZ1[i][j] * Xpad[i*s + a][j*s + b]`: the padded input
/// cross-correlated with dC/dZ1 (dilated by the stride).
/// `padded`: (H, W), `d_z1`: (out_h, out_w) -> `filter` shape.
pub fn d_filter(
    padded: &Array2<f64>,
    d_z1: &Array2<f64>,
    filter: (usize, usize),
    stride: usize,
) -> Array2<f64> {
    let dilated = conv::dilate(d_z1, stride);
    let (dh, dw) = dilated.dim();
    // Only the rows/columns the forward pass read take part (the output size was floored).
    let used = padded.slice(ndarray::s![..dh + filter.0 - 1, ..dw + filter.1 - 1]);
    conv::cross_correlate(&used.to_owned(), &dilated, 1)
}

/// One SGD step: parameter - lr * gradient.
pub fn update(problem: &Problem, grad: &Backward) -> Update {
    let lr = problem.lr;
    Update {
        w2: &problem.w2 - &(&grad.d_w2 * lr),
        b2: problem.b2 - lr * grad.d_b2,
        f1: &problem.f1 - &(&grad.d_f1 * lr),
        b1: problem.b1 - lr * grad.d_b1,
    }
}
