//! `nnexam solve FILE`: the full solution of an exercise file, as text or as the JSON contract.

use std::io::Write;

use super::{engine, write_stdout};
use crate::cli::{SolveArgs, SolveFormat};
use crate::error::Result;
use crate::render::{self, entry};
use crate::solve::shown;
use crate::{solve, spec};

/// Solves `args.file` and prints the solution.
pub(super) fn execute(args: &SolveArgs, out: &mut dyn Write) -> Result<()> {
    let entries: &[&str] = match args.format {
        SolveFormat::Text => &[entry::SOLUTION_TEXT],
        SolveFormat::Json => &[],
    };
    // The summary is for checking numbers, in English with the decimal point.
    let (tera, _) = engine(
        args.templates.as_deref(),
        "en",
        crate::render::LatexEngine::default(),
        entries,
    )?;
    let problem = spec::load(&args.file)?;
    let solution = solve::solve(&problem)?;
    let text = match args.format {
        SolveFormat::Text => render::render(&tera, entry::SOLUTION_TEXT, &solution)?,
        SolveFormat::Json => {
            let shown = shown::shown(&solution, usize::from(args.decimals), args.rounding)?;
            shown::contract_json(&solution, &shown)
        }
    };
    write_stdout(out, &text)
}
