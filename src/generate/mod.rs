//! Seeded sampling of "nice" exercises: the same seed text and config give the same
//! [`Problem`] on every machine and in every later version of nnexam.
//!
//! How a seed becomes an exercise, fixed forever (the golden tests pin it):
//! 1. [`seed::rng_from_seed_text`]: SHA-256 of the seed text's UTF-8 bytes keys a ChaCha8 stream.
//! 2. Each attempt draws, in this order, with the samplers of [`sampler`] (on raw `next_u32`
//!    words, never rand's distributions): the `[architecture]` knobs in the order
//!    input_size, filter_size, stride, padding, activation, pool_kind, pool_size, pool_stride,
//!    loss, y, lr, channels, filters, output, classes (only for a softmax output, whose loss is
//!    then ce whatever `loss` drew), batch, then the label y of every further sample (a knob
//!    with one option draws nothing); then X (sample by sample, channel by channel), F1 (filter
//!    by filter, channel by channel), B1, W2 (row by row), B2. Each matrix of X and F1 is drawn
//!    on its own: a value table with `zero_percent` first picks the zero positions (the first
//!    steps of a Fisher-Yates shuffle of the row-major positions), then draws each other entry,
//!    row-major, from its non-zero values; without it, each entry is drawn from the whole range
//!    (B1, W2 and B2 are drawn as one list each). A value is a whole number k of steps, written
//!    k / n (step = 1/n), never a float sample.
//! 3. [`constraint::first_violation`] checks every rule; the first draw that passes them all is
//!    the exercise. After `sampling.max_attempts` failures the error names the rule that
//!    rejected most draws and how to relax it.
//!
//! Pure: no clock, no global state, and no I/O except [`config::load`], the one file read.

pub mod choice;
pub mod config;
pub mod constraint;
pub mod sampler;
pub mod seed;

use std::collections::BTreeMap;
use std::path::PathBuf;

use ndarray::{Array1, Array2, Array3, Array4};
use rand_chacha::rand_core::Rng;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::spec::{Conv, Loss, Output, Pool, Problem, Sample, Shapes, Written};
pub use config::GeneratorConfig;
use config::{Grid, Grids};
use constraint::Rule;
use sampler::{below, pick, shuffle_prefix};

/// Bundled generator configs, `(name, TOML)`: `--preset NAME` picks one.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "default",
        include_str!("../../exercises/presets/default.toml"),
    ),
    ("leaky", include_str!("../../exercises/presets/leaky.toml")),
    ("wide", include_str!("../../exercises/presets/wide.toml")),
    (
        "two-filters",
        include_str!("../../exercises/presets/two-filters.toml"),
    ),
    ("rgb", include_str!("../../exercises/presets/rgb.toml")),
    (
        "softmax3",
        include_str!("../../exercises/presets/softmax3.toml"),
    ),
    (
        "batch2",
        include_str!("../../exercises/presets/batch2.toml"),
    ),
    ("mixed", include_str!("../../exercises/presets/mixed.toml")),
];

/// The bundled config called `name`; an unknown name lists the valid ones.
pub fn preset(name: &str) -> Result<GeneratorConfig> {
    let (_, text) = PRESETS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
        Error::invalid(
            "preset",
            format!("there is no preset named `{name}`"),
            format!("use one of: {}", names.join(", ")),
        )
    })?;
    GeneratorConfig::parse(text, &format!("preset {name}"))
}

/// A sampled exercise and how hard it was to find.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    /// The exercise.
    pub problem: Problem,
    /// How many draws it took.
    pub stats: Stats,
}

/// Acceptance statistics of one or more sampling runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Draws made, accepted or not.
    pub attempts: u64,
    /// Draws that passed every rule.
    pub accepted: u64,
    /// Rejected draws by the first rule each broke.
    pub rejected: BTreeMap<Rule, u64>,
}

impl Stats {
    /// accepted / attempts, 0 before any attempt.
    pub fn acceptance_rate(&self) -> f64 {
        if self.attempts == 0 {
            0.0
        } else {
            self.accepted as f64 / self.attempts as f64
        }
    }

    /// Adds another run's counts to these.
    pub fn merge(&mut self, other: &Stats) {
        self.attempts += other.attempts;
        self.accepted += other.accepted;
        for (rule, n) in &other.rejected {
            *self.rejected.entry(*rule).or_insert(0) += n;
        }
    }

    /// The rule that rejected most draws (the earlier rule on a tie).
    pub fn top_rejection(&self) -> Option<(Rule, u64)> {
        self.rejected
            .iter()
            .map(|(r, n)| (*r, *n))
            .fold(None, |best, (r, n)| match best {
                Some((_, m)) if m >= n => best,
                _ => Some((r, n)),
            })
    }

    /// The statistics as data for the `text/generate-stats.txt` template.
    pub fn summary(&self, config: &GeneratorConfig) -> StatsSummary {
        StatsSummary {
            attempts: self.attempts,
            accepted: self.accepted,
            acceptance_percent: 100.0 * self.acceptance_rate(),
            rejected: Rule::ALL
                .iter()
                .scan(self.attempts, |reaching, rule| {
                    // Rules are checked in order: a draw reaches a rule when it passed the ones
                    // before it.
                    let reached = *reaching;
                    let count = self.rejected.get(rule).copied().unwrap_or(0);
                    *reaching -= count;
                    Some(RuleCount {
                        rule: rule.name(),
                        requirement: rule.requirement(&config.rules),
                        count,
                        reached,
                        pass_percent: match reached {
                            0 => 100.0,
                            _ => 100.0 * (reached - count) as f64 / reached as f64,
                        },
                    })
                })
                .collect(),
        }
    }
}

/// [`Stats`] laid out for a template: every rule in checking order with its count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsSummary {
    /// Draws made.
    pub attempts: u64,
    /// Draws accepted.
    pub accepted: u64,
    /// accepted / attempts, in percent.
    pub acceptance_percent: f64,
    /// Every rule in checking order with its rejections.
    pub rejected: Vec<RuleCount>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
/// One rule's rejections, for the statistics template.
pub struct RuleCount {
    /// The rule's name.
    pub rule: &'static str,
    /// What it demands, with the configured numbers.
    pub requirement: String,
    /// Draws it rejected first.
    pub count: u64,
    /// Draws that passed every rule before it.
    pub reached: u64,
    /// Share of the draws reaching it that it accepts, in percent.
    pub pass_percent: f64,
}

/// Samples the exercise of `seed_text` under `config`: the first draw that passes every rule.
/// Fails with [`Error::Invalid`] for a bad config or seed, and with [`Error::Unsatisfiable`]
/// naming the most rejecting rule when `sampling.max_attempts` draws all fail.
pub fn sample_problem(config: &GeneratorConfig, seed_text: &str) -> Result<Generated> {
    seed::check_seed_text(seed_text)?;
    let grids = config.grids()?;
    let mut rng = seed::rng_from_seed_text(seed_text);
    let mut stats = Stats::default();
    while stats.attempts < config.sampling.max_attempts {
        stats.attempts += 1;
        let problem = draw_problem(&mut rng, config, &grids);
        match constraint::first_violation(&problem, &config.rules) {
            None => {
                stats.accepted = 1;
                return Ok(Generated { problem, stats });
            }
            Some(rule) => *stats.rejected.entry(rule).or_insert(0) += 1,
        }
    }
    Err(unsatisfiable(config, seed_text, &stats))
}

fn unsatisfiable(config: &GeneratorConfig, seed_text: &str, stats: &Stats) -> Error {
    let counts: Vec<String> = stats
        .rejected
        .iter()
        .map(|(rule, n)| format!("{rule} {n}"))
        .collect();
    let message = match stats.top_rejection() {
        Some((rule, n)) => format!(
            "no exercise satisfied the generator config in {} attempts (seed text {seed_text:?}); \
             the rule `{rule}` ({}) rejected most of them ({n} of {}); to relax it: {}. \
             Rejections by rule: {}",
            stats.attempts,
            rule.requirement(&config.rules),
            stats.attempts,
            rule.relax(),
            counts.join(", ")
        ),
        None => "no attempt was made: raise sampling.max_attempts".to_string(),
    };
    Error::Unsatisfiable { message }
}

/// One candidate exercise, drawn in the documented order. `config` must be validated (its
/// `grids` come from it), so every combination of architecture options has valid shapes.
fn draw_problem<R: Rng>(rng: &mut R, config: &GeneratorConfig, grids: &Grids) -> Problem {
    let a = &config.architecture;
    let n = *pick(rng, a.input_size.options());
    let k = *pick(rng, a.filter_size.options());
    let conv = Conv {
        stride: *pick(rng, a.stride.options()),
        padding: *pick(rng, a.padding.options()),
    };
    let activation = *pick(rng, a.activation.options());
    let pool = Pool {
        kind: *pick(rng, a.pool_kind.options()),
        size: *pick(rng, a.pool_size.options()),
        stride: *pick(rng, a.pool_stride.options()),
    };
    let loss = *pick(rng, a.loss.options());
    let y = *pick(rng, a.y.options());
    let lr = *pick(rng, a.lr.options());
    let c_in = *pick(rng, a.channels.options());
    let c_out = *pick(rng, a.filters.options());
    let output = *pick(rng, a.output.options());
    let (classes, loss) = match output {
        Output::Sigmoid => (1, loss),
        Output::Softmax => (*pick(rng, a.classes.options()), Loss::Ce),
    };
    let batch = *pick(rng, a.batch.options());
    let labels: Vec<usize> = std::iter::once(y)
        .chain((1..batch).map(|_| *pick(rng, a.y.options())))
        .collect();
    let shapes = Shapes::derive((n, n), (k, k), conv, pool)
        .expect("invariant: config validation checked every architecture combination")
        .stacked(c_in, c_out, classes, batch);
    let samples = labels
        .into_iter()
        .map(|y| {
            let channels: Vec<f64> = (0..c_in)
                .flat_map(|_| draw_values(rng, &grids.x, n * n))
                .collect();
            Sample {
                x: Array3::from_shape_vec((c_in, n, n), channels)
                    .expect("invariant: c_in * n * n values drawn"),
                y,
            }
        })
        .collect();
    let f1: Vec<f64> = (0..c_out * c_in)
        .flat_map(|_| draw_values(rng, &grids.f1, k * k))
        .collect();
    let b1 = draw_values(rng, &grids.b1, c_out);
    let w2 = draw_values(rng, &grids.w2, classes * shapes.s);
    let b2 = draw_values(rng, &grids.b2, classes);
    Problem {
        samples,
        f1: Array4::from_shape_vec((c_out, c_in, k, k), f1)
            .expect("invariant: c_out * c_in * k * k values drawn"),
        b1: Array1::from_vec(b1),
        w2: Array2::from_shape_vec((classes, shapes.s), w2)
            .expect("invariant: classes * s values drawn"),
        b2: Array1::from_vec(b2),
        lr,
        activation,
        output,
        loss,
        conv,
        pool,
        written: Written::plainest(c_in, c_out, batch),
    }
}

/// `count` values of `grid`, row-major. With a zero share, exactly round(count * p / 100)
/// entries (half up) are 0 at uniformly chosen positions and the rest are non-zero.
fn draw_values<R: Rng>(rng: &mut R, grid: &Grid, count: usize) -> Vec<f64> {
    let Some(percent) = grid.zero_percent else {
        return (0..count)
            .map(|_| grid.value(grid.lo + i64::from(below(rng, grid.count()))))
            .collect();
    };
    let zeros = (count * percent as usize + 50) / 100;
    let mut positions: Vec<usize> = (0..count).collect();
    shuffle_prefix(rng, &mut positions, zeros);
    let mut is_zero = vec![false; count];
    for &p in &positions[..zeros] {
        is_zero[p] = true;
    }
    is_zero
        .iter()
        .map(|&zero| {
            if zero {
                return 0.0;
            }
            let mut k = grid.lo + i64::from(below(rng, grid.nonzero_count()));
            if grid.has_zero() && k >= 0 {
                k += 1; // skip 0: the non-zero values are lo..=-1 then 1..=hi
            }
            grid.value(k)
        })
        .collect()
}

/// Where a generator config came from, for the "regenerate with" line of an exercise file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// The built-in default (no flag).
    Default,
    /// `--preset NAME`.
    Preset(String),
    /// `--config FILE`, with the fingerprint of its text ([`config::fingerprint`]), so that a
    /// TA can tell whether they hold the same file.
    File {
        /// The path as given.
        path: PathBuf,
        /// Short SHA-256 of the file's bytes.
        fingerprint: String,
    },
}

impl ConfigSource {
    /// The config file's fingerprint, when the config is a file.
    pub fn fingerprint(&self) -> Option<String> {
        match self {
            ConfigSource::File { fingerprint, .. } => Some(fingerprint.clone()),
            _ => None,
        }
    }
}

/// The command line that regenerates an exercise, quoted for a POSIX shell and safe to put in a
/// TOML comment (control characters in a file name become `?`).
pub fn regenerate_command(seed_text: &str, source: &ConfigSource) -> String {
    let mut command = format!("nnexam generate --seed {}", shell_quote(seed_text));
    match source {
        ConfigSource::Default => {}
        ConfigSource::Preset(name) => {
            command.push_str(" --preset ");
            command.push_str(&shell_quote(name));
        }
        ConfigSource::File { path, .. } => {
            command.push_str(" --config ");
            command.push_str(&shell_quote(&path.display().to_string()));
        }
    }
    command
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// `text` as one POSIX shell word: bare when it is plainly safe, else in single quotes.
pub fn shell_quote(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:,+=@%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_preset_is_the_built_in_default() {
        assert_eq!(preset("default").unwrap(), GeneratorConfig::default());
    }

    #[test]
    fn every_preset_parses_and_samples() {
        for (name, _) in PRESETS {
            let config = preset(name).unwrap();
            assert!(sample_problem(&config, "7").is_ok(), "{name}");
        }
    }

    #[test]
    fn unknown_preset_lists_the_valid_names() {
        let msg = preset("tiny").unwrap_err().to_string();
        assert!(
            msg.contains("tiny")
                && msg.contains("default, leaky, wide, two-filters, rgb, softmax3, batch2, mixed"),
            "{msg}"
        );
    }

    #[test]
    fn same_seed_same_problem() {
        let config = GeneratorConfig::default();
        let a = sample_problem(&config, "ML2026/exam1/A").unwrap();
        let b = sample_problem(&config, "ML2026/exam1/A").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn zero_share_is_exact_and_the_rest_is_non_zero() {
        let grid = Grid::new("x", &config::Values::default_x()).unwrap();
        let mut rng = seed::rng_from_seed_text("zeros");
        let values = draw_values(&mut rng, &grid, 25);
        // 25 * 50% = 12.5, rounded half up.
        assert_eq!(values.iter().filter(|&&v| v == 0.0).count(), 13);
        assert!(values.iter().all(|&v| grid.contains(v)));
    }

    #[test]
    fn unsatisfiable_config_names_the_top_rule_and_the_fix() {
        let mut config = GeneratorConfig::default();
        config.f1.min = 0.0; // F1 can have no negative entry
        config.sampling.max_attempts = 50;
        let err = sample_problem(&config, "7").unwrap_err();
        assert!(matches!(err, Error::Unsatisfiable { .. }));
        let msg = err.to_string();
        assert!(
            msg.contains("`f1_signs`") && msg.contains("50 of 50"),
            "{msg}"
        );
        assert!(msg.contains("rules.f1_min_negative"), "{msg}");
    }

    #[test]
    fn top_rejection_prefers_the_larger_count_then_the_earlier_rule() {
        let mut stats = Stats::default();
        stats.rejected.insert(Rule::Z1Signs, 3);
        stats.rejected.insert(Rule::Z2Bound, 5);
        stats.rejected.insert(Rule::OutputError, 5);
        assert_eq!(stats.top_rejection(), Some((Rule::Z2Bound, 5)));
    }

    #[test]
    fn merged_stats_add_up() {
        let config = GeneratorConfig::default();
        let mut total = Stats::default();
        let a = sample_problem(&config, "1").unwrap().stats;
        let b = sample_problem(&config, "2").unwrap().stats;
        total.merge(&a);
        total.merge(&b);
        assert_eq!(total.attempts, a.attempts + b.attempts);
        assert_eq!(total.accepted, 2);
        let rejected: u64 = total.rejected.values().sum();
        assert_eq!(rejected + 2, total.attempts);
    }

    #[test]
    fn regenerate_command_quotes_for_the_shell() {
        assert_eq!(
            regenerate_command("7", &ConfigSource::Default),
            "nnexam generate --seed 7"
        );
        assert_eq!(
            regenerate_command("it's A", &ConfigSource::Preset("wide".into())),
            r"nnexam generate --seed 'it'\''s A' --preset wide"
        );
        assert_eq!(
            regenerate_command(
                "ML2026/exam1/A",
                &ConfigSource::File {
                    path: "my\nconf.toml".into(),
                    fingerprint: "0123abcd".into()
                }
            ),
            "nnexam generate --seed ML2026/exam1/A --config 'my?conf.toml'"
        );
    }
}
