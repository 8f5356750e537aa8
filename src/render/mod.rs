//! Everything a reader sees as text is rendered here through Tera templates (see `templates/`):
//! Rust supplies numbers and structure, the templates supply every sentence. Built-in templates
//! are embedded in the binary, so the tool works from any directory.

pub mod number;

use serde::Serialize;
use tera::{Context, Tera};

use crate::error::{Error, Result};
use crate::solve::Solution;

/// Built-in templates: (name, text). Names are the paths below `templates/`.
const BUILTIN: &[(&str, &str)] = &[(
    "text/solution.txt",
    include_str!("../../templates/text/solution.txt"),
)];

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
    format_value(value, decimals)
}

fn format_value(value: &tera::Value, decimals: usize) -> tera::Result<tera::Value> {
    match value {
        tera::Value::Number(n) => {
            let x = n
                .as_f64()
                .ok_or_else(|| tera::Error::msg("num: not a number"))?;
            Ok(tera::Value::String(number::format_number(x, decimals)))
        }
        tera::Value::Array(items) => items
            .iter()
            .map(|v| format_value(v, decimals))
            .collect::<tera::Result<Vec<_>>>()
            .map(tera::Value::Array),
        other => Err(tera::Error::msg(format!(
            "num: expected a number, got {other}"
        ))),
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
    fn num_filter_rejects_text() {
        assert!(num_filter(&json!("abc"), &Default::default()).is_err());
    }
}
