//! `nnexam batch --roster CSV --course-seed S --out DIR`: per-student homework for a class.

use std::io::Write;

use serde::Serialize;

use super::{
    destination, engine, folder_templates, load_config, progress, sheet_plan, unprintable_warnings,
    write_stdout, write_warnings,
};
use crate::cli::BatchArgs;
use crate::error::Result;
use crate::export::roster;
use crate::generate::seed::check_seed_text;
use crate::render::{self, Format};
use crate::workflow::{self, BatchJob, Destination, Interrupt, Summary};

/// Reads the roster and writes the class's folder.
pub(super) fn execute(args: &BatchArgs, out: &mut dyn Write, interrupt: &Interrupt) -> Result<()> {
    let loaded = load_config(&args.run.config)?;
    let mut plan = sheet_plan(&loaded, &args.run.folder, &args.run.render)?;
    let config = loaded.0;
    let render = &args.run.render;
    let (tera, decimal_mark) = engine(
        render.templates.as_deref(),
        &render.lang,
        render.latex_engine,
        &folder_templates(&plan, &args.run.folder),
    )?;
    plan.options.decimal_mark = decimal_mark;
    check_seed_text(&args.course_seed)?;
    let bytes = crate::limits::read_file(&args.roster)?;
    let students = roster::parse(&bytes, &args.roster.display().to_string())?;
    let warnings = if plan.formats.contains(&Format::Latex) {
        unprintable_warnings(
            &tera,
            render.latex_engine,
            std::iter::once(("seed", args.course_seed.as_str(), "")).chain(
                students
                    .iter()
                    .map(|s| ("student", s.id.as_str(), s.name.as_str())),
            ),
        )?
    } else {
        String::new()
    };
    let job = BatchJob {
        config: &config,
        course_seed: &args.course_seed,
        students: &students,
        plan: &plan,
        tera: &tera,
    };
    let folder = &args.run.folder;
    let dest = destination(folder, render.latex_engine);
    let summary = workflow::write_batch(&job, &dest, &*progress(folder.quiet), interrupt)?;
    write_warnings(&warnings)?;
    write_stdout(out, &run_summary(&tera, "batch", &summary, &dest)?)
}

/// The closing line of `batch` and `exam` (`command`), naming the folder written.
pub(super) fn run_summary(
    tera: &tera::Tera,
    command: &str,
    summary: &Summary,
    dest: &Destination,
) -> Result<String> {
    #[derive(Serialize)]
    struct Context<'a> {
        command: &'a str,
        summary: &'a Summary,
        dir: String,
    }
    let context = Context {
        command,
        summary,
        dir: dest.dir.display().to_string(),
    };
    render::render(tera, render::entry::RUN_SUMMARY, &context)
}
