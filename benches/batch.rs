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

use std::path::Path;
use std::process::Command;
use std::time::Instant;

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

/// Peak resident set size of this process in KiB (Linux /proc).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The child: one batch of `students`, printing "<seconds> <peak KiB>".
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
    };
    let start = Instant::now();
    workflow::write_batch(&job, &dest, &NoProgress, &Interrupt::default()).expect("batch runs");
    let seconds = start.elapsed().as_secs_f64();
    assert!(Path::new(&dest.dir).join("key.csv").is_file());
    println!("{seconds} {}", peak_rss_kib());
}

fn measure(students: usize) -> (f64, u64) {
    let exe = std::env::current_exe().expect("bench executable");
    let mut runs: Vec<(f64, u64)> = (0..RUNS)
        .map(|_| {
            let out = Command::new(&exe)
                .env(CHILD_ENV, students.to_string())
                .output()
                .expect("child runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout);
            let mut fields = text.split_whitespace();
            let seconds = fields.next().and_then(|s| s.parse().ok()).expect("seconds");
            let kib = fields
                .next()
                .and_then(|s| s.parse().ok())
                .expect("peak KiB");
            (seconds, kib)
        })
        .collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let peak = runs.iter().map(|r| r.1).max().unwrap_or(0);
    (runs[RUNS / 2].0, peak)
}

fn main() {
    if let Ok(n) = std::env::var(CHILD_ENV) {
        run_child(n.parse().expect("student count"));
        return;
    }
    for students in [1_000, 10_000] {
        let (seconds, kib) = measure(students);
        println!(
            "batch {students:>6} students (latex+markdown+json+key)  median {seconds:>6.2} s  \
             peak RSS {:>6.1} MiB  ({:.0} us/student)",
            kib as f64 / 1024.0,
            seconds * 1e6 / students as f64
        );
    }
}
