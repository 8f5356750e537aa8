//! Benchmark of `generate::sample_problem`: time per accepted exercise (median, 90th
//! percentile and mean over many seeds) and the acceptance rate, for every bundled preset and
//! for any generator config files given as arguments:
//! `cargo bench --bench generate [-- more.toml ...]`. Each call samples one exercise, so the time
//! of a call is the time per accepted exercise, rejected draws included.

use std::hint::black_box;
use std::time::{Duration, Instant};

use nnexam::generate::{self, GeneratorConfig, Stats};

const WARM_UP: usize = 200;
const SEEDS: usize = 5_000;

fn main() {
    let mut configs: Vec<(String, GeneratorConfig)> = generate::PRESETS
        .iter()
        .map(|(name, _)| {
            let config = generate::preset(name).expect("bundled presets are valid");
            (format!("preset {name}"), config)
        })
        .collect();
    // cargo passes `--bench`; every other argument is a config file.
    for path in std::env::args().skip(1).filter(|a| !a.starts_with("--")) {
        match generate::config::load(path.as_ref()) {
            Ok(config) => configs.push((path, config)),
            Err(e) => eprintln!("skipping {path}: {e}"),
        }
    }
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>12} {:>10}",
        "config", "median us", "p90 us", "mean us", "acceptance", "attempts"
    );
    for (name, config) in &configs {
        for i in 0..WARM_UP {
            let _ = black_box(generate::sample_problem(config, &format!("warm-up-{i}")));
        }
        let mut times = Vec::with_capacity(SEEDS);
        let mut stats = Stats::default();
        for i in 0..SEEDS {
            let seed = format!("bench-{i}");
            let start = Instant::now();
            let generated = black_box(generate::sample_problem(config, black_box(&seed)));
            times.push(start.elapsed());
            match generated {
                Ok(g) => stats.merge(&g.stats),
                Err(e) => {
                    eprintln!("{name}: seed {seed}: {e}");
                    break;
                }
            }
        }
        times.sort_unstable();
        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        let total: Duration = times.iter().sum();
        println!(
            "{:<28} {:>10.1} {:>10.1} {:>10.1} {:>11.2}% {:>10}",
            name,
            micros(times[times.len() / 2]),
            micros(times[times.len() * 9 / 10]),
            micros(total) / stats.accepted.max(1) as f64,
            100.0 * stats.acceptance_rate(),
            stats.attempts
        );
        let shares: Vec<String> = stats
            .rejected
            .iter()
            .map(|(rule, n)| format!("{rule} {:.1}%", 100.0 * *n as f64 / stats.attempts as f64))
            .collect();
        println!("    rejected: {}", shares.join(", "));
    }
}
