//! A plain benchmark harness shared by the `cargo bench` targets: warm up, time batches of
//! calls, report the median (machines here are shared and noisy, so medians, not means); and
//! measuring whole runs (wall, CPU, peak memory) each in a fresh child process.
#![allow(dead_code)] // each bench uses a different part of this module

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Median time per call of `f`, over `samples` batches of `batch` calls after a warm-up.
pub(crate) fn median_per_call<T>(
    samples: usize,
    batch: usize,
    mut f: impl FnMut() -> T,
) -> Duration {
    for _ in 0..batch {
        black_box(f());
    }
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                black_box(f());
            }
            start.elapsed() / batch as u32
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Prints one result line: name and median time per call.
pub(crate) fn report(name: &str, median: Duration) {
    println!("{name:<48} median {:>10.2} us", median.as_secs_f64() * 1e6);
}

/// What a measured child process reported.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Measured {
    /// Wall time of the work, seconds.
    pub(crate) wall: f64,
    /// CPU time of the whole process, seconds: all its threads and the child processes it
    /// waited for (pdflatex).
    pub(crate) cpu: f64,
    /// Peak resident memory of the process, KiB (VmHWM).
    pub(crate) peak_kib: u64,
}

/// `/proc/self/status`' VmHWM: peak resident memory of this process in KiB (Linux).
pub(crate) fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU seconds of this process and of the children it waited for (`/proc/self/stat` fields
/// utime, stime, cutime and cstime).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux /proc");
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("stat format") + 2..]
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11..15]
        .iter()
        .map(|f| f.parse::<f64>().expect("clock ticks"))
        .sum();
    let per_second = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(100.0);
    ticks / per_second
}

/// In a child process: does `work` and prints "<wall> <cpu> <peak KiB>" for [`measure_child`].
pub(crate) fn report_child(work: impl FnOnce()) {
    let start = Instant::now();
    let cpu_before = cpu_seconds();
    work();
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    println!("{wall} {cpu} {}", peak_rss_kib());
}

/// Runs this bench executable again with `envs` set (so that it calls [`report_child`]) and
/// returns what it reported: each measurement in a fresh process, so its peak memory is its own.
pub(crate) fn measure_child(envs: &[(&str, String)]) -> Measured {
    let exe = std::env::current_exe().expect("bench executable");
    let out = std::process::Command::new(exe)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("child runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<f64> = text
        .split_whitespace()
        .map(|f| f.parse().expect("a number"))
        .collect();
    let [wall, cpu, peak] = fields[..] else {
        panic!("child printed {text:?}");
    };
    Measured {
        wall,
        cpu,
        peak_kib: peak as u64,
    }
}

/// The median of `values` (the upper one of the middle two for an even count).
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs nnexam's command line `args` in this process, its stdout thrown away.
pub(crate) fn run_nnexam(args: &[String]) {
    use clap::Parser;
    let cli = nnexam::cli::Cli::parse_from(
        std::iter::once("nnexam".to_string()).chain(args.iter().cloned()),
    );
    nnexam::run(
        cli,
        &mut std::io::sink(),
        &nnexam::workflow::Interrupt::default(),
    )
    .expect("the command runs");
}
