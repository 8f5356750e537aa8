//! `nnexam solve` end to end: the JSON contract, the text summary, and bad input (exit 2, a
//! message naming the key, nothing on stdout).

use assert_cmd::Command;
use nnexam::solve::step::Step;
use predicates::prelude::*;
use serde_json::Value;

fn nnexam() -> Command {
    Command::cargo_bin("nnexam").expect("binary builds")
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("temp file");
    path
}

const TASK: &str = include_str!("../exercises/task-3-1.toml");

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn json_output_follows_the_contract() {
    let out = nnexam()
        .args(["solve", "exercises/task-3-1.toml", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let mut top = keys(&v);
    top.sort();
    assert_eq!(top, ["backward", "forward", "problem", "shown", "update"]);
    let mut forward = keys(&v["forward"]);
    forward.sort();
    assert_eq!(forward, ["a1", "loss", "p1", "s", "y_hat", "z1", "z2"]);
    let mut backward = keys(&v["backward"]);
    backward.sort();
    assert_eq!(
        backward,
        [
            "a1",
            "b1",
            "b2",
            "conv_matrix",
            "f1",
            "p1",
            "s",
            "w2",
            "x",
            "z1",
            "z2"
        ]
    );
    let mut update = keys(&v["update"]);
    update.sort();
    assert_eq!(update, ["b1", "b2", "f1", "w2"]);
    // Defaults are filled in.
    assert_eq!(v["problem"]["conv"]["stride"], 1);
    assert_eq!(v["problem"]["pool"]["kind"], "max");
    assert_eq!(v["problem"]["activation"], "relu");
    // Shapes: matrices are lists of rows; conv_matrix is (out_h*out_w) x (h*w).
    assert_eq!(v["forward"]["z1"].as_array().unwrap().len(), 4);
    assert_eq!(v["backward"]["x"].as_array().unwrap().len(), 5);
    let m = v["backward"]["conv_matrix"].as_array().unwrap();
    assert_eq!((m.len(), m[0].as_array().unwrap().len()), (16, 25));
    // Full precision: the printed y_hat reads back bit for bit as the library's value, and that
    // value is 1 / (1 + e^0.6) (computed here independently) to the last few ulps.
    let problem = nnexam::spec::load(std::path::Path::new("exercises/task-3-1.toml")).unwrap();
    let exact = *nnexam::solve::solve(&problem)
        .unwrap()
        .values
        .scalar(Step::YHat);
    assert_eq!(v["forward"]["y_hat"].as_f64().unwrap(), exact);
    assert!((exact - 1.0 / (1.0 + 0.6f64.exp())).abs() < 1e-15);
}

#[test]
fn json_shown_values_mirror_the_exact_objects_as_printed_strings() {
    let out = nnexam()
        .args(["solve", "exercises/task-3-1.toml", "--format", "json"])
        .args(["--decimals", "2", "--rounding", "exact"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let shown = &v["shown"];
    assert_eq!(shown["decimals"], 2);
    assert_eq!(shown["rounding"], "exact");
    for group in ["forward", "update"] {
        let mut exact = keys(&v[group]);
        let mut printed = keys(&shown[group]);
        exact.sort();
        printed.sort();
        assert_eq!(exact, printed, "{group}");
    }
    // The backward keys are the exact ones, without the convolution matrix (given numbers) and
    // with the activation's derivative.
    let mut exact = keys(&v["backward"]);
    exact.retain(|k| *k != "conv_matrix");
    exact.push("act_grad");
    exact.sort();
    let mut printed = keys(&shown["backward"]);
    printed.sort();
    assert_eq!(exact, printed);
    // y_hat = 1 / (1 + e^0.6) = 0.35434... shows as "0.35"; every number is a string.
    assert_eq!(shown["forward"]["y_hat"], "0.35");
    assert_eq!(shown["backward"]["x"].as_array().unwrap().len(), 5);
    assert!(shown["forward"]["z1"][0][0].is_string());
}

#[test]
fn json_exercise_file_gives_the_same_solution() {
    let dir = tempfile::tempdir().unwrap();
    let toml_json = nnexam()
        .args(["solve", "exercises/task-3-1.toml", "--format", "json"])
        .output()
        .unwrap()
        .stdout;
    let v: Value = serde_json::from_slice(&toml_json).unwrap();
    let path = write(&dir, "task.json", &v["problem"].to_string());
    nnexam()
        .args(["solve", path.to_str().unwrap(), "--format", "json"])
        .assert()
        .success()
        .stdout(String::from_utf8(toml_json).unwrap());
}

#[test]
fn text_output_labels_every_stage() {
    nnexam()
        .args(["solve", "exercises/task-3-1.toml"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Z1 = ")
                .and(predicate::str::contains("dC/dF1"))
                .and(predicate::str::contains("dC/dP0"))
                .and(predicate::str::contains("B1 :=")),
        );
}

fn assert_bad_input(text: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "bad.toml", text);
    let assert = nnexam()
        .args(["solve", path.to_str().unwrap()])
        .assert()
        .code(2)
        .stdout("");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for needle in needles {
        assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_inputs_exit_2_with_a_message_naming_the_problem() {
    assert_bad_input("x = [[1, 2]\n", &["line 1"]);
    assert_bad_input(&TASK.replace("y = 1", "y = 3"), &["`y`", "y = 0 or y = 1"]);
    assert_bad_input(&TASK.replace("lr = 0.5", "lr = -1"), &["`lr`"]);
    assert_bad_input(
        &TASK.replace("[0, 4, 0, 0, 0],", "[0, 4, 0, 0],"),
        &["`x`", "ragged"],
    );
    assert_bad_input(
        &TASK.replace("w2 = [0.1, 0.3, -0.8, 0.2]", "w2 = [0.1]"),
        &["w2 has 1", "S has 4"],
    );
    assert_bad_input(
        &TASK.replace("activation = \"relu\"", "activation = \"gelu\""),
        &["leaky_relu", "tanh"],
    );
    assert_bad_input(&TASK.replace("kind = \"max\"", "kind = \"min\""), &["avg"]);
    assert_bad_input(
        &TASK.replace("loss = \"bce\"", "loss = \"hinge\""),
        &["mse"],
    );
    assert_bad_input(&TASK.replace("size = 2", "size = 9"), &["pool.size"]);
    assert_bad_input(&TASK.replace("b1 = -1", "b1 = nan"), &["`b1`", "finite"]);
    assert_bad_input(&TASK.replace("b1 = -1", "bias1 = -1"), &["bias1"]);
    assert_bad_input(
        &TASK.replace("f1 = [[0.5, 1], [0, -0.5]]", "f1 = []"),
        &["`f1`", "empty"],
    );
}

#[test]
fn missing_file_exits_2_and_names_it() {
    nnexam()
        .args(["solve", "no/such/file.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/file.toml"));
}

#[test]
fn edited_templates_change_the_wording_without_touching_rust() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("tpl");
    nnexam()
        .args(["templates", "eject", templates.to_str().unwrap()])
        .assert()
        .success();
    // Translate one heading of the text summary and one comment line of the exercise file.
    let text_path = templates.join("text/solution.txt");
    let text = std::fs::read_to_string(&text_path).unwrap();
    assert!(text.contains("Forward pass"));
    std::fs::write(
        &text_path,
        text.replace("Forward pass", "Vorwärtsdurchlauf"),
    )
    .unwrap();
    let toml_path = templates.join("toml/exercise.toml");
    let toml = std::fs::read_to_string(&toml_path).unwrap();
    assert!(toml.contains("# Solve it with"));
    std::fs::write(&toml_path, toml.replace("# Solve it with", "# Lösen mit")).unwrap();

    let tpl = templates.to_str().unwrap();
    nnexam()
        .args(["solve", "exercises/task-3-1.toml", "--templates", tpl])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Vorwärtsdurchlauf")
                .and(predicate::str::contains("Forward pass").not()),
        );
    nnexam()
        .args(["generate", "--seed", "7", "--templates", tpl])
        .assert()
        .success()
        .stdout(predicate::str::contains("# Lösen mit"));
}
