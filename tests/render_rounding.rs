//! Stepwise rounding keeps its promise: every shown step can be recomputed from the shown numbers
//! of the steps before it (and the exercise's inputs), and rounds to what is shown. The
//! recomputation here is written out independently of `render::rounding`, with explicit loops,
//! and dC/dP0 goes through the explicit convolution matrix rather than the full convolution the
//! renderer uses. In exact mode every shown number is the exact value rounded.

mod common;

use ndarray::{s, Array1, Array2};
use nnexam::solve::shown::{displayed, Displayed, Rounding};
use nnexam::solve::{activation, conv, solve};
use nnexam::spec::{Activation, Loss, PoolKind, Problem};

/// `shown` is what a reader gets by rounding `recomputed` to `decimals` (half away from zero),
/// allowing for float noise in the recomputation.
fn assert_shown(shown: f64, recomputed: f64, decimals: usize, what: &str) {
    let half_step = 0.5 * 10f64.powi(-(decimals as i32));
    assert!(
        (shown - recomputed).abs() <= half_step * (1.0 + 1e-9) + 1e-12,
        "{what}: shown {shown}, but the shown inputs give {recomputed}"
    );
}

fn assert_all_shown(shown: &Array2<f64>, recomputed: &Array2<f64>, d: usize, what: &str) {
    assert_eq!(shown.dim(), recomputed.dim(), "{what}: shape");
    for ((ij, &a), &b) in shown.indexed_iter().zip(recomputed) {
        assert_shown(a, b, d, &format!("{what}{ij:?}"));
    }
}

fn assert_list_shown(shown: &Array1<f64>, recomputed: &Array1<f64>, d: usize, what: &str) {
    assert_eq!(shown.len(), recomputed.len(), "{what}: length");
    for (k, (&a, &b)) in shown.iter().zip(recomputed).enumerate() {
        assert_shown(a, b, d, &format!("{what}[{k}]"));
    }
}

/// Windows of the forward pass: (out_i, out_j) -> top-left corner in the input.
fn windows(
    out: (usize, usize),
    stride: usize,
) -> impl Iterator<Item = (usize, usize, usize, usize)> {
    (0..out.0).flat_map(move |i| (0..out.1).map(move |j| (i, j, i * stride, j * stride)))
}

/// Checks the forward pass of `d` from its own shown numbers.
fn check_forward(p: &Problem, d: &Displayed, dec: usize) {
    let padded = conv::pad(&p.x, p.conv.padding);
    let (kh, kw) = p.f1.dim();
    let mut z1 = Array2::zeros(d.z1.dim());
    for (i, j, r, c) in windows(d.z1.dim(), p.conv.stride) {
        let mut sum = p.b1;
        for a in 0..kh {
            for b in 0..kw {
                sum += padded[(r + a, c + b)] * p.f1[(a, b)];
            }
        }
        z1[(i, j)] = sum;
    }
    assert_all_shown(&d.z1, &z1, dec, "Z1");
    let a1 = d.z1.mapv(|z| activation::apply_one(p.activation, z));
    assert_all_shown(&d.a1, &a1, dec, "A1 from shown Z1");
    let k = p.pool.size;
    let mut p1 = Array2::zeros(d.p1.dim());
    for (i, j, r, c) in windows(d.p1.dim(), p.pool.stride) {
        let window = d.a1.slice(s![r..r + k, c..c + k]);
        p1[(i, j)] = match p.pool.kind {
            PoolKind::Max => window.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            PoolKind::Avg => window.sum() / (k * k) as f64,
        };
    }
    assert_all_shown(&d.p1, &p1, dec, "P1 from shown A1");
    assert_eq!(d.s.to_vec(), d.p1.iter().copied().collect::<Vec<_>>(), "S");
    let z2: f64 = p.w2.iter().zip(&d.s).map(|(w, s)| w * s).sum::<f64>() + p.b2;
    assert_shown(d.z2, z2, dec, "z2 from shown S");
    assert_shown(
        d.y_hat,
        1.0 / (1.0 + (-d.z2).exp()),
        dec,
        "y_hat from shown z2",
    );
    let y = p.label();
    let loss = match p.loss {
        Loss::Bce => -(y * d.y_hat.ln() + (1.0 - y) * (1.0 - d.y_hat).ln()),
        Loss::Mse => 0.5 * (d.y_hat - y).powi(2),
    };
    assert_shown(d.loss, loss, dec, "loss from shown y_hat");
}

/// Checks the output layer's gradients and updates of `d` from its own shown numbers.
fn check_output_layer(p: &Problem, d: &Displayed, dec: usize) {
    let (y, lr) = (p.label(), p.lr);
    let d_z2 = match p.loss {
        Loss::Bce => d.y_hat - y,
        Loss::Mse => (d.y_hat - y) * d.y_hat * (1.0 - d.y_hat),
    };
    assert_shown(d.d_z2, d_z2, dec, "dC/dz2 from shown y_hat");
    assert_eq!(d.d_b2, d.d_z2, "dC/dB2 is dC/dz2");
    assert_list_shown(
        &d.d_w2,
        &(&d.s * d.d_z2),
        dec,
        "dC/dW2 from shown dz2 and S",
    );
    assert_list_shown(&d.w2_new, &(&p.w2 - &(&d.d_w2 * lr)), dec, "updated W2");
    assert_shown(d.b2_new, p.b2 - lr * d.d_b2, dec, "updated B2");
    assert_list_shown(&d.d_s, &(&p.w2 * d.d_z2), dec, "dC/dS from shown dz2");
    assert_eq!(
        d.d_p1.iter().copied().collect::<Vec<_>>(),
        d.d_s.to_vec(),
        "dC/dP1 is dC/dS reshaped"
    );
}

/// Checks pooling, activation and convolution gradients of `d` from its own shown numbers.
fn check_conv_layer(p: &Problem, d: &Displayed, dec: usize) {
    let k = p.pool.size;
    let mut d_a1 = Array2::zeros(d.a1.dim());
    for (i, j, r, c) in windows(d.p1.dim(), p.pool.stride) {
        let g = d.d_p1[(i, j)];
        match p.pool.kind {
            PoolKind::Max => {
                // The gradient goes to one maximum of the shown window.
                let window = d.a1.slice(s![r..r + k, c..c + k]);
                let max = window.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let target = nnexam::solve::pool::argmax(&solve(p).forward.a1, i, j, p.pool);
                assert_eq!(d.a1[target], max, "routed to a maximum of window ({i},{j})");
                d_a1[target] += g;
            }
            PoolKind::Avg => d_a1
                .slice_mut(s![r..r + k, c..c + k])
                .mapv_inplace(|v| v + g / (k * k) as f64),
        }
    }
    assert_all_shown(&d.d_a1, &d_a1, dec, "dC/dA1 from shown dC/dP1");
    let act_grad = Array2::from_shape_fn(d.z1.dim(), |ij| match p.activation {
        Activation::Relu => f64::from(u8::from(d.z1[ij] > 0.0)),
        Activation::LeakyRelu => {
            if d.z1[ij] > 0.0 {
                1.0
            } else {
                activation::LEAKY_SLOPE
            }
        }
        Activation::Sigmoid => d.a1[ij] * (1.0 - d.a1[ij]),
        Activation::Tanh => 1.0 - d.a1[ij] * d.a1[ij],
    });
    assert_all_shown(&d.act_grad, &act_grad, dec, "act'(Z1) from shown Z1/A1");
    assert_all_shown(&d.d_z1, &(&d.d_a1 * &d.act_grad), dec, "dC/dZ1");
    let padded = conv::pad(&p.x, p.conv.padding);
    let mut d_f1 = Array2::zeros(p.f1.dim());
    for ((a, b), slot) in d_f1.indexed_iter_mut() {
        for (i, j, r, c) in windows(d.z1.dim(), p.conv.stride) {
            *slot += d.d_z1[(i, j)] * padded[(r + a, c + b)];
        }
    }
    assert_all_shown(&d.d_f1, &d_f1, dec, "dC/dF1 from shown dC/dZ1");
    assert_shown(d.d_b1, d.d_z1.sum(), dec, "dC/dB1 from shown dC/dZ1");
    assert_all_shown(&d.f1_new, &(&p.f1 - &(&d.d_f1 * p.lr)), dec, "updated F1");
    assert_shown(d.b1_new, p.b1 - p.lr * d.d_b1, dec, "updated B1");
    // Through the explicit matrix: vec(dC/dP0) = M^T vec(dC/dZ1).
    let m = conv::conv_matrix(p.x.dim(), &p.f1, p.conv.stride, p.conv.padding);
    let d_z1_vec = Array1::from_iter(d.d_z1.iter().copied());
    let d_p0 = m
        .t()
        .dot(&d_z1_vec)
        .into_shape_with_order(p.x.dim())
        .expect("h * w entries");
    assert_all_shown(&d.d_p0, &d_p0, dec, "dC/dP0 = M^T vec(shown dC/dZ1)");
    let pad = p.conv.padding;
    let (h, w) = p.x.dim();
    assert_eq!(
        d.d_p0_padded.slice(s![pad..pad + h, pad..pad + w]),
        d.d_p0,
        "the cropped padded gradient is the shown dC/dP0"
    );
}

#[test]
fn every_stepwise_step_follows_from_the_shown_steps_before_it() {
    for (name, p) in common::problems() {
        let sol = solve(&p);
        for dec in [2, 3, 4] {
            let d = displayed(&p, &sol, dec, Rounding::Stepwise);
            let at = |f: &dyn Fn(&Problem, &Displayed, usize)| {
                let run = std::panic::AssertUnwindSafe(|| f(&p, &d, dec));
                if let Err(e) = std::panic::catch_unwind(run) {
                    eprintln!("in problem {name} with {dec} decimals");
                    std::panic::resume_unwind(e);
                }
            };
            at(&check_forward);
            at(&check_output_layer);
            at(&check_conv_layer);
        }
    }
}

#[test]
fn every_exact_number_is_the_exact_value_rounded() {
    use nnexam::number::round_to;
    for (name, p) in common::problems() {
        let sol = solve(&p);
        let d = displayed(&p, &sol, 3, Rounding::Exact);
        let r = |m: &Array2<f64>| m.mapv(|v| round_to(v, 3));
        assert_eq!(d.z1, r(&sol.forward.z1), "{name}: Z1");
        assert_eq!(d.p1, r(&sol.forward.p1), "{name}: P1");
        assert_eq!(d.y_hat, round_to(sol.forward.y_hat, 3), "{name}: y_hat");
        assert_eq!(d.loss, round_to(sol.forward.loss, 3), "{name}: loss");
        assert_eq!(d.d_z1, r(&sol.backward.d_z1), "{name}: dC/dZ1");
        assert_eq!(d.d_f1, r(&sol.backward.d_f1), "{name}: dC/dF1");
        assert_eq!(d.f1_new, r(&sol.update.f1), "{name}: F1");
        assert_eq!(d.b1_new, round_to(sol.update.b1, 3), "{name}: B1");
        for (shown, exact) in d.d_p0.iter().zip(&sol.backward.d_p0) {
            assert_shown(*shown, *exact, 3, &format!("{name}: dC/dP0"));
        }
    }
}

#[test]
fn stepwise_numbers_are_the_ones_the_solution_prints() {
    // Task 3.1: the loss line reads -(1 ln(0.354) + ...) = 1.038 in stepwise mode, whose every
    // number a student can check; exact mode prints the exact loss 1.037.
    let task = common::task_3_1();
    let options = common::options(
        nnexam::spec::difficulty::Preset::Standard,
        Rounding::Stepwise,
    );
    let text = common::render(&task, &options);
    assert!(text.contains("\\ln(0.354)"), "y_hat as shown");
    assert!(text.contains("= 1.038."), "loss from the shown y_hat");
    let exact = common::options(nnexam::spec::difficulty::Preset::Standard, Rounding::Exact);
    assert!(common::render(&task, &exact).contains("= 1.037."));
}
