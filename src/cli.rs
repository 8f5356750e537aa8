//! The command line: clap definitions (their doc comments are the `--help` text) and [`run`],
//! which dispatches a parsed command. `run` is the one place in the library that reads files and
//! writes output; everything it calls takes values and returns values.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};
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
}

/// Output formats of `solve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SolveFormat {
    /// Every intermediate matrix and number, labelled, rounded to 4 decimals.
    Text,
    /// `{problem, forward, backward, update}` at full float precision.
    Json,
}

/// Runs one parsed command, writing its result to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<()> {
    match cli.command {
        Command::Solve { file, format } => solve_command(&file, format, out),
    }
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
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io {
            action: "write to",
            path: PathBuf::from("<stdout>"),
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
