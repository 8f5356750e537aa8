//! The rounding policy: which number the worked solution *shows* for every step. Owns the two
//! modes and the [`Displayed`] values they produce; must not format text (that is `number` and
//! the templates) and must not change the solver's exact values (the JSON output stays exact).
//!
//! - [`Rounding::Exact`]: every shown number is the exact value rounded to `decimals`.
//! - [`Rounding::Stepwise`]: every shown result is computed from the *shown* numbers of the
//!   steps before it, then rounded, as a student with a calculator does it. Each line of the
//!   worked solution can then be checked from the lines above it. Sub-expressions a line does
//!   not show (`lr * dC/dW2` inside an update) are not rounded on their own.
//!
//! The exercise's inputs (X, F1, B1, W2, B2, y, lr) are shown in full and used exactly in both
//! modes. Two places keep the exact structure in stepwise mode, because a tie created by rounding
//! would otherwise change *which* entry a gradient goes to: max-pool routing uses the exact
//! arg-max (it is still a maximum of the shown window, since rounding keeps order), and the loss
//! falls back to the exact value if the shown y_hat is exactly 0 or 1 and its logarithm is
//! infinite.

use ndarray::{s, Array1, Array2};
use serde::{Deserialize, Serialize};

use super::{activation, conv, pool, Solution};
use crate::number::round_to;
use crate::spec::{Activation, Loss, Problem};

/// How shown numbers are derived; see the module docs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Every shown number is the exact value, rounded.
    Exact,
    /// Every step is computed from the previous steps' shown (rounded) numbers, then rounded.
    #[default]
    Stepwise,
}

/// Every computed number the worked solution shows, already rounded. Shapes as in the solver.
#[derive(Clone, Debug, PartialEq)]
pub struct Displayed {
    /// Z1: (out_h, out_w).
    pub z1: Array2<f64>,
    /// A1: (out_h, out_w).
    pub a1: Array2<f64>,
    /// P1: (p_h, p_w).
    pub p1: Array2<f64>,
    /// S: (p_h * p_w).
    pub s: Array1<f64>,
    /// z2.
    pub z2: f64,
    /// y_hat.
    pub y_hat: f64,
    /// The loss.
    pub loss: f64,
    /// dC/dz2.
    pub d_z2: f64,
    /// dC/dW2: (n).
    pub d_w2: Array1<f64>,
    /// dC/dB2.
    pub d_b2: f64,
    /// dC/dS: (n).
    pub d_s: Array1<f64>,
    /// dC/dP1: (p_h, p_w).
    pub d_p1: Array2<f64>,
    /// dC/dA1: (out_h, out_w).
    pub d_a1: Array2<f64>,
    /// act'(Z1), the activation's derivative entrywise (the ReLU mask): (out_h, out_w).
    pub act_grad: Array2<f64>,
    /// dC/dZ1: (out_h, out_w).
    pub d_z1: Array2<f64>,
    /// dC/dF1: (kh, kw).
    pub d_f1: Array2<f64>,
    /// dC/dB1.
    pub d_b1: f64,
    /// dC/d(padded X): (h + 2p, w + 2p); the full convolution's result before cropping.
    pub d_p0_padded: Array2<f64>,
    /// dC/dP0: (h, w).
    pub d_p0: Array2<f64>,
    /// Parameters after the SGD step.
    pub w2_new: Array1<f64>,
    /// B2 after the step.
    pub b2_new: f64,
    /// F1 after the step: (kh, kw).
    pub f1_new: Array2<f64>,
    /// B1 after the step.
    pub b1_new: f64,
}

/// The shown numbers of `solution` under `mode`, rounded to `decimals`.
pub fn displayed(
    problem: &Problem,
    solution: &Solution,
    decimals: usize,
    mode: Rounding,
) -> Displayed {
    match mode {
        Rounding::Exact => exact(problem, solution, decimals),
        Rounding::Stepwise => stepwise(problem, solution, decimals),
    }
}

fn round_matrix(m: &Array2<f64>, decimals: usize) -> Array2<f64> {
    m.mapv(|v| round_to(v, decimals))
}

fn round_vector(v: &Array1<f64>, decimals: usize) -> Array1<f64> {
    v.mapv(|x| round_to(x, decimals))
}

/// The padded-input gradient cropped to the input: (h + 2p, w + 2p) -> (h, w).
pub fn crop_padding(d_padded: &Array2<f64>, padding: usize) -> Array2<f64> {
    let (ph, pw) = d_padded.dim();
    d_padded
        .slice(s![padding..ph - padding, padding..pw - padding])
        .to_owned()
}

fn input_gradient_padded(problem: &Problem, d_z1: &Array2<f64>) -> Array2<f64> {
    conv::input_gradient_padded(
        d_z1,
        &problem.f1,
        problem.conv.stride,
        problem.conv.padding,
        problem.x.dim(),
    )
}

fn exact(problem: &Problem, sol: &Solution, decimals: usize) -> Displayed {
    let (fwd, grad, upd) = (&sol.forward, &sol.backward, &sol.update);
    let r = |x: f64| round_to(x, decimals);
    // Cropping the rounded padded gradient keeps both shown forms of dC/dP0 identical.
    let d_p0_padded = round_matrix(&input_gradient_padded(problem, &grad.d_z1), decimals);
    Displayed {
        z1: round_matrix(&fwd.z1, decimals),
        a1: round_matrix(&fwd.a1, decimals),
        p1: round_matrix(&fwd.p1, decimals),
        s: round_vector(&fwd.s, decimals),
        z2: r(fwd.z2),
        y_hat: r(fwd.y_hat),
        loss: r(fwd.loss),
        d_z2: r(grad.d_z2),
        d_w2: round_vector(&grad.d_w2, decimals),
        d_b2: r(grad.d_b2),
        d_s: round_vector(&grad.d_s, decimals),
        d_p1: round_matrix(&grad.d_p1, decimals),
        d_a1: round_matrix(&grad.d_a1, decimals),
        act_grad: round_matrix(
            &activation::derivative(problem.activation, &fwd.z1),
            decimals,
        ),
        d_z1: round_matrix(&grad.d_z1, decimals),
        d_f1: round_matrix(&grad.d_f1, decimals),
        d_b1: r(grad.d_b1),
        d_p0: crop_padding(&d_p0_padded, problem.conv.padding),
        d_p0_padded,
        w2_new: round_vector(&upd.w2, decimals),
        b2_new: r(upd.b2),
        f1_new: round_matrix(&upd.f1, decimals),
        b1_new: r(upd.b1),
    }
}

/// The loss from a shown y_hat, as a student evaluates the formula.
pub fn loss_from_y_hat(loss: Loss, y_hat: f64, y: f64) -> f64 {
    match loss {
        // Only the term the label selects, so that 0 * ln(0) never makes a NaN.
        Loss::Bce if y == 1.0 => -y_hat.ln(),
        Loss::Bce => -(1.0 - y_hat).ln(),
        Loss::Mse => 0.5 * (y_hat - y).powi(2),
    }
}

/// dC/dz2 from a shown y_hat: the output layer's error through the sigmoid.
pub fn d_z2_from_y_hat(loss: Loss, y_hat: f64, y: f64) -> f64 {
    match loss {
        Loss::Bce => y_hat - y,
        Loss::Mse => (y_hat - y) * y_hat * (1.0 - y_hat),
    }
}

/// act'(Z1) from the shown Z1 and A1, the way the worked solution writes it: ReLU and leaky
/// ReLU by the sign of z, sigmoid as a(1 - a), tanh as 1 - a^2. `z1`, `a1`: (h, w) -> (h, w).
pub fn act_grad_from_shown(act: Activation, z1: &Array2<f64>, a1: &Array2<f64>) -> Array2<f64> {
    match act {
        Activation::Relu | Activation::LeakyRelu => z1.mapv(|z| activation::derivative_one(act, z)),
        Activation::Sigmoid => a1.mapv(|a| a * (1.0 - a)),
        Activation::Tanh => a1.mapv(|a| 1.0 - a * a),
    }
}

fn stepwise(problem: &Problem, sol: &Solution, decimals: usize) -> Displayed {
    let r = |x: f64| round_to(x, decimals);
    let (lr, y) = (problem.lr, problem.label());
    let z1 = round_matrix(&super::conv_forward(problem), decimals);
    let a1 = round_matrix(&activation::apply(problem.activation, &z1), decimals);
    let p1 = round_matrix(&pool::forward(&a1, problem.pool), decimals);
    let s = Array1::from_iter(p1.iter().copied());
    let z2 = r(problem.w2.dot(&s) + problem.b2);
    let y_hat = r(activation::sigmoid(z2));
    let loss = match loss_from_y_hat(problem.loss, y_hat, y) {
        c if c.is_finite() => r(c),
        _ => r(sol.forward.loss),
    };
    let d_z2 = r(d_z2_from_y_hat(problem.loss, y_hat, y));
    let d_w2 = round_vector(&(&s * d_z2), decimals);
    let d_s = round_vector(&(&problem.w2 * d_z2), decimals);
    let d_p1 = d_s
        .to_shape(p1.dim())
        .expect("invariant: S has as many entries as P1")
        .to_owned();
    // Routing by the exact A1: see the module docs.
    let d_a1 = round_matrix(
        &pool::backward(&sol.forward.a1, &d_p1, problem.pool),
        decimals,
    );
    let act_grad = round_matrix(&act_grad_from_shown(problem.activation, &z1, &a1), decimals);
    let d_z1 = round_matrix(&(&d_a1 * &act_grad), decimals);
    let padded = conv::pad(&problem.x, problem.conv.padding);
    let d_f1 = round_matrix(
        &super::d_filter(&padded, &d_z1, problem.f1.dim(), problem.conv.stride),
        decimals,
    );
    let d_b1 = r(d_z1.sum());
    let d_p0_padded = round_matrix(&input_gradient_padded(problem, &d_z1), decimals);
    Displayed {
        w2_new: round_vector(&(&problem.w2 - &(&d_w2 * lr)), decimals),
        b2_new: r(problem.b2 - lr * d_z2),
        f1_new: round_matrix(&(&problem.f1 - &(&d_f1 * lr)), decimals),
        b1_new: r(problem.b1 - lr * d_b1),
        d_p0: crop_padding(&d_p0_padded, problem.conv.padding),
        d_p0_padded,
        z1,
        a1,
        p1,
        s,
        z2,
        y_hat,
        loss,
        d_z2,
        d_w2,
        d_b2: d_z2,
        d_s,
        d_p1,
        d_a1,
        act_grad,
        d_z1,
        d_f1,
        d_b1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve;
    use crate::spec::fixtures::task_3_1 as task;

    #[test]
    fn exact_mode_rounds_the_exact_values() {
        let p = task();
        let sol = solve::solve(&p);
        let d = displayed(&p, &sol, 3, Rounding::Exact);
        assert_eq!(d.y_hat, round_to(sol.forward.y_hat, 3));
        assert_eq!(d.loss, round_to(sol.forward.loss, 3));
        assert_eq!(d.d_p0, round_matrix(&sol.backward.d_p0, 3));
    }

    #[test]
    fn stepwise_loss_uses_the_shown_y_hat() {
        // Task 3.1: y_hat = 0.35434 shows as 0.354; -ln(0.354) = 1.03846 -> 1.038, while the
        // exact loss 1.03748 shows as 1.037. A student checking the line gets 1.038.
        let p = task();
        let sol = solve::solve(&p);
        let d = displayed(&p, &sol, 3, Rounding::Stepwise);
        assert_eq!(d.y_hat, 0.354);
        assert_eq!(d.loss, 1.038);
        assert_eq!(displayed(&p, &sol, 3, Rounding::Exact).loss, 1.037);
    }

    #[test]
    fn stepwise_gradient_uses_the_shown_error() {
        let p = task();
        let d = displayed(&p, &solve::solve(&p), 3, Rounding::Stepwise);
        assert_eq!(d.d_z2, -0.646);
        assert_eq!(d.d_w2.to_vec(), vec![-1.292, -0.646, -1.938, -1.938]);
        assert_eq!(d.w2_new.to_vec(), vec![0.746, 0.623, 0.169, 1.169]);
    }

    #[test]
    fn bce_loss_from_a_shown_y_hat_of_one_is_finite_for_label_one() {
        assert_eq!(loss_from_y_hat(Loss::Bce, 1.0, 1.0), 0.0);
        assert!(loss_from_y_hat(Loss::Bce, 1.0, 0.0).is_infinite());
    }

    #[test]
    fn crop_padding_removes_the_frame() {
        let m = Array2::from_shape_fn((4, 4), |(i, j)| (i * 4 + j) as f64);
        assert_eq!(
            crop_padding(&m, 1),
            ndarray::array![[5.0, 6.0], [9.0, 10.0]]
        );
        assert_eq!(crop_padding(&m, 0), m);
    }
}
