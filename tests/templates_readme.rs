//! `templates/README.md` cannot go stale: it lists exactly the built-in template files, and for
//! every entry template exactly the keys, at the top level and one level down, of the context
//! that Rust really passes. The contexts are captured through the public API for Task 3.1, with
//! the entry template replaced by one that prints Tera's whole context (`__tera_context`).
//!
//! The README marks the tables this test reads with an HTML comment on the line before them:
//! `<!-- files -->`, `<!-- context: TEMPLATE... -->` (top-level keys) and `<!-- keys: KEY -->`
//! (`KEY.sub`, or `KEY[].sub` for a list of objects). The first column holds the name in
//! backticks.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use nnexam::export::moodle::{self, QuizOptions, Variant};
use nnexam::export::sheets::{self, CollectedSolution};
use nnexam::generate::{self, GeneratorConfig};
use nnexam::render::{self, Format, RenderOptions};
use nnexam::solve::shown::Rounding;
use nnexam::spec::difficulty::Preset;
use serde_json::Value;
use tera::Tera;

const README: &str = include_str!("../templates/README.md");

/// Renders with `entry` replaced by a template that prints the context, and parses that.
fn context_of(entry: &str, render_with: impl FnOnce(&Tera) -> nnexam::Result<String>) -> Value {
    let dump = "{{ __tera_context }}".to_string();
    let tera = render::engine_with(vec![(entry.to_string(), dump)]).expect("templates parse");
    let text = render_with(&tera).unwrap_or_else(|e| panic!("{entry}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{entry}: {e}: {text}"))
}

/// `a` with the keys of `b` it lacks, object by object.
fn union(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Object(mut a), Value::Object(b)) => {
            for (key, value) in b {
                let merged = match a.remove(&key) {
                    Some(mine) => union(mine, value),
                    None => value,
                };
                a.insert(key, merged);
            }
            Value::Object(a)
        }
        // A key one context leaves null takes the other's value.
        (Value::Null, b) => b,
        (a, _) => a,
    }
}

/// Every entry template with the context it receives for Task 3.1 (both parts of the sheets).
fn real_contexts() -> Vec<(&'static str, Value)> {
    let problem = common::task_3_1();
    let solution = nnexam::solve::solve(&problem).expect("solves");
    // With the instructor's note and multiple choice, so that their keys are in the context too.
    let mut options = RenderOptions {
        instructor: true,
        answer_style: render::AnswerStyle::Choice,
        ..common::options(Preset::Standard, Rounding::Stepwise)
    };
    let printed = nnexam::solve::shown::shown(&solution, 3, Rounding::Stepwise).expect("shown");
    let policy = nnexam::export::key::Tolerance::FromRounding { decimals: 3 };
    let mut answers =
        nnexam::export::key::answers_for(&solution, &printed, policy, &options.knobs).expect("key");
    options.choices =
        nnexam::export::key::choose(&solution, &printed, &mut answers, &options.knobs, "7");
    let mut contexts = Vec::new();
    // The wider family (a softmax mini-batch with two filters) fills the keys Task 3.1 leaves
    // null: the contexts are the union of both.
    let family = nnexam::spec::load(std::path::Path::new(
        "exercises/family/softmax-batch-two-filters.toml",
    ))
    .expect("family exercise loads");
    let family_solution = nnexam::solve::solve(&family).expect("solves");
    for format in [Format::Latex, Format::Markdown] {
        let options = RenderOptions {
            format,
            ..options.clone()
        };
        let family_options = RenderOptions {
            format,
            ..RenderOptions::default()
        };
        let entry = format.entry_template();
        let context = union(
            context_of(entry, |tera| {
                render::render_exercise(&solution, &options, tera)
            }),
            context_of(entry, |tera| {
                render::render_exercise(&family_solution, &family_options, tera)
            }),
        );
        contexts.push((entry, context));
    }
    let variants = [CollectedSolution {
        variant: "A".to_string(),
        seed: "E/A".to_string(),
        body: "the solution".to_string(),
    }];
    for (format, entry) in [
        (Format::Latex, "latex/solutions.tex"),
        (Format::Markdown, "markdown/solutions.md"),
    ] {
        let context = context_of(entry, |tera| {
            sheets::collected_solutions(format, "E", &variants, tera)
        });
        contexts.push((entry, context));
    }
    let names = ["questions-00001".to_string()];
    let context = context_of("latex/class.tex", |tera| {
        sheets::class_document(&names, tera)
    });
    contexts.push(("latex/class.tex", context));
    let person = sheets::Person {
        id: "4711".to_string(),
        name: "Ada".to_string(),
        folder: "4711".to_string(),
        is_variant: false,
    };
    let plan = sheets::SheetPlan {
        formats: vec![Format::Latex],
        options: RenderOptions::default(),
        tolerance: nnexam::export::key::Tolerance::FromRounding { decimals: 3 },
        config_source: generate::ConfigSource::Default,
        sheet_flags: "--decimals 3".to_string(),
    };
    let context = context_of("latex/sheet-start.tex", |tera| {
        sheets::sheet_start(&person, "C/4711", &plan, true, tera)
    });
    contexts.push(("latex/sheet-start.tex", context));
    let variant = Variant {
        name: "Q 1",
        seed: "Q/1",
        solution: &solution,
    };
    let quiz = QuizOptions {
        decimals: 3,
        tolerance: None,
        knobs: nnexam::spec::difficulty::Knobs::default(),
        choice: false,
        decimal_mark: nnexam::number::DecimalMark::Point,
    };
    let family_variant = Variant {
        name: "Q 2",
        seed: "Q/2",
        solution: &family_solution,
    };
    let context = union(
        context_of("moodle/question.html", |tera| {
            moodle::cloze_question(&variant, &quiz, tera).map(|question| question.html)
        }),
        context_of("moodle/question.html", |tera| {
            moodle::cloze_question(&family_variant, &quiz, tera).map(|question| question.html)
        }),
    );
    contexts.push(("moodle/question.html", context));
    // The summary and the exercise file also take the wider family, whose contexts have keys
    // Task 3.1's lacks: the keys of both.
    let context = union(
        context_of("text/solution.txt", |tera| {
            render::render(tera, "text/solution.txt", &solution)
        }),
        context_of("text/solution.txt", |tera| {
            render::render(tera, "text/solution.txt", &family_solution)
        }),
    );
    contexts.push(("text/solution.txt", context));
    let context = union(
        context_of("toml/exercise.toml", |tera| {
            render::exercise_toml(tera, &problem, "7", "nnexam generate --seed 7")
        }),
        context_of("toml/exercise.toml", |tera| {
            render::exercise_toml(tera, &family, "7", "nnexam generate --seed 7")
        }),
    );
    contexts.push(("toml/exercise.toml", context));
    let config = GeneratorConfig::default();
    let generated = generate::sample_problem(&config, "7").expect("seed 7 samples");
    let stats = generated.stats.summary(&config);
    let context = context_of("text/generate-stats.txt", |tera| {
        render::render(tera, "text/generate-stats.txt", &stats)
    });
    contexts.push(("text/generate-stats.txt", context));
    contexts.push(("text/run-summary.txt", run_summary_context()));
    contexts.push(("text/unprintable.txt", unprintable_context()));
    contexts.extend(grade_contexts());
    contexts
}

/// The contexts of the `grade/` templates and `text/misconceptions.txt`, from real runs of
/// `batch`, `grade` and `misconceptions` whose `--templates` folder prints them instead.
fn grade_contexts() -> Vec<(&'static str, Value)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name);
    let run = |args: &[&std::path::Path]| nnexam_ok(args).stdout;
    let templates = path("templates");
    let outputs = [
        ("grade/feedback.md", "marks/feedback/1.md"),
        ("grade/feedback.tex", "marks/feedback/1.tex"),
        ("grade/report.md", "marks/report.md"),
        ("grade/report.tex", "marks/report.tex"),
        ("grade/report.svg", "marks/report.svg"),
    ];
    for name in outputs
        .map(|(t, _)| t)
        .into_iter()
        .chain(["text/misconceptions.txt"])
    {
        let file = templates.join(name);
        std::fs::create_dir_all(file.parent().expect("a folder")).expect("folder");
        std::fs::write(file, "{{ __tera_context }}").expect("write");
    }
    std::fs::write(path("roster.csv"), "id,name\n1,Ada\n").expect("write");
    let word = |w: &'static str| std::path::Path::new(w);
    let (roster, hw, key) = (path("roster.csv"), path("hw"), path("hw/key.json"));
    let (responses, marks) = (path("responses.csv"), path("marks"));
    run(&[
        word("batch"),
        word("--course-seed"),
        word("C"),
        word("--quiet"),
        word("--roster"),
        &roster,
        word("--out"),
        &hw,
    ]);
    let blank = run(&[word("grade"), word("--template"), word("--key"), &key]);
    std::fs::write(&responses, blank).expect("write");
    run(&[
        word("grade"),
        word("--quiet"),
        word("--key"),
        &key,
        word("--responses"),
        &responses,
        word("--out"),
        &marks,
        word("--templates"),
        &templates,
    ]);
    let mut contexts: Vec<(&'static str, Value)> = outputs
        .into_iter()
        .map(|(template, output)| {
            let text = std::fs::read_to_string(path(output)).expect("written");
            let context = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{template}: {e}"));
            (template, context)
        })
        .collect();
    let catalogue = run(&[word("misconceptions"), word("--templates"), &templates]);
    let context = serde_json::from_slice(&catalogue).expect("the context as JSON");
    contexts.push(("text/misconceptions.txt", context));
    contexts
}

/// Runs nnexam with `args` and returns its output, which must be a success.
fn nnexam_ok<S: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = S>) -> std::process::Output {
    let out = assert_cmd::Command::cargo_bin("nnexam")
        .expect("binary")
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The context of `text/<template>` from a real `batch` run over `roster` (LaTeX sheets only),
/// whose `--templates` folder prints it instead; the JSON is read from stdout, or from stderr
/// when `on_stderr`.
fn batch_context(template: &str, roster: &str, on_stderr: bool) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let templates = dir.path().join("templates/text");
    std::fs::create_dir_all(&templates).expect("folder");
    std::fs::write(templates.join(template), "{{ __tera_context }}").expect("write");
    let roster_path = dir.path().join("roster.csv");
    std::fs::write(&roster_path, roster).expect("write");
    let (out_dir, templates) = (dir.path().join("out"), dir.path().join("templates"));
    let out = nnexam_ok([
        "batch".as_ref(),
        "--format".as_ref(),
        "latex".as_ref(),
        "--course-seed".as_ref(),
        "C".as_ref(),
        "--quiet".as_ref(),
        "--roster".as_ref(),
        roster_path.as_os_str(),
        "--out".as_ref(),
        out_dir.as_os_str(),
        "--templates".as_ref(),
        templates.as_os_str(),
    ]);
    let json = if on_stderr { &out.stderr } else { &out.stdout };
    serde_json::from_slice(json).expect("the context as JSON")
}

/// The closing line's context.
fn run_summary_context() -> Value {
    batch_context("run-summary.txt", "id,name\n1,Ada\n", false)
}

/// The warning's context, for a name pdflatex's fonts cannot typeset.
fn unprintable_context() -> Value {
    batch_context("unprintable.txt", "id,name\n1,李华\n", true)
}

/// The README's marked tables: the marker's text and the names in the first column.
fn marked_tables() -> Vec<(String, BTreeSet<String>)> {
    let mut tables = Vec::new();
    let mut lines = README.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(marker) = line
            .strip_prefix("<!-- ")
            .and_then(|l| l.strip_suffix(" -->"))
        else {
            continue;
        };
        let mut names = BTreeSet::new();
        // The header row and the separator row, then one row per name.
        let rows = std::iter::from_fn(|| lines.next_if(|l| l.starts_with('|')));
        for row in rows.skip(2) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let name = cells[1]
                .strip_prefix('`')
                .and_then(|c| c.strip_suffix('`'))
                .unwrap_or_else(|| panic!("{marker}: the first cell is not `name`: {row}"));
            assert!(
                cells.get(2).is_some_and(|c| !c.is_empty()),
                "{marker}: `{name}` is not explained"
            );
            assert!(names.insert(name.to_string()), "{marker}: `{name}` twice");
        }
        assert!(!names.is_empty(), "no table after <!-- {marker} -->");
        tables.push((marker.to_string(), names));
    }
    tables
}

/// The documented keys: entry template -> top-level keys, and KEY -> the paths one level down.
type Documented = (
    BTreeMap<String, BTreeSet<String>>,
    BTreeMap<String, BTreeSet<String>>,
);

fn documented() -> Documented {
    let (mut contexts, mut keys) = (BTreeMap::new(), BTreeMap::new());
    for (marker, names) in marked_tables() {
        if let Some(templates) = marker.strip_prefix("context: ") {
            for template in templates.split_whitespace() {
                let old = contexts.insert(template.to_string(), names.clone());
                assert!(old.is_none(), "two context tables for {template}");
            }
        } else if let Some(key) = marker.strip_prefix("keys: ") {
            assert!(keys.insert(key.to_string(), names).is_none(), "{key} twice");
        }
    }
    (contexts, keys)
}

/// The paths one level below `key`: `key.sub` for an object, `key[].sub` for a list of objects.
fn children(key: &str, value: &Value) -> BTreeSet<String> {
    match value {
        Value::Object(map) => map.keys().map(|sub| format!("{key}.{sub}")).collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|map| map.keys().map(|sub| format!("{key}[].{sub}")))
            .collect(),
        _ => BTreeSet::new(),
    }
}

#[test]
fn readme_lists_exactly_the_built_in_templates() {
    let tables = marked_tables();
    let files = tables
        .iter()
        .find(|(marker, _)| marker == "files")
        .map(|(_, names)| names.clone())
        .expect("a <!-- files --> table");
    let builtin: BTreeSet<String> = render::BUILTIN
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(
        files, builtin,
        "left: the README's file table, right: BUILTIN"
    );
}

#[test]
fn readme_documents_every_top_level_key_of_every_entry_context_and_no_other() {
    let (documented, _) = documented();
    let real = real_contexts();
    let entries: BTreeSet<String> = real.iter().map(|(t, _)| t.to_string()).collect();
    let tables: BTreeSet<String> = documented.keys().cloned().collect();
    assert_eq!(
        tables, entries,
        "left: context tables, right: entry templates"
    );
    for (template, context) in &real {
        let keys: BTreeSet<String> = context
            .as_object()
            .expect("a context is an object")
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            documented[*template], keys,
            "top-level keys of {template}, left: README, right: real"
        );
    }
}

#[test]
fn readme_documents_every_second_level_key_and_no_other() {
    let (_, documented) = documented();
    // KEY -> (its paths one level down, the first template that has it).
    let mut real: BTreeMap<String, (BTreeSet<String>, &str)> = BTreeMap::new();
    let contexts = real_contexts();
    for (template, context) in &contexts {
        for (key, value) in context.as_object().expect("a context is an object") {
            let paths = children(key, value);
            if paths.is_empty() {
                continue;
            }
            match real.get(key) {
                // One table documents KEY for every template, so its keys must agree.
                Some((seen, first)) => assert_eq!(
                    seen, &paths,
                    "`{key}` has other keys in {template} than in {first}"
                ),
                None => {
                    real.insert(key.clone(), (paths, template));
                }
            }
        }
    }
    let tables: BTreeSet<&String> = documented.keys().collect();
    let objects: BTreeSet<&String> = real.keys().collect();
    assert_eq!(
        tables, objects,
        "left: <!-- keys: KEY --> tables, right: keys that hold objects"
    );
    for (key, (paths, _)) in &real {
        assert_eq!(
            &documented[key], paths,
            "keys of `{key}`, left: README, right: real"
        );
    }
}

#[test]
fn readme_parses_as_a_template_so_a_templates_folder_may_hold_it() {
    // `--templates DIR` reads every .md file in DIR, this README too when DIR is templates/.
    Tera::default()
        .add_raw_template("README.md", README)
        .expect("templates/README.md parses as a Tera template");
}
