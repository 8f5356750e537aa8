//! The class roster: a CSV file with a header, an `id` column (required) and a `name` column
//! (optional); other columns are ignored. Parsing is pure and strict: a roster error names the
//! line, because a silently skipped student is a student without an exam.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// One student as listed in the roster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Student {
    /// The student's id (unique in the roster).
    pub id: String,
    /// The student's name, possibly empty.
    pub name: String,
    /// 1-based line of the student's row, for messages.
    pub line: u64,
}

fn roster_error(
    origin: &str,
    line: Option<u64>,
    problem: impl std::fmt::Display,
    fix: &str,
) -> Error {
    let place = match line {
        Some(line) => format!("{origin}, line {line}"),
        None => origin.to_string(),
    };
    Error::invalid(place, problem.to_string(), fix)
}

/// Parses roster bytes. `origin` (usually the file name) appears in every error.
pub fn parse(bytes: &[u8], origin: &str) -> Result<Vec<Student>> {
    let text = decode(bytes, origin)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(roster_error(
            origin,
            None,
            "the roster is empty",
            "add a header line `id,name` and one line per student",
        ));
    }
    check_quotes(text, origin)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| roster_error(origin, Some(1), e, "fix the header line"))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let id_col = column("id").ok_or_else(|| {
        roster_error(
            origin,
            Some(1),
            format!(
                "the header `{}` has no `id` column",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
            "name one column `id` (and optionally one `name`)",
        )
    })?;
    let name_col = column("name");
    let mut students = Vec::new();
    let mut first_line_of: BTreeMap<String, u64> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            roster_error(origin, line, e, "fix the CSV syntax of this line")
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let id = record.get(id_col).unwrap_or("").to_string();
        if id.is_empty() {
            return Err(roster_error(
                origin,
                Some(line),
                "the id is missing or empty",
                "give every student a unique id",
            ));
        }
        if let Some(c) = id.chars().find(|c| c.is_control()) {
            return Err(roster_error(
                origin,
                Some(line),
                format!("the id {id:?} contains the control character {c:?}"),
                "remove it: an id becomes part of a seed, a folder name and a key row",
            ));
        }
        if let Some(first) = first_line_of.get(&id) {
            return Err(roster_error(
                origin,
                Some(line),
                format!("duplicate id `{id}` (first on line {first})"),
                "give every student a unique id",
            ));
        }
        first_line_of.insert(id.clone(), line);
        let name = name_col
            .and_then(|c| record.get(c))
            .unwrap_or("")
            .to_string();
        students.push(Student { id, name, line });
    }
    if students.is_empty() {
        return Err(roster_error(
            origin,
            None,
            "the roster lists no students",
            "add one line per student below the header",
        ));
    }
    Ok(students)
}

/// The roster must be UTF-8; the error names the line of the first bad byte.
pub(crate) fn decode<'a>(bytes: &'a [u8], origin: &str) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1;
        roster_error(
            origin,
            Some(line),
            "the roster is not UTF-8 text",
            "save the file as UTF-8 (in a spreadsheet: CSV UTF-8)",
        )
    })
}

/// The csv crate reads an unclosed quote silently to the end of the file, swallowing every
/// student after it; RFC 4180 quoting is simple enough to check directly.
pub(crate) fn check_quotes(text: &str, origin: &str) -> Result<()> {
    let mut inside = false;
    let mut line = 1u64;
    let mut opened_on = 0u64;
    for c in text.chars() {
        match c {
            '"' => {
                inside = !inside;
                if inside {
                    opened_on = line;
                }
            }
            '\n' => line += 1,
            _ => {}
        }
    }
    if inside {
        return Err(roster_error(
            origin,
            Some(opened_on),
            "a quote `\"` is opened here and never closed",
            "close the quote (write a literal quote inside a quoted field as `\"\"`)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<Student> {
        parse(text.as_bytes(), "r.csv").unwrap()
    }

    fn err(bytes: &[u8]) -> String {
        parse(bytes, "r.csv").unwrap_err().to_string()
    }

    #[test]
    fn reads_ids_and_names_and_ignores_other_columns() {
        let s = ok("email,id,name\na@x,4711,Ada Lovelace\nb@x,4712,\"Turing, Alan\"\n");
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].id.as_str(), s[0].name.as_str(), s[0].line),
            ("4711", "Ada Lovelace", 2)
        );
        assert_eq!(s[1].name, "Turing, Alan");
    }

    #[test]
    fn name_column_is_optional() {
        assert_eq!(ok("id\n1\n2\n")[1].name, "");
    }

    #[test]
    fn byte_order_mark_is_accepted() {
        assert_eq!(ok("\u{feff}id,name\n7,Ada\n")[0].id, "7");
    }

    #[test]
    fn missing_id_names_the_line() {
        assert!(err(b"id,name\n1,Ada\n,Bob\n").contains("line 3"));
    }

    #[test]
    fn a_control_character_in_an_id_names_the_file_line_and_id() {
        // Issue 10: it was reported as a bad `seed`, naming neither roster, line nor id.
        let msg = err(b"id,name\n1,Ada\n\"a\nb\",Bob\n");
        assert!(
            msg.contains("r.csv, line 3") && msg.contains("\"a\\nb\""),
            "{msg}"
        );
        let msg = err(b"id,name\n1,Ada\na\x00b,Bob\n");
        assert!(
            msg.contains("r.csv, line 3") && msg.contains("'\\0'"),
            "{msg}"
        );
    }

    #[test]
    fn duplicate_id_names_both_lines() {
        let msg = err(b"id,name\n1,Ada\n2,Bob\n1,Cy\n");
        assert!(
            msg.contains("line 4") && msg.contains("first on line 2"),
            "{msg}"
        );
    }

    #[test]
    fn empty_file_and_header_only_are_errors() {
        assert!(err(b"").contains("empty"));
        assert!(err(b"id,name\n").contains("no students"));
    }

    #[test]
    fn missing_id_column_is_an_error() {
        assert!(err(b"student,name\n1,Ada\n").contains("no `id` column"));
    }

    #[test]
    fn non_utf8_names_the_line() {
        let msg = err(b"id,name\n1,Ada\n2,B\xe9la\n");
        assert!(msg.contains("line 3") && msg.contains("UTF-8"), "{msg}");
    }

    #[test]
    fn unbalanced_quote_names_the_line_it_opens_on() {
        let msg = err(b"id,name\n1,Ada\n2,\"Bob\n3,Cy\n");
        assert!(msg.contains("line 3") && msg.contains("quote"), "{msg}");
    }

    #[test]
    fn blank_lines_are_skipped() {
        assert_eq!(ok("id\n1\n\n2\n").len(), 2);
    }
}
