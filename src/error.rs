//! The one error type of the library. Every variant carries what a user needs to fix the input:
//! the key, the shapes involved, the file and position. Nothing here prints or exits; the binary
//! decides how to show an error and which exit code it earns.

use std::path::PathBuf;

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

    /// Ctrl-C stopped a run that writes a folder; nothing was written.
    #[error("interrupted: nothing was written")]
    Interrupted,

    /// The generator config admits no (or too few) valid exercises.
    #[error("{message}")]
    Unsatisfiable {
        /// Which rule rejected most draws and how to relax it.
        message: String,
    },
}

impl Error {
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
