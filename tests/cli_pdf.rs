//! `--pdf` end to end, against an independent method: every sheet compiled alone with pdflatex.
//! A class's sheets are compiled together and cut apart again; the cut PDFs must have the pages
//! and the text (pdftotext) of the sheets compiled alone, for classes of 21 students over every
//! bundled preset. The print files must hold every sheet's pages in roster order, each page with
//! the student's name and id in its header, each sheet starting on an odd page. Also: a LaTeX
//! error names its student, Ctrl-C during pdflatex exits 130 with nothing left behind.
//!
//! Needs pdflatex and pdftotext (poppler-utils); without them the tests say SKIPPED loudly and
//! pass, unless NNEXAM_REQUIRE_TOOLS=1 (CI).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use assert_cmd::Command as Cli;

fn nnexam() -> Cli {
    Cli::cargo_bin("nnexam").expect("binary builds")
}

/// True when pdflatex and pdftotext run; else skips loudly (or fails under CI).
fn tools(test: &str) -> bool {
    for program in ["pdflatex", "pdftotext"] {
        let runs = Command::new(program)
            .arg("-v")
            .output()
            .is_ok_and(|o| o.status.success());
        if !runs {
            common::skip(test, &format!("{program} is not installed"));
            return false;
        }
    }
    true
}

/// The text of a PDF, page by page (pdftotext ends every page with a form feed).
fn pages(pdf: &Path) -> Vec<String> {
    let out = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(out.status.success(), "pdftotext {}", pdf.display());
    let text = String::from_utf8(out.stdout).expect("UTF-8 text");
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    assert_eq!(
        pages.pop().as_deref(),
        Some(""),
        "text ends with a form feed"
    );
    pages
}

/// `work(k)` for every k < `n`, on all cores, in order.
fn on_all_cores<T: Send>(n: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                if k >= n {
                    break;
                }
                let result = work(k);
                done.lock().unwrap().push((k, result));
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, result)| result).collect()
}

/// The pages of each PDF, read on all cores.
fn pages_of(pdfs: &[PathBuf]) -> Vec<Vec<String>> {
    on_all_cores(pdfs.len(), |k| pages(&pdfs[k]))
}

/// Compiles each `.tex` alone in a folder of its own, on all cores; returns the PDFs in order.
fn compile_alone(sources: &[PathBuf], scratch: &Path) -> Vec<PathBuf> {
    on_all_cores(sources.len(), |k| {
        let dir = scratch.join(k.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&sources[k], dir.join("sheet.tex")).unwrap();
        let status = Command::new("pdflatex")
            .args(["-interaction=nonstopmode", "-halt-on-error", "sheet.tex"])
            .current_dir(&dir)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "alone, {} does not compile",
            sources[k].display()
        );
        dir.join("sheet.pdf")
    })
}

/// `id,name` rows of `n` students: s01 Student 1, ...
fn roster(n: usize) -> String {
    let mut text = String::from("id,name\n");
    for k in 1..=n {
        text.push_str(&format!("s{k:02},Student {k}\n"));
    }
    text
}

/// Each cut PDF has the pages and text of its sheet compiled alone; returns the cut PDFs' pages.
fn assert_same_as_alone(cut: &[PathBuf], sources: &[PathBuf], scratch: &Path) -> Vec<Vec<String>> {
    let alone = pages_of(&compile_alone(sources, scratch));
    let cut_pages = pages_of(cut);
    for ((cut, alone), source) in cut_pages.iter().zip(&alone).zip(sources) {
        assert_eq!(cut, alone, "{}", source.display());
    }
    cut_pages
}

/// The words of a page, sorted: pdftotext orders a page's text blocks by its own layout
/// analysis, which one more block in the header may change.
fn words(page: &str) -> Vec<&str> {
    let mut words: Vec<&str> = page.split_whitespace().collect();
    words.sort_unstable();
    words
}

/// True when `copy` is `own` with `header` added: the same words and the header's.
fn is_copy_with_header(copy: &str, own: &str, header: &str) -> bool {
    let mut expected = words(own);
    expected.extend(header.split_whitespace());
    expected.sort_unstable();
    words(copy) == expected
}

/// The print file holds, in order, each sheet's pages (`sheets`: its header, its pages), each
/// page with the header added, and a blank page after a sheet with an odd page count.
fn assert_print_file(print: &Path, sheets: &[(String, &[String])]) {
    let printed = pages(print);
    let mut at = 0;
    for (header, own) in sheets {
        assert_eq!(
            at % 2,
            0,
            "{header} starts on an odd page of {}",
            print.display()
        );
        for (k, page) in own.iter().enumerate() {
            let copy = printed
                .get(at + k)
                .unwrap_or_else(|| panic!("{} ends before {header}", print.display()));
            assert!(
                is_copy_with_header(copy, page, header),
                "page {} of {header} in {}:\n{copy}",
                k + 1,
                print.display()
            );
        }
        at += own.len();
        if own.len() % 2 == 1 {
            assert_eq!(printed[at].trim(), "", "a blank page after {header}");
            at += 1;
        }
    }
    assert_eq!(at, printed.len(), "{} has pages of no one", print.display());
}

#[test]
fn cut_pdfs_are_the_sheets_compiled_alone_and_print_files_follow_the_roster() {
    const TEST: &str = "cut_pdfs_are_the_sheets_compiled_alone_and_print_files_follow_the_roster";
    if !tools(TEST) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let roster_path = tmp.path().join("roster.csv");
    std::fs::write(&roster_path, roster(21)).unwrap();
    for preset in ["default", "wide", "leaky"] {
        let out = tmp.path().join(preset);
        nnexam()
            .args(["batch", "--roster"])
            .arg(&roster_path)
            .args([
                "--course-seed",
                "PDF",
                "--preset",
                preset,
                "--format",
                "latex",
            ])
            .args(["--pdf", "--quiet", "--out"])
            .arg(&out)
            .assert()
            .success()
            .stdout(predicates::str::contains(
                "21 students (109 files, 44 PDFs)",
            ));
        for (stem, print) in [
            ("question", "questions-print.pdf"),
            ("solution", "solutions-print.pdf"),
        ] {
            let folders: Vec<PathBuf> = (1..=21).map(|k| out.join(format!("s{k:02}"))).collect();
            let cut: Vec<PathBuf> = folders
                .iter()
                .map(|f| f.join(format!("{stem}.pdf")))
                .collect();
            let sources: Vec<PathBuf> = folders
                .iter()
                .map(|f| f.join(format!("{stem}.tex")))
                .collect();
            let scratch = tmp.path().join(format!("{preset}-{stem}"));
            let cut_pages = assert_same_as_alone(&cut, &sources, &scratch);
            let sheets: Vec<(String, &[String])> = (1..=21)
                .zip(&cut_pages)
                .map(|(k, pages)| (format!("Student {k} (s{k:02})"), pages.as_slice()))
                .collect();
            assert_print_file(&out.join(print), &sheets);
        }
    }
}

#[test]
fn exam_pdfs_are_the_documents_compiled_alone_and_print_files_name_the_variants() {
    const TEST: &str =
        "exam_pdfs_are_the_documents_compiled_alone_and_print_files_name_the_variants";
    if !tools(TEST) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("exam");
    // A format given twice is compiled once.
    nnexam()
        .args([
            "exam",
            "--variants",
            "A,B,C",
            "--seed",
            "PDF",
            "--pdf",
            "--quiet",
        ])
        .args(["--format", "latex,markdown,latex", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(
            "wrote 3 exam variants (19 files, 6 PDFs) to ".to_string()
                + &out.display().to_string()
                + "\n",
        );
    let names = ["exam-A", "exam-B", "exam-C", "solutions"];
    let cut: Vec<PathBuf> = names.iter().map(|n| out.join(format!("{n}.pdf"))).collect();
    let sources: Vec<PathBuf> = names.iter().map(|n| out.join(format!("{n}.tex"))).collect();
    let cut_pages = assert_same_as_alone(&cut, &sources, &tmp.path().join("alone"));
    let questions: Vec<(String, &[String])> = ["A", "B", "C"]
        .iter()
        .zip(&cut_pages)
        .map(|(v, pages)| (format!("Variant {v}"), pages.as_slice()))
        .collect();
    assert_print_file(&out.join("questions-print.pdf"), &questions);
    // The solutions are one document: its print file is its pages, each variant's starting on
    // an odd page. Cut the compiled-alone document at each variant's title to check it.
    let solutions = &cut_pages[3];
    let starts: Vec<usize> = ["A", "B", "C"]
        .iter()
        .map(|v| {
            solutions
                .iter()
                .position(|p| p.contains(&format!("Solution (variant {v})")))
                .expect("each variant's solution has a title")
        })
        .collect();
    let printed = pages(&out.join("solutions-print.pdf"));
    let mut at = 0;
    for (k, v) in ["A", "B", "C"].iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(solutions.len());
        for page in &solutions[starts[k]..end] {
            let header = format!("Variant {v}");
            assert!(
                is_copy_with_header(&printed[at], page, &header),
                "variant {v}"
            );
            at += 1;
        }
        if at % 2 == 1 {
            assert_eq!(printed[at].trim(), "", "a blank page after variant {v}");
            at += 1;
        }
    }
    assert_eq!(at, printed.len());
}

#[test]
fn a_latex_error_names_the_student_and_quotes_the_log() {
    const TEST: &str = "a_latex_error_names_the_student_and_quotes_the_log";
    if !tools(TEST) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("roster.csv"), roster(5)).unwrap();
    // The built-in question sheet, broken for one student only.
    let question = nnexam::render::BUILTIN
        .iter()
        .find(|(name, _)| *name == "latex/question.tex")
        .map(|(_, text)| *text)
        .unwrap();
    let broken =
        format!("{question}{{% if identity.student_id == \"s03\" %}}\\nnexambroken{{% endif %}}\n");
    std::fs::create_dir_all(tmp.path().join("tpl/latex")).unwrap();
    std::fs::write(tmp.path().join("tpl/latex/question.tex"), broken).unwrap();
    let assert = nnexam()
        .current_dir(tmp.path())
        .args(["batch", "--roster", "roster.csv", "--course-seed", "C"])
        .args([
            "--format",
            "latex",
            "--pdf",
            "--quiet",
            "--templates",
            "tpl",
            "--out",
            "hw",
        ])
        .assert()
        .code(2)
        .stdout("");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    for needle in [
        "student s03 (Student 3), s03/question.tex",
        "! Undefined control sequence.",
        "\\nnexambroken",
    ] {
        assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    }
    let left = common::entries(tmp.path());
    assert_eq!(left.len(), 2, "only roster.csv and tpl remain: {left:?}");
}

/// Starts a class's `batch --pdf` in a process group of its own, waits until pdflatex runs,
/// and sends SIGINT to `target(pid)`: the group, as a terminal's Ctrl-C does, or nnexam alone.
fn interrupt_pdflatex(target: impl Fn(u32) -> String) {
    use std::os::unix::process::CommandExt;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("roster.csv"), roster(60)).unwrap();
    let child = Command::new(assert_cmd::cargo::cargo_bin("nnexam"))
        .current_dir(tmp.path())
        .args(["batch", "--roster", "roster.csv", "--course-seed", "c"])
        .args(["--format", "latex", "--pdf", "--quiet", "--out", "hw"])
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // pdflatex runs once a class document's log appears in the scratch folder.
    let compiling = || {
        let staging = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains("nnexam-staging"));
        let scratch = staging.and_then(|s| {
            std::fs::read_dir(s)
                .ok()?
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().contains("nnexam-pdf"))
        });
        scratch.is_some_and(|s| {
            std::fs::read_dir(s)
                .map(|mut d| d.any(|e| e.unwrap().path().extension().is_some_and(|x| x == "log")))
                .unwrap_or(false)
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !compiling() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(compiling(), "pdflatex never started");
    // `--`: without it, kill reads a negative process group as an option.
    let killed = Command::new("kill")
        .args(["-s", "INT", "--", &target(child.id())])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("interrupted by SIGINT: nothing was written")
            && !stderr.contains("compile"),
        "{stderr}"
    );
    let left = common::entries(tmp.path());
    assert_eq!(
        left,
        ["roster.csv".to_string()].into(),
        "no folder, no staging leftovers"
    );
}

#[test]
fn ctrl_c_during_pdflatex_exits_130_and_leaves_nothing() {
    const TEST: &str = "ctrl_c_during_pdflatex_exits_130_and_leaves_nothing";
    if !tools(TEST) {
        return;
    }
    // A terminal's Ctrl-C reaches the whole group: pdflatex dies of it too.
    interrupt_pdflatex(|pid| format!("-{pid}"));
    // A signal to nnexam alone: it stops pdflatex itself.
    interrupt_pdflatex(|pid| pid.to_string());
}

/// A class whose names are written in Greek, Cyrillic, Chinese, Japanese and Korean, and one
/// with an emoji.
const WORLD_ROSTER: &[(&str, &str)] = &[
    ("1", "Ψ Ιωάννης Παπαδόπουλος"),
    ("2", "Иван Петров"),
    ("3", "李娜"),
    ("4", "佐藤さくら"),
    ("5", "김민준"),
    ("6", "Zoë 😀"),
];

#[test]
fn lualatex_prints_every_name_as_written_and_an_emoji_as_a_question_mark_with_a_warning() {
    const TEST: &str =
        "lualatex_prints_every_name_as_written_and_an_emoji_as_a_question_mark_with_a_warning";
    if !tools(TEST) {
        return;
    }
    let lualatex = Command::new("lualatex")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !lualatex {
        return common::skip(TEST, "lualatex is not installed");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let roster = dir.path().join("roster.csv");
    let rows: String = WORLD_ROSTER
        .iter()
        .map(|(id, name)| format!("{id},{name}\n"))
        .collect();
    std::fs::write(&roster, format!("id,name\n{rows}")).expect("roster written");
    let out = dir.path().join("hw");
    let started = std::time::Instant::now();
    let run = nnexam()
        .args(["batch", "--course-seed", "W", "--format", "latex", "--pdf"])
        .args(["--latex-engine", "lualatex", "--lang", "de", "--quiet"])
        .arg("--roster")
        .arg(&roster)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("runs");
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    // The emoji is no letter of the fonts: replaced, and the instructor is told whose it is.
    assert_eq!(
        stderr.matches("warning:").count(),
        1,
        "only the emoji warns: {stderr}"
    );
    assert!(
        stderr.contains("student 6 (Zoë 😀)") && stderr.contains("😀"),
        "{stderr}"
    );
    for (id, name) in WORLD_ROSTER {
        let expected = name.replace('😀', "?");
        for sheet in ["question", "solution"] {
            let pdf = out.join(id).join(format!("{sheet}.pdf"));
            let text = pages(&pdf).concat();
            if sheet == "question" {
                assert!(
                    text.contains(&expected),
                    "{id}: {expected} not in {sheet}.pdf:\n{text}"
                );
            }
        }
    }
    // The print file's headers name every student as written.
    let print = pages(&out.join("questions-print.pdf")).concat();
    for (id, name) in WORLD_ROSTER {
        let expected = format!("{} ({id})", name.replace('😀', "?"));
        assert!(
            print.contains(&expected),
            "{expected} not in the print file"
        );
    }
    let fonts = Command::new("pdffonts")
        .arg(out.join("3/question.pdf"))
        .output()
        .expect("pdffonts runs");
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    assert!(fonts.contains("NotoSerifCJK"), "{fonts}");
    eprintln!(
        "lualatex: {} students' sheets and print files in {seconds:.1} s",
        WORLD_ROSTER.len()
    );
}
