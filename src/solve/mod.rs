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

use ndarray::{Array1, Array2};
use serde::Serialize;

pub use chain::{argmax, piecewise_derivative, value_shape, window_origin, Values, LEAKY_SLOPE};
use step::Step;

use crate::error::Result;
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

/// A problem with its complete exact solution: the `solve --format json` contract (with the
/// shown values added by [`shown::Shown`]).
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
    /// Every step's exact value, for the shown values and the workload.
    #[serde(skip)]
    pub values: Values<f64>,
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

/// Solves a validated problem exactly (in f64). Fails, naming the step, when a value is not a
/// finite number.
pub fn solve(problem: &Problem) -> Result<Solution> {
    let values = chain::evaluate(problem, &mut arith::Exact, None, Step::B1New)?;
    Ok(solution_of(problem, values))
}

/// The solution with the exact `values` of every step of `problem`'s chain.
fn solution_of(problem: &Problem, values: Values<f64>) -> Solution {
    Solution {
        problem: problem.clone(),
        forward: Forward {
            z1: values.map0(Step::Z1).to_owned(),
            a1: values.map0(Step::A1).to_owned(),
            p1: values.map0(Step::P1).to_owned(),
            s: values.vector(Step::S).to_owned(),
            z2: *values.scalar(Step::Z2),
            y_hat: *values.scalar(Step::YHat),
            loss: *values.scalar(Step::Loss),
        },
        backward: Backward {
            d_z2: *values.scalar(Step::DZ2),
            d_w2: values.vector(Step::DW2).to_owned(),
            d_b2: *values.scalar(Step::DB2),
            d_s: values.vector(Step::DS).to_owned(),
            d_p1: values.map0(Step::DP1).to_owned(),
            d_a1: values.map0(Step::DA1).to_owned(),
            d_z1: values.map0(Step::DZ1).to_owned(),
            d_f1: values.filter0(Step::DF1).to_owned(),
            d_b1: *values.scalar(Step::DB1),
            d_p0: values.map0(Step::DP0).to_owned(),
            conv_matrix: conv::conv_matrix(
                problem.x.dim(),
                &problem.f1,
                problem.conv.stride,
                problem.conv.padding,
            ),
        },
        update: Update {
            w2: values.vector(Step::W2New).to_owned(),
            b2: *values.scalar(Step::B2New),
            f1: values.filter0(Step::F1New).to_owned(),
            b1: *values.scalar(Step::B1New),
        },
        values,
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
