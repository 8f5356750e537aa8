//! Everything a reader sees as text is rendered here through Tera templates (see `templates/`):
//! Rust supplies numbers and structure, the templates supply every sentence. Built-in templates
//! are embedded in the binary, so the tool works from any directory.

pub mod number;

use serde::Serialize;
use tera::{Context, Tera};

use crate::error::{Error, Result};
use crate::generate::StatsSummary;
use crate::solve::Solution;
use crate::spec::Problem;

/// Built-in templates: (name, text). Names are the paths below `templates/`.
const BUILTIN: &[(&str, &str)] = &[
    (
        "text/solution.txt",
        include_str!("../../templates/text/solution.txt"),
    ),
    (
        "toml/exercise.toml",
        include_str!("../../templates/toml/exercise.toml"),
    ),
    (
        "text/generate-stats.txt",
        include_str!("../../templates/text/generate-stats.txt"),
    ),
];

/// A Tera instance with every built-in template and nnexam's filters.
pub fn engine() -> Result<Tera> {
    let mut tera = Tera::default();
    tera.add_raw_templates(BUILTIN.iter().copied())
        .map_err(template_error)?;
    register_filters(&mut tera);
    Ok(tera)
}

fn register_filters(tera: &mut Tera) {
    tera.register_filter("num", num_filter);
    tera.register_filter("exact", exact_filter);
}

/// `{{ value | num(decimals=3) }}`: a number, or every number in a list (of lists), formatted
/// by [`number::format_number`]. Lists come back as lists so templates can lay them out.
fn num_filter(
    value: &tera::Value,
    args: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let decimals = match args.get("decimals") {
        Some(d) => d
            .as_u64()
            .ok_or_else(|| tera::Error::msg("num: `decimals` must be a whole number"))?
            as usize,
        None => 3,
    };
    format_value(value, &|x| number::format_number(x, decimals))
}

/// `{{ value | exact }}`: a number, or every number in a list (of lists), as the shortest
/// decimal that reads back as the same double (Rust's `Display`: `1` for 1.0, `0.3` for 0.3).
/// Lossless, for files that are read back, such as generated exercise files.
fn exact_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    format_value(value, &|x| x.to_string())
}

/// Applies `format` to a number, or to every number in a list (of lists).
fn format_value(value: &tera::Value, format: &dyn Fn(f64) -> String) -> tera::Result<tera::Value> {
    match value {
        tera::Value::Number(n) => {
            let x = n.as_f64().ok_or_else(|| tera::Error::msg("not a number"))?;
            Ok(tera::Value::String(format(x)))
        }
        tera::Value::Array(items) => items
            .iter()
            .map(|v| format_value(v, format))
            .collect::<tera::Result<Vec<_>>>()
            .map(tera::Value::Array),
        other => Err(tera::Error::msg(format!("expected a number, got {other}"))),
    }
}

/// Turns Tera's nested error into one message with the whole chain (template name and cause).
pub fn template_error(e: tera::Error) -> Error {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    Error::Template { message }
}

/// Renders `name` with `data` serialised as the context.
pub fn render<T: Serialize>(tera: &Tera, name: &str, data: &T) -> Result<String> {
    let context = Context::from_serialize(data).map_err(template_error)?;
    tera.render(name, &context).map_err(template_error)
}

/// The readable plain-text summary of `solve`: every intermediate value, labelled.
pub fn solution_text(solution: &Solution) -> Result<String> {
    render(&engine()?, "text/solution.txt", solution)
}

/// A generated exercise as a TOML exercise file, headed by a comment naming the `seed` text
/// (printable, checked by the generator) and the `command` that regenerates it.
/// [`crate::spec::parse`] reads it back to the identical problem.
pub fn exercise_toml(problem: &Problem, seed: &str, command: &str) -> Result<String> {
    #[derive(Serialize)]
    struct Context<'a> {
        problem: &'a Problem,
        seed: &'a str,
        command: &'a str,
    }
    let context = Context {
        problem,
        seed,
        command,
    };
    render(&engine()?, "toml/exercise.toml", &context)
}

/// The acceptance statistics of `nnexam generate --stats`.
pub fn generate_stats(summary: &StatsSummary) -> Result<String> {
    render(&engine()?, "text/generate-stats.txt", summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn apply_num(value: serde_json::Value, decimals: u64) -> tera::Value {
        let args = [("decimals".to_string(), json!(decimals))]
            .into_iter()
            .collect();
        num_filter(&value, &args).unwrap()
    }

    #[test]
    fn num_filter_formats_scalars_and_nested_lists() {
        assert_eq!(apply_num(json!(0.30000000000000004), 3), json!("0.3"));
        assert_eq!(
            apply_num(json!([[1.0, -0.0], [2.25, 7]]), 1),
            json!([["1", "0"], ["2.3", "7"]])
        );
    }

    #[test]
    fn exact_filter_is_lossless_and_plain() {
        let value = json!([[1.0, -0.5], [0.1, 0.30000000000000004]]);
        let out = exact_filter(&value, &Default::default()).unwrap();
        assert_eq!(out, json!([["1", "-0.5"], ["0.1", "0.30000000000000004"]]));
        assert_eq!(
            exact_filter(&json!(1e-7), &Default::default()).unwrap(),
            json!("0.0000001")
        );
    }

    #[test]
    fn exercise_toml_is_readable_and_reads_back_identically() {
        let text = include_str!("../../exercises/task-3-1.toml");
        let problem = crate::spec::parse(text, crate::spec::FileFormat::Toml, "t").unwrap();
        let out = exercise_toml(&problem, "7", "nnexam generate --seed 7").unwrap();
        assert!(
            out.contains("\n# Seed text: 7\n") && out.contains("#   nnexam generate --seed 7\n")
        );
        assert!(
            out.contains("x = [\n  [2, 0, 0, 2, 0],\n  [0, 4, 0, 0, 0],"),
            "{out}"
        );
        assert!(
            out.contains("f1 = [\n  [0.5, 1],\n  [0, -0.5],\n]\nb1 = -1\n"),
            "{out}"
        );
        let back = crate::spec::parse(&out, crate::spec::FileFormat::Toml, "out").unwrap();
        assert_eq!(back, problem);
    }

    #[test]
    fn num_filter_rejects_text() {
        assert!(num_filter(&json!("abc"), &Default::default()).is_err());
    }
}
