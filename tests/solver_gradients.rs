//! The solver's gradients against independent methods, over random problems from the whole
//! exercise family (1..=3 input channels, 1..=3 filters, sigmoid or softmax with K = 2..=4,
//! mini-batches of 1..=3 samples, stride 1..=2, padding 0..=1): central finite differences for
//! every entry of `backward` (through a forward pass written out here with plain loops,
//! independent of the solver's chain), the explicit convolution matrix against the forward
//! pass, dC/dP0 against the full convolution of the dilated, framed dC/dZ1 with the rotated
//! filter, per channel, and softmax with K = 2 against the sigmoid network with w = w1 - w0.

use ndarray::{s, Array1, Array2, Array3, ArrayD, Axis, IxDyn};
use nnexam::solve::step::Step;
use nnexam::solve::{self, Solution};
use nnexam::spec::{
    Activation, Conv, ExerciseFile, Loss, Output, Pool, PoolKind, Problem, SampleFile, Shapes,
    Tensor,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

/// The architecture of a random problem.
#[derive(Clone, Copy, Debug)]
struct Arch {
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    conv: Conv,
    pool: Pool,
    activation: Activation,
    /// Channels C_in, filters C_out, classes (0: sigmoid), samples N.
    channels: usize,
    filters: usize,
    classes: usize,
    samples: usize,
    mse: bool,
}

/// Random problems across every knob; values continuous so ties and kinks are rare, and
/// [`away_from_kinks`] discards the rest.
fn problems() -> impl Strategy<Value = Problem> {
    let shape = (
        3usize..=6,
        3usize..=6,
        1usize..=3,
        1usize..=3,
        1usize..=2,
        0usize..=1,
    );
    let pooling = (1usize..=3, 1usize..=2, prop::bool::ANY);
    let kinds = (0usize..4, prop::bool::ANY);
    let family = (1usize..=3, 1usize..=3, 0usize..=4, 1usize..=3);
    (shape, pooling, kinds, family, any::<u64>()).prop_filter_map(
        "shapes must fit",
        |((h, w, kh, kw, stride, padding), (size, pstride, avg), (act, mse), family, seed)| {
            let (channels, filters, classes, samples) = family;
            let arch = Arch {
                h,
                w,
                kh,
                kw,
                conv: Conv { stride, padding },
                pool: Pool {
                    kind: if avg { PoolKind::Avg } else { PoolKind::Max },
                    size,
                    stride: pstride,
                },
                activation: [
                    Activation::Relu,
                    Activation::LeakyRelu,
                    Activation::Sigmoid,
                    Activation::Tanh,
                ][act],
                channels,
                filters,
                // 1 would be a softmax over one class: sigmoid instead.
                classes: if classes == 1 { 0 } else { classes },
                samples,
                mse,
            };
            problem_of(arch, seed)
        },
    )
}

/// A problem of `arch` with values drawn from `seed`, written in the plainest form (a matrix
/// where there is one).
fn problem_of(a: Arch, seed: u64) -> Option<Problem> {
    let shapes = Shapes::derive((a.h, a.w), (a.kh, a.kw), a.conv, a.pool).ok()?;
    let n = a.filters * shapes.p1.0 * shapes.p1.1;
    let mut draw = values(seed);
    let mut array = |shape: &[usize]| -> Tensor {
        let v: Vec<f64> = (0..shape.iter().product()).map(|_| draw()).collect();
        Tensor::from_array(&ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
    };
    let x_shape: Vec<usize> = match a.channels {
        1 => vec![a.h, a.w],
        c => vec![c, a.h, a.w],
    };
    let f1 = match (a.channels, a.filters) {
        (1, 1) => array(&[a.kh, a.kw]),
        (1, o) => array(&[o, a.kh, a.kw]),
        (c, o) => array(&[o, c, a.kh, a.kw]),
    };
    let b1 = match a.filters {
        1 => array(&[]),
        o => array(&[o]),
    };
    let (w2, b2) = match a.classes {
        0 => (array(&[n]), array(&[])),
        k => (array(&[k, n]), array(&[k])),
    };
    let label = |k: usize| match a.classes {
        0 => k % 2,
        classes => (k + (seed % 7) as usize) % classes,
    };
    let inputs: Vec<Tensor> = (0..a.samples).map(|_| array(&x_shape)).collect();
    let (x, y, sample) = match a.samples {
        1 => (
            Some(inputs[0].clone()),
            Some(label((seed % 1000) as usize)),
            None,
        ),
        _ => (
            None,
            None,
            Some(
                inputs
                    .into_iter()
                    .enumerate()
                    .map(|(k, x)| SampleFile { x, y: label(k) })
                    .collect(),
            ),
        ),
    };
    let softmax = a.classes > 0;
    let file = ExerciseFile {
        x,
        f1,
        b1,
        w2,
        b2,
        y,
        lr: 0.5,
        activation: a.activation,
        output: if softmax {
            Output::Softmax
        } else {
            Output::Sigmoid
        },
        loss: Some(match (softmax, a.mse) {
            (true, _) => Loss::Ce,
            (false, true) => Loss::Mse,
            (false, false) => Loss::Bce,
        }),
        conv: a.conv,
        pool: a.pool,
        sample,
    };
    Problem::from_file(&file).ok()
}

/// A deterministic stream of values in [-2, 2] with four decimals, the most an exercise file
/// may have (a small LCG: the test needs variety, not quality).
fn values(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed | 1;
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let x = ((state >> 11) as f64 / (1u64 << 53) as f64) * 4.0 - 2.0;
        (x * 1e4).round() / 1e4
    }
}

/// Finite differences are only meaningful where the loss is smooth around the point: no Z1 entry
/// near a ReLU kink, and no max-pool window whose top two values nearly tie (`strict_ties`: also
/// count ties among ReLU's exact zeros, which only matter when A1 itself is perturbed).
fn away_from_kinks(p: &Problem, strict_ties: bool) -> bool {
    let margin = 1e-3;
    let kinked = matches!(p.activation, Activation::Relu | Activation::LeakyRelu);
    for n in 0..p.samples.len() {
        let z1 = z1_of(p, &p.samples[n].x);
        if kinked && z1.iter().any(|z| z.abs() < margin) {
            return false;
        }
        if p.pool.kind != PoolKind::Max {
            continue;
        }
        let a1 = z1.mapv(|z| act(p, z));
        for map in a1.outer_iter() {
            let (oh, ow) = map.dim();
            let (k, t) = (p.pool.size, p.pool.stride);
            for i in 0..(oh - k) / t + 1 {
                for j in 0..(ow - k) / t + 1 {
                    let mut vals: Vec<f64> = map
                        .slice(s![i * t..i * t + k, j * t..j * t + k])
                        .iter()
                        .copied()
                        .collect();
                    vals.sort_by(|a, b| b.total_cmp(a));
                    // Perturbing X, F1 or Z1 keeps ReLU's exact zeros at zero: those ties carry
                    // no gradient either way. Perturbing A1 directly breaks them.
                    let harmless =
                        !strict_ties && p.activation == Activation::Relu && vals[0] == 0.0;
                    if vals.len() > 1 && !harmless && vals[0] - vals[1] < margin {
                        return false;
                    }
                }
            }
        }
    }
    true
}

fn step(x: f64) -> f64 {
    f64::EPSILON.cbrt() * x.abs().max(1.0)
}

/// Central difference of `f` at scalar `x`.
fn fd_scalar(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = step(x);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

/// Central differences of `f` in every entry of `at`, any shape -> the same shape.
fn fd<D: ndarray::Dimension>(
    f: impl Fn(&ndarray::Array<f64, D>) -> f64,
    at: &ndarray::Array<f64, D>,
) -> ndarray::Array<f64, D> {
    let mut out = at.clone();
    for (k, slot) in out.iter_mut().enumerate() {
        let value = *at.iter().nth(k).expect("entry k exists");
        *slot = fd_scalar(
            |v| {
                let mut m = at.clone();
                *m.iter_mut().nth(k).expect("entry k exists") = v;
                f(&m)
            },
            value,
        );
    }
    out
}

fn close(analytic: f64, numeric: f64) -> bool {
    (analytic - numeric).abs() <= 1e-6 * analytic.abs().max(1.0)
}

fn assert_close_all<'a>(
    analytic: impl IntoIterator<Item = &'a f64>,
    numeric: impl IntoIterator<Item = &'a f64>,
    what: &str,
) -> Result<(), TestCaseError> {
    let (a, n): (Vec<f64>, Vec<f64>) = (
        analytic.into_iter().copied().collect(),
        numeric.into_iter().copied().collect(),
    );
    prop_assert_eq!(a.len(), n.len(), "{}: entry counts", what);
    for (a, n) in a.iter().zip(&n) {
        prop_assert!(
            close(*a, *n),
            "{}: analytic {} vs independent {}",
            what,
            a,
            n
        );
    }
    Ok(())
}

// An independent forward pass, written out with plain loops: one sample's loss as a function of
// each intermediate quantity, and the batch's cost as a function of the parameters.
fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}
fn act(p: &Problem, z: f64) -> f64 {
    match p.activation {
        Activation::Relu => z.max(0.0),
        Activation::LeakyRelu => {
            if z > 0.0 {
                z
            } else {
                0.1 * z
            }
        }
        Activation::Sigmoid => sigmoid(z),
        Activation::Tanh => z.tanh(),
    }
}
/// Sample `n`'s loss from its outputs' pre-activations `z2`: (k).
fn loss_from_z2(p: &Problem, n: usize, z2: &Array1<f64>) -> f64 {
    let y = p.samples[n].y;
    // -ln(sigmoid(z)) = ln(1 + e^-z) and -ln(1 - sigmoid(z)) = ln(1 + e^z), in a form that keeps
    // its digits when y_hat is near 0 or 1 (finite differences need them).
    let ln_1_plus_exp = |t: f64| t.max(0.0) + (-t.abs()).exp().ln_1p();
    match p.output {
        Output::Softmax => {
            let top = z2.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
            top + z2.iter().map(|v| (v - top).exp()).sum::<f64>().ln() - z2[y]
        }
        Output::Sigmoid => {
            let (z, y) = (z2[0], y as f64);
            match p.loss {
                Loss::Mse => 0.5 * (sigmoid(z) - y).powi(2),
                _ => y * ln_1_plus_exp(-z) + (1.0 - y) * ln_1_plus_exp(z),
            }
        }
    }
}
fn loss_from_s(p: &Problem, n: usize, s: &Array1<f64>) -> f64 {
    loss_from_z2(p, n, &(p.w2.dot(s) + &p.b2))
}
/// From P1: (maps, ph, pw), flattened map by map, row-major.
fn loss_from_p1(p: &Problem, n: usize, p1: &Array3<f64>) -> f64 {
    loss_from_s(p, n, &Array1::from_iter(p1.iter().copied()))
}
fn loss_from_a1(p: &Problem, n: usize, a1: &Array3<f64>) -> f64 {
    let (k, t) = (p.pool.size, p.pool.stride);
    let (maps, oh, ow) = a1.dim();
    let out = (maps, (oh - k) / t + 1, (ow - k) / t + 1);
    let p1 = Array3::from_shape_fn(out, |(o, i, j)| {
        let window = a1.slice(s![o, i * t..i * t + k, j * t..j * t + k]);
        match p.pool.kind {
            PoolKind::Max => window.fold(f64::NEG_INFINITY, |m, &v| m.max(v)),
            PoolKind::Avg => window.sum() / (k * k) as f64,
        }
    });
    loss_from_p1(p, n, &p1)
}
fn loss_from_z1(p: &Problem, n: usize, z1: &Array3<f64>) -> f64 {
    loss_from_a1(p, n, &z1.mapv(|z| act(p, z)))
}
/// One input channel with its zero padding: (h + 2p, w + 2p).
fn padded(p: &Problem, x: ndarray::ArrayView2<'_, f64>) -> Array2<f64> {
    let (h, w) = x.dim();
    let pad = p.conv.padding;
    let mut out = Array2::zeros((h + 2 * pad, w + 2 * pad));
    out.slice_mut(s![pad..pad + h, pad..pad + w]).assign(&x);
    out
}
/// Z1 of input `x`: (c_in, h, w) -> (c_out, oh, ow), the sum over channels of each filter's
/// cross-correlations, plus the filter's bias.
fn z1_of(p: &Problem, x: &Array3<f64>) -> Array3<f64> {
    let (c_out, c_in, kh, kw) = p.f1.dim();
    let t = p.conv.stride;
    let xs: Vec<Array2<f64>> = (0..c_in)
        .map(|c| padded(p, x.slice(s![c, .., ..])))
        .collect();
    let out = ((xs[0].nrows() - kh) / t + 1, (xs[0].ncols() - kw) / t + 1);
    Array3::from_shape_fn((c_out, out.0, out.1), |(o, i, j)| {
        let mut z = p.b1[o];
        for (c, x) in xs.iter().enumerate() {
            let window = x.slice(s![i * t..i * t + kh, j * t..j * t + kw]);
            z += (&window * &p.f1.slice(s![o, c, .., ..])).sum();
        }
        z
    })
}
fn sample_loss(p: &Problem, n: usize, x: &Array3<f64>) -> f64 {
    loss_from_z1(p, n, &z1_of(p, x))
}
/// C = (1/N) sum of the samples' losses.
fn cost(p: &Problem) -> f64 {
    let n = p.samples.len();
    (0..n)
        .map(|k| sample_loss(p, k, &p.samples[k].x))
        .sum::<f64>()
        / n as f64
}

/// dC/dX of one input channel as the full convolution: dC/dZ1 of each map dilated by the stride
/// and framed by kh - 1, kw - 1 zeros, cross-correlated with that map's filter over the channel
/// rotated by 180 degrees, summed over the maps, then cropped to the unpadded input.
fn input_gradient_full_conv(
    p: &Problem,
    c: usize,
    d_z1: &Array3<f64>,
    input: (usize, usize),
) -> Array2<f64> {
    let (_, _, kh, kw) = p.f1.dim();
    let t = p.conv.stride;
    let (maps, oh, ow) = d_z1.dim();
    let pad = p.conv.padding;
    let (ph, pw) = (input.0 + 2 * pad, input.1 + 2 * pad);
    let mut full = Array2::<f64>::zeros((ph, pw));
    for o in 0..maps {
        let mut framed = Array2::zeros(((oh - 1) * t + 2 * kh - 1, (ow - 1) * t + 2 * kw - 1));
        for ((i, j), &g) in d_z1.index_axis(Axis(0), o).indexed_iter() {
            framed[(kh - 1 + i * t, kw - 1 + j * t)] = g;
        }
        let rotated = p.f1.slice(s![o, c, ..;-1, ..;-1]).to_owned();
        for r in 0..ph {
            for q in 0..pw {
                if r + kh > framed.nrows() || q + kw > framed.ncols() {
                    continue; // rows and columns that no window read
                }
                full[(r, q)] += (&framed.slice(s![r..r + kh, q..q + kw]) * &rotated).sum();
            }
        }
    }
    full.slice(s![pad..pad + input.0, pad..pad + input.1])
        .to_owned()
}

/// Sample `n`'s value of a per-sample step as a 3-D array (maps or channels first).
fn maps(sol: &Solution, step: Step, n: usize) -> Array3<f64> {
    sol.values
        .of_sample(step, n)
        .to_owned()
        .into_dimensionality()
        .unwrap()
}
/// Sample `n`'s value of a per-sample vector step: (len).
fn vector(sol: &Solution, step: Step, n: usize) -> Array1<f64> {
    sol.values.row_of(step, n).to_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn every_gradient_matches_finite_differences(p in problems()) {
        let sol = solve::solve(&p).unwrap();
        prop_assume!(away_from_kinks(&p, false));
        // The forward pass written out here agrees with the solver's.
        prop_assert!(close(*sol.values.scalar(Step::Cost), cost(&p)), "cost");
        // Each sample's own gradients dC^n/d(.), before any averaging.
        for n in 0..p.samples.len() {
            let z2 = vector(&sol, Step::Z2, n);
            assert_close_all(&vector(&sol, Step::DZ2, n), &fd(|z| loss_from_z2(&p, n, z), &z2), "dC/dz2")?;
            let s = vector(&sol, Step::S, n);
            assert_close_all(&vector(&sol, Step::DS, n), &fd(|s| loss_from_s(&p, n, s), &s), "dC/dS")?;
            let p1 = maps(&sol, Step::P1, n);
            assert_close_all(&maps(&sol, Step::DP1, n), &fd(|m| loss_from_p1(&p, n, m), &p1), "dC/dP1")?;
            if away_from_kinks(&p, true) {
                let a1 = maps(&sol, Step::A1, n);
                assert_close_all(&maps(&sol, Step::DA1, n), &fd(|m| loss_from_a1(&p, n, m), &a1), "dC/dA1")?;
            }
            let z1 = maps(&sol, Step::Z1, n);
            assert_close_all(&maps(&sol, Step::DZ1, n), &fd(|m| loss_from_z1(&p, n, m), &z1), "dC/dZ1")?;
            let x = &p.samples[n].x;
            assert_close_all(&maps(&sol, Step::DP0, n), &fd(|m| sample_loss(&p, n, m), x), "dC/dP0")?;
        }
        // The parameters' gradients: of the batch's mean cost.
        let with = |edit: &dyn Fn(&mut Problem)| { let mut q = p.clone(); edit(&mut q); cost(&q) };
        assert_close_all(sol.values.get(Step::DW2), &fd(|w| with(&|q| q.w2 = w.clone()), &p.w2), "dC/dW2")?;
        assert_close_all(sol.values.get(Step::DB2), &fd(|b| with(&|q| q.b2 = b.clone()), &p.b2), "dC/dB2")?;
        assert_close_all(sol.values.get(Step::DF1), &fd(|f| with(&|q| q.f1 = f.clone()), &p.f1), "dC/dF1")?;
        assert_close_all(sol.values.get(Step::DB1), &fd(|b| with(&|q| q.b1 = b.clone()), &p.b1), "dC/dB1")?;
    }

    #[test]
    fn conv_matrix_reproduces_the_forward_convolution(p in problems()) {
        let sol = solve::solve(&p).unwrap();
        let (c_out, _, _, _) = p.f1.dim();
        for (n, sample) in p.samples.iter().enumerate() {
            let vec_x = Array1::from_iter(sample.x.iter().copied());
            let z1 = maps(&sol, Step::Z1, n);
            let per_map = z1.len() / c_out;
            let biases = Array1::from_shape_fn(z1.len(), |r| p.b1[r / per_map]);
            let via_matrix = sol.conv_matrix.dot(&vec_x) + biases;
            assert_close_all(&via_matrix, z1.iter(), "M vec(X) + B1 vs Z1")?;
        }
    }

    #[test]
    fn input_gradient_equals_full_convolution_with_rotated_filter(p in problems()) {
        let sol = solve::solve(&p).unwrap();
        let (c_in, h, w) = p.samples[0].x.dim();
        for n in 0..p.samples.len() {
            let d_z1 = maps(&sol, Step::DZ1, n);
            let d_p0 = maps(&sol, Step::DP0, n);
            for c in 0..c_in {
                let full = input_gradient_full_conv(&p, c, &d_z1, (h, w));
                assert_close_all(&d_p0.index_axis(Axis(0), c).to_owned(), &full, "dC/dP0 vs full convolution")?;
            }
            // And via the transposed convolution matrix: M^T vec(dC/dZ1).
            let via_matrix = sol.conv_matrix.t().dot(&Array1::from_iter(d_z1.iter().copied()));
            assert_close_all(&via_matrix, d_p0.iter(), "dC/dP0 vs M^T vec(dC/dZ1)")?;
        }
    }

    #[test]
    fn filter_gradient_equals_the_explicit_sum(p in problems()) {
        // dF[o][c][a][b] = (1/N) sum_n sum_ij dZ1^n[o][i][j] * Xpad^n[c][i*s + a][j*s + b].
        let sol = solve::solve(&p).unwrap();
        let st = p.conv.stride;
        let count = p.samples.len() as f64;
        let explicit = ndarray::Array4::from_shape_fn(p.f1.dim(), |(o, c, a, b)| {
            (0..p.samples.len()).map(|n| {
                let padded = padded(&p, p.samples[n].x.slice(s![c, .., ..]));
                let d_z1 = maps(&sol, Step::DZ1, n);
                d_z1.index_axis(Axis(0), o).indexed_iter()
                    .map(|((i, j), g)| g * padded[[i * st + a, j * st + b]])
                    .sum::<f64>()
            }).sum::<f64>() / count
        });
        assert_close_all(sol.values.get(Step::DF1), &explicit, "dC/dF1 vs explicit sum")?;
    }

    #[test]
    fn softmax_over_two_classes_is_the_sigmoid_network_with_the_weight_difference(
        p in problems().prop_filter("softmax over two classes", |p| p.output == Output::Softmax && p.w2.nrows() == 2)
    ) {
        // softmax(z0, z1)[1] = sigmoid(z1 - z0): with w = w1 - w0 and b = b1 - b0 the sigmoid
        // network with BCE has the same loss and the same gradients below z2, and dC/dW2's rows
        // are -dC/dw and dC/dw.
        let mut q = p.clone();
        q.output = Output::Sigmoid;
        q.loss = Loss::Bce;
        q.w2 = (&p.w2.row(1) - &p.w2.row(0)).insert_axis(Axis(0));
        q.b2 = Array1::from_elem(1, p.b2[1] - p.b2[0]);
        let (soft, sig) = (solve::solve(&p).unwrap(), solve::solve(&q).unwrap());
        assert_close_all(soft.values.get(Step::Loss), sig.values.get(Step::Loss), "loss")?;
        for n in 0..p.samples.len() {
            prop_assert!(close(soft.values.row_of(Step::YHat, n)[1], sig.values.row_of(Step::YHat, n)[0]), "y_hat");
        }
        for step in [Step::DS, Step::DP1, Step::DZ1, Step::DP0, Step::DF1, Step::DB1] {
            assert_close_all(soft.values.get(step), sig.values.get(step), step.name())?;
        }
        let d_w = sig.values.row_of(Step::DW2, 0).to_owned();
        assert_close_all(soft.values.row_of(Step::DW2, 1).iter(), d_w.iter(), "dC/dW2 row 1")?;
        assert_close_all(soft.values.row_of(Step::DW2, 0).iter(), (-&d_w).iter(), "dC/dW2 row 0")?;
    }
}

/// `count` problems of `strategy`, drawn deterministically.
fn draws(count: usize) -> Vec<Problem> {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = problems();
    (0..count)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("strategy yields")
                .current()
        })
        .collect()
}

#[test]
fn the_hard_corners_are_covered() {
    // The property tests above must really reach the corners the issue names.
    let all = draws(2000);
    let hit = |what: &str, f: &dyn Fn(&Problem) -> bool| {
        assert!(all.iter().any(f), "no {what} in 2000 draws");
    };
    hit("stride-2, padding-1, overlapping-pool problem", &|p| {
        p.conv.stride == 2 && p.conv.padding == 1 && p.pool.stride < p.pool.size
    });
    hit(
        "stride 2, padding 1 with several channels and filters",
        &|p| {
            let (c_out, c_in, _, _) = p.f1.dim();
            p.conv.stride == 2 && p.conv.padding == 1 && c_in > 1 && c_out > 1
        },
    );
    for k in 2..=4 {
        hit(&format!("softmax over {k} classes"), &|p| {
            p.output == Output::Softmax && p.w2.nrows() == k
        });
    }
    for n in 1..=3 {
        hit(&format!("batch of {n}"), &|p| p.samples.len() == n);
    }
}
