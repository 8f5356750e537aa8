//! Moodle XML question banks of Cloze ("embedded answers") questions. This module owns the XML
//! envelope and the gap syntax; the question text itself is HTML rendered from a template.
//! The XML is written with quick-xml, so every special character in the text is escaped.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::render::number::format_number;

/// One Cloze question: its sortable name, a stable id number and the HTML text with gaps.
#[derive(Clone, Debug, PartialEq)]
pub struct ClozeQuestion {
    pub name: String,
    pub idnumber: String,
    pub html: String,
}

/// Digits kept in a gap's value and tolerance: far finer than any tolerance we derive.
const GAP_DECIMALS: usize = 9;

/// A numerical Cloze gap worth one mark: `{1:NUMERICAL:=value:tolerance}`; Moodle accepts any
/// answer within `tolerance` (absolute) of `value`.
pub fn numerical_gap(value: f64, tolerance: f64) -> String {
    format!(
        "{{1:NUMERICAL:={}:{}}}",
        format_number(value, GAP_DECIMALS),
        format_number(tolerance, GAP_DECIMALS)
    )
}

fn write_text_element(w: &mut Writer<Vec<u8>>, tag: &str, text: &str) -> std::io::Result<()> {
    w.write_event(Event::Start(BytesStart::new(tag)))?;
    w.write_event(Event::Text(BytesText::new(text)))?;
    w.write_event(Event::End(BytesEnd::new(tag)))
}

/// `<tag format="html"><text>...</text></tag>` or `<tag><text>...</text></tag>`.
fn write_wrapped_text(
    w: &mut Writer<Vec<u8>>,
    tag: &str,
    html: bool,
    text: &str,
) -> std::io::Result<()> {
    let mut start = BytesStart::new(tag);
    if html {
        start.push_attribute(("format", "html"));
    }
    w.write_event(Event::Start(start))?;
    write_text_element(w, "text", text)?;
    w.write_event(Event::End(BytesEnd::new(tag)))
}

fn write_question(w: &mut Writer<Vec<u8>>, q: &ClozeQuestion) -> std::io::Result<()> {
    let mut start = BytesStart::new("question");
    start.push_attribute(("type", "cloze"));
    w.write_event(Event::Start(start))?;
    write_wrapped_text(w, "name", false, &q.name)?;
    write_wrapped_text(w, "questiontext", true, &q.html)?;
    write_wrapped_text(w, "generalfeedback", true, "")?;
    write_text_element(w, "penalty", "0.3333333")?;
    write_text_element(w, "hidden", "0")?;
    write_text_element(w, "idnumber", &q.idnumber)?;
    w.write_event(Event::End(BytesEnd::new("question")))
}

/// A complete Moodle XML file: one category, then the questions in order.
pub fn quiz_xml(category: &str, questions: &[ClozeQuestion]) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let written: std::io::Result<()> = (|| {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.write_event(Event::Start(BytesStart::new("quiz")))?;
        let mut cat = BytesStart::new("question");
        cat.push_attribute(("type", "category"));
        w.write_event(Event::Start(cat))?;
        write_wrapped_text(&mut w, "category", false, &format!("$course$/{category}"))?;
        w.write_event(Event::End(BytesEnd::new("question")))?;
        for q in questions {
            write_question(&mut w, q)?;
        }
        w.write_event(Event::End(BytesEnd::new("quiz")))
    })();
    written.expect("invariant: writing XML into memory cannot fail");
    let mut xml = String::from_utf8(w.into_inner()).expect("invariant: quick-xml writes UTF-8");
    xml.push('\n');
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::events::Event;
    use quick_xml::Reader;

    #[test]
    fn gap_uses_moodle_numerical_syntax() {
        assert_eq!(
            numerical_gap(0.3543436937, 0.001),
            "{1:NUMERICAL:=0.354343694:0.001}"
        );
        assert_eq!(numerical_gap(-2.0, 0.0005), "{1:NUMERICAL:=-2:0.0005}");
    }

    #[test]
    fn special_characters_are_escaped_and_read_back() {
        let q = ClozeQuestion {
            name: "Q <1> & \"A\"".into(),
            idnumber: "x".into(),
            html: "<p>a & b < c</p> \\( x \\)".into(),
        };
        let xml = quiz_xml("nnexam/test", std::slice::from_ref(&q));
        let mut reader = Reader::from_str(&xml);
        let mut texts = Vec::new();
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Text(t) => texts.push(t.unescape().unwrap().into_owned()),
                Event::Eof => break,
                _ => {}
            }
        }
        assert!(texts.contains(&q.name), "{texts:?}");
        assert!(texts.contains(&q.html), "{texts:?}");
        assert!(texts.contains(&"$course$/nnexam/test".to_string()));
    }
}
