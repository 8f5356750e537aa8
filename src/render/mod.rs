//! Everything a reader sees as text is rendered here through Tera templates (see `templates/`):
//! Rust supplies numbers and structure, the templates supply every sentence. Built-in templates
//! are embedded in the binary, so the tool works from any directory; a user's template folder
//! overrides them by name. Owns the engine, [`RenderOptions`] and [`render_exercise`]; the only
//! I/O here is [`load_template_dir`], which reads a user's template folder (like `spec::load`).
//! It reads shown values from [`crate::solve::shown`], never recomputes them.
//!
//! Submodules: `context` (what the sheet templates see), `filters`, and `recursion` (templates
//! that would never finish are refused when the engine is built).

pub mod context;
pub mod family;
pub mod filters;
pub mod lang;
mod recursion;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tera::{Context, Tera};

use crate::error::{Error, Result};
use crate::generate::choice::Choice;
use crate::number::DecimalMark;
use crate::solve::shown::{self, Rounding, Shown};
use crate::solve::Solution;
use crate::spec::difficulty::{Knobs, TransposedConv};
use crate::spec::Problem;

/// Built-in templates: (name, text). Names are the paths below `templates/`.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "text/solution.txt",
        include_str!("../../templates/text/solution.txt"),
    ),
    (
        "language.toml",
        include_str!("../../templates/language.toml"),
    ),
    (
        "latex/fonts.tex",
        include_str!("../../templates/latex/fonts.tex"),
    ),
    (
        "latex/language.tex",
        include_str!("../../templates/latex/language.tex"),
    ),
    (
        "text/generate-stats.txt",
        include_str!("../../templates/text/generate-stats.txt"),
    ),
    (
        "text/run-summary.txt",
        include_str!("../../templates/text/run-summary.txt"),
    ),
    (
        "text/unprintable.txt",
        include_str!("../../templates/text/unprintable.txt"),
    ),
    (
        "text/misconceptions.txt",
        include_str!("../../templates/text/misconceptions.txt"),
    ),
    (
        "toml/exercise.toml",
        include_str!("../../templates/toml/exercise.toml"),
    ),
    (
        "grade/feedback.md",
        include_str!("../../templates/grade/feedback.md"),
    ),
    (
        "grade/feedback.tex",
        include_str!("../../templates/grade/feedback.tex"),
    ),
    (
        "grade/report.md",
        include_str!("../../templates/grade/report.md"),
    ),
    (
        "grade/report.tex",
        include_str!("../../templates/grade/report.tex"),
    ),
    (
        "grade/report.svg",
        include_str!("../../templates/grade/report.svg"),
    ),
    (
        "shared/grading.tera",
        include_str!("../../templates/shared/grading.tera"),
    ),
    (
        "shared/misconceptions.tera",
        include_str!("../../templates/shared/misconceptions.tera"),
    ),
    (
        "latex/exam.tex",
        include_str!("../../templates/latex/exam.tex"),
    ),
    (
        "latex/identity.tex",
        include_str!("../../templates/latex/identity.tex"),
    ),
    (
        "latex/math.tex",
        include_str!("../../templates/latex/math.tex"),
    ),
    (
        "latex/preamble.tex",
        include_str!("../../templates/latex/preamble.tex"),
    ),
    (
        "latex/page-style.tex",
        include_str!("../../templates/latex/page-style.tex"),
    ),
    (
        "latex/question.tex",
        include_str!("../../templates/latex/question.tex"),
    ),
    (
        "latex/solutions.tex",
        include_str!("../../templates/latex/solutions.tex"),
    ),
    (
        "latex/solution.tex",
        include_str!("../../templates/latex/solution.tex"),
    ),
    (
        "latex/class.tex",
        include_str!("../../templates/latex/class.tex"),
    ),
    (
        "latex/class-setup.tex",
        include_str!("../../templates/latex/class-setup.tex"),
    ),
    (
        "latex/sheet-start.tex",
        include_str!("../../templates/latex/sheet-start.tex"),
    ),
    (
        "markdown/exam.md",
        include_str!("../../templates/markdown/exam.md"),
    ),
    (
        "markdown/identity.md",
        include_str!("../../templates/markdown/identity.md"),
    ),
    (
        "markdown/question.md",
        include_str!("../../templates/markdown/question.md"),
    ),
    (
        "markdown/solutions.md",
        include_str!("../../templates/markdown/solutions.md"),
    ),
    (
        "markdown/solution.md",
        include_str!("../../templates/markdown/solution.md"),
    ),
    (
        "moodle/question.html",
        include_str!("../../templates/moodle/question.html"),
    ),
    (
        "moodle/answers.html",
        include_str!("../../templates/moodle/answers.html"),
    ),
    (
        "shared/prose.tera",
        include_str!("../../templates/shared/prose.tera"),
    ),
    (
        "shared/mt-grid.tera",
        include_str!("../../templates/shared/mt-grid.tera"),
    ),
    (
        "shared/choices.tera",
        include_str!("../../templates/shared/choices.tera"),
    ),
    (
        "shared/question.tera",
        include_str!("../../templates/shared/question.tera"),
    ),
    (
        "shared/solution.tera",
        include_str!("../../templates/shared/solution.tera"),
    ),
    (
        "moodle/family-question.html",
        include_str!("../../templates/moodle/family-question.html"),
    ),
    (
        "shared/family.tera",
        include_str!("../../templates/shared/family.tera"),
    ),
    (
        "shared/family-question.tera",
        include_str!("../../templates/shared/family-question.tera"),
    ),
    (
        "shared/family-solution.tera",
        include_str!("../../templates/shared/family-solution.tera"),
    ),
];

/// The names of the entry templates, the ones a command renders (the others are included,
/// imported or extended by them). A command builds its engine from the entries it renders
/// ([`engine_for`]); the sheets' entries are [`Format::entry_template`] and
/// [`Format::solutions_template`].
pub mod entry {
    /// `solve`'s and `generate --format text`'s summary of every value.
    pub const SOLUTION_TEXT: &str = "text/solution.txt";
    /// `generate --stats`' acceptance statistics.
    pub const GENERATE_STATS: &str = "text/generate-stats.txt";
    /// The closing line of `batch` and `exam`.
    pub const RUN_SUMMARY: &str = "text/run-summary.txt";
    /// `generate --format toml`'s exercise file.
    pub const EXERCISE_TOML: &str = "toml/exercise.toml";
    /// One Moodle Cloze question.
    pub const MOODLE_QUESTION: &str = "moodle/question.html";
    /// Many LaTeX sheets as one document, for `--pdf`.
    pub const CLASS_DOCUMENT: &str = "latex/class.tex";
    /// The start of a sheet in a class document.
    pub const SHEET_START: &str = "latex/sheet-start.tex";
    /// The warning on numbers a sheet cannot print as they are.
    pub const UNPRINTABLE: &str = "text/unprintable.txt";
    /// `nnexam misconceptions`: the catalogue of named mistakes.
    pub const MISCONCEPTIONS: &str = "text/misconceptions.txt";
    /// A student's feedback, one per format.
    pub const GRADE_FEEDBACK: [&str; 2] = ["grade/feedback.md", "grade/feedback.tex"];
    /// The class report, one per format, and its histogram.
    pub const GRADE_REPORT: [&str; 3] = ["grade/report.md", "grade/report.tex", "grade/report.svg"];
}

/// The guide to the templates (delimiters, escaping, filters, every template's context), written
/// beside them by `templates eject`: `(file name, text)`.
pub const GUIDE: (&str, &str) = ("README.md", include_str!("../../templates/README.md"));

/// File endings read from a user's template folder; everything else there is ignored.
const TEMPLATE_EXTENSIONS: &[&str] = &["tex", "md", "txt", "html", "toml", "tera", "svg"];

/// Most files and folders a template folder may hold: the built-ins are a few dozen, and a
/// wrong folder (a home directory, `/`) is refused rather than read for hours.
const MAX_TEMPLATE_ENTRIES: usize = 10_000;

/// Output format of `render`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// LaTeX for pdflatex: a standalone document, or with `--fragment` a body to `\input`.
    #[default]
    Latex,
    /// Markdown with `$...$`/`$$...$$` math (KaTeX and pandoc).
    Markdown,
}

impl Format {
    /// The entry template of this format.
    pub fn entry_template(self) -> &'static str {
        match self {
            Format::Latex => "latex/exam.tex",
            Format::Markdown => "markdown/exam.md",
        }
    }

    /// The template of an exam's document with every variant's solution in this format.
    pub fn solutions_template(self) -> &'static str {
        match self {
            Format::Latex => "latex/solutions.tex",
            Format::Markdown => "markdown/solutions.md",
        }
    }
}

/// The program that compiles the LaTeX documents. The preamble's fonts follow it (the
/// `latex_engine()` template function), and so does `latex_escape`: what the fonts lack prints
/// as `?`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LatexEngine {
    /// pdflatex: Latin Modern in the T1 encoding, Latin letters only; fast.
    #[default]
    Pdflatex,
    /// lualatex: Latin Modern, falling back to Noto Serif and Noto Serif CJK, so that Greek,
    /// Cyrillic, Chinese, Japanese and Korean names print as written; slower.
    Lualatex,
}

impl LatexEngine {
    /// The program's name, as it is run.
    pub fn program(self) -> &'static str {
        match self {
            LatexEngine::Pdflatex => "pdflatex",
            LatexEngine::Lualatex => "lualatex",
        }
    }
}

/// Which sheet to render.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// The question sheet handed to students.
    Question,
    /// The worked solution for the TA.
    Solution,
    /// Question, then solution on a new page.
    #[default]
    Both,
}

impl Part {
    /// True when the question sheet is included.
    pub fn has_question(self) -> bool {
        matches!(self, Part::Question | Part::Both)
    }

    /// True when the worked solution is included.
    pub fn has_solution(self) -> bool {
        matches!(self, Part::Solution | Part::Both)
    }
}

/// What a rendered sheet says about where it comes from and whom it is for. All of it is user
/// text (seed, file name, roster entries), which the templates escape.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// Seed text the exercise was generated from: `nnexam generate --seed` regenerates it.
    pub seed: Option<String>,
    /// Exercise file it was read from.
    pub file: Option<String>,
    /// Exam variant label (A, B, ...).
    pub variant: Option<String>,
    /// Student id and name of a per-student sheet.
    pub student_id: Option<String>,
    /// Student name of a per-student sheet.
    pub student_name: Option<String>,
    /// The command that regenerates the exercise and this sheet's options (without the
    /// format and part, which each document adds), for the footer and its QR code.
    pub command: Option<String>,
    /// The short SHA-256 of the generator config file the command names, if it names one.
    pub config_fingerprint: Option<String>,
}

/// How to render one exercise.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderOptions {
    /// LaTeX or Markdown.
    pub format: Format,
    /// Question, solution or both.
    pub part: Part,
    /// Body only (no preamble or document wrapper), for `\input` into another document.
    pub fragment: bool,
    /// Decimals of every computed number shown.
    pub decimals: usize,
    /// Which numbers the worked solution shows.
    pub rounding: Rounding,
    /// What the question asks and gives.
    pub knobs: Knobs,
    /// Who and what the sheet is for (seed or file in the footer, so a TA can regenerate the
    /// key; variant and student in the header). User text: templates escape it.
    pub identity: Identity,
    /// The solution carries the instructor's note (the workload estimate): for teachers'
    /// copies, never for students'.
    pub instructor: bool,
    /// The question leaves room to work under every part.
    pub space: bool,
    /// How the language writes the decimal mark of every number shown (in math, `{,}` for a
    /// comma).
    pub decimal_mark: DecimalMark,
    /// Numbers to write in, or lettered options to choose from.
    pub answer_style: AnswerStyle,
    /// With [`AnswerStyle::Choice`], the options of every graded answer (see
    /// `export::key::choose`); empty otherwise.
    pub choices: Vec<Choice>,
}

/// How the question sheet asks for its answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum AnswerStyle {
    /// A box to write the number in.
    #[default]
    Value,
    /// A box for the letter, and four lettered options under each part: the right value and
    /// three that named mistakes give.
    Choice,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            format: Format::Latex,
            part: Part::Both,
            fragment: false,
            decimals: 3,
            rounding: Rounding::default(),
            knobs: Knobs::default(),
            identity: Identity::default(),
            instructor: false,
            space: false,
            answer_style: AnswerStyle::Value,
            choices: Vec::new(),
            decimal_mark: DecimalMark::Point,
        }
    }
}

/// A Tera instance with every built-in template and nnexam's filters.
pub fn engine() -> Result<Tera> {
    engine_with(Vec::new())
}

/// A Tera instance with `overrides` (name, text) and the built-ins for every other name: a
/// user's template of the same name wins (zola's `tera.extend(&builtins)`). Both sets are added
/// in one call, so a user's template may `import` or `extend` a built-in and the other way round.
/// Templates that include themselves or whose macros call themselves are refused: Tera would
/// recurse until the stack overflows.
pub fn engine_with(overrides: Vec<(String, String)>) -> Result<Tera> {
    let names: Vec<String> = BUILTIN
        .iter()
        .map(|(name, _)| name.to_string())
        .chain(overrides.iter().map(|(name, _)| name.clone()))
        .collect();
    engine_for(&names, overrides)
}

/// Like [`engine_with`], but parses only the `entries` a command renders and the templates they
/// include, import or extend: parsing every built-in cost a one-off command most of its time,
/// `solve --format json` included, which renders none.
pub fn engine_for<S: AsRef<str>>(entries: &[S], overrides: Vec<(String, String)>) -> Result<Tera> {
    engine_for_latex(entries, overrides, LatexEngine::Pdflatex)
}

/// Like [`engine_for`], for LaTeX compiled by `latex`: the preamble's fonts and `latex_escape`
/// follow it.
pub fn engine_for_latex<S: AsRef<str>>(
    entries: &[S],
    overrides: Vec<(String, String)>,
    latex: LatexEngine,
) -> Result<Tera> {
    let mut available: BTreeMap<String, String> = BUILTIN
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    available.extend(overrides);
    let mut wanted: Vec<String> = entries.iter().map(|e| e.as_ref().to_string()).collect();
    let mut templates = BTreeMap::new();
    while let Some(name) = wanted.pop() {
        if templates.contains_key(&name) {
            continue;
        }
        // A name that is nowhere is Tera's to report, when it is rendered.
        if let Some(text) = available.remove(&name) {
            wanted.extend(referenced_templates(&text).map(str::to_string));
            templates.insert(name, text);
        }
    }
    let mut tera = Tera::default();
    tera.add_raw_templates(templates).map_err(template_error)?;
    recursion::refuse_cycles(&tera)?;
    filters::register(&mut tera, latex);
    Ok(tera)
}

/// The template names that `text` includes, imports or extends: every quoted string in a
/// `{% include ... %}`, `{% import ... %}` or `{% extends ... %}` tag. A name read from a comment
/// or a raw block only loads a template that is not needed; the tags themselves are parsed by
/// Tera.
fn referenced_templates(text: &str) -> impl Iterator<Item = &str> {
    text.split("{%")
        .skip(1)
        .filter_map(|tag| tag.split("%}").next())
        .filter(|tag| {
            let keyword = tag.trim_start_matches('-').trim_start();
            ["include", "import", "extends"]
                .iter()
                .any(|k| keyword.starts_with(k))
        })
        .flat_map(|tag| {
            tag.split(['"', '\''])
                .skip(1)
                .step_by(2)
                .filter(|name| !name.is_empty())
        })
}

/// Reads every template file (`.tex`, `.md`, `.txt`, `.html`, `.toml`, `.tera`) below `dir`,
/// named by its path relative to `dir` with `/` separators, in sorted order. Links are followed,
/// but a folder already read is not read again (a link loop ends there); each file is read up
/// to [`crate::limits::MAX_FILE_BYTES`]. The only I/O of the render module.
pub fn load_template_dir(dir: &Path) -> Result<Vec<(String, String)>> {
    let meta = std::fs::metadata(dir).map_err(read_error(dir))?;
    if !meta.is_dir() {
        return Err(Error::invalid(
            "--templates",
            format!("{} is not a folder", dir.display()),
            "give the folder that `nnexam templates eject` wrote",
        ));
    }
    let mut walk = TemplateWalk::default();
    walk.collect(dir)?;
    walk.files.sort();
    walk.files
        .into_iter()
        .map(|path| Ok((template_name(dir, &path), crate::limits::read_text(&path)?)))
        .collect()
}

fn read_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        action: "read templates from",
        path: path.to_path_buf(),
        source,
    }
}

/// The walk of a template folder: the template files found, the folders read (by their real
/// path, so that a link back to one of them is not followed again) and how many entries were
/// looked at.
#[derive(Default)]
struct TemplateWalk {
    files: Vec<PathBuf>,
    folders: BTreeSet<PathBuf>,
    entries: usize,
}

impl TemplateWalk {
    fn collect(&mut self, dir: &Path) -> Result<()> {
        let real = std::fs::canonicalize(dir).map_err(read_error(dir))?;
        if !self.folders.insert(real) {
            return Ok(());
        }
        for entry in std::fs::read_dir(dir).map_err(read_error(dir))? {
            let path = entry.map_err(read_error(dir))?.path();
            self.entries += 1;
            if self.entries > MAX_TEMPLATE_ENTRIES {
                return Err(Error::invalid(
                    "--templates",
                    format!(
                        "{} holds more than {MAX_TEMPLATE_ENTRIES} files and folders",
                        dir.display()
                    ),
                    "give the folder that `nnexam templates eject` wrote",
                ));
            }
            if path.is_dir() {
                self.collect(&path)?;
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| TEMPLATE_EXTENSIONS.contains(&e))
            {
                self.files.push(path);
            }
        }
        Ok(())
    }
}

fn template_name(dir: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(dir).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Turns Tera's nested error into one message with the whole chain (template name and cause).
pub fn template_error(e: tera::Error) -> Error {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    Error::Template { message }
}

/// Renders `name` with `data` serialised as the context.
pub fn render<T: Serialize>(tera: &Tera, name: &str, data: &T) -> Result<String> {
    let context = Context::from_serialize(data).map_err(template_error)?;
    tera.render(name, &context).map_err(template_error)
}

/// Where a context's numbers are printed: in LaTeX/KaTeX/MathJax math, or in running text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberPlace {
    /// Math: a decimal comma is written `{,}`.
    Math,
    /// Text: a decimal comma is a comma.
    Text,
}

/// Context keys that hold user text, which is never taken for a number.
const USER_TEXT_KEYS: &[&str] = &["identity", "command", "gaps"];

/// `data` as a template context whose numbers (every string that is a decimal number, as
/// [`crate::number`] prints them, outside the user text and the Moodle gaps) have `mark`,
/// written for `place`. With a point the context is `data` as it is.
pub fn localized_context<T: Serialize>(
    data: &T,
    mark: DecimalMark,
    place: NumberPlace,
) -> Result<Context> {
    if mark == DecimalMark::Point {
        return Context::from_serialize(data).map_err(template_error);
    }
    let mut value = serde_json::to_value(data).map_err(|e| Error::Template {
        message: e.to_string(),
    })?;
    if let serde_json::Value::Object(map) = &mut value {
        for (key, item) in map.iter_mut() {
            if !USER_TEXT_KEYS.contains(&key.as_str()) {
                localize_numbers(item, mark, place);
            }
        }
    }
    Context::from_value(value).map_err(template_error)
}

/// Renders `name` with `data` as [`localized_context`] makes it.
pub fn render_localized<T: Serialize>(
    tera: &Tera,
    name: &str,
    data: &T,
    mark: DecimalMark,
    place: NumberPlace,
) -> Result<String> {
    let context = localized_context(data, mark, place)?;
    tera.render(name, &context).map_err(template_error)
}

fn localize_numbers(value: &mut serde_json::Value, mark: DecimalMark, place: NumberPlace) {
    use serde_json::Value;
    match value {
        Value::String(text) => {
            let localized = match place {
                NumberPlace::Math => mark.math(text),
                NumberPlace::Text => mark.text(text),
            };
            if let std::borrow::Cow::Owned(new) = localized {
                *text = new;
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| localize_numbers(item, mark, place)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|item| localize_numbers(item, mark, place)),
        _ => {}
    }
}

/// A generated exercise as a TOML exercise file, headed by a comment naming the `seed` text
/// (printable, checked by the generator) and the `command` that regenerates it.
/// [`crate::spec::parse`] reads it back to the identical problem.
pub fn exercise_toml(tera: &Tera, problem: &Problem, seed: &str, command: &str) -> Result<String> {
    #[derive(Serialize)]
    struct Context<'a> {
        problem: &'a Problem,
        seed: &'a str,
        command: &'a str,
    }
    let context = Context {
        problem,
        seed,
        command,
    };
    render(tera, entry::EXERCISE_TOML, &context)
}

/// The knobs a sheet of `problem` is rendered with. The wider family's sheets
/// ([`family::is_family`]) give no computed value away and leave the transposed convolution
/// matrix out (it has C_in * H * W rows); a knob that would give values is refused, naming it.
pub fn sheet_knobs(problem: &Problem, knobs: &Knobs) -> Result<Knobs> {
    if !family::is_family(problem) {
        return Ok(knobs.clone());
    }
    let given = [
        (knobs.give_z1, "give_z1"),
        (knobs.give_d_w2 > 0, "give_d_w2"),
        (knobs.give_f1_except.is_some(), "give_f1_except"),
    ];
    if let Some((_, key)) = given.into_iter().find(|(on, _)| *on) {
        return Err(Error::invalid(
            key,
            "the sheets of an exercise with several channels or filters, a softmax output or a \
             mini-batch give no computed values away",
            "leave it out (the `short` difficulty preset sets it; use `standard` or `full`)",
        ));
    }
    Ok(Knobs {
        transposed_conv: TransposedConv::Omit,
        ..knobs.clone()
    })
}

/// The HTML text of one Moodle Cloze question (`moodle/question.html`): the exercise's network
/// and given numbers, asking for the decimals of `stepwise` (the shown values, whose wider-family
/// view the question prints its inputs from), with `gaps` (finished Cloze gap markup,
/// laid out as the template expects) where the answers go.
pub fn moodle_question<G: Serialize>(
    tera: &Tera,
    solution: &Solution,
    stepwise: &Shown,
    decimal_mark: DecimalMark,
    choice: bool,
    gaps: &G,
) -> Result<String> {
    #[derive(Serialize)]
    struct QuestionContext<'a, G> {
        decimals: usize,
        choice: bool,
        net: context::Net,
        given: context::Given,
        family: Option<family::FamilyView>,
        gaps: &'a G,
    }
    let problem = &solution.problem;
    // The wider family's question prints its inputs per sample, channel and filter.
    let family = family::is_family(problem).then(|| {
        let text = stepwise.values.map(crate::number::decimal_text);
        family::build(solution, &stepwise.values, &text)
    });
    let question = QuestionContext {
        decimals: stepwise.decimals,
        choice,
        net: context::net(problem),
        given: context::given(problem),
        family,
        gaps,
    };
    // MathJax reads `{,}` as KaTeX and LaTeX do; every number of the question is in math.
    render_localized(
        tera,
        entry::MOODLE_QUESTION,
        &question,
        decimal_mark,
        NumberPlace::Math,
    )
}

/// The worked solution as Moodle shows it in a question's general feedback: the Markdown
/// solution (a fragment, with the `stepwise` values, without the transposed convolution matrix the
/// Cloze question does not ask) as HTML, its math in MathJax's `\( \)` and `\[ \]` (Moodle's MathJax filter
/// does not read `$`), HTML-escaped like the question text.
pub fn moodle_feedback(
    solution: &Solution,
    stepwise: &Shown,
    decimal_mark: DecimalMark,
    tera: &Tera,
) -> Result<String> {
    use pulldown_cmark::{html, Event, Options, Parser};
    let options = RenderOptions {
        format: Format::Markdown,
        part: Part::Solution,
        fragment: true,
        decimals: stepwise.decimals,
        rounding: stepwise.rounding,
        knobs: Knobs {
            transposed_conv: TransposedConv::Omit,
            ..Knobs::default()
        },
        decimal_mark,
        ..RenderOptions::default()
    };
    let sheet = SheetSpec {
        format: options.format,
        part: options.part,
        fragment: options.fragment,
    };
    let markdown = render_sheets(solution, stepwise, &options, &[sheet], tera)?.remove(0);
    let escape = tera::escape_html;
    let events =
        Parser::new_ext(&markdown, Options::ENABLE_MATH | Options::ENABLE_TABLES).map(|event| {
            match event {
                Event::InlineMath(tex) => Event::Html(format!("\\({}\\)", escape(&tex)).into()),
                Event::DisplayMath(tex) => Event::Html(format!("\\[{}\\]", escape(&tex)).into()),
                other => other,
            }
        });
    let mut out = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut out, events);
    Ok(out)
}

/// Renders the question sheet and/or worked solution of one solved exercise as `options` say;
/// the shown numbers follow `options.rounding`.
pub fn render_exercise(
    solution: &Solution,
    options: &RenderOptions,
    tera: &Tera,
) -> Result<String> {
    let shown = shown::shown(solution, options.decimals, options.rounding)?;
    let sheet = SheetSpec {
        format: options.format,
        part: options.part,
        fragment: options.fragment,
    };
    render_sheets(solution, &shown, options, &[sheet], tera).map(|mut texts| texts.remove(0))
}

/// The command that writes one document again: the exercise's command (`base`) with the
/// document's format, part and fragment flags.
fn sheet_command(base: &str, sheet: SheetSpec) -> String {
    let format = match sheet.format {
        Format::Latex => "latex",
        Format::Markdown => "markdown",
    };
    let mut command = format!("{base} --format {format}");
    match sheet.part {
        Part::Question => command.push_str(" --part question"),
        Part::Solution => command.push_str(" --part solution"),
        Part::Both => {}
    }
    if sheet.fragment {
        command.push_str(" --fragment");
    }
    command
}

/// One document of an exercise: its format, which parts, and whether it is a fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SheetSpec {
    /// LaTeX or Markdown.
    pub format: Format,
    /// Question, solution or both.
    pub part: Part,
    /// Body only, for `\input` into another document.
    pub fragment: bool,
}

/// Renders several documents of one exercise, each as its [`SheetSpec`] says, with `options`'
/// other settings. The same text as [`render_exercise`] per document, but the shown numbers
/// and the template context are built once: batches render four sheets per student.
pub fn render_sheets(
    solution: &Solution,
    shown: &Shown,
    options: &RenderOptions,
    sheets: &[SheetSpec],
    tera: &Tera,
) -> Result<Vec<String>> {
    let all_parts = RenderOptions {
        part: Part::Both,
        knobs: sheet_knobs(&solution.problem, &options.knobs)?,
        ..options.clone()
    };
    let exam = context::build(solution, shown, &all_parts);
    let mut context = localized_context(&exam, options.decimal_mark, NumberPlace::Math)?;
    sheets
        .iter()
        .map(|sheet| {
            context.insert("format", &sheet.format);
            context.insert("fragment", &sheet.fragment);
            context.insert("show_question", &sheet.part.has_question());
            context.insert("show_solution", &sheet.part.has_solution());
            let command = options
                .identity
                .command
                .as_deref()
                .map(|base| sheet_command(base, *sheet));
            context.insert("command", &command);
            tera.render(sheet.format.entry_template(), &context)
                .map_err(template_error)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_sheets_matches_rendering_each_sheet_alone() {
        let problem = crate::spec::fixtures::task_3_1();
        let solution = crate::solve::solve(&problem).unwrap();
        let tera = engine().unwrap();
        let options = RenderOptions::default();
        let shown = shown::shown(&solution, options.decimals, options.rounding).unwrap();
        let spec = |format, part, fragment| SheetSpec {
            format,
            part,
            fragment,
        };
        let sheets = [
            spec(Format::Latex, Part::Question, false),
            spec(Format::Latex, Part::Solution, true),
            spec(Format::Markdown, Part::Question, false),
            spec(Format::Markdown, Part::Both, false),
            spec(Format::Markdown, Part::Solution, true),
        ];
        let together = render_sheets(&solution, &shown, &options, &sheets, &tera).unwrap();
        for (text, sheet) in together.iter().zip(sheets) {
            let alone = RenderOptions {
                format: sheet.format,
                part: sheet.part,
                fragment: sheet.fragment,
                ..options.clone()
            };
            let expected = render_exercise(&solution, &alone, &tera).unwrap();
            assert_eq!(text, &expected, "{sheet:?}");
        }
    }

    #[test]
    fn exercise_toml_is_readable_and_reads_back_identically() {
        let problem = crate::spec::fixtures::task_3_1();
        let out = exercise_toml(
            &engine().unwrap(),
            &problem,
            "7",
            "nnexam generate --seed 7",
        )
        .unwrap();
        assert!(
            out.contains("\n# Seed text: 7\n") && out.contains("#   nnexam generate --seed 7\n")
        );
        assert!(
            out.contains("x = [\n  [2, 0, 0, 2, 0],\n  [0, 4, 0, 0, 0],"),
            "{out}"
        );
        assert!(
            out.contains("f1 = [\n  [0.5, 1],\n  [0, -0.5],\n]\nb1 = -1\n"),
            "{out}"
        );
        let back = crate::spec::parse(&out, crate::spec::FileFormat::Toml, "out").unwrap();
        assert_eq!(back, problem);
    }

    #[test]
    fn builtins_parse_and_every_name_is_unique() {
        let tera = engine().unwrap();
        let mut names: Vec<_> = BUILTIN.iter().map(|(n, _)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), BUILTIN.len());
        assert!(tera.get_template_names().count() >= BUILTIN.len());
    }

    #[test]
    fn engine_for_parses_only_the_entries_and_what_they_use() {
        let none = engine_for::<&str>(&[], Vec::new()).unwrap();
        assert_eq!(none.get_template_names().count(), 0);
        let latex = engine_for(&[Format::Latex.entry_template()], Vec::new()).unwrap();
        let mut names: Vec<&str> = latex.get_template_names().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "latex/exam.tex",
                "latex/fonts.tex",
                "latex/identity.tex",
                "latex/language.tex",
                "latex/math.tex",
                "latex/page-style.tex",
                "latex/preamble.tex",
                "latex/question.tex",
                "latex/solution.tex",
                "shared/choices.tera",
                "shared/family-question.tera",
                "shared/family-solution.tera",
                "shared/family.tera",
                "shared/mt-grid.tera",
                "shared/prose.tera",
                "shared/question.tera",
                "shared/solution.tera",
            ]
        );
        // What the entries use renders exactly as with every template loaded.
        let problem = crate::spec::fixtures::task_3_1();
        let solution = crate::solve::solve(&problem).unwrap();
        let options = RenderOptions::default();
        assert_eq!(
            render_exercise(&solution, &options, &latex).unwrap(),
            render_exercise(&solution, &options, &engine().unwrap()).unwrap()
        );
    }

    #[test]
    fn engine_for_follows_a_users_template_to_templates_of_their_own() {
        let overrides = vec![
            (
                "text/solution.txt".to_string(),
                "{% include \"mine/footer.txt\" %}".to_string(),
            ),
            ("mine/footer.txt".to_string(), "footer".to_string()),
            ("mine/unused.txt".to_string(), "{% if %}".to_string()),
        ];
        let tera = engine_for(&["text/solution.txt"], overrides).unwrap();
        let out = tera.render("text/solution.txt", &Context::new()).unwrap();
        assert_eq!(out, "footer");
    }

    #[test]
    fn referenced_templates_reads_include_import_and_extends_tags() {
        let text =
            "{% import \"a.tera\" as a %}x{%- include ['b.tex', \"c.tex\"] ignore missing -%}\
                    {% if y %}{% extends \"d.tex\" %}{% endif %}{{ \"e.tex\" }}";
        let found: Vec<&str> = referenced_templates(text).collect();
        assert_eq!(found, ["a.tera", "b.tex", "c.tex", "d.tex"]);
    }

    #[test]
    fn override_wins_over_builtin_of_the_same_name() {
        let tera = engine_with(vec![(
            "latex/exam.tex".to_string(),
            "custom {{ decimals }}".to_string(),
        )])
        .unwrap();
        let out = tera
            .render(
                "latex/exam.tex",
                &Context::from_serialize(serde_json::json!({"decimals": 3})).unwrap(),
            )
            .unwrap();
        assert_eq!(out, "custom 3");
        assert!(tera.get_template_names().any(|n| n == "latex/question.tex"));
    }

    #[test]
    fn override_syntax_error_names_the_template() {
        let err = engine_with(vec![("latex/exam.tex".to_string(), "{% if %}".to_string())])
            .unwrap_err()
            .to_string();
        assert!(err.contains("latex/exam.tex"), "{err}");
    }

    #[test]
    fn a_link_loop_in_the_template_folder_is_not_followed() {
        // Issue 10: `ln -s .. loop` inside --templates made the walk never end.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("text")).unwrap();
        std::fs::write(dir.path().join("text/solution.txt"), "mine").unwrap();
        std::os::unix::fs::symlink("..", dir.path().join("text/loop")).unwrap();
        std::os::unix::fs::symlink(".", dir.path().join("self")).unwrap();
        let templates = load_template_dir(dir.path()).unwrap();
        assert_eq!(
            templates,
            [("text/solution.txt".to_string(), "mine".to_string())]
        );
    }

    #[test]
    fn a_template_that_never_ends_is_refused_by_name() {
        // Issue 10: a template that was /dev/zero was read until the memory ran out.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("latex")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("latex/exam.tex")).unwrap();
        let err = load_template_dir(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("latex/exam.tex") && err.contains("1 MB"),
            "{err}"
        );
    }

    #[test]
    fn a_user_template_that_includes_itself_is_refused_when_the_engine_is_built() {
        // Issue 10: rendering it overflowed the stack (an abort, exit 134).
        let looping = "{% include \"latex/question.tex\" %}".to_string();
        let err = engine_with(vec![("latex/question.tex".to_string(), looping)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`latex/question.tex`") && err.contains("includes itself"),
            "{err}"
        );
    }

    #[test]
    fn template_names_use_forward_slashes() {
        let name = template_name(Path::new("/t"), Path::new("/t/latex/exam.tex"));
        assert_eq!(name, "latex/exam.tex");
    }
}
