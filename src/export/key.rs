//! Answer keys: the graded answers of one exercise with the absolute tolerance a grader (or an
//! LMS) should accept, and the CSV/JSON tables of a whole class. Values come from the solver,
//! unrounded; tolerances from the rounding rule of the sheet.

use serde::{Deserialize, Serialize};

use crate::solve::shown::{self, Shown};
use crate::solve::step::Step;
use crate::solve::{Solution, Values};

/// One graded answer: a stable column name, the exact value and the accepted absolute error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradedAnswer {
    /// Stable column name, e.g. `w2_new_1`.
    pub key: String,
    /// The exact value.
    pub value: f64,
    /// The accepted absolute error.
    pub tolerance: f64,
}

/// The steps a key grades, in key order: y_hat, the loss, and the parameters after the SGD
/// step (W2, B2, F1, B1).
const GRADED: [Step; 6] = [
    Step::YHat,
    Step::Loss,
    Step::W2New,
    Step::B2New,
    Step::F1New,
    Step::B1New,
];

/// The graded steps' values of one evaluation of the chain, in key order (entries row-major).
pub fn graded_values<N>(values: &Values<N>, to_f64: impl Fn(&N) -> f64) -> Vec<f64> {
    GRADED
        .iter()
        .flat_map(|&step| values.get(step).iter().map(&to_f64).collect::<Vec<_>>())
        .collect()
}

/// The graded answers' names for `w2_len` weights and an `f1` filter, in key order: `y_hat`,
/// `loss`, `w2_new_1`.., `b2_new`, `f1_new_1_1`.. (row-major), `b1_new`. 1-based like the
/// exercise's notation (Z1_11).
pub fn answer_names(w2_len: usize, f1: (usize, usize)) -> Vec<String> {
    let mut names: Vec<String> = vec!["y_hat".into(), "loss".into()];
    names.extend((1..=w2_len).map(|k| format!("w2_new_{k}")));
    names.push("b2_new".into());
    for r in 1..=f1.0 {
        names.extend((1..=f1.1).map(|c| format!("f1_new_{r}_{c}")));
    }
    names.push("b1_new".into());
    names
}

/// The graded answers of `solution`: exact values, tolerances by `policy` against `stepwise`,
/// the stepwise worked solution's shown values at the sheet's decimals.
pub fn answers_for(solution: &Solution, stepwise: &Shown, policy: Tolerance) -> Vec<GradedAnswer> {
    let names = answer_names(solution.problem.w2.len(), solution.problem.f1.dim());
    graded_answers(
        names,
        &graded_values(&solution.values, |x| *x),
        &graded_values(&stepwise.values, shown::to_f64),
        policy,
    )
}

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
    fn for_answer(self, exact: f64, stepwise: f64) -> f64 {
        match self {
            Tolerance::Fixed(t) => t,
            Tolerance::FromRounding { decimals } => {
                round_up_two_digits(10f64.powi(-(decimals as i32)) + (stepwise - exact).abs())
            }
        }
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

/// The graded answers named `names`: `exact` values, tolerances by `policy`, where `stepwise`
/// holds the values a student following the stepwise worked solution arrives at.
pub fn graded_answers(
    names: Vec<String>,
    exact: &[f64],
    stepwise: &[f64],
    policy: Tolerance,
) -> Vec<GradedAnswer> {
    names
        .into_iter()
        .zip(exact.iter().zip(stepwise))
        .map(|(key, (&value, &shown))| GradedAnswer {
            tolerance: policy.for_answer(value, shown),
            key,
            value,
        })
        .collect()
}

/// One student's (or variant's) row of the key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    /// Roster id, or the variant label.
    pub id: String,
    /// Name from the roster (empty for variants).
    pub name: String,
    /// The seed text the exercise was actually generated from.
    pub seed: String,
    /// Folder (below the batch folder) holding this student's files.
    pub folder: String,
    /// The graded answers, in key order.
    pub answers: Vec<GradedAnswer>,
}

/// Column names of the CSV key: id, name, seed, folder, then `<answer>` and `<answer>_tol` for
/// every answer key in `answer_keys` order.
pub fn csv_header(answer_keys: &[String]) -> Vec<String> {
    let mut header: Vec<String> = ["id", "name", "seed", "folder"].map(String::from).to_vec();
    for key in answer_keys {
        header.push(key.clone());
        header.push(format!("{key}_tol"));
    }
    header
}

/// A text cell that a spreadsheet shows as text: one that starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return would be evaluated as a formula (CSV injection), so it gets a leading
/// `'`, as OWASP recommends. Numbers never pass through here.
fn spreadsheet_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// A row's CSV fields under `answer_keys`; answers the row does not have stay empty (a batch
/// whose config draws the architecture can mix shapes). Text cells are made safe for
/// spreadsheets ([`spreadsheet_text`]); `key.json` keeps the text as written.
pub fn csv_record(row: &KeyRow, answer_keys: &[String]) -> Vec<String> {
    let mut record: Vec<String> = [&row.id, &row.name, &row.seed, &row.folder]
        .map(|text| spreadsheet_text(text))
        .to_vec();
    for key in answer_keys {
        match row.answers.iter().find(|a| &a.key == key) {
            Some(a) => {
                record.push(a.value.to_string());
                record.push(a.tolerance.to_string());
            }
            None => record.extend([String::new(), String::new()]),
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::shown::Rounding;
    use crate::solve::solve;
    use crate::spec::fixtures::task_3_1;

    #[test]
    fn answers_cover_prediction_loss_and_every_updated_parameter() {
        let sol = solve(&task_3_1()).unwrap();
        let stepwise = shown::shown(&sol, 3, Rounding::Stepwise).unwrap();
        let answers = answers_for(&sol, &stepwise, Tolerance::Fixed(0.01));
        let keys: Vec<&str> = answers.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(&keys[..3], ["y_hat", "loss", "w2_new_1"]);
        // 2 + 4 weights + B2 + 4 filter entries + B1.
        assert_eq!(answers.len(), 12);
        assert!(keys.contains(&"f1_new_2_1") && keys.contains(&"b1_new"));
        assert_eq!(answers[0].value, sol.forward.y_hat);
        assert_eq!(answers[11].value, sol.update.b1);
    }

    #[test]
    fn derived_tolerance_covers_the_stepwise_drift() {
        let names = vec!["y_hat".to_string(), "w2_new_1".to_string()];
        let exact = [0.354_343, 0.746];
        let stepwise = [0.354, 0.750];
        let answers = graded_answers(
            names,
            &exact,
            &stepwise,
            Tolerance::FromRounding { decimals: 3 },
        );
        // 0.001 + 0.000343 rounds up to 0.0014; 0.001 + 0.004 = 0.005.
        assert_eq!(answers[0].tolerance, 0.0014);
        assert_eq!(answers[1].tolerance, 0.005);
    }

    #[test]
    fn tolerances_round_up_to_two_digits() {
        assert_eq!(round_up_two_digits(0.0010255), 0.0011);
        assert_eq!(round_up_two_digits(0.0011), 0.0011);
        assert_eq!(round_up_two_digits(0.001), 0.001);
        assert_eq!(round_up_two_digits(0.01887), 0.019);
        assert_eq!(round_up_two_digits(1.234), 1.3);
    }

    #[test]
    fn csv_text_cells_cannot_become_formulas() {
        // Issue 10: `=HYPERLINK(...)`, `@SUM(A1)` and `+cmd` were evaluated by the spreadsheet.
        let row = KeyRow {
            id: "-3".into(),
            name: "=HYPERLINK(\"http://x\")".into(),
            seed: "@SUM(A1)".into(),
            folder: "+cmd".into(),
            answers: vec![GradedAnswer {
                key: "y_hat".into(),
                value: -0.5,
                tolerance: 0.001,
            }],
        };
        let record = csv_record(&row, &["y_hat".to_string()]);
        assert_eq!(
            record,
            [
                "'-3",
                "'=HYPERLINK(\"http://x\")",
                "'@SUM(A1)",
                "'+cmd",
                "-0.5",
                "0.001"
            ]
        );
        assert_eq!(spreadsheet_text("\tx"), "'\tx");
        assert_eq!(spreadsheet_text("\rx"), "'\rx");
        assert_eq!(spreadsheet_text("Ada = 1"), "Ada = 1");
    }

    #[test]
    fn csv_record_leaves_missing_answers_empty() {
        let row = KeyRow {
            id: "1".into(),
            name: "Ada".into(),
            seed: "s/1".into(),
            folder: "1".into(),
            answers: vec![GradedAnswer {
                key: "y_hat".into(),
                value: 0.5,
                tolerance: 0.001,
            }],
        };
        let keys = vec!["y_hat".to_string(), "loss".to_string()];
        assert_eq!(csv_header(&keys).len(), 8);
        assert_eq!(
            csv_record(&row, &keys),
            ["1", "Ada", "s/1", "1", "0.5", "0.001", "", ""]
        );
    }
}
