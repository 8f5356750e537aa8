//! `batch`: per-student homework from a roster, one folder per student, plus the class's key;
//! with `--pdf`, every student's PDFs and the class's print files.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use tera::Tera;

use super::class_pdf::{ClassPdfs, PrintFile, Sheet, Source};
use super::keys::KeyWriter;
use super::staged::StagedDir;
use super::tex_for;
use super::{Destination, Interrupt, Progress, Summary};
use crate::error::Result;
use crate::export::assign;
use crate::export::names;
use crate::export::roster::Student;
use crate::export::sheets::{self, Person, PersonOutput, SheetPlan};
use crate::generate::GeneratorConfig;
use crate::render::{Format, Part};

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
/// the answer key (`key.csv`, `key.json`) for the class. With `dest.pdf`, also each student's
/// `question.pdf` and `solution.pdf`, and `questions-print.pdf` and `solutions-print.pdf`.
pub fn write_batch(
    job: &BatchJob<'_>,
    dest: &Destination,
    progress: &dyn Progress,
    interrupt: &Interrupt,
) -> Result<Summary> {
    let tex = tex_for(dest, &job.plan.formats)?;
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
    let mut keys = KeyWriter::for_run(&staged, job.config, &job.plan.options)?;
    let class = tex.map(|tex| ClassPdfs::create(tex, &staged)).transpose()?;
    progress.begin("students", people.len());
    let files_written = AtomicUsize::new(0);
    let mut assigner = assign::Assigner::new(job.config);
    let specs = sheets::student_sheets(&job.plan.formats);
    // One pass, chunk by chunk: sample (all cores), render and write (all cores), then the
    // chunk's key rows in roster order. Memory is bounded by the chunk, not the roster.
    for (c, (chunk_people, chunk_bases)) in
        people.chunks(CHUNK).zip(bases.chunks(CHUNK)).enumerate()
    {
        interrupt.check()?;
        let assigned = assigner.assign(chunk_bases)?;
        let rows: Vec<Result<_>> = chunk_people
            .par_iter()
            .zip(&assigned)
            .enumerate()
            .map(|(i, (person, a))| {
                interrupt.check()?;
                let output =
                    sheets::person_output(person, &a.seed, &a.problem, job.plan, &specs, job.tera)?;
                let files = sheets::student_files(person, &output);
                staged.write_files(files.iter().map(|(p, t)| (p.as_path(), t.as_bytes())))?;
                files_written.fetch_add(files.len(), Ordering::Relaxed);
                if let Some(class) = &class {
                    let number = c * CHUNK + i;
                    write_class_sheets(
                        class, number, person, &a.seed, &output, job.plan, job.tera,
                    )?;
                }
                progress.advance();
                Ok(output.key)
            })
            .collect();
        // The first failure in roster order, whichever thread met it first.
        for row in rows {
            keys.push(&row?)?;
        }
    }
    progress.end();
    keys.finish()?;
    let pdfs = match class {
        Some(class) => {
            // Solutions first: they take longest, and a long run started last keeps one core
            // busy alone.
            let prints = [
                print_file(&people, "solutions", "solution"),
                print_file(&people, "questions", "question"),
            ];
            class.finish(&prints, &staged, job.tera, progress, interrupt)?
        }
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

/// Writes student `number`'s LaTeX question and solution into their class documents.
fn write_class_sheets(
    class: &ClassPdfs,
    number: usize,
    person: &Person,
    seed: &str,
    output: &PersonOutput,
    plan: &SheetPlan,
    tera: &Tera,
) -> Result<()> {
    let start = sheets::sheet_start(person, seed, plan, true, tera)?;
    for sheet in output
        .sheets
        .iter()
        .filter(|s| s.spec.format == Format::Latex)
    {
        let kind = match sheet.spec.part {
            Part::Question => "questions",
            _ => "solutions",
        };
        class.write_sheet(kind, number, &start, &sheet.text)?;
    }
    Ok(())
}

/// `<kind>-print.pdf` of every student's `<stem>` sheet, in roster order.
fn print_file(people: &[Person], kind: &'static str, stem: &str) -> PrintFile {
    let sheets = people
        .iter()
        .map(|person| {
            let name = match person.name.as_str() {
                "" => String::new(),
                name => format!(" ({name})"),
            };
            Sheet {
                who: format!("student {}{name}, {}/{stem}.tex", person.id, person.folder),
                pdf: PathBuf::from(&person.folder).join(format!("{stem}.pdf")),
            }
        })
        .collect();
    PrintFile {
        name: PathBuf::from(format!("{kind}-print.pdf")),
        source: Source::Sheets { kind, sheets },
    }
}
