//! `grade`: a class's marks, feedback and report, written all at once through a staged folder.

use rayon::prelude::*;
use tera::Tera;

use super::staged::StagedDir;
use super::{Destination, Interrupt, Progress, Summary};
use crate::error::{Error, Result};
use crate::export::key::{spreadsheet_text, KeyRow};
use crate::grade::{self, Credit, PersonMarks, Responses};
use crate::number::{format_number, DecimalMark};

/// Everything `grade` needs besides the destination.
pub struct GradeJob<'a> {
    /// The key's rows, one per person.
    pub key: &'a [KeyRow],
    /// The parsed responses.
    pub responses: &'a Responses,
    /// What carried answers and misconceptions earn.
    pub credit: Credit,
    /// Feedback shows the sheet's value beside every answer that is not right.
    pub reveal: bool,
    /// How feedback and report write the decimal mark (marks.csv and marks.json keep the
    /// point).
    pub decimal_mark: DecimalMark,
    /// The template engine.
    pub tera: &'a Tera,
}

/// Grades every person of the key and writes `marks.csv`, `marks.json`,
/// `feedback/<folder>.md` and `.tex`, `report.md`, `report.tex` and `report.svg`.
pub fn write_grades(
    job: &GradeJob<'_>,
    dest: &Destination,
    progress: &dyn Progress,
    interrupt: &Interrupt,
) -> Result<Summary> {
    let staged = StagedDir::create(&dest.dir, dest.force)?;
    progress.begin("students", job.key.len());
    let marks: Vec<Result<PersonMarks>> = job
        .key
        .par_iter()
        .map(|row| {
            interrupt.check()?;
            let marks = grade::grade_person(row, job.responses.rows.get(&row.id), job.credit)?;
            let feedback = ["md", "tex"].map(|ext| {
                grade::feedback(job.tera, &marks, ext, job.reveal, job.decimal_mark)
                    .map(|t| (ext, t))
            });
            for made in feedback {
                let (ext, text) = made?;
                let path =
                    std::path::PathBuf::from("feedback").join(format!("{}.{ext}", row.folder));
                staged.write(&path, text.as_bytes())?;
            }
            progress.advance();
            Ok(marks)
        })
        .collect();
    progress.end();
    let marks = marks.into_iter().collect::<Result<Vec<_>>>()?;
    interrupt.check()?;
    staged.write("marks.csv".as_ref(), marks_csv(&marks, job)?.as_bytes())?;
    let json = serde_json::to_string_pretty(&marks).expect("invariant: marks serialise") + "\n";
    staged.write("marks.json".as_ref(), json.as_bytes())?;
    let report = grade::class_report(&marks);
    for ext in ["md", "tex", "svg"] {
        let text = grade::report(job.tera, &report, ext, job.decimal_mark)?;
        staged.write(format!("report.{ext}").as_ref(), text.as_bytes())?;
    }
    staged.commit()?;
    Ok(Summary {
        people: marks.len(),
        files: 2 * marks.len() + 5,
        pdfs: 0,
    })
}

/// `marks.csv`: id, name, seed; `<answer>_status` and `<answer>_points` for every answer of the
/// key (in key order); `<step>_status` for every intermediate step the responses have; then
/// `total` and `max`.
fn marks_csv(marks: &[PersonMarks], job: &GradeJob<'_>) -> Result<String> {
    let mut answers: Vec<&str> = Vec::new();
    for row in job.key {
        for a in &row.answers {
            if !answers.contains(&a.key.as_str()) {
                answers.push(&a.key);
            }
        }
    }
    let steps: Vec<&str> = job
        .responses
        .columns
        .iter()
        .map(String::as_str)
        .filter(|c| !answers.contains(c))
        .collect();
    let mut header: Vec<String> = ["id", "name", "seed"].map(String::from).to_vec();
    for a in &answers {
        header.extend([format!("{a}_status"), format!("{a}_points")]);
    }
    header.extend(steps.iter().map(|s| format!("{s}_status")));
    header.extend(["total".to_string(), "max".to_string()]);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::invalid("marks.csv", e.to_string(), "report this as a bug");
    writer.write_record(&header).map_err(fail)?;
    for person in marks {
        let mut record: Vec<String> = [&person.id, &person.name, &person.seed]
            .map(|t| spreadsheet_text(t))
            .to_vec();
        let find = |name: &str| person.marks.iter().find(|m| m.name == name);
        for a in &answers {
            match find(a) {
                Some(m) => record.extend([m.status.label(), format_number(m.points, 6)]),
                None => record.extend([String::new(), String::new()]),
            }
        }
        record.extend(
            steps
                .iter()
                .map(|s| find(s).map(|m| m.status.label()).unwrap_or_default()),
        );
        record.extend([format_number(person.total, 6), format_number(person.max, 6)]);
        writer.write_record(&record).map_err(fail)?;
    }
    let bytes = writer
        .into_inner()
        .expect("invariant: writing CSV into memory cannot fail");
    Ok(String::from_utf8(bytes).expect("invariant: the CSV of UTF-8 text is UTF-8"))
}
