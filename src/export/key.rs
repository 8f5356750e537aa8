//! Answer keys: the graded answers of one exercise with the absolute tolerance a grader (or an
//! LMS) should accept and the points each is worth, and the CSV/JSON tables of a whole class.
//! Values come from the solver, unrounded; tolerances from the rounding rule of the sheet.
//!
//! - Graded answers, by part and only for the parts asked: a) y_hat and the loss; b) the
//!   updated W2, B2, F1 and B1; c) every entry of dC/dP0. Names come from
//!   [`Step::entry_names`] (`y_hat`, `w2_new_2`, `f1_new_1_2`, `d_p0_3_1`).
//! - Points: an answer listed in the `[difficulty]` table's `answer_points` gets those points;
//!   the rest of its part's points are spread evenly over the part's other answers. Points are
//!   kept as exact fractions ([`Share`]) so that a Moodle gap weight can be made whole.
//! - `key.json` holds, per person, everything `nnexam grade` needs: the exercise, the decimals,
//!   the rounding, the tolerance rule and the answers with their points.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::generate::choice::{self, Choice};
use crate::number::decimal_text;
use crate::solve::shown::{self, Rounding, Shown};
use crate::solve::step::Step;
use crate::solve::tolerance::skipped_values;
pub use crate::solve::tolerance::Tolerance;
use crate::solve::{value_shape, Solution, Values};
use crate::spec::difficulty::{Knobs, PartName};
use crate::spec::{ExerciseFile, Problem, Shapes};

/// One graded answer: a stable column name, the exact value, the accepted absolute error and
/// the points it is worth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradedAnswer {
    /// Stable column name, e.g. `w2_new_1`.
    pub key: String,
    /// The exact value.
    pub value: f64,
    /// The accepted absolute error.
    pub tolerance: f64,
    /// The points it is worth.
    pub points: f64,
    /// On a multiple-choice sheet, the right option's letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub letter: Option<char>,
}

/// The steps a key can grade, in key order: y_hat, the loss, the cost (of a mini-batch), the
/// parameters after the SGD step (W2, B2, F1, B1), and dC/dP0.
const GRADED: [Step; 8] = [
    Step::YHat,
    Step::Loss,
    Step::Cost,
    Step::W2New,
    Step::B2New,
    Step::F1New,
    Step::B1New,
    Step::DP0,
];

/// The graded steps of the parts `knobs` asks of an exercise with `shapes`, in key order. The
/// cost is graded only in a mini-batch: for one sample it is the loss.
pub fn graded_steps(knobs: &Knobs, shapes: &Shapes) -> Vec<Step> {
    GRADED
        .into_iter()
        .filter(|step| knobs.asks(part_of(*step)))
        .filter(|step| *step != Step::Cost || shapes.samples > 1)
        .collect()
}

fn part_of(step: Step) -> PartName {
    step.part()
        .expect("invariant: every graded step is in a part")
}

/// The part (a, b or c) of each graded answer of `steps`, in key order, for an exercise with
/// `shapes`.
pub fn graded_parts(steps: &[Step], shapes: &Shapes) -> Vec<PartName> {
    steps
        .iter()
        .flat_map(|&step| {
            let count: usize = value_shape(shapes, step).iter().product();
            std::iter::repeat_n(part_of(step), count)
        })
        .collect()
}

/// The values of `steps` in one evaluation of the chain, in key order (entries row-major).
pub fn graded_values<N, T>(
    values: &Values<N>,
    steps: &[Step],
    convert: impl Fn(&N) -> T,
) -> Vec<T> {
    steps
        .iter()
        .flat_map(|&step| values.get(step).iter().map(&convert).collect::<Vec<_>>())
        .collect()
}

/// The answer names of `steps` for an exercise with `shapes`, in key order.
pub fn answer_names(steps: &[Step], shapes: &Shapes) -> Vec<String> {
    steps
        .iter()
        .flat_map(|&step| step.entry_names(&value_shape(shapes, step)))
        .collect()
}

/// The place in the chain of every answer of [`answer_names`]: its step and its row-major
/// position in the step's value.
pub fn answer_places(steps: &[Step], shapes: &Shapes) -> Vec<(Step, usize)> {
    steps
        .iter()
        .flat_map(|&step| (0..value_shape(shapes, step).iter().product()).map(move |k| (step, k)))
        .collect()
}

/// Points as an exact fraction `numerator / denominator`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    /// Numerator.
    pub numerator: u64,
    /// Denominator, at least 1.
    pub denominator: u64,
}

impl Share {
    /// The points as a number.
    pub fn to_f64(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }
}

/// The points of every answer named `names` (with their `parts`), by the module's rule: an
/// answer in `knobs.answer_points` gets its points, each part's other answers share the rest of
/// the part's points evenly. Fails when a part's listed answers exceed its points.
pub fn answer_points(names: &[String], parts: &[PartName], knobs: &Knobs) -> Result<Vec<Share>> {
    let part_points = |part| match part {
        PartName::A => knobs.points.a,
        PartName::B => knobs.points.b,
        PartName::C => knobs.points.c,
    };
    // Per part: the points listed for single answers, and how many answers share the rest.
    let mut listed: BTreeMap<PartName, (u64, u64)> = BTreeMap::new();
    for (name, &part) in names.iter().zip(parts) {
        let entry = listed.entry(part).or_default();
        match knobs.answer_points.get(name) {
            Some(&p) => entry.0 += u64::from(p),
            None => entry.1 += 1,
        }
    }
    for (&part, &(fixed, _)) in &listed {
        if fixed > u64::from(part_points(part)) {
            return Err(Error::invalid(
                "difficulty.answer_points",
                format!(
                    "the answers listed for part {part:?} have {fixed} points, more than the \
                     part's {}",
                    part_points(part)
                ),
                "lower answer_points, or give the part more points",
            ));
        }
    }
    Ok(names
        .iter()
        .zip(parts)
        .map(|(name, &part)| match knobs.answer_points.get(name) {
            Some(&p) => Share {
                numerator: u64::from(p),
                denominator: 1,
            },
            None => {
                let (fixed, sharing) = listed[&part];
                Share {
                    numerator: u64::from(part_points(part)) - fixed,
                    denominator: sharing,
                }
            }
        })
        .collect())
}

/// Fails naming the first name of `knobs.answer_points` that is not an answer of `names`.
pub fn check_answer_point_names(names: &[String], knobs: &Knobs) -> Result<()> {
    match knobs
        .answer_points
        .keys()
        .find(|listed| !names.contains(listed))
    {
        None => Ok(()),
        Some(unknown) => Err(Error::invalid(
            "difficulty.answer_points",
            format!("`{unknown}` is not a graded answer of these exercises"),
            format!("use one of: {}", names.join(", ")),
        )),
    }
}

/// The graded answers of `solution` for the parts `knobs` asks: exact values, tolerances by
/// `policy` against `stepwise` (the stepwise worked solution's shown values at the sheet's
/// decimals), points by [`answer_points`].
pub fn answers_for(
    solution: &Solution,
    stepwise: &Shown,
    policy: Tolerance,
    knobs: &Knobs,
) -> Result<Vec<GradedAnswer>> {
    let shapes = solution.problem.shapes();
    let steps = graded_steps(knobs, &shapes);
    let names = answer_names(&steps, &shapes);
    let points = answer_points(&names, &graded_parts(&steps, &shapes), knobs)?;
    let exact = graded_values(&solution.values, &steps, |x| *x);
    let shown = graded_values(&stepwise.values, &steps, shown::to_f64);
    Ok(names
        .into_iter()
        .zip(exact.iter().zip(&shown))
        .zip(points)
        .map(|((key, (&value, &shown)), points)| GradedAnswer {
            tolerance: policy.for_answer(value, shown),
            key,
            value,
            points: points.to_f64(),
            letter: None,
        })
        .collect())
}

/// The lettered options of every answer of `answers` (from [`answers_for`]) for a
/// multiple-choice sheet whose numbers are `printed`, in an order drawn from `seed`; and the
/// right letters written into `answers`.
pub fn choose(
    solution: &Solution,
    printed: &Shown,
    answers: &mut [GradedAnswer],
    knobs: &Knobs,
    seed: &str,
) -> Vec<Choice> {
    let shapes = solution.problem.shapes();
    let steps = graded_steps(knobs, &shapes);
    let texts = graded_values(&printed.values, &steps, decimal_text);
    let places = answer_places(&steps, &shapes);
    let asked: Vec<choice::Answer<'_>> = answers
        .iter()
        .zip(&texts)
        .zip(&places)
        .map(|((a, text), &(step, index))| choice::Answer {
            name: &a.key,
            step,
            index,
            text,
            tolerance: a.tolerance,
        })
        .collect();
    let choices = choice::choices(solution, &asked, printed.decimals, seed);
    for (answer, choice) in answers.iter_mut().zip(&choices) {
        answer.letter = Some(choice.correct);
    }
    choices
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

/// Refuses `answers` that do not lie `apart` from the values of skipping their steps; `who`
/// names the student or variant in the error. Answers are found by name, so a key of some parts
/// only is checked for those.
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
    let shapes = solution.problem.shapes();
    let by_name: BTreeMap<&str, &GradedAnswer> =
        answers.iter().map(|a| (a.key.as_str(), a)).collect();
    for (step, skips) in skipped_values(&solution.problem) {
        for (name, skip) in answer_names(&[step], &shapes).iter().zip(skips) {
            let Some(answer) = by_name.get(name.as_str()) else {
                continue;
            };
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
                    "{who}: the answer {} = {} lies {within} {} of {}, the value of skipping \
                     its step, so the key could not tell a skipped step from a right answer",
                    answer.key, answer.value, answer.tolerance, skip
                ),
                fix,
            ));
        }
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

/// The tolerance rule of a key, as `key.json` records it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum TolerancePolicy {
    /// `10^-D + |stepwise - exact|`, D the key's decimals.
    FromRounding,
    /// One absolute tolerance for every answer.
    Fixed {
        /// The tolerance.
        value: f64,
    },
}

impl TolerancePolicy {
    /// The policy of `tolerance`.
    pub fn of(tolerance: Tolerance) -> TolerancePolicy {
        match tolerance {
            Tolerance::Fixed(value) => TolerancePolicy::Fixed { value },
            Tolerance::FromRounding { .. } => TolerancePolicy::FromRounding,
        }
    }

    /// The tolerance rule at `decimals`.
    pub fn at(self, decimals: usize) -> Tolerance {
        match self {
            TolerancePolicy::Fixed { value } => Tolerance::Fixed(value),
            TolerancePolicy::FromRounding => Tolerance::FromRounding { decimals },
        }
    }
}

/// The exercise in `key.json`: the exercise-file object, read back and validated.
mod problem_as_file {
    use super::*;

    pub(super) fn serialize<S: serde::Serializer>(
        problem: &Problem,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        problem.serialize(s)
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Problem, D::Error> {
        let file = ExerciseFile::deserialize(d)?;
        Problem::from_file(&file).map_err(serde::de::Error::custom)
    }
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
    /// The exercise, as in the JSON output's `problem`.
    #[serde(with = "problem_as_file")]
    pub problem: Problem,
    /// Decimals the sheet asks for.
    pub decimals: usize,
    /// How the sheet's worked solution rounds.
    pub rounding: Rounding,
    /// How the tolerances were set.
    pub tolerance: TolerancePolicy,
    /// The graded answers, in key order.
    pub answers: Vec<GradedAnswer>,
}

/// Column names of the CSV key: id, name, seed, folder, then `<answer>` and `<answer>_tol`
/// (and with `letters`, `<answer>_letter`) for every answer key in `answer_keys` order.
pub fn csv_header(answer_keys: &[String], letters: bool) -> Vec<String> {
    let mut header: Vec<String> = ["id", "name", "seed", "folder"].map(String::from).to_vec();
    for key in answer_keys {
        header.push(key.clone());
        header.push(format!("{key}_tol"));
        if letters {
            header.push(format!("{key}_letter"));
        }
    }
    header
}

/// A text cell that a spreadsheet shows as text: one that starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return would be evaluated as a formula (CSV injection), so it gets a leading
/// `'`, as OWASP recommends. Numbers never pass through here.
pub fn spreadsheet_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// A row's CSV fields under `answer_keys`; answers the row does not have stay empty (a batch
/// whose config draws the architecture can mix shapes). Text cells are made safe for
/// spreadsheets ([`spreadsheet_text`]); `key.json` keeps the text as written.
pub fn csv_record(row: &KeyRow, answer_keys: &[String], letters: bool) -> Vec<String> {
    let mut record: Vec<String> = [&row.id, &row.name, &row.seed, &row.folder]
        .map(|text| spreadsheet_text(text))
        .to_vec();
    for key in answer_keys {
        let answer = row.answers.iter().find(|a| &a.key == key);
        record.push(answer.map(|a| a.value.to_string()).unwrap_or_default());
        record.push(answer.map(|a| a.tolerance.to_string()).unwrap_or_default());
        if letters {
            let letter = answer.and_then(|a| a.letter);
            record.push(letter.map(String::from).unwrap_or_default());
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::shown::Rounding;
    use crate::solve::solve;
    use crate::spec::difficulty::{Difficulty, Preset};
    use crate::spec::fixtures::task_3_1;

    fn knobs(preset: Preset) -> Knobs {
        preset.knobs()
    }

    #[test]
    fn the_wider_family_s_answers_carry_map_class_and_sample_indices() {
        // Two filters over one 5x5 channel, softmax over 3 classes, a batch of 2.
        let problem = crate::spec::load(std::path::Path::new(
            "exercises/family/softmax-batch-two-filters.toml",
        ))
        .unwrap();
        let names = answer_names(
            &graded_steps(&knobs(Preset::Full), &problem.shapes()),
            &problem.shapes(),
        );
        let has = |name: &str| names.iter().any(|n| n == name);
        for name in [
            "s1_y_hat_1",
            "s2_y_hat_3",
            "s1_loss",
            "s2_loss",
            "cost",
            "w2_new_3_8",
            "b2_new_3",
            "f1_new_2_2_2",
            "b1_new_2",
            "s2_d_p0_5_5",
        ] {
            assert!(has(name), "{name} in {names:?}");
        }
        // 2 x 3 outputs, 2 losses, the cost, 3 x 8 weights, 3 biases, 2 x 2 x 2 filter entries,
        // 2 biases, 2 x 25 entries of dC/dP0.
        assert_eq!(names.len(), 6 + 2 + 1 + 24 + 3 + 8 + 2 + 50);
        let unique: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "names are unique");
    }

    #[test]
    fn answers_cover_the_asked_parts() {
        let sol = solve(&task_3_1()).unwrap();
        let stepwise = shown::shown(&sol, 3, Rounding::Stepwise).unwrap();
        let answers = answers_for(
            &sol,
            &stepwise,
            Tolerance::Fixed(0.01),
            &knobs(Preset::Full),
        )
        .unwrap();
        let keys: Vec<&str> = answers.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(&keys[..3], ["y_hat", "loss", "w2_new_1"]);
        // 2 + 4 weights + B2 + 4 filter entries + B1 + 25 entries of dC/dP0.
        assert_eq!(answers.len(), 12 + 25);
        assert!(keys.contains(&"f1_new_2_1") && keys.contains(&"b1_new"));
        assert_eq!(answers[0].value, *sol.values.scalar(Step::YHat));
        assert_eq!(answers[11].value, *sol.values.scalar(Step::B1New));
        assert_eq!((keys[12], keys[36]), ("d_p0_1_1", "d_p0_5_5"));
        assert_eq!(
            answers[13].value,
            sol.values.map_of(Step::DP0, 0, 0)[(0, 1)]
        );
        // Parts b and c only: no y_hat, no loss.
        let bc = Difficulty {
            parts: Some(vec![PartName::B, PartName::C]),
            ..Difficulty::default()
        };
        let answers = answers_for(
            &sol,
            &stepwise,
            Tolerance::Fixed(0.01),
            &bc.resolve().unwrap(),
        )
        .unwrap();
        assert_eq!(answers[0].key, "w2_new_1");
    }

    #[test]
    fn points_spread_evenly_over_a_part_unless_an_answer_has_its_own() {
        let sol = solve(&task_3_1()).unwrap();
        let stepwise = shown::shown(&sol, 3, Rounding::Stepwise).unwrap();
        let full = knobs(Preset::Full);
        let (a, b, c) = (full.points.a, full.points.b, full.points.c);
        let answers = answers_for(&sol, &stepwise, Tolerance::Fixed(0.01), &full).unwrap();
        let points = |name: &str| answers.iter().find(|x| x.key == name).unwrap().points;
        assert_eq!(points("y_hat"), f64::from(a) / 2.0);
        assert_eq!(points("b1_new"), f64::from(b) / 10.0);
        assert_eq!(points("d_p0_3_3"), f64::from(c) / 25.0);
        let mut listed = full.clone();
        listed.answer_points.insert("loss".into(), 3);
        let answers = answers_for(&sol, &stepwise, Tolerance::Fixed(0.01), &listed).unwrap();
        assert_eq!(
            (answers[0].points, answers[1].points),
            (f64::from(a) - 3.0, 3.0)
        );
        listed.answer_points.insert("loss".into(), a + 1);
        let err = answers_for(&sol, &stepwise, Tolerance::Fixed(0.01), &listed).unwrap_err();
        assert!(err.to_string().contains("answer_points"), "{err}");
        let names = vec!["y_hat".to_string()];
        assert!(check_answer_point_names(&names, &listed).is_err());
    }

    #[test]
    fn a_key_that_grades_a_skipped_update_as_right_is_refused_naming_the_answer() {
        // Task 3.1's dC/dF1_11 is 0: its "updated" F1_11 is the old 0.5.
        let sol = solve(&task_3_1()).unwrap();
        let stepwise = shown::shown(&sol, 3, Rounding::Stepwise).unwrap();
        let policy = Tolerance::FromRounding { decimals: 3 };
        let knobs = knobs(Preset::Standard);
        let answers = answers_for(&sol, &stepwise, policy, &knobs).unwrap();
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
        let answers = answers_for(&sol, &stepwise, policy, &knobs).unwrap();
        assert!(check_distinct(&sol, &answers, policy, "student 7").is_ok());
    }

    #[test]
    fn csv_text_cells_cannot_become_formulas() {
        // Issue 10: `=HYPERLINK(...)`, `@SUM(A1)` and `+cmd` were evaluated by the spreadsheet.
        let row = KeyRow {
            id: "-3".into(),
            name: "=HYPERLINK(\"http://x\")".into(),
            seed: "@SUM(A1)".into(),
            folder: "+cmd".into(),
            ..row(vec![y_hat(-0.5)])
        };
        let record = csv_record(&row, &["y_hat".to_string()], false);
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
    fn the_tolerance_policy_reads_back_from_key_json() {
        for policy in [
            TolerancePolicy::FromRounding,
            TolerancePolicy::Fixed { value: 0.01 },
        ] {
            let text = serde_json::to_string(&policy).unwrap();
            let back: TolerancePolicy = serde_json::from_str(&text).unwrap();
            assert_eq!(back, policy);
        }
        assert_eq!(
            serde_json::to_string(&TolerancePolicy::FromRounding).unwrap(),
            r#"{"rule":"from_rounding"}"#
        );
        assert_eq!(
            TolerancePolicy::FromRounding.at(2),
            Tolerance::FromRounding { decimals: 2 }
        );
    }

    /// A y_hat answer of `value`, worth 2 points, tolerance 0.001.
    fn y_hat(value: f64) -> GradedAnswer {
        GradedAnswer {
            key: "y_hat".into(),
            value,
            tolerance: 0.001,
            points: 2.0,
            letter: None,
        }
    }

    fn row(answers: Vec<GradedAnswer>) -> KeyRow {
        KeyRow {
            id: "1".into(),
            name: "Ada".into(),
            seed: "s/1".into(),
            folder: "1".into(),
            problem: task_3_1(),
            decimals: 3,
            rounding: Rounding::Stepwise,
            tolerance: TolerancePolicy::FromRounding,
            answers,
        }
    }

    #[test]
    fn a_key_row_reads_back_with_its_exercise() {
        let row = row(vec![y_hat(0.5)]);
        let text = serde_json::to_string(&row).unwrap();
        assert!(text.contains(r#""problem":{"x":[[2.0,"#), "{text}");
        let back: KeyRow = serde_json::from_str(&text).unwrap();
        assert_eq!(back, row);
    }

    #[test]
    fn csv_record_leaves_missing_answers_empty() {
        let row = row(vec![y_hat(0.5)]);
        let keys = vec!["y_hat".to_string(), "loss".to_string()];
        assert_eq!(csv_header(&keys, false).len(), 8);
        assert_eq!(
            csv_record(&row, &keys, false),
            ["1", "Ada", "s/1", "1", "0.5", "0.001", "", ""]
        );
    }
}
