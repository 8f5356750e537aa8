//! The wider family's sheets (several channels or filters, softmax, mini-batches) through the
//! binary: every map, channel and sample appears, the printed lines follow from the lines above
//! them as a calculator does (the batch mean of the losses, the softmax's y_hat - onehot(y), the
//! B2 update), and the knobs that would give values away are refused.

use assert_cmd::Command;
use predicates::prelude::*;
use rust_decimal::Decimal;
use std::str::FromStr;

const FAMILY: &str = "exercises/family/softmax-batch-two-filters.toml";

fn nnexam() -> Command {
    Command::cargo_bin("nnexam").expect("binary builds")
}

fn markdown(args: &[&str]) -> String {
    let out = nnexam().args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn number(text: &str) -> Decimal {
    Decimal::from_str(text.trim().trim_end_matches(['.', ',']))
        .unwrap_or_else(|_| panic!("{text:?}"))
}

/// The entries of a column vector `\begin{bmatrix}\na \\\\\nb\n\end{bmatrix}` starting at
/// `from` in `text`.
fn column(text: &str, from: usize) -> (Vec<Decimal>, usize) {
    let start = text[from..].find("\\begin{bmatrix}").expect("a matrix") + from;
    let end = text[start..].find("\\end{bmatrix}").expect("its end") + start;
    let body = &text[start + "\\begin{bmatrix}".len()..end];
    let entries = body
        .split("\\\\")
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(number)
        .collect();
    (entries, end + "\\end{bmatrix}".len())
}

fn round(x: Decimal, decimals: u32) -> Decimal {
    x.round_dp_with_strategy(
        decimals,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    )
}

#[test]
fn every_map_channel_and_sample_is_shown() {
    let md = markdown(&["render", FAMILY, "--format", "markdown"]);
    for needle in [
        "**Sample 1.**",
        "**Sample 2.**",
        "Z^{(1)[2]}_{2}",
        "A^{(1)[1]}_{2}",
        "P^{(1)[2]}_{1}",
        "\\operatorname{onehot}",
        "the chain rule collapses to one line",
        "Here the batch mean enters",
        "F^{(1)}_{2} :=",
        "B^{(1)}_{2} :=",
        "\\frac{\\partial C^{2}}{\\partial P^{(0)}}",
    ] {
        assert!(md.contains(needle), "{needle} missing");
    }
}

#[test]
fn printed_lines_follow_from_the_lines_above() {
    let md = markdown(&["render", FAMILY, "--format", "markdown", "--decimals", "3"]);
    // The cost: the mean of the printed losses, rounded.
    let line = md
        .lines()
        .find(|l| l.starts_with("C = \\frac{1}{N} \\sum_{n=1}^{N} C^n"))
        .expect("the cost line");
    let inner = &line[line.find("\\big(").unwrap() + 5..line.find("\\big)").unwrap()];
    let losses: Vec<Decimal> = inner
        .split(" + ")
        .map(|t| number(t.trim_matches(['(', ')'])))
        .collect();
    let printed = number(line.rsplit("= ").next().unwrap());
    let mean = losses.iter().sum::<Decimal>() / Decimal::from(losses.len());
    assert_eq!(losses.len(), 2);
    assert_eq!(round(mean, 3), printed, "{line}");
    // dC^n/dz2 = y_hat - onehot(y), entry by entry, for both samples.
    let mut checked = 0;
    for (at, _) in md.match_indices("- \\operatorname{onehot}(y") {
        let (y_hat, after) = column(&md, at);
        let (onehot, after) = column(&md, after);
        let (d_z2, _) = column(&md, after);
        let diff: Vec<Decimal> = y_hat.iter().zip(&onehot).map(|(a, b)| a - b).collect();
        assert_eq!(diff, d_z2);
        assert_eq!(onehot.iter().filter(|v| **v == Decimal::ONE).count(), 1);
        checked += 1;
    }
    assert_eq!(checked, 2, "one collapse line per sample");
    // B2 := B2 - lr dC/dB2, entry by entry.
    let at = md
        .find("B^{(2)} := B^{(2)} - \\alpha")
        .expect("the B2 update");
    let (b2, after) = column(&md, at);
    let lr = number(
        md[after..]
            .split("\\cdot")
            .next()
            .unwrap()
            .trim_start_matches(" -"),
    );
    let (d_b2, after) = column(&md, after);
    let (b2_new, _) = column(&md, after);
    for ((b, g), new) in b2.iter().zip(&d_b2).zip(&b2_new) {
        assert_eq!(round(b - lr * g, 3), *new);
    }
}

#[test]
fn knobs_that_give_values_away_are_refused() {
    nnexam()
        .args(["render", FAMILY, "--difficulty", "short"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("give_z1").and(predicate::str::contains("standard")));
}

#[test]
fn every_family_preset_gives_sheets_keys_and_moodle() {
    for preset in ["two-filters", "rgb", "softmax3", "batch2", "mixed"] {
        let md = markdown(&[
            "generate", "--seed", "4", "--preset", preset, "--format", "markdown",
        ]);
        assert!(
            md.contains("a) Forward pass") && md.contains("c) Gradient"),
            "{preset}"
        );
        let xml = markdown(&["moodle", "--count", "2", "--seed", "M", "--preset", preset]);
        assert!(xml.contains(":NUMERICAL:="), "{preset}: Moodle gaps");
        assert!(xml.contains("nnexam-answers"), "{preset}: the answer table");
    }
}
