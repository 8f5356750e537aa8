//! The solver: forward pass, loss, every gradient, the convolution matrix and the SGD update
//! for one [`Problem`]. The chain of steps is defined once ([`step`] names them, `chain` holds
//! their formulas) and evaluated in three arithmetics: exactly in f64 ([`solve`], the JSON
//! contract), as the stepwise worked solution shows it in exact decimals ([`shown`]), and as
//! counted work ([`workload`]). Pure: no randomness, no templates, no I/O.

mod arith;
mod chain;
pub mod conv;
pub mod misconception;
pub mod shown;
pub mod step;
pub mod tolerance;
pub mod workload;

use ndarray::{Array2, ArrayD, ArrayViewD, Axis};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

pub use chain::{argmax, piecewise_derivative, value_shape, window_origin, Values, LEAKY_SLOPE};
use step::Step;

use crate::error::Result;
use crate::spec::{FilterForm, Output, Problem};

/// A problem with its complete exact solution. Its JSON form (`Serialize`, [`Solution::to_json`])
/// is the `solve --format json` contract (with the shown values added by [`shown::Shown`]):
/// `problem`, `forward` (one object, or a list with one per sample of a mini-batch), `cost` (a
/// mini-batch's mean loss), `backward` and `update`, every value in the shape the exercise file
/// writes (see [`written`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Solution {
    /// The exercise.
    pub problem: Problem,
    /// Every step's exact value, with all the chain's axes.
    pub values: Values<f64>,
    /// M with vec(Z1) = M vec(X) + B1 for one sample: (c_out * out_h * out_w, c_in * h * w),
    /// row-major vecs, channel by channel and map by map. Its transpose is the "transposed
    /// convolution matrix".
    pub conv_matrix: Array2<f64>,
}

impl Solution {
    /// The JSON contract without shown values: pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        // Sized for Task 3.1's 9 KB at once: growing from empty copied it a dozen times.
        let mut text = Vec::with_capacity(16 * 1024);
        serde_json::to_writer_pretty(&mut text, self)
            .expect("invariant: a solution serialises to JSON");
        text.push(b'\n');
        String::from_utf8(text).expect("invariant: serde_json writes UTF-8")
    }
}

/// The JSON keys of the forward pass, in contract order.
pub(crate) const FORWARD: &[(&str, Step)] = &[
    ("z1", Step::Z1),
    ("a1", Step::A1),
    ("p1", Step::P1),
    ("s", Step::S),
    ("z2", Step::Z2),
    ("y_hat", Step::YHat),
    ("loss", Step::Loss),
];

/// The JSON keys of the backward pass (each names the K of dC/dK; `x` is dC/dP0), in contract
/// order.
pub(crate) const BACKWARD: &[(&str, Step)] = &[
    ("z2", Step::DZ2),
    ("w2", Step::DW2),
    ("b2", Step::DB2),
    ("s", Step::DS),
    ("p1", Step::DP1),
    ("a1", Step::DA1),
    ("z1", Step::DZ1),
    ("f1", Step::DF1),
    ("b1", Step::DB1),
    ("x", Step::DP0),
];

/// The JSON keys of the update, in contract order.
pub(crate) const UPDATE: &[(&str, Step)] = &[
    ("w2", Step::W2New),
    ("b2", Step::B2New),
    ("f1", Step::F1New),
    ("b1", Step::B1New),
];

/// One value of `step` (one sample's, for a per-sample step: `value` has no sample axis) in the
/// shape the exercise file writes: a map axis only where `f1` is written with a filter axis, a
/// channel axis only where `x` is a list of channels, a number for a sigmoid's one output, W2 a
/// list for sigmoid, F1 and B1 as written.
pub fn written<N: Clone>(problem: &Problem, step: Step, value: ArrayViewD<'_, N>) -> ArrayD<N> {
    let w = problem.written;
    let sigmoid = problem.output == Output::Sigmoid;
    // Each axis to drop (it has one entry), outermost first.
    let drop: &[usize] = match step {
        Step::Z1 | Step::A1 | Step::P1 | Step::DP1 | Step::DA1 | Step::ActGrad | Step::DZ1
            if !w.maps() =>
        {
            &[0]
        }
        Step::DP0 | Step::DP0Padded if !w.channels => &[0],
        Step::Z2 | Step::YHat | Step::DZ2 | Step::DB2 | Step::B2New if sigmoid => &[0],
        Step::DW2 | Step::W2New if sigmoid => &[0],
        Step::DF1 | Step::F1New => match w.filters {
            FilterForm::Matrix => &[0, 0],
            FilterForm::List => &[1],
            FilterForm::Bank => &[],
        },
        Step::DB1 | Step::B1New if !w.b1_list => &[0],
        _ => &[],
    };
    let mut v = value;
    for &axis in drop {
        v = v.index_axis_move(Axis(axis), 0);
    }
    v.to_owned()
}

/// A tensor as JSON: nested lists, a 0-d tensor as its one value.
pub(crate) fn json_tree<N>(a: ArrayViewD<'_, N>, leaf: &dyn Fn(&N) -> Value) -> Value {
    if a.ndim() == 0 {
        return leaf(
            a.iter()
                .next()
                .expect("invariant: a 0-d tensor has a value"),
        );
    }
    Value::Array(a.outer_iter().map(|sub| json_tree(sub, leaf)).collect())
}

/// The JSON value of `step` in the contract: [`written`] for a step of the whole batch; for a
/// per-sample step, sample `sample`'s, or (`None`) every sample's: the one value, or a list with
/// one per sample of a mini-batch.
pub(crate) fn step_json<N: Clone>(
    problem: &Problem,
    values: &Values<N>,
    step: Step,
    sample: Option<usize>,
    leaf: &dyn Fn(&N) -> Value,
) -> Value {
    let value = values.get(step);
    if !step.per_sample() {
        return json_tree(written(problem, step, value.view()).view(), leaf);
    }
    let one = |n: usize| {
        json_tree(
            written(problem, step, value.index_axis(Axis(0), n)).view(),
            leaf,
        )
    };
    match (sample, problem.written.batch) {
        (Some(n), _) => one(n),
        (None, false) => one(0),
        (None, true) => Value::Array((0..problem.samples.len()).map(one).collect()),
    }
}

/// The `forward` object of the contract: one object, or for a mini-batch a list with one per
/// sample, keys in contract order.
pub(crate) fn forward_json<N: Clone>(
    problem: &Problem,
    values: &Values<N>,
    leaf: &dyn Fn(&N) -> Value,
) -> Vec<Vec<(&'static str, Value)>> {
    (0..problem.samples.len())
        .map(|n| {
            FORWARD
                .iter()
                .map(|(key, step)| (*key, step_json(problem, values, *step, Some(n), leaf)))
                .collect()
        })
        .collect()
}

/// A JSON object with its keys in the order given.
struct Ordered<'a>(&'a [(&'static str, Value)]);

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl Serialize for Solution {
    /// `problem`, `forward`, `cost` (mini-batch only), `backward` (with `conv_matrix`),
    /// `update`.
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let problem = &self.problem;
        let leaf = |x: &f64| Value::from(*x);
        let group = |steps: &[(&'static str, Step)]| -> Vec<(&'static str, Value)> {
            steps
                .iter()
                .map(|(key, step)| (*key, step_json(problem, &self.values, *step, None, &leaf)))
                .collect()
        };
        let forward = forward_json(problem, &self.values, &leaf);
        let mut backward = group(BACKWARD);
        backward.push((
            "conv_matrix",
            json_tree(self.conv_matrix.view().into_dyn(), &leaf),
        ));
        let update = group(UPDATE);
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("problem", problem)?;
        match problem.written.batch {
            true => {
                let list: Vec<Ordered<'_>> = forward.iter().map(|f| Ordered(f)).collect();
                map.serialize_entry("forward", &list)?;
                map.serialize_entry("cost", self.values.scalar(Step::Cost))?;
            }
            false => map.serialize_entry("forward", &Ordered(&forward[0]))?,
        }
        map.serialize_entry("backward", &Ordered(&backward))?;
        map.serialize_entry("update", &Ordered(&update))?;
        map.end()
    }
}

/// Solves a validated problem exactly (in f64). Fails, naming the step, when a value is not a
/// finite number.
pub fn solve(problem: &Problem) -> Result<Solution> {
    let values = chain::evaluate(problem, &mut arith::Exact, None, Step::B1New)?;
    Ok(solution_of(problem, values))
}

/// The solution with the exact `values` of every step of `problem`'s chain.
fn solution_of(problem: &Problem, values: Values<f64>) -> Solution {
    let (_, h, w) = problem.samples[0].x.dim();
    Solution {
        problem: problem.clone(),
        values,
        conv_matrix: conv::conv_matrix(
            (h, w),
            &problem.f1,
            problem.conv.stride,
            problem.conv.padding,
        ),
    }
}

/// The chain of `problem` as a grader follows a student's own numbers: `mistake` (if any)
/// computed at its steps, every `given` entry (step, row-major position, value) put in place of
/// the computed one once its step is done. Each step's value is the one computed from what it
/// read, before its own given entries replace it; a step whose value is not a finite number, and
/// every later one, is left out ([`Values::try_get`] gives `None`).
pub fn follow(
    problem: &Problem,
    mistake: Option<misconception::Misconception>,
    given: &[(Step, usize, f64)],
) -> Values<f64> {
    chain::evaluate_departing(problem, &mut arith::Regraded, mistake, given)
}

/// The exact values of a problem's chain, evaluated only as far as asked: the generator's rules
/// check the convolution before they pay for the rest.
pub struct Partial<'a>(chain::Evaluation<'a, f64>);

impl<'a> Partial<'a> {
    /// Nothing evaluated yet.
    pub fn new(problem: &'a Problem) -> Self {
        Partial(chain::Evaluation::new(problem, &mut arith::Exact, None))
    }

    /// The exact values of every step up to and including `last`. Fails, naming the step,
    /// when a value is not a finite number.
    pub fn until(&mut self, last: Step) -> Result<&Values<f64>> {
        self.0.advance(&mut arith::Exact, last)?;
        Ok(self.0.values())
    }

    /// The whole solution, evaluating what is left of the chain.
    pub fn into_solution(mut self) -> Result<Solution> {
        self.0.advance(&mut arith::Exact, Step::B1New)?;
        let problem = self.0.problem();
        Ok(solution_of(problem, self.0.into_values()))
    }
}
