//! `batch`: per-student homework from a roster, one folder per student, plus the class's key.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use tera::Tera;

use super::keys::KeyWriter;
use super::staged::StagedDir;
use super::{compile_pdfs, pdf_driver, possible_answer_names};
use super::{Destination, Interrupt, Progress, Summary};
use crate::error::Result;
use crate::export::assign;
use crate::export::names;
use crate::export::roster::Student;
use crate::export::sheets::{self, Person, SheetPlan};
use crate::generate::GeneratorConfig;

/// People rendered together: bounds memory, keeps every core busy.
const CHUNK: usize = 256;

/// Everything `batch` needs besides the destination.
pub struct BatchJob<'a> {
    /// The generator config every student's exercise is sampled from.
    pub config: &'a GeneratorConfig,
    /// Student ID gets the exercise of seed `"<course_seed>/<ID>"`.
    pub course_seed: &'a str,
    /// The roster, in order.
    pub students: &'a [Student],
    /// Formats, render options and the key's tolerance.
    pub plan: &'a SheetPlan,
    /// The template engine.
    pub tera: &'a Tera,
}

/// Per-student homework: one folder per student with question, solution and exercise JSON, and
/// the answer key (`key.csv`, `key.json`) for the class.
pub fn write_batch(
    job: &BatchJob<'_>,
    dest: &Destination,
    progress: &dyn Progress,
    interrupt: &Interrupt,
) -> Result<Summary> {
    // Before any work: a missing TeX should not cost the whole batch's rendering time.
    let driver = pdf_driver(dest, &job.plan.formats)?;
    let folders = names::unique_names(job.students.iter().map(|s| s.id.as_str()));
    let people: Vec<Person> = job
        .students
        .iter()
        .zip(folders)
        .map(|(s, folder)| Person {
            id: s.id.clone(),
            name: s.name.clone(),
            folder,
            is_variant: false,
        })
        .collect();
    let bases: Vec<String> = people
        .iter()
        .map(|p| format!("{}/{}", job.course_seed, p.id))
        .collect();
    let staged = StagedDir::create(&dest.dir, dest.force)?;
    let mut keys = KeyWriter::create(
        &staged,
        possible_answer_names(job.config, &job.plan.options.knobs)?,
    )?;
    progress.begin("students", people.len());
    let files_written = AtomicUsize::new(0);
    let mut tex_files = Vec::new();
    let mut assigner = assign::Assigner::new(job.config);
    let specs = sheets::student_sheets(&job.plan.formats);
    // One pass, chunk by chunk: sample (all cores), render and write (all cores), then the
    // chunk's key rows in roster order. Memory is bounded by the chunk, not the roster.
    for (chunk_people, chunk_bases) in people.chunks(CHUNK).zip(bases.chunks(CHUNK)) {
        interrupt.check()?;
        let assigned = assigner.assign(chunk_bases)?;
        let rows: Vec<Result<_>> = chunk_people
            .par_iter()
            .zip(&assigned)
            .map(|(person, a)| {
                interrupt.check()?;
                let output =
                    sheets::person_output(person, &a.seed, &a.problem, job.plan, &specs, job.tera)?;
                let files = sheets::student_files(person, &output);
                staged.write_files(files.iter().map(|(p, t)| (p.as_path(), t.as_bytes())))?;
                files_written.fetch_add(files.len(), Ordering::Relaxed);
                progress.advance();
                Ok(output.key)
            })
            .collect();
        // The first failure in roster order, whichever thread met it first.
        for row in rows {
            keys.push(&row?)?;
        }
        if driver.is_some() {
            tex_files.extend(chunk_people.iter().flat_map(|p| {
                ["question.tex", "solution.tex"].map(|f| PathBuf::from(&p.folder).join(f))
            }));
        }
    }
    progress.end();
    keys.finish()?;
    let pdfs = match driver {
        Some(driver) => compile_pdfs(driver, &staged, &tex_files, progress, interrupt)?,
        None => 0,
    };
    interrupt.check()?;
    staged.commit()?;
    Ok(Summary {
        people: people.len(),
        files: files_written.into_inner() + 2 + pdfs,
        pdfs,
    })
}
