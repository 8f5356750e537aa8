//! The numbers a worked solution shows for every step of the chain, under the sheet's rounding
//! mode. Owns the two modes and the [`Shown`] values they produce (and their JSON form, the
//! `shown` object); must not format text beyond a number's digits (that is `render` and the
//! templates) and never changes the solver's exact values.
//!
//! - [`Rounding::Exact`]: every shown number is the exact value rounded to D decimals.
//! - [`Rounding::Stepwise`]: every shown value is its step's formula evaluated on the *shown*
//!   values of the steps it reads (the exercise's inputs are exact decimals), with + - * and sums
//!   in exact decimal arithmetic, then rounded half away from zero to D decimals, as a student
//!   with a calculator does it. exp and ln are evaluated to about 27 digits before rounding.
//!   Sub-expressions a line does not show (`lr * dC/dW2` inside an update) are not rounded on
//!   their own. What feeds what: ReLU' and leaky ReLU' by the sign of the shown Z1; sigmoid' as
//!   a(1 - a) and tanh' as 1 - a^2 from the shown A1; max-pool routing by the exact arg-max; the
//!   loss from the shown y_hat, or the exact loss when the shown y_hat is exactly 0 or 1.

use rust_decimal::Decimal;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::arith::Stepwise;
use super::chain::{evaluate, Values};
use super::step::Step;
use super::{Solution, BACKWARD, UPDATE};
use crate::error::{Error, Result};
use crate::number::{decimal_text, format_number};
use crate::spec::Problem;

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

/// Every step's shown value, rounded to `decimals`.
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    /// The problem the values belong to (for the JSON shapes).
    pub problem: Problem,
    /// Decimals of every shown value.
    pub decimals: usize,
    /// How the values were derived.
    pub rounding: Rounding,
    /// The values, step by step, in the shapes of the chain.
    pub values: Values<Decimal>,
}

/// The shown values of `solution` under `rounding`, rounded to `decimals`.
pub fn shown(solution: &Solution, decimals: usize, rounding: Rounding) -> Result<Shown> {
    let values = match rounding {
        Rounding::Exact => exact_rounded(&solution.values, decimals)?,
        Rounding::Stepwise => evaluate(
            &solution.problem,
            &mut Stepwise::new(decimals),
            Some(&solution.values),
            Step::B1New,
        )?,
    };
    Ok(Shown {
        problem: solution.problem.clone(),
        decimals,
        rounding,
        values,
    })
}

/// Every exact value rounded half away from zero (on its shortest decimal representation).
fn exact_rounded(exact: &Values<f64>, decimals: usize) -> Result<Values<Decimal>> {
    let mut failed = None;
    let values = exact.map(|&x| {
        let text = format_number(x, decimals);
        Decimal::from_str_exact(&text).unwrap_or_else(|_| {
            failed.get_or_insert(x);
            Decimal::ZERO
        })
    });
    match failed {
        Some(x) => Err(Error::invalid(
            "exercise",
            format!("the value {x} is too large to show exactly"),
            "use smaller numbers in the exercise",
        )),
        None => Ok(values),
    }
}

impl Shown {
    /// The shown value of a one-valued step (or a step's first value) as f64.
    pub fn scalar_f64(&self, step: Step) -> f64 {
        to_f64(self.values.scalar(step))
    }
}

/// The nearest f64 of a shown value.
pub fn to_f64(x: &Decimal) -> f64 {
    decimal_text(x)
        .parse()
        .expect("invariant: decimal text parses as f64")
}

impl Serialize for Shown {
    /// The `shown` object: `decimals`, `rounding`, then `forward` (and a mini-batch's `cost`),
    /// `backward` and `update` with the keys and shapes of the exact objects (dC/dP0 is
    /// `backward.x`, the convolution matrix is left out, `backward.act_grad` is act'(Z1)), every
    /// number the string the sheet prints.
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde_json::{Map, Value};
        let problem = &self.problem;
        let leaf = |x: &Decimal| Value::String(decimal_text(x));
        let group = |steps: &[(&str, Step)]| -> Map<String, Value> {
            steps
                .iter()
                .map(|(key, step)| {
                    let value = super::step_json(problem, &self.values, *step, None, &leaf);
                    (key.to_string(), value)
                })
                .collect()
        };
        let forward: Vec<Map<String, Value>> = super::forward_json(problem, &self.values, &leaf)
            .into_iter()
            .map(|sample| {
                sample
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect()
            })
            .collect();
        let mut backward = group(BACKWARD);
        backward.insert(
            "act_grad".to_string(),
            super::step_json(problem, &self.values, Step::ActGrad, None, &leaf),
        );
        let batch = problem.written.batch;
        let mut map = s.serialize_map(Some(if batch { 6 } else { 5 }))?;
        map.serialize_entry("decimals", &self.decimals)?;
        map.serialize_entry("rounding", &self.rounding)?;
        match batch {
            true => {
                map.serialize_entry("forward", &forward)?;
                map.serialize_entry("cost", &leaf(self.values.scalar(Step::Cost)))?;
            }
            false => map.serialize_entry("forward", &forward[0])?,
        }
        map.serialize_entry("backward", &backward)?;
        map.serialize_entry("update", &group(UPDATE))?;
        map.end()
    }
}

/// The `solve --format json` contract: the exact `problem`, `forward`, `backward`, `update`
/// and the `shown` values, as pretty JSON with a trailing newline.
pub fn contract_json(solution: &Solution, shown: &Shown) -> String {
    #[derive(Serialize)]
    struct Contract<'a> {
        #[serde(flatten)]
        solution: &'a Solution,
        shown: &'a Shown,
    }
    let mut text = serde_json::to_string_pretty(&Contract { solution, shown })
        .expect("invariant: the contract serialises to JSON");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::solve;
    use crate::spec::fixtures::task_3_1 as task;

    fn text(shown: &Shown, step: Step) -> String {
        decimal_text(shown.values.scalar(step))
    }

    #[test]
    fn exact_mode_rounds_the_exact_values() {
        let sol = solve(&task()).unwrap();
        let d = shown(&sol, 3, Rounding::Exact).unwrap();
        assert_eq!(
            text(&d, Step::YHat),
            format_number(*sol.values.scalar(Step::YHat), 3)
        );
        assert_eq!(
            text(&d, Step::Loss),
            format_number(*sol.values.scalar(Step::Loss), 3)
        );
    }

    #[test]
    fn stepwise_loss_uses_the_shown_y_hat() {
        // Task 3.1: y_hat = 0.35434 shows as 0.354; -ln(0.354) = 1.03846 -> 1.038, while the
        // exact loss 1.03748 shows as 1.037. A student checking the line gets 1.038.
        let sol = solve(&task()).unwrap();
        let d = shown(&sol, 3, Rounding::Stepwise).unwrap();
        assert_eq!(text(&d, Step::YHat), "0.354");
        assert_eq!(text(&d, Step::Loss), "1.038");
        assert_eq!(
            text(&shown(&sol, 3, Rounding::Exact).unwrap(), Step::Loss),
            "1.037"
        );
    }

    #[test]
    fn stepwise_gradient_uses_the_shown_error() {
        let sol = solve(&task()).unwrap();
        let d = shown(&sol, 3, Rounding::Stepwise).unwrap();
        assert_eq!(text(&d, Step::DZ2), "-0.646");
        let list = |step| -> Vec<String> { d.values.get(step).iter().map(decimal_text).collect() };
        assert_eq!(list(Step::DW2), ["-1.292", "-0.646", "-1.938", "-1.938"]);
        assert_eq!(list(Step::W2New), ["0.746", "0.623", "0.169", "1.169"]);
    }

    #[test]
    fn the_json_object_has_the_exact_objects_keys_as_strings() {
        let sol = solve(&task()).unwrap();
        let d = shown(&sol, 3, Rounding::Stepwise).unwrap();
        let json: serde_json::Value = serde_json::to_value(&d).unwrap();
        assert_eq!(json["decimals"], 3);
        assert_eq!(json["rounding"], "stepwise");
        assert_eq!(json["forward"]["y_hat"], "0.354");
        assert_eq!(json["backward"]["w2"][0], "-1.292");
        assert_eq!(json["backward"]["x"].as_array().unwrap().len(), 5);
        assert_eq!(json["update"]["f1"].as_array().unwrap().len(), 2);
        assert!(json["backward"]["act_grad"].is_array());
    }
}
