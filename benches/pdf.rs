//! `cargo bench --bench pdf`: a class of 300 students with `batch --pdf` (LaTeX question and
//! solution sheets, every student's two PDFs and the two print files), against compiling the
//! same sheets one by one as nnexam did before (latexmk on each sheet, all cores busy; pdflatex
//! twice where latexmk is missing), measured side by side in the same run.
//!
//! Each run is a fresh child process of this executable; its CPU time counts every thread and
//! every pdflatex it waited for. The class way runs 3 times (medians); the one-by-one way, which
//! takes minutes, once (`NNEXAM_BENCH_BASELINE_RUNS` for more, 0 for none). Targets (issue 12):
//! at most 15 s wall on 2 cores, at least 10 times less CPU than one by one.
//! `NNEXAM_BENCH_STUDENTS` sets the class size.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{measure_child, median, report_child, run_nnexam, Measured};
use rayon::prelude::*;

const MODE_ENV: &str = "NNEXAM_BENCH_PDF_MODE";
const ROSTER_ENV: &str = "NNEXAM_BENCH_PDF_ROSTER";
const RUNS: usize = 3;

fn batch_args(roster: &str, out: &Path, pdf: bool) -> Vec<String> {
    let mut args: Vec<String> = ["batch", "--roster", roster, "--course-seed", "bench"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["--format", "latex", "--quiet", "--out"].map(String::from));
    args.push(out.display().to_string());
    if pdf {
        args.push("--pdf".to_string());
    }
    args
}

fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Compiles one sheet alone, as `batch --pdf` did before: latexmk, or pdflatex twice.
fn compile_alone(tex: &Path, latexmk: bool) {
    let dir = tex.parent().expect("a sheet in a folder");
    let file = tex.file_name().expect("a file name");
    let run = |program: &str, args: &[&str]| {
        let status = Command::new(program)
            .args(args)
            .arg(file)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("TeX runs");
        assert!(status.success(), "{} compiles", tex.display());
    };
    let batch = ["-interaction=nonstopmode", "-halt-on-error"];
    if latexmk {
        run("latexmk", &["-pdf", "-quiet", batch[0], batch[1]]);
    } else {
        run("pdflatex", &batch);
        run("pdflatex", &batch);
    }
}

/// The child: one class, the class way or one by one.
fn run_child(mode: &str, roster: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    report_child(|| match mode {
        "class" => run_nnexam(&batch_args(roster, &out, true)),
        _ => {
            run_nnexam(&batch_args(roster, &out, false));
            let mut sheets = Vec::new();
            for entry in std::fs::read_dir(&out).expect("the batch folder") {
                let folder = entry.expect("entry").path();
                if folder.is_dir() {
                    sheets.extend(["question.tex", "solution.tex"].map(|f| folder.join(f)));
                }
            }
            let latexmk = runs("latexmk");
            sheets
                .par_iter()
                .with_max_len(1)
                .for_each(|tex| compile_alone(tex, latexmk));
        }
    });
}

fn line(what: &str, runs: &[Measured]) -> (f64, f64) {
    let wall = median(runs.iter().map(|m| m.wall).collect());
    let cpu = median(runs.iter().map(|m| m.cpu).collect());
    println!(
        "  {what:<34} median {wall:>7.2} s wall  {cpu:>7.2} s CPU  ({} runs)",
        runs.len()
    );
    (wall, cpu)
}

fn main() {
    if let Ok(mode) = std::env::var(MODE_ENV) {
        let roster = std::env::var(ROSTER_ENV).expect("roster path");
        return run_child(&mode, &roster);
    }
    if !runs("pdflatex") {
        println!("pdf: SKIPPED, pdflatex is not installed");
        return;
    }
    let students: usize = std::env::var("NNEXAM_BENCH_STUDENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let baseline_runs: usize = std::env::var("NNEXAM_BENCH_BASELINE_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let roster = dir.path().join("roster.csv");
    let mut text = String::from("id,name\n");
    for k in 0..students {
        text.push_str(&format!("s{k:04},Student {k}\n"));
    }
    std::fs::write(&roster, text).expect("roster written");
    let measure = |mode: &str| {
        measure_child(&[
            (MODE_ENV, mode.to_string()),
            (ROSTER_ENV, roster.display().to_string()),
        ])
    };
    // Interleaved, so that a noisy neighbour slows both ways alike.
    let mut class = Vec::new();
    let mut alone = Vec::new();
    for k in 0..RUNS.max(baseline_runs) {
        if k < RUNS {
            class.push(measure("class"));
        }
        if k < baseline_runs {
            alone.push(measure("one-by-one"));
        }
    }
    println!(
        "pdf: {students} students, LaTeX question + solution PDFs (and print files), {} cores",
        rayon::current_num_threads()
    );
    let (class_wall, class_cpu) = line("class documents + print files", &class);
    if alone.is_empty() {
        return;
    }
    let (alone_wall, alone_cpu) = line("one by one, as before", &alone);
    println!(
        "  ratio: one by one takes {:.1}x the CPU and {:.1}x the wall time  \
         (targets: <= 15 s wall for 300 students, >= 10x less CPU)",
        alone_cpu / class_cpu,
        alone_wall / class_wall
    );
}
