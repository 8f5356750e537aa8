//! `nnexam moodle --count N --seed S`: a Moodle XML question bank on stdout.
//!
//! The XML is written question by question into an anonymous temporary file and copied to stdout
//! once complete: memory stays at a few hundred questions however large the quiz, and a failure
//! half-way (a config that runs out of distinct exercises) still prints nothing.

use std::io::{BufWriter, Seek, Write};
use std::path::PathBuf;

use super::{engine, load_config, write_error};
use crate::cli::MoodleArgs;
use crate::error::{Error, Result};
use crate::export::moodle::{self, QuizOptions, QuizWriter};
use crate::render::{entry, Format, LatexEngine};

/// Writes the quiz of `args.count` variants.
pub(super) fn execute(args: &MoodleArgs, out: &mut dyn Write) -> Result<()> {
    let (config, _) = load_config(&args.config)?;
    // The question, and the Markdown worked solution its feedback is made from.
    let (tera, decimal_mark) = engine(
        args.templates.as_deref(),
        &args.lang,
        LatexEngine::default(),
        &[entry::MOODLE_QUESTION, Format::Markdown.entry_template()],
    )?;
    let options = QuizOptions {
        decimals: usize::from(args.decimals),
        tolerance: args.tolerance,
        knobs: config.difficulty.resolve()?,
        choice: args.choice,
        decimal_mark,
    };
    let count = usize::try_from(args.count).expect("invariant: clap limits --count to 10000");
    let questions = moodle::quiz_questions(&config, &args.seed, count, &options, &tera)?;
    let spool_error = |source| Error::Io {
        action: "write the quiz to",
        path: PathBuf::from("a temporary file"),
        source,
    };
    let spool = tempfile::tempfile().map_err(spool_error)?;
    let mut quiz = QuizWriter::start(BufWriter::new(spool), &moodle::category(&args.seed))
        .map_err(spool_error)?;
    for chunk in questions {
        for question in &chunk? {
            quiz.push(question).map_err(spool_error)?;
        }
    }
    let mut spool = quiz
        .finish()
        .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
        .map_err(spool_error)?;
    spool.rewind().map_err(spool_error)?;
    std::io::copy(&mut spool, out)
        .and_then(|_| out.flush())
        .map_err(write_error("<stdout>"))
}
