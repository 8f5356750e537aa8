//! `nnexam grade --key KEY --responses CSV --out DIR` (and `--template`): a class's responses
//! graded against its key.

use std::io::Write;
use std::path::Path;

use super::batch::run_summary;
use super::{engine, progress, write_stdout};
use crate::cli::GradeArgs;
use crate::error::{Error, Result};
use crate::export::key::KeyRow;
use crate::grade::{responses, Credit};
use crate::render::entry;
use crate::workflow::{self, Destination, GradeJob, Interrupt};

/// Reads the key (and the responses) and writes the template or the graded folder.
pub(super) fn execute(args: &GradeArgs, out: &mut dyn Write, interrupt: &Interrupt) -> Result<()> {
    let mut entries = vec![entry::RUN_SUMMARY];
    entries.extend(entry::GRADE_FEEDBACK);
    entries.extend(entry::GRADE_REPORT);
    let (tera, decimal_mark) = engine(
        args.templates.as_deref(),
        &args.lang,
        args.latex_engine,
        &entries,
    )?;
    let key = read_key(&args.key)?;
    let (Some(responses_path), Some(dir)) = (&args.responses, &args.out) else {
        return write_stdout(out, &crate::grade::responses::template(&key)?);
    };
    let bytes = crate::limits::read_file(responses_path)?;
    let responses = responses::parse(&bytes, &responses_path.display().to_string(), &key)?;
    let job = GradeJob {
        key: &key,
        responses: &responses,
        credit: Credit {
            carried: args.ecf_credit,
            misconception: args.misconception_credit,
        },
        reveal: args.reveal,
        decimal_mark,
        tera: &tera,
    };
    let dest = Destination {
        dir: dir.clone(),
        force: args.force,
        pdf: false,
        latex: args.latex_engine,
    };
    let summary = workflow::write_grades(&job, &dest, &*progress(args.quiet), interrupt)?;
    write_stdout(out, &run_summary(&tera, "grade", &summary, &dest)?)
}

/// The rows of a key.json, each exercise validated.
fn read_key(path: &Path) -> Result<Vec<KeyRow>> {
    let origin = path.display().to_string();
    let bytes = crate::limits::read_file(path)?;
    let rows: Vec<KeyRow> =
        serde_json::from_slice(&bytes).map_err(|e| Error::syntax(&origin, e))?;
    if rows.is_empty() {
        return Err(Error::invalid(
            origin,
            "the key lists nobody",
            "use the key.json that `nnexam batch` or `nnexam exam` wrote",
        ));
    }
    Ok(rows)
}
