//! `nnexam batch` and `nnexam exam` end to end: folder layout, the keys read back and compared
//! with `solve` on the regenerated exercise, roster edge cases, escaping, atomic writing and
//! determinism.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use nnexam::generate::{self, GeneratorConfig};
use nnexam::solve::solve;
use nnexam::solve::step::Step;
use serde_json::Value;

fn nnexam() -> Command {
    Command::cargo_bin("nnexam").expect("binary builds")
}

const ROSTER: &str = "id,name,email\n\
4711,Ada Lovelace,a@x\n\
4712,\"O'Brien, \\input{/etc/passwd} & 100% $x$\",b@x\n\
../../x,Evil,c@x\n\
a/b,Slash,d@x\n\
a_b,Underscore,e@x\n\
CON,Device,f@x\n";

fn write_roster(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("roster.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn run_batch(dir: &Path, roster: &Path, out: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    nnexam()
        .current_dir(dir)
        .args([
            "batch",
            "--roster",
            roster.to_str().unwrap(),
            "--course-seed",
            "ML2026-HW3",
        ])
        .args(["--out", out, "--quiet"])
        .args(extra)
        .assert()
}

/// Every file below `dir`, relative, sorted, with contents.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push((
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The expected answers of the exercise generated from `seed`, straight from the solver.
fn expected_answers(seed: &str) -> Vec<(String, f64)> {
    let problem = generate::sample_problem(&GeneratorConfig::default(), seed)
        .unwrap()
        .problem;
    let sol = solve(&problem).unwrap();
    let mut values = vec![
        ("y_hat".to_string(), *sol.values.scalar(Step::YHat)),
        ("loss".to_string(), *sol.values.scalar(Step::Loss)),
    ];
    for (k, v) in sol.values.row_of(Step::W2New, 0).iter().enumerate() {
        values.push((format!("w2_new_{}", k + 1), *v));
    }
    values.push(("b2_new".to_string(), *sol.values.scalar(Step::B2New)));
    for ((r, c), v) in sol.values.filter(Step::F1New, 0, 0).indexed_iter() {
        values.push((format!("f1_new_{}_{}", r + 1, c + 1), *v));
    }
    values.push(("b1_new".to_string(), *sol.values.scalar(Step::B1New)));
    // Part c, asked by the standard knobs.
    for ((r, c), v) in sol.values.map_of(Step::DP0, 0, 0).indexed_iter() {
        values.push((format!("d_p0_{}_{}", r + 1, c + 1), *v));
    }
    values
}

#[test]
fn batch_writes_one_folder_per_student_and_keys_that_match_solve() {
    let tmp = tempfile::tempdir().unwrap();
    let roster = write_roster(tmp.path(), ROSTER);
    // Five files per student plus the two keys; one line on stdout, for scripts.
    run_batch(tmp.path(), &roster, "hw", &[])
        .success()
        .stdout("wrote sheets for 6 students (32 files) to hw\n");
    let out = tmp.path().join("hw");

    // Nothing outside the folder, one folder per student, no two students sharing one.
    let top = common::entries(tmp.path());
    assert_eq!(
        top,
        BTreeSet::from(["hw".to_string(), "roster.csv".to_string()])
    );
    let key: Vec<Value> =
        serde_json::from_slice(&std::fs::read(out.join("key.json")).unwrap()).unwrap();
    assert_eq!(key.len(), 6);
    let folders: BTreeSet<&str> = key.iter().map(|r| r["folder"].as_str().unwrap()).collect();
    assert_eq!(folders.len(), 6, "every student has a folder of their own");
    for row in &key {
        let folder = out.join(row["folder"].as_str().unwrap());
        assert!(folder.parent() == Some(out.as_path()));
        for file in [
            "question.tex",
            "solution.tex",
            "question.md",
            "solution.md",
            "exercise.json",
        ] {
            assert!(
                folder.join(file).is_file(),
                "{} lacks {file}",
                folder.display()
            );
        }
    }

    // key.json: every answer equals solve on the exercise regenerated from the recorded seed.
    for row in &key {
        let seed = row["seed"].as_str().unwrap();
        assert_eq!(seed, format!("ML2026-HW3/{}", row["id"].as_str().unwrap()));
        let answers = row["answers"].as_array().unwrap();
        let expected = expected_answers(seed);
        assert_eq!(answers.len(), expected.len());
        for (a, (name, value)) in answers.iter().zip(&expected) {
            assert_eq!(a["key"].as_str().unwrap(), name);
            assert!(
                (a["value"].as_f64().unwrap() - value).abs() < 1e-12,
                "{seed} {name}"
            );
            let tol = a["tolerance"].as_f64().unwrap();
            assert!((0.001..0.1).contains(&tol), "{seed} {name} tolerance {tol}");
        }
        // Points: 4 over part a's 2 answers, 8 over part b's 10, 4 over part c's entries.
        let points: Vec<f64> = answers
            .iter()
            .map(|a| a["points"].as_f64().unwrap())
            .collect();
        let d_p0 = answers.len() - 12;
        assert_eq!(
            (points[0], points[2], points[12]),
            (2.0, 0.8, 4.0 / d_p0 as f64)
        );
        // The exercise itself, to grade from the key alone.
        let problem = generate::sample_problem(&GeneratorConfig::default(), seed)
            .unwrap()
            .problem;
        assert_eq!(
            row["problem"]["x"][0][1].as_f64().unwrap(),
            problem.x(0, 0)[(0, 1)]
        );
        assert_eq!(row["decimals"], 3);
        assert_eq!(row["tolerance"]["rule"], "from_rounding");
        // The student's exercise JSON is the same exercise.
        let exercise: Value = serde_json::from_slice(
            &std::fs::read(
                out.join(row["folder"].as_str().unwrap())
                    .join("exercise.json"),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            exercise["forward"]["y_hat"].as_f64().unwrap(),
            expected[0].1
        );
    }

    // key.csv: the same rows and values.
    let mut reader = csv::Reader::from_path(out.join("key.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    assert_eq!(
        &header.iter().take(4).collect::<Vec<_>>(),
        &["id", "name", "seed", "folder"]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 6);
    for (record, row) in records.iter().zip(&key) {
        assert_eq!(&record[0], row["id"].as_str().unwrap());
        assert_eq!(&record[1], row["name"].as_str().unwrap());
        for (name, value) in expected_answers(&record[2]) {
            let column = header.iter().position(|h| h == name).unwrap();
            let csv_value: f64 = record[column].parse().unwrap();
            assert!((csv_value - value).abs() < 1e-12, "{name}");
            let tol: f64 = record[column + 1].parse().unwrap();
            assert!(tol > 0.0);
        }
    }
}

#[test]
fn roster_text_is_printed_literally_never_executed() {
    let tmp = tempfile::tempdir().unwrap();
    let roster = write_roster(tmp.path(), ROSTER);
    run_batch(tmp.path(), &roster, "hw", &["--format", "latex"]).success();
    let tex = std::fs::read_to_string(tmp.path().join("hw/4712/question.tex")).unwrap();
    assert!(
        !tex.contains("\\input{/etc/passwd}"),
        "the name must be escaped"
    );
    assert!(
        tex.contains("\\textbackslash{}input\\{/etc/passwd\\} \\& 100\\% \\$x\\$"),
        "{tex}"
    );
    assert!(
        !tmp.path().join("hw/4712/question.md").exists(),
        "only the requested format"
    );
}

#[test]
fn letters_the_fonts_lack_become_question_marks_with_a_warning_naming_the_student() {
    // Issue 10: one such name stopped `--pdf` for the whole class; now it is typeset as far
    // as the fonts go (T1: Đ, Þ, « print as written) and the rest is said on stderr.
    let tmp = tempfile::tempdir().unwrap();
    let roster = write_roster(tmp.path(), "id,name\n4711,Đorđe Þórr «A»\n4712,Li 李华\n");
    let assert = run_batch(tmp.path(), &roster, "hw", &[]).success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(
        stderr.lines().count(),
        1,
        "one warning, for 4712 only: {stderr}"
    );
    assert!(
        stderr.starts_with("warning:")
            && stderr.contains("4712 (Li 李华)")
            && stderr.contains("李 华"),
        "{stderr}"
    );
    let tex = |id: &str| std::fs::read_to_string(tmp.path().join(format!("hw/{id}/question.tex")));
    assert!(tex("4711").unwrap().contains("Đorđe Þórr «A»"));
    assert!(tex("4712").unwrap().contains("Li ??"));
    let md = std::fs::read_to_string(tmp.path().join("hw/4712/question.md")).unwrap();
    assert!(md.contains("Li 李华"));
}

#[test]
fn same_roster_and_seed_give_byte_identical_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let roster = write_roster(tmp.path(), ROSTER);
    run_batch(tmp.path(), &roster, "one", &[]).success();
    run_batch(tmp.path(), &roster, "two", &[]).success();
    assert_eq!(tree(&tmp.path().join("one")), tree(&tmp.path().join("two")));
}

fn assert_roster_rejected(text: &[u8], needles: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("roster.csv");
    std::fs::write(&path, text).unwrap();
    let assert = run_batch(tmp.path(), &path, "hw", &[]).code(2).stdout("");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    for needle in needles {
        assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    }
    // No output at all: not the folder, not a staging leftover.
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "only the roster remains"
    );
}

#[test]
fn bad_rosters_are_rejected_with_the_line_and_no_output() {
    assert_roster_rejected(b"id,name\n1,Ada\n,Bob\n", &["line 3", "id"]);
    assert_roster_rejected(
        b"id,name\n1,Ada\n2,Bob\n1,Cy\n",
        &["line 4", "duplicate", "line 2"],
    );
    assert_roster_rejected(b"", &["empty"]);
    assert_roster_rejected(b"id,name\n1,Ada\n2,B\xe9la\n", &["line 3", "UTF-8"]);
    assert_roster_rejected(b"id,name\n1,Ada\n2,\"Bob\n3,Cy\n", &["line 3", "quote"]);
    assert_roster_rejected(b"student,name\n1,Ada\n", &["`id` column"]);
}

#[test]
fn keys_that_cannot_tell_a_skipped_step_from_an_answer_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let roster = write_roster(dir.path(), "id,name\n1,Ada\n2,Bob\n");
    // A fixed tolerance below half a unit of the decimals would reject correct answers.
    let out = run_batch(dir.path(), &roster, "tight", &["--tolerance", "0.000001"]).code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("--tolerance") && err.contains("0.0005"),
        "{err}"
    );
    // With no decimals, the tolerance (at least 1) accepts y_hat = 0.5, what skipping the
    // forward pass gives, for every exercise.
    let out = run_batch(dir.path(), &roster, "whole", &["--decimals", "0"]).code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("--decimals") && err.contains("y_hat") && err.contains("student 1"),
        "{err}"
    );
    assert!(!dir.path().join("tight").exists() && !dir.path().join("whole").exists());
}

#[test]
fn byte_order_mark_is_fine() {
    let tmp = tempfile::tempdir().unwrap();
    let roster = write_roster(tmp.path(), "\u{feff}id,name\n7,Ada\n");
    run_batch(tmp.path(), &roster, "hw", &["--format", "markdown"]).success();
    assert!(tmp.path().join("hw/7/question.md").is_file());
}

#[test]
fn non_empty_folder_is_refused_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let roster = write_roster(tmp.path(), "id\n1\n");
    std::fs::create_dir(tmp.path().join("hw")).unwrap();
    std::fs::write(tmp.path().join("hw/old.txt"), "keep me").unwrap();
    let assert = run_batch(tmp.path(), &roster, "hw", &[]).code(2);
    assert!(String::from_utf8_lossy(&assert.get_output().stderr).contains("--force"));
    assert!(
        tmp.path().join("hw/old.txt").exists(),
        "refusal keeps the old folder"
    );
    run_batch(tmp.path(), &roster, "hw", &["--force"]).success();
    assert!(
        !tmp.path().join("hw/old.txt").exists() && tmp.path().join("hw/1/question.tex").exists()
    );
}

#[test]
fn a_failure_while_rendering_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let roster = write_roster(tmp.path(), "id\n1\n2\n3\n");
    let templates = tmp.path().join("tpl/markdown");
    std::fs::create_dir_all(&templates).unwrap();
    // A user template that fails at render time, after the LaTeX sheets were written.
    std::fs::write(templates.join("question.md"), "{{ no_such_variable }}").unwrap();
    let assert = run_batch(tmp.path(), &roster, "hw", &["--templates", "tpl"]).code(2);
    assert!(String::from_utf8_lossy(&assert.get_output().stderr).contains("template"));
    let left = common::entries(tmp.path());
    assert_eq!(left.len(), 2, "only roster.csv and tpl remain: {left:?}");
}

#[test]
fn a_thousand_students_get_a_thousand_different_problems() {
    let config = GeneratorConfig::default();
    let bases: Vec<String> = (0..1000).map(|k| format!("ML2026-HW3/s{k:04}")).collect();
    let assigned = nnexam::export::assign::assign_distinct(&config, &bases).unwrap();
    let distinct: BTreeSet<String> = assigned
        .iter()
        .map(|a| serde_json::to_string(&a.problem).unwrap())
        .collect();
    assert_eq!(distinct.len(), 1000);
}

#[test]
fn exam_writes_one_sheet_per_variant_a_solutions_document_and_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    nnexam()
        .current_dir(tmp.path())
        .args([
            "exam",
            "--variants",
            "A,B,C",
            "--seed",
            "ML2026/exam1",
            "--out",
            "exam",
            "--quiet",
        ])
        .assert()
        .success();
    let out = tmp.path().join("exam");
    for v in ["A", "B", "C"] {
        let tex = std::fs::read_to_string(out.join(format!("exam-{v}.tex"))).unwrap();
        assert!(
            tex.contains(&format!("(variant {v})")),
            "label in the header of {v}"
        );
        assert!(
            tex.contains(&format!("ML2026/exam1/{v}")),
            "seed in the footer of {v}"
        );
        assert!(
            !tex.contains("section*{Solution"),
            "question sheets hold no solution"
        );
        assert!(out.join(format!("exam-{v}.md")).is_file());
        assert!(out.join(format!("exercise-{v}.json")).is_file());
    }
    let solutions = std::fs::read_to_string(out.join("solutions.tex")).unwrap();
    for v in ["A", "B", "C"] {
        assert!(solutions.contains(&format!("Solution (variant {v})")));
    }
    assert_eq!(solutions.matches("\\begin{document}").count(), 1);
    let key: Vec<Value> =
        serde_json::from_slice(&std::fs::read(out.join("key.json")).unwrap()).unwrap();
    let seeds: Vec<&str> = key.iter().map(|r| r["seed"].as_str().unwrap()).collect();
    assert_eq!(
        seeds,
        ["ML2026/exam1/A", "ML2026/exam1/B", "ML2026/exam1/C"]
    );
    for row in &key {
        let expected = expected_answers(row["seed"].as_str().unwrap());
        let answers = row["answers"].as_array().unwrap();
        for (a, (name, value)) in answers.iter().zip(&expected) {
            assert_eq!(a["key"].as_str().unwrap(), name);
            assert!((a["value"].as_f64().unwrap() - value).abs() < 1e-12);
        }
    }
}

#[test]
fn exam_rejects_repeated_variant_labels() {
    let tmp = tempfile::tempdir().unwrap();
    nnexam()
        .current_dir(tmp.path())
        .args(["exam", "--variants", "A,A", "--seed", "s", "--out", "exam"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("listed twice"));
    assert!(!tmp.path().join("exam").exists());
}

#[test]
fn pdf_flag_compiles_every_latex_sheet_and_cleans_up() {
    if which("pdflatex").is_none() {
        common::skip(
            "pdf_flag_compiles_every_latex_sheet_and_cleans_up",
            "pdflatex is not installed",
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    nnexam()
        .current_dir(tmp.path())
        .args([
            "exam",
            "--variants",
            "A,B",
            "--seed",
            "pdf",
            "--out",
            "exam",
            "--pdf",
            "--quiet",
        ])
        .args(["--format", "latex"])
        .assert()
        .success()
        .stdout(predicates::str::contains("5 PDFs"));
    let out = tmp.path().join("exam");
    for name in [
        "exam-A.pdf",
        "exam-B.pdf",
        "solutions.pdf",
        "questions-print.pdf",
        "solutions-print.pdf",
    ] {
        let pdf = std::fs::read(out.join(name)).unwrap();
        assert!(pdf.starts_with(b"%PDF"), "{name} is a PDF");
    }
    let scratch: Vec<String> = common::entries(&out)
        .into_iter()
        .filter(|n| n.starts_with('.') || [".aux", ".log", ".pages"].iter().any(|e| n.ends_with(e)))
        .collect();
    assert!(scratch.is_empty(), "{scratch:?}");
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    })
}

/// True when a hidden staging folder exists in `dir`.
fn staging_exists(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .contains("nnexam-staging")
    })
}

/// Waits (at most a minute) until `ready` holds, then sends `signal` (e.g. "INT") to `target`
/// (a process id, or `-pgid` for a whole process group).
fn signal_when(ready: impl Fn() -> bool, signal: &str, target: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !ready() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(ready(), "the run never got that far");
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), "--", target])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Runs a batch of 20 000 students in `dir`, sends `signal` once it writes into its staging
/// folder, and returns how it ended.
fn batch_stopped_by(dir: &Path, signal: &str) -> std::process::Output {
    let mut roster = String::from("id\n");
    for k in 0..20_000 {
        roster.push_str(&format!("s{k}\n"));
    }
    let roster = write_roster(dir, &roster);
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("nnexam"))
        .current_dir(dir)
        .args([
            "batch",
            "--roster",
            roster.to_str().unwrap(),
            "--course-seed",
            "c",
        ])
        .args(["--out", "hw", "--quiet"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    signal_when(|| staging_exists(dir), signal, &child.id().to_string());
    child.wait_with_output().unwrap()
}

/// Only the inputs remain in `dir`: no folder, no staging leftovers.
fn assert_only(dir: &Path, inputs: &[&str]) {
    let mut left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, inputs, "no folder and no staging leftovers");
}

#[test]
fn ctrl_c_leaves_no_folder_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let output = batch_stopped_by(tmp.path(), "INT");
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("interrupted by SIGINT: nothing was written"));
    assert_only(tmp.path(), &["roster.csv"]);
}

#[test]
fn sigterm_and_sighup_stop_like_ctrl_c() {
    // Issue 10: SIGTERM or SIGHUP left the hidden staging folder for good.
    for (signal, code) in [("TERM", 143), ("HUP", 129)] {
        let tmp = tempfile::tempdir().unwrap();
        let output = batch_stopped_by(tmp.path(), signal);
        assert_eq!(output.status.code(), Some(code), "SIG{signal}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("interrupted by SIG{signal}: nothing was written")),
            "{stderr}"
        );
        assert_only(tmp.path(), &["roster.csv"]);
    }
}

#[test]
fn pdf_without_tex_says_how_to_install_it_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let empty_path = tmp.path().join("no-tools");
    std::fs::create_dir(&empty_path).unwrap();
    let assert = nnexam()
        .current_dir(tmp.path())
        .env("PATH", &empty_path)
        .args([
            "exam",
            "--variants",
            "A",
            "--seed",
            "s",
            "--out",
            "exam",
            "--pdf",
            "--quiet",
        ])
        .assert()
        .code(2)
        .stdout("");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("no pdflatex") && stderr.contains("apt-get install"),
        "{stderr}"
    );
    assert!(!tmp.path().join("exam").exists());
}
