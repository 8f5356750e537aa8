//! Answer keys: the graded answers of one exercise with the absolute tolerance a grader (or an
//! LMS) should accept, and the CSV/JSON tables of a whole class. Values come from the solver,
//! unrounded; tolerances from the rounding rule of the sheet.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::solve::shown::{self, Shown};
use crate::solve::step::Step;
use crate::solve::tolerance::skipped_values;
pub use crate::solve::tolerance::Tolerance;
use crate::solve::{Solution, Values};
use crate::spec::difficulty::PartName;
use crate::spec::Shapes;

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

/// The steps a key grades, in key order: y_hat (every output of every sample), the loss (a
/// mini-batch's cost), and the parameters after the SGD step (W2, B2, F1, B1).
pub fn graded_steps(batch: bool) -> [Step; 6] {
    [
        Step::YHat,
        if batch { Step::Cost } else { Step::Loss },
        Step::W2New,
        Step::B2New,
        Step::F1New,
        Step::B1New,
    ]
}

/// The part (a or b) each graded answer belongs to, in key order.
pub fn graded_parts(solution: &Solution) -> Vec<PartName> {
    graded_steps(solution.problem.written.batch)
        .iter()
        .flat_map(|&step| {
            let part = step
                .part()
                .expect("invariant: every graded step is in a part");
            std::iter::repeat_n(part, solution.values.get(step).len())
        })
        .collect()
}

/// The graded steps' values of one evaluation of the chain of a problem (`batch`: a
/// mini-batch's), in key order (entries row-major).
pub fn graded_values<N, T>(batch: bool, values: &Values<N>, convert: impl Fn(&N) -> T) -> Vec<T> {
    graded_steps(batch)
        .iter()
        .flat_map(|&step| values.get(step).iter().map(&convert).collect::<Vec<_>>())
        .collect()
}

/// The graded answers' names for a network of `shapes` (`batch`: a mini-batch), in key order,
/// by [`Step::entry_names`]: `y_hat`, `loss`, `w2_new_1`.., `b2_new`, `f1_new_1_1`..
/// (row-major), `b1_new` for one channel, filter, output and sample; `y_hat_2`, `w2_new_2_3`,
/// `f1_new_2_1_1_1`, `s2_y_hat`, `cost` in the wider family. 1-based like the exercise's
/// notation (Z1_11).
pub fn answer_names(shapes: &Shapes, batch: bool) -> Vec<String> {
    let (n, c_in, c_out, k) = (shapes.samples, shapes.channels, shapes.maps, shapes.classes);
    graded_steps(batch)
        .iter()
        .flat_map(|&step| {
            let shape: Vec<usize> = match step {
                Step::YHat => vec![n, k],
                Step::Loss => vec![n],
                Step::W2New => vec![k, shapes.s],
                Step::B2New => vec![k],
                Step::F1New => vec![c_out, c_in, shapes.f1.0, shapes.f1.1],
                Step::B1New => vec![c_out],
                _ => vec![],
            };
            step.entry_names(&shape)
        })
        .collect()
}

/// The graded answers of `solution`: exact values, tolerances by `policy` against `stepwise`,
/// the stepwise worked solution's shown values at the sheet's decimals.
pub fn answers_for(solution: &Solution, stepwise: &Shown, policy: Tolerance) -> Vec<GradedAnswer> {
    let batch = solution.problem.written.batch;
    let names = answer_names(&solution.problem.shapes(), batch);
    graded_answers(
        names,
        &graded_values(batch, &solution.values, |x| *x),
        &graded_values(batch, &stepwise.values, shown::to_f64),
        policy,
    )
}

/// Refuses a key that would grade a skipped step as right: every answer must lie more than twice
/// its tolerance from the value a student gets by skipping its step (an un-updated parameter, a
/// y_hat of 0.5). `who` names the student or variant in the error.
pub fn check_distinct(
    solution: &Solution,
    answers: &[GradedAnswer],
    policy: Tolerance,
    who: &str,
) -> Result<()> {
    check_apart(solution, answers, policy, who, Apart::TwiceTheTolerance)
}

/// How far from the value of skipping its step an answer must lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Apart {
    /// More than twice its tolerance: the key's rule ([`check_distinct`]).
    TwiceTheTolerance,
    /// Outside its tolerance: a grader that accepts exactly that interval (a Moodle gap centred
    /// on the printed value) never accepts the skipped value.
    OutsideTheTolerance,
}

/// Refuses `answers` (in key order, one per entry of the graded steps) that do not lie `apart`
/// from the values of skipping their steps; `who` names the student or variant in the error.
pub fn check_apart(
    solution: &Solution,
    answers: &[GradedAnswer],
    policy: Tolerance,
    who: &str,
    apart: Apart,
) -> Result<()> {
    let (factor, within) = match apart {
        Apart::TwiceTheTolerance => (2.0, "within twice its tolerance"),
        Apart::OutsideTheTolerance => (1.0, "within its tolerance"),
    };
    // The answers come in key order, as many per step as the step has entries.
    let mut by_step = Vec::new();
    let mut rest = answers;
    for step in graded_steps(solution.problem.written.batch) {
        let (these, after) = rest.split_at(solution.values.get(step).len());
        by_step.push((step, these));
        rest = after;
    }
    let pairs = skipped_values(&solution.problem)
        .into_iter()
        .flat_map(|(step, skips)| {
            let (_, these) = by_step
                .iter()
                .find(|(s, _)| *s == step)
                .expect("invariant: every skippable step is graded");
            these.iter().zip(skips).collect::<Vec<_>>()
        })
        .collect::<Vec<_>>();
    for (answer, skip) in pairs {
        if (answer.value - skip).abs() > factor * answer.tolerance {
            continue;
        }
        let (flag, fix) = match policy {
            Tolerance::Fixed(_) => ("--tolerance", "give a smaller --tolerance".to_string()),
            Tolerance::FromRounding { decimals } => (
                "--decimals",
                format!(
                    "give more --decimals, or sample with a generator config that sets \
                     rules.decimals = {decimals} (its rule distinct_from_skipped then keeps \
                     every answer apart at {decimals} decimals)"
                ),
            ),
        };
        return Err(Error::invalid(
            flag,
            format!(
                "{who}: the answer {} = {} lies {within} {} of {}, the value of skipping its \
                 step, so the key could not tell a skipped step from a right answer",
                answer.key, answer.value, answer.tolerance, skip
            ),
            fix,
        ));
    }
    Ok(())
}

/// A fixed tolerance must not be below half a unit of the decimals asked for: a correctly
/// rounded answer is that far from the exact value.
pub fn check_tolerance_fits_decimals(policy: Tolerance, decimals: usize) -> Result<()> {
    let half_unit = 0.5 * 10f64.powi(-(decimals as i32));
    match policy {
        Tolerance::Fixed(t) if t < half_unit => Err(Error::invalid(
            "--tolerance",
            format!(
                "{t} is below {half_unit}, half a unit of the {decimals} decimals asked for: \
                 correctly rounded answers would be marked wrong"
            ),
            format!("give a tolerance of at least {half_unit}, or leave it out to derive it"),
        )),
        _ => Ok(()),
    }
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

/// A row's CSV fields under `answer_keys`; answers the row does not have stay empty (a batch
/// whose config draws the architecture can mix shapes).
pub fn csv_record(row: &KeyRow, answer_keys: &[String]) -> Vec<String> {
    let mut record = vec![
        row.id.clone(),
        row.name.clone(),
        row.seed.clone(),
        row.folder.clone(),
    ];
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
    fn a_key_that_grades_a_skipped_update_as_right_is_refused_naming_the_answer() {
        // Task 3.1's dC/dF1_11 is 0: its "updated" F1_11 is the old 0.5.
        let sol = solve(&task_3_1()).unwrap();
        let stepwise = shown::shown(&sol, 3, Rounding::Stepwise).unwrap();
        let policy = Tolerance::FromRounding { decimals: 3 };
        let answers = answers_for(&sol, &stepwise, policy);
        let err = check_distinct(&sol, &answers, policy, "student 1")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("student 1") && err.contains("f1_new_1_1") && err.contains("of 0.5"),
            "{err}"
        );
        // A generated exercise (its rules keep every answer apart) passes.
        let config = crate::generate::GeneratorConfig::default();
        let problem = crate::generate::sample_problem(&config, "7")
            .unwrap()
            .problem;
        let sol = solve(&problem).unwrap();
        let stepwise = shown::shown(&sol, 3, Rounding::Stepwise).unwrap();
        let answers = answers_for(&sol, &stepwise, policy);
        assert!(check_distinct(&sol, &answers, policy, "student 7").is_ok());
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
