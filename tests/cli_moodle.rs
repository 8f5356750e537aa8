//! `nnexam moodle` end to end: the quiz XML is parsed back with quick-xml and every gap is checked
//! against `solve` on the exercise its question's idnumber regenerates: its value is the number
//! the stepwise worked solution prints, its tolerance (recomputed independently) accepts the
//! exact value and never the value of skipping the step, every gap of a question has the same
//! input width and weights follow the points. Also: names sort, `--tolerance` overrides, bad
//! flags fail with exit 2 and nothing on stdout, output is deterministic, long seeds fit
//! Moodle's limits, and special characters in the seed survive HTML and XML escaping.

mod common;

use assert_cmd::Command;
use ndarray::Array2;
use nnexam::export::moodle::{self, QuizOptions, Variant};
use nnexam::generate::{self, GeneratorConfig};
use nnexam::render;
use nnexam::solve::shown::{self, Rounding};
use nnexam::solve::step::Step;
use nnexam::solve::{self, Solution};
use quick_xml::events::Event;
use quick_xml::Reader;

fn nnexam() -> Command {
    Command::cargo_bin("nnexam").expect("binary builds")
}

/// The stdout of a successful `nnexam moodle ARGS`.
fn moodle(args: &[&str]) -> String {
    let output = nnexam().arg("moodle").args(args).output().expect("runs");
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// A failing `nnexam moodle ARGS`: exit 2, nothing on stdout; returns stderr.
fn moodle_fails(args: &[&str]) -> String {
    let output = nnexam().arg("moodle").args(args).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
    assert!(output.stdout.is_empty(), "{args:?} wrote to stdout");
    String::from_utf8(output.stderr).expect("UTF-8 errors")
}

/// One `<question>` of the quiz, its texts unescaped.
#[derive(Debug, Default)]
struct Question {
    kind: String,
    name: String,
    category: String,
    html: String,
    feedback: String,
    idnumber: String,
}

/// Parses a Moodle XML quiz; panics unless it is well-formed with one `<quiz>` root.
fn parse_quiz(xml: &str) -> Vec<Question> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut questions: Vec<Question> = Vec::new();
    let mut roots = 0;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                let tag = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                if path.is_empty() {
                    roots += 1;
                    assert_eq!(tag, "quiz");
                }
                if tag == "question" {
                    let kind = e
                        .try_get_attribute("type")
                        .unwrap()
                        .expect("question has a type");
                    questions.push(Question {
                        kind: kind.unescape_value().unwrap().into_owned(),
                        ..Question::default()
                    });
                }
                path.push(tag);
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) => {
                let text = t.unescape().unwrap();
                let tail: Vec<&str> = path.iter().rev().take(2).map(String::as_str).collect();
                let Some(q) = questions.last_mut() else {
                    continue;
                };
                let field = match tail.as_slice() {
                    ["text", "name"] => &mut q.name,
                    ["text", "category"] => &mut q.category,
                    ["text", "questiontext"] => &mut q.html,
                    ["text", "generalfeedback"] => &mut q.feedback,
                    ["idnumber", ..] => &mut q.idnumber,
                    _ => continue,
                };
                field.push_str(&text);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(roots, 1);
    questions
}

/// One `{weight:NUMERICAL:=value:tolerance~%0%padding:0}` gap.
#[derive(Debug)]
struct Gap {
    weight: u32,
    /// The right answer as written.
    text: String,
    value: f64,
    tolerance: f64,
    /// The never-right answer that sets the input width.
    padding: String,
}

/// Every gap of `html`, in order.
fn gaps(html: &str) -> Vec<Gap> {
    html.match_indices(":NUMERICAL:=")
        .map(|(at, _)| {
            let start = html[..at].rfind('{').expect("gap is opened");
            let end = at + html[at..].find('}').expect("gap is closed");
            let weight = html[start + 1..at].parse().expect("whole weight");
            let answers = &html[at + ":NUMERICAL:=".len()..end];
            let (right, wrong) = answers.split_once("~%0%").expect("a 0 % answer");
            let (text, tolerance) = right.split_once(':').expect("value:tolerance");
            let (padding, zero) = wrong.split_once(':').expect("padding:0");
            assert_eq!(zero, "0");
            Gap {
                weight,
                text: text.to_string(),
                value: text.parse().unwrap(),
                tolerance: tolerance.parse().unwrap(),
                padding: padding.to_string(),
            }
        })
        .collect()
}

/// y_hat, loss, W2, B2, F1 (row-major), B1, dC/dP0 (row-major): what the quiz grades with the
/// standard knobs (parts a, b and c), in its order.
fn graded(
    (y_hat, loss): (f64, f64),
    (w2, b2, f1, b1): (ndarray::ArrayView1<f64>, f64, ndarray::ArrayView2<f64>, f64),
    d_p0: ndarray::ArrayView2<f64>,
) -> Vec<f64> {
    let mut values = vec![y_hat, loss];
    values.extend(w2);
    values.push(b2);
    values.extend(f1);
    values.push(b1);
    values.extend(d_p0);
    values
}

/// The graded values, read from the solver directly.
fn exact_values(solution: &Solution) -> Vec<f64> {
    let v = &solution.values;
    graded(
        (*v.scalar(Step::YHat), *v.scalar(Step::Loss)),
        (
            v.row_of(Step::W2New, 0),
            *v.scalar(Step::B2New),
            v.filter(Step::F1New, 0, 0),
            *v.scalar(Step::B1New),
        ),
        v.map_of(Step::DP0, 0, 0),
    )
}

/// The values a student gets who rounds every step to `decimals` (the stepwise worked solution).
fn stepwise_values(solution: &Solution, decimals: usize) -> Vec<f64> {
    let d = shown::shown(solution, decimals, Rounding::Stepwise).unwrap();
    let step = |s| d.values.get(s).mapv(|x| shown::to_f64(&x));
    graded(
        (d.scalar_f64(Step::YHat), d.scalar_f64(Step::Loss)),
        (
            step(Step::W2New)
                .into_dimensionality::<ndarray::Ix2>()
                .unwrap()
                .row(0),
            d.scalar_f64(Step::B2New),
            step(Step::F1New)
                .into_dimensionality::<ndarray::Ix4>()
                .unwrap()
                .slice(ndarray::s![0, 0, .., ..]),
            d.scalar_f64(Step::B1New),
        ),
        step(Step::DP0)
            .into_dimensionality::<ndarray::Ix4>()
            .unwrap()
            .slice(ndarray::s![0, 0, .., ..]),
    )
}

/// The values of skipping each graded step, in key order: y_hat of z2 = 0, the un-updated
/// parameters; the loss and dC/dP0 have none (NaN).
fn skipped_values(problem: &nnexam::spec::Problem) -> Vec<f64> {
    graded(
        (0.5, f64::NAN),
        (
            problem.w2.row(0),
            problem.b2[0],
            problem.filter(0, 0),
            problem.b1[0],
        ),
        Array2::from_elem(problem.x(0, 0).dim(), f64::NAN).view(),
    )
}

/// Every cloze question regenerates (from its idnumber, with `config`) an exercise whose gaps
/// hold the stepwise worked solution's values with tolerances `tolerance(exact, stepwise)`,
/// accept the exact value and never the value of skipping a step, and are all equally wide.
fn check_against_solve(
    questions: &[Question],
    config: &GeneratorConfig,
    decimals: usize,
    tolerance: impl Fn(f64, f64) -> f64,
) {
    for q in questions {
        let problem = generate::sample_problem(config, &q.idnumber)
            .expect("the idnumber is a seed")
            .problem;
        let solution = solve::solve(&problem).unwrap();
        let exact = exact_values(&solution);
        let stepwise = stepwise_values(&solution, decimals);
        let skipped = skipped_values(&problem);
        let gaps = gaps(&q.html);
        assert_eq!(gaps.len(), exact.len(), "{}: one gap per answer", q.name);
        let width = gaps.iter().map(|g| g.text.len()).max().unwrap().max(12);
        for (i, gap) in gaps.iter().enumerate() {
            let (e, s, k) = (exact[i], stepwise[i], skipped[i]);
            let (value, tol) = (gap.value, gap.tolerance);
            // Moodle shows the number the sheet prints: the stepwise value, written in at most
            // `decimals` decimals, never in exponent form.
            assert!(
                (value - s).abs() <= 1e-12,
                "{} gap {i}: {gap:?} vs {s}",
                q.name
            );
            let written = gap.text.split_once('.').map_or(0, |(_, d)| d.len());
            assert!(
                written <= decimals && !gap.text.contains(['e', 'E']),
                "{gap:?}"
            );
            // The rule's value, rounded up to two significant digits: never less, at most 10%
            // more; it accepts the exact value, never the skipped one.
            let expected = tolerance(e, s);
            assert!(
                tol >= expected - 1e-12 && tol <= expected * 1.1 + 1e-12,
                "{} gap {i}: tolerance {tol} vs {expected}",
                q.name
            );
            assert!(
                (value - e).abs() <= tol,
                "{} gap {i}: exact {e} refused",
                q.name
            );
            assert!(
                k.is_nan() || (value - k).abs() > tol,
                "{} gap {i}: skipped {k} accepted",
                q.name
            );
            assert_eq!(gap.padding.len(), width, "{} gap {i}: {gap:?}", q.name);
        }
        // The question shows that exercise: its input's first row, with HTML-escaped `&`.
        let first_row: Vec<String> = problem.x(0, 0).row(0).iter().map(f64::to_string).collect();
        let shown = format!("\\begin{{bmatrix}} {}", first_row.join(" &amp; "));
        assert!(q.html.contains(&shown), "{}: {shown}", q.name);
    }
}

fn cloze(questions: Vec<Question>) -> Vec<Question> {
    questions
        .into_iter()
        .filter(|q| q.kind == "cloze")
        .collect()
}

#[test]
fn five_questions_match_solve_on_the_regenerated_exercises() {
    let xml = moodle(&["--count", "5", "--seed", "S"]);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let questions = parse_quiz(&xml);
    assert_eq!(questions.len(), 6);
    assert_eq!(questions[0].kind, "category");
    assert_eq!(questions[0].category, "$course$/nnexam/S");
    let questions = cloze(questions);
    let names: Vec<&str> = questions.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["S 1", "S 2", "S 3", "S 4", "S 5"]);
    for (k, q) in questions.iter().enumerate() {
        // The documented rule: `S/k`, or `S/k#n` when an earlier variant had that exercise.
        let base = format!("S/{}", k + 1);
        assert!(
            q.idnumber == base || q.idnumber.starts_with(&format!("{base}#")),
            "{}",
            q.idnumber
        );
        assert!(q.html.contains("to 3 decimal places"), "{}", q.html);
    }
    check_against_solve(&questions, &GeneratorConfig::default(), 3, |e, s| {
        1e-3 + (s - e).abs()
    });
}

#[test]
fn names_sort_in_variant_order_and_variants_are_distinct() {
    let questions = cloze(parse_quiz(&moodle(&["--count", "12", "--seed", "T"])));
    let names: Vec<&str> = questions.iter().map(|q| q.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    assert_eq!((names[0], names[11]), ("T 01", "T 12"));
    let mut texts: Vec<&str> = questions.iter().map(|q| q.html.as_str()).collect();
    texts.sort_unstable();
    texts.dedup();
    assert_eq!(texts.len(), 12, "every variant is a different exercise");
}

#[test]
fn decimals_and_preset_set_the_derived_tolerance_and_the_exercises() {
    // At 2 decimals the answers must be told apart at 2 decimals: the wide preset with its
    // rules read at 2 decimals.
    let (_, wide) = generate::PRESETS
        .iter()
        .find(|(n, _)| *n == "wide")
        .unwrap();
    let text = wide.replace("[rules]\n", "[rules]\ndecimals = 2\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide2.toml");
    std::fs::write(&path, &text).unwrap();
    let xml = moodle(&[
        "--count",
        "3",
        "--seed",
        "W",
        "--config",
        path.to_str().unwrap(),
        "--decimals",
        "2",
    ]);
    let questions = cloze(parse_quiz(&xml));
    assert!(questions[0].html.contains("to 2 decimal places"));
    let config = generate::GeneratorConfig::parse(&text, "wide2").unwrap();
    check_against_solve(&questions, &config, 2, |e, s| 1e-2 + (s - e).abs());
}

#[test]
fn tolerance_flag_overrides_every_gap() {
    let questions = cloze(parse_quiz(&moodle(&[
        "--count",
        "2",
        "--seed",
        "S",
        "--tolerance",
        "0.01",
    ])));
    // Centred on the printed value, widened so everything within 0.01 of the exact value is in.
    check_against_solve(&questions, &GeneratorConfig::default(), 3, |e, s| {
        0.01 + (s - e).abs()
    });
}

#[test]
fn wide_preset_gaps_never_accept_an_un_updated_parameter() {
    // Version 0.1 graded 116 of 750 wide-preset gaps at 2 decimals right when left un-updated;
    // check_against_solve checks every gap against the value of skipping its step.
    let xml = moodle(&["--count", "30", "--seed", "W", "--preset", "wide"]);
    let questions = cloze(parse_quiz(&xml));
    assert_eq!(questions.len(), 30);
    let config = generate::preset("wide").unwrap();
    check_against_solve(&questions, &config, 3, |e, s| 1e-3 + (s - e).abs());
}

#[test]
fn weights_follow_the_points_of_parts_a_and_b() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("points.toml");
    let (_, default) = generate::PRESETS
        .iter()
        .find(|(n, _)| *n == "default")
        .unwrap();
    let difficulty = "[difficulty]\nparts = [\"a\", \"b\"]\npoints = { a = 3, b = 5 }\n";
    std::fs::write(&path, format!("{default}\n{difficulty}")).unwrap();
    let xml = moodle(&[
        "--count",
        "1",
        "--seed",
        "P",
        "--config",
        path.to_str().unwrap(),
    ]);
    let custom = gaps(&cloze(parse_quiz(&xml))[0].html);
    // 3 points over y_hat and C, 5 over the 10 updated parameters: 1.5 and 0.5 per gap.
    let weights: Vec<u32> = custom.iter().map(|g| g.weight).collect();
    assert_eq!(weights[..2], [3, 3]);
    assert!(weights[2..].iter().all(|&w| w == 1), "{weights:?}");
    // The default 4, 8 and 4 points: 2, 0.8 and 0.16 per gap, 16 in all.
    let default = gaps(&cloze(parse_quiz(&moodle(&["--count", "1", "--seed", "P"])))[0].html);
    assert_eq!(default.len(), 2 + 10 + 25);
    let total: u32 = default.iter().map(|g| g.weight).sum();
    assert_eq!(default[0].weight * 16, 2 * total);
    assert_eq!(default[2].weight * 16 * 10, 8 * total);
    assert_eq!(default[12].weight * 16 * 25, 4 * total);
    assert!(
        cloze(parse_quiz(&xml))[0]
            .html
            .contains("with a decimal point"),
        "the question says to use a decimal point"
    );
}

#[test]
fn the_general_feedback_is_the_worked_solution() {
    let questions = cloze(parse_quiz(&moodle(&["--count", "2", "--seed", "F"])));
    for q in &questions {
        let gaps = gaps(&q.html);
        assert!(
            q.feedback.contains("<h2>b) Backward pass</h2>"),
            "{}",
            q.feedback
        );
        // The worked solution ends part a with the loss the gap asks for.
        assert!(
            q.feedback.contains(&format!("= {}.", gaps[1].text)),
            "{}",
            q.feedback
        );
    }
}

#[test]
fn seeds_too_long_for_moodle_are_shortened_with_a_hash() {
    let seed = format!("course-{}", "x".repeat(300));
    let questions = parse_quiz(&moodle(&["--count", "3", "--seed", &seed]));
    assert!(questions[0].category.chars().count() <= "$course$/".len() + 255);
    let cloze = cloze(questions);
    let mut ids: Vec<&str> = cloze.iter().map(|q| q.idnumber.as_str()).collect();
    for q in &cloze {
        assert!(q.idnumber.chars().count() <= 100, "{}", q.idnumber);
        assert!(q.name.chars().count() <= 255, "{}", q.name);
        assert!(q.idnumber.starts_with("course-xxx"), "{}", q.idnumber);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "shortened idnumbers stay distinct");
}

#[test]
fn quizzes_that_cannot_tell_a_skipped_step_from_an_answer_are_refused() {
    let err = moodle_fails(&["--count", "2", "--seed", "S", "--decimals", "0"]);
    assert!(err.contains("--decimals") && err.contains("y_hat"), "{err}");
    let err = moodle_fails(&["--count", "2", "--seed", "S", "--tolerance", "0.0001"]);
    assert!(
        err.contains("--tolerance") && err.contains("0.0005"),
        "{err}"
    );
}

#[test]
fn bad_flags_exit_2_with_a_clear_message_and_no_output() {
    let err = moodle_fails(&["--count", "0", "--seed", "S"]);
    assert!(
        err.contains("--count") && err.contains("1..=10000"),
        "{err}"
    );
    let err = moodle_fails(&["--count", "3", "--seed", "S", "--tolerance", "-1"]);
    assert!(
        err.contains("--tolerance") && err.contains("at least"),
        "{err}"
    );
    let err = moodle_fails(&["--count", "3", "--seed", "S", "--tolerance", "0"]);
    assert!(err.contains("--tolerance"), "{err}");
    let err = moodle_fails(&["--count", "3", "--seed", "S", "--preset", "nope"]);
    assert!(err.contains("nope") && err.contains("default"), "{err}");
    let err = moodle_fails(&["--count", "3", "--seed", ""]);
    assert!(err.contains("seed"), "{err}");
}

#[test]
fn two_runs_are_byte_identical() {
    let args = ["--count", "4", "--seed", "same"];
    assert_eq!(moodle(&args), moodle(&args));
}

#[test]
fn special_characters_in_the_seed_are_escaped_and_read_back() {
    let seed = "a<&>\"'b";
    let xml = moodle(&["--count", "2", "--seed", seed]);
    assert!(xml.contains("a&lt;&amp;&gt;"), "XML escapes the seed");
    // The HTML's own `&amp;` (matrix cells) is escaped once more for XML.
    assert!(
        xml.contains("&amp;amp;"),
        "HTML inside XML is escaped twice"
    );
    let questions = parse_quiz(&xml);
    assert_eq!(questions[0].category, format!("$course$/nnexam/{seed}"));
    let questions = cloze(questions);
    assert_eq!(questions[0].name, format!("{seed} 1"));
    assert_eq!(questions[1].idnumber, format!("{seed}/2"));
    assert!(questions[0].html.contains(" &amp; "), "read back as HTML");
    check_against_solve(&questions, &GeneratorConfig::default(), 3, |e, s| {
        1e-3 + (s - e).abs()
    });
}

#[test]
fn template_in_the_templates_folder_wins_over_the_builtin() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("moodle")).unwrap();
    std::fs::write(
        dir.path().join("moodle/question.html"),
        "<p>A tiny CNN.</p> {{ gaps.y_hat }}",
    )
    .unwrap();
    let templates = dir.path().to_str().unwrap();
    let xml = moodle(&["--count", "1", "--seed", "S", "--templates", templates]);
    let questions = cloze(parse_quiz(&xml));
    assert!(questions[0]
        .html
        .starts_with("<p>A tiny CNN.</p> {50:NUMERICAL:="));
    let missing = dir.path().join("missing");
    let err = moodle_fails(&[
        "--count",
        "1",
        "--seed",
        "S",
        "--templates",
        missing.to_str().unwrap(),
    ]);
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn every_exercise_of_the_family_makes_a_question_with_one_gap_per_answer() {
    let tera = render::engine().unwrap();
    let options = QuizOptions {
        decimals: 3,
        tolerance: None,
        knobs: nnexam::spec::difficulty::Knobs::default(),
        choice: false,
        decimal_mark: nnexam::number::DecimalMark::Point,
    };
    for (name, problem) in common::problems() {
        let solution = solve::solve(&problem).unwrap();
        let variant = Variant {
            name: &name,
            seed: &name,
            solution: &solution,
        };
        let question = moodle::cloze_question(&variant, &options, &tera).unwrap();
        let xml = moodle::quiz_xml("family", std::slice::from_ref(&question));
        let back = cloze(parse_quiz(&xml));
        let gaps = gaps(&back[0].html);
        let exact = exact_values(&solution);
        assert_eq!(gaps.len(), exact.len(), "{name}");
        for (gap, e) in gaps.iter().zip(&exact) {
            assert!(
                (gap.value - e).abs() <= gap.tolerance,
                "{name}: {gap:?} vs {e}"
            );
        }
    }
}

/// The options of every `{weight:MULTICHOICE_S:...}` gap of `html`: the right one (marked `=`)
/// and the others.
fn choice_gaps(html: &str) -> Vec<(String, Vec<String>)> {
    html.match_indices(":MULTICHOICE_S:")
        .map(|(at, _)| {
            let end = at + html[at..].find('}').expect("gap is closed");
            let options: Vec<&str> = html[at + ":MULTICHOICE_S:".len()..end].split('~').collect();
            let right: Vec<&str> = options.iter().filter_map(|o| o.strip_prefix('=')).collect();
            assert_eq!(right.len(), 1, "one right option: {options:?}");
            let others = options
                .iter()
                .filter(|o| !o.starts_with('='))
                .map(|o| o.to_string())
                .collect();
            (right[0].to_string(), others)
        })
        .collect()
}

#[test]
fn choice_gaps_offer_the_printed_value_and_three_distinct_wrong_ones() {
    // Every answer of every question: the right option is the stepwise value the sheet prints;
    // the three others differ from it and from each other as printed, and none lies within the
    // tolerance of the exact value; most of them are what a named misconception gives
    // (recomputed here: a flipped kernel is the right forward pass of the rotated filter, an
    // update with the wrong sign is theta + lr g).
    let xml = moodle(&["--count", "12", "--seed", "C", "--choice"]);
    let questions = cloze(parse_quiz(&xml));
    let (mut flipped_seen, mut sign_seen) = (0, 0);
    for q in &questions {
        assert!(q.html.contains("Choose the value"), "{}", q.html);
        assert!(!q.html.contains(":NUMERICAL:"));
        let problem = generate::sample_problem(&GeneratorConfig::default(), &q.idnumber)
            .unwrap()
            .problem;
        let solution = solve::solve(&problem).unwrap();
        let exact = exact_values(&solution);
        let stepwise = stepwise_values(&solution, 3);
        let mut rotated = problem.clone();
        rotated
            .f1
            .slice_mut(ndarray::s![0, 0, .., ..])
            .assign(&nnexam::solve::conv::rotate_180(problem.filter(0, 0)));
        let flipped_y_hat = *solve::solve(&rotated).unwrap().values.scalar(Step::YHat);
        let gaps = choice_gaps(&q.html);
        assert_eq!(gaps.len(), exact.len(), "{}", q.name);
        for (i, (right, others)) in gaps.iter().enumerate() {
            assert_eq!(right.parse::<f64>().unwrap(), stepwise[i], "{} {i}", q.name);
            assert_eq!(others.len(), 3, "{} {i}", q.name);
            let mut texts: Vec<&String> = others.iter().chain([right]).collect();
            texts.sort();
            texts.dedup();
            assert_eq!(texts.len(), 4, "{} {i}: {right} {others:?}", q.name);
            let tolerance = 1e-3 + (stepwise[i] - exact[i]).abs();
            for other in others {
                let v: f64 = other.parse().unwrap();
                assert!((v - exact[i]).abs() > tolerance, "{} {i}: {other}", q.name);
            }
            let printed = |x: f64| nnexam::number::format_number(x, 3);
            if i == 0 && others.contains(&printed(flipped_y_hat)) {
                flipped_seen += 1;
            }
            // W2's first entry updated uphill.
            if i == 2 {
                let g = solution.values.row_of(Step::DW2, 0)[0];
                if others.contains(&printed(problem.w2[[0, 0]] + problem.lr * g)) {
                    sign_seen += 1;
                }
            }
        }
    }
    assert!(flipped_seen >= questions.len() / 2, "{flipped_seen}");
    assert_eq!(sign_seen, questions.len());
    // The order of the options comes from the seed: the same quiz again is byte-identical.
    assert_eq!(xml, moodle(&["--count", "12", "--seed", "C", "--choice"]));
}
