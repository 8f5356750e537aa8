//! `nnexam render FILE`: question sheet and worked solution of a hand-written exercise file.

use std::io::Write;

use super::{engine, render_options, write_stdout};
use crate::cli::RenderCommandArgs;
use crate::error::Result;
use crate::render::{self, Identity, RenderOptions};
use crate::spec::difficulty::Difficulty;
use crate::{solve, spec};

/// Renders `args.file` as the flags say.
pub(super) fn execute(args: &RenderCommandArgs, out: &mut dyn Write) -> Result<()> {
    // Check the flags and templates before the file, so a typo is reported first.
    let identity = Identity {
        file: Some(args.file.display().to_string()),
        ..Identity::default()
    };
    let options = RenderOptions {
        part: args.sheet.part,
        fragment: args.sheet.fragment,
        ..render_options(&args.render, args.format, &Difficulty::default(), identity)?
    };
    let tera = engine(
        args.render.templates.as_deref(),
        &[args.format.entry_template()],
    )?;
    let problem = spec::load(&args.file)?;
    let solution = solve::solve(&problem)?;
    let text = render::render_exercise(&solution, &options, &tera)?;
    write_stdout(out, &text)
}
