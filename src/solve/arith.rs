//! The arithmetic a chain of steps is evaluated in. Every step's formula (in `chain`) is written
//! once against [`Arith`]; the number type decides what "+" means:
//!
//! - [`Exact`]: f64, the solver's exact values (and the JSON contract). Sums and means use the
//!   summation order of ndarray, which the solver used before the chain existed, so the exact
//!   values are bit-for-bit those of every earlier version.
//! - [`Stepwise`]: exact decimal arithmetic (`rust_decimal`), each step rounded half away from
//!   zero to D decimals when it is finished: what a student with a calculator writes down.
//!   `+ - *` are exact (an operation that would lose a digit is an error, never a silent
//!   rounding), with one exception that cannot change a shown digit: a product with more than
//!   28 decimals (the half squared error's (y_hat - y) y_hat (1 - y_hat) at 10 decimals has 30)
//!   is rounded to odd at 28 decimals, which rounds to the shown decimals exactly as the exact
//!   product would, and must be the step's value; a pooling window's mean and share divide at
//!   20 decimals; exp and ln are evaluated to about 27 digits before the step's value is
//!   rounded.
//! - `workload::Count`: f64 values that count the multiplications, additions and function
//!   evaluations a student performs.

use std::fmt;
use std::str::FromStr;

use ndarray::{ArrayView1, ArrayView2};
use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};

use super::step::Step;
use crate::error::{Error, Result};

/// Numbers and operations for evaluating the chain. See the module docs for the three kinds.
pub(crate) trait Arith {
    /// The number type.
    type N: Clone + PartialOrd + fmt::Debug;

    /// An input of the exercise, exactly as written (the shortest decimal that reads back as
    /// `x`).
    fn given(&mut self, x: f64) -> Self::N;
    /// 0.
    fn zero(&self) -> Self::N;
    /// `a + b`.
    fn add(&mut self, a: &Self::N, b: &Self::N) -> Self::N;
    /// `a - b`.
    fn sub(&mut self, a: &Self::N, b: &Self::N) -> Self::N;
    /// `a * b`.
    fn mul(&mut self, a: &Self::N, b: &Self::N) -> Self::N;
    /// `a * m` where `m` is the activation's derivative: a selection, not arithmetic, when `m` is
    /// 0 or 1 (the ReLU mask). The value is the product either way.
    fn mask(&mut self, a: &Self::N, m: &Self::N) -> Self::N {
        self.mul(a, m)
    }
    /// `((0 + t1) + t2) + ...`, in order.
    fn sum_from_zero(&mut self, terms: &[Self::N]) -> Self::N {
        let mut sum = self.zero();
        for t in terms {
            sum = self.add(&sum, t);
        }
        sum
    }
    /// `sum_i a_i b_i` (f64: in ndarray's dot order).
    fn dot(&mut self, a: ArrayView1<'_, Self::N>, b: ArrayView1<'_, Self::N>) -> Self::N;
    /// `sum_i a_i` of a row-major block (f64: in ndarray's sum order).
    fn sum(&mut self, a: &[Self::N]) -> Self::N;
    /// The mean of a pooling window (f64: ndarray's mean).
    fn mean(&mut self, window: ArrayView2<'_, Self::N>) -> Self::N;
    /// `a / n` for the `n` entries of a pooling window (f64: `a * (1/n)`).
    fn share(&mut self, a: &Self::N, n: usize) -> Self::N;
    /// max(0, z).
    fn relu(&mut self, z: &Self::N) -> Self::N;
    /// 1 / (1 + e^-z).
    fn sigmoid(&mut self, z: &Self::N) -> Self::N;
    /// tanh(z).
    fn tanh(&mut self, z: &Self::N) -> Self::N;
    /// Binary cross-entropy of label `y`, from what the step reads: the output's pre-activation
    /// `z2` and `y_hat`. `None` when it cannot be evaluated from them (ln 0 of a shown y_hat of
    /// exactly 0 or 1).
    fn bce(&mut self, z2: &Self::N, y_hat: &Self::N, y: u8) -> Option<Self::N>;
    /// The softmax of one sample's outputs `z`: e^{z_k} / sum over j of e^{z_j}, every entry,
    /// evaluated without overflow.
    fn softmax(&mut self, z: &[Self::N]) -> Vec<Self::N>;
    /// Cross-entropy -ln y_hat[y] of class `y`, from what the step reads: the outputs'
    /// pre-activations `z2` and `y_hat`. `None` when it cannot be evaluated from them (ln 0 of
    /// a shown y_hat[y] of exactly 0).
    fn ce(&mut self, z2: &[Self::N], y_hat: &[Self::N], y: usize) -> Option<Self::N>;
    /// Finishes a step: rounds its values as shown, and checks they are usable numbers.
    fn settle(&mut self, step: Step, values: &mut [Self::N]) -> Result<()>;
    /// The evaluation is now computing entry `entry` (row-major) of `step`, or work of the
    /// step shared by all its entries (`None`). Only the workload count listens.
    fn at(&mut self, _step: Step, _entry: Option<usize>) {}
}

/// The error of a step whose value is not a usable number.
fn unusable(step: Step, problem: String) -> Error {
    Error::invalid(
        format!("step {}", step.name()),
        problem,
        "use smaller numbers in the exercise (see \"What nnexam refuses, and why\" in the README)",
    )
}

/// f64 arithmetic: the exact solver.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Exact;

/// ln(1 + e^z) without overflow.
pub(crate) fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// The logistic function, evaluated without overflow for any finite `z`.
pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl Arith for Exact {
    type N = f64;

    fn given(&mut self, x: f64) -> f64 {
        x
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn add(&mut self, a: &f64, b: &f64) -> f64 {
        a + b
    }
    fn sub(&mut self, a: &f64, b: &f64) -> f64 {
        a - b
    }
    fn mul(&mut self, a: &f64, b: &f64) -> f64 {
        a * b
    }
    fn dot(&mut self, a: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>) -> f64 {
        a.dot(&b)
    }
    fn sum(&mut self, a: &[f64]) -> f64 {
        ArrayView1::from(a).sum()
    }
    fn mean(&mut self, window: ArrayView2<'_, f64>) -> f64 {
        window
            .mean()
            .expect("invariant: a pooling window is non-empty")
    }
    fn share(&mut self, a: &f64, n: usize) -> f64 {
        a * (1.0 / n as f64)
    }
    fn relu(&mut self, z: &f64) -> f64 {
        z.max(0.0)
    }
    fn sigmoid(&mut self, z: &f64) -> f64 {
        sigmoid(*z)
    }
    fn tanh(&mut self, z: &f64) -> f64 {
        z.tanh()
    }
    fn bce(&mut self, z2: &f64, _: &f64, y: u8) -> Option<f64> {
        // From z2: -ln(sigmoid(z)) = softplus(-z) and -ln(1 - sigmoid(z)) = softplus(z), finite
        // however large |z2| is.
        let y = f64::from(y);
        Some(y * softplus(-z2) + (1.0 - y) * softplus(*z2))
    }
    fn softmax(&mut self, z: &[f64]) -> Vec<f64> {
        // Shifted by the largest output, every exponent is <= 0: nothing overflows.
        let top = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let e: Vec<f64> = z.iter().map(|v| (v - top).exp()).collect();
        let sum: f64 = e.iter().sum();
        e.iter().map(|v| v / sum).collect()
    }
    fn ce(&mut self, z2: &[f64], _: &[f64], y: usize) -> Option<f64> {
        // -ln softmax(z)[y] = log-sum-exp(z) - z[y], finite however large the outputs are.
        let top = z2.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let sum: f64 = z2.iter().map(|v| (v - top).exp()).sum();
        Some(top + sum.ln() - z2[y])
    }
    fn settle(&mut self, step: Step, values: &mut [f64]) -> Result<()> {
        match values.iter().find(|v| !v.is_finite()) {
            Some(v) => Err(unusable(step, format!("it evaluates to {v}"))),
            None => Ok(()),
        }
    }
}

/// f64 arithmetic as a grader recomputes a student's chain from their own numbers: [`Exact`],
/// except that the loss reads y_hat (as the step does on paper), because a student's y_hat need
/// not be sigmoid(z2). Exact reads z2 for a loss that never overflows.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Regraded;

impl Arith for Regraded {
    type N = f64;

    fn given(&mut self, x: f64) -> f64 {
        Exact.given(x)
    }
    fn zero(&self) -> f64 {
        Exact.zero()
    }
    fn add(&mut self, a: &f64, b: &f64) -> f64 {
        Exact.add(a, b)
    }
    fn sub(&mut self, a: &f64, b: &f64) -> f64 {
        Exact.sub(a, b)
    }
    fn mul(&mut self, a: &f64, b: &f64) -> f64 {
        Exact.mul(a, b)
    }
    fn dot(&mut self, a: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>) -> f64 {
        Exact.dot(a, b)
    }
    fn sum(&mut self, a: &[f64]) -> f64 {
        Exact.sum(a)
    }
    fn mean(&mut self, window: ArrayView2<'_, f64>) -> f64 {
        Exact.mean(window)
    }
    fn share(&mut self, a: &f64, n: usize) -> f64 {
        Exact.share(a, n)
    }
    fn relu(&mut self, z: &f64) -> f64 {
        Exact.relu(z)
    }
    fn sigmoid(&mut self, z: &f64) -> f64 {
        Exact.sigmoid(z)
    }
    fn tanh(&mut self, z: &f64) -> f64 {
        Exact.tanh(z)
    }
    fn bce(&mut self, _: &f64, y_hat: &f64, y: u8) -> Option<f64> {
        // Only the label's term: the other is 0 even where its logarithm is not finite.
        Some(match y {
            1 => -y_hat.ln(),
            _ => -(1.0 - y_hat).ln(),
        })
    }
    fn softmax(&mut self, z: &[f64]) -> Vec<f64> {
        Exact.softmax(z)
    }
    fn ce(&mut self, _: &[f64], y_hat: &[f64], y: usize) -> Option<f64> {
        Some(-y_hat[y].ln())
    }
    fn settle(&mut self, step: Step, values: &mut [f64]) -> Result<()> {
        Exact.settle(step, values)
    }
}

/// Exact decimal arithmetic, every finished step rounded to `decimals`: the stepwise worked
/// solution.
#[derive(Clone, Debug)]
pub(crate) struct Stepwise {
    decimals: u32,
    /// The first operation that could not be done exactly, if any.
    failure: Option<String>,
    /// A product of this step was rounded to odd at 28 decimals: nothing may be computed from
    /// it before the step is rounded.
    rounded_to_odd: bool,
}

/// The greatest scale (digits after the point) a decimal holds.
const MAX_SCALE: u32 = 28;

/// Decimals of an average pooling window's mean and of its share of a gradient. Within the
/// input limits a sum of shares stays exact at this scale, and it is far finer than the at most
/// 10 decimals shown: a mean or a sum of shares that is not a rounding tie lies at least
/// 10^-11 / 256 from one, and one that is a tie has at most 11 decimals.
const SHARE_SCALE: u32 = 20;

impl Stepwise {
    /// Stepwise arithmetic rounding every step to `decimals` (at most 28).
    pub(crate) fn new(decimals: usize) -> Stepwise {
        Stepwise {
            decimals: u32::try_from(decimals).map_or(MAX_SCALE, |d| d.min(MAX_SCALE)),
            failure: None,
            rounded_to_odd: false,
        }
    }

    fn fail(&mut self, what: String) -> Decimal {
        self.failure.get_or_insert(what);
        Decimal::ZERO
    }

    /// -ln(p), or `None` for p <= 0.
    fn neg_ln(&self, p: Decimal) -> Option<Decimal> {
        if p <= Decimal::ZERO {
            return None;
        }
        // ln in f64 is good to about 1e-15 here, far finer than the shown decimals; only when
        // the result lies near a rounding tie does the (slow) decimal ln decide.
        let approx = -f64::from_str(&p.to_string()).ok()?.ln();
        let scaled = approx * 10f64.powi(self.decimals as i32);
        let clear_of_tie = (scaled.fract().abs() - 0.5).abs() > 1e-3;
        match decimal_of(approx) {
            Some(d) if clear_of_tie && approx.is_finite() => Some(d),
            _ => p.checked_ln().map(|l| -l),
        }
    }

    /// `result` of `a op b` when it is exact: it keeps the scale the operation needs (with a
    /// zero operand there is nothing to round); otherwise a recorded failure.
    fn exact(
        &mut self,
        result: Option<Decimal>,
        operands: [&Decimal; 2],
        scale: u32,
        what: &str,
    ) -> Decimal {
        if self.rounded_to_odd {
            return self.fail(format!("{what} reads a product rounded at 28 decimals"));
        }
        match result {
            Some(r) if r.scale() == scale || operands.iter().any(|o| o.is_zero()) => r,
            _ => self.fail(format!("{what} needs more than 28 significant digits")),
        }
    }

    /// `a * b` when it has more than 28 decimals: truncated to 28 decimals, with the last digit
    /// made odd when anything was cut ("round to odd"). Rounding that to at most 26 decimals
    /// gives what rounding the exact product gives, because an odd last digit is never a tie
    /// and never hides one; so it must be rounded right away (see `rounded_to_odd`).
    fn product_rounded_to_odd(&mut self, a: &Decimal, b: &Decimal) -> Decimal {
        let drop = a.scale() + b.scale() - MAX_SCALE;
        let product = a.mantissa().checked_mul(b.mantissa());
        let rounded = product.zip(10i128.checked_pow(drop)).and_then(|(p, unit)| {
            let (mut q, r) = (p / unit, p % unit);
            if r != 0 && q % 2 == 0 {
                q += p.signum();
            }
            Decimal::try_from_i128_with_scale(q, MAX_SCALE).ok()
        });
        match rounded {
            Some(r) if self.decimals + 2 <= MAX_SCALE && !self.rounded_to_odd => {
                self.rounded_to_odd = true;
                r
            }
            _ => self.fail("a product needs more than 28 decimals".to_string()),
        }
    }
}

/// `x` as the decimal a reader of the exercise sees: its shortest representation.
pub(crate) fn decimal_of(x: f64) -> Option<Decimal> {
    if !x.is_finite() {
        return None;
    }
    // Whole numbers (most inputs) are exact integers; the rest go through their digits.
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return Some(Decimal::from(x as i64));
    }
    Decimal::from_str_exact(&x.to_string()).ok()
}

/// `x` rounded half away from zero to `decimals` places.
pub(crate) fn round_decimal(x: Decimal, decimals: u32) -> Decimal {
    x.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero)
}

/// e^x for x <= 0: below about -66 it is under 10^-28, the smallest decimal, and counts as 0.
fn exp_of_non_positive(x: Decimal) -> Decimal {
    x.checked_exp().unwrap_or(Decimal::ZERO)
}

impl Arith for Stepwise {
    type N = Decimal;

    fn given(&mut self, x: f64) -> Decimal {
        decimal_of(x).unwrap_or_else(|| {
            self.fail(format!("the input {x} has more than 28 significant digits"))
        })
    }
    fn zero(&self) -> Decimal {
        Decimal::ZERO
    }
    fn add(&mut self, a: &Decimal, b: &Decimal) -> Decimal {
        self.exact(a.checked_add(*b), [a, b], a.scale().max(b.scale()), "a sum")
    }
    fn sub(&mut self, a: &Decimal, b: &Decimal) -> Decimal {
        let scale = a.scale().max(b.scale());
        self.exact(a.checked_sub(*b), [a, b], scale, "a difference")
    }
    fn mul(&mut self, a: &Decimal, b: &Decimal) -> Decimal {
        let scale = a.scale() + b.scale();
        if scale > MAX_SCALE {
            return self.product_rounded_to_odd(a, b);
        }
        self.exact(a.checked_mul(*b), [a, b], scale, "a product")
    }
    fn dot(&mut self, a: ArrayView1<'_, Decimal>, b: ArrayView1<'_, Decimal>) -> Decimal {
        let products: Vec<Decimal> = a.iter().zip(b).map(|(x, y)| self.mul(x, y)).collect();
        self.sum_from_zero(&products)
    }
    fn sum(&mut self, a: &[Decimal]) -> Decimal {
        self.sum_from_zero(a)
    }
    fn mean(&mut self, window: ArrayView2<'_, Decimal>) -> Decimal {
        let entries: Vec<Decimal> = window.iter().copied().collect();
        let sum = self.sum_from_zero(&entries);
        self.share(&sum, entries.len())
    }
    fn share(&mut self, a: &Decimal, n: usize) -> Decimal {
        match a.checked_div(Decimal::from(n)) {
            Some(q) => round_decimal(q, SHARE_SCALE),
            None => self.fail("a mean cannot be divided".to_string()),
        }
    }
    fn relu(&mut self, z: &Decimal) -> Decimal {
        if z.is_sign_positive() && !z.is_zero() {
            *z
        } else {
            Decimal::ZERO
        }
    }
    fn sigmoid(&mut self, z: &Decimal) -> Decimal {
        // The stable form, as for f64: e^-|z| never overflows.
        let e = exp_of_non_positive(-z.abs());
        let one = Decimal::ONE;
        if z.is_sign_negative() {
            e / (one + e)
        } else {
            one / (one + e)
        }
    }
    fn tanh(&mut self, z: &Decimal) -> Decimal {
        // tanh z = (1 - e^-2|z|) / (1 + e^-2|z|), with the sign of z.
        let e = exp_of_non_positive(Decimal::TWO * -z.abs());
        let t = (Decimal::ONE - e) / (Decimal::ONE + e);
        if z.is_sign_negative() {
            -t
        } else {
            t
        }
    }
    fn bce(&mut self, _: &Decimal, y_hat: &Decimal, y: u8) -> Option<Decimal> {
        // As a student evaluates the formula: only the term the label selects.
        let p = if y == 1 {
            *y_hat
        } else {
            Decimal::ONE - *y_hat
        };
        self.neg_ln(p)
    }
    fn softmax(&mut self, z: &[Decimal]) -> Vec<Decimal> {
        // As for f64: shifted by the largest output, e^(z - max) <= 1 never overflows.
        let top = z.iter().copied().fold(z[0], Decimal::max);
        let e: Vec<Decimal> = z.iter().map(|v| exp_of_non_positive(*v - top)).collect();
        let sum: Decimal = e.iter().sum();
        e.iter()
            .map(|v| match v.checked_div(sum) {
                Some(q) => q,
                None => self.fail("a softmax cannot be divided".to_string()),
            })
            .collect()
    }
    fn ce(&mut self, _: &[Decimal], y_hat: &[Decimal], y: usize) -> Option<Decimal> {
        // As a student evaluates it: -ln of the shown y_hat of the true class.
        self.neg_ln(y_hat[y])
    }
    fn settle(&mut self, step: Step, values: &mut [Decimal]) -> Result<()> {
        self.rounded_to_odd = false;
        if let Some(what) = self.failure.take() {
            return Err(unusable(
                step,
                format!("in exact decimal arithmetic, {what}"),
            ));
        }
        for v in values.iter_mut() {
            *v = round_decimal(*v, self.decimals).normalize();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    #[test]
    fn stepwise_rounds_halves_away_from_zero_after_exact_arithmetic() {
        // Seed 7's W2 update: -1 + 0.5 * 4.813 = 1.4065 exactly, which shows as 1.407 (f64
        // holds 1.40649999...).
        let mut s = Stepwise::new(3);
        let t = s.mul(&dec("0.5"), &dec("-4.813"));
        let mut w = [s.sub(&dec("-1"), &t)];
        s.settle(Step::W2New, &mut w).unwrap();
        assert_eq!(w[0].to_string(), "1.407");
        let mut neg = [s.sub(&dec("-1"), &dec("0.4065"))];
        s.settle(Step::W2New, &mut neg).unwrap();
        assert_eq!(neg[0].to_string(), "-1.407");
    }

    #[test]
    fn inexact_operations_are_errors_not_roundings() {
        let mut s = Stepwise::new(3);
        let big = dec("123456789012345.123456789012");
        let _ = s.mul(&big, &dec("0.123456789012345"));
        let err = s.settle(Step::Z2, &mut []).unwrap_err().to_string();
        assert!(err.contains("step z2") && err.contains("28"), "{err}");
    }

    #[test]
    fn a_product_beyond_28_decimals_rounds_to_the_shown_digits_as_the_exact_one() {
        // The half squared error at 10 decimals: (y_hat - y) y_hat (1 - y_hat) has 30 decimals.
        // Python's decimal: -0.6456563062 * 0.3543436938 * 0.6456563062
        //   = -0.147715987614869764663681245672, shown as -0.1477159876.
        let mut s = Stepwise::new(10);
        let e = s.sub(&dec("0.3543436938"), &Decimal::ONE);
        let scaled = s.mul(&e, &dec("0.3543436938"));
        let rest = s.sub(&Decimal::ONE, &dec("0.3543436938"));
        let mut d_z2 = [s.mul(&scaled, &rest)];
        s.settle(Step::DZ2, &mut d_z2).unwrap();
        assert_eq!(d_z2[0].to_string(), "-0.1477159876");
        // Rounded to odd, a product just below a tie stays below it: 5 * 10^-11 - 10^-30 would
        // round half up at 28 decimals to the tie 5 * 10^-11, and then up to 10^-10.
        let mut s = Stepwise::new(10);
        let below_tie = s.mul(&dec("0.49999999999999999999"), &dec("0.0000000001"));
        let mut v = [below_tie];
        s.settle(Step::DZ2, &mut v).unwrap();
        assert_eq!(
            v[0].to_string(),
            "0",
            "0.0000000000499... rounds down at 10 decimals"
        );
        assert!(
            s.bce(&Decimal::ZERO, &Decimal::ONE, 1).is_some(),
            "settled: usable again"
        );
    }

    #[test]
    fn nothing_is_computed_from_a_product_rounded_to_odd() {
        let mut s = Stepwise::new(10);
        let p = s.mul(&dec("0.1234567891"), &dec("0.12345678912345678912"));
        let _ = s.add(&p, &Decimal::ONE);
        let err = s.settle(Step::DZ2, &mut []).unwrap_err().to_string();
        assert!(err.contains("rounded at 28 decimals"), "{err}");
    }

    #[test]
    fn shares_of_a_window_are_exact_enough_and_sum_exactly() {
        // Issue 10's property test: a share of 111.1... (scale 26 at 28 digits) plus one of
        // 0.0001... (scale 28) overflowed the sum.
        let mut s = Stepwise::new(10);
        let big = s.share(&dec("1000"), 9);
        let small = s.share(&dec("0.001"), 9);
        let mut sum = [s.add(&big, &small)];
        s.settle(Step::DA1, &mut sum).unwrap();
        assert_eq!(sum[0].to_string(), "111.1112222222");
    }

    #[test]
    fn inputs_are_their_shortest_decimals() {
        assert_eq!(decimal_of(0.1).unwrap().to_string(), "0.1");
        assert_eq!(decimal_of(1e-15).unwrap().to_string(), "0.000000000000001");
        assert_eq!(decimal_of(-2.0).unwrap().to_string(), "-2");
        assert!(decimal_of(f64::NAN).is_none());
    }

    #[test]
    fn decimal_sigmoid_and_tanh_agree_with_f64() {
        let mut s = Stepwise::new(28);
        for z in [-7.25, -0.6, 0.0, 0.3, 2.5, 40.0] {
            let d = decimal_of(z).unwrap();
            let sig = f64::from_str(&s.sigmoid(&d).to_string()).unwrap();
            let tanh = f64::from_str(&s.tanh(&d).to_string()).unwrap();
            assert!((sig - sigmoid(z)).abs() < 1e-15, "sigmoid({z})");
            assert!((tanh - z.tanh()).abs() < 1e-15, "tanh({z})");
        }
    }

    #[test]
    fn bce_of_a_shown_certain_output_falls_back() {
        let mut s = Stepwise::new(3);
        assert_eq!(s.bce(&Decimal::ZERO, &Decimal::ONE, 1), Some(Decimal::ZERO));
        assert_eq!(s.bce(&Decimal::ZERO, &Decimal::ONE, 0), None);
    }

    #[test]
    fn exact_rejects_non_finite_steps() {
        let err = Exact
            .settle(Step::Z1, &mut [f64::INFINITY])
            .unwrap_err()
            .to_string();
        assert!(err.contains("step z1"), "{err}");
    }
}
