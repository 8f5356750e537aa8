//! `exam`: one question sheet per variant, one document with every variant's solution, the
//! exercises' JSON and the key.

use std::path::PathBuf;

use tera::Tera;

use super::keys::KeyWriter;
use super::staged::StagedDir;
use super::{compile_pdfs, pdf_driver, possible_answer_names};
use super::{Destination, Interrupt, Progress, Summary};
use crate::error::Result;
use crate::export::assign;
use crate::export::names;
use crate::export::sheets::{self, CollectedSolution, Person, SheetPlan};
use crate::generate::GeneratorConfig;
use crate::render::Format;

/// Everything `exam` needs besides the destination.
pub struct ExamJob<'a> {
    /// The generator config every variant is sampled from.
    pub config: &'a GeneratorConfig,
    /// Variant L gets the exercise of seed `"<seed>/L"`.
    pub seed: &'a str,
    /// Variant labels, in order.
    pub variants: &'a [String],
    /// Formats, render options and the key's tolerance.
    pub plan: &'a SheetPlan,
    /// The template engine.
    pub tera: &'a Tera,
}

/// Exam variants: `exam-<label>` question sheets with the label in the header, one
/// `solutions` document with every variant's worked solution, the exercises' JSON and the key.
pub fn write_exam(
    job: &ExamJob<'_>,
    dest: &Destination,
    progress: &dyn Progress,
    interrupt: &Interrupt,
) -> Result<Summary> {
    let driver = pdf_driver(dest, &job.plan.formats)?;
    let bases: Vec<String> = job
        .variants
        .iter()
        .map(|v| format!("{}/{v}", job.seed))
        .collect();
    let assigned = assign::assign_distinct(job.config, &bases)?;
    let stems = names::unique_names(job.variants.iter().map(String::as_str));
    let staged = StagedDir::create(&dest.dir, dest.force)?;
    let mut keys = KeyWriter::create(
        &staged,
        possible_answer_names(job.config, &job.plan.options.knobs)?,
    )?;
    let specs = sheets::variant_sheets(&job.plan.formats);
    let mut files = Vec::new();
    let mut collected: Vec<(Format, Vec<CollectedSolution>)> =
        job.plan.formats.iter().map(|&f| (f, Vec::new())).collect();
    for ((label, stem), a) in job.variants.iter().zip(&stems).zip(&assigned) {
        interrupt.check()?;
        let person = Person {
            id: label.clone(),
            name: String::new(),
            folder: stem.clone(),
            is_variant: true,
        };
        let output =
            sheets::person_output(&person, &a.seed, &a.problem, job.plan, &specs, job.tera)?;
        for (path, text) in sheets::variant_files(&person, &output) {
            staged.write(&path, text.as_bytes())?;
            files.push(path);
        }
        for sheet in output.sheets.iter().filter(|s| s.spec.fragment) {
            let (_, bodies) = collected
                .iter_mut()
                .find(|(f, _)| *f == sheet.spec.format)
                .expect("invariant: one collection per requested format");
            bodies.push(CollectedSolution {
                variant: label.clone(),
                seed: a.seed.clone(),
                body: sheet.text.clone(),
            });
        }
        keys.push(&output.key)?;
    }
    for (format, bodies) in &collected {
        let text = sheets::collected_solutions(*format, job.seed, bodies, job.tera)?;
        let path = PathBuf::from(format!("solutions.{}", sheets::extension(*format)));
        staged.write(&path, text.as_bytes())?;
        files.push(path);
    }
    keys.finish()?;
    let tex_files: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "tex"))
        .cloned()
        .collect();
    let pdfs = match driver {
        Some(driver) => compile_pdfs(driver, &staged, &tex_files, progress, interrupt)?,
        None => 0,
    };
    interrupt.check()?;
    staged.commit()?;
    Ok(Summary {
        people: job.variants.len(),
        files: files.len() + 2 + pdfs,
        pdfs,
    })
}
