//! nnexam generates, solves and renders "compute the CNN forward and backward pass by hand"
//! exam exercises.
//!
//! The modules, from the face down; each uses only modules below it (a test keeps it so):
//!
//! | module | owns |
//! | --- | --- |
//! | [`cli`] | the command line (clap definitions; their doc comments are `--help`) |
//! | [`cmd`] | one file per command, each with one `execute`; reads inputs, writes outputs |
//! | [`workflow`] | folder-writing runs (`batch`, `exam`): staged folders, PDFs, progress |
//! | [`export`] | what a course needs around exercises: roster, keys, Moodle XML, sheet sets |
//! | [`grade`] | a class's responses against its key: carried errors, named misconceptions |
//! | [`render`] | every text a reader sees, through Tera templates |
//! | [`generate`] | seeded sampling of nice exercises |
//! | [`solve`] | the chain of steps: exact values, shown values, the workload |
//! | [`spec`] | the exercise as data, and the difficulty knobs of its sheet |
//! | [`number`] | how a number is rounded and printed, shared by everyone above |
//! | [`limits`] | what nnexam refuses, and why: every limit on its inputs, and bounded file reads |
//! | [`error`] | the one error type |
//!
//! Only `cmd`, `workflow` and the binary touch files, processes and the terminal (and
//! [`spec::load`], [`generate::config::load`] and [`render::load_template_dir`], which read the
//! one file or folder they are named after, through [`limits::read_file`]).

pub mod cli;
pub mod cmd;
pub mod error;
pub mod export;
pub mod generate;
pub mod grade;
pub mod limits;
pub mod number;
pub mod render;
pub mod solve;
pub mod spec;
pub mod workflow;

pub use cmd::run;
pub use error::{Error, Result};
