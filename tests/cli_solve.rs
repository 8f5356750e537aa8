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

/// The shape of a JSON value: the length of every level of lists, following the first entries.
fn shape(v: &Value) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = v;
    while let Value::Array(items) = at {
        out.push(items.len());
        at = &items[0];
    }
    out
}

fn solve_json(file: &str) -> Value {
    let out = nnexam()
        .args(["solve", file, "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn json_of_the_wider_family_keeps_the_shapes_the_file_writes() {
    // Two filters, softmax over 3 classes, a batch of 2 samples of one 5x5 channel.
    let v = solve_json("exercises/family/softmax-batch-two-filters.toml");
    // (serde_json's Value sorts the keys.)
    assert_eq!(
        keys(&v),
        ["backward", "cost", "forward", "problem", "shown", "update"]
    );
    assert_eq!(shape(&v["problem"]["samples"]), [2]);
    let forward = v["forward"].as_array().unwrap();
    assert_eq!(forward.len(), 2, "one forward object per sample");
    for f in forward {
        assert_eq!(keys(f), ["a1", "loss", "p1", "s", "y_hat", "z1", "z2"]);
        assert_eq!(shape(&f["z1"]), [2, 4, 4]);
        assert_eq!(shape(&f["p1"]), [2, 2, 2]);
        assert_eq!(shape(&f["s"]), [8]);
        assert_eq!(shape(&f["y_hat"]), [3]);
        assert!(f["loss"].is_number());
        let sum: f64 = f["y_hat"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_f64().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-12, "softmax sums to 1");
    }
    // The cost is the mean of the samples' losses.
    let losses: Vec<f64> = forward
        .iter()
        .map(|f| f["loss"].as_f64().unwrap())
        .collect();
    let cost = v["cost"].as_f64().unwrap();
    assert!((cost - (losses[0] + losses[1]) / 2.0).abs() < 1e-12);
    let b = &v["backward"];
    for (key, expected) in [
        ("z2", vec![2, 3]),
        ("s", vec![2, 8]),
        ("p1", vec![2, 2, 2, 2]),
        ("a1", vec![2, 2, 4, 4]),
        ("z1", vec![2, 2, 4, 4]),
        ("x", vec![2, 5, 5]),
        ("w2", vec![3, 8]),
        ("b2", vec![3]),
        ("f1", vec![2, 2, 2]),
        ("b1", vec![2]),
        ("conv_matrix", vec![2 * 4 * 4, 5 * 5]),
    ] {
        assert_eq!(shape(&b[key]), expected, "backward.{key}");
    }
    // Each sample's own dC^n/dz2 = y_hat - onehot(y), and dC/dB2 their mean.
    for (n, y) in [(0, 2), (1, 0)] {
        for k in 0..3 {
            let y_hat = forward[n]["y_hat"][k].as_f64().unwrap();
            let onehot = if k == y { 1.0 } else { 0.0 };
            let d = b["z2"][n][k].as_f64().unwrap();
            assert!((d - (y_hat - onehot)).abs() < 1e-12, "sample {n} class {k}");
        }
    }
    for k in 0..3 {
        let mean = (b["z2"][0][k].as_f64().unwrap() + b["z2"][1][k].as_f64().unwrap()) / 2.0;
        assert!((b["b2"][k].as_f64().unwrap() - mean).abs() < 1e-12);
    }
    assert_eq!(shape(&v["update"]["f1"]), [2, 2, 2]);
    assert_eq!(shape(&v["update"]["w2"]), [3, 8]);
    assert_eq!(shape(&v["shown"]["forward"]), [2]);
    assert_eq!(shape(&v["shown"]["backward"]["z1"]), [2, 2, 4, 4]);
    assert!(v["shown"]["cost"].is_string());
}

#[test]
fn json_of_several_channels_has_a_channel_axis_on_the_input_gradient() {
    // Three 4x4 channels, one filter bank of one filter: a filter axis, once written, stays.
    let v = solve_json("exercises/family/rgb.toml");
    assert!(v["forward"].is_object() && v.get("cost").is_none());
    assert_eq!(shape(&v["forward"]["z1"]), [1, 3, 3]);
    assert!(v["forward"]["y_hat"].is_number());
    assert_eq!(shape(&v["backward"]["x"]), [3, 4, 4]);
    assert_eq!(shape(&v["backward"]["f1"]), [1, 3, 2, 2]);
    assert!(
        v["backward"]["b1"].is_number(),
        "b1 written as a number stays one"
    );
    assert_eq!(shape(&v["backward"]["conv_matrix"]), [9, 3 * 16]);
}

#[test]
fn wider_exercises_are_solved_and_put_on_sheets() {
    let file = "exercises/family/rgb.toml";
    nnexam()
        .args(["solve", file])
        .assert()
        .success()
        .stdout(predicate::str::contains("[1, 3]").and(predicate::str::contains("dC/dP0")));
    // Three input channels: the sheet gives each, and the solution works through each.
    nnexam()
        .args(["render", file, "--format", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::contains("X_{3} =").and(predicate::str::contains("P^{(0)}_{3}")));
}
