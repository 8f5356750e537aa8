//! Property tests of issue 10's promise: whatever bytes, numbers and shapes a user feeds nnexam,
//! every parser and every command ends with a result or an error that names a key, a flag or a
//! file; never a panic, an abort or a hang, and nothing written on failure.
//!
//! - In process, many cases: arbitrary text and absurd values into the exercise file (TOML and
//!   JSON), the generator config, the roster and the templates (including random webs of
//!   includes, imports and macro calls).
//! - Through the binary, fewer cases: arbitrary files and flag values into `solve`, `render`,
//!   `generate`, `batch`, `exam` and `moodle`, each run in a fresh folder with a time limit.

use std::path::Path;
use std::time::Duration;

use nnexam::export::roster;
use nnexam::generate::{self, GeneratorConfig};
use nnexam::render::{self, RenderOptions};
use nnexam::solve::{self, shown, shown::Rounding};
use nnexam::spec::{self, FileFormat, Problem};
use proptest::prelude::*;

/// Every key an exercise file may have, and the names an error may give them.
const EXERCISE_KEYS: &[&str] = &[
    "x",
    "f1",
    "b1",
    "w2",
    "b2",
    "y",
    "lr",
    "activation",
    "loss",
    "conv",
    "pool",
    "conv.stride",
    "conv.padding",
    "pool.size",
    "pool.stride",
    "pool.kind",
];

/// A value as a user might write one, sensible or absurd: numbers of every size, strings,
/// matrices of any shape, tables.
fn toml_value() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| format!("{x:?}")),
        prop::sample::select(vec![
            "nan", "inf", "-inf", "1e308", "-0.0", "0.00001", "1000"
        ])
        .prop_map(String::from),
        (-20i64..=20).prop_map(|n| n.to_string()),
        (-2000i64..=2000).prop_map(|n| format!("{}", n as f64 / 100.0)),
    ];
    let leaf = prop_oneof![
        4 => number,
        1 => "[a-z_]{0,8}".prop_map(|s| format!("{s:?}")),
        1 => Just("true".to_string()),
    ];
    leaf.prop_recursive(3, 64, 8, |inner| {
        prop::collection::vec(inner, 0..8).prop_map(|items| format!("[{}]", items.join(", ")))
    })
}

/// An exercise file as a careless or hostile user might write it: known keys (and typos) with
/// any values, tables with any keys.
fn exercise_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        8 => prop::sample::select(vec!["x", "f1", "b1", "w2", "b2", "y", "lr", "activation", "loss"]),
        1 => Just("learning_rate"),
    ];
    let line = (key, toml_value()).prop_map(|(k, v)| format!("{k} = {v}\n"));
    let table_key = prop::sample::select(vec!["stride", "padding", "size", "kind", "extra"]);
    let table_line = (table_key, toml_value()).prop_map(|(k, v)| format!("{k} = {v}\n"));
    let table = (
        prop::sample::select(vec!["conv", "pool"]),
        prop::collection::vec(table_line, 0..3),
    )
        .prop_map(|(name, lines)| format!("[{name}]\n{}", lines.concat()));
    (
        prop::collection::vec(line, 0..12),
        prop::collection::vec(table, 0..2),
    )
        .prop_map(|(lines, tables)| format!("{}{}", lines.concat(), tables.concat()))
}

/// Task 3.1 with one line replaced by any value: close to valid, so validation and the solver
/// are reached.
fn task_variant() -> impl Strategy<Value = String> {
    let task = include_str!("../exercises/task-3-1.toml");
    let keys: Vec<&'static str> = vec![
        "f1 =",
        "b1 =",
        "w2 =",
        "b2 =",
        "y =",
        "lr =",
        "stride =",
        "padding =",
        "size =",
    ];
    (prop::sample::select(keys), toml_value()).prop_map(move |(key, value)| {
        task.lines()
            .map(|l| {
                if l.starts_with(key) {
                    format!("{key} {value}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Solves and shows (at 3 and 10 decimals) a problem that validation accepted.
fn solves_and_shows(problem: &Problem) -> Result<(), String> {
    let solution = solve::solve(problem).map_err(|e| e.to_string())?;
    for decimals in [3, 10] {
        shown::shown(&solution, decimals, Rounding::Stepwise).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// An error message names something the user can find: a key in backquotes, a flag, or the
/// file it read.
fn names_a_key_flag_or_file(message: &str, file: &str) -> bool {
    message.contains('`') || message.contains("--") || message.contains(file)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_exercise_text_is_accepted_or_refused_by_name(
        text in prop_oneof![exercise_text(), task_variant(), any::<String>()],
        json in any::<bool>(),
    ) {
        let (format, origin) = if json {
            // The same values as JSON, where they parse as TOML at all.
            (FileFormat::Json, "ex.json")
        } else {
            (FileFormat::Toml, "ex.toml")
        };
        let text = match format {
            FileFormat::Json => toml::from_str::<toml::Value>(&text)
                .ok()
                .and_then(|v| serde_json::to_string(&v).ok())
                .unwrap_or(text),
            FileFormat::Toml => text,
        };
        match spec::parse(&text, format, origin) {
            Ok(problem) => {
                if let Err(e) = solves_and_shows(&problem) {
                    prop_assert!(false, "accepted but {e}\n{text}");
                }
            }
            Err(e) => {
                let msg = e.to_string();
                let named = msg.contains(origin)
                    || EXERCISE_KEYS.iter().any(|k| msg.contains(&format!("`{k}`")));
                prop_assert!(named, "names neither file nor key: {msg}");
            }
        }
    }
}

/// A generator config as a user might write one: the real tables and keys (and some typos)
/// with any values.
fn config_text() -> impl Strategy<Value = String> {
    config_tables(true)
}

/// [`config_text`]'s tables; without `sampling`, a run's attempts stay at their default.
fn config_tables(sampling: bool) -> impl Strategy<Value = String> {
    let mut tables: Vec<(&'static str, Vec<&'static str>)> = vec![
        (
            "architecture",
            vec![
                "input_size",
                "filter_size",
                "stride",
                "padding",
                "activation",
                "pool_kind",
                "pool_size",
                "pool_stride",
                "loss",
                "y",
                "lr",
            ],
        ),
        ("x", vec!["min", "max", "step", "zero_percent"]),
        ("f1", vec!["min", "max", "step"]),
        ("w2", vec!["min", "max", "step", "zero_percent"]),
        (
            "rules",
            vec![
                "max_abs_z1",
                "max_abs_z2",
                "min_abs_error",
                "z1_min_negative_percent",
                "pool_unique_max",
                "kink_free",
            ],
        ),
        (
            "difficulty",
            vec!["preset", "parts", "give_d_w2", "give_f1_except"],
        ),
    ];
    if sampling {
        tables.push(("sampling", vec!["max_attempts"]));
    }
    let table = prop::sample::select(tables).prop_flat_map(|(name, keys)| {
        let line =
            (prop::sample::select(keys), toml_value()).prop_map(|(k, v)| format!("{k} = {v}\n"));
        prop::collection::vec(line, 0..4)
            .prop_map(move |lines| format!("[{name}]\n{}", lines.concat()))
    });
    prop::collection::vec(table, 0..4).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_config_is_refused_by_name_or_samples_valid_exercises(
        text in prop_oneof![config_text(), any::<String>()],
    ) {
        match GeneratorConfig::parse(&text, "c.toml") {
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(names_a_key_flag_or_file(&msg, "c.toml"), "names nothing: {msg}");
            }
            Ok(mut config) => {
                // Bounded here to keep each case short; the limit itself is tested elsewhere.
                config.sampling.max_attempts = config.sampling.max_attempts.min(200);
                if let Ok(generated) = generate::sample_problem(&config, "prop") {
                    // What the generator draws, an exercise file must hold.
                    let file = generated.problem.to_file();
                    let back = Problem::from_file(&file);
                    prop_assert!(back.is_ok(), "drew an invalid exercise: {:?}", back.err());
                    if let Err(e) = solves_and_shows(&generated.problem) {
                        prop_assert!(false, "drew an exercise that {e}");
                    }
                }
            }
        }
    }

    #[test]
    fn any_roster_is_read_or_refused_naming_the_file(
        bytes in prop_oneof![
            any::<Vec<u8>>(),
            "(id|name|x)(,(id|name|x)){0,2}\n([a-z0-9 \"=,\u{0}\n\t李]{0,12}\n){0,6}"
                .prop_map(String::into_bytes),
        ],
    ) {
        match roster::parse(&bytes, "r.csv") {
            Ok(students) => {
                prop_assert!(!students.is_empty());
                for s in &students {
                    prop_assert!(!s.id.is_empty() && !s.id.chars().any(char::is_control));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains("r.csv"), "names no file: {msg}");
            }
        }
    }
}

/// A template that uses others: text, includes, imports and macro calls, a random web over
/// three templates (`t/a.tera` .. `t/c.tera`), each defining a macro `m`.
fn template_web() -> impl Strategy<Value = Vec<(String, String)>> {
    let names = ["t/a.tera", "t/b.tera", "t/c.tera"];
    let part = prop_oneof![
        Just("text ".to_string()),
        prop::sample::select(names.to_vec()).prop_map(|n| format!("{{% include \"{n}\" %}}")),
        (0usize..3).prop_map(|k| format!("{{{{ m{k}::m() }}}}")),
        Just("{{ self::m() }}".to_string()),
        Just("{{ given.b1 | latex_escape }}".to_string()),
    ];
    let body = prop::collection::vec(part, 0..4).prop_map(|p| p.concat());
    (body.clone(), body.clone(), body.clone(), body.clone(), body).prop_map(
        move |(a, b, c, macro_body, entry)| {
            let imports: String = names
                .iter()
                .enumerate()
                .map(|(k, n)| format!("{{% import \"{n}\" as m{k} %}}"))
                .collect();
            let template = |text: String| {
                format!("{imports}{{% macro m() %}}{macro_body}{{% endmacro m %}}{text}")
            };
            vec![
                ("t/a.tera".to_string(), template(a)),
                ("t/b.tera".to_string(), template(b)),
                ("t/c.tera".to_string(), template(c)),
                (
                    "latex/question.tex".to_string(),
                    format!("{imports}{entry}"),
                ),
            ]
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_templates_are_refused_by_name_or_render_and_end(
        templates in prop_oneof![
            template_web(),
            (any::<String>()).prop_map(|t| vec![("latex/question.tex".to_string(), t)]),
        ],
    ) {
        // A circle of includes or macro calls overflowed the stack: an abort would end this
        // test process, not fail an assertion.
        match render::engine_with(templates) {
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains(".tera") || msg.contains(".tex"), "names no template: {msg}");
            }
            Ok(tera) => {
                let problem = spec::load(Path::new("exercises/task-3-1.toml")).unwrap();
                let solution = solve::solve(&problem).unwrap();
                // Rendering may fail (an unknown variable), but it ends and names a template.
                if let Err(e) = render::render_exercise(&solution, &RenderOptions::default(), &tera) {
                    let msg = e.to_string();
                    prop_assert!(msg.contains(".tex") || msg.contains(".tera"), "{msg}");
                }
            }
        }
    }
}

/// A command run through the binary in a fresh folder holding `files`.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// The folder's files after the run, minus those given.
    new_files: Vec<String>,
}

fn run(args: &[&str], files: &[(&str, &[u8])]) -> Run {
    let dir = tempfile::tempdir().expect("temp folder");
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("input");
    }
    let output = assert_cmd::Command::cargo_bin("nnexam")
        .expect("binary builds")
        .current_dir(dir.path())
        .args(args)
        .timeout(Duration::from_secs(30))
        .output()
        .expect("runs");
    let new_files = std::fs::read_dir(dir.path())
        .expect("readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !files.iter().any(|(f, _)| f == n))
        .collect();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        new_files,
    }
}

/// The promise for one run: done (0), or refused (2) with `error:` naming a key (in
/// backquotes) or one of `names` (the flags and files the run was given), nothing on stdout
/// and no file written; never killed, never a panic.
fn check(run: &Run, names: &[&str]) -> Result<(), String> {
    if run.stderr.contains("panicked") {
        return Err(format!("panicked: {}", run.stderr));
    }
    match run.code {
        Some(0) => Ok(()),
        Some(2) => {
            let named = names.iter().any(|n| run.stderr.contains(n)) || run.stderr.contains('`');
            if !run.stderr.starts_with("error:") || !named {
                Err(format!("unclear error: {}", run.stderr))
            } else if !run.stdout.is_empty() || !run.new_files.is_empty() {
                Err(format!(
                    "wrote on failure: {:?} {:.100}",
                    run.new_files, run.stdout
                ))
            } else {
                Ok(())
            }
        }
        other => Err(format!("exit {other:?}: {}", run.stderr)),
    }
}

/// A flag value as typed: numbers of any sign and size, words, nothing.
fn flag_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (-3i64..=12).prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| x.to_string()),
        "[a-z-]{0,6}",
        Just("99999999999999999999999".to_string()),
    ]
}

proptest! {
    // Each case starts the binary once or twice (about 50 ms in a debug build).
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn solve_and_render_answer_any_file_clearly(
        text in prop_oneof![exercise_text(), task_variant()],
        bytes in any::<Vec<u8>>(),
        raw in any::<bool>(),
    ) {
        let content: Vec<u8> = if raw { bytes } else { text.into_bytes() };
        for args in [&["solve", "ex.toml", "--format", "json"][..], &["render", "ex.toml"]] {
            let result = run(args, &[("ex.toml", &content)]);
            if let Err(e) = check(&result, &["ex.toml"]) {
                prop_assert!(false, "{args:?}: {e}");
            }
        }
    }

    #[test]
    fn numeric_flags_take_any_value_or_name_the_flag(
        value in flag_value(),
        flag in prop::sample::select(vec![
            "--decimals", "--give-d-w2", "--give-f1-except", "--points-a", "--points-bonus",
        ]),
        format in prop::sample::select(vec!["latex", "markdown", "json", "toml"]),
    ) {
        let result = run(
            &["generate", "--seed", "7", "--format", format, flag, &value],
            &[],
        );
        if let Err(e) = check(&result, &[flag]) {
            prop_assert!(false, "{flag} {value:?}: {e}");
        }
    }

    #[test]
    fn moodle_and_exam_take_any_count_seed_and_labels_or_refuse_them(
        count in flag_value(),
        // Any text a command line can carry (no NUL byte).
        seed in prop_oneof!["[^\u{0}]{0,8}", Just(String::new())],
        labels in "[A-Za-z,\u{7}李 ]{0,8}",
    ) {
        let result = run(&["moodle", "--count", &count, "--seed", &seed, "--decimals", "2"], &[]);
        if let Err(e) = check(&result, &["--count", "--seed"]) {
            prop_assert!(false, "moodle --count {count:?} --seed {seed:?}: {e}");
        }
        let result = run(
            &["exam", "--variants", &labels, "--seed", &seed, "--out", "out", "--format", "markdown"],
            &[],
        );
        if let Err(e) = check(&result, &["--variants", "--seed"]) {
            prop_assert!(false, "exam --variants {labels:?} --seed {seed:?}: {e}");
        }
    }

    #[test]
    fn batch_and_generate_answer_any_roster_and_config_clearly(
        roster in prop_oneof![
            any::<Vec<u8>>(),
            "id(,name)?\n([a-z0-9 \"=,\n\t李]{0,10}\n){0,4}".prop_map(String::into_bytes),
        ],
        // A few hundred draws: a config that admits nothing at the largest sizes searches for
        // minutes (bounded by sampling.max_attempts); what matters here is how it ends.
        config in prop_oneof![
            config_tables(false).prop_map(|t| format!("{t}[sampling]\nmax_attempts = 300\n").into_bytes()),
            any::<Vec<u8>>(),
        ],
    ) {
        let result = run(
            &["batch", "--roster", "r.csv", "--course-seed", "C", "--out", "out",
              "--format", "markdown", "--quiet"],
            &[("r.csv", &roster)],
        );
        if let Err(e) = check(&result, &["r.csv"]) {
            prop_assert!(false, "batch: {e}");
        }
        let result = run(
            &["generate", "--seed", "7", "--config", "c.toml"],
            &[("c.toml", &config)],
        );
        if let Err(e) = check(&result, &["c.toml"]) {
            prop_assert!(false, "generate: {e}");
        }
    }
}
