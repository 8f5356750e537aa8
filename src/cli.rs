//! The command line: clap definitions only. Their doc comments are the `--help` text; what
//! each command does is in the `cmd` module, which uses these types (never the other way).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::export::moodle;
use crate::generate;
use crate::render::{lang, AnswerStyle, Format, LatexEngine, Part};
use crate::solve::shown::Rounding;
use crate::spec::difficulty::{PartName, Preset, TransposedConv};

/// Generate, solve and render "CNN forward and backward pass by hand" exam exercises.
///
/// Start with `nnexam solve exercises/task-3-1.toml` to see the full solution of the bundled
/// exercise (Task 3.1: 5x5 input, 2x2 filter, ReLU, 2x2 max pool, sigmoid output, BCE loss).
#[derive(Debug, Parser)]
#[command(name = "nnexam", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of nnexam.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Solve an exercise file exactly: forward pass, loss, all gradients, the convolution
    /// matrix and the SGD update.
    ///
    /// The file is TOML (or JSON when it ends in .json) with the keys x, f1, b1, w2, b2, y, lr and
    /// optionally activation (relu|leaky_relu|sigmoid|tanh), loss (bce|mse), a conv table with
    /// stride and padding, and a pool table with kind (max|avg), size and stride. See
    /// exercises/task-3-1.toml.
    Solve(SolveArgs),
    /// Sample a fresh exercise with numbers a student can work by hand, from a seed: the same
    /// seed and config give the same exercise on any machine, in any later version.
    ///
    /// The default config reproduces Task 3.1's shape and style (5x5 input, 2x2 filter, ReLU,
    /// 2x2 max pool, 4 weights, BCE, y = 1, lr = 0.5); exercises/presets/default.toml shows and
    /// explains every key of a generator config.
    Generate(GenerateArgs),
    /// Render a hand-written exercise file as a question sheet and worked solution (LaTeX or
    /// Markdown).
    ///
    /// The exercise is solved exactly; the shown numbers are rounded as --decimals and
    /// --rounding say. The difficulty knobs (--difficulty and the flags after it) decide what
    /// the question asks and gives. Output goes to standard output.
    Render(RenderCommandArgs),
    /// Per-student homework from a class roster: one folder per student with the question,
    /// the worked solution (in each --format) and the exercise JSON, plus the answer key of the
    /// class as key.csv and key.json.
    ///
    /// Reproducible: the same roster, course seed and config give the same folder next year.
    Batch(BatchArgs),
    /// Exam variants: one question sheet per variant (exam-A.tex, ...) with its label in the
    /// header, one solutions document with every variant, the exercises' JSON and the key.
    Exam(ExamArgs),
    /// Write a Moodle XML question bank of COUNT Cloze questions, one distinct generated
    /// exercise each, to standard output.
    ///
    /// `nnexam moodle --count 30 --seed ML2026 > quiz.xml`, then import quiz.xml in Moodle's
    /// question bank as "Moodle XML format".
    ///
    /// Question k is generated from the seed text "SEED/k" (k zero-padded to the width of
    /// COUNT: ML2026/01 ... ML2026/30; "SEED/k#2" and so on when an earlier variant already has
    /// that exercise), is named "SEED k" so that names sort in order, and has that seed text as
    /// its ID number: `nnexam generate --seed "<ID number>"` with the same --config or --preset
    /// regenerates it and its worked solution. The category is nnexam/SEED.
    ///
    /// Each question gives the exercise and has one numerical gap for y_hat, the loss and every
    /// entry of the updated W2, B2, F1 and B1. A gap accepts any answer within an absolute
    /// tolerance of the exact value: by default 10^-D + |stepwise - exact|, where D is
    /// --decimals and "stepwise" is the value a student gets who rounds every intermediate
    /// result to D decimals (as the stepwise worked solution does). So rounding only at the end
    /// and rounding as you go are both accepted. --tolerance replaces this with one fixed value.
    Moodle(MoodleArgs),
    /// Grade a class's responses against the key.json that batch or exam wrote: every answer
    /// correct, carried forward, a named misconception, wrong or blank, with points,
    /// per-student feedback and a class report.
    ///
    /// `nnexam grade --template --key hw/key.json > responses.csv` writes the responses file to
    /// fill in (id, name and one column per answer; comma or semicolon separated, decimal point
    /// or comma). Columns may also hold intermediate steps named after the chain (z2, d_z2,
    /// z1_1_1, d_f1_2_1, ...), which feed the carried-forward grading. Then
    /// `nnexam grade --key hw/key.json --responses responses.csv --out hw-marks` writes
    /// marks.csv, marks.json, feedback/<folder>.md and .tex, report.md, report.tex and
    /// report.svg.
    ///
    /// A value is carried forward when it is what the chain gives from the student's own
    /// earlier answers, so one early slip costs once; it is a misconception when a named
    /// mistake (see `nnexam misconceptions`) gives it.
    Grade(GradeArgs),
    /// List the misconceptions grading recognises and multiple choice draws distractors from.
    Misconceptions {
        /// Folder of templates that override the built-ins by name (see `templates eject`).
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        /// Language of the catalogue: en or de.
        #[arg(long, default_value = "en", value_parser = clap::builder::PossibleValuesParser::new(lang::codes()))]
        lang: String,
    },
    /// Work with the built-in templates.
    Templates {
        /// What to do with them.
        #[command(subcommand)]
        action: TemplatesAction,
    },
}

/// Which generator config to sample from: shared by every command that generates.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Generator config file (TOML); see exercises/presets/default.toml.
    #[arg(long, conflicts_with = "preset")]
    pub config: Option<PathBuf>,
    /// Bundled generator config.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(
        generate::PRESETS.iter().map(|(name, _)| *name)
    ))]
    pub preset: Option<String>,
}

/// Arguments of `solve`.
#[derive(Debug, Args)]
pub struct SolveArgs {
    /// Exercise file (.toml or .json).
    pub file: PathBuf,
    /// Output format: a readable summary, or the full-precision JSON contract.
    #[arg(long, value_enum, default_value_t = SolveFormat::Text)]
    pub format: SolveFormat,
    /// Decimals of the shown values in the JSON's `shown` object.
    #[arg(long, default_value_t = 3, allow_hyphen_values = true,
          value_parser = clap::value_parser!(u8).range(0..=10))]
    pub decimals: u8,
    /// How the JSON's `shown` values are derived (see `render --help`).
    #[arg(long, value_enum, default_value_t = Rounding::Stepwise)]
    pub rounding: Rounding,
    /// Folder of templates that override the built-ins by name (text/solution.txt; see
    /// `templates eject`).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

/// Arguments of `render`.
#[derive(Debug, Args)]
pub struct RenderCommandArgs {
    /// Exercise file (.toml or .json), as for `solve`.
    pub file: PathBuf,
    /// Output format: a LaTeX document for pdflatex, or Markdown with $...$ math.
    #[arg(long, value_enum, default_value_t = Format::Latex)]
    pub format: Format,
    #[command(flatten)]
    /// Which sheets the document holds.
    pub sheet: SheetArgs,
    #[command(flatten)]
    /// How the sheets are rendered.
    pub render: RenderArgs,
}

/// Where a folder-writing command (`batch`, `exam`) writes, and in which formats.
#[derive(Debug, Clone, Args)]
pub struct FolderArgs {
    /// Output folder. It is written all at once at the end (nothing appears on failure or
    /// Ctrl-C) and must be new or empty unless --force.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Formats of the sheets, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "latex,markdown"
    )]
    pub format: Vec<Format>,
    /// Also compile every LaTeX sheet to PDF with pdflatex (the class's sheets together, on all
    /// cores), and write questions-print.pdf and solutions-print.pdf: every sheet in order, each
    /// starting on an odd page, with the name and id in the header.
    #[arg(long)]
    pub pdf: bool,
    /// Replace a non-empty output folder.
    #[arg(long)]
    pub force: bool,
    /// No progress bar (it is also hidden when stderr is not a terminal).
    #[arg(long)]
    pub quiet: bool,
    /// Absolute tolerance of every graded answer in the key. Default: 10^-D plus the distance
    /// between the exact answer and the stepwise worked solution's, so that both a student who
    /// rounds only at the end and one who follows the sheet's rounded steps are accepted.
    #[arg(long, value_name = "T", allow_hyphen_values = true, value_parser = parse_tolerance)]
    pub tolerance: Option<f64>,
}

/// What `batch` and `exam` share: the config sampled, where and how the folder is written, and
/// how sheets are rendered.
#[derive(Debug, Args)]
pub struct FolderRunArgs {
    #[command(flatten)]
    /// Which generator config to sample from.
    pub config: ConfigArgs,
    #[command(flatten)]
    /// Where and how the folder is written.
    pub folder: FolderArgs,
    #[command(flatten)]
    /// How the sheets are rendered.
    pub render: RenderArgs,
}

/// Arguments of `batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Class roster: CSV with a header line, an `id` column and optionally a `name` column;
    /// other columns are ignored. UTF-8 (a byte-order mark is fine).
    #[arg(long, value_name = "CSV")]
    pub roster: PathBuf,
    /// Course seed text: student ID gets the exercise of seed "COURSE-SEED/ID", so
    /// `nnexam generate --seed "COURSE-SEED/ID"` reproduces one sheet alone. If two students
    /// would get the same exercise, the later one (roster order) gets "COURSE-SEED/ID#2"
    /// (then #3, ...); key.csv records the seed actually used.
    #[arg(long, allow_hyphen_values = true)]
    pub course_seed: String,
    #[command(flatten)]
    /// Config, folder and sheet flags.
    pub run: FolderRunArgs,
}

/// Arguments of `exam`.
#[derive(Debug, Args)]
pub struct ExamArgs {
    /// Variant labels, comma-separated, e.g. A,B,C.
    #[arg(long, value_delimiter = ',', required = true)]
    pub variants: Vec<String>,
    /// Exam seed text: variant L gets the exercise of seed "SEED/L" (then "SEED/L#2", ... if two
    /// variants would be equal); the key records the seed actually used.
    #[arg(long, allow_hyphen_values = true)]
    pub seed: String,
    #[command(flatten)]
    /// Config, folder and sheet flags.
    pub run: FolderRunArgs,
}

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Seed text, e.g. 7 or "ML2026/exam1/A". Every seed is text: the SHA-256 of its UTF-8
    /// bytes keys a ChaCha8 stream, so 7 and 07 are different seeds.
    #[arg(long, allow_hyphen_values = true)]
    pub seed: String,
    #[command(flatten)]
    /// Which generator config to sample from.
    pub config: ConfigArgs,
    /// Output format: an exercise file for `nnexam solve`, its solution as text, or the
    /// `solve --format json` contract.
    #[arg(long, value_enum, default_value_t = GenerateFormat::Toml)]
    pub format: GenerateFormat,
    /// Print acceptance statistics (attempts, rejections by rule) to stderr.
    #[arg(long)]
    pub stats: bool,
    #[command(flatten)]
    /// Which sheets the document holds (latex and markdown formats).
    pub sheet: SheetArgs,
    #[command(flatten)]
    /// How the sheets are rendered (latex and markdown formats).
    pub render: RenderArgs,
}

/// Arguments of `grade`.
#[derive(Debug, Args)]
pub struct GradeArgs {
    /// The key.json that batch or exam wrote.
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// Write an empty responses CSV for the key to standard output instead of grading.
    #[arg(long)]
    pub template: bool,
    /// Responses CSV: a header with id (and optionally name) and answer names, one row per
    /// student.
    #[arg(
        long,
        value_name = "CSV",
        required_unless_present = "template",
        conflicts_with = "template"
    )]
    pub responses: Option<PathBuf>,
    /// Output folder; it appears only when complete.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "template",
        conflicts_with = "template"
    )]
    pub out: Option<PathBuf>,
    /// Replace a non-empty output folder.
    #[arg(long)]
    pub force: bool,
    /// Show the value the sheet prints beside every answer that is not right.
    #[arg(long)]
    pub reveal: bool,
    /// Share of an answer's points a carried-forward answer earns (0 to 1).
    #[arg(long, value_name = "F", default_value_t = 1.0, allow_hyphen_values = true,
          value_parser = parse_credit)]
    pub ecf_credit: f64,
    /// Share of an answer's points an answer showing a misconception earns (0 to 1).
    #[arg(long, value_name = "F", default_value_t = 0.0, allow_hyphen_values = true,
          value_parser = parse_credit)]
    pub misconception_credit: f64,
    /// No progress bar (it is also hidden when stderr is not a terminal).
    #[arg(long)]
    pub quiet: bool,
    /// Folder of templates that override the built-ins by name (grade/*; see `templates eject`).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Language of the feedback and the report: en, or de (German, decimal comma). A
    /// --templates folder overrides the language's templates by name.
    #[arg(long, default_value = "en", value_parser = clap::builder::PossibleValuesParser::new(lang::codes()))]
    pub lang: String,
    /// The program that compiles the LaTeX: pdflatex prints Latin letters only
    /// (others as ?, with a warning); lualatex prints Greek, Cyrillic, Chinese, Japanese and
    /// Korean names too (needs fonts-noto-core and fonts-noto-cjk; slower).
    #[arg(long, value_enum, default_value_t = LatexEngine::Pdflatex)]
    pub latex_engine: LatexEngine,
}

/// A credit share: a number from 0 to 1.
fn parse_credit(text: &str) -> std::result::Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!(
            "`{text}` is not a share from 0 to 1; give e.g. 0.5"
        )),
    }
}

/// Arguments of `moodle`.
#[derive(Debug, Args)]
pub struct MoodleArgs {
    /// Number of questions (variants), 1 to 10000.
    #[arg(long, allow_hyphen_values = true,
          value_parser = clap::value_parser!(u32).range(1..=moodle::MAX_COUNT as i64))]
    pub count: u32,
    /// Seed text of the quiz, e.g. "ML2026/quiz3"; see above for the seeds of the questions.
    #[arg(long, allow_hyphen_values = true)]
    pub seed: String,
    #[command(flatten)]
    /// Which generator config to sample from.
    pub config: ConfigArgs,
    /// Decimals the questions ask for (at most 6); sets the default tolerance.
    #[arg(long, default_value_t = 3, allow_hyphen_values = true,
          value_parser = clap::value_parser!(u8).range(0..=i64::from(moodle::MAX_DECIMALS)))]
    pub decimals: u8,
    /// Absolute tolerance of every gap, instead of the one derived from --decimals (finite, at
    /// least 0.000001).
    #[arg(long, value_name = "T", allow_hyphen_values = true, value_parser = parse_tolerance)]
    pub tolerance: Option<f64>,
    /// Multiple choice instead of typed numbers: every gap a shuffled drop-down of the right
    /// value and three distractors, the values that named mistakes give (`nnexam
    /// misconceptions`), filled up with a sign or learning-rate slip where fewer apply.
    #[arg(long)]
    pub choice: bool,
    /// Folder of templates that override the built-ins by name (moodle/question.html; see
    /// `templates eject`).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Language of the questions' text and numbers: en, or de (German, decimal comma). A
    /// --templates folder overrides the language's templates by name.
    #[arg(long, default_value = "en", value_parser = clap::builder::PossibleValuesParser::new(lang::codes()))]
    pub lang: String,
}

/// `--tolerance`: a number that [`moodle::check_tolerance`] accepts.
fn parse_tolerance(text: &str) -> std::result::Result<f64, String> {
    let tolerance: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number; give e.g. 0.01"))?;
    moodle::check_tolerance(tolerance).map_err(|e| e.to_string())?;
    Ok(tolerance)
}

/// `nnexam templates ...`
#[derive(Debug, Subcommand)]
pub enum TemplatesAction {
    /// Write every built-in template into DIR (latex/, markdown/, moodle/, text/) for editing,
    /// in the language --lang; use the folder with --templates DIR. Files that exist are not
    /// overwritten unless --force.
    Eject {
        /// Folder to write into; created if missing.
        dir: PathBuf,
        /// Write the templates of this language: its own where it has them, English where not.
        #[arg(long, default_value = "en", value_parser = clap::builder::PossibleValuesParser::new(lang::codes()))]
        lang: String,
        /// Overwrite templates that already exist in DIR.
        #[arg(long)]
        force: bool,
    },
}

/// Which sheet one document holds: for `render` and `generate`, which write one document.
#[derive(Debug, Clone, Copy, Args)]
pub struct SheetArgs {
    /// Which sheet: the question, the worked solution, or both (solution on a new page).
    #[arg(long, value_enum, default_value_t = Part::Both)]
    pub part: Part,
    /// Only the body, for \input into your own exam document (needs amsmath, amssymb and
    /// graphicx there).
    #[arg(long)]
    pub fragment: bool,
}

/// How to render exercises: shared by every command that writes question sheets or solutions.
#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// Decimals of every computed number shown (inputs are always shown in full).
    #[arg(long, default_value_t = 3, allow_hyphen_values = true,
          value_parser = clap::value_parser!(u8).range(0..=10))]
    pub decimals: u8,
    /// exact: every shown number is the exact value rounded. stepwise: every step is computed
    /// from the rounded numbers shown before it, as a student with a calculator does, so every
    /// line can be checked from the lines above it.
    #[arg(long, value_enum, default_value_t = Rounding::Stepwise)]
    pub rounding: Rounding,
    /// Folder of templates that override the built-ins by name (see `templates eject`).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Language of the sheets' text and numbers: en, or de (German, decimal comma). A
    /// --templates folder overrides the language's templates by name.
    #[arg(long, default_value = "en", value_parser = clap::builder::PossibleValuesParser::new(lang::codes()))]
    pub lang: String,
    /// The program that compiles the LaTeX (--pdf runs it): pdflatex prints Latin letters only
    /// (others as ?, with a warning); lualatex prints Greek, Cyrillic, Chinese, Japanese and
    /// Korean names too (needs fonts-noto-core and fonts-noto-cjk; slower).
    #[arg(long, value_enum, default_value_t = LatexEngine::Pdflatex)]
    pub latex_engine: LatexEngine,
    /// Named difficulty: short (every shortening from the task notes), standard (the
    /// transposed convolution matrix as a bonus), full (everything asked). The flags below
    /// override it. [default: standard]
    #[arg(long, value_enum, value_name = "PRESET")]
    pub difficulty: Option<Preset>,
    /// Parts to ask, comma-separated: a (forward), b (backward and update), c (dC/dP0, needs b).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub parts: Option<Vec<PartName>>,
    /// Give the conv forward pass: Z1 is shown in the question.
    #[arg(long)]
    pub give_z1: bool,
    /// Give the first K entries of dC/dW2 and of the updated W2 in the question (at most all
    /// but one).
    #[arg(long, value_name = "K", allow_hyphen_values = true)]
    pub give_d_w2: Option<usize>,
    /// The transposed convolution matrix: ask it in part b, as an extra (bonus) question, or
    /// omit it.
    #[arg(long, value_enum)]
    pub transposed_conv: Option<TransposedConv>,
    /// Give the updated F1 except N entries to fill in.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub give_f1_except: Option<usize>,
    /// Refused: giving dC/dZ1 gives the solution away (Notes on Task 3.1).
    #[arg(long)]
    pub give_d_z1: bool,
    /// Refused: giving dC/dP0 gives the solution away (Notes on Task 3.1).
    #[arg(long)]
    pub give_d_p0: bool,
    /// Points of part a.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub points_a: Option<u32>,
    /// Points of part b.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub points_b: Option<u32>,
    /// Points of part c.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub points_c: Option<u32>,
    /// Points of the bonus question.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub points_bonus: Option<u32>,
    /// Add the instructor's note (the workload estimate per part) to the worked solution.
    /// Students' copies never carry it.
    #[arg(long)]
    pub instructor: bool,
    /// Leave room to work under every part of the question sheet.
    #[arg(long)]
    pub space: bool,
    /// value: a box to write each number in. choice: a box for a letter, and under each part
    /// four lettered options per answer (the right value and three that named mistakes give,
    /// see `nnexam misconceptions`), in an order drawn from the seed; the key records the
    /// right letter.
    #[arg(long, value_enum, default_value_t = AnswerStyle::Value)]
    pub answer_style: AnswerStyle,
}

/// Output formats of `solve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SolveFormat {
    /// Every intermediate matrix and number, labelled, rounded to 4 decimals.
    Text,
    /// `{problem, forward, backward, update}` at full float precision, and `shown`: the
    /// worked solution's numbers as printed (see --decimals, --rounding).
    Json,
}

/// Output formats of `generate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GenerateFormat {
    /// The exercise file, with a comment saying how to regenerate it.
    Toml,
    /// The exercise's full solution, as `solve` prints it.
    Text,
    /// The `solve --format json` contract: exact values and the `shown` ones (see
    /// --decimals, --rounding).
    Json,
    /// Question sheet and/or worked solution as a LaTeX document (see --part, --fragment).
    Latex,
    /// Question sheet and/or worked solution as Markdown with $...$ math.
    Markdown,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_negative_number_is_refused_by_its_flag() {
        // Issue 10: `--decimals -1` said "unexpected argument '-1'", naming no flag.
        for (args, flag) in [
            (&["render", "f.toml", "--decimals", "-1"][..], "--decimals"),
            (
                &["generate", "--seed", "7", "--points-a", "-5"],
                "--points-a",
            ),
            (&["render", "f.toml", "--give-d-w2", "-1"], "--give-d-w2"),
            (
                &["render", "f.toml", "--give-f1-except", "-2"],
                "--give-f1-except",
            ),
            (&["solve", "f.toml", "--decimals", "-3"], "--decimals"),
            (&["moodle", "--count", "-1", "--seed", "s"], "--count"),
            (
                &["moodle", "--count", "2", "--seed", "s", "--decimals", "-1"],
                "--decimals",
            ),
        ] {
            let err = Cli::try_parse_from(std::iter::once("nnexam").chain(args.iter().copied()))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("invalid value '-") && err.contains(&format!("'{flag} <")),
                "{args:?}: {err}"
            );
        }
    }
}
