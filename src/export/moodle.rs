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
//! - Moodle's limits: an idnumber has at most 100 characters, a question's or a category's name
//!   at most 255. A longer text keeps its first characters, then `~` and 16 hex digits of the
//!   SHA-256 of the whole text ([`fit`]): names stay distinct and sorted by variant, and
//!   `nnexam moodle` with the same seed and count regenerates every question.
//! - Gaps: one `{w:NUMERICAL:=value:tolerance~%0%-99..9:0}` per graded answer (y_hat, the loss,
//!   the updated W2, B2, F1 and B1). `value` is the number the stepwise worked solution prints
//!   (what Moodle shows as the right answer in review). The 0 % answer `-99..9` is never
//!   right: it pads every gap to the same input width ([`gap_width`]), so the width gives
//!   nothing away.
//! - Tolerance (absolute), centred on the printed value: the rule's margin (10^-D by default,
//!   D the decimals the question asks for; `--tolerance T` instead) plus the distance to the
//!   exact value ([`Tolerance::around_stepwise`]); so the exact value, a student who rounds only
//!   the final answer and one who rounds as they go are all accepted. A quiz whose gap would
//!   accept the value of skipping its step is refused ([`key::check_apart`]).
//! - Weights: part a's points (y_hat, the loss) split evenly over its gaps, part b's over the
//!   updated parameters, times the smallest whole number that makes every weight whole (Cloze
//!   weights are whole numbers): with the default 4 and 8 points, y_hat and C weigh 10 each and
//!   each of the 10 updated parameters 4, 60 in all. Moodle scales the question to the mark the
//!   quiz gives it.
//! - General feedback: the worked solution, stepwise at the question's decimals
//!   ([`render::moodle_feedback`]), as R/exams' `exams2moodle` does.
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
use sha2::{Digest, Sha256};
use tera::Tera;

use super::assign;
use super::key::{self, Apart, GradedAnswer, Share, Tolerance};
use crate::error::{Error, Result};
use crate::generate::choice::Choice;
use crate::generate::{seed::check_seed_text, GeneratorConfig};
use crate::number::{decimal_text, format_number, DecimalMark};
use crate::render;
use crate::solve::shown::{self, Rounding};
use crate::solve::step::Step;
use crate::solve::{self, Solution};
use crate::spec::difficulty::Knobs;
use crate::spec::Problem;

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

/// Most characters of a question's idnumber in Moodle.
pub const MAX_IDNUMBER: usize = 100;

/// Most characters of a question's name, and of a category's name, in Moodle.
pub const MAX_NAME: usize = 255;

/// Narrowest input box of a gap, in characters.
pub const MIN_GAP_WIDTH: usize = 12;

/// One Cloze question: its sortable name, a stable id number, the HTML text with gaps and the
/// worked solution as general feedback.
#[derive(Clone, Debug, PartialEq)]
pub struct ClozeQuestion {
    /// Question name, sortable (`SEED k`).
    pub name: String,
    /// Moodle's ID number: the seed text that regenerates the exercise.
    pub idnumber: String,
    /// The question text with its Cloze gaps.
    pub html: String,
    /// The general feedback (HTML), shown after the attempt.
    pub feedback: String,
}

/// Digits kept in a gap's tolerance: far finer than any tolerance we derive.
const GAP_DECIMALS: usize = 9;

/// One numerical Cloze gap: `{weight:NUMERICAL:=value:tolerance~%0%-99..9:0}`. Moodle accepts
/// any answer within `tolerance` (absolute) of `value`; the never-right 0 % answer, `width`
/// characters long, sets the input box's width (Moodle sizes it to the longest answer).
pub fn numerical_gap(weight: u64, value: &str, tolerance: f64, width: usize) -> String {
    let padding = format!("-{}", "9".repeat(width.saturating_sub(1)));
    format!(
        "{{{weight}:NUMERICAL:={value}:{}~%0%{padding}:0}}",
        format_number(tolerance, GAP_DECIMALS)
    )
}

/// One multiple-choice Cloze gap, a drop-down that Moodle shuffles:
/// `{weight:MULTICHOICE_S:=right~wrong~wrong~wrong}`, its options written with `decimal_mark`
/// (they are text a student reads, not numbers Moodle parses). The options are numbers, so
/// none holds a character Cloze would need escaped.
pub fn multichoice_gap(weight: u64, choice: &Choice, decimal_mark: DecimalMark) -> String {
    let options: Vec<String> = choice
        .options
        .iter()
        .map(|o| {
            let mark = if o.letter == choice.correct { "=" } else { "" };
            format!("{mark}{}", decimal_mark.text(&o.text))
        })
        .collect();
    format!("{{{weight}:MULTICHOICE_S:{}}}", options.join("~"))
}

/// The input width of every gap of a question whose values print as `values`: the longest,
/// and at least [`MIN_GAP_WIDTH`].
pub fn gap_width<'a>(values: impl IntoIterator<Item = &'a str>) -> usize {
    values
        .into_iter()
        .map(|v| v.chars().count())
        .fold(MIN_GAP_WIDTH, usize::max)
}

/// `text` if it has at most `max` characters (`max` > 17); otherwise its first `max - 17`
/// characters, `~` and the first 16 hex digits of the SHA-256 of the whole `text`.
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let hash: String = Sha256::digest(text.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let kept: String = text.chars().take(max - 17).collect();
    format!("{kept}~{hash}")
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
    write_wrapped_text(w, "generalfeedback", true, &q.feedback)?;
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
#[derive(Clone, Debug, PartialEq)]
pub struct QuizOptions {
    /// Decimals the question asks for (at most [`MAX_DECIMALS`]).
    pub decimals: usize,
    /// One absolute tolerance for every gap; `None` derives it from the rounding rule.
    pub tolerance: Option<f64>,
    /// Which parts are asked (a: y_hat and the loss, b: the updated parameters, c: dC/dP0) and
    /// their points; every answer must be worth a point or a share of one.
    pub knobs: Knobs,
    /// Multiple-choice gaps (the right value and three distractors) instead of numerical ones.
    pub choice: bool,
    /// How the question text and feedback write the decimal mark (the gaps' answers keep the
    /// point of Moodle's Cloze syntax; Moodle accepts a point or a comma from students).
    pub decimal_mark: DecimalMark,
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

/// The name of question `k` (1-based) of `count`: `seed k`, zero-padded so names sort in order;
/// a seed too long for [`MAX_NAME`] is [`fit`] to it.
pub fn question_name(seed: &str, k: usize, count: usize) -> String {
    let number = padded(k, count);
    format!("{} {number}", fit(seed, MAX_NAME - 1 - number.len()))
}

/// The question category of a quiz (Moodle reads `/` as a subcategory); a seed too long for
/// [`MAX_NAME`] is [`fit`] to it.
pub fn category(seed: &str) -> String {
    const PREFIX: &str = "nnexam/";
    format!("{PREFIX}{}", fit(seed, MAX_NAME - PREFIX.len()))
}

fn padded(k: usize, count: usize) -> String {
    let width = count.to_string().len();
    format!("{k:0width$}")
}

/// The Cloze gaps of one exercise, in the shapes the template lays out; a part not asked has
/// none.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Gaps {
    y_hat: Option<String>,
    loss: Option<String>,
    w2_new: Vec<String>,
    b2_new: Option<String>,
    /// Rows of the updated filter.
    f1_new: Vec<Vec<String>>,
    b1_new: Option<String>,
    /// Rows of dC/dP0.
    d_p0: Vec<Vec<String>>,
    /// Every gap with its answer's name, in key order: the wider family's answer table.
    all: Vec<NamedGap>,
}

/// One gap with the name of its answer (`s2_y_hat_3`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
struct NamedGap {
    name: String,
    gap: String,
}

impl Gaps {
    /// The gaps of `answers` (from [`gap_answers`]) for `problem`, looked up by answer name; a
    /// multiple-choice gap shows its options with `decimal_mark`.
    fn new(answers: &[GapAnswer], problem: &Problem, decimal_mark: DecimalMark) -> Gaps {
        let width = gap_width(answers.iter().map(|a| a.text.as_str()));
        let all: Vec<NamedGap> = answers
            .iter()
            .map(|a| NamedGap {
                name: a.answer.key.clone(),
                gap: match &a.choice {
                    Some(choice) => multichoice_gap(a.weight, choice, decimal_mark),
                    None => numerical_gap(a.weight, &a.text, a.answer.tolerance, width),
                },
            })
            .collect();
        let gaps: BTreeMap<&str, &str> = all
            .iter()
            .map(|g| (g.name.as_str(), g.gap.as_str()))
            .collect();
        let gap = |name: String| gaps.get(name.as_str()).map(|g| g.to_string());
        let shapes = problem.shapes();
        // A step's gaps in rows (a map or a filter) or in a row (a vector), `[]` when not asked.
        let rows = |step: Step| -> Vec<Vec<String>> {
            let shape = solve::value_shape(&shapes, step);
            let columns = *shape.last().unwrap_or(&1);
            let names = step.entry_names(&shape);
            let found: Vec<String> = names.into_iter().filter_map(gap).collect();
            found.chunks(columns).map(<[String]>::to_vec).collect()
        };
        // Every gap in the template's layout, then the same gaps in key order.
        let laid_out = Gaps {
            y_hat: gap(Step::YHat.name().to_string()),
            loss: gap(Step::Loss.name().to_string()),
            w2_new: rows(Step::W2New).concat(),
            b2_new: gap(Step::B2New.name().to_string()),
            f1_new: rows(Step::F1New),
            b1_new: gap(Step::B1New.name().to_string()),
            d_p0: rows(Step::DP0),
            all: Vec::new(),
        };
        Gaps { all, ..laid_out }
    }
}

/// One gap's answer: centred on the printed value, with its tolerance and weight.
#[derive(Clone, Debug, PartialEq)]
pub struct GapAnswer {
    /// The key's name, the printed value (as f64), the tolerance around it and the points.
    pub answer: GradedAnswer,
    /// The printed value, as the stepwise worked solution prints it.
    pub text: String,
    /// The gap's whole-number weight.
    pub weight: u64,
    /// With `--choice`, its options.
    pub choice: Option<Choice>,
}

/// Whole-number Cloze weights of answers worth `shares` points: each share times the smallest
/// whole number that makes every weight whole.
pub fn gap_weights(shares: &[Share]) -> Vec<u64> {
    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    // Each share in lowest terms; the multiplier is the least common multiple of denominators.
    let reduced: Vec<(u64, u64)> = shares
        .iter()
        .map(|s| {
            let g = gcd(s.numerator, s.denominator).max(1);
            (s.numerator / g, s.denominator / g)
        })
        .collect();
    let multiplier = reduced.iter().fold(1, |lcm, &(_, d)| lcm / gcd(lcm, d) * d);
    reduced.iter().map(|&(n, d)| n * (multiplier / d)).collect()
}

/// The graded answers of `variant` as the key grades them: exact values, tolerances by
/// `options` around them, points by the knobs.
pub fn graded_answers(variant: &Variant<'_>, options: &QuizOptions) -> Result<Vec<GradedAnswer>> {
    let stepwise = shown::shown(variant.solution, options.decimals, Rounding::Stepwise)?;
    key::answers_for(
        variant.solution,
        &stepwise,
        options.policy(),
        &options.knobs,
    )
}

/// The gaps' answers of `variant`: the stepwise printed values, tolerances by `options` around
/// them ([`Tolerance::around_stepwise`]) and weights by the points ([`gap_weights`]).
pub fn gap_answers(variant: &Variant<'_>, options: &QuizOptions) -> Result<Vec<GapAnswer>> {
    let solution = variant.solution;
    let stepwise = shown::shown(solution, options.decimals, Rounding::Stepwise)?;
    let shapes = solution.problem.shapes();
    let steps = key::graded_steps(&options.knobs, &shapes);
    let names = key::answer_names(&steps, &shapes);
    let shares = key::answer_points(&names, &key::graded_parts(&steps, &shapes), &options.knobs)?;
    let texts = key::graded_values(&stepwise.values, &steps, decimal_text);
    let exact = key::graded_values(&solution.values, &steps, |x| *x);
    let policy = options.policy();
    let weights = gap_weights(&shares);
    if let Some(k) = weights.iter().position(|&w| w == 0) {
        return Err(Error::invalid(
            "difficulty.points",
            format!("the answer {} is worth 0 points", names[k]),
            "a Moodle gap needs a weight of at least 1: give every asked part (and every \
             answer in answer_points) at least 1 point",
        ));
    }
    let mut answers: Vec<GapAnswer> = names
        .into_iter()
        .zip(texts)
        .zip(exact.iter().zip(shares))
        .zip(weights)
        .map(|(((key, text), (&exact, share)), weight)| {
            let value = text.parse().expect("invariant: decimal text parses as f64");
            GapAnswer {
                answer: GradedAnswer {
                    key,
                    value,
                    tolerance: policy.around_stepwise(exact, value),
                    points: share.to_f64(),
                    letter: None,
                },
                text,
                weight,
                choice: None,
            }
        })
        .collect();
    if options.choice {
        let mut graded: Vec<GradedAnswer> = answers.iter().map(|a| a.answer.clone()).collect();
        let choices = key::choose(
            solution,
            &stepwise,
            &mut graded,
            &options.knobs,
            variant.seed,
        );
        for ((answer, graded), choice) in answers.iter_mut().zip(graded).zip(choices) {
            answer.answer = graded;
            answer.choice = Some(choice);
        }
    }
    Ok(answers)
}

/// One variant as a Cloze question, its text rendered by [`render::moodle_question`] and its
/// feedback by [`render::moodle_feedback`].
pub fn cloze_question(
    variant: &Variant<'_>,
    options: &QuizOptions,
    tera: &Tera,
) -> Result<ClozeQuestion> {
    question_with_gaps(variant, &gap_answers(variant, options)?, options, tera)
}

/// [`cloze_question`] with the gaps' answers already computed.
fn question_with_gaps(
    variant: &Variant<'_>,
    answers: &[GapAnswer],
    options: &QuizOptions,
    tera: &Tera,
) -> Result<ClozeQuestion> {
    let problem = &variant.solution.problem;
    let gaps = Gaps::new(answers, problem, options.decimal_mark);
    // The question (for the wider family's inputs) and the feedback read the same shown values.
    let stepwise = shown::shown(variant.solution, options.decimals, Rounding::Stepwise)?;
    Ok(ClozeQuestion {
        name: variant.name.to_string(),
        idnumber: fit(variant.seed, MAX_IDNUMBER),
        html: render::moodle_question(
            tera,
            variant.solution,
            &stepwise,
            options.decimal_mark,
            options.choice,
            &gaps,
        )?,
        feedback: render::moodle_feedback(variant.solution, &stepwise, options.decimal_mark, tera)?,
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
    options.tolerance.map_or(Ok(()), check_tolerance)?;
    key::check_tolerance_fits_decimals(options.policy(), options.decimals)
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
                checked_question(&variant, options, tera)
            })
            .collect()
    }))
}

/// [`cloze_question`] for a quiz: refused when its key, or a gap centred on the printed value,
/// could not tell a skipped step from a right answer.
fn checked_question(
    variant: &Variant<'_>,
    options: &QuizOptions,
    tera: &Tera,
) -> Result<ClozeQuestion> {
    let solution = variant.solution;
    let who = format!("question {} (seed {})", variant.name, variant.seed);
    let answers = graded_answers(variant, options)?;
    key::check_distinct(solution, &answers, options.policy(), &who)?;
    let gaps = gap_answers(variant, options)?;
    let centred: Vec<GradedAnswer> = gaps.iter().map(|g| g.answer.clone()).collect();
    let apart = Apart::OutsideTheTolerance;
    key::check_apart(solution, &centred, options.policy(), &who, apart)?;
    question_with_gaps(variant, &gaps, options, tera)
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
    fn gap_uses_moodle_numerical_syntax_padded_to_its_width() {
        assert_eq!(
            numerical_gap(10, "0.354", 0.0014, 12),
            "{10:NUMERICAL:=0.354:0.0014~%0%-99999999999:0}"
        );
        assert_eq!(
            numerical_gap(4, "-2", 0.0005, 3),
            "{4:NUMERICAL:=-2:0.0005~%0%-99:0}"
        );
        assert_eq!(gap_width(["0.5", "-12.125"]), MIN_GAP_WIDTH);
        assert_eq!(gap_width(["-1234567.12345"]), 14);
    }

    #[test]
    fn weights_are_the_points_per_gap_made_whole() {
        let share = |numerator, denominator| Share {
            numerator,
            denominator,
        };
        // 4 points over 2 gaps, 8 over 10, 4 over 25: 2, 0.8 and 0.16 per gap, times 25.
        assert_eq!(
            gap_weights(&[share(4, 2), share(8, 10), share(4, 25)]),
            [50, 20, 4]
        );
        // Whole already: kept as they are.
        assert_eq!(gap_weights(&[share(4, 2), share(10, 10)]), [2, 1]);
        // 1/2 and 3/7 per gap: times 14.
        assert_eq!(gap_weights(&[share(1, 2), share(3, 7)]), [7, 6]);
    }

    #[test]
    fn long_texts_are_fit_to_moodle_s_limits_and_stay_distinct() {
        assert_eq!(fit("short", 100), "short");
        let long_a = format!("{}a", "x".repeat(300));
        let long_b = format!("{}b", "x".repeat(300));
        let (a, b) = (fit(&long_a, MAX_IDNUMBER), fit(&long_b, MAX_IDNUMBER));
        assert_eq!(a.chars().count(), MAX_IDNUMBER);
        assert_ne!(a, b);
        assert!(a.starts_with(&"x".repeat(MAX_IDNUMBER - 17)) && a.contains('~'));
        // Multi-byte characters are counted as characters.
        assert_eq!(fit(&"é".repeat(101), 100).chars().count(), 100);
        let seed = "s".repeat(400);
        let names: Vec<String> = (1..=12).map(|k| question_name(&seed, k, 12)).collect();
        assert!(names.iter().all(|n| n.chars().count() <= MAX_NAME));
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, names);
        assert!(category(&seed).chars().count() <= MAX_NAME);
    }

    #[test]
    fn special_characters_are_escaped_and_read_back() {
        let q = ClozeQuestion {
            name: "Q <1> & \"A\"".into(),
            idnumber: "x".into(),
            html: "<p>a & b < c</p> \\( x \\)".into(),
            feedback: "<p>x &gt; 0</p>".into(),
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
        assert!(texts.contains(&q.feedback), "{texts:?}");
        assert!(texts.contains(&"$course$/nnexam/test".to_string()));
    }

    /// Task 3.1's question under `options`, and its gaps' answers.
    fn task_question(options: &QuizOptions) -> (ClozeQuestion, Vec<GapAnswer>) {
        let problem = task_3_1();
        let solution = solve::solve(&problem).unwrap();
        let variant = Variant {
            name: "t 1",
            seed: "t/1",
            solution: &solution,
        };
        let tera = render::engine().unwrap();
        let question = cloze_question(&variant, options, &tera).unwrap();
        (question, gap_answers(&variant, options).unwrap())
    }

    /// Three decimals, the derived tolerance and the standard knobs (parts a, b and c).
    fn default_options() -> QuizOptions {
        QuizOptions {
            decimals: 3,
            tolerance: None,
            knobs: Knobs::default(),
            choice: false,
            decimal_mark: DecimalMark::Point,
        }
    }

    /// Every `{w:NUMERICAL:...}` gap of `html`, in order.
    fn gaps_of(html: &str) -> Vec<&str> {
        html.match_indices(":NUMERICAL:")
            .map(|(at, _)| {
                let start = html[..at].rfind('{').unwrap();
                let end = at + html[at..].find('}').unwrap();
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
        assert_eq!(
            default_options().policy(),
            Tolerance::FromRounding { decimals: 3 }
        );
        let fixed = QuizOptions {
            tolerance: Some(0.01),
            ..default_options()
        };
        assert_eq!(fixed.policy(), Tolerance::Fixed(0.01));
    }

    #[test]
    fn unusable_counts_decimals_and_tolerances_are_rejected() {
        assert!(check("s", 0, &default_options()).is_err());
        assert!(check("s", MAX_COUNT + 1, &default_options()).is_err());
        assert!(check("", 1, &default_options()).is_err());
        let decimals = QuizOptions {
            decimals: 7,
            ..default_options()
        };
        assert!(check("s", 1, &decimals).is_err());
        for t in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-7] {
            let err = check_tolerance(t).unwrap_err().to_string();
            assert!(err.contains("tolerance"), "{err}");
        }
        assert!(check_tolerance(MIN_TOLERANCE).is_ok());
        assert!(check("s", MAX_COUNT, &default_options()).is_ok());
    }

    #[test]
    fn an_answer_worth_no_points_is_refused() {
        let mut options = default_options();
        options.knobs.points.b = 0;
        let solution = solve::solve(&task_3_1()).unwrap();
        let variant = Variant {
            name: "t 1",
            seed: "t/1",
            solution: &solution,
        };
        let err = gap_answers(&variant, &options).unwrap_err().to_string();
        assert!(
            err.contains("w2_new_1") && err.contains("0 points"),
            "{err}"
        );
    }

    #[test]
    fn question_has_one_gap_per_graded_answer_in_key_order() {
        let (question, answers) = task_question(&default_options());
        let gaps = gaps_of(&question.html);
        // y_hat, C, 4 weights, B2, 4 filter entries, B1, 25 entries of dC/dP0.
        assert_eq!((gaps.len(), answers.len()), (37, 37));
        let solution = solve::solve(&task_3_1()).unwrap();
        let steps = key::graded_steps(&Knobs::default(), &solution.problem.shapes());
        let exact = key::graded_values(&solution.values, &steps, |x: &f64| *x);
        for (i, (gap, e)) in gaps.iter().zip(&exact).enumerate() {
            // `{w:NUMERICAL:=value:tolerance~%0%padding:0}`
            let (weight, rest) = gap[1..].split_once(":NUMERICAL:=").unwrap();
            let (right, wrong) = rest.split_once("~%0%").unwrap();
            let (text, tolerance) = right.split_once(':').unwrap();
            let (value, tolerance): (f64, f64) =
                (text.parse().unwrap(), tolerance.parse().unwrap());
            // Part a (y_hat, C): 4 points over 2 gaps; part b: 8 over 10; part c: 4 over 25;
            // times 25.
            let expected = match i {
                0..=1 => "50",
                2..=11 => "20",
                _ => "4",
            };
            assert_eq!(weight, expected, "{gap}");
            // The printed value has at most 3 decimals; the exact value and the exact value
            // rounded are both accepted.
            let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
            assert!(decimals <= 3, "{gap}");
            assert!((value - e).abs() <= tolerance, "{gap} vs {e}");
            assert!(
                (value - (e * 1000.0).round() / 1000.0).abs() <= tolerance,
                "{gap}"
            );
            // Every gap is padded to the same width.
            assert_eq!(
                wrong,
                format!("-{}:0}}", "9".repeat(MIN_GAP_WIDTH - 1)),
                "{gap}"
            );
        }
        assert_eq!(
            (question.name.as_str(), question.idnumber.as_str()),
            ("t 1", "t/1")
        );
    }

    #[test]
    fn the_general_feedback_is_the_worked_solution_in_moodle_s_math_delimiters() {
        let (question, answers) = task_question(&default_options());
        let feedback = &question.feedback;
        assert!(feedback.contains("<h2>a) Forward pass</h2>"), "{feedback}");
        assert!(
            feedback.contains("\\[") && !feedback.contains("$$"),
            "{feedback}"
        );
        // It shows y_hat as the gap prints it, and no transposed convolution matrix.
        assert!(
            feedback.contains(&format!("= {}.", answers[0].text)),
            "{feedback}"
        );
        assert!(
            !feedback.contains("transposed convolution matrix"),
            "{feedback}"
        );
    }

    #[test]
    fn question_html_is_well_formed() {
        let (question, _) = task_question(&default_options());
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
        let (question, _) = task_question(&default_options());
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
        let (question, _) = task_question(&default_options());
        let html = &question.html;
        for (at, _) in html.match_indices(":NUMERICAL:") {
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
            ..default_options()
        };
        assert!(task_question(&two).0.html.contains("to 2 decimal places"));
        let whole = QuizOptions {
            decimals: 0,
            ..default_options()
        };
        assert!(task_question(&whole).0.html.contains("as a whole number"));
    }

    #[test]
    fn quiz_is_deterministic_and_names_follow_the_seed() {
        let config = GeneratorConfig::default();
        let tera = render::engine().unwrap();
        let xml = quiz(&config, "Q", 2, &default_options(), &tera).unwrap();
        assert_eq!(
            xml,
            quiz(&config, "Q", 2, &default_options(), &tera).unwrap()
        );
        for needle in [
            "$course$/nnexam/Q",
            "<text>Q 1</text>",
            "<idnumber>Q/2</idnumber>",
        ] {
            assert!(xml.contains(needle), "{needle}");
        }
    }
}
