//! Simulated classes graded by `grade::grade_person`, over the hand-built family and generated
//! exercises of every bundled preset, with the knobs of every difficulty preset. Each student's
//! answers come from an independent computation of what that student does: the sheet's own
//! printed values, the exact values of a *changed* exercise (an early slip in z2 is the right
//! solution of the exercise with B2 moved by the slip), or a misconception's chain (checked
//! against its definition in tests/misconceptions.rs). The expected statuses follow from the
//! rules of the issue, never from the grader: right where the value is the right one, the slip
//! costs once, a misconception is named at the first answer it changes.

mod common;

use std::collections::BTreeMap;

use nnexam::export::key::{self, KeyRow, Tolerance, TolerancePolicy};
use nnexam::grade::{grade_person, Credit, Mark, PersonMarks, Response, Status};
use nnexam::solve::misconception::Misconception;
use nnexam::solve::shown::{self, Rounding};
use nnexam::solve::step::Step;
use nnexam::solve::{self, follow, value_shape, Values};
use nnexam::spec::difficulty::Preset;
use nnexam::spec::{Activation, PoolKind, Problem};

const DECIMALS: usize = 3;

/// The key row of `problem` for a sheet of `preset` at [`DECIMALS`], tolerances from rounding.
fn key_row(id: &str, problem: &Problem, preset: Preset) -> KeyRow {
    let solution = solve::solve(problem).expect("solves");
    let stepwise = shown::shown(&solution, DECIMALS, Rounding::Stepwise).expect("shown");
    let policy = Tolerance::FromRounding { decimals: DECIMALS };
    KeyRow {
        id: id.to_string(),
        name: String::new(),
        seed: id.to_string(),
        folder: id.to_string(),
        problem: problem.clone(),
        decimals: DECIMALS,
        rounding: Rounding::Stepwise,
        tolerance: TolerancePolicy::of(policy),
        answers: key::answers_for(&solution, &stepwise, policy, &preset.knobs()).expect("key"),
    }
}

/// A response with `value(name)` in every column of the key and of `extra`.
fn response(row: &KeyRow, extra: &[&str], value: impl Fn(&str) -> Option<f64>) -> Response {
    let names = row
        .answers
        .iter()
        .map(|a| a.key.as_str())
        .chain(extra.iter().copied());
    Response {
        line: 2,
        values: names.map(|n| (n.to_string(), value(n))).collect(),
    }
}

/// Every entry of a chain's values by answer name (`y_hat`, `w2_new_2`, `z1_1_1`, ...).
fn by_name(problem: &Problem, values: &Values<f64>) -> BTreeMap<String, f64> {
    nnexam::grade::entries_by_name(problem)
        .into_iter()
        .filter_map(|(name, (step, k))| {
            let value = *values.try_entry(step, k)?;
            Some((name, value))
        })
        .collect()
}

fn graded(marks: &PersonMarks) -> impl Iterator<Item = &Mark> {
    marks.marks.iter().filter(|m| m.graded)
}

/// The exercises of the simulated classes: the hand-built family, three seeds of every
/// generator preset of the original skeleton and two of every wider preset (several channels
/// and filters, softmax, mini-batches).
fn exercises() -> Vec<(String, Problem)> {
    let mut all = common::problems();
    all.extend(common::generated_problems(3));
    all.extend(common::family_problems(2));
    all
}

const PRESETS: [Preset; 3] = [Preset::Short, Preset::Standard, Preset::Full];

#[test]
fn a_student_who_writes_what_the_sheet_prints_gets_full_marks() {
    for (name, problem) in exercises() {
        let solution = solve::solve(&problem).unwrap();
        let printed = shown::shown(&solution, DECIMALS, Rounding::Stepwise).unwrap();
        let printed: Values<f64> = printed.values.map(shown::to_f64);
        let printed = by_name(&problem, &printed);
        let exact = by_name(&problem, &solution.values);
        for preset in PRESETS {
            let row = key_row(&name, &problem, preset);
            for (how, values) in [("printed", &printed), ("exact", &exact)] {
                let marks = grade_person(
                    &row,
                    Some(&response(&row, &[], |n| Some(values[n]))),
                    Credit::default(),
                )
                .unwrap();
                for m in graded(&marks) {
                    assert_eq!(
                        m.status,
                        Status::Correct,
                        "{name} {preset:?} {how} {}",
                        m.name
                    );
                }
                assert_eq!(marks.total, marks.max, "{name} {preset:?} {how}");
                assert!(marks.max > 0.0);
            }
        }
    }
}

/// The exercise a student solves who slips by `delta` in the first output of z2 (every sample's):
/// z2 = W2 S + B2, so every later value is the right one of the exercise with B2[0] + delta (and
/// their updated B2[0] is that exercise's minus `delta`, since they update the B2 they were
/// given). (Only the first output: a softmax does not change when every output moves alike.)
fn slipped(problem: &Problem, delta: f64) -> BTreeMap<String, f64> {
    let mut changed = problem.clone();
    changed.b2[0] += delta;
    let solution = solve::solve(&changed).unwrap();
    let mut values = by_name(problem, &solution.values);
    let first_b2 = Step::B2New.entry_names(&value_shape(&problem.shapes(), Step::B2New))[0].clone();
    *values.get_mut(&first_b2).unwrap() -= delta;
    values
}

/// The names of the first output's z2 entries (one per sample): where the slip happens.
fn slipped_z2(problem: &Problem) -> Vec<String> {
    let shapes = problem.shapes();
    let names = Step::Z2.entry_names(&value_shape(&shapes, Step::Z2));
    names.into_iter().step_by(shapes.classes).collect()
}

/// The answer names of the entries of y_hat (`y_hat`, `y_hat_2`, `s2_y_hat_3`).
fn y_hat_names(problem: &Problem) -> Vec<String> {
    Step::YHat.entry_names(&value_shape(&problem.shapes(), Step::YHat))
}

#[test]
fn an_early_slip_costs_once_and_every_later_answer_is_carried_forward() {
    let delta = 0.37;
    for (name, problem) in exercises() {
        let student = slipped(&problem, delta);
        let right = by_name(&problem, &solve::solve(&problem).unwrap().values);
        let y_hat = y_hat_names(&problem);
        for preset in PRESETS {
            let row = key_row(&name, &problem, preset);
            let label = format!("{name} {preset:?}");
            // Only the answers: y_hat is wrong, everything computed from it carried.
            let marks = grade_person(
                &row,
                Some(&response(&row, &[], |n| Some(student[n]))),
                Credit::default(),
            )
            .unwrap();
            let mut lost = 0.0;
            for (m, answer) in graded(&marks).zip(&row.answers) {
                let differs = (student[&m.name] - right[&m.name]).abs() > answer.tolerance;
                let want = match (y_hat.contains(&m.name), differs) {
                    (true, true) => Status::Wrong,
                    (false, true) => Status::Carried,
                    (_, false) => Status::Correct,
                };
                assert_eq!(m.status, want, "{label} {}", m.name);
                if m.status == Status::Wrong {
                    lost += answer.points;
                }
            }
            assert!((marks.max - marks.total - lost).abs() < 1e-9, "{label}");
            // With z2 written too, the slip shows where it happened and costs nothing graded.
            let z2_names = slipped_z2(&problem);
            let z2_columns: Vec<&str> = z2_names.iter().map(String::as_str).collect();
            let marks = grade_person(
                &row,
                Some(&response(&row, &z2_columns, |n| Some(student[n]))),
                Credit::default(),
            )
            .unwrap();
            for name in &z2_names {
                let z2 = marks.marks.iter().find(|m| &m.name == name).unwrap();
                assert_eq!(
                    (z2.status.clone(), z2.graded),
                    (Status::Wrong, false),
                    "{label} {name}"
                );
            }
            for m in graded(&marks) {
                assert!(
                    matches!(m.status, Status::Correct | Status::Carried),
                    "{label} {}: {:?}",
                    m.name,
                    m.status
                );
            }
            assert_eq!(marks.total, marks.max, "{label}");
            // Carried answers earn what --ecf-credit says.
            let half = Credit {
                carried: 0.5,
                misconception: 0.0,
            };
            let marks = grade_person(
                &row,
                Some(&response(&row, &z2_columns, |n| Some(student[n]))),
                half,
            )
            .unwrap();
            let carried: f64 = graded(&marks)
                .filter(|m| m.status == Status::Carried)
                .map(|m| m.max)
                .sum();
            assert!(carried > 0.0, "{label}");
            assert!(
                (marks.max - marks.total - carried / 2.0).abs() < 1e-9,
                "{label}"
            );
        }
    }
}

#[test]
fn each_misconception_is_named_where_it_first_shows_and_nothing_is_wrong() {
    let mut named: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, problem) in exercises() {
        let right = by_name(&problem, &solve::solve(&problem).unwrap().values);
        for m in Misconception::ALL
            .into_iter()
            .filter(|m| m.applies_to(&problem))
        {
            let student = by_name(&problem, &follow(&problem, Some(m), &[]));
            for preset in PRESETS {
                let row = key_row(&name, &problem, preset);
                let label = format!("{name} {preset:?} {}", m.name());
                let marks = grade_person(
                    &row,
                    Some(&response(&row, &[], |n| student.get(n).copied())),
                    Credit::default(),
                )
                .unwrap();
                let mut first = true;
                for (mark, answer) in graded(&marks).zip(&row.answers) {
                    let differs =
                        (student[&mark.name] - right[&mark.name]).abs() > answer.tolerance;
                    let shows =
                        |s: &Status| matches!(s, Status::Misconception(all) if all.contains(&m));
                    if !differs {
                        assert_eq!(mark.status, Status::Correct, "{label} {}", mark.name);
                    } else if first {
                        assert!(
                            shows(&mark.status),
                            "{label} {}: {:?}",
                            mark.name,
                            mark.status
                        );
                        *named.entry(m.name()).or_default() += 1;
                        first = false;
                    } else {
                        assert!(
                            mark.status == Status::Carried || shows(&mark.status),
                            "{label} {}: {:?}",
                            mark.name,
                            mark.status
                        );
                    }
                }
            }
        }
    }
    // Every misconception was seen and named somewhere (not all coincide with the right value).
    for m in Misconception::ALL {
        assert!(
            named.get(m.name()).is_some_and(|n| *n > 0),
            "{} never named",
            m.name()
        );
    }
}

/// A misconception that gives the right value on an exercise is no mistake there: the student
/// is right. ReLU with max-pooling: where a window's maximum is positive, ReLU's derivative is 1,
/// so skipping it changes nothing. A filter that a 180-degree rotation leaves as it is: not
/// rotating it for dC/dP0 changes nothing.
#[test]
fn errors_that_coincide_with_the_right_value_are_graded_correct() {
    let relu_max = common::task_3_1();
    assert_eq!(relu_max.activation, Activation::Relu);
    assert_eq!(relu_max.pool.kind, PoolKind::Max);
    let solution = solve::solve(&relu_max).unwrap();
    let positive_maxima = solution
        .values
        .map_of(Step::P1, 0, 0)
        .iter()
        .all(|&p| p > 0.0);
    assert!(positive_maxima, "Task 3.1's pooled maxima are positive");

    let mut symmetric = common::task_3_1();
    let f = symmetric.f1.clone();
    symmetric.f1[[0, 0, 1, 1]] = f[[0, 0, 0, 0]];
    symmetric.f1[[0, 0, 1, 0]] = f[[0, 0, 0, 1]];
    assert_eq!(
        symmetric.filter(0, 0),
        nnexam::solve::conv::rotate_180(symmetric.filter(0, 0))
    );

    for (problem, m) in [
        (&relu_max, Misconception::NoActivationDerivative),
        (&symmetric, Misconception::InputGradientUnrotated),
    ] {
        let student = by_name(problem, &follow(problem, Some(m), &[]));
        let row = key_row("coincide", problem, Preset::Full);
        let marks = grade_person(
            &row,
            Some(&response(&row, &[], |n| student.get(n).copied())),
            Credit::default(),
        )
        .unwrap();
        for mark in graded(&marks) {
            assert_eq!(mark.status, Status::Correct, "{} {}", m.name(), mark.name);
        }
        assert_eq!(marks.total, marks.max);
    }
}

#[test]
fn blank_cells_are_blank_and_a_person_without_a_row_is_absent() {
    let problem = common::task_3_1();
    let row = key_row("1", &problem, Preset::Standard);
    let blank = grade_person(
        &row,
        Some(&response(&row, &[], |_| None)),
        Credit::default(),
    );
    let absent = grade_person(&row, None, Credit::default());
    for (marks, want) in [
        (blank.unwrap(), Status::Blank),
        (absent.unwrap(), Status::Absent),
    ] {
        assert_eq!(marks.marks.len(), row.answers.len());
        assert!(marks
            .marks
            .iter()
            .all(|m| m.status == want && m.points == 0.0));
        assert_eq!(marks.total, 0.0);
        assert!(marks.max > 0.0);
    }
}
