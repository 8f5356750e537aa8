//! Answer keys: the graded answers of one exercise with the absolute tolerance a grader (or an
//! LMS) should accept, and the CSV/JSON tables of a whole class. Values come from the solver,
//! unrounded; tolerances from the rounding rule of the sheet.

use serde::{Deserialize, Serialize};

use crate::solve::Solution;

/// One graded answer: a stable column name, the exact value and the accepted absolute error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradedAnswer {
    pub key: String,
    pub value: f64,
    pub tolerance: f64,
}

/// The answers every key grades, in a fixed order: y_hat, the loss, and the parameters after
/// the SGD step (W2, B2, F1, B1). Indices are 1-based like the exercise's notation (Z1_11).
/// `tolerance(key, value)` gives each answer's accepted absolute error.
pub fn graded_answers(
    solution: &Solution,
    tolerance: &dyn Fn(&str, f64) -> f64,
) -> Vec<GradedAnswer> {
    let mut values: Vec<(String, f64)> = vec![
        ("y_hat".into(), solution.forward.y_hat),
        ("loss".into(), solution.forward.loss),
    ];
    let u = &solution.update;
    values.extend(
        u.w2.iter()
            .enumerate()
            .map(|(k, v)| (format!("w2_new_{}", k + 1), *v)),
    );
    values.push(("b2_new".into(), u.b2));
    values.extend(
        u.f1.indexed_iter()
            .map(|((r, c), v)| (format!("f1_new_{}_{}", r + 1, c + 1), *v)),
    );
    values.push(("b1_new".into(), u.b1));
    values
        .into_iter()
        .map(|(key, value)| GradedAnswer {
            tolerance: tolerance(&key, value),
            key,
            value,
        })
        .collect()
}

/// One student's (or variant's) row of the key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    /// The seed text the exercise was actually generated from.
    pub seed: String,
    /// Folder (below the batch folder) holding this student's files.
    pub folder: String,
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
    use crate::solve::solve;

    fn task() -> Solution {
        let text = include_str!("../../exercises/task-3-1.toml");
        solve(&crate::spec::parse(text, crate::spec::FileFormat::Toml, "t").unwrap())
    }

    #[test]
    fn answers_cover_prediction_loss_and_every_updated_parameter() {
        let answers = graded_answers(&task(), &|_, _| 0.01);
        let keys: Vec<&str> = answers.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(&keys[..3], ["y_hat", "loss", "w2_new_1"]);
        // 2 + 4 weights + B2 + 4 filter entries + B1.
        assert_eq!(answers.len(), 12);
        assert!(keys.contains(&"f1_new_2_1") && keys.contains(&"b1_new"));
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
