//! `nnexam solve FILE`: the full solution of an exercise file, as text or as the JSON contract.

use std::io::Write;

use super::{engine, write_stdout};
use crate::cli::{SolveArgs, SolveFormat};
use crate::error::Result;
use crate::solve::shown;
use crate::{render, solve, spec};

/// Solves `args.file` and prints the solution.
pub(super) fn execute(args: &SolveArgs, out: &mut dyn Write) -> Result<()> {
    let tera = engine(args.templates.as_deref())?;
    let problem = spec::load(&args.file)?;
    let solution = solve::solve(&problem)?;
    let text = match args.format {
        SolveFormat::Text => render::render(&tera, "text/solution.txt", &solution)?,
        SolveFormat::Json => {
            let shown = shown::shown(&solution, usize::from(args.decimals), args.rounding)?;
            shown::contract_json(&solution, &shown)
        }
    };
    write_stdout(out, &text)
}
