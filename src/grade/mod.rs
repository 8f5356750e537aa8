//! Grading a class's responses against its key (`nnexam grade`): every answered value gets a
//! status, with an early slip carried forward and a known mistake named.
//!
//! - `correct`: within the key's tolerance of the right value.
//! - `carried`: not correct, but within tolerance of what the chain gives from the student's
//!   *own* earlier answers: each step they answered takes their values, each step they left out
//!   is recomputed from their earlier answers ([`solve::follow`]). One early slip costs once.
//! - `misconception:NAME`: within tolerance of the value a named misconception
//!   ([`Misconception`]) gives when it is made at its own step and the chain then continues
//!   correctly, starting from the right values or from the student's own earlier answers.
//!   Several that give the same value are all named (`misconception:A+B`, names sorted).
//! - `wrong`; `blank` for an empty cell (or a column the responses lack); `absent` for every
//!   answer of a person in the key without a row.
//!
//! Precedence: correct, carried, misconception, wrong. Tolerances: the key's for its answers;
//! the same rule for the intermediate steps a response may add (`z2`, `d_z1_2_3`, ...). Points:
//! a key answer earns its points when correct, `credit.carried` of them when carried,
//! `credit.misconception` of them for a misconception; intermediate steps earn none.

mod present;
pub mod responses;

pub use present::{catalogue, feedback, report};

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use crate::error::Result;
use crate::export::key::KeyRow;
use crate::number::decimal_text;
use crate::solve::misconception::Misconception;
use crate::solve::shown::{self, Rounding};
use crate::solve::step::Step;
use crate::solve::{self, value_shape, Values};
use crate::spec::Problem;

pub use responses::{Response, Responses};

/// What one answer of one person is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Within tolerance of the right value.
    Correct,
    /// Within tolerance of what the chain gives from the person's own earlier answers.
    Carried,
    /// Within tolerance of what these misconceptions give (sorted by name, at least one).
    Misconception(Vec<Misconception>),
    /// None of the above.
    Wrong,
    /// Not answered.
    Blank,
    /// The person has no row in the responses.
    Absent,
}

impl Status {
    /// The status as marks.csv writes it: `correct`, `misconception:a+b`, ...
    pub fn label(&self) -> String {
        match self {
            Status::Correct => "correct".into(),
            Status::Carried => "carried".into(),
            Status::Misconception(names) => {
                let names: Vec<&str> = names.iter().map(|m| m.name()).collect();
                format!("misconception:{}", names.join("+"))
            }
            Status::Wrong => "wrong".into(),
            Status::Blank => "blank".into(),
            Status::Absent => "absent".into(),
        }
    }

    /// The status's kind, without the misconceptions' names (`misconception`).
    pub fn kind(&self) -> &'static str {
        match self {
            Status::Correct => "correct",
            Status::Carried => "carried",
            Status::Misconception(_) => "misconception",
            Status::Wrong => "wrong",
            Status::Blank => "blank",
            Status::Absent => "absent",
        }
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

/// The share of an answer's points that a status other than `correct` earns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Credit {
    /// For `carried` (`--ecf-credit`, default 1).
    pub carried: f64,
    /// For a misconception (`--misconception-credit`, default 0).
    pub misconception: f64,
}

impl Default for Credit {
    fn default() -> Self {
        Credit {
            carried: 1.0,
            misconception: 0.0,
        }
    }
}

/// One graded answer of one person.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mark {
    /// The answer's name (`y_hat`, `w2_new_2`, `z1_1_1`).
    pub name: String,
    /// Its status.
    pub status: Status,
    /// What the person wrote; `None` when blank or absent.
    pub given: Option<f64>,
    /// The points earned.
    pub points: f64,
    /// The points it is worth: the key's for a key answer, 0 for an intermediate step.
    pub max: f64,
    /// The right value as the sheet prints it (the stepwise worked solution's).
    pub correct: String,
    /// The accepted absolute error.
    pub tolerance: f64,
    /// True for an answer of the key; false for an intermediate step the response added.
    pub graded: bool,
}

/// One person's marks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PersonMarks {
    /// Roster id, or variant label.
    pub id: String,
    /// Name from the roster.
    pub name: String,
    /// The seed the exercise was generated from.
    pub seed: String,
    /// The person's folder in the batch (the feedback file's stem).
    pub folder: String,
    /// False when the responses have no row for the person.
    pub present: bool,
    /// The key's answers in key order, then the intermediate steps the response gave, in the
    /// chain's order.
    pub marks: Vec<Mark>,
    /// Points earned.
    pub total: f64,
    /// Points possible.
    pub max: f64,
}

/// Every entry of a problem's chain by answer name: the step and the row-major position.
/// ([`Step::DP0Padded`] only explains dC/dP0 on the sheet; it is not answered.)
pub fn entries_by_name(problem: &Problem) -> BTreeMap<String, (Step, usize)> {
    let shapes = problem.shapes();
    Step::ALL
        .into_iter()
        .filter(|s| *s != Step::DP0Padded)
        .flat_map(|step| {
            step.entry_names(&value_shape(&shapes, step))
                .into_iter()
                .enumerate()
                .map(move |(k, name)| (name, (step, k)))
        })
        .collect()
}

/// Grades one person: `row` is their key row, `response` their row of the responses (`None`:
/// absent).
pub fn grade_person(
    row: &KeyRow,
    response: Option<&Response>,
    credit: Credit,
) -> Result<PersonMarks> {
    let problem = &row.problem;
    let solution = solve::solve(problem)?;
    let stepwise = shown::shown(&solution, row.decimals, Rounding::Stepwise)?;
    let policy = row.tolerance.at(row.decimals);
    let entries = entries_by_name(problem);
    let place = |name: &str| entries[name];
    let key_names: Vec<&str> = row.answers.iter().map(|a| a.key.as_str()).collect();

    // What the person wrote, as the chain's entries.
    let given: Vec<(Step, usize, f64)> = response
        .map(|r| {
            r.values
                .iter()
                .filter_map(|(name, v)| v.map(|v| (name, v)))
                .filter_map(|(name, v)| entries.get(name.as_str()).map(|&(s, k)| (s, k, v)))
                .collect()
        })
        .unwrap_or_default();
    let carried = solve::follow(problem, None, &given);
    let mistaken: Vec<(Misconception, Values<f64>, Option<Values<f64>>)> = Misconception::ALL
        .into_iter()
        .filter(|m| m.applies_to(problem))
        .map(|m| {
            let own: Vec<(Step, usize, f64)> = given
                .iter()
                .filter(|(s, _, _)| !m.steps().contains(s))
                .copied()
                .collect();
            let from_own = (!own.is_empty()).then(|| solve::follow(problem, Some(m), &own));
            (m, solve::follow(problem, Some(m), &[]), from_own)
        })
        .collect();

    let status_of = |step: Step, k: usize, value: f64, exact: f64, tolerance: f64| -> Status {
        let near = |x: Option<f64>| x.is_some_and(|x| (value - x).abs() <= tolerance);
        if near(Some(exact)) {
            return Status::Correct;
        }
        if near(carried.try_entry(step, k).copied()) {
            return Status::Carried;
        }
        let names: Vec<Misconception> = mistaken
            .iter()
            .filter(|(m, _, _)| m.first_step() <= step)
            .filter(|(_, right, own)| {
                near(right.try_entry(step, k).copied())
                    || own
                        .as_ref()
                        .is_some_and(|o| near(o.try_entry(step, k).copied()))
            })
            .map(|(m, _, _)| *m)
            .collect();
        if names.is_empty() {
            Status::Wrong
        } else {
            let mut names = names;
            names.sort_by_key(|m| m.name());
            Status::Misconception(names)
        }
    };
    let written = |name: &str| -> Option<Option<f64>> {
        response.map(|r| r.values.get(name).copied().flatten())
    };
    let shown_text =
        |step: Step, k: usize| -> String { decimal_text(stepwise.values.entry(step, k)) };

    let mut marks = Vec::new();
    for answer in &row.answers {
        let (step, k) = place(&answer.key);
        let (status, given_value) = match written(&answer.key) {
            None => (Status::Absent, None),
            Some(None) => (Status::Blank, None),
            Some(Some(v)) => (
                status_of(step, k, v, answer.value, answer.tolerance),
                Some(v),
            ),
        };
        let share = match &status {
            Status::Correct => 1.0,
            Status::Carried => credit.carried,
            Status::Misconception(_) => credit.misconception,
            _ => 0.0,
        };
        marks.push(Mark {
            name: answer.key.clone(),
            status,
            given: given_value,
            points: answer.points * share,
            max: answer.points,
            correct: shown_text(step, k),
            tolerance: answer.tolerance,
            graded: true,
        });
    }
    // Intermediate steps the response gave, in the chain's order.
    if let Some(response) = response {
        let mut extra: Vec<(&(Step, usize), &String, Option<f64>)> = response
            .values
            .iter()
            .filter(|(name, _)| !key_names.contains(&name.as_str()))
            .filter_map(|(name, v)| entries.get(name.as_str()).map(|place| (place, name, *v)))
            .collect();
        extra.sort_by_key(|(place, _, _)| **place);
        for (&(step, k), name, value) in extra {
            let exact = *solution.values.entry(step, k);
            let shown_value = shown::to_f64(stepwise.values.entry(step, k));
            let tolerance = policy.for_answer(exact, shown_value);
            let status = match value {
                None => Status::Blank,
                Some(v) => status_of(step, k, v, exact, tolerance),
            };
            marks.push(Mark {
                name: name.clone(),
                status,
                given: value,
                points: 0.0,
                max: 0.0,
                correct: shown_text(step, k),
                tolerance,
                graded: false,
            });
        }
    }
    let total = marks.iter().map(|m| m.points).sum();
    let max = row.answers.iter().map(|a| a.points).sum();
    Ok(PersonMarks {
        id: row.id.clone(),
        name: row.name.clone(),
        seed: row.seed.clone(),
        folder: row.folder.clone(),
        present: response.is_some(),
        marks,
        total,
        max,
    })
}

/// The class's results per answer and per misconception, for the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClassReport {
    /// People in the key.
    pub people: usize,
    /// People with a row in the responses.
    pub present: usize,
    /// Per key answer, in key order.
    pub answers: Vec<AnswerStats>,
    /// Per misconception seen, most frequent first (then by name).
    pub misconceptions: Vec<MisconceptionStats>,
    /// Mean total of the present people, and the points possible (of the first person).
    pub mean_total: f64,
    /// Points possible.
    pub max: f64,
}

/// How the present people did on one answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AnswerStats {
    /// The answer's name.
    pub name: String,
    /// People graded on it (present and with this answer in their key).
    pub graded: usize,
    /// Correct.
    pub correct: usize,
    /// Carried.
    pub carried: usize,
    /// A misconception.
    pub misconception: usize,
    /// Wrong.
    pub wrong: usize,
    /// Blank.
    pub blank: usize,
    /// Share correct or carried, 0..=1.
    pub success: f64,
}

/// How often one misconception was seen.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MisconceptionStats {
    /// Its name.
    pub name: &'static str,
    /// People with at least one answer showing it.
    pub people: usize,
    /// Answers showing it.
    pub answers: usize,
}

/// The report of `marks`.
pub fn class_report(marks: &[PersonMarks]) -> ClassReport {
    let present: Vec<&PersonMarks> = marks.iter().filter(|p| p.present).collect();
    let mut answers: Vec<AnswerStats> = Vec::new();
    let mut seen: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    for person in &present {
        let mut mine: Vec<&'static str> = Vec::new();
        for mark in person.marks.iter().filter(|m| m.graded) {
            let at = match answers.iter().position(|a| a.name == mark.name) {
                Some(at) => at,
                None => {
                    answers.push(AnswerStats {
                        name: mark.name.clone(),
                        ..AnswerStats::default()
                    });
                    answers.len() - 1
                }
            };
            let stats = &mut answers[at];
            stats.graded += 1;
            match &mark.status {
                Status::Correct => stats.correct += 1,
                Status::Carried => stats.carried += 1,
                Status::Misconception(names) => {
                    stats.misconception += 1;
                    for m in names {
                        seen.entry(m.name()).or_default().1 += 1;
                        mine.push(m.name());
                    }
                }
                Status::Wrong => stats.wrong += 1,
                Status::Blank | Status::Absent => stats.blank += 1,
            }
        }
        mine.sort_unstable();
        mine.dedup();
        for name in mine {
            seen.entry(name).or_default().0 += 1;
        }
    }
    for stats in &mut answers {
        stats.success = if stats.graded == 0 {
            0.0
        } else {
            (stats.correct + stats.carried) as f64 / stats.graded as f64
        };
    }
    let mut misconceptions: Vec<MisconceptionStats> = seen
        .into_iter()
        .map(|(name, (people, answers))| MisconceptionStats {
            name,
            people,
            answers,
        })
        .collect();
    misconceptions.sort_by(|a, b| b.people.cmp(&a.people).then(a.name.cmp(b.name)));
    let mean_total = if present.is_empty() {
        0.0
    } else {
        present.iter().map(|p| p.total).sum::<f64>() / present.len() as f64
    };
    ClassReport {
        people: marks.len(),
        present: present.len(),
        answers,
        misconceptions,
        mean_total,
        max: marks.first().map_or(0.0, |p| p.max),
    }
}
