//! The sheets as a reader meets them, checked with the tools a reader uses:
//!
//! - `pdffonts` (poppler) lists only vector fonts (Type 1) in the compiled PDFs of Task 3.1 and
//!   of generated sheets of every preset: no bitmap (Type 3) font, bullets included.
//! - `pandoc -t json` reads every Markdown heading as a heading, also right after display math.
//! - A real browser (headless chromium) shows pandoc's HTML (`pandoc -s --katex`) of Task 3.1
//!   and of a wide-preset sheet with every formula typeset and no sideways overflow of the page:
//!   a display wider than the page scrolls within itself.
//!
//! The sheets come from the `nnexam` binary as a user runs it (footer, QR code and all). Where a
//! tool is missing the test says SKIPPED loudly and passes, unless NNEXAM_REQUIRE_TOOLS=1 (CI).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::Command as BinCommand;
use serde_json::Value;

/// The stdout of a successful `nnexam ARGS`.
fn nnexam(args: &[&str]) -> String {
    let output = BinCommand::cargo_bin("nnexam")
        .expect("binary builds")
        .args(args)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

fn has_program(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The bundled Task 3.1 exercise file.
fn task_file() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("exercises/task-3-1.toml")
        .to_string_lossy()
        .into_owned()
}

/// The sheets to check in `format`: Task 3.1 and two seeds of every generator preset, with
/// question and solution, the instructor's note and working space.
fn sheets(format: &str) -> Vec<(String, String)> {
    let flags = ["--format", format, "--instructor", "--space"];
    let task = task_file();
    let mut out = vec![(
        "task-3-1".to_string(),
        nnexam(&[&["render", task.as_str()][..], &flags].concat()),
    )];
    for preset in common::sheet_presets() {
        for seed in ["1", "2"] {
            let args = [
                &["generate", "--seed", seed, "--preset", preset][..],
                &flags,
            ]
            .concat();
            out.push((format!("{preset}-{seed}"), nnexam(&args)));
        }
    }
    out
}

#[test]
fn compiled_sheets_use_only_vector_fonts() {
    const TEST: &str = "compiled_sheets_use_only_vector_fonts";
    if !has_program("pdflatex", "--version") {
        return common::skip(TEST, "pdflatex is not installed");
    }
    if !has_program("pdffonts", "-v") {
        return common::skip(TEST, "pdffonts (poppler-utils) is not installed");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, tex) in sheets("latex") {
        std::fs::write(dir.path().join(format!("{name}.tex")), tex).unwrap();
        let compiled = Command::new("pdflatex")
            .args(["-interaction=nonstopmode", "-halt-on-error"])
            .arg(format!("{name}.tex"))
            .current_dir(dir.path())
            .output()
            .expect("pdflatex runs");
        assert!(compiled.status.success(), "{name}: pdflatex failed");
        let fonts = Command::new("pdffonts")
            .arg(format!("{name}.pdf"))
            .current_dir(dir.path())
            .output()
            .expect("pdffonts runs");
        let listing = String::from_utf8_lossy(&fonts.stdout);
        // Two header lines, then one line per font: name, type, encoding, ...
        let rows: Vec<&str> = listing.lines().skip(2).collect();
        assert!(rows.len() >= 3, "{name}: {listing}");
        for row in rows {
            assert!(
                !row.contains("Type 3"),
                "{name}: a bitmap font in the PDF:\n{listing}"
            );
        }
    }
}

/// The plain text of pandoc JSON inlines (Str, Space, Math, Emph, Strong ...).
fn inline_text(inlines: &Value) -> String {
    let mut out = String::new();
    for inline in inlines.as_array().into_iter().flatten() {
        match inline["t"].as_str() {
            Some("Str") => out.push_str(inline["c"].as_str().unwrap_or_default()),
            Some("Space") | Some("SoftBreak") => out.push(' '),
            Some("Math") => out.push_str(inline["c"][1].as_str().unwrap_or_default()),
            _ => out.push_str(&inline_text(&inline["c"])),
        }
    }
    out
}

/// The ATX headings of `markdown` outside display math, as (level, text).
fn source_headings(markdown: &str) -> Vec<(usize, String)> {
    let mut in_math = false;
    let mut out = Vec::new();
    for line in markdown.lines() {
        if line.trim() == "$$" {
            in_math = !in_math;
            continue;
        }
        if in_math {
            continue;
        }
        let level = line.chars().take_while(|&c| c == '#').count();
        if level > 0 && line[level..].starts_with(' ') {
            out.push((level, line[level + 1..].trim().to_string()));
        }
    }
    out
}

#[test]
fn every_markdown_heading_is_a_heading_in_pandoc() {
    const TEST: &str = "every_markdown_heading_is_a_heading_in_pandoc";
    if !has_program("pandoc", "--version") {
        return common::skip(TEST, "pandoc is not installed");
    }
    for (name, markdown) in sheets("markdown") {
        let mut pandoc = Command::new("pandoc")
            .args(["-f", "markdown", "-t", "json"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("pandoc runs");
        use std::io::Write;
        pandoc
            .stdin
            .take()
            .unwrap()
            .write_all(markdown.as_bytes())
            .unwrap();
        let output = pandoc.wait_with_output().unwrap();
        assert!(output.status.success(), "{name}: pandoc failed");
        let ast: Value = serde_json::from_slice(&output.stdout).expect("pandoc JSON");
        let parsed: Vec<(usize, String)> = ast["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["t"] == "Header")
            .map(|b| {
                let level = b["c"][0].as_u64().unwrap() as usize;
                (level, inline_text(&b["c"][2]))
            })
            .collect();
        let written = source_headings(&markdown);
        assert!(
            written.iter().any(|(_, t)| t.starts_with("c)")),
            "{name}: part c's heading is missing:\n{written:?}"
        );
        let levels = |h: &[(usize, String)]| h.iter().map(|(l, _)| *l).collect::<Vec<_>>();
        assert_eq!(
            levels(&parsed),
            levels(&written),
            "{name}: pandoc's headings {parsed:?}\nwritten {written:?}"
        );
        for ((_, p), (_, w)) in parsed.iter().zip(&written) {
            // Pandoc's text drops the Markdown marks (**, \) of the written heading.
            let first_word = |t: &str| t.split(' ').next().unwrap_or_default().replace('*', "");
            assert_eq!(first_word(p), first_word(w), "{name}: {p} vs {w}");
        }
    }
}

/// The KaTeX distribution `tests/katex` installs (`npm ci`).
fn katex_dist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/katex/node_modules/katex/dist")
}

/// A script that, once the page and KaTeX are done, writes what the test reads into the body:
/// the page's scroll width, its client width, typeset formulas and KaTeX errors.
const PROBE: &str = r#"<script>window.addEventListener("load", function () {
  var root = document.documentElement;
  document.body.setAttribute("data-probe", [root.scrollWidth, root.clientWidth,
    document.getElementsByClassName("katex").length,
    document.getElementsByClassName("katex-error").length].join(" "));
});</script>"#;

#[test]
fn html_sheets_fit_the_page_in_a_browser() {
    const TEST: &str = "html_sheets_fit_the_page_in_a_browser";
    if !has_program("pandoc", "--version") {
        return common::skip(TEST, "pandoc is not installed");
    }
    if !has_program("chromium", "--version") {
        return common::skip(TEST, "chromium is not installed");
    }
    if !katex_dist().join("katex.min.js").is_file() {
        return common::skip(TEST, "KaTeX is not installed (cd tests/katex && npm ci)");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let katex = format!("--katex=file://{}/", katex_dist().display());
    let wanted = ["task-3-1", "wide-1", "wide-2"];
    for (name, markdown) in sheets("markdown")
        .into_iter()
        .filter(|(n, _)| wanted.contains(&n.as_str()))
    {
        let md = dir.path().join(format!("{name}.md"));
        let html = dir.path().join(format!("{name}.html"));
        std::fs::write(&md, markdown).unwrap();
        let pandoc = Command::new("pandoc")
            .args(["-s", &katex])
            .arg(&md)
            .arg("-o")
            .arg(&html)
            .output()
            .expect("pandoc runs");
        assert!(pandoc.status.success(), "{name}: {pandoc:?}");
        let page = std::fs::read_to_string(&html)
            .unwrap()
            .replace("</body>", &format!("{PROBE}</body>"));
        std::fs::write(&html, page).unwrap();
        let browser = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--allow-file-access-from-files",
                "--window-size=900,1200",
                "--virtual-time-budget=10000",
                "--dump-dom",
            ])
            .arg(format!("file://{}", html.display()))
            .output()
            .expect("chromium runs");
        let dom = String::from_utf8_lossy(&browser.stdout);
        let probe = dom
            .split_once("data-probe=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(probe, _)| probe)
            .unwrap_or_else(|| panic!("{name}: the page did not finish loading: {browser:?}"));
        let numbers: Vec<usize> = probe.split(' ').map(|n| n.parse().unwrap()).collect();
        let [scroll, client, typeset, errors] = numbers[..] else {
            panic!("{name}: probe {probe}");
        };
        assert!(typeset > 20, "{name}: only {typeset} formulas typeset");
        assert_eq!(errors, 0, "{name}: KaTeX errors");
        assert!(
            scroll <= client,
            "{name}: the page is {scroll}px wide in a {client}px window"
        );
    }
}
