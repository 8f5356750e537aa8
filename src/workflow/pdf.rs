//! Running pdflatex: finding it, compiling one document as many times as it needs (again only
//! when its log asks for a rerun), stopping it on Ctrl-C, and reading its log for the error to
//! quote. Runs external programs; what is compiled is decided in `class_pdf`.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::Interrupt;
use crate::error::{Error, Result};
use crate::render::LatexEngine;

/// How many lines of a failing document's log a message shows.
const LOG_LINES: usize = 12;

/// Most pdflatex runs for one document: a document whose references still move after this
/// many runs will not settle.
const MAX_RUNS: usize = 3;

/// How often a waiting compile looks at the stop request.
const POLL: Duration = Duration::from_millis(10);

/// The LaTeX program is installed: proof that [`find_tex`] was asked before any work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tex(LatexEngine);

/// `latex` (pdflatex or lualatex) when it runs, else an error saying how to install it.
pub fn find_tex(latex: LatexEngine) -> Result<Tex> {
    let runs = Command::new(latex.program())
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    match (runs, latex) {
        (true, _) => Ok(Tex(latex)),
        (false, LatexEngine::Pdflatex) => Err(Error::invalid(
            "--pdf",
            "no pdflatex found on this machine",
            "install TeX Live (Debian/Ubuntu: `sudo apt-get install texlive-latex-extra \
             lmodern`), or drop --pdf and compile the .tex files elsewhere",
        )),
        (false, LatexEngine::Lualatex) => Err(Error::invalid(
            "--latex-engine",
            "no lualatex found on this machine",
            "install it and the fonts (Debian/Ubuntu: `sudo apt-get install texlive-luatex \
             fonts-noto-core fonts-noto-cjk`), or use --latex-engine pdflatex",
        )),
    }
}

/// Why a compile did not give a PDF.
#[derive(Debug)]
pub enum Failure {
    /// A stop was requested, or pdflatex was stopped by a signal (Ctrl-C reaches it too): the
    /// signal's number.
    Interrupted(i32),
    /// pdflatex reported an error; its log says more.
    Latex,
    /// pdflatex could not be run.
    Io(Error),
}

/// Compiles `tex` in its folder with pdflatex, again while the log asks for a rerun (for
/// cross-references), at most [`MAX_RUNS`] times. On [`Failure::Latex`], `tex`'s `.log` holds
/// the error (see [`log_excerpt`]).
pub fn compile(Tex(latex): Tex, tex: &Path, interrupt: &Interrupt) -> Result<(), Failure> {
    let dir = tex.parent().unwrap_or(Path::new("."));
    let file = tex.file_name().unwrap_or_default();
    for _ in 0..MAX_RUNS {
        let mut child = Command::new(latex.program())
            .args([
                "-interaction=nonstopmode",
                "-halt-on-error",
                "-no-shell-escape",
            ])
            .arg(file)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| {
                Failure::Io(Error::Io {
                    action: "run pdflatex on",
                    path: tex.to_path_buf(),
                    source,
                })
            })?;
        let status = loop {
            if interrupt.check().is_err() {
                // Best effort: the child may have ended on its own meanwhile.
                let _ = child.kill();
                let _ = child.wait();
                return Err(match interrupt.check() {
                    Err(Error::Interrupted { signal }) => Failure::Interrupted(signal),
                    _ => Failure::Interrupted(0),
                });
            }
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => std::thread::sleep(POLL),
                Err(source) => {
                    return Err(Failure::Io(Error::Io {
                        action: "wait for pdflatex on",
                        path: tex.to_path_buf(),
                        source,
                    }))
                }
            }
        };
        if let Some(signal) = status.signal() {
            return Err(Failure::Interrupted(signal));
        }
        if !status.success() {
            return Err(Failure::Latex);
        }
        if !asks_for_rerun(&tex.with_extension("log")) {
            return Ok(());
        }
    }
    Ok(())
}

/// True when a LaTeX log says that references changed and another run would fix them
/// ("Rerun to get cross-references right", and the like from packages).
fn asks_for_rerun(log: &Path) -> bool {
    std::fs::read(log).is_ok_and(|bytes| {
        String::from_utf8_lossy(&bytes)
            .lines()
            .any(|l| l.contains("Rerun to get") || l.contains("Please rerun LaTeX"))
    })
}

/// The error lines of a LaTeX log: each `!` line with the lines after it up to the `l.NN` line
/// that points into the source.
pub fn log_excerpt(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    let Some(start) = lines.iter().position(|l| l.starts_with('!')) else {
        return lines[lines.len().saturating_sub(LOG_LINES)..].join("\n");
    };
    lines[start..]
        .iter()
        .take(LOG_LINES)
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
}

/// The sheet of a class document that was being typeset when the error came (1-based): the
/// last `nnexam: sheet N` line that `latex/class-setup.tex` wrote to the log before the first
/// `!` line.
pub fn failing_sheet(log: &str) -> Option<usize> {
    log.lines()
        .take_while(|l| !l.starts_with('!'))
        .filter_map(|l| l.strip_prefix("nnexam: sheet "))
        .filter_map(|n| n.trim().parse().ok())
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "This is pdfTeX\nnnexam: sheet 1\nnoise\nnnexam: sheet 2\n\
                       ! Undefined control sequence.\nl.12 \\foo\nnnexam: sheet 3\n";

    #[test]
    fn log_excerpt_starts_at_the_error() {
        let excerpt = log_excerpt(LOG);
        assert!(excerpt.starts_with("! Undefined control sequence."));
        assert!(excerpt.contains("l.12"));
    }

    #[test]
    fn failing_sheet_is_the_last_one_started_before_the_error() {
        assert_eq!(failing_sheet(LOG), Some(2));
        assert_eq!(failing_sheet("! error first\nnnexam: sheet 1\n"), None);
    }

    #[test]
    fn a_rerun_is_asked_only_by_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("x.log");
        std::fs::write(
            &log,
            "LaTeX Warning: Label(s) may have changed. Rerun to get cross-references right.\n",
        )
        .unwrap();
        assert!(asks_for_rerun(&log));
        std::fs::write(&log, "Output written on x.pdf (3 pages).\n").unwrap();
        assert!(!asks_for_rerun(&log));
        assert!(!asks_for_rerun(&dir.path().join("missing.log")));
    }
}
