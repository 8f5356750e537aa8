//! How a number looks on the page: rounded to a fixed number of decimals, trailing zeros
//! trimmed, integers as integers, and never "-0". Shared by render and export, so every format
//! agrees: [`format_number`] for an f64, [`decimal_text`] for a shown (decimal) value. A
//! language's sheets may write the decimal mark as a comma ([`DecimalMark`]); what is stored or
//! read back (JSON, exercise files, keys) always keeps the point.

use std::borrow::Cow;

use rust_decimal::Decimal;
use serde::Deserialize;

/// The mark between a number's whole and fractional part, as a language writes it: set by the
/// `decimal_mark` of a template set's `language.toml`. Numbers are formatted with a point
/// ([`format_number`], [`decimal_text`]) and turned into the language's form only where they are
/// printed for a reader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecimalMark {
    /// `0.5`: English, and every file nnexam reads back.
    #[default]
    Point,
    /// `0,5` in text, `0{,}5` in LaTeX and KaTeX math: German and most of Europe.
    Comma,
}

impl DecimalMark {
    /// `number` (as this module prints it: `-0.25`) with this mark, in running text: `-0,25`.
    /// Text that is not such a number comes back as it is.
    pub fn text(self, number: &str) -> Cow<'_, str> {
        self.with_mark(number, ",")
    }

    /// As [`DecimalMark::text`], in LaTeX or KaTeX math: `-0{,}25`. A bare comma is punctuation
    /// there, followed by a space; in braces it is an ordinary symbol.
    pub fn math(self, number: &str) -> Cow<'_, str> {
        self.with_mark(number, "{,}")
    }

    fn with_mark<'a>(self, number: &'a str, comma: &str) -> Cow<'a, str> {
        match self {
            DecimalMark::Comma if is_decimal(number) => Cow::Owned(number.replacen('.', comma, 1)),
            _ => Cow::Borrowed(number),
        }
    }
}

/// True for a decimal as this module prints it: an optional minus, digits, a point, digits.
fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    match digits.split_once('.') {
        Some((whole, fraction)) => {
            let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            all_digits(whole) && all_digits(fraction)
        }
        None => false,
    }
}

/// A decimal as the sheet prints it: all its digits, trailing zeros trimmed, never "-0".
/// `decimal_text(&dec!(1.4070)) == "1.407"`, `decimal_text(&dec!(-0.000)) == "0"`.
pub fn decimal_text(x: &Decimal) -> String {
    if x.is_zero() {
        return "0".to_string();
    }
    x.normalize().to_string()
}

/// An exercise's input as written: the shortest decimal that reads back as `x`, in full (never
/// rounded, never in exponent form), and never "-0". `exact_text(0.1) == "0.1"`,
/// `exact_text(1e-15) == "0.000000000000001"`.
pub fn exact_text(x: f64) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    x.to_string()
}

/// Rounds `x` to `decimals` places (half away from zero) and prints it trimmed.
/// `format_number(2.50, 3) == "2.5"`, `format_number(-0.0001, 3) == "0"`, `format_number(3.0, 3) == "3"`.
pub fn format_number(x: f64, decimals: usize) -> String {
    // Whole numbers (most entries of a convolution matrix) need no rounding: print them directly.
    if x.fract() == 0.0 && x.abs() < MAX_EXACT_INTEGER {
        return integer_text(x as i64);
    }
    if let Some(units) = clear_units(x, decimals) {
        return units_text(units, decimals);
    }
    rounded_text(x, decimals)
}

/// Powers of ten that are exact doubles, for the fast path.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Largest |x * 10^decimals| the fast path takes: its rounding error stays far below
/// [`HALF_MARGIN`].
const MAX_FAST_SCALED: f64 = 1e9;

/// How far from a half `x * 10^decimals` must be for the fast path.
const HALF_MARGIN: f64 = 1e-6;

/// `x` rounded to whole units of 10^-decimals, when that is unambiguous: away from a half, the
/// binary value and its shortest decimal representation round the same way, so plain float
/// rounding gives the on-paper result. `None` sends the number to the exact decimal path. This
/// is the renderer's hot path: every shown number passes here.
fn clear_units(x: f64, decimals: usize) -> Option<i64> {
    let scaled = x * POW10.get(decimals)?;
    if !scaled.is_finite() || scaled.abs() >= MAX_FAST_SCALED {
        return None;
    }
    let frac = (scaled - scaled.trunc()).abs();
    if (frac - 0.5).abs() < HALF_MARGIN {
        return None;
    }
    Some(scaled.round() as i64)
}

/// `units` tenths, hundredths, ... (by `decimals`) as trimmed decimal text, never "-0".
fn units_text(units: i64, decimals: usize) -> String {
    let magnitude = units.unsigned_abs();
    let scale = 10u64.pow(decimals as u32);
    let (whole, mut frac) = (magnitude / scale, magnitude % scale);
    let mut text = String::with_capacity(24);
    if units < 0 {
        text.push('-');
    }
    text.push_str(&whole.to_string());
    if frac > 0 {
        let mut width = decimals;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        text.push('.');
        text.push_str(&format!("{frac:0width$}"));
    }
    text
}

/// The exact path: rounds the shortest decimal representation digit by digit.
fn rounded_text(x: f64, decimals: usize) -> String {
    let (negative, digits, point) = rounded_digits(x, decimals);
    // Digit `i` of the rounded number, counted from the first significant one; zeros outside.
    let digit = |i: i64| -> u8 {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i).copied())
            .unwrap_or(b'0')
    };
    let int_len = point.max(1);
    let int_start = if point <= 0 { 0 } else { point - int_len };
    let frac_len = (0..decimals as i64)
        .rev()
        .find(|&k| digit(point + k) != b'0')
        .map_or(0, |k| k + 1);
    let mut out = String::with_capacity(int_len as usize + frac_len as usize + 2);
    let is_zero = frac_len == 0 && (0..point).all(|i| digit(i) == b'0');
    if negative && !is_zero {
        out.push('-');
    }
    for i in int_start..int_start + int_len {
        out.push(char::from(if point <= 0 { b'0' } else { digit(i) }));
    }
    if frac_len > 0 {
        out.push('.');
        for k in 0..frac_len {
            out.push(char::from(digit(point + k)));
        }
    }
    out
}

/// Below 2^53 every whole f64 is exactly an i64 and prints as its digits.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// The decimal digits of `n`, without going through `fmt` (this is the renderer's hot path).
fn integer_text(n: i64) -> String {
    if n == 0 {
        return "0".to_string();
    }
    let mut digits = Vec::with_capacity(20);
    let mut m = n.unsigned_abs();
    while m > 0 {
        digits.push(b'0' + (m % 10) as u8);
        m /= 10;
    }
    if n < 0 {
        digits.push(b'-');
    }
    digits.reverse();
    String::from_utf8(digits).expect("invariant: ASCII digits")
}

/// `x` rounded to `decimals` places, half away from zero: the number a reader sees.
pub fn round_to(x: f64, decimals: usize) -> f64 {
    if x.fract() == 0.0 {
        // Whole numbers are already rounded; `+ 0.0` turns -0 into 0.
        return x + 0.0;
    }
    if let Some(units) = clear_units(x, decimals) {
        // Both exact (|units| < 2^53, 10^d <= 10^15), so the quotient is correctly rounded:
        // the same double as parsing the printed decimal. `+ 0.0` turns -0 into 0.
        return units as f64 / POW10[decimals] + 0.0;
    }
    format_number(x, decimals)
        .parse()
        .expect("invariant: format_number prints a plain decimal")
}

/// Rounds the *shortest decimal representation* of `x` (what Rust prints for it), so that
/// 1.0005 rounds to 1.001 as on paper, not to 1.000 as its binary approximation would.
/// Returns (negative, significant digits, position of the decimal point in them).
fn rounded_digits(x: f64, decimals: usize) -> (bool, Vec<u8>, i64) {
    if x == 0.0 {
        return (false, vec![b'0'], 1);
    }
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci
        .split_once('e')
        .expect("invariant: {:e} always prints an exponent");
    let mut digits: Vec<u8> = mantissa.bytes().filter(|c| *c != b'.').collect();
    let mut point = exponent
        .parse::<i64>()
        .expect("invariant: {:e} exponent is an integer")
        + 1;
    let keep = point + decimals as i64;
    if keep < 0 {
        return (x < 0.0, vec![b'0'], 1);
    }
    let keep = keep as usize;
    if keep < digits.len() {
        let round_up = digits[keep] >= b'5';
        digits.truncate(keep);
        if round_up && carry_one(&mut digits) {
            digits.insert(0, b'1');
            point += 1;
        }
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    (x < 0.0, digits, point)
}

/// Adds one to the decimal number in `digits`; true when it overflows into a new leading digit.
fn carry_one(digits: &mut [u8]) -> bool {
    for d in digits.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_print_trimmed_and_never_as_minus_zero() {
        let d = |t: &str| Decimal::from_str_exact(t).unwrap();
        assert_eq!(decimal_text(&d("1.4070")), "1.407");
        assert_eq!(decimal_text(&d("-0.000")), "0");
        assert_eq!(decimal_text(&d("-2.50")), "-2.5");
        assert_eq!(decimal_text(&d("3.000")), "3");
    }

    #[test]
    fn integers_print_as_integers() {
        assert_eq!(format_number(3.0, 3), "3");
        assert_eq!(format_number(-2.0, 3), "-2");
    }

    #[test]
    fn trailing_zeros_are_trimmed() {
        assert_eq!(format_number(2.5, 3), "2.5");
        assert_eq!(format_number(0.1 + 0.2, 3), "0.3");
    }

    #[test]
    fn negative_zero_is_printed_as_zero() {
        assert_eq!(format_number(-0.0, 3), "0");
        assert_eq!(format_number(-0.0004, 3), "0");
        assert_eq!(format_number(-1e-9, 3), "0");
        assert_eq!(format_number(-0.0005, 3), "-0.001");
    }

    #[test]
    fn halves_round_away_from_zero_as_on_paper() {
        assert_eq!(format_number(0.125, 2), "0.13");
        assert_eq!(format_number(-0.125, 2), "-0.13");
        assert_eq!(format_number(1.0005, 3), "1.001");
        assert_eq!(format_number(0.2449, 2), "0.24");
        assert_eq!(format_number(0.0049, 2), "0");
        assert_eq!(format_number(0.005, 2), "0.01");
    }

    #[test]
    fn carries_ripple_into_a_new_digit() {
        assert_eq!(format_number(9.9996, 3), "10");
        assert_eq!(format_number(-99.95, 1), "-100");
    }

    #[test]
    fn large_and_tiny_magnitudes() {
        assert_eq!(format_number(1234567.0, 2), "1234567");
        assert_eq!(format_number(1e-9, 3), "0");
        assert_eq!(format_number(0.000123, 5), "0.00012");
    }

    #[test]
    fn fast_path_agrees_with_the_exact_decimal_path() {
        // A deterministic spread of magnitudes, signs and decimals, plus values at halves.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..20_000 {
            let magnitude = 10f64.powi((next() * 12.0) as i32 - 6);
            let x = (next() * 2.0 - 1.0) * magnitude;
            let decimals = (next() * 7.0) as usize;
            let exact = rounded_text(x, decimals);
            assert_eq!(format_number(x, decimals), exact, "{x:e} at {decimals}");
            assert_eq!(
                round_to(x, decimals),
                exact.parse::<f64>().unwrap() + 0.0,
                "{x:e}"
            );
        }
        for x in [
            0.125,
            -0.125,
            2.675,
            1.0005,
            0.0005,
            -2.5e-3,
            0.30000000000000004,
        ] {
            for decimals in 0..5 {
                assert_eq!(format_number(x, decimals), rounded_text(x, decimals), "{x}");
            }
        }
    }

    #[test]
    fn a_decimal_comma_replaces_the_point_of_numbers_only() {
        let comma = DecimalMark::Comma;
        assert_eq!(comma.text("-0.25"), "-0,25");
        assert_eq!(comma.math("1.5"), "1{,}5");
        assert_eq!(comma.math("-12"), "-12");
        for not_a_number in ["v1.2", "1.2.3", ".5", "5.", "relu", "", "1e-3"] {
            assert_eq!(comma.text(not_a_number), not_a_number);
        }
        assert_eq!(DecimalMark::Point.math("0.5"), "0.5");
    }

    #[test]
    fn round_to_returns_the_shown_value() {
        assert_eq!(round_to(0.21416, 3), 0.214);
        assert_eq!(round_to(-1.0005, 3), -1.001);
    }
}
