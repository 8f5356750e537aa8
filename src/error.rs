//! The one error type of the library. Every variant carries what a user needs to fix the input:
//! the key, the shapes involved, the file and position. Nothing here prints or exits; the binary
//! decides how to show an error and which exit code it earns.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in nnexam's library code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is not valid TOML/JSON, or has an unknown key or a value of the wrong type.
    /// `message` comes from the parser and already names the line and column.
    #[error("{origin} is not a valid exercise file: {message}")]
    Syntax {
        /// The file (or other source) that was read.
        origin: String,
        /// The parser's message.
        message: String,
    },

    /// A generator config is not valid TOML, or has an unknown key or a value of the wrong
    /// type. `message` comes from the parser and already names the line and column.
    #[error("{origin} is not a valid generator config: {message}")]
    ConfigSyntax {
        /// The file (or preset) that was read.
        origin: String,
        /// The parser's message.
        message: String,
    },

    /// A key has a value that parses but makes no exercise.
    #[error("invalid `{key}`: {problem}; {fix}")]
    Invalid {
        /// The key, flag or file at fault.
        key: String,
        /// What is wrong with it.
        problem: String,
        /// How to fix it.
        fix: String,
    },

    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "read".
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A template failed to render; `message` is Tera's full error chain.
    #[error("template error: {message}")]
    Template {
        /// Tera's error chain.
        message: String,
    },

    /// A signal (Ctrl-C, SIGTERM, SIGHUP) stopped a run that writes a folder; nothing was
    /// written. The binary exits with 128 + `signal`.
    #[error(
        "interrupted by {}: nothing was written",
        signal_hook::low_level::signal_name(*signal).unwrap_or("a signal")
    )]
    Interrupted {
        /// The signal's number.
        signal: i32,
    },

    /// The generator config admits no (or too few) valid exercises.
    #[error("{message}")]
    Unsatisfiable {
        /// Which rule rejected most draws and how to relax it.
        message: String,
    },
}

/// Longest line of a parser's message that an error quotes: parsers quote the offending source
/// line, which may be a whole file long.
const MAX_QUOTED_LINE: usize = 120;

/// `message` with every line cut to [`MAX_QUOTED_LINE`] characters (a cut line ends in `...`).
fn shorten_lines(message: &str) -> String {
    message
        .lines()
        .map(|line| match line.char_indices().nth(MAX_QUOTED_LINE) {
            Some((cut, _)) => format!("{}...", &line[..cut]),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    /// A `map_err` for an I/O failure while doing `action` (e.g. "read") to `path`:
    /// [`Error::Io`].
    pub fn io<'a>(
        action: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> Error + 'a {
        move |source| Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// [`Error::Syntax`] for `origin` from a parser's error, its quoted lines shortened.
    pub fn syntax(origin: &str, parser_error: impl std::fmt::Display) -> Self {
        Error::Syntax {
            origin: origin.to_string(),
            message: shorten_lines(&parser_error.to_string()),
        }
    }

    /// [`Error::ConfigSyntax`] for `origin` from a parser's error, its quoted lines shortened.
    pub fn config_syntax(origin: &str, parser_error: impl std::fmt::Display) -> Self {
        Error::ConfigSyntax {
            origin: origin.to_string(),
            message: shorten_lines(&parser_error.to_string()),
        }
    }

    /// Shorthand for [`Error::Invalid`], the most common variant.
    pub fn invalid(
        key: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            key: key.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quoted_lines_are_cut_and_short_ones_kept() {
        let long = format!("error at line 1\n1 | {}\n  | ^", "[".repeat(10_000));
        let short = shorten_lines(&long);
        let lines: Vec<&str> = short.lines().collect();
        assert_eq!(lines[0], "error at line 1");
        assert_eq!(lines[1].chars().count(), MAX_QUOTED_LINE + 3);
        assert!(lines[1].ends_with("..."));
        assert_eq!(lines[2], "  | ^");
    }
}
