//! The responses CSV a TA types in from paper or exports from a spreadsheet: a header with `id`
//! (required), `name` (optional, not read) and any subset of answer names, one row per person.
//!
//! - Comma- or semicolon-separated, detected from the header line (a semicolon anywhere in it
//!   means semicolons, as spreadsheets in many locales export); UTF-8, a byte-order mark allowed.
//! - A cell is a number with a decimal point or a decimal comma (`0.354`, `0,354`, `-1`, `+2`,
//!   `−0.5` with a Unicode minus); an empty cell is "not answered".
//! - Errors name the line (the header is line 1) and the column: an unknown column, a column
//!   twice, an id not in the key, a duplicate id, a cell that is not a finite number, a value
//!   for an answer the person's exercise does not have. A person in the key without a row is
//!   not an error: the grade says absent.

use std::collections::{BTreeMap, BTreeSet};

use super::entries_by_name;
use crate::error::{Error, Result};
use crate::export::key::{spreadsheet_text, KeyRow};
use crate::export::roster;

/// One person's row: every answer column of the file, `None` where the cell is empty.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// 1-based line of the row.
    pub line: u64,
    /// By answer name.
    pub values: BTreeMap<String, Option<f64>>,
}

/// A whole responses file.
#[derive(Clone, Debug, PartialEq)]
pub struct Responses {
    /// The answer columns, in the file's order.
    pub columns: Vec<String>,
    /// The rows by id.
    pub rows: BTreeMap<String, Response>,
}

fn error(origin: &str, line: u64, column: Option<&str>, problem: String, fix: &str) -> Error {
    let place = match column {
        Some(column) => format!("{origin}, line {line}, column {column}"),
        None => format!("{origin}, line {line}"),
    };
    Error::invalid(place, problem, fix)
}

/// A cell as a number: decimal point or comma, optional sign (also U+2212); `None` for an empty
/// cell; `Err` with what is wrong.
pub fn parse_cell(cell: &str) -> std::result::Result<Option<f64>, String> {
    let text = cell.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let normal = text.replace('\u{2212}', "-");
    let normal = match (normal.matches(',').count(), normal.contains('.')) {
        (0, _) => normal,
        (1, false) => normal.replace(',', "."),
        _ => {
            return Err(format!(
                "`{text}` is not a number (one decimal point or comma)"
            ))
        }
    };
    let plain = normal
        .trim_start_matches(['-', '+'])
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.');
    match normal.parse::<f64>() {
        Ok(v)
            if plain
                && v.is_finite()
                && normal.chars().filter(|c| *c == '-' || *c == '+').count() <= 1 =>
        {
            Ok(Some(v))
        }
        _ => Err(format!("`{text}` is not a number")),
    }
}

/// Parses responses `bytes` against `key`. `origin` (the file name) appears in every error.
pub fn parse(bytes: &[u8], origin: &str, key: &[KeyRow]) -> Result<Responses> {
    let text = roster::decode(bytes, origin)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(error(
            origin,
            1,
            None,
            "the responses file is empty".into(),
            "start with a header line `id,y_hat,loss,...` (`nnexam grade --template` writes one)",
        ));
    }
    roster::check_quotes(text, origin)?;
    let header_line = text.lines().next().unwrap_or("");
    let delimiter = if header_line.contains(';') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| error(origin, 1, None, e.to_string(), "fix the header line"))?
        .clone();

    // Every name any person's exercise has; and by id, the names of that person's exercise.
    let mut known: BTreeSet<String> = BTreeSet::new();
    let mut by_id: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for row in key {
        let names: BTreeSet<String> = entries_by_name(&row.problem).into_keys().collect();
        known.extend(names.iter().cloned());
        by_id.insert(row.id.as_str(), names);
    }
    let mut id_col = None;
    let mut columns: Vec<(usize, String)> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (at, name) in headers.iter().enumerate() {
        if !seen.insert(name.to_string()) {
            return Err(error(
                origin,
                1,
                Some(name),
                format!("the column `{name}` appears twice"),
                "keep one column per answer",
            ));
        }
        match name {
            "id" => id_col = Some(at),
            "name" => {}
            _ if known.contains(name) => columns.push((at, name.to_string())),
            _ => {
                return Err(error(
                    origin,
                    1,
                    Some(name),
                    format!("`{name}` is not an answer of this key"),
                    "use the key's answer names (`y_hat`, `loss`, `w2_new_1`, ...) or the chain's \
                     steps (`z2`, `d_z2`, `z1_1_1`, ...); `nnexam grade --template` lists them",
                ))
            }
        }
    }
    let Some(id_col) = id_col else {
        return Err(error(
            origin,
            1,
            None,
            format!(
                "the header `{}` has no `id` column",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
            "name one column `id`",
        ));
    };

    let mut rows: BTreeMap<String, Response> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            error(
                origin,
                line,
                None,
                e.to_string(),
                "give every line as many cells as the header",
            )
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let written = record.get(id_col).unwrap_or("");
        // An id the template guarded with a leading `'` (see [`template`]) reads back as itself.
        let id = match written.strip_prefix('\'') {
            Some(rest) if !by_id.contains_key(written) && by_id.contains_key(rest) => rest,
            _ => written,
        }
        .to_string();
        let Some(names) = by_id.get(id.as_str()) else {
            return Err(error(
                origin,
                line,
                Some("id"),
                format!("the id `{id}` is not in the key"),
                "use the ids of key.json (the roster's ids, or the exam's variant labels)",
            ));
        };
        if let Some(first) = rows.get(&id) {
            return Err(error(
                origin,
                line,
                Some("id"),
                format!("duplicate id `{id}` (first on line {})", first.line),
                "give every person one row",
            ));
        }
        let mut values = BTreeMap::new();
        for (at, name) in &columns {
            let cell = record.get(*at).unwrap_or("");
            let value = parse_cell(cell).map_err(|problem| {
                error(
                    origin,
                    line,
                    Some(name),
                    problem,
                    "write a number such as 0.354 or 0,354, or leave the cell empty",
                )
            })?;
            if !names.contains(name) {
                if value.is_some() {
                    return Err(error(
                        origin,
                        line,
                        Some(name),
                        format!("the exercise of `{id}` has no answer `{name}`"),
                        "leave the cell empty",
                    ));
                }
                continue;
            }
            values.insert(name.clone(), value);
        }
        rows.insert(id, Response { line, values });
    }
    Ok(Responses {
        columns: columns.into_iter().map(|(_, name)| name).collect(),
        rows,
    })
}

/// An empty responses file for `key`: the header `id`, `name` and every answer name of the key
/// (in key order, each once), then one row per person with the id and name filled in. Text
/// cells are made safe for spreadsheets (a leading `'` where a formula could start), which
/// [`parse`] reads back.
pub fn template(key: &[KeyRow]) -> Result<String> {
    let mut names: Vec<&str> = Vec::new();
    for row in key {
        for answer in &row.answers {
            if !names.contains(&answer.key.as_str()) {
                names.push(&answer.key);
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = ["id", "name"].into_iter().chain(names.iter().copied());
    let fail = |e: csv::Error| Error::invalid("--template", e.to_string(), "report this as a bug");
    writer.write_record(header).map_err(fail)?;
    for row in key {
        let mut record = vec![spreadsheet_text(&row.id), spreadsheet_text(&row.name)];
        record.extend(names.iter().map(|_| String::new()));
        writer.write_record(&record).map_err(fail)?;
    }
    let bytes = writer
        .into_inner()
        .expect("invariant: writing CSV into memory cannot fail");
    Ok(String::from_utf8(bytes).expect("invariant: the CSV of UTF-8 text is UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_take_a_decimal_point_or_comma_and_a_sign() {
        assert_eq!(parse_cell(" 0.354 "), Ok(Some(0.354)));
        assert_eq!(parse_cell("0,354"), Ok(Some(0.354)));
        assert_eq!(parse_cell("-1"), Ok(Some(-1.0)));
        assert_eq!(parse_cell("+2"), Ok(Some(2.0)));
        assert_eq!(parse_cell("\u{2212}0,5"), Ok(Some(-0.5)));
        assert_eq!(parse_cell(""), Ok(None));
        for bad in [
            "abc", "1,000.5", "1,2,3", "inf", "NaN", "1e3", "--1", "0x10", "1 000",
        ] {
            assert!(parse_cell(bad).is_err(), "{bad}");
        }
    }
}
