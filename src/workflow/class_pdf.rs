//! `--pdf` for a whole class: the LaTeX sheets are compiled together, a few large pdflatex runs
//! instead of one per sheet (pdflatex's start-up was most of the time), and the PDFs are cut
//! apart again into every sheet's own PDF and the print files.
//!
//! - A class document (`latex/class.tex`) holds up to [`MAX_SHEETS`] sheets of one kind: the
//!   preamble once, then for each sheet its start (`latex/sheet-start.tex`: page numbering and
//!   page style as in its own document, the header of its print copy) and the body of its own
//!   document. Each kind is cut into enough documents to keep every core busy.
//! - pdflatex ships every page twice, as it is and as a print copy with the person's name in the
//!   header, and writes a page log (`<document>.pages`) saying which sheet every page belongs to.
//!   The page ranges come from that log, never from counting.
//! - Each PDF is read once: a sheet's own pages become its PDF (`4711/question.pdf`); the print
//!   copies of every sheet, in roster order, each padded with a blank page to an even count so
//!   that every sheet starts on a new sheet of paper in duplex, become the print file.
//!
//! Everything is built in a scratch folder inside the staging folder and removed before commit.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;
use tera::Tera;

use super::pages::{Assembly, Copied, SourcePdf};
use super::pdf::{self, Failure, Tex};
use super::staged::StagedDir;
use super::{Interrupt, Progress};
use crate::error::{Error, Result};
use crate::export::sheets;

/// Most sheets in one class document: bounds the memory of reading its PDF back.
const MAX_SHEETS: usize = 100;

/// Fewest sheets worth a pdflatex run of their own when there are cores to spare.
const MIN_SHEETS: usize = 20;

/// One sheet of a class document: whom it is for, for messages, and where its own PDF goes.
pub(crate) struct Sheet {
    /// Whom the sheet is for and its file, e.g. "student 4711 (Ada Lovelace), 4711/question.tex".
    pub(crate) who: String,
    /// Its own PDF, relative to the output folder.
    pub(crate) pdf: PathBuf,
}

/// A print file and where its pages come from.
pub(crate) struct PrintFile {
    /// The print file, relative to the output folder.
    pub(crate) name: PathBuf,
    /// Its sheets, in print order.
    pub(crate) source: Source,
}

/// The sheets of a print file.
pub(crate) enum Source {
    /// Sheets written with [`ClassPdfs::write_sheet`] under `kind`, each a document of its own
    /// with a PDF of its own.
    Sheets {
        /// The kind given to `write_sheet` (`questions`, `solutions`).
        kind: &'static str,
        /// Every sheet, in the order of their numbers.
        sheets: Vec<Sheet>,
    },
    /// One class document written with [`ClassPdfs::write_document`], whose parts (each begun
    /// with a sheet start) make one PDF together: an exam's solutions.
    Parts {
        /// The document's file name, as given to `write_document`.
        document: &'static str,
        /// Whom each part is for, for messages.
        who: Vec<String>,
        /// The one PDF of all parts, relative to the output folder.
        pdf: PathBuf,
    },
}

/// The pdflatex runs and PDF cutting of one folder run.
pub(crate) struct ClassPdfs {
    tex: Tex,
    scratch: tempfile::TempDir,
}

/// One class document to compile and what its sheets become.
struct Document<'a> {
    /// Which print file it feeds.
    print: usize,
    tex: PathBuf,
    who: Vec<&'a str>,
    /// One PDF per sheet, or one for the whole document.
    own: Own<'a>,
}

enum Own<'a> {
    PerSheet(Vec<&'a Path>),
    Whole(&'a Path),
}

/// A compiled class document, read back, and each sheet's pages in it.
struct Compiled {
    print: usize,
    pdf: SourcePdf,
    sheets: Vec<SheetPages>,
}

/// The PDF pages (1-based) of one sheet: as it is, and its print copy.
#[derive(Debug, Default, PartialEq, Eq)]
struct SheetPages {
    own: Vec<usize>,
    print: Vec<usize>,
}

impl ClassPdfs {
    /// Starts the PDFs of a run that writes into `staged`.
    pub(crate) fn create(tex: Tex, staged: &StagedDir) -> Result<ClassPdfs> {
        let scratch = tempfile::Builder::new()
            .prefix(".nnexam-pdf-")
            .tempdir_in(staged.path())
            .map_err(Error::io("create a scratch folder in", staged.path()))?;
        Ok(ClassPdfs { tex, scratch })
    }

    /// Writes sheet `number` (0-based, the order of the print file) of `kind`: its `start`
    /// ([`sheets::sheet_start`]) and the body of its own LaTeX `document`.
    pub(crate) fn write_sheet(
        &self,
        kind: &str,
        number: usize,
        start: &str,
        document: &str,
    ) -> Result<()> {
        let body = sheets::document_body(document)?;
        let path = self.scratch.path().join(sheet_name(kind, number) + ".tex");
        std::fs::write(&path, [start, body].concat()).map_err(Error::io("write", &path))
    }

    /// Where a whole class document goes (`name` in the scratch folder), for a caller that
    /// writes it piece by piece.
    pub(crate) fn document_path(&self, name: &str) -> PathBuf {
        self.scratch.path().join(name)
    }

    /// Compiles every print file's sheets, writes each sheet's own PDF and the print files into
    /// `staged`, and returns how many PDFs that made. A sheet that fails names its person and
    /// quotes pdflatex's error.
    pub(crate) fn finish(
        self,
        prints: &[PrintFile],
        staged: &StagedDir,
        tera: &Tera,
        progress: &dyn Progress,
        interrupt: &Interrupt,
    ) -> Result<usize> {
        let documents = self.plan(prints, tera)?;
        progress.begin("pdflatex", documents.len());
        let compiled = in_order(documents.len(), |k| {
            let compiled = self.compile(&documents[k], staged, interrupt);
            progress.advance();
            compiled
        });
        progress.end();
        // A stop request wins over the errors it caused; else the first error in print order.
        interrupt.check()?;
        let compiled = compiled.into_iter().collect::<Result<Vec<_>>>()?;
        let own: usize = documents
            .iter()
            .map(|d| match &d.own {
                Own::PerSheet(pdfs) => pdfs.len(),
                Own::Whole(_) => 1,
            })
            .sum();
        prints
            .par_iter()
            .enumerate()
            .map(|(k, print)| {
                let parts = compiled.iter().filter(|c| c.print == k);
                print_file(parts, &staged.path().join(&print.name))
            })
            .collect::<Result<Vec<()>>>()?;
        Ok(own + prints.len())
    }

    /// The class documents to compile, written into the scratch folder: each print file's
    /// sheets cut into documents of at most [`MAX_SHEETS`], enough of them for every core.
    fn plan<'a>(&self, prints: &'a [PrintFile], tera: &Tera) -> Result<Vec<Document<'a>>> {
        let cores = rayon::current_num_threads();
        let mut documents = Vec::new();
        for (print, file) in prints.iter().enumerate() {
            match &file.source {
                Source::Sheets { kind, sheets } => {
                    let count = sheets
                        .len()
                        .div_ceil(MAX_SHEETS)
                        .max(cores.min(sheets.len().div_ceil(MIN_SHEETS)))
                        .max(1);
                    let size = sheets.len().div_ceil(count).max(1);
                    for (c, chunk) in sheets.chunks(size).enumerate() {
                        let first = c * size;
                        let names: Vec<String> = (first..first + chunk.len())
                            .map(|n| sheet_name(kind, n))
                            .collect();
                        let tex = self
                            .scratch
                            .path()
                            .join(format!("{kind}-part{}.tex", c + 1));
                        let text = sheets::class_document(&names, tera)?;
                        std::fs::write(&tex, text).map_err(Error::io("write", &tex))?;
                        documents.push(Document {
                            print,
                            tex,
                            who: chunk.iter().map(|s| s.who.as_str()).collect(),
                            own: Own::PerSheet(chunk.iter().map(|s| s.pdf.as_path()).collect()),
                        });
                    }
                }
                Source::Parts { document, who, pdf } => documents.push(Document {
                    print,
                    tex: self.document_path(document),
                    who: who.iter().map(String::as_str).collect(),
                    own: Own::Whole(pdf),
                }),
            }
        }
        Ok(documents)
    }

    /// Compiles one class document, reads its PDF and page log, and writes its sheets' own PDFs.
    fn compile(
        &self,
        document: &Document<'_>,
        staged: &StagedDir,
        interrupt: &Interrupt,
    ) -> Result<Compiled> {
        match pdf::compile(self.tex, &document.tex, interrupt) {
            Ok(()) => {}
            Err(Failure::Interrupted(signal)) => return Err(Error::Interrupted { signal }),
            Err(Failure::Io(e)) => return Err(e),
            Err(Failure::Latex) => return Err(latex_error(document)),
        }
        let pdf = SourcePdf::load(&document.tex.with_extension("pdf"))?;
        let log = document.tex.with_extension("pages");
        let text = std::fs::read_to_string(&log).map_err(Error::io("read", &log))?;
        let sheets = parse_page_log(&text, document.who.len(), pdf.page_count())
            .map_err(|problem| page_log_error(&log, &problem))?;
        match &document.own {
            Own::PerSheet(pdfs) => {
                pdfs.par_iter()
                    .zip(&sheets)
                    .map(|(path, pages)| {
                        let mut own = Assembly::new();
                        own.append(&pdf, &pages.own, &mut Copied::default());
                        own.save(&staged.path().join(path))
                    })
                    .collect::<Result<Vec<()>>>()?;
            }
            Own::Whole(path) => {
                let mut own = Assembly::new();
                let mut copied = Copied::default();
                for pages in &sheets {
                    own.append(&pdf, &pages.own, &mut copied);
                }
                own.save(&staged.path().join(path))?;
            }
        }
        Ok(Compiled {
            print: document.print,
            pdf,
            sheets,
        })
    }
}

/// `work(k)` for k = 0, 1, ... `n - 1`, one per core at a time, started in that order (rayon
/// would split the list and start its second half first): the documents come longest first, so
/// that no long run is started last, alone. Returns the results in that order.
fn in_order<T: Send>(n: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::with_capacity(n));
    std::thread::scope(|scope| {
        for _ in 0..rayon::current_num_threads().min(n) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= n {
                    break;
                }
                let result = work(k);
                done.lock()
                    .expect("invariant: no worker panics holding the lock")
                    .push((k, result));
            });
        }
    });
    let mut done = done
        .into_inner()
        .expect("invariant: no worker panics holding the lock");
    done.sort_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, result)| result).collect()
}

/// `kind-00042`: the file of sheet 42 (1-based) in the scratch folder, without `.tex` (as
/// `\input` takes it).
fn sheet_name(kind: &str, number: usize) -> String {
    format!("{kind}-{:05}", number + 1)
}

/// The print file of `parts` (class documents in order): every sheet's print copy, padded
/// with a blank page to an even count, so that each sheet starts on an odd page.
fn print_file<'a>(parts: impl Iterator<Item = &'a Compiled>, path: &Path) -> Result<()> {
    let mut print = Assembly::new();
    for part in parts {
        let mut copied = Copied::default();
        for pages in &part.sheets {
            print.append(&part.pdf, &pages.print, &mut copied);
            if print.page_count() % 2 == 1 {
                let last = *pages
                    .print
                    .last()
                    .expect("invariant: the page log has no empty sheet");
                print.blank_page(&part.pdf, last);
            }
        }
    }
    print.save(path)
}

/// Reads a page log (`PAGE SHEET own|print` a line, see `latex/class-setup.tex`) of a PDF of
/// `pages` pages made of `sheets` sheets. Every page must be listed once, in order, and every
/// sheet must have pages, as many print copies as pages of its own.
fn parse_page_log(text: &str, sheets: usize, pages: usize) -> Result<Vec<SheetPages>, String> {
    let mut out: Vec<SheetPages> = (0..sheets).map(|_| SheetPages::default()).collect();
    let mut listed = 0;
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [page, sheet, copy] = fields[..] else {
            return Err(format!("unreadable line {line:?}"));
        };
        let page: usize = page
            .parse()
            .map_err(|_| format!("unreadable line {line:?}"))?;
        let sheet: usize = sheet
            .parse()
            .map_err(|_| format!("unreadable line {line:?}"))?;
        if page != listed + 1 {
            return Err(format!("page {page} listed after page {listed}"));
        }
        listed = page;
        let Some(entry) = sheet.checked_sub(1).and_then(|s| out.get_mut(s)) else {
            return Err(format!("page {page} belongs to sheet {sheet} of {sheets}"));
        };
        match copy {
            "own" => entry.own.push(page),
            "print" => entry.print.push(page),
            _ => return Err(format!("unreadable line {line:?}")),
        }
    }
    if listed != pages {
        return Err(format!("{listed} pages listed, the PDF has {pages}"));
    }
    if let Some(k) = out
        .iter()
        .position(|s| s.own.is_empty() || s.own.len() != s.print.len())
    {
        return Err(format!(
            "sheet {} has {} pages and {} print copies",
            k + 1,
            out[k].own.len(),
            out[k].print.len()
        ));
    }
    Ok(out)
}

/// The error of a class document that pdflatex refused: the sheet it was typesetting, by
/// whom it is for, and the log's error lines.
fn latex_error(document: &Document<'_>) -> Error {
    let log = std::fs::read(document.tex.with_extension("log"))
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let sheet = pdf::failing_sheet(&log)
        .and_then(|n| document.who.get(n - 1))
        .map_or_else(
            || format!("{} sheets", document.who.len()),
            |who| format!("the sheet of {who}"),
        );
    Error::invalid(
        "--pdf",
        format!(
            "pdflatex failed on {sheet} (nothing was written):\n{}",
            pdf::log_excerpt(&log)
        ),
        "fix the template or exercise text that the log points to, or drop --pdf",
    )
}

fn page_log_error(log: &Path, problem: &str) -> Error {
    Error::invalid(
        "--pdf",
        format!(
            "the page log {} does not fit its PDF: {problem}",
            log.display()
        ),
        "keep latex/class-setup.tex and latex/sheet-start.tex as `templates eject` writes them",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_log_gives_every_sheet_its_pages_and_print_copies() {
        let log = "1 1 own\n2 1 print\n3 1 own\n4 1 print\n5 2 own\n6 2 print\n";
        let sheets = parse_page_log(log, 2, 6).unwrap();
        assert_eq!(sheets[0].own, [1, 3]);
        assert_eq!(sheets[0].print, [2, 4]);
        assert_eq!(sheets[1].own, [5]);
    }

    #[test]
    fn page_log_that_does_not_fit_is_refused() {
        assert!(parse_page_log("1 1 own\n2 1 print\n", 2, 2)
            .unwrap_err()
            .contains("sheet 2"));
        assert!(parse_page_log("1 1 own\n2 1 print\n", 1, 3)
            .unwrap_err()
            .contains("the PDF has 3"));
        assert!(parse_page_log("1 1 own\n3 1 print\n", 1, 3)
            .unwrap_err()
            .contains("page 3 listed after page 1"));
        assert!(parse_page_log("1 1 own\n", 1, 1)
            .unwrap_err()
            .contains("print copies"));
        assert!(parse_page_log("1 3 own\n", 1, 1)
            .unwrap_err()
            .contains("sheet 3 of 1"));
        assert!(parse_page_log("x\n", 1, 1).is_err());
    }
}
