//! `exam`: one question sheet per variant, one document with every variant's solution, the
//! exercises' JSON and the key; with `--pdf`, their PDFs and the print files. Variants are
//! rendered a chunk at a time and the solutions documents written as they come, so memory does
//! not grow with the number of variants.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use tera::Tera;

use super::class_pdf::{ClassPdfs, PrintFile, Sheet, Source};
use super::keys::KeyWriter;
use super::staged::StagedDir;
use super::tex_for;
use super::{Destination, Interrupt, Progress, Summary};
use crate::error::{Error, Result};
use crate::export::assign;
use crate::export::names;
use crate::export::sheets::{self, Person, PersonOutput, SheetPlan, SolutionsFrame};
use crate::generate::GeneratorConfig;
use crate::render::Format;

/// Variants rendered together: keeps every core busy; memory holds a chunk's sheets.
const CHUNK: usize = 64;

/// The solutions document compiled for the print file, in the scratch folder.
const CLASS_SOLUTIONS: &str = "solutions.tex";

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
/// With `dest.pdf`, also the PDF of each LaTeX document, `questions-print.pdf` and
/// `solutions-print.pdf`.
pub fn write_exam(
    job: &ExamJob<'_>,
    dest: &Destination,
    progress: &dyn Progress,
    interrupt: &Interrupt,
) -> Result<Summary> {
    let tex = tex_for(dest, &job.plan.formats)?;
    let bases: Vec<String> = job
        .variants
        .iter()
        .map(|v| format!("{}/{v}", job.seed))
        .collect();
    let assigned = assign::assign_distinct(job.config, &bases)?;
    let stems = names::unique_names(job.variants.iter().map(String::as_str));
    let people: Vec<Person> = job
        .variants
        .iter()
        .zip(stems)
        .map(|(label, stem)| Person {
            id: label.clone(),
            name: String::new(),
            folder: stem,
            is_variant: true,
        })
        .collect();
    let labelled: Vec<(String, String)> = people
        .iter()
        .zip(&assigned)
        .map(|(p, a)| (p.id.clone(), a.seed.clone()))
        .collect();
    let staged = StagedDir::create(&dest.dir, dest.force)?;
    let mut keys = KeyWriter::for_run(&staged, job.config, &job.plan.options)?;
    let class = tex.map(|tex| ClassPdfs::create(tex, &staged)).transpose()?;
    let mut solutions = Vec::new();
    for &format in &job.plan.formats {
        let frame = SolutionsFrame::render(format, job.seed, &labelled, false, job.tera)?;
        let path = staged.path().join(solutions_name(format));
        solutions.push(SolutionsWriter::create(path, frame, format, false)?);
    }
    if let Some(class) = &class {
        let frame = SolutionsFrame::render(Format::Latex, job.seed, &labelled, true, job.tera)?;
        let path = class.document_path(CLASS_SOLUTIONS);
        solutions.push(SolutionsWriter::create(path, frame, Format::Latex, true)?);
    }
    let specs = sheets::variant_sheets(&job.plan.formats);
    let mut files = solutions.len() - usize::from(class.is_some());
    progress.begin("variants", people.len());
    for (c, (chunk, chunk_assigned)) in people.chunks(CHUNK).zip(assigned.chunks(CHUNK)).enumerate()
    {
        interrupt.check()?;
        let outputs: Vec<Result<Rendered>> = chunk
            .par_iter()
            .zip(chunk_assigned)
            .enumerate()
            .map(|(i, (person, a))| {
                interrupt.check()?;
                let output =
                    sheets::person_output(person, &a.seed, &a.problem, job.plan, &specs, job.tera)?;
                let own = sheets::variant_files(person, &output);
                staged.write_files(own.iter().map(|(p, t)| (p.as_path(), t.as_bytes())))?;
                let part_start = match &class {
                    Some(class) => {
                        let start = sheets::sheet_start(person, &a.seed, job.plan, true, job.tera)?;
                        for sheet in output.sheets.iter().filter(|s| is_latex_question(s)) {
                            class.write_sheet("questions", c * CHUNK + i, &start, &sheet.text)?;
                        }
                        Some(sheets::sheet_start(
                            person, &a.seed, job.plan, false, job.tera,
                        )?)
                    }
                    None => None,
                };
                progress.advance();
                Ok(Rendered {
                    files: own.len(),
                    output,
                    part_start,
                })
            })
            .collect();
        // In variant order, whichever thread finished first.
        for rendered in outputs {
            let rendered = rendered?;
            for document in &mut solutions {
                document.push(&rendered)?;
            }
            keys.push(&rendered.output.key)?;
            files += rendered.files;
        }
    }
    progress.end();
    for document in solutions {
        document.finish()?;
    }
    keys.finish()?;
    let pdfs = match class {
        Some(class) => {
            // The solutions first: the longest run, started last, would keep one core busy alone.
            let prints = [
                PrintFile {
                    name: PathBuf::from("solutions-print.pdf"),
                    source: Source::Parts {
                        document: CLASS_SOLUTIONS,
                        who: people
                            .iter()
                            .map(|p| format!("variant {}, {}", p.id, solutions_name(Format::Latex)))
                            .collect(),
                        pdf: PathBuf::from("solutions.pdf"),
                    },
                },
                PrintFile {
                    name: PathBuf::from("questions-print.pdf"),
                    source: Source::Sheets {
                        kind: "questions",
                        sheets: people.iter().map(question_sheet).collect(),
                    },
                },
            ];
            class.finish(&prints, &staged, job.tera, progress, interrupt)?
        }
        None => 0,
    };
    interrupt.check()?;
    staged.commit()?;
    Ok(Summary {
        people: job.variants.len(),
        files: files + 2 + pdfs,
        pdfs,
    })
}

/// One variant, rendered and written: its output, how many files of its own it wrote, and with
/// `--pdf` the start of its part of the solutions compiled for the print file.
struct Rendered {
    output: PersonOutput,
    files: usize,
    part_start: Option<String>,
}

fn is_latex_question(sheet: &sheets::Sheet) -> bool {
    sheet.spec.format == Format::Latex && !sheet.spec.fragment
}

fn solutions_name(format: Format) -> String {
    format!("solutions.{}", sheets::extension(format))
}

/// The question sheet of a variant in the class documents.
fn question_sheet(person: &Person) -> Sheet {
    let stem = format!("exam-{}", person.folder);
    Sheet {
        who: format!("variant {}, {stem}.tex", person.id),
        pdf: PathBuf::from(format!("{stem}.pdf")),
    }
}

/// A solutions document being written variant by variant into the holes of its frame.
struct SolutionsWriter {
    frame: SolutionsFrame,
    format: Format,
    /// Compiled for the print file: each body is preceded by its part's start.
    parts: bool,
    out: BufWriter<std::fs::File>,
    path: PathBuf,
    written: usize,
}

impl SolutionsWriter {
    fn create(path: PathBuf, frame: SolutionsFrame, format: Format, parts: bool) -> Result<Self> {
        let file = std::fs::File::create(&path).map_err(write_error(&path))?;
        let mut out = BufWriter::new(file);
        out.write_all(frame.piece(0).as_bytes())
            .map_err(write_error(&path))?;
        Ok(SolutionsWriter {
            frame,
            format,
            parts,
            out,
            path,
            written: 0,
        })
    }

    /// Writes the next variant's solution and the frame up to the one after it.
    fn push(&mut self, rendered: &Rendered) -> Result<()> {
        let body = rendered
            .output
            .sheets
            .iter()
            .find(|s| s.spec.fragment && s.spec.format == self.format)
            .expect("invariant: every variant has a solution fragment per format");
        let start = match self.parts {
            true => rendered
                .part_start
                .as_deref()
                .expect("invariant: parts are started when PDFs are made"),
            false => "",
        };
        self.written += 1;
        let piece = self.frame.piece(self.written);
        [start, body.text.as_str(), piece]
            .iter()
            .try_for_each(|text| self.out.write_all(text.as_bytes()))
            .map_err(write_error(&self.path))
    }

    fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(write_error(&self.path))
    }
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    }
}
