//! Compiling LaTeX to PDF with the TeX installation on the machine (latexmk, or pdflatex run
//! twice), many documents in parallel on all cores. Runs external programs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rayon::prelude::*;

use super::Interrupt;
use crate::error::{Error, Result};

/// How many lines of a failing document's log a message shows.
const LOG_LINES: usize = 12;

/// Which TeX driver is installed, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    /// latexmk, which reruns pdflatex as needed.
    Latexmk,
    /// pdflatex alone, run twice.
    Pdflatex,
}

fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// latexmk when present (it reruns as needed), else pdflatex, else an error saying how to install.
pub fn find_driver() -> Result<Driver> {
    if runs("latexmk") && runs("pdflatex") {
        Ok(Driver::Latexmk)
    } else if runs("pdflatex") {
        Ok(Driver::Pdflatex)
    } else {
        Err(Error::invalid(
            "--pdf",
            "no pdflatex found on this machine",
            "install TeX Live (Debian/Ubuntu: `sudo apt-get install texlive-latex-extra lmodern \
             latexmk`), or drop --pdf and compile the .tex files elsewhere",
        ))
    }
}

/// Compiles one .tex file into a PDF beside it; on failure, the error quotes its log.
pub fn compile(driver: Driver, tex: &Path) -> Result<()> {
    let dir = tex.parent().unwrap_or(Path::new("."));
    let file = tex.file_name().unwrap_or_default();
    let run = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .arg(file)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    };
    let batch = ["-interaction=nonstopmode", "-halt-on-error"];
    let status = match driver {
        Driver::Latexmk => run(
            "latexmk",
            &[
                "-pdf",
                "-quiet",
                "-interaction=nonstopmode",
                "-halt-on-error",
            ],
        ),
        // Twice, so page references settle.
        Driver::Pdflatex => run("pdflatex", &batch).and_then(|s| {
            if s.success() {
                run("pdflatex", &batch)
            } else {
                Ok(s)
            }
        }),
    };
    match status {
        Ok(s) if s.success() => {
            remove_auxiliary_files(tex);
            Ok(())
        }
        Ok(_) => Err(Error::invalid(
            tex.display().to_string(),
            format!(
                "pdflatex failed:\n{}",
                log_excerpt(&tex.with_extension("log"))
            ),
            "fix the template or exercise text that the log points to",
        )),
        Err(source) => Err(Error::Io {
            action: "run pdflatex on",
            path: tex.to_path_buf(),
            source,
        }),
    }
}

/// Leaves only the .tex and the .pdf: the rest is pdflatex's scratch. A failed document keeps
/// its log for the error message.
fn remove_auxiliary_files(tex: &Path) {
    for ext in ["aux", "log", "fls", "fdb_latexmk", "out"] {
        // Best effort: a missing scratch file is the normal case for some drivers.
        let _ = std::fs::remove_file(tex.with_extension(ext));
    }
}

/// The error lines of a LaTeX log: each `!` line with the lines after it up to the `l.NN` line
/// that points into the source.
pub fn log_excerpt(log: &Path) -> String {
    let Ok(bytes) = std::fs::read(log) else {
        return format!("(no log at {})", log.display());
    };
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
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

/// Compiles every file on all cores. Returns the failures (all of them, in input order), so a
/// batch reports every broken document at once. `progress` is called after each document; once
/// `interrupt` is set, the documents not started yet are skipped (as failures).
pub fn compile_all(
    driver: Driver,
    files: &[PathBuf],
    progress: &(dyn Fn() + Sync),
    interrupt: &Interrupt,
) -> Vec<Error> {
    let results: Vec<Result<()>> = files
        .par_iter()
        // One document per task: each is a separate process, however unevenly long.
        .with_max_len(1)
        .map(|file| {
            interrupt.check()?;
            let result = compile(driver, file);
            progress();
            result
        })
        .collect();
    results.into_iter().filter_map(Result::err).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_excerpt_starts_at_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("x.log");
        std::fs::write(
            &log,
            "This is pdfTeX\nnoise\n! Undefined control sequence.\nl.12 \\foo\nmore\n",
        )
        .unwrap();
        let excerpt = log_excerpt(&log);
        assert!(excerpt.starts_with("! Undefined control sequence."));
        assert!(excerpt.contains("l.12"));
    }

    #[test]
    fn missing_log_is_reported_not_fatal() {
        assert!(log_excerpt(Path::new("/nonexistent/x.log")).contains("no log"));
    }
}
