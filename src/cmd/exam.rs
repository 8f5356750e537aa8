//! `nnexam exam --variants A,B,C --seed S --out DIR`: exam variants, their solutions and key.

use std::io::Write;

use super::batch::run_summary;
use super::{
    destination, engine, folder_templates, load_config, progress, sheet_plan, unprintable_warnings,
    write_stdout, write_warnings,
};
use crate::cli::ExamArgs;
use crate::error::{Error, Result};
use crate::generate::seed::check_seed_text;
use crate::render::Format;
use crate::workflow::{self, ExamJob, Interrupt};

/// Writes the exam folder of `args.variants`.
pub(super) fn execute(args: &ExamArgs, out: &mut dyn Write, interrupt: &Interrupt) -> Result<()> {
    let loaded = load_config(&args.run.config)?;
    let mut plan = sheet_plan(&loaded, &args.run.folder, &args.run.render)?;
    let config = loaded.0;
    let render = &args.run.render;
    let mut templates = folder_templates(&plan, &args.run.folder);
    templates.extend(plan.formats.iter().map(|f| f.solutions_template()));
    let (tera, decimal_mark) = engine(
        render.templates.as_deref(),
        &render.lang,
        render.latex_engine,
        &templates,
    )?;
    plan.options.decimal_mark = decimal_mark;
    check_seed_text(&args.seed)?;
    check_variant_labels(&args.variants)?;
    let warnings = if plan.formats.contains(&Format::Latex) {
        unprintable_warnings(
            &tera,
            render.latex_engine,
            std::iter::once(("seed", args.seed.as_str(), ""))
                .chain(args.variants.iter().map(|l| ("variant", l.as_str(), ""))),
        )?
    } else {
        String::new()
    };
    let job = ExamJob {
        config: &config,
        seed: &args.seed,
        variants: &args.variants,
        plan: &plan,
        tera: &tera,
    };
    let folder = &args.run.folder;
    let dest = destination(folder, render.latex_engine);
    let summary = workflow::write_exam(&job, &dest, &*progress(folder.quiet), interrupt)?;
    write_warnings(&warnings)?;
    write_stdout(out, &run_summary(&tera, "exam", &summary, &dest)?)
}

/// Labels become seed texts and file names: non-empty, printable and distinct.
fn check_variant_labels(labels: &[String]) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for label in labels {
        if label.trim().is_empty() || label.chars().any(char::is_control) {
            return Err(Error::invalid(
                "--variants",
                format!("{label:?} is not a usable label"),
                "give printable labels such as --variants A,B,C",
            ));
        }
        if !seen.insert(label) {
            return Err(Error::invalid(
                "--variants",
                format!("`{label}` is listed twice"),
                "give each variant its own label",
            ));
        }
    }
    Ok(())
}
