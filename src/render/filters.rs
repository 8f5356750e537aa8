//! The Tera filters nnexam's templates use, registered in one place ([`register`]). Filters turn
//! values into markup (a number's digits, a matrix's rows, escaped user text); they never choose
//! words, which live in the templates, and never round by policy, which is `rounding`'s job.
//!
//! | filter | input | output |
//! | --- | --- | --- |
//! | `num(decimals=3)` | number or nested list of numbers | the same shape of formatted strings |
//! | `exact` | number or nested list of numbers | shortest strings that read back as the same doubles |
//! | `bmatrix(...)` | list of rows, or one flat list | a LaTeX/KaTeX matrix environment |
//! | `paren` | number or formatted number | `(-0.5)` for negatives, unchanged otherwise |
//! | `signed` | number or formatted number | `- 1` / `+ 1`, for a term after others |
//! | `latex_escape` | user text | text that LaTeX prints literally |
//! | `markdown_escape` | user text | text that Markdown prints literally |
//!
//! and one function, `latex_engine()`: the program the LaTeX is for (`"pdflatex"` or
//! `"lualatex"`), which the preamble's fonts follow, as `latex_escape` does.

use std::collections::HashMap;

use tera::{Tera, Value};

use super::LatexEngine;
use crate::number::format_number;

/// Decimals used when a filter gets a raw number and no `decimals` argument.
const DEFAULT_DECIMALS: usize = 3;

/// Registers every filter of this module on `tera`, and the `latex_engine()` function, for LaTeX
/// compiled by `latex`.
pub fn register(tera: &mut Tera, latex: LatexEngine) {
    tera.register_filter("num", num);
    tera.register_filter("exact", exact);
    tera.register_filter("bmatrix", bmatrix);
    tera.register_filter("paren", paren);
    tera.register_filter("signed", signed);
    tera.register_filter("latex_escape", move |value: &Value, args: &Args| {
        latex_escape_for(latex, value, args)
    });
    tera.register_function("latex_engine", move |_: &Args| {
        Ok(Value::String(latex.program().to_string()))
    });
    tera.register_filter("qrcode_escape", qrcode_escape);
    tera.register_filter("markdown_escape", markdown_escape);
}

type Args = HashMap<String, Value>;

/// `{{ value | num(decimals=3) }}`: a number, or every number in a list (of lists), formatted
/// by [`format_number`]. Lists come back as lists so templates can lay them out.
pub fn num(value: &Value, args: &Args) -> tera::Result<Value> {
    format_value(value, decimals_arg("num", args)?)
}

/// `{{ value | exact }}`: a number, or every number in a list (of lists), as the shortest
/// decimal that reads back as the same double (Rust's `Display`: `1` for 1.0, `0.3` for 0.3).
/// Lossless, for files that are read back, such as generated exercise files.
pub fn exact(value: &Value, _: &Args) -> tera::Result<Value> {
    map_numbers(value, &|x| x.to_string())
}

fn map_numbers(value: &Value, format: &dyn Fn(f64) -> String) -> tera::Result<Value> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .map(|x| Value::String(format(x)))
            .ok_or_else(|| tera::Error::msg(format!("expected a number, got {value}"))),
        Value::Array(items) => items
            .iter()
            .map(|v| map_numbers(v, format))
            .collect::<tera::Result<Vec<_>>>()
            .map(Value::Array),
        other => Err(tera::Error::msg(format!("expected a number, got {other}"))),
    }
}

fn decimals_arg(filter: &str, args: &Args) -> tera::Result<usize> {
    match args.get("decimals") {
        Some(d) => d.as_u64().map(|d| d as usize).ok_or_else(|| {
            tera::Error::msg(format!("{filter}: `decimals` must be a whole number"))
        }),
        None => Ok(DEFAULT_DECIMALS),
    }
}

fn format_value(value: &Value, decimals: usize) -> tera::Result<Value> {
    map_numbers(value, &|x| format_number(x, decimals))
}

fn number_text(value: &Value, decimals: usize) -> tera::Result<String> {
    value
        .as_f64()
        .map(|x| format_number(x, decimals))
        .ok_or_else(|| tera::Error::msg(format!("expected a number, got {value}")))
}

/// A scalar as the text a reader sees: strings are taken as already formatted.
fn scalar_text(filter: &str, value: &Value, decimals: usize) -> tera::Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(_) => number_text(value, decimals),
        other => Err(tera::Error::msg(format!(
            "{filter}: expected a number or formatted number, got {other}"
        ))),
    }
}

/// How `bmatrix` shows entries that read "0". Dots or blanks let the structure of a sparse
/// matrix (the transposed convolution matrix) stand out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Zeros {
    Keep,
    Dot,
    Blank,
}

/// Everything `bmatrix` reads from its arguments (borrowed: a sheet calls it dozens of times).
struct MatrixStyle<'a> {
    env: &'a str,
    zeros: Zeros,
    slot: &'a str,
    row_gap: Option<&'a str>,
    column: bool,
    /// All on one line, for inline math (`$...$`).
    inline: bool,
    decimals: usize,
}

impl<'a> MatrixStyle<'a> {
    fn from_args(args: &'a Args) -> tera::Result<MatrixStyle<'a>> {
        let text = |key: &str, default: &'a str| -> tera::Result<&'a str> {
            match args.get(key) {
                None => Ok(default),
                Some(Value::String(s)) => Ok(s.as_str()),
                Some(other) => Err(tera::Error::msg(format!(
                    "bmatrix: `{key}` must be a string, got {other}"
                ))),
            }
        };
        let zeros = match text("zeros", "keep")? {
            "keep" => Zeros::Keep,
            "dot" => Zeros::Dot,
            "blank" => Zeros::Blank,
            other => {
                return Err(tera::Error::msg(format!(
                    "bmatrix: `zeros` is keep, dot or blank, not {other:?}"
                )))
            }
        };
        let row_gap = text("gap", "")?;
        Ok(MatrixStyle {
            env: text("env", "bmatrix")?,
            zeros,
            slot: text("slot", "\\square")?,
            row_gap: (!row_gap.is_empty()).then_some(row_gap),
            column: matches!(args.get("column"), Some(Value::Bool(true))),
            inline: matches!(args.get("inline"), Some(Value::Bool(true))),
            decimals: decimals_arg("bmatrix", args)?,
        })
    }

    /// Appends one cell to `out`: a formatted number, a zero as the style says, or an answer
    /// slot for null. Writes into one buffer because a convolution matrix has hundreds of cells.
    fn push_cell(&self, out: &mut String, value: &Value) -> tera::Result<()> {
        match value {
            Value::Null => out.push_str(self.slot),
            // A numeric zero needs no formatting to be recognised (most of a convolution matrix).
            Value::Number(_) if value.as_f64() == Some(0.0) => out.push_str(self.zero_text()),
            Value::String(text) if text == "0" => out.push_str(self.zero_text()),
            Value::String(text) => out.push_str(text),
            _ => {
                let text = scalar_text("bmatrix", value, self.decimals)?;
                out.push_str(if text == "0" { self.zero_text() } else { &text });
            }
        }
        Ok(())
    }

    fn zero_text(&self) -> &'static str {
        match self.zeros {
            Zeros::Keep => "0",
            Zeros::Dot => "\\cdot",
            Zeros::Blank => "",
        }
    }

    fn line_break(&self) -> &'static str {
        if self.inline {
            " "
        } else {
            "\n"
        }
    }

    /// Ends a row: `\\`, the optional extra space, and a line break.
    fn push_row_end(&self, out: &mut String) {
        out.push_str(" \\\\");
        if let Some(gap) = self.row_gap {
            out.push('[');
            out.push_str(gap);
            out.push(']');
        }
        out.push_str(self.line_break());
    }
}

/// `{{ rows | bmatrix }}`: a matrix environment, one row per line.
///
/// The input is a list of rows, or one flat list (a row; a column with `column=true`). Cells are
/// formatted strings (used as they are), numbers (formatted with `decimals`), or null (an answer
/// slot, drawn as `slot`). Arguments: `env` (default `bmatrix`), `zeros` (`keep`, `dot` for
/// `\cdot`, `blank`), `slot` (default `\square`), `gap` (extra space between rows, e.g. `1ex`),
/// `column`, `inline` (one line, for `$...$` in Markdown), `decimals`.
pub fn bmatrix(value: &Value, args: &Args) -> tera::Result<Value> {
    let style = MatrixStyle::from_args(args)?;
    let rows = matrix_rows(value, style.column)?;
    let (env, nl) = (style.env, style.line_break());
    let mut out =
        String::with_capacity(16 * rows.len() * rows.first().map_or(1, |row| row.len()) + 64);
    out.push_str("\\begin{");
    out.push_str(env);
    out.push('}');
    out.push_str(nl);
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            style.push_row_end(&mut out);
        }
        for (j, cell) in row.iter().enumerate() {
            if j > 0 {
                out.push_str(" & ");
            }
            style.push_cell(&mut out, cell)?;
        }
    }
    out.push_str(nl);
    out.push_str("\\end{");
    out.push_str(env);
    out.push('}');
    Ok(Value::String(out))
}

/// The rows of a matrix value: a list of lists as it is, a flat list as one row or one column.
fn matrix_rows(value: &Value, column: bool) -> tera::Result<Vec<&[Value]>> {
    let items = value
        .as_array()
        .filter(|items| !items.is_empty())
        .ok_or_else(|| {
            tera::Error::msg(format!("bmatrix: expected a non-empty list, got {value}"))
        })?;
    if items.iter().all(Value::is_array) {
        return Ok(items
            .iter()
            .map(|row| row.as_array().map_or(&[][..], Vec::as_slice))
            .collect());
    }
    Ok(if column {
        items.iter().map(std::slice::from_ref).collect()
    } else {
        vec![items.as_slice()]
    })
}

/// `{{ x | paren }}`: a negative number in parentheses, so that `4 \cdot (-0.5)` reads right.
pub fn paren(value: &Value, args: &Args) -> tera::Result<Value> {
    let text = scalar_text("paren", value, decimals_arg("paren", args)?)?;
    Ok(Value::String(if text.starts_with('-') {
        format!("({text})")
    } else {
        text
    }))
}

/// `{{ b | signed }}`: a term that follows others, with its sign as the operator: `- 1`, `+ 0.7`.
pub fn signed(value: &Value, args: &Args) -> tera::Result<Value> {
    let text = scalar_text("signed", value, decimals_arg("signed", args)?)?;
    Ok(Value::String(match text.strip_prefix('-') {
        Some(magnitude) => format!("- {magnitude}"),
        None => format!("+ {text}"),
    }))
}

fn text_arg<'a>(filter: &str, value: &'a Value) -> tera::Result<&'a str> {
    value
        .as_str()
        .ok_or_else(|| tera::Error::msg(format!("{filter}: expected text, got {value}")))
}

/// Characters pdflatex prints with the sheets' preamble (UTF-8 input, T1 font encoding, Latin
/// Modern fonts, the kernel's TS1 symbols), as (first, last) ranges: found by compiling every
/// character of Latin-1, Latin Extended-A and B and General Punctuation in that preamble
/// (`tests/render_compile.rs` compiles them all again). Missing from Latin Extended-A: Ħ ħ ĸ
/// Ŀ ŀ ŉ Ŧ ŧ ſ, which T1 lacks.
const TYPESET: &[(char, char)] = &[
    (' ', '~'),
    ('\u{a0}', '\u{125}'),
    ('\u{128}', '\u{137}'),
    ('\u{139}', '\u{13e}'),
    ('\u{141}', '\u{148}'),
    ('\u{14a}', '\u{165}'),
    ('\u{168}', '\u{17e}'),
    ('\u{192}', '\u{192}'),
    ('\u{1c4}', '\u{1d4}'),
    ('\u{1e2}', '\u{1e3}'),
    ('\u{1e6}', '\u{1eb}'),
    ('\u{1f0}', '\u{1f0}'),
    ('\u{1f4}', '\u{1f5}'),
    ('\u{218}', '\u{21b}'),
    ('\u{232}', '\u{233}'),
    ('\u{237}', '\u{237}'),
    ('\u{1e9e}', '\u{1e9e}'),
    ('\u{2010}', '\u{2016}'),
    ('\u{2018}', '\u{201a}'),
    ('\u{201c}', '\u{201e}'),
    ('\u{2020}', '\u{2022}'),
    ('\u{2026}', '\u{2026}'),
    ('\u{2030}', '\u{2031}'),
    ('\u{2039}', '\u{203b}'),
    ('\u{203d}', '\u{203d}'),
    ('\u{2044}', '\u{2044}'),
    ('\u{20ac}', '\u{20ac}'),
    ('\u{2116}', '\u{2116}'),
    ('\u{2122}', '\u{2122}'),
];

/// What lualatex prints with the sheets' preamble (Latin Modern, falling back to Noto Serif and
/// Noto Serif CJK SC), beyond [`TYPESET`]: of the Latin, Greek, Cyrillic, CJK and Hangul blocks,
/// their combining accents and punctuation, the characters that those fonts have in regular and
/// bold (read from the fonts with `fc-query`; `tests/render_compile.rs` compiles them with
/// lualatex and looks for missing characters). Emoji and scripts such as Arabic or Devanagari
/// (which need more than a font: shaping, direction) stay out.
const TYPESET_LUALATEX: &[(char, char)] = &[
    ('\u{a0}', '\u{24f}'),
    ('\u{300}', '\u{377}'),
    ('\u{37a}', '\u{37f}'),
    ('\u{384}', '\u{38a}'),
    ('\u{38c}', '\u{38c}'),
    ('\u{38e}', '\u{3a1}'),
    ('\u{3a3}', '\u{3e1}'),
    ('\u{3f0}', '\u{52f}'),
    ('\u{1100}', '\u{11ff}'),
    ('\u{1e00}', '\u{1f15}'),
    ('\u{1f18}', '\u{1f1d}'),
    ('\u{1f20}', '\u{1f45}'),
    ('\u{1f48}', '\u{1f4d}'),
    ('\u{1f50}', '\u{1f57}'),
    ('\u{1f59}', '\u{1f59}'),
    ('\u{1f5b}', '\u{1f5b}'),
    ('\u{1f5d}', '\u{1f5d}'),
    ('\u{1f5f}', '\u{1f7d}'),
    ('\u{1f80}', '\u{1fb4}'),
    ('\u{1fb6}', '\u{1fc4}'),
    ('\u{1fc6}', '\u{1fd3}'),
    ('\u{1fd6}', '\u{1fdb}'),
    ('\u{1fdd}', '\u{1fef}'),
    ('\u{1ff2}', '\u{1ff4}'),
    ('\u{1ff6}', '\u{1ffe}'),
    ('\u{2010}', '\u{205e}'),
    ('\u{3000}', '\u{303f}'),
    ('\u{3041}', '\u{3096}'),
    ('\u{3099}', '\u{30ff}'),
    ('\u{3131}', '\u{318e}'),
    ('\u{3400}', '\u{4db5}'),
    ('\u{4e00}', '\u{9fea}'),
    ('\u{ac00}', '\u{d7a3}'),
    ('\u{ff01}', '\u{ff5e}'),
];

/// True when the sheets' fonts typeset `c` with pdflatex (see [`TYPESET`]).
pub fn typesets(c: char) -> bool {
    typesets_with(LatexEngine::Pdflatex, c)
}

/// True when the sheets' fonts typeset `c` with `latex`.
pub fn typesets_with(latex: LatexEngine, c: char) -> bool {
    let within = |ranges: &[(char, char)]| {
        ranges
            .iter()
            .any(|&(first, last)| (first..=last).contains(&c))
    };
    within(TYPESET) || (latex == LatexEngine::Lualatex && within(TYPESET_LUALATEX))
}

/// The characters of `text` that [`latex_escape`] replaces with `?` for pdflatex, each once, in
/// order: what a warning names. Line breaks and tabs become spaces and are not among them.
pub fn latex_unprintable(text: &str) -> Vec<char> {
    latex_unprintable_with(LatexEngine::Pdflatex, text)
}

/// As [`latex_unprintable`], for LaTeX compiled by `latex`.
pub fn latex_unprintable_with(latex: LatexEngine, text: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::new();
    for c in text.chars() {
        if !typesets_with(latex, c) && !matches!(c, '\n' | '\r' | '\t') && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Pairs that TeX's fonts join into another glyph (`--` an en dash, `''` a closing quote, `,,`
/// a low quote, ...): a name must print as typed, so `{}` goes between them.
fn is_ligature(first: char, second: char) -> bool {
    matches!(
        (first, second),
        ('-', '-') | ('\'', '\'') | ('`', '`') | (',', ',') | ('!', '`') | ('?', '`')
    )
}

/// `{{ footer | latex_escape }}`: user text that LaTeX prints literally. Tera does not escape
/// `.tex` output, so every piece of user text in a LaTeX template goes through this filter.
/// This is pdflatex's; an engine for lualatex registers [`latex_escape_for`] lualatex.
pub fn latex_escape(value: &Value, args: &Args) -> tera::Result<Value> {
    latex_escape_for(LatexEngine::Pdflatex, value, args)
}

/// [`latex_escape`] for LaTeX compiled by `latex`: what its fonts lack becomes `?`.
pub fn latex_escape_for(latex: LatexEngine, value: &Value, _: &Args) -> tera::Result<Value> {
    let text = text_arg("latex_escape", value)?;
    let mut out = String::with_capacity(text.len());
    let mut previous = None;
    for c in text.chars() {
        if previous.is_some_and(|p| is_ligature(p, c)) {
            out.push_str("{}");
        }
        previous = Some(c);
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '$' | '&' | '#' | '_' | '%' => {
                out.push('\\');
                out.push(c);
            }
            '^' => out.push_str("\\textasciicircum{}"),
            '~' => out.push_str("\\textasciitilde{}"),
            // Not the glyphs of these characters in every font encoding.
            '<' => out.push_str("\\textless{}"),
            '>' => out.push_str("\\textgreater{}"),
            '|' => out.push_str("\\textbar{}"),
            // Line breaks in a footer would end the paragraph or the argument.
            '\n' | '\r' | '\t' => out.push(' '),
            c if typesets_with(latex, c) => out.push(c),
            // CJK, Greek, Cyrillic, emoji ... stop pdflatex with "Unicode character not set
            // up": one such name must not break a whole batch's PDFs. The command that renders
            // it warns (see `latex_unprintable`); Markdown keeps them.
            _ => out.push('?'),
        }
    }
    Ok(Value::String(out))
}

/// `{{ command | qrcode_escape }}`: user text as the argument of the `qrcode` package's
/// `\qrcode{...}`, which reads `# $ & ^ _ ~ % \ { }` only when escaped with a backslash. pdflatex
/// cannot feed other than ASCII into the code, so anything else becomes `?` there (the text
/// beside the code keeps it).
pub fn qrcode_escape(value: &Value, _: &Args) -> tera::Result<Value> {
    let text = text_arg("qrcode_escape", value)?;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' | '$' | '&' | '^' | '_' | '~' | '%' | '\\' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii_graphic() || c == ' ' => out.push(c),
            _ => out.push('?'),
        }
    }
    Ok(Value::String(out))
}

/// `{{ footer | markdown_escape }}`: user text that Markdown (and pandoc) prints literally:
/// every ASCII punctuation character that could start markup is backslash-escaped, which
/// CommonMark and pandoc both allow for any ASCII punctuation.
pub fn markdown_escape(value: &Value, _: &Args) -> tera::Result<Value> {
    let text = text_arg("markdown_escape", value)?;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '<' | '>' | '$' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(pairs: &[(&str, Value)]) -> Args {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn text(v: tera::Result<Value>) -> String {
        v.unwrap().as_str().unwrap().to_string()
    }

    #[test]
    fn exact_is_lossless_and_plain() {
        let value = json!([[1.0, -0.5], [0.1, 0.30000000000000004]]);
        let out = exact(&value, &Args::new()).unwrap();
        assert_eq!(out, json!([["1", "-0.5"], ["0.1", "0.30000000000000004"]]));
        assert_eq!(
            exact(&json!(1e-7), &Args::new()).unwrap(),
            json!("0.0000001")
        );
        assert!(exact(&json!("x"), &Args::new()).is_err());
    }

    #[test]
    fn num_formats_scalars_and_nested_lists() {
        let two = args(&[("decimals", json!(1))]);
        assert_eq!(
            num(&json!(0.30000000000000004), &Args::new()).unwrap(),
            json!("0.3")
        );
        assert_eq!(
            num(&json!([[1.0, -0.0], [2.25, 7]]), &two).unwrap(),
            json!([["1", "0"], ["2.3", "7"]])
        );
    }

    #[test]
    fn num_rejects_text_and_bad_decimals() {
        assert!(num(&json!("abc"), &Args::new()).is_err());
        assert!(num(&json!(1.0), &args(&[("decimals", json!("3"))])).is_err());
    }

    #[test]
    fn bmatrix_lays_out_rows_one_per_line() {
        let m = text(bmatrix(&json!([["1", "-0.5"], ["0", "2"]]), &Args::new()));
        assert_eq!(m, "\\begin{bmatrix}\n1 & -0.5 \\\\\n0 & 2\n\\end{bmatrix}");
    }

    #[test]
    fn bmatrix_formats_raw_numbers_with_decimals() {
        let m = text(bmatrix(
            &json!([[0.12345, 2.0]]),
            &args(&[("decimals", json!(2))]),
        ));
        assert!(m.contains("0.12 & 2"), "{m}");
    }

    #[test]
    fn bmatrix_flat_list_is_a_row_or_a_column() {
        let row = text(bmatrix(&json!(["1", "2"]), &Args::new()));
        assert!(row.contains("1 & 2"), "{row}");
        let col = text(bmatrix(
            &json!(["1", "2"]),
            &args(&[("column", json!(true))]),
        ));
        assert!(col.contains("1 \\\\\n2"), "{col}");
    }

    #[test]
    fn bmatrix_shows_zeros_as_dots_or_blanks() {
        let m = json!([["0", "1"]]);
        let dot = text(bmatrix(&m, &args(&[("zeros", json!("dot"))])));
        assert!(dot.contains("\\cdot & 1"), "{dot}");
        let blank = text(bmatrix(&m, &args(&[("zeros", json!("blank"))])));
        assert!(blank.contains("\n & 1\n"), "{blank}");
        assert!(bmatrix(&m, &args(&[("zeros", json!("hide"))])).is_err());
    }

    #[test]
    fn bmatrix_null_cells_are_answer_slots_and_gap_spaces_rows() {
        let m = json!([[null, "1"], ["2", null]]);
        let a = args(&[("slot", json!("\\hphantom{00}")), ("gap", json!("1ex"))]);
        let out = text(bmatrix(&m, &a));
        assert_eq!(
            out,
            "\\begin{bmatrix}\n\\hphantom{00} & 1 \\\\[1ex]\n2 & \\hphantom{00}\n\\end{bmatrix}"
        );
    }

    #[test]
    fn bmatrix_inline_stays_on_one_line() {
        let m = text(bmatrix(
            &json!([["1", "2"], ["3", "4"]]),
            &args(&[("inline", json!(true))]),
        ));
        assert_eq!(m, "\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}");
    }

    #[test]
    fn bmatrix_env_is_configurable_and_empty_is_an_error() {
        let m = text(bmatrix(
            &json!([["1"]]),
            &args(&[("env", json!("pmatrix"))]),
        ));
        assert!(m.starts_with("\\begin{pmatrix}") && m.ends_with("\\end{pmatrix}"));
        assert!(bmatrix(&json!([]), &Args::new()).is_err());
        assert!(bmatrix(&json!("x"), &Args::new()).is_err());
    }

    #[test]
    fn paren_wraps_only_negatives() {
        assert_eq!(text(paren(&json!("-0.5"), &Args::new())), "(-0.5)");
        assert_eq!(text(paren(&json!("0.5"), &Args::new())), "0.5");
        assert_eq!(text(paren(&json!(-2.0), &Args::new())), "(-2)");
    }

    #[test]
    fn signed_turns_the_sign_into_an_operator() {
        assert_eq!(text(signed(&json!("-1"), &Args::new())), "- 1");
        assert_eq!(text(signed(&json!("0.7"), &Args::new())), "+ 0.7");
        assert_eq!(text(signed(&json!(0.0), &Args::new())), "+ 0");
    }

    #[test]
    fn latex_escape_keeps_latin_letters_and_replaces_what_pdflatex_cannot_print() {
        let out = text(latex_escape(
            &json!("Béla Łukasz Zoë – “Ann” 李华 Пётр"),
            &Args::new(),
        ));
        assert_eq!(out, "Béla Łukasz Zoë – “Ann” ?? ????");
        // Issue 10: these stopped pdflatex in the OT1 encoding; T1 has them.
        let out = text(latex_escape(
            &json!("Đorđe Petrović, Þórr Ðóttir «A» Ŋ ẞ Ștefan"),
            &Args::new(),
        ));
        assert_eq!(out, "Đorđe Petrović, Þórr Ðóttir «A» Ŋ ẞ Ștefan");
        assert_eq!(latex_unprintable("Ħal Far 李华 李"), ['Ħ', '李', '华']);
        assert!(latex_unprintable("Đorđe\tx\n").is_empty());
    }

    #[test]
    fn latex_escape_for_lualatex_keeps_greek_cyrillic_and_cjk_but_not_emoji() {
        let out = text(latex_escape_for(
            LatexEngine::Lualatex,
            &json!("Ψ Ιωάννης Иван 李娜 김민준 さくら Zoë 😀"),
            &Args::new(),
        ));
        assert_eq!(out, "Ψ Ιωάννης Иван 李娜 김민준 さくら Zoë ?");
        assert_eq!(
            latex_unprintable_with(LatexEngine::Lualatex, "Ψ 😀 ا"),
            ['😀', 'ا']
        );
        assert_eq!(latex_unprintable("Ψ"), ['Ψ']);
    }

    #[test]
    fn latex_escape_breaks_ligatures_so_names_print_as_typed() {
        // Issue 10: `--` printed as an en dash, `''` as a closing quote.
        let out = text(latex_escape(
            &json!("Ann--Marie ''Nan'' ,,x`` !`?` a-b"),
            &Args::new(),
        ));
        assert_eq!(out, "Ann-{}-Marie '{}'Nan'{}' ,{},x`{}` !{}`?{}` a-b");
        assert_eq!(text(latex_escape(&json!("---"), &Args::new())), "-{}-{}-");
    }

    #[test]
    fn qrcode_escape_escapes_what_the_package_reads_and_keeps_ascii() {
        let out = text(qrcode_escape(
            &json!("nnexam generate --seed 'a#b_c%d' é\n"),
            &Args::new(),
        ));
        assert_eq!(out, "nnexam generate --seed 'a\\#b\\_c\\%d' ??");
    }

    #[test]
    fn latex_escape_makes_special_characters_literal() {
        let out = text(latex_escape(
            &json!("seed 7_a & 100% {x} #1 ~^\\ <|>"),
            &Args::new(),
        ));
        assert_eq!(
            out,
            "seed 7\\_a \\& 100\\% \\{x\\} \\#1 \\textasciitilde{}\\textasciicircum{}\\textbackslash{} \
             \\textless{}\\textbar{}\\textgreater{}"
        );
        assert!(latex_escape(&json!(3), &Args::new()).is_err());
    }

    #[test]
    fn markdown_escape_makes_markup_literal() {
        let out = text(markdown_escape(
            &json!("task_3-1.toml *x* $y$"),
            &Args::new(),
        ));
        assert_eq!(out, "task\\_3\\-1\\.toml \\*x\\* \\$y\\$");
    }
}
