//! How a number looks on the page: rounded to a fixed number of decimals, trailing zeros
//! trimmed, integers as integers, and never "-0". One function, so every format agrees.

/// Rounds `x` to `decimals` places (half away from zero) and prints it trimmed.
/// `format_number(2.50, 3) == "2.5"`, `format_number(-0.0001, 3) == "0"`, `format_number(3.0, 3) == "3"`.
pub fn format_number(x: f64, decimals: usize) -> String {
    let (negative, digits, point) = rounded_digits(x, decimals);
    let int_part: String = if point <= 0 {
        "0".to_string()
    } else {
        (0..point as usize)
            .map(|i| digits.get(i).copied().unwrap_or('0'))
            .collect()
    };
    let frac_part: String = (0..decimals as i64)
        .map(|k| {
            let i = point + k;
            if i < 0 {
                '0'
            } else {
                digits.get(i as usize).copied().unwrap_or('0')
            }
        })
        .collect();
    let frac_part = frac_part.trim_end_matches('0');
    let is_zero = int_part == "0" && frac_part.is_empty();
    let sign = if negative && !is_zero { "-" } else { "" };
    if frac_part.is_empty() {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac_part}")
    }
}

/// `x` rounded to `decimals` places, half away from zero: the number a reader sees.
pub fn round_to(x: f64, decimals: usize) -> f64 {
    format_number(x, decimals)
        .parse()
        .expect("invariant: format_number prints a plain decimal")
}

/// Rounds the *shortest decimal representation* of `x` (what Rust prints for it), so that
/// 1.0005 rounds to 1.001 as on paper, not to 1.000 as its binary approximation would.
/// Returns (negative, significant digits, position of the decimal point in them).
fn rounded_digits(x: f64, decimals: usize) -> (bool, Vec<char>, i64) {
    if x == 0.0 {
        return (false, vec!['0'], 1);
    }
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci
        .split_once('e')
        .expect("invariant: {:e} always prints an exponent");
    let mut digits: Vec<char> = mantissa.chars().filter(|c| *c != '.').collect();
    let mut point = exponent
        .parse::<i64>()
        .expect("invariant: {:e} exponent is an integer")
        + 1;
    let keep = point + decimals as i64;
    if keep < 0 {
        return (x < 0.0, vec!['0'], 1);
    }
    let keep = keep as usize;
    if keep < digits.len() {
        let round_up = digits[keep] >= '5';
        digits.truncate(keep);
        if round_up && carry_one(&mut digits) {
            digits.insert(0, '1');
            point += 1;
        }
    }
    if digits.is_empty() {
        digits.push('0');
    }
    (x < 0.0, digits, point)
}

/// Adds one to the decimal number in `digits`; true when it overflows into a new leading digit.
fn carry_one(digits: &mut [char]) -> bool {
    for d in digits.iter_mut().rev() {
        if *d == '9' {
            *d = '0';
        } else {
            *d = char::from(*d as u8 + 1);
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
