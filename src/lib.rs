//! nnexam generates, solves and renders "compute the CNN forward and backward pass by hand"
//! exam exercises. The pipeline: read or sample a [`spec::Problem`] -> [`solve::solve`] it
//! exactly -> render or export. Only [`run`] (and the binary) touch files and the terminal.

pub mod cli;
pub mod error;
pub mod export;
pub mod generate;
pub mod matrix;
pub mod output;
pub mod pdf;
pub mod render;
pub mod solve;
pub mod spec;
pub mod workflow;

pub use cli::run;
pub use error::{Error, Result};
