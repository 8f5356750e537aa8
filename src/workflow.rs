//! Drives the commands that write a whole folder of sheets (`batch`, `exam`): sampling on all
//! cores, rendering in parallel chunks, writing through a [`StagedDir`] so that a failure or
//! Ctrl-C leaves nothing half-written, the answer keys, optional PDFs and the progress bar.
//! What goes into the files is decided in `export`; this module only sequences and writes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tera::Tera;

use crate::error::{Error, Result};
use crate::export::assign;
use crate::export::key::{self, KeyRow};
use crate::export::names;
use crate::export::roster::Student;
use crate::export::sheets::{self, CollectedSolution, Person, SheetPlan};
use crate::generate::GeneratorConfig;
use crate::output::StagedDir;
use crate::pdf;
use crate::render::Format;

/// People rendered together: bounds memory, keeps both cores busy.
const CHUNK: usize = 256;

/// Where and how a folder-writing command writes.
#[derive(Clone, Debug)]
pub struct Destination {
    pub dir: PathBuf,
    pub force: bool,
    pub pdf: bool,
    pub quiet: bool,
}

/// What a finished run reports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub people: usize,
    pub files: usize,
    pub pdfs: usize,
}

/// A progress bar on stderr, hidden when stderr is not a terminal or with `--quiet`.
fn progress_bar(len: usize, message: &'static str, quiet: bool) -> ProgressBar {
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(len as u64), target);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta} left)")
            .expect("invariant: the progress template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// Ctrl-C sets the returned flag; the run checks it between people and fails cleanly, so the
/// staging folder is removed. A second handler in the same process (tests) is not an error.
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let setter = Arc::clone(&flag);
    let _ = ctrlc::set_handler(move || setter.store(true, Ordering::SeqCst));
    flag
}

fn check_interrupt(flag: &AtomicBool) -> Result<()> {
    if flag.load(Ordering::SeqCst) {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

/// Streams the key to `key.csv` and `key.json` as rows arrive, so memory stays flat.
struct KeyWriter {
    csv: csv::Writer<std::fs::File>,
    json: std::io::BufWriter<std::fs::File>,
    answer_names: Vec<String>,
    rows: usize,
    csv_path: PathBuf,
    json_path: PathBuf,
}

impl KeyWriter {
    fn create(staged: &StagedDir, answer_names: Vec<String>) -> Result<KeyWriter> {
        let csv_path = staged.staging_path().join("key.csv");
        let json_path = staged.staging_path().join("key.json");
        let open = |path: &Path| {
            std::fs::File::create(path).map_err(|source| Error::Io {
                action: "create",
                path: path.to_path_buf(),
                source,
            })
        };
        let mut writer = KeyWriter {
            csv: csv::Writer::from_writer(open(&csv_path)?),
            json: std::io::BufWriter::new(open(&json_path)?),
            answer_names,
            rows: 0,
            csv_path,
            json_path,
        };
        let header = key::csv_header(&writer.answer_names);
        writer
            .csv
            .write_record(&header)
            .map_err(|e| csv_error(&writer.csv_path, e))?;
        writer.json_write(b"[\n")?;
        Ok(writer)
    }

    fn json_write(&mut self, bytes: &[u8]) -> Result<()> {
        self.json.write_all(bytes).map_err(|source| Error::Io {
            action: "write",
            path: self.json_path.clone(),
            source,
        })
    }

    fn push(&mut self, row: &KeyRow) -> Result<()> {
        let record = key::csv_record(row, &self.answer_names);
        self.csv
            .write_record(&record)
            .map_err(|e| csv_error(&self.csv_path, e))?;
        let separator: &[u8] = if self.rows == 0 { b"  " } else { b",\n  " };
        self.json_write(separator)?;
        let text = serde_json::to_string(row).expect("invariant: key rows serialise");
        self.json_write(text.as_bytes())?;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.json_write(b"\n]\n")?;
        let json_path = self.json_path.clone();
        self.json.flush().map_err(|source| Error::Io {
            action: "write",
            path: json_path,
            source,
        })?;
        self.csv.flush().map_err(|source| Error::Io {
            action: "write",
            path: self.csv_path.clone(),
            source,
        })
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    Error::Io {
        action: "write",
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    }
}

/// The key's answer columns: every answer any exercise of `config` can have. A config that
/// draws the architecture from lists mixes shapes, so the union over its shapes is taken (in
/// the config's list order); a student's row leaves the others empty.
fn possible_answer_names(config: &GeneratorConfig) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for shapes in config.architecture.possible_shapes()? {
        union_in_order(&mut names, key::answer_names(shapes.s, shapes.f1));
    }
    Ok(names)
}

/// Appends the names not yet in `into`, keeping first-appearance order.
fn union_in_order(into: &mut Vec<String>, names: Vec<String>) {
    for name in names {
        if !into.contains(&name) {
            into.push(name);
        }
    }
}

/// Runs `work` on every index of `0..len` on all cores, results in index order.
fn parallel_map<T: Send>(len: usize, work: &(dyn Fn(usize) -> Result<T> + Sync)) -> Result<Vec<T>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<T>>>> = Mutex::new((0..len).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(len.max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= len {
                    break;
                }
                let result = work(i);
                results
                    .lock()
                    .expect("invariant: no worker panics holding the lock")[i] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .expect("invariant: workers joined")
        .into_iter()
        .map(|r| r.expect("invariant: every index was processed"))
        .collect()
}

/// Compiles every `.tex` below the staging folder; a failure lists every broken document.
fn compile_pdfs(
    driver: pdf::Driver,
    staged: &StagedDir,
    tex_files: &[PathBuf],
    quiet: bool,
) -> Result<usize> {
    let absolute: Vec<PathBuf> = tex_files
        .iter()
        .map(|f| staged.staging_path().join(f))
        .collect();
    let bar = progress_bar(absolute.len(), "pdflatex", quiet);
    let failures = pdf::compile_all(driver, &absolute, &|| bar.inc(1));
    bar.finish_and_clear();
    if failures.is_empty() {
        return Ok(absolute.len());
    }
    let shown: Vec<String> = failures.iter().take(3).map(ToString::to_string).collect();
    Err(Error::invalid(
        "--pdf",
        format!(
            "{} of {} documents failed to compile (nothing was written):\n{}",
            failures.len(),
            absolute.len(),
            shown.join("\n")
        ),
        "fix the templates (see --templates), or drop --pdf",
    ))
}

/// The TeX driver when PDFs are wanted and there is LaTeX to compile.
fn pdf_driver(dest: &Destination, formats: &[Format]) -> Result<Option<pdf::Driver>> {
    if dest.pdf && formats.contains(&Format::Latex) {
        pdf::find_driver().map(Some)
    } else {
        Ok(None)
    }
}

/// Everything `batch` needs besides the destination.
pub struct BatchJob<'a> {
    pub config: &'a GeneratorConfig,
    pub course_seed: &'a str,
    pub students: &'a [Student],
    pub plan: &'a SheetPlan,
    pub tera: &'a Tera,
}

/// Per-student homework: one folder per student with question, solution and exercise JSON, and
/// the answer key (`key.csv`, `key.json`) for the class.
pub fn write_batch(job: &BatchJob<'_>, dest: &Destination) -> Result<Summary> {
    let interrupted = interrupt_flag();
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
    let mut keys = KeyWriter::create(&staged, possible_answer_names(job.config)?)?;
    let bar = progress_bar(people.len(), "students", dest.quiet);
    let files_written = AtomicUsize::new(0);
    let mut tex_files = Vec::new();
    let mut assigner = assign::Assigner::new(job.config);
    let specs = sheets::student_sheets(&job.plan.formats);
    // One pass, chunk by chunk: sample (all cores), render and write (all cores), then the
    // chunk's key rows in roster order. Memory is bounded by the chunk, not the roster.
    for (chunk_people, chunk_bases) in people.chunks(CHUNK).zip(bases.chunks(CHUNK)) {
        check_interrupt(&interrupted)?;
        let assigned = assigner.assign(chunk_bases)?;
        let rows = parallel_map(chunk_people.len(), &|i| {
            check_interrupt(&interrupted)?;
            let (person, a) = (&chunk_people[i], &assigned[i]);
            let output =
                sheets::person_output(person, &a.seed, &a.problem, job.plan, &specs, job.tera)?;
            let files = sheets::student_files(person, &output);
            staged.write_files(files.iter().map(|(p, t)| (p.as_path(), t.as_bytes())))?;
            files_written.fetch_add(files.len(), Ordering::Relaxed);
            bar.inc(1);
            Ok(output.key)
        })?;
        for row in &rows {
            keys.push(row)?;
        }
        if driver.is_some() {
            tex_files.extend(chunk_people.iter().flat_map(|p| {
                ["question.tex", "solution.tex"].map(|f| PathBuf::from(&p.folder).join(f))
            }));
        }
    }
    bar.finish_and_clear();
    keys.finish()?;
    let pdfs = match driver {
        Some(driver) => compile_pdfs(driver, &staged, &tex_files, dest.quiet)?,
        None => 0,
    };
    check_interrupt(&interrupted)?;
    staged.commit()?;
    Ok(Summary {
        people: people.len(),
        files: files_written.into_inner() + 2 + pdfs,
        pdfs,
    })
}

/// Everything `exam` needs besides the destination.
pub struct ExamJob<'a> {
    pub config: &'a GeneratorConfig,
    pub seed: &'a str,
    pub variants: &'a [String],
    pub plan: &'a SheetPlan,
    pub tera: &'a Tera,
}

/// Exam variants: `exam-<label>` question sheets with the label in the header, one
/// `solutions` document with every variant's worked solution, the exercises' JSON and the key.
pub fn write_exam(job: &ExamJob<'_>, dest: &Destination) -> Result<Summary> {
    let interrupted = interrupt_flag();
    let driver = pdf_driver(dest, &job.plan.formats)?;
    let bases: Vec<String> = job
        .variants
        .iter()
        .map(|v| format!("{}/{v}", job.seed))
        .collect();
    let assigned = assign::assign_distinct(job.config, &bases)?;
    let stems = names::unique_names(job.variants.iter().map(String::as_str));
    let staged = StagedDir::create(&dest.dir, dest.force)?;
    let mut keys = KeyWriter::create(&staged, possible_answer_names(job.config)?)?;
    let specs = sheets::variant_sheets(&job.plan.formats);
    let mut files = Vec::new();
    let mut collected: Vec<(Format, Vec<CollectedSolution>)> =
        job.plan.formats.iter().map(|&f| (f, Vec::new())).collect();
    for ((label, stem), a) in job.variants.iter().zip(&stems).zip(&assigned) {
        check_interrupt(&interrupted)?;
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
        Some(driver) => compile_pdfs(driver, &staged, &tex_files, dest.quiet)?,
        None => 0,
    };
    staged.commit()?;
    Ok(Summary {
        people: job.variants.len(),
        files: files.len() + 2 + pdfs,
        pdfs,
    })
}
