//! `nnexam grade` end to end: the round trip batch -> `grade --template` -> every cell filled
//! from the solver's own output for that student (`exercise.json`) -> `grade` gives everyone
//! full marks, in a comma file and in a semicolon file with decimal commas; a person without a
//! row is absent; every bad responses file is refused with the line and column, exit 2, and no
//! output folder.

mod common;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn nnexam() -> Command {
    Command::cargo_bin("nnexam").expect("binary builds")
}

/// `nnexam grade` in `dir` on `hw/key.json` and `responses.csv`, into the folder `out`.
fn grade(dir: &Path, out: &str) -> Command {
    let mut command = nnexam();
    command
        .current_dir(dir)
        .args([
            "grade",
            "--key",
            "hw/key.json",
            "--responses",
            "responses.csv",
        ])
        .args(["--quiet", "--out", out]);
    command
}

/// A batch for `students` students in `dir/hw`; returns the key.json path.
fn batch(dir: &Path, students: usize) -> std::path::PathBuf {
    let roster: String = std::iter::once("id,name\n".to_string())
        .chain((1..=students).map(|k| format!("s{k},Student {k}\n")))
        .collect();
    std::fs::write(dir.join("roster.csv"), roster).unwrap();
    nnexam()
        .current_dir(dir)
        .args([
            "batch",
            "--roster",
            "roster.csv",
            "--course-seed",
            "grading",
        ])
        .args(["--format", "markdown", "--quiet", "--out", "hw"])
        .assert()
        .success();
    dir.join("hw/key.json")
}

/// The value of answer `name` in a solver output (`exercise.json`): `y_hat`, `loss`,
/// `w2_new_K`, `b2_new`, `f1_new_R_C`, `b1_new`, `d_p0_R_C` (1-based indices).
fn solver_value(solution: &Value, name: &str) -> f64 {
    let stems = [
        "y_hat", "loss", "w2_new", "b2_new", "f1_new", "b1_new", "d_p0",
    ];
    let stem = stems
        .into_iter()
        .find(|s| name.starts_with(s))
        .unwrap_or_else(|| panic!("unexpected answer {name}"));
    let index = &name[stem.len()..];
    let mut value = match stem {
        "y_hat" => &solution["forward"]["y_hat"],
        "loss" => &solution["forward"]["loss"],
        "w2_new" => &solution["update"]["w2"],
        "b2_new" => &solution["update"]["b2"],
        "f1_new" => &solution["update"]["f1"],
        "b1_new" => &solution["update"]["b1"],
        "d_p0" => &solution["backward"]["x"],
        _ => panic!("unexpected answer {name}"),
    };
    for i in index.split('_').filter(|i| !i.is_empty()) {
        value = &value[i.parse::<usize>().unwrap() - 1];
    }
    value.as_f64().unwrap_or_else(|| panic!("{name}: {value}"))
}

/// The responses template with every answer cell filled from the student's solver output,
/// written with `separator` and, when `comma`, decimal commas.
fn filled(dir: &Path, key: &Path, separator: char, comma: bool) -> String {
    let out = nnexam()
        .args(["grade", "--template", "--key"])
        .arg(key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let template = String::from_utf8(out.stdout).unwrap();
    let mut lines = template.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut text = header.join(&separator.to_string()) + "\n";
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let folder = cells[0];
        let solution: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("hw").join(folder).join("exercise.json")).unwrap(),
        )
        .unwrap();
        let row: Vec<String> = header
            .iter()
            .zip(&cells)
            .map(|(column, cell)| match *column {
                "id" | "name" => cell.to_string(),
                answer => {
                    let value = format!("{:.6}", solver_value(&solution, answer));
                    if comma {
                        value.replace('.', ",")
                    } else {
                        value
                    }
                }
            })
            .collect();
        text += &(row.join(&separator.to_string()) + "\n");
    }
    text
}

/// The rows of a marks.csv as maps from column to cell.
fn marks(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .zip(r.iter())
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn round_trip_from_the_solver_gives_everyone_full_marks() {
    let tmp = tempfile::tempdir().unwrap();
    let key = batch(tmp.path(), 6);
    for (separator, comma, out) in [(',', false, "marks"), (';', true, "marks-de")] {
        std::fs::write(
            tmp.path().join("responses.csv"),
            filled(tmp.path(), &key, separator, comma),
        )
        .unwrap();
        grade(tmp.path(), out)
            .assert()
            .success()
            .stdout(predicates::str::contains("graded 6 students"));
        let rows = marks(&tmp.path().join(out).join("marks.csv"));
        assert_eq!(rows.len(), 6);
        for row in &rows {
            let (total, max) = (&row["total"], &row["max"]);
            assert_eq!(total, max, "{row:?}");
            assert!(max.parse::<f64>().unwrap() > 0.0);
            let statuses: Vec<&String> = row
                .iter()
                .filter(|(column, _)| column.ends_with("_status"))
                .map(|(_, status)| status)
                .collect();
            assert!(!statuses.is_empty());
            assert!(statuses.iter().all(|s| *s == "correct"), "{row:?}");
        }
        for file in ["marks.json", "report.md", "report.tex", "report.svg"] {
            assert!(tmp.path().join(out).join(file).is_file(), "{file}");
        }
        for k in 1..=6 {
            for ext in ["md", "tex"] {
                let feedback = tmp.path().join(out).join(format!("feedback/s{k}.{ext}"));
                assert!(feedback.is_file(), "{}", feedback.display());
            }
        }
    }
}

#[test]
fn a_person_without_a_row_is_absent_with_no_points() {
    let tmp = tempfile::tempdir().unwrap();
    let key = batch(tmp.path(), 2);
    let text = filled(tmp.path(), &key, ',', false);
    // Only the header and the first student.
    let kept: Vec<&str> = text.lines().take(2).collect();
    std::fs::write(tmp.path().join("responses.csv"), kept.join("\n") + "\n").unwrap();
    grade(tmp.path(), "marks").assert().success();
    let rows = marks(&tmp.path().join("marks/marks.csv"));
    let absent = rows.iter().find(|r| r["id"] == "s2").unwrap();
    assert_eq!(absent["total"], "0");
    assert!(absent
        .iter()
        .filter(|(c, _)| c.ends_with("_status"))
        .all(|(_, s)| s == "absent"));
    let present = rows.iter().find(|r| r["id"] == "s1").unwrap();
    assert_eq!(present["total"], present["max"]);
}

#[test]
fn a_bad_responses_file_names_line_and_column_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let key = batch(tmp.path(), 2);
    let good = filled(tmp.path(), &key, ',', false);
    let header = good.lines().next().unwrap().to_string();
    let row = |k: usize| good.lines().nth(k).unwrap().to_string();
    let cases = [
        (
            format!("{header},banana\n{},1\n", row(1)),
            "line 1, column banana",
        ),
        (
            format!("{header}\n{}\n{}\n", row(1), row(1)),
            "line 3, column id",
        ),
        (
            format!("{header}\n{}\n", row(1).replacen("s1", "s99", 1)),
            "line 2, column id",
        ),
        (
            format!("{header}\n{}\n{}\n", row(1), {
                let mut cells: Vec<String> = row(2).split(',').map(String::from).collect();
                cells[2] = "abc".to_string();
                cells.join(",")
            }),
            "line 3, column y_hat",
        ),
    ];
    for (text, place) in cases {
        std::fs::write(tmp.path().join("responses.csv"), &text).unwrap();
        let out = grade(tmp.path(), "marks").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{place}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(place), "{place}: {stderr}");
        assert!(out.stdout.is_empty());
        assert!(!tmp.path().join("marks").exists(), "{place}: wrote marks");
    }
}
