//! The formula of every step of the chain (see [`Step`]), written once, generic over the
//! arithmetic ([`Arith`]): the exact solver, the stepwise worked solution and the workload count
//! all evaluate these functions. Each step is computed entry by entry (row-major) from the
//! exercise's inputs and the finished values of earlier steps, then settled (rounded, for the
//! stepwise solution) before later steps read it.
//!
//! Tensors carry every index of the exercise family, even where an exercise file has one: the
//! per-sample steps ([`Step::per_sample`]) lead with the sample's axis (N), X is (N, c_in, h, w),
//! F1 (c_out, c_in, kh, kw), Z1 and the maps after it (N, c_out, ., .), S (N, n), z2 and y_hat
//! (N, k) with k outputs (1 for sigmoid, K for softmax), W2 (k, n). The parameters' gradients
//! are the batch means of the samples' gradients; with one sample no mean is taken, so that the
//! arithmetic (and every f64 bit) is the single sample's.
//!
//! Two structural choices follow the exact values in every arithmetic, because a tie created by
//! rounding would otherwise change *which* entry a gradient goes to: max-pool routing uses the
//! exact arg-max (still a maximum of the shown window, since rounding keeps order), and the loss
//! falls back to the exact loss when a shown y_hat of exactly 0 or 1 leaves ln(0).

use ndarray::{
    s, Array1, Array2, Array4, ArrayD, ArrayView2, ArrayView4, ArrayViewD, Axis, Dimension, IxDyn,
};

use super::arith::Arith;
use super::misconception::Misconception;
use super::step::Step;
use crate::error::Result;
use crate::spec::{Activation, Loss, Output, Pool, PoolKind, Problem, Shapes};

/// Slope of leaky ReLU for negative inputs.
pub const LEAKY_SLOPE: f64 = 0.1;

/// The values act'(z) takes for an activation made of linear pieces, `(for z > 0, for z <= 0)`
/// (ReLU'(0) = 0, leaky ReLU'(0) = the slope); `None` for sigmoid and tanh, whose derivative the
/// chain computes from A1.
pub fn piecewise_derivative(act: Activation) -> Option<(f64, f64)> {
    match act {
        Activation::Relu => Some((1.0, 0.0)),
        Activation::LeakyRelu => Some((1.0, LEAKY_SLOPE)),
        Activation::Sigmoid | Activation::Tanh => None,
    }
}

/// The sizes of every tensor of one exercise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dims {
    /// Samples N.
    samples: usize,
    c_in: usize,
    h: usize,
    w: usize,
    padding: usize,
    stride: usize,
    c_out: usize,
    kh: usize,
    kw: usize,
    oh: usize,
    ow: usize,
    pool: Pool,
    ph: usize,
    pw: usize,
    /// Outputs of the fully connected layer.
    k: usize,
}

impl Dims {
    fn of(problem: &Problem) -> Dims {
        Dims::sized(&problem.shapes(), problem.pool, problem.conv.stride)
    }

    /// The sizes of an exercise with `shapes`, pooled by `pool` at convolution `stride`.
    fn sized(shapes: &Shapes, pool: Pool, stride: usize) -> Dims {
        Dims {
            samples: shapes.samples,
            c_in: shapes.channels,
            h: shapes.x.0,
            w: shapes.x.1,
            padding: (shapes.padded.0 - shapes.x.0) / 2,
            stride,
            c_out: shapes.maps,
            kh: shapes.f1.0,
            kw: shapes.f1.1,
            oh: shapes.z1.0,
            ow: shapes.z1.1,
            pool,
            ph: shapes.p1.0,
            pw: shapes.p1.1,
            k: shapes.classes,
        }
    }

    /// Length of S.
    fn n(&self) -> usize {
        self.c_out * self.ph * self.pw
    }

    /// The shape of a step's value.
    fn shape(&self, step: Step) -> IxDyn {
        let map = [self.samples, self.c_out, self.oh, self.ow];
        match step {
            Step::Z1 | Step::A1 | Step::DA1 | Step::ActGrad | Step::DZ1 => IxDyn(&map),
            Step::P1 | Step::DP1 => IxDyn(&[self.samples, self.c_out, self.ph, self.pw]),
            Step::S | Step::DS => IxDyn(&[self.samples, self.n()]),
            Step::Z2 | Step::YHat | Step::DZ2 => IxDyn(&[self.samples, self.k]),
            Step::Loss => IxDyn(&[self.samples]),
            Step::Cost => IxDyn(&[]),
            Step::DB2 | Step::B2New => IxDyn(&[self.k]),
            Step::DW2 | Step::W2New => IxDyn(&[self.k, self.n()]),
            Step::DF1 | Step::F1New => IxDyn(&[self.c_out, self.c_in, self.kh, self.kw]),
            Step::DB1 | Step::B1New => IxDyn(&[self.c_out]),
            Step::DP0 => IxDyn(&[self.samples, self.c_in, self.h, self.w]),
            Step::DP0Padded => IxDyn(&[
                self.samples,
                self.c_in,
                self.h + 2 * self.padding,
                self.w + 2 * self.padding,
            ]),
        }
    }
}

/// The shape of `step`'s value (as [`Values`] holds it) in an exercise with `shapes`. The pooling
/// and the stride, which the sizes already reflect, do not change it.
pub fn value_shape(shapes: &Shapes, step: Step) -> Vec<usize> {
    Dims::sized(shapes, Pool::default(), 1)
        .shape(step)
        .slice()
        .to_vec()
}

/// The values of the evaluated steps, each a tensor of its step's shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Values<N> {
    steps: Vec<Option<ArrayD<N>>>,
}

impl<N: Clone> Values<N> {
    fn empty() -> Values<N> {
        Values {
            steps: vec![None; Step::ALL.len()],
        }
    }

    /// Every evaluated step's value, transformed by `f` (formatting, conversion).
    pub fn map<M: Clone>(&self, f: impl FnMut(&N) -> M) -> Values<M> {
        self.map_only(&Step::ALL, f)
    }

    /// The values of `steps` (those evaluated), transformed by `f`; the others left out.
    pub fn map_only<M: Clone>(&self, steps: &[Step], mut f: impl FnMut(&N) -> M) -> Values<M> {
        let mut out = Values::empty();
        for &step in steps {
            out.steps[step.index()] = self.try_get(step).map(|t| t.map(&mut f));
        }
        out
    }
}

impl<N> Values<N> {
    /// The value of `step`, or `None` when the evaluation stopped before it.
    pub fn try_get(&self, step: Step) -> Option<&ArrayD<N>> {
        self.steps[step.index()].as_ref()
    }

    /// The value of `step` with all its axes (see the module docs). Panics when the evaluation
    /// stopped before it (a caller's bug).
    pub fn get(&self, step: Step) -> &ArrayD<N> {
        self.try_get(step)
            .unwrap_or_else(|| panic!("invariant: step {} was evaluated", step.name()))
    }

    /// Entry `k` (row-major, all axes) of `step`'s value, when the evaluation got that far.
    pub fn try_entry(&self, step: Step, k: usize) -> Option<&N> {
        self.try_get(step)?.as_slice()?.get(k)
    }

    /// Entry `k` (row-major, all axes) of `step`'s value. Panics when the evaluation stopped
    /// before it or `k` is out of range (a caller's bug).
    pub fn entry(&self, step: Step, k: usize) -> &N {
        &self
            .get(step)
            .as_slice()
            .expect("invariant: values are built in standard layout")[k]
    }

    /// Sample `n`'s value of a per-sample step: its shape without the sample axis.
    pub fn of_sample(&self, step: Step, n: usize) -> ArrayViewD<'_, N> {
        self.get(step).index_axis(Axis(0), n)
    }

    /// Map (or channel) `m` of sample `n` of a map-shaped step (Z1 ... dC/dZ1, P1, dC/dP1,
    /// dC/dP0): (rows, columns).
    pub fn map_of(&self, step: Step, n: usize, m: usize) -> ArrayView2<'_, N> {
        self.get(step)
            .view()
            .into_dimensionality::<ndarray::Ix4>()
            .expect("invariant: a stack of maps per sample")
            .slice_move(s![n, m, .., ..])
    }

    /// Filter `o`'s matrix over channel `c` of a filter-shaped step (dC/dF1, the updated F1):
    /// (kh, kw).
    pub fn filter(&self, step: Step, o: usize, c: usize) -> ArrayView2<'_, N> {
        self.get(step)
            .view()
            .into_dimensionality::<ndarray::Ix4>()
            .expect("invariant: a filter bank")
            .slice_move(s![o, c, .., ..])
    }

    /// Row `r` of a step with two axes: sample `r`'s S, dC/dS, z2, y_hat or dC/dz2, or class
    /// `r`'s row of dC/dW2 or of the updated W2: (columns).
    pub fn row_of(&self, step: Step, r: usize) -> ndarray::ArrayView1<'_, N> {
        self.get(step)
            .view()
            .into_dimensionality::<ndarray::Ix2>()
            .expect("invariant: a step with two axes")
            .index_axis_move(Axis(0), r)
    }

    /// The first value of a step (the only one of the cost, or of a one-sample loss).
    pub fn scalar(&self, step: Step) -> &N {
        scalar(self.get(step))
    }
}

/// The first value of a tensor (the only one of a scalar).
pub(crate) fn scalar<N>(t: &ArrayD<N>) -> &N {
    t.iter().next().expect("invariant: the tensor has a value")
}

/// The exercise's inputs in the arithmetic of an evaluation.
struct Inputs<N> {
    /// X with its zero padding: (N, c_in, h + 2p, w + 2p).
    x_padded: Array4<N>,
    /// (c_out, c_in, kh, kw).
    f1: Array4<N>,
    /// (c_out).
    b1: Array1<N>,
    /// (k, n).
    w2: Array2<N>,
    /// (k).
    b2: Array1<N>,
    /// Each sample's label (sigmoid) or class (softmax).
    y: Vec<usize>,
    /// What each output is compared with: (N, k), the label (sigmoid) or onehot(y) (softmax).
    targets: Array2<N>,
    lr: N,
    one: N,
    half: N,
    leaky_slope: N,
}

impl<N: Clone> Inputs<N> {
    fn of<A: Arith<N = N>>(problem: &Problem, d: &Dims, arith: &mut A) -> Inputs<N> {
        let p = d.padding;
        let mut x_padded =
            Array4::from_elem((d.samples, d.c_in, d.h + 2 * p, d.w + 2 * p), arith.zero());
        for (n, sample) in problem.samples.iter().enumerate() {
            for ((c, i, j), &v) in sample.x.indexed_iter() {
                x_padded[(n, c, i + p, j + p)] = arith.given(v);
            }
        }
        let f1 = problem.f1.map(|&v| arith.given(v));
        let w2 = problem.w2.map(|&v| arith.given(v));
        let y: Vec<usize> = problem.samples.iter().map(|s| s.y).collect();
        let targets = Array2::from_shape_fn((d.samples, d.k), |(n, k)| match problem.output {
            Output::Sigmoid => arith.given(y[n] as f64),
            Output::Softmax => arith.given(if k == y[n] { 1.0 } else { 0.0 }),
        });
        Inputs {
            x_padded,
            f1,
            b1: problem.b1.map(|&v| arith.given(v)),
            w2,
            b2: problem.b2.map(|&v| arith.given(v)),
            y,
            targets,
            lr: arith.given(problem.lr),
            one: arith.given(1.0),
            half: arith.given(0.5),
            leaky_slope: arith.given(LEAKY_SLOPE),
        }
    }
}

/// Evaluates the chain of `problem` in `arith`, every step up to and including `last`.
/// `reference` holds the exact values when `arith` is not the exact one (see the module docs
/// for what follows them).
pub(crate) fn evaluate<A: Arith>(
    problem: &Problem,
    arith: &mut A,
    reference: Option<&Values<f64>>,
    last: Step,
) -> Result<Values<A::N>> {
    let mut evaluation = Evaluation::new(problem, arith, reference);
    evaluation.advance(arith, last)?;
    Ok(evaluation.values)
}

/// An evaluation of the chain that goes as far as it is asked, step by step: the generator
/// checks Z1 before it pays for the rest.
pub(crate) struct Evaluation<'a, N> {
    problem: &'a Problem,
    d: Dims,
    inputs: Inputs<N>,
    reference: Option<&'a Values<f64>>,
    values: Values<N>,
    /// Index of the next step to evaluate.
    next: usize,
}

impl<'a, N: Clone + PartialOrd> Evaluation<'a, N> {
    /// An evaluation that has computed nothing yet.
    pub(crate) fn new<A: Arith<N = N>>(
        problem: &'a Problem,
        arith: &mut A,
        reference: Option<&'a Values<f64>>,
    ) -> Self {
        let d = Dims::of(problem);
        let inputs = Inputs::of(problem, &d, arith);
        Evaluation {
            problem,
            d,
            inputs,
            reference,
            values: Values::empty(),
            next: 0,
        }
    }

    /// Evaluates every step up to and including `last` that is not evaluated yet.
    pub(crate) fn advance<A: Arith<N = N>>(&mut self, arith: &mut A, last: Step) -> Result<()> {
        while let Some(&step) = Step::ALL.get(self.next).filter(|s| **s <= last) {
            let mut value = Eval {
                d: &self.d,
                problem: self.problem,
                inputs: &self.inputs,
                values: &self.values,
                reference: self.reference,
                mistake: None,
            }
            .step(step, arith);
            arith.at(step, None);
            arith.settle(
                step,
                value
                    .as_slice_memory_order_mut()
                    .expect("invariant: step values are built in standard layout"),
            )?;
            self.values.steps[step.index()] = Some(value);
            self.next += 1;
        }
        Ok(())
    }

    /// The values evaluated so far.
    pub(crate) fn values(&self) -> &Values<N> {
        &self.values
    }

    /// The values evaluated so far, owned.
    pub(crate) fn into_values(self) -> Values<N> {
        self.values
    }

    /// The problem evaluated.
    pub(crate) fn problem(&self) -> &'a Problem {
        self.problem
    }
}

/// Evaluates `problem`'s chain in `arith` the way a grader follows a student: `mistake` (if
/// any) is computed at its steps, and every `given` entry (step, row-major position, value)
/// replaces the computed one once its step is done, so later steps read it. Returns each step's
/// value *as computed* from what it read, before its own given entries replace it. Where `arith`
/// refuses a value the evaluation stops, and that step and the later ones are left out.
pub(crate) fn evaluate_departing<A: Arith>(
    problem: &Problem,
    arith: &mut A,
    mistake: Option<Misconception>,
    given: &[(Step, usize, A::N)],
) -> Values<A::N> {
    let d = Dims::of(problem);
    let inputs = Inputs::of(problem, &d, arith);
    let mut read = Values::empty();
    let mut computed = Values::empty();
    for step in Step::ALL {
        let mut value = Eval {
            d: &d,
            problem,
            inputs: &inputs,
            values: &read,
            reference: None,
            mistake,
        }
        .step(step, arith);
        let layout = "invariant: step values are built in standard layout";
        if arith
            .settle(step, value.as_slice_memory_order_mut().expect(layout))
            .is_err()
        {
            break;
        }
        computed.steps[step.index()] = Some(value.clone());
        let entries = value.as_slice_memory_order_mut().expect(layout);
        for (_, k, v) in given.iter().filter(|(s, _, _)| *s == step) {
            if let Some(entry) = entries.get_mut(*k) {
                *entry = v.clone();
            }
        }
        read.steps[step.index()] = Some(value);
    }
    computed
}

/// What one step's formula may read.
struct Eval<'a, N> {
    d: &'a Dims,
    problem: &'a Problem,
    inputs: &'a Inputs<N>,
    values: &'a Values<N>,
    reference: Option<&'a Values<f64>>,
    /// A misconception computed at its steps in place of the right formula.
    mistake: Option<Misconception>,
}

/// How an SGD step is taken: right, or one of the misconceptions about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sgd {
    /// `theta - lr g`.
    Downhill,
    /// `theta + lr g`.
    Uphill,
    /// `theta - g`.
    WithoutRate,
}

/// A multi-index into a tensor of up to four axes (unused trailing axes are 0).
type Ix = [usize; 4];

/// Builds a step's tensor entry by entry in row-major order, telling `arith` which entry it
/// computes; `entry` gets the entry's multi-index and its row-major position.
fn build<A: Arith>(
    arith: &mut A,
    step: Step,
    shape: IxDyn,
    mut entry: impl FnMut(&mut A, Ix, usize) -> A::N,
) -> ArrayD<A::N> {
    let count = shape.size();
    let mut values = Vec::with_capacity(count);
    let mut ix: Ix = [0; 4];
    for flat in 0..count {
        arith.at(step, Some(flat));
        values.push(entry(arith, ix, flat));
        for axis in (0..shape.ndim()).rev() {
            ix[axis] += 1;
            if ix[axis] < shape[axis] {
                break;
            }
            ix[axis] = 0;
        }
    }
    ArrayD::from_shape_vec(shape, values).expect("invariant: one value per entry")
}

/// A tensor's entries in row-major order (every step's value is built in standard layout).
fn flat<N>(t: &ArrayD<N>) -> &[N] {
    t.as_slice()
        .expect("invariant: step values are in standard layout")
}

/// Top-left corner (row, column) of window (i, j) of a pooling.
pub fn window_origin(i: usize, j: usize, pool: Pool) -> (usize, usize) {
    (i * pool.stride, j * pool.stride)
}

/// Position (row, column) in `a` of the first maximum (row-major) of pooling window (i, j).
pub fn argmax<T: PartialOrd>(
    a: ArrayView2<'_, T>,
    i: usize,
    j: usize,
    pool: Pool,
) -> (usize, usize) {
    let (r0, c0) = window_origin(i, j, pool);
    let mut best = (r0, c0);
    for r in r0..r0 + pool.size {
        for c in c0..c0 + pool.size {
            // Strictly greater: a tie keeps the earlier (row-major) position.
            if a[(r, c)] > a[best] {
                best = (r, c);
            }
        }
    }
    best
}

/// The arg-max of every max-pooling window of every map of every sample: (N, c_out, ph, pw)
/// -> (row, column).
fn routes<T: PartialOrd>(a1: ArrayView4<'_, T>, d: &Dims) -> Array4<(usize, usize)> {
    Array4::from_shape_fn((d.samples, d.c_out, d.ph, d.pw), |(n, o, i, j)| {
        argmax(a1.slice(s![n, o, .., ..]), i, j, d.pool)
    })
}

/// An input's entries in row-major order.
fn slice<N, D: ndarray::Dimension>(t: &ndarray::Array<N, D>) -> &[N] {
    t.as_slice()
        .expect("invariant: inputs are built in standard layout")
}

/// A per-sample stack of maps: (N, maps, rows, columns).
fn view4<N>(t: &ArrayD<N>) -> ArrayView4<'_, N> {
    t.view()
        .into_dimensionality()
        .expect("invariant: a stack of maps per sample")
}

/// A per-sample vector, or a (k, n) matrix: (rows, columns).
fn view2<N>(t: &ArrayD<N>) -> ArrayView2<'_, N> {
    t.view().into_dimensionality().expect("invariant: a matrix")
}

impl<N: Clone + PartialOrd> Eval<'_, N> {
    fn get(&self, step: Step) -> &ArrayD<N> {
        self.values.get(step)
    }

    fn step<A: Arith<N = N>>(&self, step: Step, arith: &mut A) -> ArrayD<N> {
        let shape = self.d.shape(step);
        if let Some(mistake) = self.mistake.filter(|m| m.steps().contains(&step)) {
            return self.mistaken(mistake, step, arith, shape);
        }
        match step {
            Step::Z1 => self.z1(arith, shape, false),
            Step::A1 => self.a1(arith, shape),
            Step::P1 => self.p1(arith, shape),
            Step::S => self.reshape(Step::P1, shape),
            Step::Z2 => self.z2(arith, shape),
            Step::YHat => self.y_hat(arith, shape),
            Step::Loss => self.loss(arith, shape),
            Step::Cost => {
                let losses = flat(self.get(Step::Loss));
                build(arith, step, shape, |a, _, _| {
                    self.batch_mean(a, |_, n| losses[n].clone())
                })
            }
            Step::DZ2 => self.d_z2(arith, shape),
            Step::DW2 => {
                let (s, d_z2) = (view2(self.get(Step::S)), view2(self.get(Step::DZ2)));
                build(arith, step, shape, |a, ix, _| {
                    self.batch_mean(a, |a, n| a.mul(&s[(n, ix[1])], &d_z2[(n, ix[0])]))
                })
            }
            Step::DB2 => {
                let d_z2 = view2(self.get(Step::DZ2));
                build(arith, step, shape, |a, ix, _| {
                    self.batch_mean(a, |_, n| d_z2[(n, ix[0])].clone())
                })
            }
            Step::DS => self.d_s(arith, shape),
            Step::DP1 => self.reshape(Step::DS, shape),
            Step::DA1 => self.d_a1(arith, shape, self.d.pool.kind),
            Step::ActGrad => self.act_grad(arith, shape),
            Step::DZ1 => {
                let (d_a1, act_grad) = (self.get(Step::DA1), self.get(Step::ActGrad));
                // ReLU's derivative is a mask of 0s and 1s (leaky ReLU's of slopes and 1s):
                // multiplying by it is partly a selection. Sigmoid's and tanh's are products.
                let mask = piecewise_derivative(self.problem.activation).is_some();
                let (d_a1, act_grad) = (flat(d_a1), flat(act_grad));
                build(arith, step, shape, |a, _, k| match mask {
                    true => a.mask(&d_a1[k], &act_grad[k]),
                    false => a.mul(&d_a1[k], &act_grad[k]),
                })
            }
            Step::DF1 => self.d_f1(arith, shape),
            Step::DB1 => self.map_sums(arith, step, shape, Step::DZ1),
            Step::DP0 | Step::DP0Padded => self.d_p0(arith, step, shape, Step::DZ1, true),
            Step::W2New | Step::B2New | Step::F1New | Step::B1New => {
                self.update(arith, step, shape, Sgd::Downhill)
            }
        }
    }

    /// The step computed as `mistake` computes it (see [`Misconception`]).
    fn mistaken<A: Arith<N = N>>(
        &self,
        mistake: Misconception,
        step: Step,
        arith: &mut A,
        shape: IxDyn,
    ) -> ArrayD<N> {
        use Misconception as M;
        match mistake {
            M::FlippedKernel => self.z1(arith, shape, true),
            M::Log10Loss => {
                let loss = self.loss(arith, shape.clone());
                let log10_e = arith.given(std::f64::consts::LOG10_E);
                let loss = flat(&loss);
                build(arith, step, shape, |a, _, k| a.mul(&loss[k], &log10_e))
            }
            M::SigmoidDerivativeTwice => {
                let y_hat = flat(self.get(Step::YHat));
                let targets = slice(&self.inputs.targets);
                build(arith, step, shape, |a, _, k| {
                    self.output_error(a, Loss::Mse, &y_hat[k], &targets[k])
                })
            }
            M::OutputInsteadOfError => {
                // The "error" of each output with y_hat in place of y_hat - y (- onehot(y)).
                let y_hat = flat(self.get(Step::YHat));
                arith.at(step, None);
                let zero = arith.zero();
                let errors: Vec<N> = y_hat
                    .iter()
                    .map(|y_hat| self.output_error(arith, self.problem.loss, y_hat, &zero))
                    .collect();
                self.d_s_of(arith, shape, &errors)
            }
            M::PoolSpread => self.d_a1(arith, shape, PoolKind::Avg),
            M::NoActivationDerivative => self.reshape(Step::DA1, shape),
            M::BiasFromPooled => self.map_sums(arith, step, shape, Step::DP1),
            M::UpdateSign => self.update(arith, step, shape, Sgd::Uphill),
            M::NoLearningRate => self.update(arith, step, shape, Sgd::WithoutRate),
            M::InputGradientFromZ1 => self.d_p0(arith, step, shape, Step::Z1, true),
            M::InputGradientUnrotated => self.d_p0(arith, step, shape, Step::DZ1, false),
        }
    }

    /// The same entries in a new shape (flatten P1, reshape dC/dS, dC/dB2 = dC/dz2).
    fn reshape(&self, from: Step, shape: IxDyn) -> ArrayD<N> {
        let entries: Vec<N> = self.get(from).iter().cloned().collect();
        ArrayD::from_shape_vec(shape, entries).expect("invariant: as many entries")
    }

    /// `(1/N) sum over the samples n of term(n)`, the batch mean a parameter's gradient is; with
    /// one sample the term itself, with no arithmetic added.
    fn batch_mean<A: Arith<N = N>>(
        &self,
        a: &mut A,
        mut term: impl FnMut(&mut A, usize) -> N,
    ) -> N {
        if self.d.samples == 1 {
            return term(a, 0);
        }
        let mut sum = a.zero();
        for n in 0..self.d.samples {
            let t = term(a, n);
            sum = a.add(&sum, &t);
        }
        a.share(&sum, self.d.samples)
    }

    /// `Z1[n,o,i,j] = (sum over c, a, b of Xpad[n, c, i s + a, j s + b] F1[o,c,a,b]) + B1[o]`;
    /// with `flipped`, F1 rotated by 180 degrees (a true convolution, the misconception).
    fn z1<A: Arith<N = N>>(&self, arith: &mut A, shape: IxDyn, flipped: bool) -> ArrayD<N> {
        let (d, inp) = (self.d, self.inputs);
        build(arith, Step::Z1, shape, |a, ix, _| {
            let (n, o, i, j) = (ix[0], ix[1], ix[2], ix[3]);
            let mut sum = a.zero();
            for c in 0..d.c_in {
                for r in 0..d.kh {
                    for q in 0..d.kw {
                        let x = &inp.x_padded[(n, c, i * d.stride + r, j * d.stride + q)];
                        let tap = match flipped {
                            false => (o, c, r, q),
                            true => (o, c, d.kh - 1 - r, d.kw - 1 - q),
                        };
                        let t = a.mul(x, &inp.f1[tap]);
                        sum = a.add(&sum, &t);
                    }
                }
            }
            a.add(&sum, &inp.b1[o])
        })
    }

    fn a1<A: Arith<N = N>>(&self, arith: &mut A, shape: IxDyn) -> ArrayD<N> {
        let z1 = self.get(Step::Z1);
        let act = self.problem.activation;
        let slope = &self.inputs.leaky_slope;
        let z1 = flat(z1);
        build(arith, Step::A1, shape, |a, _, k| {
            let z = &z1[k];
            match act {
                Activation::Relu => a.relu(z),
                Activation::LeakyRelu if *z > a.zero() => z.clone(),
                Activation::LeakyRelu => a.mul(slope, z),
                Activation::Sigmoid => a.sigmoid(z),
                Activation::Tanh => a.tanh(z),
            }
        })
    }

    /// Max: the window's maximum; average: its mean; each map of each sample.
    fn p1<A: Arith<N = N>>(&self, arith: &mut A, shape: IxDyn) -> ArrayD<N> {
        let a1 = view4(self.get(Step::A1));
        let pool = self.d.pool;
        build(arith, Step::P1, shape, |a, ix, _| {
            let map = a1.slice(s![ix[0], ix[1], .., ..]);
            match pool.kind {
                PoolKind::Max => map[argmax(map, ix[2], ix[3], pool)].clone(),
                PoolKind::Avg => {
                    let (r, c) = window_origin(ix[2], ix[3], pool);
                    a.mean(map.slice(s![r..r + pool.size, c..c + pool.size]))
                }
            }
        })
    }

    /// `z2[n,k] = W2[k] . S[n] + B2[k]`.
    fn z2<A: Arith<N = N>>(&self, arith: &mut A, shape: IxDyn) -> ArrayD<N> {
        let s = view2(self.get(Step::S));
        let (w2, b2) = (&self.inputs.w2, &self.inputs.b2);
        build(arith, Step::Z2, shape, |a, ix, _| {
            let dot = a.dot(w2.row(ix[1]), s.row(ix[0]));
            a.add(&dot, &b2[ix[1]])
        })
    }

    /// Sigmoid of each output, or the softmax of each sample's outputs.
    fn y_hat<A: Arith<N = N>>(&self, arith: &mut A, shape: IxDyn) -> ArrayD<N> {
        let z2 = view2(self.get(Step::Z2));
        match self.problem.output {
            Output::Sigmoid => {
                let z2 = flat(self.get(Step::Z2));
                build(arith, Step::YHat, shape, |a, _, k| a.sigmoid(&z2[k]))
            }
            Output::Softmax => {
                // The exponentials and their sum are shared by a sample's outputs.
                arith.at(Step::YHat, None);
                let rows: Vec<Vec<N>> = z2
                    .rows()
                    .into_iter()
                    .map(|row| arith.softmax(&row.to_vec()))
                    .collect();
                build(arith, Step::YHat, shape, |_, ix, _| {
                    rows[ix[0]][ix[1]].clone()
                })
            }
        }
    }

    /// Each sample's loss.
    fn loss<A: Arith<N = N>>(&self, arith: &mut A, shape: IxDyn) -> ArrayD<N> {
        let (z2, y_hat) = (view2(self.get(Step::Z2)), view2(self.get(Step::YHat)));
        let inp = self.inputs;
        let reference = self.reference;
        // ln(0) of a shown y_hat: the exact loss, rounded (see the module docs).
        let fallback = |a: &mut A, n: usize| {
            let exact = reference.map_or(f64::NAN, |r| r.get(Step::Loss)[[n]]);
            a.given(exact)
        };
        build(arith, Step::Loss, shape, |a, ix, _| {
            let n = ix[0];
            match self.problem.loss {
                Loss::Bce => {
                    let label = u8::try_from(inp.y[n]).expect("invariant: a binary label");
                    a.bce(&z2[(n, 0)], &y_hat[(n, 0)], label)
                        .unwrap_or_else(|| fallback(a, n))
                }
                Loss::Mse => {
                    let error = a.sub(&y_hat[(n, 0)], &inp.targets[(n, 0)]);
                    let square = a.mul(&error, &error);
                    a.mul(&inp.half, &square)
                }
                Loss::Ce => {
                    let (z, p) = (z2.row(n).to_vec(), y_hat.row(n).to_vec());
                    a.ce(&z, &p, inp.y[n]).unwrap_or_else(|| fallback(a, n))
                }
            }
        })
    }

    /// dC^n/dz2 for each output of each sample.
    fn d_z2<A: Arith<N = N>>(&self, arith: &mut A, shape: IxDyn) -> ArrayD<N> {
        let y_hat = flat(self.get(Step::YHat));
        let targets = slice(&self.inputs.targets);
        build(arith, Step::DZ2, shape, |a, _, k| {
            self.output_error(a, self.problem.loss, &y_hat[k], &targets[k])
        })
    }

    /// dC/dz2 of one output under `loss` with target `y` (the label, or onehot(y)'s entry):
    /// BCE and CE (the softmax's Jacobian collapses) `y_hat - y`; MSE `(y_hat - y) y_hat
    /// (1 - y_hat)`. (Misconceptions read it with another loss or y = 0.)
    fn output_error<A: Arith<N = N>>(&self, a: &mut A, loss: Loss, y_hat: &N, y: &N) -> N {
        let error = a.sub(y_hat, y);
        match loss {
            Loss::Bce | Loss::Ce => error,
            Loss::Mse => {
                let scaled = a.mul(&error, y_hat);
                let rest = a.sub(&self.inputs.one, y_hat);
                a.mul(&scaled, &rest)
            }
        }
    }

    /// `dC^n/dS[n,i] = sum over k of W2[k,i] dC^n/dz2[n,k]` (one product for one output).
    fn d_s<A: Arith<N = N>>(&self, arith: &mut A, shape: IxDyn) -> ArrayD<N> {
        let d_z2 = flat(self.get(Step::DZ2));
        self.d_s_of(arith, shape, d_z2)
    }

    /// `sum over k of W2[k,i] errors[n,k]`, dC/dS from the outputs' `errors` (N x k, row-major).
    fn d_s_of<A: Arith<N = N>>(&self, arith: &mut A, shape: IxDyn, d_z2: &[N]) -> ArrayD<N> {
        let w2 = &self.inputs.w2;
        let k = self.d.k;
        build(arith, Step::DS, shape, |a, ix, _| {
            let (n, i) = (ix[0], ix[1]);
            let mut total = a.mul(&w2[(0, i)], &d_z2[n * k]);
            for out in 1..k {
                let t = a.mul(&w2[(out, i)], &d_z2[n * k + out]);
                total = a.add(&total, &t);
            }
            total
        })
    }

    /// Max: each entry of dC/dP1 goes to its own window's (exact) arg-max; average: each entry,
    /// divided by the window size, to every entry of its window. Overlapping windows add up, in
    /// window order. `kind` is the pooling's own, or average for the misconception.
    fn d_a1<A: Arith<N = N>>(&self, arith: &mut A, shape: IxDyn, kind: PoolKind) -> ArrayD<N> {
        let d = self.d;
        let pool = Pool { kind, ..d.pool };
        let d_p1 = view4(self.get(Step::DP1));
        let routes = match (pool.kind, self.reference) {
            (PoolKind::Avg, _) => None,
            (PoolKind::Max, Some(exact)) => Some(routes(view4(exact.get(Step::A1)), d)),
            (PoolKind::Max, None) => Some(routes(view4(self.get(Step::A1)), d)),
        };
        // Average pooling: every window's share, once per window.
        arith.at(Step::DA1, None);
        let shares = match pool.kind {
            PoolKind::Avg => Some(d_p1.map(|g| arith.share(g, pool.size * pool.size))),
            PoolKind::Max => None,
        };
        build(arith, Step::DA1, shape, |a, ix, _| {
            let (n, o, r, c) = (ix[0], ix[1], ix[2], ix[3]);
            let mut parts = Vec::new();
            for i in 0..d.ph {
                for j in 0..d.pw {
                    let (r0, c0) = window_origin(i, j, pool);
                    let hit = match &routes {
                        Some(routes) => routes[(n, o, i, j)] == (r, c),
                        None => {
                            (r0..r0 + pool.size).contains(&r) && (c0..c0 + pool.size).contains(&c)
                        }
                    };
                    if hit {
                        parts.push(match &shares {
                            Some(shares) => shares[(n, o, i, j)].clone(),
                            None => d_p1[(n, o, i, j)].clone(),
                        });
                    }
                }
            }
            a.sum_from_zero(&parts)
        })
    }

    /// ReLU and leaky ReLU by the sign of Z1; sigmoid as `A1 (1 - A1)`, tanh as `1 - A1^2`.
    fn act_grad<A: Arith<N = N>>(&self, arith: &mut A, shape: IxDyn) -> ArrayD<N> {
        let (z1, a1) = (self.get(Step::Z1), self.get(Step::A1));
        let inp = self.inputs;
        let act = self.problem.activation;
        let pieces =
            piecewise_derivative(act).map(|(up, down)| (arith.given(up), arith.given(down)));
        let (z1, a1) = (flat(z1), flat(a1));
        build(arith, Step::ActGrad, shape, |a, _, k| {
            if let Some((up, down)) = &pieces {
                return if z1[k] > a.zero() {
                    up.clone()
                } else {
                    down.clone()
                };
            }
            match act {
                Activation::Relu | Activation::LeakyRelu => {
                    unreachable!("invariant: piecewise_derivative covers ReLU and leaky ReLU")
                }
                Activation::Sigmoid => {
                    let rest = a.sub(&inp.one, &a1[k]);
                    a.mul(&a1[k], &rest)
                }
                Activation::Tanh => {
                    let square = a.mul(&a1[k], &a1[k]);
                    a.sub(&inp.one, &square)
                }
            }
        })
    }

    /// `dC/dF1[o,c,a,b] = (1/N) sum over n, i, j of Xpad[n, c, i s + a, j s + b]
    /// dC^n/dZ1[n,o,i,j]`: only the rows and columns of the input that the forward pass read take
    /// part.
    fn d_f1<A: Arith<N = N>>(&self, arith: &mut A, shape: IxDyn) -> ArrayD<N> {
        let d = self.d;
        let d_z1 = view4(self.get(Step::DZ1));
        let x = &self.inputs.x_padded;
        build(arith, Step::DF1, shape, |a, ix, _| {
            let (o, c, r, q) = (ix[0], ix[1], ix[2], ix[3]);
            let mut sum = a.zero();
            for n in 0..d.samples {
                for i in 0..d.oh {
                    for j in 0..d.ow {
                        let g = &d_z1[(n, o, i, j)];
                        let t = a.mul(&x[(n, c, i * d.stride + r, j * d.stride + q)], g);
                        sum = a.add(&sum, &t);
                    }
                }
            }
            match d.samples {
                1 => sum,
                samples => a.share(&sum, samples),
            }
        })
    }

    /// Per map o: `(1/N) sum over n of (the sum of the entries of source[n, o])`; dC/dB1 from
    /// dC/dZ1 (or, the misconception, from dC/dP1).
    fn map_sums<A: Arith<N = N>>(
        &self,
        arith: &mut A,
        step: Step,
        shape: IxDyn,
        source: Step,
    ) -> ArrayD<N> {
        let maps = view4(self.get(source));
        build(arith, step, shape, |a, ix, _| {
            self.batch_mean(a, |a, n| {
                let map = maps.slice(s![n, ix[0], .., ..]);
                a.sum(map.as_slice().expect("invariant: maps are contiguous"))
            })
        })
    }

    /// dC^n/dP0 (or, for [`Step::DP0Padded`], dC^n/d(padded X)) entry by entry: every output
    /// position whose window covers the input entry contributes `F1[tap] dC/dZ1`, maps and
    /// positions in row-major order. This is row `r` of the transposed convolution matrix times
    /// vec(dC/dZ1), and equals, per input channel, the sum over the maps of the full
    /// convolutions of the dilated, framed dC/dZ1 with F1 rotated by 180 degrees. The
    /// misconceptions read `source` = Z1 in place of dC/dZ1, or the filter not `rotated` (the
    /// tap mirrored).
    fn d_p0<A: Arith<N = N>>(
        &self,
        arith: &mut A,
        step: Step,
        shape: IxDyn,
        source: Step,
        rotated: bool,
    ) -> ArrayD<N> {
        let d = self.d;
        let d_z1 = view4(self.get(source));
        let f1 = &self.inputs.f1;
        let p = d.padding;
        // dC/dP0 skips the padding on every side.
        let crop = if step == Step::DP0 { p } else { 0 };
        // Over the padded input, the entries inside it are dC/dP0's, already computed.
        let inner = (step == Step::DP0Padded).then(|| view4(self.get(Step::DP0)));
        build(arith, step, shape, |a, ix, _| {
            let (n, c, r, q) = (ix[0], ix[1], ix[2] + crop, ix[3] + crop);
            if let Some(inner) = &inner {
                if (p..p + d.h).contains(&r) && (p..p + d.w).contains(&q) {
                    return inner[(n, c, r - p, q - p)].clone();
                }
            }
            let mut sum = a.zero();
            for o in 0..d.c_out {
                for i in 0..d.oh {
                    for j in 0..d.ow {
                        let (tr, tq) = (r.checked_sub(i * d.stride), q.checked_sub(j * d.stride));
                        if let (Some(tr), Some(tq)) = (tr, tq) {
                            if tr < d.kh && tq < d.kw {
                                let tap = match rotated {
                                    true => (o, c, tr, tq),
                                    false => (o, c, d.kh - 1 - tr, d.kw - 1 - tq),
                                };
                                let t = a.mul(&f1[tap], &d_z1[(n, o, i, j)]);
                                sum = a.add(&sum, &t);
                            }
                        }
                    }
                }
            }
            sum
        })
    }

    /// `theta - lr dC/dtheta`, every gradient taken at the original parameters (or as `sgd`
    /// says for the misconceptions).
    fn update<A: Arith<N = N>>(
        &self,
        arith: &mut A,
        step: Step,
        shape: IxDyn,
        sgd: Sgd,
    ) -> ArrayD<N> {
        let inp = self.inputs;
        // The parameter's entries in row-major order, and its gradient.
        let (theta, gradient) = match step {
            Step::W2New => (slice(&inp.w2), Step::DW2),
            Step::B2New => (slice(&inp.b2), Step::DB2),
            Step::F1New => (slice(&inp.f1), Step::DF1),
            _ => (slice(&inp.b1), Step::DB1),
        };
        let g = flat(self.get(gradient));
        let lr = &inp.lr;
        // Vectors and matrices are updated as `theta - g lr`, biases as `theta - lr g`: the
        // order the exact solver has always multiplied in (f64 products commute, but the
        // historical bits are kept on purpose).
        let bias = matches!(step, Step::B2New | Step::B1New);
        build(arith, step, shape, |a, _, k| {
            let step_size = match (sgd, bias) {
                (Sgd::WithoutRate, _) => g[k].clone(),
                (_, true) => a.mul(lr, &g[k]),
                (_, false) => a.mul(&g[k], lr),
            };
            match sgd {
                Sgd::Uphill => a.add(&theta[k], &step_size),
                Sgd::Downhill | Sgd::WithoutRate => a.sub(&theta[k], &step_size),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::arith::Exact;
    use crate::spec::fixtures::task_3_1;

    #[test]
    fn task_3_1_is_evaluated_to_the_hand_computed_values() {
        let values = evaluate(&task_3_1(), &mut Exact, None, Step::B1New).unwrap();
        // Z1[0][0] = 2*0.5 + 0*1 + 0*0 + 4*(-0.5) - 1 = -2; z2 = -0.6 (the original forgot B2).
        assert_eq!(values.map_of(Step::Z1, 0, 0)[(0, 0)], -2.0);
        assert!((values.scalar(Step::Z2) + 0.6).abs() < 1e-12);
        assert_eq!(values.get(Step::Loss).shape(), &[1]);
        assert_eq!(values.scalar(Step::Cost), values.scalar(Step::Loss));
        assert_eq!(values.get(Step::DW2).shape(), &[1, 4]);
    }

    #[test]
    fn evaluation_stops_after_the_last_step_asked_for() {
        let values = evaluate(&task_3_1(), &mut Exact, None, Step::Loss).unwrap();
        assert!(values.try_get(Step::Loss).is_some());
        assert!(values.try_get(Step::DZ2).is_none());
    }
}
