//! `cargo bench --bench batch`: wall time and peak memory of a per-student batch (LaTeX +
//! Markdown + exercise JSON + key, no PDF) for 1 000 and 10 000 students.
//!
//! Each measurement runs in a fresh child process (this same executable, told the roster size
//! by an environment variable), so the peak resident memory it reports (VmHWM, Linux) belongs
//! to that batch alone. Medians over three runs: machines here are shared and noisy.
//!
//! The output goes to a temporary folder under $TMPDIR. On an ext4 file system without a
//! journal, creating files right after many were deleted (the previous run's cleanup) costs a
//! lot of kernel time; `TMPDIR=/dev/shm cargo bench --bench batch` measures nnexam's own work.

mod common;

use std::path::Path;

use common::{measure_child, median, Measured};

use nnexam::export::key::Tolerance;
use nnexam::export::roster;
use nnexam::export::sheets::SheetPlan;
use nnexam::generate::{ConfigSource, GeneratorConfig};
use nnexam::render::{self, Format, RenderOptions};
use nnexam::workflow::{self, BatchJob, Destination, Interrupt, NoProgress};

const CHILD_ENV: &str = "NNEXAM_BENCH_BATCH_STUDENTS";
const RUNS: usize = 3;

fn roster_csv(students: usize) -> String {
    let mut text = String::from("id,name\n");
    for k in 0..students {
        text.push_str(&format!("s{k:05},Student {k}\n"));
    }
    text
}

/// The child: one batch of `students`, reported by [`common::report_child`].
fn run_child(students: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let students_list = roster::parse(roster_csv(students).as_bytes(), "bench").expect("roster");
    let config = GeneratorConfig::default();
    let plan = SheetPlan {
        formats: vec![Format::Latex, Format::Markdown],
        options: RenderOptions::default(),
        tolerance: Tolerance::FromRounding { decimals: 3 },
        config_source: ConfigSource::Default,
        sheet_flags: "--decimals 3 --rounding stepwise".to_string(),
    };
    let tera = render::engine().expect("templates");
    let job = BatchJob {
        config: &config,
        course_seed: "bench",
        students: &students_list,
        plan: &plan,
        tera: &tera,
    };
    let dest = Destination {
        dir: dir.path().join("out"),
        force: false,
        pdf: false,
        latex: nnexam::render::LatexEngine::Pdflatex,
    };
    common::report_child(|| {
        workflow::write_batch(&job, &dest, &NoProgress, &Interrupt::default()).expect("batch runs");
    });
    assert!(Path::new(&dest.dir).join("key.csv").is_file());
}

fn main() {
    if let Ok(n) = std::env::var(CHILD_ENV) {
        run_child(n.parse().expect("student count"));
        return;
    }
    for students in [1_000, 10_000] {
        let runs: Vec<Measured> = (0..RUNS)
            .map(|_| measure_child(&[(CHILD_ENV, students.to_string())]))
            .collect();
        let seconds = median(runs.iter().map(|m| m.wall).collect());
        let kib = runs.iter().map(|m| m.peak_kib).max().unwrap_or(0);
        println!(
            "batch {students:>6} students (latex+markdown+json+key)  median {seconds:>6.2} s  \
             peak RSS {:>6.1} MiB  ({:.0} us/student)",
            kib as f64 / 1024.0,
            seconds * 1e6 / students as f64
        );
    }
}
