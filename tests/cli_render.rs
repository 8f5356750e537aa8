//! `nnexam render` and `nnexam templates eject` end to end: formats, parts, fragments, knob flags,
//! template overrides and the errors a user can trip over (exit 2, a clear message, no output).

use assert_cmd::Command;
use predicates::prelude::*;

const TASK: &str = "exercises/task-3-1.toml";

fn nnexam() -> Command {
    Command::cargo_bin("nnexam").expect("binary builds")
}

fn render(args: &[&str]) -> String {
    let out = nnexam()
        .arg("render")
        .arg(TASK)
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("utf-8 output")
}

#[test]
fn latex_is_a_standalone_document_with_question_and_solution() {
    let tex = render(&["--format", "latex"]);
    assert!(tex.starts_with("\\documentclass"), "{}", &tex[..80]);
    assert!(tex.trim_end().ends_with("\\end{document}"));
    assert!(tex.contains("\\section*{Exercise") && tex.contains("\\section*{Solution}"));
    // The footer is the command that writes the document again, with the file's name: never
    // where the file lies on the machine that rendered it.
    assert!(
        tex.contains("nnexam render task-3-1.toml --decimals 3 --rounding stepwise --format latex"),
        "footer names the file"
    );
    assert!(!tex.contains("exercises/"));
    let absolute = std::fs::canonicalize("exercises/task-3-1.toml").unwrap();
    let out = Command::cargo_bin("nnexam")
        .unwrap()
        .arg("render")
        .arg(&absolute)
        .output()
        .unwrap();
    let tex = String::from_utf8(out.stdout).unwrap();
    assert!(!tex.contains(absolute.parent().unwrap().to_str().unwrap()));
    assert!(tex.contains("\\qrcode[height=1.4cm]{nnexam render task-3-1.toml"));
}

#[test]
fn latex_is_the_default_format() {
    assert_eq!(render(&[]), render(&["--format", "latex"]));
}

#[test]
fn markdown_has_both_sheets_and_no_latex_preamble() {
    let md = render(&["--format", "markdown"]);
    // A YAML block for pandoc (the page title and a style), then the sheet.
    assert!(
        md.starts_with("---\npagetitle: \"Exercise"),
        "{}",
        &md[..40]
    );
    assert!(md.contains("\n---\n\n# Exercise"), "{}", &md[..300]);
    assert!(md.contains("\n# Solution\n"));
    assert!(!md.contains("\\documentclass") && !md.contains("nnexamfit"));
}

#[test]
fn fragment_is_the_body_only() {
    let tex = render(&["--fragment", "--part", "solution"]);
    assert!(!tex.contains("\\documentclass") && !tex.contains("\\begin{document}"));
    assert!(tex.contains("\\setcounter{MaxMatrixCols}"));
    assert!(tex.contains("\\section*{Solution}") && !tex.contains("\\section*{Exercise"));
    assert!(
        tex.contains("nnexam render task-3-1.toml"),
        "the key names its source"
    );
}

#[test]
fn question_part_has_no_solution_numbers() {
    let tex = render(&["--part", "question"]);
    assert!(!tex.contains("Solution"));
    // y_hat = 0.354 and the loss 1.038 are answers, not givens.
    assert!(!tex.contains("0.354") && !tex.contains("1.038"));
}

#[test]
fn decimals_and_rounding_flags_change_the_shown_numbers() {
    let stepwise = render(&["--part", "solution", "--decimals", "2"]);
    assert!(stepwise.contains("= 0.35."), "y_hat to 2 decimals");
    let exact = render(&["--part", "solution", "--rounding", "exact"]);
    assert!(exact.contains("= 1.037."), "exact loss");
    assert!(
        render(&["--part", "solution"]).contains("= 1.038."),
        "stepwise loss"
    );
}

#[test]
fn short_difficulty_gives_z1_and_most_of_w2_and_f1() {
    let tex = render(&["--difficulty", "short", "--part", "question"]);
    assert!(tex.contains("The convolution is already done for you"));
    assert!(
        tex.contains("-1.292 & -0.646 & -1.938 &"),
        "first three of dC/dW2"
    );
    assert!(tex.contains("The updated filter is given except"));
    assert!(!tex.contains("transposed convolution matrix"));
}

#[test]
fn knob_flags_override_the_preset() {
    let tex = render(&[
        "--difficulty",
        "full",
        "--parts",
        "a,b",
        "--points-b",
        "11",
        "--part",
        "question",
    ]);
    assert!(tex.contains("11 points") && !tex.contains("\\item[c)]"));
    assert!(tex.contains("also give the transposed convolution matrix"));
}

#[test]
fn giving_d_z1_is_refused_with_the_reason() {
    nnexam()
        .args(["render", TASK, "--give-d-z1"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("give_d_z1").and(predicate::str::contains("structure")));
}

#[test]
fn part_c_without_b_is_refused() {
    nnexam()
        .args(["render", TASK, "--parts", "a,c"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("part c needs part b"));
}

#[test]
fn missing_template_dir_is_a_clear_error() {
    nnexam()
        .args(["render", TASK, "--templates", "no/such/dir"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("no/such/dir"));
}

#[test]
fn template_syntax_error_names_the_template() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("latex")).unwrap();
    std::fs::write(dir.path().join("latex/question.tex"), "{% if %}").unwrap();
    nnexam()
        .args(["render", TASK, "--templates"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("latex/question.tex"));
}

#[test]
fn eject_writes_every_template_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tpl");
    nnexam()
        .args(["templates", "eject"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("wrote"));
    for (name, text) in nnexam::render::BUILTIN {
        assert_eq!(
            &std::fs::read_to_string(out.join(name)).unwrap(),
            text,
            "{name}"
        );
    }
    // The guide to the templates comes along, so an editor has it beside them.
    let guide = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        guide.contains("Delimiters") || guide.contains("delimiter"),
        "{guide}"
    );
    nnexam()
        .args(["templates", "eject"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("already exists").and(predicate::str::contains("--force")),
        );
    nnexam()
        .args(["templates", "eject", "--force"])
        .arg(&out)
        .assert()
        .success();
}

#[test]
fn ejected_templates_render_the_same_and_edits_win() {
    let dir = tempfile::tempdir().unwrap();
    nnexam()
        .args(["templates", "eject"])
        .arg(dir.path())
        .assert()
        .success();
    let templates = dir.path().to_str().unwrap();
    assert_eq!(render(&["--templates", templates]), render(&[]));
    // The sentences of both formats' question sheets live in shared/question.tera.
    let question = dir.path().join("shared/question.tera");
    let edited = std::fs::read_to_string(&question)
        .unwrap()
        .replace("}}Given{{", "}}Data{{");
    std::fs::write(&question, edited).unwrap();
    let tex = render(&["--templates", templates, "--part", "question"]);
    assert!(tex.contains("\\subsection*{Data}") && !tex.contains("{Given}"));
}
