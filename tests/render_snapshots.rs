//! Golden files of the rendered Task 3.1, reviewed as diffs (`cargo insta review`, or
//! INSTA_UPDATE=always then `git diff`): question and worked solution in LaTeX and Markdown with
//! the default options (standard preset, stepwise rounding, 3 decimals; the solutions with the
//! instructor's note, `--instructor`), and the short preset's question, which shows what the
//! difficulty knobs give away. The same four sheets in German (`--lang de`: German sentences,
//! decimal comma).

mod common;

use nnexam::render::{Format, Part, RenderOptions};
use nnexam::solve::shown::Rounding;
use nnexam::spec::difficulty::Preset;

fn task_3_1(format: Format, part: Part, preset: Preset) -> String {
    task_3_1_in("en", format, part, preset)
}

fn task_3_1_in(lang: &str, format: Format, part: Part, preset: Preset) -> String {
    let options = RenderOptions {
        format,
        part,
        instructor: part == Part::Solution,
        ..common::options(preset, Rounding::Stepwise)
    };
    common::render_lang(&common::task_3_1(), &options, lang)
}

#[test]
fn task_3_1_latex_question() {
    insta::assert_snapshot!(task_3_1(Format::Latex, Part::Question, Preset::Standard));
}

#[test]
fn task_3_1_latex_solution() {
    insta::assert_snapshot!(task_3_1(Format::Latex, Part::Solution, Preset::Standard));
}

#[test]
fn task_3_1_markdown_question() {
    insta::assert_snapshot!(task_3_1(Format::Markdown, Part::Question, Preset::Standard));
}

#[test]
fn task_3_1_markdown_solution() {
    insta::assert_snapshot!(task_3_1(Format::Markdown, Part::Solution, Preset::Standard));
}

#[test]
fn task_3_1_short_preset_latex_question() {
    insta::assert_snapshot!(task_3_1(Format::Latex, Part::Question, Preset::Short));
}

#[test]
fn task_3_1_de_latex_question() {
    insta::assert_snapshot!(task_3_1_in(
        "de",
        Format::Latex,
        Part::Question,
        Preset::Standard
    ));
}

#[test]
fn task_3_1_de_latex_solution() {
    insta::assert_snapshot!(task_3_1_in(
        "de",
        Format::Latex,
        Part::Solution,
        Preset::Standard
    ));
}

#[test]
fn task_3_1_de_markdown_question() {
    insta::assert_snapshot!(task_3_1_in(
        "de",
        Format::Markdown,
        Part::Question,
        Preset::Standard
    ));
}

#[test]
fn task_3_1_de_markdown_solution() {
    insta::assert_snapshot!(task_3_1_in(
        "de",
        Format::Markdown,
        Part::Solution,
        Preset::Standard
    ));
}
