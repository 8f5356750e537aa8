//! Runs that write a whole folder of sheets (`batch`, `exam`): sampling and rendering on all
//! cores (rayon), writing through a [`staged::StagedDir`] so that a failure or a stop request
//! leaves nothing half-written, the answer keys, optional PDFs (`class_pdf`: the sheets compiled
//! together by [`pdf`] and cut apart by `pages`, plus the print files). What goes into the files is
//! decided in `export`; this module only sequences, writes and runs external programs. The
//! terminal is not its business: it reports progress through [`Progress`] and learns of Ctrl-C
//! through [`Interrupt`], both supplied by the command layer.

pub mod batch;
mod class_pdf;
pub mod exam;
pub mod grade;
mod keys;
mod pages;
pub mod pdf;
pub mod staged;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::render::Format;

pub use batch::{write_batch, BatchJob};
pub use exam::{write_exam, ExamJob};
pub use grade::{write_grades, GradeJob};

/// Where and how a folder-writing command writes.
#[derive(Clone, Debug)]
pub struct Destination {
    /// The output folder; it appears only when complete.
    pub dir: PathBuf,
    /// Replace a non-empty folder.
    pub force: bool,
    /// Also compile every LaTeX sheet to PDF, and write the print files.
    pub pdf: bool,
    /// The program that compiles the PDFs.
    pub latex: crate::render::LatexEngine,
}

/// What a finished run reports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Students or exam variants.
    pub people: usize,
    /// Files written, PDFs and keys included.
    pub files: usize,
    /// PDFs among them.
    pub pdfs: usize,
}

/// A stop request from outside the run (Ctrl-C, SIGTERM, SIGHUP): the binary's signal handler
/// stores the signal's number, and a run checks it between units of work and fails cleanly
/// with [`Error::Interrupted`], so its staging folder is removed.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicUsize>);

impl Interrupt {
    /// The flag a signal handler sets to the signal's number (0: no stop requested).
    pub fn flag(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.0)
    }

    /// `Err(Error::Interrupted)`, naming the signal, once a stop was requested.
    pub fn check(&self) -> Result<()> {
        match self.0.load(Ordering::SeqCst) {
            0 => Ok(()),
            signal => Err(Error::Interrupted {
                signal: i32::try_from(signal).unwrap_or(i32::MAX),
            }),
        }
    }
}

/// How a long run reports its progress. The command layer shows it on the terminal; tests and
/// quiet runs pass [`NoProgress`].
pub trait Progress: Sync {
    /// A stage of `len` units begins (`what` names the units, e.g. "students").
    fn begin(&self, what: &'static str, len: usize);
    /// One unit of the current stage is done.
    fn advance(&self);
    /// The current stage is over.
    fn end(&self);
}

/// Progress that shows nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&self, _: &'static str, _: usize) {}
    fn advance(&self) {}
    fn end(&self) {}
}

/// pdflatex, when PDFs are wanted and there is LaTeX to compile; asked before any work, so a
/// missing TeX does not cost a class's rendering time.
fn tex_for(dest: &Destination, formats: &[Format]) -> Result<Option<pdf::Tex>> {
    if dest.pdf && formats.contains(&Format::Latex) {
        pdf::find_tex(dest.latex).map(Some)
    } else {
        Ok(None)
    }
}
