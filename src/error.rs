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
    Syntax { origin: String, message: String },

    /// A generator config is not valid TOML, or has an unknown key or a value of the wrong
    /// type. `message` comes from the parser and already names the line and column.
    #[error("{origin} is not a valid generator config: {message}")]
    ConfigSyntax { origin: String, message: String },

    /// A key has a value that parses but makes no exercise.
    #[error("invalid `{key}`: {problem}; {fix}")]
    Invalid {
        key: String,
        problem: String,
        fix: String,
    },

    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A template failed to render; `message` is Tera's full error chain.
    #[error("template error: {message}")]
    Template { message: String },

    /// Ctrl-C stopped a run that writes a folder; nothing was written.
    #[error("interrupted: nothing was written")]
    Interrupted,

    /// The generator config admits no (or too few) valid exercises.
    #[error("{message}")]
    Unsatisfiable { message: String },
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

pub type Result<T, E = Error> = std::result::Result<T, E>;
