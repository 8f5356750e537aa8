//! `cargo bench --bench memory`: peak resident memory of the two commands whose output grows
//! with a count, `exam` with 1 000 variants (LaTeX and Markdown, no PDF) and `moodle --count
//! 10000`, each run in a fresh child process (Linux VmHWM), 3 runs each. Target (issue 12):
//! under 30 MB, however large the count; before streaming they peaked at 74 MB and 87 MB here.

mod common;

use common::{measure_child, report_child, run_nnexam, Measured};

const ARGS_ENV: &str = "NNEXAM_BENCH_MEMORY_ARGS";
const RUNS: usize = 3;

fn report(what: &str, runs: &[Measured]) {
    let peak = runs.iter().map(|m| m.peak_kib).max().unwrap_or(0);
    let wall = common::median(runs.iter().map(|m| m.wall).collect());
    println!(
        "{what:<36} peak RSS {:>6.1} MiB (most of {} runs)  median {wall:>5.2} s",
        peak as f64 / 1024.0,
        runs.len()
    );
}

fn main() {
    if let Ok(args) = std::env::var(ARGS_ENV) {
        let dir = tempfile::tempdir().expect("temp dir");
        let args: Vec<String> = args
            .split('\u{1f}')
            .map(|a| a.replace("{out}", &dir.path().join("out").display().to_string()))
            .collect();
        return report_child(|| run_nnexam(&args));
    }
    let variants: Vec<String> = (1..=1000).map(|k| k.to_string()).collect();
    let exam = ["exam", "--variants", &variants.join(","), "--seed", "bench"].join("\u{1f}")
        + "\u{1f}--quiet\u{1f}--out\u{1f}{out}";
    let moodle = ["moodle", "--count", "10000", "--seed", "bench"].join("\u{1f}");
    for (what, args) in [
        ("exam, 1 000 variants", exam),
        ("moodle --count 10000", moodle),
    ] {
        let runs: Vec<Measured> = (0..RUNS)
            .map(|_| measure_child(&[(ARGS_ENV, args.clone())]))
            .collect();
        report(what, &runs);
    }
}
