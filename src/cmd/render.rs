//! `nnexam render FILE`: question sheet and worked solution of a hand-written exercise file.

use std::io::Write;

use super::{
    check_knob_counts, engine, render_options, sheet_flags, unprintable_warnings, with_choices,
    write_stdout, write_warnings,
};
use crate::cli::RenderCommandArgs;
use crate::error::Result;
use crate::render::{self, Format, Identity, RenderOptions};
use crate::spec::difficulty::Difficulty;
use crate::{solve, spec};

/// Renders `args.file` as the flags say.
pub(super) fn execute(args: &RenderCommandArgs, out: &mut dyn Write) -> Result<()> {
    // Check the flags and templates before the file, so a typo is reported first.
    // The file's name, not where it lies on this machine: the sheet is read elsewhere.
    let name = args.file.file_name().map_or_else(
        || args.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let identity = Identity {
        command: Some(format!(
            "nnexam render {} {}",
            crate::generate::shell_quote(&name),
            sheet_flags(&args.render)
        )),
        file: Some(name),
        ..Identity::default()
    };
    // LaTeX sheets warn about letters their fonts cannot print.
    let (tera, decimal_mark) = engine(
        args.render.templates.as_deref(),
        &args.render.lang,
        args.render.latex_engine,
        &[args.format.entry_template(), render::entry::UNPRINTABLE],
    )?;
    let options = RenderOptions {
        part: args.sheet.part,
        fragment: args.sheet.fragment,
        decimal_mark,
        ..render_options(&args.render, args.format, &Difficulty::default(), identity)?
    };
    let problem = spec::load(&args.file)?;
    let file = args.file.display().to_string();
    let warnings = match args.format {
        Format::Latex => unprintable_warnings(
            &tera,
            args.render.latex_engine,
            [("file", file.as_str(), "")],
        )?,
        Format::Markdown => String::new(),
    };
    check_knob_counts(&args.render, &Difficulty::default(), &[problem.shapes()])?;
    let solution = solve::solve(&problem)?;
    // A hand-written exercise has no seed: its file name draws the options' order.
    let options = with_choices(options, &solution, &file)?;
    let text = render::render_exercise(&solution, &options, &tera)?;
    write_warnings(&warnings)?;
    write_stdout(out, &text)
}
