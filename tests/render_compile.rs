//! The rendered documents really work: every LaTeX document compiles with
//! `pdflatex -halt-on-error`, and every Markdown math span parses with KaTeX (throwOnError,
//! strict) and follows pandoc's `$` rules. Needs TeX and node with `tests/katex` installed; where
//! they are missing the tests say SKIPPED loudly and pass, unless NNEXAM_REQUIRE_TOOLS=1 (CI).
//!
//! The document set: `common::problems()` x every preset x both rounding modes; generated
//! exercises (seeds x generator presets) x every difficulty preset, alternating rounding modes;
//! the wider family's generated exercises and bundled files (standard and full); and Task 3.1 in the remaining options (fragments, parts, decimals, identity text full of
//! special characters).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use nnexam::render::{Format, Identity, LatexEngine, Part, RenderOptions};
use nnexam::solve::shown::Rounding;
use nnexam::spec::difficulty::{Difficulty, PartName, Preset, TransposedConv};

/// One document to check: a name for messages, its options and its language.
struct Case {
    name: String,
    problem: nnexam::spec::Problem,
    options: RenderOptions,
    lang: &'static str,
}

const PRESETS: [Preset; 3] = [Preset::Short, Preset::Standard, Preset::Full];
const MODES: [Rounding; 2] = [Rounding::Exact, Rounding::Stepwise];

/// Every document in English (the built-ins), then in every other bundled language: the
/// problems x presets (alternating rounding modes), the generated exercises and Task 3.1 in the
/// other options.
fn cases(format: Format) -> Vec<Case> {
    let mut out = english_cases(format);
    for lang in nnexam::render::lang::codes().filter(|&code| code != "en") {
        let translated = english_cases(format)
            .into_iter()
            .enumerate()
            .filter(|(k, case)| {
                // Of each problem and preset, one rounding mode: they alternate over the list.
                let one_mode = case.name.contains("-Exact") || case.name.contains("-Stepwise");
                !one_mode || k % 2 == (k / 2) % 2
            })
            .map(|(_, case)| Case {
                name: format!("{lang}-{}", case.name),
                lang,
                ..case
            });
        out.extend(translated);
    }
    out
}

/// problems x presets x rounding modes, then Task 3.1 with the other options, in English.
fn english_cases(format: Format) -> Vec<Case> {
    let mut out = Vec::new();
    for (name, problem) in common::problems() {
        for preset in PRESETS {
            for rounding in MODES {
                let mut options = common::options(preset, rounding);
                options.format = format;
                out.push(Case {
                    name: format!("{name}-{preset:?}-{rounding:?}"),
                    problem: problem.clone(),
                    options,
                    lang: "en",
                });
            }
        }
    }
    generated_cases(&mut out, common::generated_problems(6), &PRESETS, format);
    // The wider family (several channels and filters, softmax, mini-batches): its sheets give
    // nothing away, so the short preset is refused (see `family_sheets`).
    let family = common::family_problems(4);
    generated_cases(&mut out, family, &[Preset::Standard, Preset::Full], format);
    for file in ["rgb", "softmax-batch-two-filters"] {
        let path = format!("exercises/family/{file}.toml");
        let problem = nnexam::spec::load(Path::new(&path)).expect("bundled exercise loads");
        for rounding in MODES {
            let mut options = common::options(Preset::Standard, rounding);
            options.format = format;
            options.instructor = true;
            out.push(Case {
                name: format!("{file}-{rounding:?}"),
                problem: problem.clone(),
                options,
                lang: "en",
            });
        }
    }
    out.extend(option_cases(format));
    out
}

/// Generated `problems` x `presets`, alternating rounding modes, with working space, the
/// instructor's note and multiple choice on some of them.
fn generated_cases(
    out: &mut Vec<Case>,
    problems: Vec<(String, nnexam::spec::Problem)>,
    presets: &[Preset],
    format: Format,
) {
    for (k, (name, problem)) in problems.into_iter().enumerate() {
        for &preset in presets {
            let mut options = common::options(preset, MODES[k % 2]);
            options.format = format;
            options.space = k % 3 == 0;
            options.instructor = k % 2 == 1;
            if k % 2 == 0 {
                with_choices(&mut options, &problem, &name);
            }
            out.push(Case {
                name: format!("{name}-{preset:?}"),
                problem: problem.clone(),
                options,
                lang: "en",
            });
        }
    }
}

/// `options` for a multiple-choice sheet of `problem`, its options drawn from `seed`.
fn with_choices(options: &mut RenderOptions, problem: &nnexam::spec::Problem, seed: &str) {
    use nnexam::export::key::{self, Tolerance};
    let solution = nnexam::solve::solve(problem).expect("solves");
    let printed =
        nnexam::solve::shown::shown(&solution, options.decimals, options.rounding).expect("shown");
    let policy = Tolerance::FromRounding {
        decimals: options.decimals,
    };
    let mut answers =
        key::answers_for(&solution, &printed, policy, &options.knobs).expect("answers");
    options.answer_style = nnexam::render::AnswerStyle::Choice;
    options.choices = key::choose(&solution, &printed, &mut answers, &options.knobs, seed);
}

fn option_cases(format: Format) -> Vec<Case> {
    let task = common::task_3_1();
    let base = || RenderOptions {
        format,
        ..common::options(Preset::Standard, Rounding::Stepwise)
    };
    let knobs = |d: Difficulty| d.resolve().expect("valid knobs");
    let variants: Vec<(&str, RenderOptions)> = vec![
        (
            "fragment-both",
            RenderOptions {
                fragment: true,
                ..base()
            },
        ),
        (
            "fragment-question",
            RenderOptions {
                fragment: true,
                part: Part::Question,
                ..base()
            },
        ),
        (
            "fragment-solution",
            RenderOptions {
                fragment: true,
                part: Part::Solution,
                ..base()
            },
        ),
        (
            "question",
            RenderOptions {
                part: Part::Question,
                ..base()
            },
        ),
        (
            "solution",
            RenderOptions {
                part: Part::Solution,
                ..base()
            },
        ),
        (
            "decimals-0",
            RenderOptions {
                decimals: 0,
                ..base()
            },
        ),
        (
            "decimals-5",
            RenderOptions {
                decimals: 5,
                ..base()
            },
        ),
        (
            "identity-special",
            RenderOptions {
                // Roster and seed text is user text: it must print literally, never execute.
                identity: Identity {
                    seed: Some("seed 7 & #1_a 100% {x} ~^\\ <|> $y$".to_string()),
                    file: None,
                    variant: Some("A_1 & {B}".to_string()),
                    student_id: Some("../../x_%#".to_string()),
                    student_name: Some(
                        "\\input{/etc/passwd} O'Brien ~ $x^2$ Béla Łukasz 李华 Пётр".to_string(),
                    ),
                    command: Some(
                        "nnexam generate --seed 'seed 7 & #1_a 100% {x} ~^\\ <|> $y$' --config a_b#%.toml"
                            .to_string(),
                    ),
                    config_fingerprint: Some("0123abcd".to_string()),
                },
                ..base()
            },
        ),
        (
            "no-identity",
            RenderOptions {
                identity: Identity::default(),
                ..base()
            },
        ),
        (
            "parts-a",
            RenderOptions {
                knobs: knobs(Difficulty {
                    parts: Some(vec![PartName::A]),
                    ..Default::default()
                }),
                ..base()
            },
        ),
        (
            "parts-bc-mt-ask",
            RenderOptions {
                knobs: knobs(Difficulty {
                    parts: Some(vec![PartName::B, PartName::C]),
                    transposed_conv: Some(TransposedConv::Ask),
                    give_d_w2: Some(2),
                    give_f1_except: Some(2),
                    ..Default::default()
                }),
                ..base()
            },
        ),
    ];
    variants
        .into_iter()
        .map(|(name, options)| Case {
            name: format!("task-3-1-{name}"),
            problem: task.clone(),
            options,
            lang: "en",
        })
        .collect()
}

fn has_program(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A fragment is compiled inside the smallest document that loads what it says it needs.
fn standalone(case: &Case, text: &str) -> String {
    if !case.options.fragment {
        return text.to_string();
    }
    format!(
        "\\documentclass{{article}}\n\\usepackage{{amsmath,amssymb,graphicx}}\n\
         \\begin{{document}}\n{text}\n\\end{{document}}\n"
    )
}

/// Compiles one document in `dir`; Err has the log's error lines.
fn pdflatex(dir: &Path, stem: &str, text: &str) -> Result<(), String> {
    let tex = dir.join(format!("{stem}.tex"));
    std::fs::write(&tex, text).map_err(|e| e.to_string())?;
    let output = Command::new("pdflatex")
        .args([
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-no-shell-escape",
        ])
        .arg(format!("{stem}.tex"))
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    if output.status.success() {
        return Ok(());
    }
    let log = std::fs::read_to_string(dir.join(format!("{stem}.log"))).unwrap_or_default();
    let errors: Vec<&str> = log
        .lines()
        .skip_while(|l| !l.starts_with('!'))
        .take(8)
        .collect();
    Err(errors.join("\n"))
}

/// Overfull boxes in a compiled document's log, as "N.Npt" widths.
fn overfull_boxes(dir: &Path, stem: &str) -> Vec<String> {
    let log = std::fs::read_to_string(dir.join(format!("{stem}.log"))).unwrap_or_default();
    log.lines()
        .filter_map(|l| l.strip_prefix("Overfull \\hbox ("))
        .filter_map(|l| l.split_once(" too wide").map(|(w, _)| w.to_string()))
        .collect()
}

#[test]
fn every_latex_document_compiles_with_pdflatex() {
    const TEST: &str = "every_latex_document_compiles_with_pdflatex";
    if !has_program("pdflatex", "--version") {
        return common::skip(TEST, "pdflatex is not installed");
    }
    let cases = cases(Format::Latex);
    assert!(cases.len() >= 100, "only {} documents", cases.len());
    let documents: Vec<(String, String, bool)> = cases
        .iter()
        .map(|c| {
            let text = common::render_lang(&c.problem, &c.options, c.lang);
            // Wide displays shrink to the line; nothing may stick into the margin.
            let must_fit = true;
            (c.name.clone(), standalone(c, &text), must_fit)
        })
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some((name, text, must_fit)) = documents.get(k) else {
                    break;
                };
                let stem = format!("doc{k:03}");
                let problem = match pdflatex(dir.path(), &stem, text) {
                    Err(log) => Some(format!("{name}: pdflatex failed:\n{log}")),
                    Ok(()) => {
                        let overfull = overfull_boxes(dir.path(), &stem);
                        (*must_fit && !overfull.is_empty())
                            .then(|| format!("{name}: overfull boxes {overfull:?}"))
                    }
                };
                if let Some(p) = problem {
                    failures.lock().expect("no worker panicked").push(p);
                }
            });
        }
    });
    let failures = failures.into_inner().expect("no worker panicked");
    assert!(
        failures.is_empty(),
        "{} of {} documents failed:\n{}",
        failures.len(),
        documents.len(),
        failures.join("\n\n")
    );
    let translated = cases.iter().filter(|c| c.lang != "en").count();
    eprintln!(
        "pdflatex compiled {} LaTeX documents, {translated} of them translated",
        documents.len()
    );
}

#[test]
fn every_letter_latex_escape_keeps_is_typeset_by_the_preamble() {
    // Issue 10: `Đorđe`, `Þórr`, `«A»` stopped pdflatex (OT1 has no such glyphs), and one name
    // cost the whole class its PDFs. The filter keeps exactly what the preamble's fonts print.
    const TEST: &str = "every_letter_latex_escape_keeps_is_typeset_by_the_preamble";
    if !has_program("pdflatex", "--version") {
        return common::skip(TEST, "pdflatex is not installed");
    }
    let kept: String = (0..0x2200u32)
        .filter_map(char::from_u32)
        .filter(|&c| nnexam::render::filters::typesets(c))
        .flat_map(|c| [c, ' '])
        .collect();
    assert!(kept.contains("Đ đ") && kept.contains("Þ") && kept.contains("«"));
    let escaped = nnexam::render::filters::latex_escape(&kept.into(), &Default::default())
        .expect("text escapes");
    let letters = escaped.as_str().expect("text");
    let options = RenderOptions {
        part: Part::Question,
        ..common::options(Preset::Standard, Rounding::Stepwise)
    };
    let sheet = common::render(&common::task_3_1(), &options);
    let document = sheet.replacen(
        "\\begin{document}",
        &format!("\\begin{{document}}\n{letters}\\par"),
        1,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    if let Err(log) = pdflatex(dir.path(), "letters", &document) {
        panic!("pdflatex failed on the letters latex_escape keeps:\n{log}");
    }
    let log = std::fs::read_to_string(dir.path().join("letters.log")).unwrap_or_default();
    assert!(
        !log.contains("Missing character"),
        "a glyph is missing from the font"
    );
}

#[test]
fn every_letter_latex_escape_keeps_for_lualatex_is_typeset_by_its_fonts() {
    // Issue 15: with --latex-engine lualatex, Greek, Cyrillic and CJK names print as written;
    // what the filter keeps must have a glyph in Latin Modern, Noto Serif or Noto Serif CJK.
    // Every such character below U+3000, and every 7th of the CJK and Hangul blocks.
    const TEST: &str = "every_letter_latex_escape_keeps_for_lualatex_is_typeset_by_its_fonts";
    if !has_program("lualatex", "--version") {
        return common::skip(TEST, "lualatex is not installed");
    }
    let lualatex = LatexEngine::Lualatex;
    let kept: String = (0..0x3000u32)
        .chain((0x3000..0x1_0000u32).step_by(7))
        .filter_map(char::from_u32)
        .filter(|&c| nnexam::render::filters::typesets_with(lualatex, c))
        // A combining accent goes on a letter.
        .flat_map(|c| ['o', c, ' '])
        .collect();
    assert!(
        kept.contains('Ψ')
            && kept.contains('Ж')
            && kept.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            && kept.chars().any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c))
    );
    let escaped =
        nnexam::render::filters::latex_escape_for(lualatex, &kept.into(), &Default::default())
            .expect("text escapes");
    let letters = escaped.as_str().expect("text");
    let tera =
        nnexam::render::engine_for_latex(&[Format::Latex.entry_template()], Vec::new(), lualatex)
            .expect("templates parse");
    let options = RenderOptions {
        part: Part::Question,
        ..common::options(Preset::Standard, Rounding::Stepwise)
    };
    let solution = nnexam::solve::solve(&common::task_3_1()).expect("solves");
    let sheet = nnexam::render::render_exercise(&solution, &options, &tera).expect("renders");
    let document = sheet.replacen(
        "\\begin{document}",
        &format!("\\begin{{document}}\n\\tracinglostchars=2\n{letters}\\par"),
        1,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("letters.tex"), document).expect("written");
    let run = Command::new("lualatex")
        .args(["-interaction=nonstopmode", "-halt-on-error", "letters.tex"])
        .current_dir(dir.path())
        .output()
        .expect("lualatex runs");
    let log = std::fs::read_to_string(dir.path().join("letters.log")).unwrap_or_default();
    assert!(
        run.status.success(),
        "lualatex failed on the letters:\n{log}"
    );
    let missing: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Missing character"))
        .take(20)
        .collect();
    assert!(
        missing.is_empty(),
        "glyphs missing from the fonts:\n{}",
        missing.join("\n")
    );
}

/// One math span of a Markdown document.
#[derive(serde::Serialize)]
struct Span {
    tex: String,
    display: bool,
    #[serde(rename = "where")]
    place: String,
}

/// Splits Markdown into math spans by pandoc's rules: `$$...$$` is display math; `$...$` is
/// inline math when the opening `$` has a non-space right after it and the closing `$` a
/// non-space right before it and no digit right after it. Err names text that breaks the rules.
fn math_spans(markdown: &str, doc: &str) -> Result<Vec<Span>, String> {
    let chars: Vec<char> = markdown.chars().collect();
    let mut spans = Vec::new();
    let mut i = 0;
    let line_of = |k: usize| chars[..k].iter().filter(|&&c| c == '\n').count() + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '$' if chars.get(i + 1) == Some(&'$') => {
                let start = i + 2;
                let end = find(&chars, start, &['$', '$'])
                    .ok_or_else(|| format!("{doc}:{}: unclosed $$", line_of(i)))?;
                let tex: String = chars[start..end].iter().collect();
                if tex.contains("\n\n") {
                    return Err(format!("{doc}:{}: blank line inside $$", line_of(i)));
                }
                spans.push(Span {
                    tex,
                    display: true,
                    place: format!("{doc}:{}", line_of(i)),
                });
                i = end + 2;
            }
            '$' => {
                let start = i + 1;
                let end = find(&chars, start, &['$'])
                    .ok_or_else(|| format!("{doc}:{}: unclosed $", line_of(i)))?;
                let tex: String = chars[start..end].iter().collect();
                let opens_ok = tex.chars().next().is_some_and(|c| !c.is_whitespace());
                let closes_ok = tex.chars().last().is_some_and(|c| !c.is_whitespace())
                    && !chars.get(end + 1).is_some_and(char::is_ascii_digit);
                if !opens_ok || !closes_ok || tex.contains('\n') {
                    return Err(format!(
                        "{doc}:{}: `${tex}$` is not inline math for pandoc",
                        line_of(i)
                    ));
                }
                spans.push(Span {
                    tex,
                    display: false,
                    place: format!("{doc}:{}", line_of(i)),
                });
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    Ok(spans)
}

/// Index of the next unescaped occurrence of `pattern` at or after `from`.
fn find(chars: &[char], from: usize, pattern: &[char]) -> Option<usize> {
    let mut k = from;
    while k + pattern.len() <= chars.len() {
        if chars[k] == '\\' {
            k += 2;
            continue;
        }
        if chars[k..k + pattern.len()] == *pattern {
            return Some(k);
        }
        k += 1;
    }
    None
}

fn katex_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/katex")
}

#[test]
fn math_span_extraction_follows_pandoc_rules() {
    let spans = math_spans("a $x$ b $$\ny\n$$ c \\$5 and $z$.", "t").unwrap();
    let texts: Vec<_> = spans.iter().map(|s| (s.tex.as_str(), s.display)).collect();
    assert_eq!(texts, vec![("x", false), ("\ny\n", true), ("z", false)]);
    assert!(math_spans("$ x$", "t").is_err());
    assert!(math_spans("$x $", "t").is_err());
    assert!(math_spans("$$\na\n\nb\n$$", "t").is_err());
    assert!(math_spans("cost $x", "t").is_err());
}

#[test]
fn every_markdown_math_span_parses_with_katex() {
    const TEST: &str = "every_markdown_math_span_parses_with_katex";
    if !has_program("node", "--version") {
        return common::skip(TEST, "node is not installed");
    }
    if !katex_dir().join("node_modules/katex").is_dir() {
        return common::skip(TEST, "KaTeX is not installed (cd tests/katex && npm ci)");
    }
    let mut spans = Vec::new();
    let cases = cases(Format::Markdown);
    for case in &cases {
        let text = common::render_lang(&case.problem, &case.options, case.lang);
        spans.extend(math_spans(&text, &case.name).unwrap_or_else(|e| panic!("{e}")));
    }
    // Identical spans need checking once.
    let mut seen = std::collections::BTreeSet::new();
    spans.retain(|s| seen.insert((s.tex.clone(), s.display)));
    let input = serde_json::to_vec(&spans).expect("spans serialise");
    let mut child = Command::new("node")
        .arg(katex_dir().join("check.js"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node starts");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(&input).expect("node reads the spans");
    }
    let output = child.wait_with_output().expect("node finishes");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "KaTeX rejected spans:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let checked: serde_json::Value = serde_json::from_str(&report).expect("check.js prints JSON");
    assert_eq!(checked["checked"], spans.len());
    eprintln!(
        "KaTeX parsed {} distinct math spans of {} Markdown documents",
        spans.len(),
        cases.len()
    );
}
