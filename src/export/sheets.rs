//! What goes into a multi-person output folder, as values: each person's question and solution
//! in every requested format, the exercise JSON, and the person's row of the answer key; for
//! exams, the collected solutions document. Pure: no files are written here.

use std::path::PathBuf;

use serde::Serialize;
use tera::Tera;

use super::key::{self, KeyRow, Tolerance};
use crate::error::{Error, Result};
use crate::generate::{self, ConfigSource};
use crate::render::{self, AnswerStyle, Format, Identity, Part, RenderOptions, SheetSpec};
use crate::solve::{
    self,
    shown::{self, Rounding},
};
use crate::spec::Problem;

/// Whom a sheet is for: a student of a roster, or an exam variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Roster id, or the variant label.
    pub id: String,
    /// Name from the roster (empty for variants).
    pub name: String,
    /// Safe folder or file-name stem (see `names::unique_names`).
    pub folder: String,
    /// True for exam variants: their sheets say "variant" rather than naming a student.
    pub is_variant: bool,
}

/// How every sheet of a run is rendered.
#[derive(Clone, Debug)]
pub struct SheetPlan {
    /// Formats of the sheets, without repeats.
    pub formats: Vec<Format>,
    /// Rounding, knobs and decimals; format, part and identity are set per sheet.
    pub options: RenderOptions,
    /// The key's tolerance policy.
    pub tolerance: Tolerance,
    /// Where the generator config came from, for the command that regenerates a sheet.
    pub config_source: ConfigSource,
    /// The sheet flags of that command (see `nnexam generate --help`).
    pub sheet_flags: String,
}

/// One rendered document.
#[derive(Clone, Debug)]
pub struct Sheet {
    /// Which document it is.
    pub spec: SheetSpec,
    /// Its text.
    pub text: String,
}

/// Everything one person gets, plus the key row.
#[derive(Clone, Debug)]
pub struct PersonOutput {
    /// The rendered documents, in the order of the specs asked for.
    pub sheets: Vec<Sheet>,
    /// `solve --format json` of the exercise.
    pub exercise_json: String,
    /// The person's row of the answer key.
    pub key: KeyRow,
}

/// File ending of a format.
pub fn extension(format: Format) -> &'static str {
    match format {
        Format::Latex => "tex",
        Format::Markdown => "md",
    }
}

fn identity(person: &Person, seed: &str, plan: &SheetPlan) -> Identity {
    let command = format!(
        "{} {}",
        generate::regenerate_command(seed, &plan.config_source),
        plan.sheet_flags
    );
    let mut identity = Identity {
        seed: Some(seed.to_string()),
        command: Some(command),
        config_fingerprint: plan.config_source.fingerprint(),
        ..Identity::default()
    };
    if person.is_variant {
        identity.variant = Some(person.id.clone());
    } else {
        identity.student_id = Some(person.id.clone());
        identity.student_name = (!person.name.is_empty()).then(|| person.name.clone());
    }
    identity
}

/// A student's documents: the question sheet and the worked solution, standalone, per format.
pub fn student_sheets(formats: &[Format]) -> Vec<SheetSpec> {
    let spec = |format, part| SheetSpec {
        format,
        part,
        fragment: false,
    };
    formats
        .iter()
        .flat_map(|&f| [spec(f, Part::Question), spec(f, Part::Solution)])
        .collect()
}

/// An exam variant's documents: the standalone question sheet, and the worked solution as a
/// fragment for the collected solutions document, per format.
pub fn variant_sheets(formats: &[Format]) -> Vec<SheetSpec> {
    formats
        .iter()
        .flat_map(|&format| {
            [(Part::Question, false), (Part::Solution, true)].map(|(part, fragment)| SheetSpec {
                format,
                part,
                fragment,
            })
        })
        .collect()
}

/// `person`'s exercise rendered as `specs`, its JSON and its key row. `seed` is the seed text
/// the exercise was generated from.
pub fn person_output(
    person: &Person,
    seed: &str,
    problem: &Problem,
    plan: &SheetPlan,
    specs: &[SheetSpec],
    tera: &Tera,
) -> Result<PersonOutput> {
    let solution = solve::solve(problem)?;
    let mut options = RenderOptions {
        identity: identity(person, seed, plan),
        ..plan.options.clone()
    };
    let decimals = options.decimals;
    let stepwise = shown::shown(&solution, decimals, Rounding::Stepwise)?;
    // The key is graded against the stepwise values; the sheets show the plan's rounding.
    let exact;
    let sheet_values = match options.rounding {
        Rounding::Stepwise => &stepwise,
        Rounding::Exact => {
            exact = shown::shown(&solution, decimals, Rounding::Exact)?;
            &exact
        }
    };
    let mut answers = key::answers_for(&solution, &stepwise, plan.tolerance, &options.knobs)?;
    if options.answer_style == AnswerStyle::Choice {
        options.choices = key::choose(&solution, sheet_values, &mut answers, &options.knobs, seed);
    }
    let texts = render::render_sheets(&solution, sheet_values, &options, specs, tera)?;
    let sheets = specs
        .iter()
        .zip(texts)
        .map(|(&spec, text)| Sheet { spec, text })
        .collect();
    let who = match person.is_variant {
        true => format!("variant {} (seed {seed})", person.id),
        false => format!("student {} (seed {seed})", person.id),
    };
    key::check_distinct(&solution, &answers, plan.tolerance, &who)?;
    Ok(PersonOutput {
        sheets,
        exercise_json: solution.to_json(),
        key: KeyRow {
            id: person.id.clone(),
            name: person.name.clone(),
            seed: seed.to_string(),
            folder: person.folder.clone(),
            problem: problem.clone(),
            decimals,
            rounding: options.rounding,
            tolerance: key::TolerancePolicy::of(plan.tolerance),
            answers,
        },
    })
}

/// Where a student's files go in a batch folder: `<folder>/question.tex` and so on.
pub fn student_files<'a>(person: &Person, output: &'a PersonOutput) -> Vec<(PathBuf, &'a str)> {
    let folder = PathBuf::from(&person.folder);
    let mut files: Vec<(PathBuf, &str)> = output
        .sheets
        .iter()
        .map(|sheet| {
            let stem = match sheet.spec.part {
                Part::Question => "question",
                _ => "solution",
            };
            let name = format!("{stem}.{}", extension(sheet.spec.format));
            (folder.join(name), sheet.text.as_str())
        })
        .collect();
    files.push((folder.join("exercise.json"), &output.exercise_json));
    files
}

/// Where an exam variant's own files go: `exam-<stem>.tex` ... and `exercise-<stem>.json`
/// at the top of the folder. Its solution fragments go into the collected solutions instead.
pub fn variant_files<'a>(person: &Person, output: &'a PersonOutput) -> Vec<(PathBuf, &'a str)> {
    let mut files: Vec<(PathBuf, &str)> = output
        .sheets
        .iter()
        .filter(|sheet| !sheet.spec.fragment)
        .map(|sheet| {
            let name = format!("exam-{}.{}", person.folder, extension(sheet.spec.format));
            (PathBuf::from(name), sheet.text.as_str())
        })
        .collect();
    let json = format!("exercise-{}.json", person.folder);
    files.push((PathBuf::from(json), &output.exercise_json));
    files
}

/// One variant's solution for the collected solutions document.
#[derive(Clone, Debug, Serialize)]
pub struct CollectedSolution {
    /// The variant's label.
    pub variant: String,
    /// The seed text the variant was generated from.
    pub seed: String,
    /// The rendered solution body (a fragment).
    pub body: String,
}

/// The exam's solutions document with a hole where each variant's body goes, so that it can be
/// written variant by variant as the bodies are rendered: [`SolutionsFrame::piece`] `k` comes
/// before body `k` and the last piece after the last body. Rendered once, from the template with
/// a marker for every body; the template must print each body once, as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SolutionsFrame {
    pieces: Vec<String>,
}

/// Stands for body `k` while the frame is rendered: no template writes a NUL character.
fn body_marker(k: usize) -> String {
    format!("\u{0}{k}\u{0}")
}

impl SolutionsFrame {
    /// The frame of the solutions document in `format` of an exam seeded `exam_seed`, for the
    /// `variants` (label, seed text) in order. With `class_document` (LaTeX) it is the document
    /// compiled for the print file, whose bodies start with [`sheet_start`].
    pub fn render(
        format: Format,
        exam_seed: &str,
        variants: &[(String, String)],
        class_document: bool,
        tera: &Tera,
    ) -> Result<SolutionsFrame> {
        let marked: Vec<CollectedSolution> = variants
            .iter()
            .enumerate()
            .map(|(k, (variant, seed))| CollectedSolution {
                variant: variant.clone(),
                seed: seed.clone(),
                body: body_marker(k),
            })
            .collect();
        let text = render_solutions(format, exam_seed, &marked, class_document, tera)?;
        let parts: Vec<&str> = text.split('\u{0}').collect();
        let holes: Vec<&str> = parts.iter().skip(1).step_by(2).copied().collect();
        let in_order = holes.len() == variants.len()
            && holes
                .iter()
                .enumerate()
                .all(|(k, hole)| *hole == k.to_string());
        if !in_order {
            return Err(Error::Template {
                message: format!(
                    "{} must print every variant's body once and as it is \
                     ({{{{ v.body }}}} in its loop over variants)",
                    format.solutions_template()
                ),
            });
        }
        Ok(SolutionsFrame {
            pieces: parts.iter().step_by(2).map(|p| p.to_string()).collect(),
        })
    }

    /// The text before body `k`, or after the last body for `k` = the number of variants.
    pub fn piece(&self, k: usize) -> &str {
        &self.pieces[k]
    }
}

fn render_solutions(
    format: Format,
    exam_seed: &str,
    variants: &[CollectedSolution],
    class_document: bool,
    tera: &Tera,
) -> Result<String> {
    #[derive(Serialize)]
    struct Context<'a> {
        identity: Identity,
        variants: &'a [CollectedSolution],
        class_document: bool,
    }
    let context = Context {
        identity: Identity {
            seed: Some(exam_seed.to_string()),
            ..Identity::default()
        },
        variants,
        class_document,
    };
    render::render(tera, format.solutions_template(), &context)
}

/// The exam's solutions document: every variant's worked solution in one file.
pub fn collected_solutions(
    format: Format,
    exam_seed: &str,
    variants: &[CollectedSolution],
    tera: &Tera,
) -> Result<String> {
    render_solutions(format, exam_seed, variants, false, tera)
}

/// The start of `person`'s sheet in a class document (`latex/sheet-start.tex`): the header of
/// its print copy and, for a sheet that is a `new_document` of its own, its page numbering and
/// page style. `seed` is the seed text of the person's exercise.
pub fn sheet_start(
    person: &Person,
    seed: &str,
    plan: &SheetPlan,
    new_document: bool,
    tera: &Tera,
) -> Result<String> {
    #[derive(Serialize)]
    struct Context {
        identity: Identity,
        new_document: bool,
    }
    let context = Context {
        identity: identity(person, seed, plan),
        new_document,
    };
    render::render(tera, render::entry::SHEET_START, &context)
}

/// What a standalone LaTeX sheet typesets: the text between its `\begin{document}` line and its
/// `\end{document}`, for a class document, which has the preamble once.
pub fn document_body(document: &str) -> Result<&str> {
    const BEGIN: &str = "\\begin{document}\n";
    const END: &str = "\\end{document}";
    let start = document.find(BEGIN).map(|at| at + BEGIN.len());
    let end = document.rfind(END);
    match (start, end) {
        (Some(start), Some(end)) if start <= end => Ok(&document[start..end]),
        _ => Err(Error::Template {
            message: format!(
                "{} must write a LaTeX document: `\\begin{{document}}` on a line of its own, \
                 and `\\end{{document}}`, to be compiled with --pdf",
                Format::Latex.entry_template()
            ),
        }),
    }
}

/// The class document (`latex/class.tex`) that `\input`s the `sheets` (file names without
/// `.tex`, relative to where it is compiled) in order.
pub fn class_document(sheets: &[String], tera: &Tera) -> Result<String> {
    #[derive(Serialize)]
    struct Context<'a> {
        identity: Identity,
        sheets: &'a [String],
    }
    let context = Context {
        identity: Identity::default(),
        sheets,
    };
    render::render(tera, render::entry::CLASS_DOCUMENT, &context)
}
