//! `--lang`: a language's templates over the English ones, its decimal mark on every number a
//! reader sees, and the point kept in everything that is read back (JSON, exercise files, keys,
//! Moodle's gap answers). The German sheets are checked against the English ones as an
//! independent reference: the same numbers, in the same order, with a comma.

mod common;

use std::path::Path;

use assert_cmd::Command;
use nnexam::render::{Format, Part, RenderOptions};
use nnexam::solve::shown::Rounding;
use nnexam::spec::difficulty::Preset;

fn nnexam() -> Command {
    Command::cargo_bin("nnexam").expect("binary builds")
}

fn stdout(args: &[&str]) -> String {
    let out = nnexam().args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// `nnexam batch` of `roster` into `out` (course seed C, no progress bar) with `flags`.
fn batch(roster: &Path, out: &Path, flags: &[&str]) -> std::process::Output {
    nnexam()
        .args(["batch", "--course-seed", "C", "--quiet"])
        .args(flags)
        .arg("--roster")
        .arg(roster)
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs")
}

/// LaTeX dimensions of the markup (`3.2cm`, `0.8\textwidth`): not numbers a reader is given.
const UNITS: &[&str] = &["cm", "mm", "ex", "em", "pt", "\\textwidth", "\\linewidth"];

/// Every decimal number of `text` written with `mark` between its digits (`.` or `{,}`), in
/// order, with a point; dimensions of the markup left out.
fn decimals(text: &str, mark: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find(mark) {
        let pos = at + found;
        let before = text[..pos]
            .bytes()
            .rev()
            .take_while(u8::is_ascii_digit)
            .count();
        let after = text[pos + mark.len()..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let rest = &text[pos + mark.len() + after..];
        let dimension = UNITS.iter().any(|unit| rest.starts_with(unit));
        if before > 0 && after > 0 && !dimension {
            let whole = &text[pos - before..pos];
            let fraction = &text[pos + mark.len()..pos + mark.len() + after];
            out.push(format!("{whole}.{fraction}"));
        }
        at = pos + mark.len();
    }
    out
}

#[test]
fn german_sheets_print_the_english_numbers_with_a_decimal_comma() {
    for (name, problem) in common::problems() {
        for format in [Format::Latex, Format::Markdown] {
            let options = RenderOptions {
                format,
                part: Part::Both,
                instructor: true,
                ..common::options(Preset::Full, Rounding::Stepwise)
            };
            let english = common::render_lang(&problem, &options, "en");
            let german = common::render_lang(&problem, &options, "de");
            let numbers = decimals(&english, ".");
            assert!(!numbers.is_empty(), "{name}");
            assert_eq!(decimals(&german, "{,}"), numbers, "{name} {format:?}");
            // No number keeps its point (the footer's file name is user text: no digits there).
            assert!(decimals(&german, ".").is_empty(), "{name} {format:?}");
        }
    }
}

#[test]
fn german_sheets_are_german() {
    let text = stdout(&["render", "exercises/task-3-1.toml", "--lang", "de"]);
    for words in [
        "Berechnen Sie die Ausgabe",
        "Lernrate",
        "Kreuzentropie",
        "Musterlösung",
        "Rückwärtsdurchlauf",
        "Matrikelnummer",
        "\\usepackage[ngerman,shorthands=off]{babel}",
    ] {
        assert!(text.contains(words), "{words}");
    }
    for english in ["Compute", "learning rate", "Solution", "Student ID"] {
        assert!(!text.contains(english), "{english}");
    }
    // The footer's command writes the same sheet again.
    assert!(text.contains("--rounding stepwise --lang de --format latex"));
}

#[test]
fn english_is_the_default_and_the_same_as_lang_en() {
    let default = stdout(&["render", "exercises/task-3-1.toml"]);
    let en = stdout(&["render", "exercises/task-3-1.toml", "--lang", "en"]);
    assert_eq!(default, en);
    assert!(!default.contains("--lang"));
}

#[test]
fn an_unknown_language_is_refused_naming_the_available_ones() {
    for args in [
        &["render", "exercises/task-3-1.toml", "--lang", "fr"][..],
        &["moodle", "--count", "1", "--seed", "s", "--lang", "fr"],
        &["templates", "eject", "x", "--lang", "fr"],
    ] {
        let out = nnexam().args(args).output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("'fr'") && err.contains("en, de"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn files_that_are_read_back_keep_the_decimal_point() {
    let json = stdout(&[
        "generate", "--seed", "7", "--format", "json", "--lang", "de",
    ]);
    let english = stdout(&["generate", "--seed", "7", "--format", "json"]);
    assert_eq!(json, english);
    let toml = stdout(&[
        "generate", "--seed", "7", "--format", "toml", "--lang", "de",
    ]);
    assert_eq!(
        toml,
        stdout(&["generate", "--seed", "7", "--format", "toml"])
    );
}

#[test]
fn a_german_batch_has_german_sheets_and_a_key_with_points() {
    let dir = tempfile::tempdir().expect("temp dir");
    let roster = dir.path().join("roster.csv");
    std::fs::write(&roster, "id,name\n1,Ada\n").expect("roster written");
    let out = dir.path().join("hw");
    let run = |lang: &str, out: &Path| {
        let made = batch(&roster, out, &["--lang", lang]);
        assert!(made.status.success(), "{made:?}");
    };
    run("de", &out);
    let english = dir.path().join("hw-en");
    run("en", &english);
    let read = |p: std::path::PathBuf| std::fs::read_to_string(p).expect("written");
    for file in ["key.json", "key.csv", "1/exercise.json"] {
        assert_eq!(
            read(out.join(file)),
            read(english.join(file)),
            "{file} keeps the point"
        );
    }
    let sheet = read(out.join("1/question.md"));
    assert!(
        sheet.contains("Gegeben") && sheet.contains("{,}"),
        "{sheet}"
    );
}

#[test]
fn templates_eject_writes_the_language_and_english_where_it_has_none() {
    let dir = tempfile::tempdir().expect("temp dir");
    nnexam()
        .args(["templates", "eject", "--lang", "de"])
        .arg(dir.path())
        .assert()
        .success();
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).expect("written");
    assert!(read("shared/solution.tera").contains("Rückwärtsdurchlauf"));
    assert!(read("language.toml").contains("decimal_mark = \"comma\""));
    // Markup is shared: the German set has no copy of its own.
    assert_eq!(
        read("latex/question.tex"),
        include_str!("../templates/latex/question.tex")
    );
    // The folder alone gives the German sheets, as --lang de does.
    let with_folder = nnexam()
        .args(["render", "exercises/task-3-1.toml", "--templates"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let german = stdout(&["render", "exercises/task-3-1.toml", "--lang", "de"]);
    let folder_text = String::from_utf8(with_folder.stdout).expect("UTF-8");
    // All but the footer, which names the command: `--templates DIR` or `--lang de`.
    let body = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|line| !line.contains("nnexam render"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(body(&folder_text), body(&german));
}

#[test]
fn a_german_moodle_question_says_which_decimal_mark_and_keeps_cloze_answers_with_a_point() {
    let xml = stdout(&["moodle", "--count", "2", "--seed", "Q", "--lang", "de"]);
    let english = stdout(&["moodle", "--count", "2", "--seed", "Q"]);
    assert!(xml.contains("Dezimalkomma") && xml.contains("Berechnen Sie"));
    assert!(xml.contains("{,}"));
    // The same gaps, answer for answer: Cloze's NUMERICAL syntax takes a point.
    let gaps = |text: &str| -> Vec<String> {
        text.match_indices(":NUMERICAL:")
            .map(|(at, _)| text[at..].split('}').next().unwrap_or("").to_string())
            .collect()
    };
    assert!(!gaps(&english).is_empty());
    assert_eq!(gaps(&xml), gaps(&english));
}

#[test]
fn pdflatex_warns_about_names_it_cannot_print_and_suggests_lualatex() {
    let dir = tempfile::tempdir().expect("temp dir");
    let roster = dir.path().join("roster.csv");
    std::fs::write(&roster, "id,name\n1,Ada\n2,Иван\n3,李娜\n").expect("roster written");
    let run = |engine: &str, out: &str| {
        let flags = ["--format", "latex", "--latex-engine", engine];
        batch(&roster, &dir.path().join(out), &flags)
    };
    let pdflatex = run("pdflatex", "p");
    let stderr = String::from_utf8_lossy(&pdflatex.stderr);
    assert!(pdflatex.status.success(), "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(warnings[0].contains("student 2 (Иван)") && warnings[1].contains("student 3 (李娜)"));
    assert!(warnings
        .iter()
        .all(|w| w.contains("--latex-engine lualatex")));
    let sheet = std::fs::read_to_string(dir.path().join("p/3/question.tex")).expect("written");
    assert!(sheet.contains("Name: ?? "), "pdflatex's sheet shows ?");
    // lualatex's fonts have these letters: no warning, and the sheet keeps the name.
    let lualatex = run("lualatex", "l");
    assert!(lualatex.status.success());
    assert!(!String::from_utf8_lossy(&lualatex.stderr).contains("warning:"));
    let sheet = std::fs::read_to_string(dir.path().join("l/3/question.tex")).expect("written");
    assert!(sheet.contains("Name: 李娜 ") && sheet.contains("\\usepackage{fontspec}"));
}

#[test]
fn german_grading_feedback_prints_the_english_numbers_with_a_decimal_comma() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("roster.csv"), "id,name\n1,Ada\n").expect("roster written");
    let made = batch(&path("roster.csv"), &path("hw"), &["--format", "markdown"]);
    assert!(made.status.success(), "{made:?}");
    // A class that answers with decimal commas, separated by semicolons.
    std::fs::write(
        path("responses.csv"),
        "id;name;y_hat;loss\n1;Ada;0,095;9,9\n",
    )
    .expect("responses written");
    let grade = |lang: &str| {
        let out = path(&format!("marks-{lang}"));
        nnexam()
            .args(["grade", "--quiet", "--reveal", "--lang", lang])
            .arg("--key")
            .arg(path("hw/key.json"))
            .arg("--responses")
            .arg(path("responses.csv"))
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        out
    };
    let (de, en) = (grade("de"), grade("en"));
    let read = |dir: &Path, name: &str| std::fs::read_to_string(dir.join(name)).expect("written");
    let german = read(&de, "feedback/1.md");
    assert!(
        german.contains("# Rückmeldung für Ada")
            && german.contains("richtig")
            && german.contains("Wert der Musterlösung"),
        "{german}"
    );
    let english = read(&en, "feedback/1.md");
    let numbers = decimals(&english, ".");
    assert!(numbers.contains(&"0.095".to_string()), "{english}");
    assert_eq!(decimals(&german, ","), numbers);
    assert!(decimals(&german, ".").is_empty(), "{german}");
    // What is read back, and the chart's geometry, keep the point.
    for file in ["marks.csv", "marks.json"] {
        assert_eq!(read(&de, file), read(&en, file), "{file}");
    }
    let widths = |svg: &str| -> Vec<String> {
        svg.split("width=\"")
            .skip(1)
            .map(|w| w.split('"').next().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        widths(&read(&de, "report.svg")),
        widths(&read(&en, "report.svg"))
    );
    assert!(read(&de, "report.tex").contains("Bewertungsbericht"));
}

#[test]
fn the_misconception_catalogue_speaks_the_language() {
    let german = stdout(&["misconceptions", "--lang", "de"]);
    let english = stdout(&["misconceptions"]);
    assert!(german.contains("nur bei Kreuzentropie") && german.contains("Lernrate"));
    // The same mistakes, by the same names, in the same order.
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|line| !line.starts_with(' '))
            .filter_map(|line| line.split(' ').next().map(str::to_string))
            .collect()
    };
    assert_eq!(names(&german), names(&english));
}
