//! Grading as the reader sees it: the contexts of the feedback and report templates, every
//! number already printed (points trimmed to 3 decimals, shares as whole percents) and the bar
//! chart's geometry in pixels and centimetres, then rendered through the templates `grade/*`.

use serde::Serialize;
use tera::Tera;

use super::{ClassReport, Mark, PersonMarks};
use crate::error::Result;
use crate::number::{exact_text, format_number, DecimalMark};
use crate::render;

/// Points as printed: at most 3 decimals, trimmed.
fn points(x: f64) -> String {
    format_number(x, 3)
}

/// A share 0..=1 as a whole percent.
fn percent(share: f64) -> String {
    format_number(share * 100.0, 0)
}

#[derive(Serialize)]
struct MarkView<'a> {
    name: &'a str,
    kind: &'static str,
    misconceptions: Vec<&'static str>,
    given: String,
    points: String,
    max: String,
    correct: String,
    graded: bool,
}

fn mark_view(mark: &Mark, decimal: DecimalMark) -> MarkView<'_> {
    let misconceptions = match &mark.status {
        super::Status::Misconception(names) => names.iter().map(|m| m.name()).collect(),
        _ => Vec::new(),
    };
    MarkView {
        name: &mark.name,
        kind: mark.status.kind(),
        misconceptions,
        given: mark
            .given
            .map(|x| decimal.text(&exact_text(x)).into_owned())
            .unwrap_or_default(),
        points: decimal.text(&points(mark.points)).into_owned(),
        max: decimal.text(&points(mark.max)).into_owned(),
        correct: decimal.text(&mark.correct).into_owned(),
        graded: mark.graded,
    }
}

#[derive(Serialize)]
struct PersonView<'a> {
    id: &'a str,
    name: &'a str,
    present: bool,
    total: String,
    max: String,
    marks: Vec<MarkView<'a>>,
}

/// One student's feedback in the template `grade/feedback.<ext>` (`md` or `tex`); with
/// `reveal`, the value the sheet prints for every answer not right. Numbers are in running text,
/// with the language's `decimal` mark.
pub fn feedback(
    tera: &Tera,
    person: &PersonMarks,
    ext: &str,
    reveal: bool,
    decimal: DecimalMark,
) -> Result<String> {
    #[derive(Serialize)]
    struct Context<'a> {
        person: PersonView<'a>,
        reveal: bool,
    }
    let context = Context {
        person: PersonView {
            id: &person.id,
            name: &person.name,
            present: person.present,
            total: decimal.text(&points(person.total)).into_owned(),
            max: decimal.text(&points(person.max)).into_owned(),
            marks: person
                .marks
                .iter()
                .map(|mark| mark_view(mark, decimal))
                .collect(),
        },
        reveal,
    };
    render::render(tera, &format!("grade/feedback.{ext}"), &context)
}

/// Pixels of the longest bar of the chart, and of one row.
const BAR_PX: f64 = 300.0;
const ROW_PX: usize = 20;
/// Centimetres of the longest bar in the LaTeX report.
const BAR_CM: f64 = 3.0;

/// The length in pixels of the bar of `share` (0..=1), to a tenth of a pixel.
fn pixels(share: f64) -> f64 {
    (share * BAR_PX * 10.0).round() / 10.0
}

#[derive(Serialize)]
struct AnswerView<'a> {
    name: &'a str,
    correct: usize,
    carried: usize,
    misconception: usize,
    wrong: usize,
    blank: usize,
    success_percent: String,
    bar_px: f64,
    bar_cm: String,
    y: usize,
}

#[derive(Serialize)]
struct MisconceptionView {
    name: &'static str,
    people: usize,
    answers: usize,
    people_percent: String,
    bar_px: f64,
    y: usize,
}

#[derive(Serialize)]
struct ReportView<'a> {
    people: usize,
    present: usize,
    mean_total: String,
    max: String,
    answers: Vec<AnswerView<'a>>,
    misconceptions: Vec<MisconceptionView>,
}

#[derive(Serialize)]
struct ChartView {
    height: usize,
    misconceptions_y: usize,
}

/// The class report in the template `grade/report.<ext>` (`md`, `tex` or `svg`, the bar chart).
/// Its points have the language's `decimal` mark; the chart's geometry keeps the point.
pub fn report(
    tera: &Tera,
    report: &ClassReport,
    ext: &str,
    decimal: DecimalMark,
) -> Result<String> {
    #[derive(Serialize)]
    struct Context<'a> {
        report: ReportView<'a>,
        chart: ChartView,
    }
    let top = 34;
    let answers: Vec<AnswerView<'_>> = report
        .answers
        .iter()
        .enumerate()
        .map(|(i, a)| AnswerView {
            name: &a.name,
            correct: a.correct,
            carried: a.carried,
            misconception: a.misconception,
            wrong: a.wrong,
            blank: a.blank,
            success_percent: percent(a.success),
            bar_px: pixels(a.success),
            bar_cm: format_number(a.success * BAR_CM, 2),
            y: top + i * ROW_PX,
        })
        .collect();
    let misconceptions_y = top + answers.len() * ROW_PX + 24;
    let share = |people: usize| match report.present {
        0 => 0.0,
        n => people as f64 / n as f64,
    };
    let misconceptions: Vec<MisconceptionView> = report
        .misconceptions
        .iter()
        .enumerate()
        .map(|(i, m)| MisconceptionView {
            name: m.name,
            people: m.people,
            answers: m.answers,
            people_percent: percent(share(m.people)),
            bar_px: pixels(share(m.people)),
            y: misconceptions_y + 14 + i * ROW_PX,
        })
        .collect();
    let height = misconceptions_y + 20 + misconceptions.len() * ROW_PX;
    let context = Context {
        report: ReportView {
            people: report.people,
            present: report.present,
            mean_total: decimal.text(&points(report.mean_total)).into_owned(),
            max: decimal.text(&points(report.max)).into_owned(),
            answers,
            misconceptions,
        },
        chart: ChartView {
            height,
            misconceptions_y,
        },
    };
    render::render(tera, &format!("grade/report.{ext}"), &context)
}

/// The misconception catalogue as `nnexam misconceptions` lists it (`text/misconceptions.txt`).
pub fn catalogue(tera: &Tera) -> Result<String> {
    use crate::solve::misconception::Misconception;
    #[derive(Serialize)]
    struct Entry {
        name: &'static str,
        steps: Vec<&'static str>,
        requires: Option<&'static str>,
    }
    #[derive(Serialize)]
    struct Context {
        misconceptions: Vec<Entry>,
    }
    let misconceptions = Misconception::ALL
        .into_iter()
        .map(|m| Entry {
            name: m.name(),
            steps: m
                .steps()
                .iter()
                .filter(|s| **s != crate::solve::step::Step::DP0Padded)
                .map(|s| s.name())
                .collect(),
            requires: m.requires(),
        })
        .collect();
    render::render(
        tera,
        render::entry::MISCONCEPTIONS,
        &Context { misconceptions },
    )
}
