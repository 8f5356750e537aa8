//! How much error a grader accepts: the key's tolerance rule, derived from the sheet's rounding.
//! It lives with the shown values because it is a fact about them; the key, the Moodle gaps and
//! the generator's rules (which keep every answer apart from the value of skipping its step)
//! all read it here.

use super::step::Step;
use crate::spec::{Output, Problem};

/// How much error a grader accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tolerance {
    /// The same absolute tolerance for every answer (`--tolerance`).
    Fixed(f64),
    /// Derived from the sheet's rounding rule (the default): `10^-D + |stepwise - exact|`.
    /// A student who rounds the exact answer to D decimals is within half of `10^-D`; one who
    /// carries rounded intermediates, as the stepwise worked solution does, lands near the
    /// stepwise value and within half of `10^-D` of it. Both are accepted, with margin.
    FromRounding {
        /// The decimals the sheet shows.
        decimals: usize,
    },
}

impl Tolerance {
    /// The accepted absolute error of an answer whose exact value is `exact` and whose value in
    /// the stepwise worked solution is `stepwise`.
    pub fn for_answer(self, exact: f64, stepwise: f64) -> f64 {
        match self {
            Tolerance::Fixed(t) => t,
            Tolerance::FromRounding { .. } => self.around_stepwise(exact, stepwise),
        }
    }

    /// The accepted absolute error around the *stepwise* value, for a grader centred on the
    /// number the sheet prints (a Moodle gap): the rule's margin (10^-D, or the fixed T) plus
    /// the distance to the exact value, so every answer within that margin of the exact value
    /// is still accepted. For [`Tolerance::FromRounding`] it is the same number as
    /// [`Tolerance::for_answer`].
    pub fn around_stepwise(self, exact: f64, stepwise: f64) -> f64 {
        let margin = match self {
            Tolerance::Fixed(t) => t,
            Tolerance::FromRounding { decimals } => 10f64.powi(-(decimals as i32)),
        };
        round_up_two_digits(margin + (stepwise - exact).abs())
    }
}

/// `t` rounded *up* to two significant digits (0.0010255 -> 0.0011), so a key reads cleanly and
/// never accepts less than the rule says.
fn round_up_two_digits(t: f64) -> f64 {
    let exponent = t.log10().floor() as i32 - 1;
    let scaled = t / 10f64.powi(exponent);
    // Division noise (0.0011 / 1e-4 = 11.000000000000002) must not bump the digit.
    let digits = (scaled - 1e-9).ceil();
    format!("{}e{exponent}", digits)
        .parse()
        .expect("invariant: digits and an exponent parse as a float")
}

/// Each graded step and the values a student gets by skipping it: the parameter itself for an
/// updated parameter (W2, B2, F1, B1, entries row-major), and for y_hat the output of z2 = 0
/// (0.5 for sigmoid, 1/K for a softmax over K classes), for every sample. A key that cannot
/// tell an answer from its skipped value grades a skipped step as right.
pub fn skipped_values(problem: &Problem) -> [(Step, Vec<f64>); 5] {
    let shapes = problem.shapes();
    let uniform = match problem.output {
        Output::Sigmoid => 0.5,
        Output::Softmax => 1.0 / shapes.classes as f64,
    };
    [
        (Step::YHat, vec![uniform; shapes.samples * shapes.classes]),
        (Step::W2New, problem.w2.iter().copied().collect()),
        (Step::B2New, problem.b2.to_vec()),
        (Step::F1New, problem.f1.iter().copied().collect()),
        (Step::B1New, problem.b1.to_vec()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_round_up_to_two_digits() {
        assert_eq!(round_up_two_digits(0.0010255), 0.0011);
        assert_eq!(round_up_two_digits(0.0011), 0.0011);
        assert_eq!(round_up_two_digits(0.001), 0.001);
        assert_eq!(round_up_two_digits(0.01887), 0.019);
        assert_eq!(round_up_two_digits(1.234), 1.3);
    }

    #[test]
    fn the_derived_tolerance_covers_the_stepwise_drift() {
        let policy = Tolerance::FromRounding { decimals: 3 };
        assert_eq!(policy.for_answer(0.746, 0.750), 0.005);
        assert_eq!(Tolerance::Fixed(0.01).for_answer(0.746, 0.750), 0.01);
    }

    #[test]
    fn around_the_stepwise_value_the_margin_of_the_exact_value_is_kept() {
        let policy = Tolerance::FromRounding { decimals: 3 };
        assert_eq!(policy.around_stepwise(0.746, 0.750), 0.005);
        // 0.01 around the exact 0.746 is inside 0.014 around the printed 0.750.
        assert_eq!(Tolerance::Fixed(0.01).around_stepwise(0.746, 0.750), 0.014);
    }
}
