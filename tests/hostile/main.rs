//! The hostile corpus: bad and unusual inputs a careless instructor or a hostile user gives
//! nnexam, each a case file in `tests/hostile/cases/` (issue 10 found 42 of them mishandled).
//! Every case runs the real binary in a fresh folder and must end as the README promises:
//!
//! - the exit code the case names (0 done, 2 bad input), never a panic, an abort or a hang;
//! - on failure: stderr starts with `error:` and holds every text the case lists (the key, flag
//!   or file at fault), stdout is empty, and the folder holds exactly what it held before;
//! - on success: the files the case lists exist, holding the texts it lists.
//!
//! A case file is TOML:
//!
//! ```toml
//! # What the case shows (issue 10 item 2, or "own").
//! args = ["solve", "ex.toml"]          # run in the case's folder
//! exit = 2
//! stderr = ["`conv.padding`"]          # texts stderr must hold
//! stdout = ["(12 files)"]              # texts stdout must hold
//! max_stderr = 2000                    # longest stderr, in bytes
//! needs = ["pdflatex"]                 # programs the case needs (skipped loudly without)
//! env = { PATH = "" }                  # extra environment
//! dirs = ["ro"]                        # empty folders to create
//! readonly = ["ro"]                    # paths made read-only
//! links = { "tpl/loop" = "." }         # symbolic links: path = target
//! [files]                              # input files: path = content
//! "a.txt" = "plain text"
//! "ex.toml" = { from = "exercises/task-3-1.toml", replace = [["padding = 0", "padding = 99"]] }
//! "deep.toml" = { prefix = "x = ", repeat = "[", times = 100000 }
//! "bad.csv" = { hex = "69640a31ff0a" }
//! [after]                              # for exit 0: files that must exist, with texts in them
//! "out/key.csv" = ["'=HYPERLINK"]
//! ```

#[path = "../common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use serde::Deserialize;

/// Longest a case may run: every refusal is immediate, and the slowest success (a few PDFs)
/// takes seconds. A case that needs longer is a hang.
const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    args: Vec<String>,
    exit: i32,
    #[serde(default)]
    stderr: Vec<String>,
    #[serde(default)]
    stdout: Vec<String>,
    max_stderr: Option<usize>,
    #[serde(default)]
    needs: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    dirs: Vec<String>,
    #[serde(default)]
    readonly: Vec<String>,
    #[serde(default)]
    links: BTreeMap<String, String>,
    #[serde(default)]
    files: BTreeMap<String, Content>,
    #[serde(default)]
    after: BTreeMap<String, Vec<String>>,
}

/// An input file's content.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    /// A file of the crate with some lines replaced.
    From {
        from: String,
        #[serde(default)]
        replace: Vec<[String; 2]>,
    },
    /// `prefix`, then `repeat` `times` times, then `suffix`: big and deep inputs.
    Repeat {
        #[serde(default)]
        prefix: String,
        repeat: String,
        times: usize,
        #[serde(default)]
        suffix: String,
    },
    /// Bytes that are not UTF-8.
    Hex {
        hex: String,
    },
}

impl Content {
    fn bytes(&self, name: &str) -> Vec<u8> {
        match self {
            Content::Text(text) => text.clone().into_bytes(),
            Content::From { from, replace } => {
                let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(from);
                let mut text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{name}: cannot read {from}: {e}"));
                for [old, new] in replace {
                    assert!(text.contains(old.as_str()), "{name}: {from} lacks {old:?}");
                    text = text.replacen(old.as_str(), new, 1);
                }
                text.into_bytes()
            }
            Content::Repeat {
                prefix,
                repeat,
                times,
                suffix,
            } => format!("{prefix}{}{suffix}", repeat.repeat(*times)).into_bytes(),
            Content::Hex { hex } => (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits"))
                .collect(),
        }
    }
}

/// Every path below `dir` (folders end in `/`), sorted, without following links.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("readable folder") {
            let path = entry.expect("entry").path();
            let name = path.strip_prefix(root).expect("below root").display();
            if path.is_symlink() || !path.is_dir() {
                out.push(name.to_string());
            } else {
                out.push(format!("{name}/"));
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

fn set_readonly(path: &Path) {
    let mut permissions = std::fs::metadata(path).expect("exists").permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(path, permissions).expect("permissions");
}

/// Sets up `case` in a fresh folder, runs it, and returns what went wrong (empty: nothing).
fn run(name: &str, case: &Case) -> Vec<String> {
    let tmp = tempfile::tempdir().expect("temp folder");
    let dir = tmp.path();
    for d in &case.dirs {
        std::fs::create_dir_all(dir.join(d)).expect("folder");
    }
    for (path, content) in &case.files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("folder");
        std::fs::write(&path, content.bytes(name)).expect("input file");
    }
    for (path, target) in &case.links {
        std::os::unix::fs::symlink(target, dir.join(path)).expect("symlink");
    }
    for path in &case.readonly {
        set_readonly(&dir.join(path));
    }
    let before = listing(dir);
    let output = assert_cmd::Command::cargo_bin("nnexam")
        .expect("binary builds")
        .current_dir(dir)
        .args(&case.args)
        .envs(&case.env)
        .timeout(TIMEOUT)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut problems = Vec::new();
    let mut fail = |what: String| problems.push(format!("{name}: {what}"));
    match output.status.code() {
        Some(code) if code == case.exit => {}
        Some(code) => fail(format!("exit {code}, expected {}", case.exit)),
        None => fail(format!("killed or timed out after {TIMEOUT:?}")),
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        fail("panicked".to_string());
    }
    for needle in &case.stderr {
        if !stderr.contains(needle.as_str()) {
            fail(format!("stderr lacks {needle:?}"));
        }
    }
    for needle in &case.stdout {
        if !stdout.contains(needle.as_str()) {
            fail(format!("stdout lacks {needle:?}: {:.300}", stdout));
        }
    }
    if let Some(max) = case.max_stderr {
        if stderr.len() > max {
            fail(format!(
                "stderr has {} bytes, more than {max}",
                stderr.len()
            ));
        }
    }
    if case.exit != 0 {
        if !stderr.starts_with("error:") {
            fail("stderr does not start with `error:`".to_string());
        }
        if !stdout.is_empty() {
            fail(format!("wrote to stdout: {:.200}", stdout));
        }
        let after = listing(dir);
        if after != before {
            fail(format!("left files behind: {after:?}, was {before:?}"));
        }
    }
    for (path, needles) in &case.after {
        match std::fs::read(dir.join(path)) {
            Err(e) => fail(format!("{path}: {e}")),
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                for needle in needles {
                    if !text.contains(needle.as_str()) {
                        fail(format!("{path} lacks {needle:?}"));
                    }
                }
            }
        }
    }
    // Read-only folders must be writable again for the temp folder to be removed.
    for path in &case.readonly {
        let path = dir.join(path);
        if let Ok(meta) = std::fs::metadata(&path) {
            let mut permissions = meta.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            permissions.set_readonly(false);
            let _ = std::fs::set_permissions(&path, permissions);
        }
    }
    if !problems.is_empty() {
        problems.push(format!("{name}: stderr was: {:.600}", stderr));
    }
    problems
}

fn cases() -> Vec<(String, Case)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/cases");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/hostile/cases exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path).expect("case is UTF-8");
            let case: Case =
                toml::from_str(&text).unwrap_or_else(|e| panic!("case {name} is not valid: {e}"));
            (name, case)
        })
        .collect()
}

#[test]
fn every_hostile_input_gets_a_clear_answer() {
    let cases = cases();
    assert!(cases.len() >= 50, "the corpus holds {} cases", cases.len());
    let mut skipped = Vec::new();
    let runnable: Vec<&(String, Case)> = cases
        .iter()
        .filter(
            |(name, case)| match case.needs.iter().find(|p| !on_path(p)) {
                Some(missing) => {
                    skipped.push(format!("{name} (needs {missing})"));
                    false
                }
                None => true,
            },
        )
        .collect();
    if !skipped.is_empty() {
        common::skip(
            "every_hostile_input_gets_a_clear_answer",
            &format!("missing tools for {}", skipped.join(", ")),
        );
    }
    let problems: Vec<String> = runnable
        .par_iter()
        .with_max_len(1)
        .flat_map(|(name, case)| run(name, case))
        .collect();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
