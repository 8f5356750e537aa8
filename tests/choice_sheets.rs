//! `--answer-style choice` end to end: a batch of multiple-choice sheets whose key records the
//! right letters. For every student and answer, the option under the key's letter on the
//! question sheet is the value the worked solution prints (read from the student's own
//! solution sheet, so the two documents agree) and lies within the key's tolerance of the
//! exact value; the other three lie outside it and print differently. key.csv has the letters.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// The rows of every options table in a Markdown question sheet, in order: the cells after
/// the symbol, math delimiters removed.
fn option_rows(markdown: &str) -> Vec<Vec<String>> {
    markdown
        .lines()
        .filter(|l| l.starts_with("| $"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .skip(1)
                .map(|c| c.trim().trim_matches('$').to_string())
                .collect()
        })
        .collect()
}

#[test]
fn the_keys_letter_marks_the_printed_value_and_only_it() {
    let tmp = tempfile::tempdir().unwrap();
    let roster: String = std::iter::once("id,name\n".to_string())
        .chain((1..=8).map(|k| format!("p{k},Person {k}\n")))
        .collect();
    std::fs::write(tmp.path().join("roster.csv"), roster).unwrap();
    Command::cargo_bin("nnexam")
        .unwrap()
        .current_dir(tmp.path())
        .args(["batch", "--roster", "roster.csv", "--course-seed", "mc"])
        .args([
            "--format",
            "markdown",
            "--answer-style",
            "choice",
            "--quiet",
        ])
        .args(["--out", "hw"])
        .assert()
        .success();
    let hw = tmp.path().join("hw");
    let key: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(hw.join("key.json")).unwrap()).unwrap();
    let mut right_letters: BTreeMap<char, usize> = BTreeMap::new();
    for row in &key {
        let folder = hw.join(row["folder"].as_str().unwrap());
        let question = std::fs::read_to_string(folder.join("question.md")).unwrap();
        let rows = option_rows(&question);
        let answers = row["answers"].as_array().unwrap();
        assert_eq!(rows.len(), answers.len(), "one options row per answer");
        let solution = std::fs::read_to_string(folder.join("solution.md")).unwrap();
        for (options, answer) in rows.iter().zip(answers) {
            assert_eq!(options.len(), 4);
            let letter = answer["letter"].as_str().unwrap().chars().next().unwrap();
            *right_letters.entry(letter).or_default() += 1;
            let at = (letter as u8 - b'A') as usize;
            let (exact, tolerance) = (
                answer["value"].as_f64().unwrap(),
                answer["tolerance"].as_f64().unwrap(),
            );
            let name = answer["key"].as_str().unwrap();
            for (k, text) in options.iter().enumerate() {
                let value: f64 = text.parse().unwrap_or_else(|_| panic!("{name}: {text}"));
                if k == at {
                    assert!(
                        (value - exact).abs() <= tolerance,
                        "{name}: {text} vs {exact}"
                    );
                    assert!(
                        solution.contains(text.as_str()),
                        "{name}: {text} not printed"
                    );
                } else {
                    assert!(
                        (value - exact).abs() > tolerance,
                        "{name}: {text} near {exact}"
                    );
                }
            }
            let mut distinct = options.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), 4, "{name}: {options:?}");
        }
    }
    // The right letter is spread over all four.
    assert_eq!(right_letters.len(), 4, "{right_letters:?}");
    let csv = std::fs::read_to_string(hw.join("key.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert!(header.contains(&"y_hat_letter") && header.contains(&"d_p0_1_1_letter"));
    assert_letters_in_csv(&hw, &key);
}

/// key.csv's `<answer>_letter` cells are key.json's letters.
fn assert_letters_in_csv(hw: &Path, key: &[Value]) {
    let mut reader = csv::Reader::from_path(hw.join("key.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    for (record, row) in reader.records().zip(key) {
        let record = record.unwrap();
        for answer in row["answers"].as_array().unwrap() {
            let column = format!("{}_letter", answer["key"].as_str().unwrap());
            let at = header.iter().position(|h| h == column).unwrap();
            assert_eq!(&record[at], answer["letter"].as_str().unwrap());
        }
    }
}
