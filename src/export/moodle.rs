//! Moodle XML question banks of Cloze ("embedded answers") questions: `nnexam moodle`. This
//! module owns the quiz's shape (variant seeds, question names, the category), the gap syntax,
//! the tolerance policy of the gaps and the XML envelope. The question text is HTML rendered
//! from the template `moodle/question.html`; the graded values come from [`key`], so the quiz
//! and an answer key can never disagree. Must not do I/O: [`quiz_questions`] builds the questions
//! a chunk at a time and a [`QuizWriter`] writes them to whatever writer it is handed, so a quiz
//! of 10 000 questions never sits in memory; [`quiz`] returns a whole quiz as a string.
//!
//! - Variants: variant k of a quiz seeded `S` is generated from the seed text `S/k`, k counted
//!   from 1 and zero-padded to the width of the count (`S/01` ... `S/12`), made distinct by
//!   [`assign::assign_distinct`] (so a variant may use `S/k#2`). Its question is named `S k`
//!   (same padding, so names sort in variant order) and its `idnumber` is the seed text actually
//!   used: `nnexam generate --seed "<idnumber>"` (with the same config) regenerates it.
//! - Gaps: one `{1:NUMERICAL:=value:tolerance}` per graded answer (y_hat, the loss, the updated
//!   W2, B2, F1 and B1), `value` the solver's exact value.
//! - Tolerance (absolute): by default `10^-D + |stepwise - exact|`, D the decimals the question
//!   asks for and `stepwise` the value of the worked solution that rounds every step to D
//!   decimals; so both a student who rounds only the final answer and one who rounds as they go
//!   are accepted ([`Tolerance::FromRounding`]). `--tolerance T` uses T for every gap instead.
//! - Escaping: the template HTML-escapes every value it prints (Tera autoescapes `.html`) and
//!   quick-xml escapes the whole HTML once more for the XML file.
//!
//! [`key`]: super::key

use std::collections::BTreeMap;
use std::io::Write;

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use rayon::prelude::*;
use serde::Serialize;
use tera::Tera;

use super::assign;
use super::key::{self, GradedAnswer, Tolerance};
use crate::error::{Error, Result};
use crate::generate::{seed::check_seed_text, GeneratorConfig};
use crate::number::format_number;
use crate::render;
use crate::solve::shown::{self, Rounding};
use crate::solve::{self, Solution};

/// Most variants in one quiz.
pub const MAX_COUNT: usize = 10_000;

/// Questions built together: keeps both cores busy, and memory at a chunk's questions.
const CHUNK: usize = 256;

/// Most decimals a question may ask for: its derived tolerance is then at least
/// [`MIN_TOLERANCE`].
pub const MAX_DECIMALS: u8 = 6;

/// The smallest tolerance: three digits coarser than the `GAP_DECIMALS` a gap carries, so
/// printing a tolerance never changes it noticeably (and never to 0, which Moodle reads as
/// "exactly").
pub const MIN_TOLERANCE: f64 = 1e-6;

/// One Cloze question: its sortable name, a stable id number and the HTML text with gaps.
#[derive(Clone, Debug, PartialEq)]
pub struct ClozeQuestion {
    /// Question name, sortable (`SEED k`).
    pub name: String,
    /// Moodle's ID number: the seed text that regenerates the exercise.
    pub idnumber: String,
    /// The question text with its Cloze gaps.
    pub html: String,
}

/// Digits kept in a gap's value and tolerance: far finer than any tolerance we derive.
const GAP_DECIMALS: usize = 9;

/// A numerical Cloze gap worth one mark: `{1:NUMERICAL:=value:tolerance}`; Moodle accepts any
/// answer within `tolerance` (absolute) of `value`.
pub fn numerical_gap(value: f64, tolerance: f64) -> String {
    format!(
        "{{1:NUMERICAL:={}:{}}}",
        format_number(value, GAP_DECIMALS),
        format_number(tolerance, GAP_DECIMALS)
    )
}

fn write_text_element<W: Write>(w: &mut Writer<W>, tag: &str, text: &str) -> std::io::Result<()> {
    w.write_event(Event::Start(BytesStart::new(tag)))?;
    w.write_event(Event::Text(BytesText::new(text)))?;
    w.write_event(Event::End(BytesEnd::new(tag)))
}

/// `<tag format="html"><text>...</text></tag>` or `<tag><text>...</text></tag>`.
fn write_wrapped_text<W: Write>(
    w: &mut Writer<W>,
    tag: &str,
    html: bool,
    text: &str,
) -> std::io::Result<()> {
    let mut start = BytesStart::new(tag);
    if html {
        start.push_attribute(("format", "html"));
    }
    w.write_event(Event::Start(start))?;
    write_text_element(w, "text", text)?;
    w.write_event(Event::End(BytesEnd::new(tag)))
}

fn write_question<W: Write>(w: &mut Writer<W>, q: &ClozeQuestion) -> std::io::Result<()> {
    let mut start = BytesStart::new("question");
    start.push_attribute(("type", "cloze"));
    w.write_event(Event::Start(start))?;
    write_wrapped_text(w, "name", false, &q.name)?;
    write_wrapped_text(w, "questiontext", true, &q.html)?;
    write_wrapped_text(w, "generalfeedback", true, "")?;
    write_text_element(w, "penalty", "0.3333333")?;
    write_text_element(w, "hidden", "0")?;
    write_text_element(w, "idnumber", &q.idnumber)?;
    w.write_event(Event::End(BytesEnd::new("question")))
}

/// A Moodle XML file written question by question, so a quiz of any size needs the memory of
/// one question: [`QuizWriter::start`] writes the declaration and the category, each
/// [`QuizWriter::push`] one question, [`QuizWriter::finish`] the end.
pub struct QuizWriter<W: Write> {
    xml: Writer<W>,
}

impl<W: Write> QuizWriter<W> {
    /// Starts the file in `out` with one category.
    pub fn start(out: W, category: &str) -> std::io::Result<Self> {
        let mut xml = Writer::new_with_indent(out, b' ', 2);
        xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        xml.write_event(Event::Start(BytesStart::new("quiz")))?;
        let mut cat = BytesStart::new("question");
        cat.push_attribute(("type", "category"));
        xml.write_event(Event::Start(cat))?;
        write_wrapped_text(&mut xml, "category", false, &format!("$course$/{category}"))?;
        xml.write_event(Event::End(BytesEnd::new("question")))?;
        Ok(QuizWriter { xml })
    }

    /// Writes the next question.
    pub fn push(&mut self, question: &ClozeQuestion) -> std::io::Result<()> {
        write_question(&mut self.xml, question)
    }

    /// Ends the file and hands back the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.xml.write_event(Event::End(BytesEnd::new("quiz")))?;
        let mut out = self.xml.into_inner();
        out.write_all(b"\n")?;
        Ok(out)
    }
}

/// A complete Moodle XML file: one category, then the questions in order.
pub fn quiz_xml(category: &str, questions: &[ClozeQuestion]) -> String {
    let written: std::io::Result<Vec<u8>> = (|| {
        let mut quiz = QuizWriter::start(Vec::new(), category)?;
        for q in questions {
            quiz.push(q)?;
        }
        quiz.finish()
    })();
    let xml = written.expect("invariant: writing XML into memory cannot fail");
    String::from_utf8(xml).expect("invariant: quick-xml writes UTF-8")
}

/// How the questions of a quiz ask and grade.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuizOptions {
    /// Decimals the question asks for (at most [`MAX_DECIMALS`]).
    pub decimals: usize,
    /// One absolute tolerance for every gap; `None` derives it from the rounding rule.
    pub tolerance: Option<f64>,
}

impl QuizOptions {
    /// The tolerance policy these options stand for.
    pub fn policy(&self) -> Tolerance {
        match self.tolerance {
            Some(t) => Tolerance::Fixed(t),
            None => Tolerance::FromRounding {
                decimals: self.decimals,
            },
        }
    }
}

/// One variant of a quiz: the exercise, its exact solution, and how the question is labelled.
#[derive(Clone, Copy, Debug)]
pub struct Variant<'a> {
    /// Question name.
    pub name: &'a str,
    /// The seed text the exercise was generated from (the question's `idnumber`).
    pub seed: &'a str,
    /// The exercise, solved.
    pub solution: &'a Solution,
}

/// The seed texts of a quiz's variants before [`assign::assign_distinct`]: `seed/1` ...
/// `seed/count`, zero-padded to the width of `count`.
pub fn variant_seeds(seed: &str, count: usize) -> Vec<String> {
    (1..=count)
        .map(|k| format!("{seed}/{}", padded(k, count)))
        .collect()
}

/// The name of question `k` (1-based) of `count`: `seed k`, zero-padded so names sort in order.
pub fn question_name(seed: &str, k: usize, count: usize) -> String {
    format!("{seed} {}", padded(k, count))
}

/// The question category of a quiz (Moodle reads `/` as a subcategory).
pub fn category(seed: &str) -> String {
    format!("nnexam/{seed}")
}

fn padded(k: usize, count: usize) -> String {
    let width = count.to_string().len();
    format!("{k:0width$}")
}

/// The Cloze gaps of one exercise, in the shapes the template lays out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Gaps {
    y_hat: String,
    loss: String,
    w2_new: Vec<String>,
    b2_new: String,
    /// Rows of the updated filter.
    f1_new: Vec<Vec<String>>,
    b1_new: String,
}

impl Gaps {
    /// The gaps of `answers` (from [`key::graded_answers`]) for a problem with `w2_len` weights
    /// and a `f1_shape` filter, looked up by the key's answer names.
    fn new(answers: &[GradedAnswer], w2_len: usize, f1_shape: (usize, usize)) -> Gaps {
        let gaps: BTreeMap<&str, String> = answers
            .iter()
            .map(|a| (a.key.as_str(), numerical_gap(a.value, a.tolerance)))
            .collect();
        let gap = |name: &str| -> String {
            gaps.get(name)
                .cloned()
                .expect("invariant: key::graded_answers names every updated parameter")
        };
        Gaps {
            y_hat: gap("y_hat"),
            loss: gap("loss"),
            w2_new: (1..=w2_len).map(|k| gap(&format!("w2_new_{k}"))).collect(),
            b2_new: gap("b2_new"),
            f1_new: (1..=f1_shape.0)
                .map(|r| {
                    (1..=f1_shape.1)
                        .map(|c| gap(&format!("f1_new_{r}_{c}")))
                        .collect()
                })
                .collect(),
            b1_new: gap("b1_new"),
        }
    }
}

/// The graded answers of `variant`: exact values, tolerances by `options`.
pub fn graded_answers(variant: &Variant<'_>, options: &QuizOptions) -> Result<Vec<GradedAnswer>> {
    let stepwise = shown::shown(variant.solution, options.decimals, Rounding::Stepwise)?;
    Ok(key::answers_for(
        variant.solution,
        &stepwise,
        options.policy(),
    ))
}

/// One variant as a Cloze question, its text rendered by [`render::moodle_question`].
pub fn cloze_question(
    variant: &Variant<'_>,
    options: &QuizOptions,
    tera: &Tera,
) -> Result<ClozeQuestion> {
    let problem = &variant.solution.problem;
    let gaps = Gaps::new(
        &graded_answers(variant, options)?,
        problem.w2.len(),
        problem.f1.dim(),
    );
    Ok(ClozeQuestion {
        name: variant.name.to_string(),
        idnumber: variant.seed.to_string(),
        html: render::moodle_question(tera, problem, options.decimals, &gaps)?,
    })
}

/// Checks what the command line cannot: the quiz seed, the count and the options.
fn check(seed: &str, count: usize, options: &QuizOptions) -> Result<()> {
    check_seed_text(seed)?;
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(Error::invalid(
            "count",
            format!("{count} questions"),
            format!("ask for 1 to {MAX_COUNT} questions"),
        ));
    }
    if options.decimals > usize::from(MAX_DECIMALS) {
        return Err(Error::invalid(
            "decimals",
            format!("{} decimals", options.decimals),
            format!("ask for at most {MAX_DECIMALS} decimals"),
        ));
    }
    options.tolerance.map_or(Ok(()), check_tolerance)
}

/// A fixed tolerance must be finite and at least [`MIN_TOLERANCE`].
pub fn check_tolerance(tolerance: f64) -> Result<()> {
    if tolerance.is_finite() && tolerance >= MIN_TOLERANCE {
        return Ok(());
    }
    Err(Error::invalid(
        "tolerance",
        format!("{tolerance} is not a usable absolute tolerance"),
        format!("give a finite tolerance of at least {MIN_TOLERANCE}, e.g. 0.01"),
    ))
}

/// The questions of a quiz of `count` distinct variants of `config`, seeded by `seed`, by the
/// rules in the module docs, in order and a few hundred at a time: each item is the next chunk,
/// built on all cores. Only the chunk is held, so memory does not grow with `count`; feed the
/// questions to a [`QuizWriter`].
pub fn quiz_questions<'a>(
    config: &'a GeneratorConfig,
    seed: &'a str,
    count: usize,
    options: &'a QuizOptions,
    tera: &'a Tera,
) -> Result<impl Iterator<Item = Result<Vec<ClozeQuestion>>> + 'a> {
    check(seed, count, options)?;
    let bases = variant_seeds(seed, count);
    let mut assigner = assign::Assigner::new(config);
    Ok((0..count).step_by(CHUNK).map(move |first| {
        let chunk = &bases[first..(first + CHUNK).min(count)];
        let assigned = assigner.assign(chunk)?;
        assigned
            .par_iter()
            .enumerate()
            .map(|(i, a)| {
                let solution = solve::solve(&a.problem)?;
                let name = question_name(seed, first + i + 1, count);
                let variant = Variant {
                    name: &name,
                    seed: &a.seed,
                    solution: &solution,
                };
                cloze_question(&variant, options, tera)
            })
            .collect()
    }))
}

/// The Moodle XML of a quiz of `count` distinct variants of `config`, seeded by `seed`, in
/// memory: [`quiz_questions`] written by a [`QuizWriter`].
pub fn quiz(
    config: &GeneratorConfig,
    seed: &str,
    count: usize,
    options: &QuizOptions,
    tera: &Tera,
) -> Result<String> {
    let mut questions = Vec::with_capacity(count);
    for chunk in quiz_questions(config, seed, count, options, tera)? {
        questions.extend(chunk?);
    }
    Ok(quiz_xml(&category(seed), &questions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::fixtures::task_3_1;
    use quick_xml::events::Event;
    use quick_xml::Reader;

    #[test]
    fn gap_uses_moodle_numerical_syntax() {
        assert_eq!(
            numerical_gap(0.3543436937, 0.001),
            "{1:NUMERICAL:=0.354343694:0.001}"
        );
        assert_eq!(numerical_gap(-2.0, 0.0005), "{1:NUMERICAL:=-2:0.0005}");
    }

    #[test]
    fn special_characters_are_escaped_and_read_back() {
        let q = ClozeQuestion {
            name: "Q <1> & \"A\"".into(),
            idnumber: "x".into(),
            html: "<p>a & b < c</p> \\( x \\)".into(),
        };
        let xml = quiz_xml("nnexam/test", std::slice::from_ref(&q));
        let mut reader = Reader::from_str(&xml);
        let mut texts = Vec::new();
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Text(t) => texts.push(t.unescape().unwrap().into_owned()),
                Event::Eof => break,
                _ => {}
            }
        }
        assert!(texts.contains(&q.name), "{texts:?}");
        assert!(texts.contains(&q.html), "{texts:?}");
        assert!(texts.contains(&"$course$/nnexam/test".to_string()));
    }

    /// Task 3.1's question under `options`, and its graded answers.
    fn task_question(options: &QuizOptions) -> (ClozeQuestion, Vec<GradedAnswer>) {
        let problem = task_3_1();
        let solution = solve::solve(&problem).unwrap();
        let variant = Variant {
            name: "t 1",
            seed: "t/1",
            solution: &solution,
        };
        let tera = render::engine().unwrap();
        let question = cloze_question(&variant, options, &tera).unwrap();
        (question, graded_answers(&variant, options).unwrap())
    }

    const DEFAULT: QuizOptions = QuizOptions {
        decimals: 3,
        tolerance: None,
    };

    /// Every `{1:NUMERICAL:...}` gap of `html`, in order.
    fn gaps_of(html: &str) -> Vec<&str> {
        html.match_indices("{1:NUMERICAL:")
            .map(|(start, _)| {
                let end = start + html[start..].find('}').unwrap();
                &html[start..=end]
            })
            .collect()
    }

    #[test]
    fn variant_seeds_are_zero_padded_to_the_width_of_the_count() {
        assert_eq!(variant_seeds("S", 3), ["S/1", "S/2", "S/3"]);
        let twelve = variant_seeds("S", 12);
        assert_eq!((twelve[0].as_str(), twelve[11].as_str()), ("S/01", "S/12"));
        assert_eq!(variant_seeds("S", 100)[6], "S/007");
    }

    #[test]
    fn question_names_sort_in_variant_order() {
        let names: Vec<String> = (1..=120).map(|k| question_name("ML", k, 120)).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names[0], "ML 001");
    }

    #[test]
    fn tolerance_flag_replaces_the_rounding_rule() {
        assert_eq!(DEFAULT.policy(), Tolerance::FromRounding { decimals: 3 });
        let fixed = QuizOptions {
            tolerance: Some(0.01),
            ..DEFAULT
        };
        assert_eq!(fixed.policy(), Tolerance::Fixed(0.01));
    }

    #[test]
    fn unusable_counts_decimals_and_tolerances_are_rejected() {
        assert!(check("s", 0, &DEFAULT).is_err());
        assert!(check("s", MAX_COUNT + 1, &DEFAULT).is_err());
        assert!(check("", 1, &DEFAULT).is_err());
        let decimals = QuizOptions {
            decimals: 7,
            ..DEFAULT
        };
        assert!(check("s", 1, &decimals).is_err());
        for t in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-7] {
            let err = check_tolerance(t).unwrap_err().to_string();
            assert!(err.contains("tolerance"), "{err}");
        }
        assert!(check_tolerance(MIN_TOLERANCE).is_ok());
        assert!(check("s", MAX_COUNT, &DEFAULT).is_ok());
    }

    #[test]
    fn question_has_one_gap_per_graded_answer_in_key_order() {
        let (question, answers) = task_question(&DEFAULT);
        let expected: Vec<String> = answers
            .iter()
            .map(|a| numerical_gap(a.value, a.tolerance))
            .collect();
        assert_eq!(gaps_of(&question.html), expected);
        assert_eq!(
            (question.name.as_str(), question.idnumber.as_str()),
            ("t 1", "t/1")
        );
    }

    #[test]
    fn question_html_is_well_formed() {
        let (question, _) = task_question(&DEFAULT);
        // The template writes XHTML-style markup, so an XML reader checks that tags balance.
        let wrapped = format!("<div>{}</div>", question.html);
        let mut reader = Reader::from_str(&wrapped);
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{e}: {}", question.html),
            }
        }
    }

    #[test]
    fn matrix_ampersands_are_html_escaped() {
        let (question, _) = task_question(&DEFAULT);
        let html = &question.html;
        assert!(html.contains("\\begin{bmatrix} 2 &amp; 0"), "{html}");
        for (at, _) in html.match_indices('&') {
            let rest = &html[at..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#x2F;"]
                    .iter()
                    .any(|entity| rest.starts_with(entity)),
                "bare & at {at}: {}",
                &rest[..rest.len().min(20)]
            );
        }
    }

    #[test]
    fn gaps_stay_outside_math() {
        let (question, _) = task_question(&DEFAULT);
        let html = &question.html;
        for (at, _) in html.match_indices("{1:NUMERICAL:") {
            let before = &html[..at];
            assert_eq!(
                before.matches("\\(").count(),
                before.matches("\\)").count(),
                "gap at {at} is inside \\( \\)"
            );
        }
    }

    #[test]
    fn question_says_how_many_decimals_to_give() {
        let two = QuizOptions {
            decimals: 2,
            ..DEFAULT
        };
        assert!(task_question(&two).0.html.contains("to 2 decimal places"));
        let whole = QuizOptions {
            decimals: 0,
            ..DEFAULT
        };
        assert!(task_question(&whole).0.html.contains("as a whole number"));
    }

    #[test]
    fn quiz_is_deterministic_and_names_follow_the_seed() {
        let config = GeneratorConfig::default();
        let tera = render::engine().unwrap();
        let xml = quiz(&config, "Q", 2, &DEFAULT, &tera).unwrap();
        assert_eq!(xml, quiz(&config, "Q", 2, &DEFAULT, &tera).unwrap());
        for needle in [
            "$course$/nnexam/Q",
            "<text>Q 1</text>",
            "<idnumber>Q/2</idnumber>",
        ] {
            assert!(xml.contains(needle), "{needle}");
        }
    }
}
