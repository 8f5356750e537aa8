//! `nnexam generate` end to end, in a temp dir: golden exercise files byte for byte, the same
//! bytes from separate processes, the formats agreeing with `nnexam solve`, statistics on
//! stderr, and bad configs failing with exit 2, a message naming the key or rule, and nothing on
//! stdout.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use nnexam::spec::{self, FileFormat};
use predicates::prelude::*;
use tempfile::TempDir;

fn nnexam(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("nnexam").expect("binary builds");
    cmd.current_dir(dir);
    cmd
}

fn temp() -> TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn generate(dir: &Path, args: &[&str]) -> Output {
    let output = nnexam(dir)
        .arg("generate")
        .args(args)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{args:?}: {output:?}");
    output
}

fn stdout_text(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// A failing run: exit 2, nothing on stdout, stderr returned for checking.
fn generate_fails(dir: &Path, args: &[&str]) -> String {
    let output = nnexam(dir)
        .arg("generate")
        .args(args)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
    assert!(output.stdout.is_empty(), "{args:?} wrote to stdout");
    String::from_utf8(output.stderr).expect("UTF-8 stderr")
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("writes");
}

/// `generate --seed 7 --config bad.toml` with `config` as the file's text: must fail.
fn config_error(config: &str) -> String {
    let dir = temp();
    write(dir.path(), "bad.toml", config);
    generate_fails(dir.path(), &["--seed", "7", "--config", "bad.toml"])
}

/// Committed outputs of fixed seeds. If one fails, the generator no longer reproduces the
/// exercises instructors already handed out: find the change in the stream, the samplers, the
/// draw order, the rules or the template. Regenerate a file only for an intended, announced
/// format change (`nnexam generate --seed S --preset P > tests/golden/generate/P-S.toml`).
#[test]
fn fixed_seeds_reproduce_the_golden_files_byte_for_byte() {
    let dir = temp();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/generate");
    for (args, file) in [
        (&["--seed", "7"][..], "default-7.toml"),
        (
            &["--seed", "ML2026/exam1/A", "--preset", "default"][..],
            "default-ML2026-exam1-A.toml",
        ),
        (&["--seed", "7", "--preset", "wide"][..], "wide-7.toml"),
        (
            &["--seed", "ML2026/exam1/B", "--preset", "leaky"][..],
            "leaky-ML2026-exam1-B.toml",
        ),
    ] {
        let expected = std::fs::read(golden.join(file)).expect("golden file exists");
        let output = generate(dir.path(), args);
        assert!(
            output.stdout == expected,
            "{file} changed:\n{}",
            stdout_text(&output)
        );
    }
}

/// Version 0.2 made the bundled presets stricter, which changed some exercises. The 0.1
/// configs in exercises/compat reproduce every exercise 0.1 handed out: the files 0.1 wrote
/// (tests/golden/generate/v0.1-*), byte for byte but for the header's command line, which now
/// names the config.
#[test]
fn the_compat_configs_reproduce_version_0_1_s_exercises() {
    let dir = temp();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let golden = root.join("tests/golden/generate");
    for (seed, config, file) in [
        ("7", "v0.1-default", "v0.1-default-7.toml"),
        (
            "ML2026/exam1/A",
            "v0.1-default",
            "v0.1-default-ML2026-exam1-A.toml",
        ),
        ("7", "v0.1-wide", "v0.1-wide-7.toml"),
        (
            "ML2026/exam1/B",
            "v0.1-leaky",
            "v0.1-leaky-ML2026-exam1-B.toml",
        ),
    ] {
        let config = root.join(format!("exercises/compat/{config}.toml"));
        let expected = std::fs::read_to_string(golden.join(file)).expect("golden file exists");
        let output = generate(
            dir.path(),
            &[
                "--seed",
                seed,
                "--config",
                config.to_str().expect("UTF-8 path"),
            ],
        );
        let without_command = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.starts_with("#   nnexam generate"))
                .map(String::from)
                .collect()
        };
        assert_eq!(
            without_command(&stdout_text(&output)),
            without_command(&expected),
            "{file}"
        );
    }
}

#[test]
fn same_seed_gives_identical_bytes_in_separate_processes() {
    let dir = temp();
    for format in ["toml", "json", "text"] {
        let args = ["--seed", "ML2026/exam1/A", "--format", format];
        let first = generate(dir.path(), &args);
        let second = generate(dir.path(), &args);
        assert_eq!(first.stdout, second.stdout, "{format}");
    }
}

#[test]
fn toml_output_solves_to_the_json_output() {
    let dir = temp();
    for preset in ["default", "wide", "leaky"] {
        let args = ["--seed", "42", "--preset", preset];
        let toml = generate(dir.path(), &args);
        std::fs::write(dir.path().join("ex.toml"), &toml.stdout).expect("writes");
        let solved = nnexam(dir.path())
            .args(["solve", "ex.toml", "--format", "json"])
            .output()
            .expect("runs");
        let json = generate(dir.path(), &[&args[..], &["--format", "json"]].concat());
        assert_eq!(solved.stdout, json.stdout, "{preset}");
        let text = generate(dir.path(), &[&args[..], &["--format", "text"]].concat());
        nnexam(dir.path())
            .args(["solve", "ex.toml"])
            .assert()
            .success()
            .stdout(stdout_text(&text));
    }
}

#[test]
fn stats_go_to_stderr_and_stdout_stays_the_exercise() {
    let dir = temp();
    let output = generate(dir.path(), &["--seed", "7", "--stats"]);
    let stderr = String::from_utf8(output.stderr.clone()).expect("UTF-8");
    assert!(stderr.contains("acceptance rate"), "{stderr}");
    assert!(
        stderr.contains("f1_signs") && stderr.contains("d_f1_nonzero"),
        "{stderr}"
    );
    let plain = generate(dir.path(), &["--seed", "7"]);
    assert_eq!(output.stdout, plain.stdout);
}

#[test]
fn header_command_regenerates_a_text_seed_with_quotes() {
    let dir = temp();
    let seed = "it's \"ML\" 2026 / A $HOME";
    let output = generate(dir.path(), &["--seed", seed, "--preset", "leaky"]);
    let text = stdout_text(&output);
    spec::parse(&text, FileFormat::Toml, "generated").expect("the header is a TOML comment");
    let command = text
        .lines()
        .find_map(|l| l.strip_prefix("#   nnexam "))
        .expect("header names the command");
    // Run the header's command through a real shell: its quoting must give back the seed.
    let bin = assert_cmd::cargo::cargo_bin("nnexam");
    let rerun = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' {command}", bin.display()))
        .current_dir(dir.path())
        .output()
        .expect("sh runs");
    assert_eq!(rerun.stdout, output.stdout, "{command}");
}

#[test]
fn seeds_are_text_so_numbers_are_not_normalised() {
    let dir = temp();
    let seven = generate(dir.path(), &["--seed", "7"]);
    let padded = generate(dir.path(), &["--seed", "07"]);
    assert_ne!(seven.stdout, padded.stdout);
    let negative = generate(dir.path(), &["--seed", "-5"]);
    assert!(stdout_text(&negative).contains("--seed -5"));
}

#[test]
fn config_file_overrides_only_what_it_names() {
    let dir = temp();
    write(
        dir.path(),
        "exam.toml",
        "[architecture]\nactivation = \"leaky_relu\"\ny = [0, 1]\n",
    );
    let output = generate(dir.path(), &["--seed", "7", "--config", "exam.toml"]);
    let text = stdout_text(&output);
    assert!(text.contains("--config exam.toml"), "{text}");
    let problem = spec::parse(&text, FileFormat::Toml, "generated").expect("parses");
    assert_eq!(problem.activation, spec::Activation::LeakyRelu);
    assert_eq!(problem.x(0, 0).dim(), (5, 5));
}

#[test]
fn unknown_config_key_is_named_with_its_line() {
    let stderr = config_error("[rules]\nmax_abs_z2 = 2\nmin_error = 0.1\n");
    assert!(
        stderr.contains("bad.toml is not a valid generator config"),
        "{stderr}"
    );
    assert!(
        stderr.contains("min_error") && stderr.contains("line 3"),
        "{stderr}"
    );
}

#[test]
fn step_that_is_not_one_over_n_is_named_with_the_fix() {
    let stderr = config_error("[w2]\nmin = -0.9\nmax = 0.9\nstep = 0.3\n");
    assert!(
        stderr.contains("`w2.step`") && stderr.contains("0.1"),
        "{stderr}"
    );
}

#[test]
fn filter_larger_than_input_names_the_knob() {
    let stderr = config_error("[architecture]\ninput_size = 2\nfilter_size = 3\n");
    assert!(stderr.contains("`architecture.filter_size`"), "{stderr}");
    assert!(stderr.contains("use a smaller filter"), "{stderr}");
}

#[test]
fn unsatisfiable_config_names_the_top_rejecting_rule_and_how_to_relax_it() {
    // Z1 entries are multiples of 0.5 (integer X and B1, F1 in halves), so |Z1| <= 0.4 forces
    // Z1 = 0, which has no positive entry: no draw can pass, most fail the bound itself.
    let stderr = config_error("[rules]\nmax_abs_z1 = 0.4\n[sampling]\nmax_attempts = 2000\n");
    assert!(stderr.contains("in 2000 attempts"), "{stderr}");
    assert!(stderr.contains("the rule `z1_bound`"), "{stderr}");
    assert!(stderr.contains("raise rules.max_abs_z1"), "{stderr}");
}

#[test]
fn unknown_preset_lists_the_valid_ones() {
    let dir = temp();
    let stderr = generate_fails(dir.path(), &["--seed", "7", "--preset", "tiny"]);
    for name in ["default", "leaky", "wide"] {
        assert!(stderr.contains(name), "{stderr}");
    }
}

#[test]
fn bad_invocations_exit_2_without_output() {
    let dir = temp();
    let stderr = generate_fails(
        dir.path(),
        &["--seed", "7", "--preset", "wide", "--config", "x.toml"],
    );
    assert!(stderr.contains("--preset"), "{stderr}");
    let stderr = generate_fails(dir.path(), &["--seed", "7", "--config", "missing.toml"]);
    assert!(stderr.contains("missing.toml"), "{stderr}");
    let stderr = generate_fails(dir.path(), &["--seed", ""]);
    assert!(stderr.contains("`seed`"), "{stderr}");
    nnexam(dir.path())
        .arg("generate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--seed"));
}

#[test]
fn config_difficulty_table_shapes_the_question_and_flags_override_it() {
    let dir = temp();
    write(
        dir.path(),
        "short.toml",
        "[difficulty]\npreset = \"short\"\n",
    );
    let args = [
        "--seed",
        "7",
        "--config",
        "short.toml",
        "--format",
        "latex",
        "--part",
        "question",
    ];
    let short = stdout_text(&generate(dir.path(), &args));
    // The short preset gives Z1 in the question; the standard one does not.
    assert!(
        short.contains("The convolution is already done for you"),
        "{short}"
    );
    let standard = stdout_text(&generate(
        dir.path(),
        &["--seed", "7", "--format", "latex", "--part", "question"],
    ));
    assert!(!standard.contains("The convolution is already done for you"));
    // A flag overrides the config's table.
    let mut flagged = args.to_vec();
    flagged.extend(["--difficulty", "standard"]);
    let overridden = stdout_text(&generate(dir.path(), &flagged));
    // The same sheet; only the footer's command (config and flags) tells how it was made.
    let without_command = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.contains("nnexam generate"))
            .map(String::from)
            .collect()
    };
    assert_eq!(without_command(&overridden), without_command(&standard));
    assert!(
        overridden.contains("nnexam generate --seed 7 --config short.toml --difficulty standard")
    );
}

#[test]
fn config_that_gives_d_z1_away_is_refused_with_the_reason() {
    let stderr = config_error("[difficulty]\ngive_d_z1 = true\n");
    assert!(stderr.contains("give_d_z1"), "{stderr}");
    assert!(
        stderr.contains("is the solution of the backward pass"),
        "{stderr}"
    );
}
