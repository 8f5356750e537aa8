//! How a number looks on the page: rounded to a fixed number of decimals, trailing zeros
//! trimmed, integers as integers, and never "-0". One function, so every format agrees.

/// Rounds `x` to `decimals` places (half away from zero) and prints it trimmed.
/// `format_number(2.50, 3) == "2.5"`, `format_number(-0.0001, 3) == "0"`, `format_number(3.0, 3) == "3"`.
pub fn format_number(x: f64, decimals: usize) -> String {
    // Whole numbers (most entries of a convolution matrix) need no rounding: print them directly.
    if x.fract() == 0.0 && x.abs() < MAX_EXACT_INTEGER {
        return integer_text(x as i64);
    }
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
    fn round_to_returns_the_shown_value() {
        assert_eq!(round_to(0.21416, 3), 0.214);
        assert_eq!(round_to(-1.0005, 3), -1.001);
    }
}
