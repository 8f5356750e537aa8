//! The command line: clap definitions (their doc comments are the `--help` text) and [`run`],
//! which dispatches a parsed command. `run` is the one place in the library that reads files and
//! writes output; everything it calls takes values and returns values.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};
use crate::generate::{self, ConfigSource, GeneratorConfig};
use crate::{render, solve, spec};

/// Generate, solve and render "CNN forward and backward pass by hand" exam exercises.
///
/// Start with `nnexam solve exercises/task-3-1.toml` to see the full solution of the bundled
/// exercise (Task 3.1: 5x5 input, 2x2 filter, ReLU, 2x2 max pool, sigmoid output, BCE loss).
#[derive(Debug, Parser)]
#[command(name = "nnexam", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Solve an exercise file exactly: forward pass, loss, all gradients, the convolution
    /// matrix and the SGD update.
    ///
    /// The file is TOML (or JSON when it ends in .json) with the keys x, f1, b1, w2, b2, y, lr and
    /// optionally activation (relu|leaky_relu|sigmoid|tanh), loss (bce|mse), [conv] stride,
    /// padding and [pool] kind (max|avg), size, stride. See exercises/task-3-1.toml.
    Solve {
        /// Exercise file (.toml or .json).
        file: PathBuf,
        /// Output format: a readable summary, or the full-precision JSON contract.
        #[arg(long, value_enum, default_value_t = SolveFormat::Text)]
        format: SolveFormat,
    },
    /// Sample a fresh exercise with numbers a student can work by hand, from a seed: the same
    /// seed and config give the same exercise on any machine, in any later version.
    ///
    /// The default config reproduces Task 3.1's shape and style (5x5 input, 2x2 filter, ReLU,
    /// 2x2 max pool, 4 weights, BCE, y = 1, lr = 0.5); exercises/presets/default.toml shows and
    /// explains every key of a generator config.
    Generate(GenerateArgs),
}

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Seed text, e.g. 7 or "ML2026/exam1/A". Every seed is text: the SHA-256 of its UTF-8
    /// bytes keys a ChaCha8 stream, so 7 and 07 are different seeds.
    #[arg(long, allow_hyphen_values = true)]
    pub seed: String,
    /// Generator config file (TOML); see exercises/presets/default.toml.
    #[arg(long, conflicts_with = "preset")]
    pub config: Option<PathBuf>,
    /// Bundled generator config.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(
        generate::PRESETS.iter().map(|(name, _)| *name)
    ))]
    pub preset: Option<String>,
    /// Output format: an exercise file for `nnexam solve`, its solution as text, or the
    /// `solve --format json` contract.
    #[arg(long, value_enum, default_value_t = GenerateFormat::Toml)]
    pub format: GenerateFormat,
    /// Print acceptance statistics (attempts, rejections by rule) to stderr.
    #[arg(long)]
    pub stats: bool,
}

/// Output formats of `solve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SolveFormat {
    /// Every intermediate matrix and number, labelled, rounded to 4 decimals.
    Text,
    /// `{problem, forward, backward, update}` at full float precision.
    Json,
}

/// Output formats of `generate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GenerateFormat {
    /// The exercise file, with a comment saying how to regenerate it.
    Toml,
    /// The exercise's full solution, as `solve` prints it.
    Text,
    /// `{problem, forward, backward, update}` at full float precision, as `solve --format json`.
    Json,
}

/// Runs one parsed command, writing its result to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<()> {
    match cli.command {
        Command::Solve { file, format } => solve_command(&file, format, out),
        Command::Generate(args) => generate_command(args, out),
    }
}

fn generate_command(args: GenerateArgs, out: &mut dyn Write) -> Result<()> {
    let (config, source) = match (args.config, args.preset) {
        (Some(path), _) => (generate::config::load(&path)?, ConfigSource::File(path)),
        (None, Some(name)) => (generate::preset(&name)?, ConfigSource::Preset(name)),
        (None, None) => (GeneratorConfig::default(), ConfigSource::Default),
    };
    let generated = generate::sample_problem(&config, &args.seed)?;
    if args.stats {
        let text = render::generate_stats(&generated.stats.summary(&config))?;
        write_to(&mut std::io::stderr(), "<stderr>", &text)?;
    }
    let text = match args.format {
        GenerateFormat::Toml => render::exercise_toml(
            &generated.problem,
            &args.seed,
            &generate::regenerate_command(&args.seed, &source),
        )?,
        GenerateFormat::Text => render::solution_text(&solve::solve(&generated.problem))?,
        GenerateFormat::Json => to_json(&solve::solve(&generated.problem)),
    };
    write_stdout(out, &text)
}

fn solve_command(file: &Path, format: SolveFormat, out: &mut dyn Write) -> Result<()> {
    let problem = spec::load(file)?;
    let solution = solve::solve(&problem);
    let text = match format {
        SolveFormat::Text => render::solution_text(&solution)?,
        SolveFormat::Json => to_json(&solution),
    };
    write_stdout(out, &text)
}

/// Pretty JSON with a trailing newline, as every JSON output of nnexam.
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    let mut text =
        serde_json::to_string_pretty(value).expect("invariant: our types serialise to JSON");
    text.push('\n');
    text
}

/// Writes all of `text` to standard output (or the test's buffer).
fn write_stdout(out: &mut dyn Write, text: &str) -> Result<()> {
    write_to(out, "<stdout>", text)
}

/// Writes all of `text` to `out`, naming it `name` in the error.
fn write_to(out: &mut dyn Write, name: &str, text: &str) -> Result<()> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io {
            action: "write to",
            path: PathBuf::from(name),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
