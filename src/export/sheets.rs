//! What goes into a multi-person output folder, as values: each person's question and solution
//! in every requested format, the exercise JSON, and the person's row of the answer key; for
//! exams, the collected solutions document. Pure: no files are written here.

use std::path::PathBuf;

use serde::Serialize;
use tera::Tera;

use super::key::{self, KeyRow, Tolerance};
use crate::cli::to_json;
use crate::error::Result;
use crate::render::{self, Format, Identity, Part, RenderOptions};
use crate::solve::{self, Solution};
use crate::spec::Problem;

/// Whom a sheet is for: a student of a roster, or an exam variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Roster id, or the variant label.
    pub id: String,
    pub name: String,
    /// Safe folder or file-name stem (see `names::unique_names`).
    pub folder: String,
    /// True for exam variants: their sheets say "variant" rather than naming a student.
    pub is_variant: bool,
}

/// How every sheet of a run is rendered.
#[derive(Clone, Debug)]
pub struct SheetPlan {
    pub formats: Vec<Format>,
    /// Rounding, knobs and decimals; format, part and identity are set per sheet.
    pub options: RenderOptions,
    pub tolerance: Tolerance,
}

/// One rendered sheet in one format.
#[derive(Clone, Debug)]
pub struct Sheet {
    pub format: Format,
    pub part: Part,
    pub text: String,
}

/// Everything one person gets, plus the key row.
#[derive(Clone, Debug)]
pub struct PersonOutput {
    pub sheets: Vec<Sheet>,
    /// `solve --format json` of the exercise.
    pub exercise_json: String,
    pub key: KeyRow,
}

/// File ending of a format.
pub fn extension(format: Format) -> &'static str {
    match format {
        Format::Latex => "tex",
        Format::Markdown => "md",
    }
}

fn identity(person: &Person, seed: &str) -> Identity {
    let mut identity = Identity {
        seed: Some(seed.to_string()),
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

/// Renders one sheet of `problem` for `person`.
pub fn render_sheet(
    person: &Person,
    seed: &str,
    problem: &Problem,
    solution: &Solution,
    plan: &SheetPlan,
    sheet: (Format, Part, bool),
    tera: &Tera,
) -> Result<String> {
    let (format, part, fragment) = sheet;
    let options = RenderOptions {
        format,
        part,
        fragment,
        identity: identity(person, seed),
        ..plan.options.clone()
    };
    render::render_exercise(problem, solution, &options, tera)
}

/// The question and solution of `person`'s exercise in every format of `plan`, its JSON and
/// its key row. `seed` is the seed text the exercise was generated from.
pub fn person_output(
    person: &Person,
    seed: &str,
    problem: &Problem,
    plan: &SheetPlan,
    tera: &Tera,
) -> Result<PersonOutput> {
    let solution = solve::solve(problem);
    let wanted: Vec<(Format, Part)> = plan
        .formats
        .iter()
        .flat_map(|&f| [(f, Part::Question), (f, Part::Solution)])
        .collect();
    let options = RenderOptions {
        identity: identity(person, seed),
        ..plan.options.clone()
    };
    let texts = render::render_sheets(problem, &solution, &options, &wanted, tera)?;
    let sheets = wanted
        .into_iter()
        .zip(texts)
        .map(|((format, part), text)| Sheet { format, part, text })
        .collect();
    let answers = key::answers_for(problem, &solution, plan.options.decimals, plan.tolerance);
    Ok(PersonOutput {
        sheets,
        exercise_json: to_json(&solution),
        key: KeyRow {
            id: person.id.clone(),
            name: person.name.clone(),
            seed: seed.to_string(),
            folder: person.folder.clone(),
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
            let stem = match sheet.part {
                Part::Question => "question",
                _ => "solution",
            };
            let name = format!("{stem}.{}", extension(sheet.format));
            (folder.join(name), sheet.text.as_str())
        })
        .collect();
    files.push((folder.join("exercise.json"), &output.exercise_json));
    files
}

/// One variant's solution for the collected solutions document.
#[derive(Clone, Debug, Serialize)]
pub struct CollectedSolution {
    pub variant: String,
    pub seed: String,
    /// The rendered solution body (a fragment).
    pub body: String,
}

/// The exam's solutions document: every variant's worked solution in one file.
pub fn collected_solutions(
    format: Format,
    exam_seed: &str,
    variants: &[CollectedSolution],
    tera: &Tera,
) -> Result<String> {
    #[derive(Serialize)]
    struct Context<'a> {
        identity: Identity,
        variants: &'a [CollectedSolution],
    }
    let context = Context {
        identity: Identity {
            seed: Some(exam_seed.to_string()),
            ..Identity::default()
        },
        variants,
    };
    let template = match format {
        Format::Latex => "latex/solutions.tex",
        Format::Markdown => "markdown/solutions.md",
    };
    render::render(tera, template, &context)
}
