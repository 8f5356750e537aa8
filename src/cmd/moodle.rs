//! `nnexam moodle --count N --seed S`: a Moodle XML question bank on stdout.

use std::io::Write;

use super::{engine, load_config, write_stdout};
use crate::cli::MoodleArgs;
use crate::error::Result;
use crate::export::moodle::{self, QuizOptions};
use crate::render::entry;

/// Writes the quiz of `args.count` variants.
pub(super) fn execute(args: &MoodleArgs, out: &mut dyn Write) -> Result<()> {
    let options = QuizOptions {
        decimals: usize::from(args.decimals),
        tolerance: args.tolerance,
    };
    let tera = engine(args.templates.as_deref(), &[entry::MOODLE_QUESTION])?;
    let (config, _) = load_config(&args.config)?;
    let count = usize::try_from(args.count).expect("invariant: clap limits --count to 10000");
    let xml = moodle::quiz(&config, &args.seed, count, &options, &tera)?;
    write_stdout(out, &xml)
}
