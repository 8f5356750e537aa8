//! What nnexam refuses, and why: every limit on its inputs, in one place, and the bounded file
//! read every command uses. The README's section "What nnexam refuses, and why" lists the same
//! numbers (a test below keeps them in step).
//!
//! The limits leave room to spare over any exercise worked by hand (Task 3.1 is a 5x5 input
//! with a 2x2 filter and numbers below 10 with at most two decimals) and are chosen so that
//! every exercise within them solves, and shows in exact decimal arithmetic at up to 10
//! decimals, without an error and without absurd memory:
//!
//! - sizes bound the work: the transposed convolution matrix of the largest exercise (32 x 32
//!   input, 1 x 1 filter, padding 8) has 1024 x 2304 entries, a few hundred MB to render;
//! - magnitude and decimals bound the digits: the longest exact sum (z2 over about 1000
//!   products of P1 values up to 2.6 * 10^8 with weights up to 1000, at 14 decimals) needs 28.4
//!   digits of the 28.9 that the stepwise arithmetic's 96-bit decimals hold;
//! - channels, filters and samples multiply the work, so their products are held to the
//!   single-channel bounds: one sample's channels together at most [`MAX_INPUT_ENTRIES`], one
//!   filter's matrices together at most [`MAX_FILTER_ENTRIES`] (so no sum of Z1 has more or
//!   larger products than before), all maps of all samples together at most
//!   [`MAX_MAP_ENTRIES`] (so S, dC/dF1's sums and the convolution matrix stay as large as the
//!   largest single map makes them);
//! - files are read only up to [`MAX_FILE_BYTES`], so `/dev/zero` or a stray video is refused
//!   at once rather than after it fills the memory.
//!
//! Only [`read_file`] touches the file system here.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// Most rows and most columns of the input X.
pub const MAX_INPUT_SIDE: usize = 32;
/// Most rows and most columns of the filter F1.
pub const MAX_FILTER_SIDE: usize = 16;
/// Largest zero padding of the convolution.
pub const MAX_PADDING: usize = 8;
/// Largest stride of the convolution and of the pooling.
pub const MAX_STRIDE: usize = 16;
/// Largest side of the pooling window.
pub const MAX_POOL_SIDE: usize = 16;
/// Most input channels C_in.
pub const MAX_CHANNELS: usize = 4;
/// Most filters (maps) C_out.
pub const MAX_FILTERS: usize = 4;
/// Most classes K of a softmax output.
pub const MAX_CLASSES: usize = 10;
/// Most samples N of a mini-batch.
pub const MAX_SAMPLES: usize = 4;
/// Most entries of one sample's input, all channels together: one largest channel's.
pub const MAX_INPUT_ENTRIES: usize = MAX_INPUT_SIDE * MAX_INPUT_SIDE;
/// Most entries of one filter, all its channels together: one largest matrix's.
pub const MAX_FILTER_ENTRIES: usize = MAX_FILTER_SIDE * MAX_FILTER_SIDE;
/// Most entries of Z1 over all maps and samples together: the largest single map's (a 32 x 32
/// input with padding 8 and a 1 x 1 filter gives 48 x 48).
pub const MAX_MAP_ENTRIES: usize =
    (MAX_INPUT_SIDE + 2 * MAX_PADDING) * (MAX_INPUT_SIDE + 2 * MAX_PADDING);
/// Largest magnitude of any number in an exercise (inputs, weights, biases, learning rate).
pub const MAX_MAGNITUDE: f64 = 1000.0;
/// Most decimals of any number in an exercise.
pub const MAX_DECIMALS: usize = 4;
/// Largest file nnexam reads: exercise files, generator configs, rosters, templates.
pub const MAX_FILE_BYTES: u64 = 1_000_000;

/// How many decimals `x` has as written: the digits after the point of its shortest decimal
/// representation (`0.25` has 2, `1e-15` has 15, `3` has 0).
pub fn decimals_of(x: f64) -> usize {
    // Rust prints an f64 as its shortest round-tripping decimal, never in exponent form.
    let text = x.to_string();
    text.split_once('.').map_or(0, |(_, frac)| frac.len())
}

/// `x` as a reader can take it in: plain digits while short, exponent form beyond.
fn shown(x: f64) -> String {
    if x.is_finite() && x.abs() < 1e16 {
        x.to_string()
    } else {
        format!("{x:e}")
    }
}

/// Checks every number of `key` (`what` says which entry, e.g. "entry 3"): finite, at most
/// [`MAX_MAGNITUDE`] in magnitude, at most [`MAX_DECIMALS`] decimals.
pub fn check_number(key: &str, what: impl FnOnce() -> String, x: f64) -> Result<()> {
    let problem = if !x.is_finite() {
        format!("{} is not a finite number", what())
    } else if x.abs() > MAX_MAGNITUDE {
        format!(
            "{} is {}, outside -{MAX_MAGNITUDE}..={MAX_MAGNITUDE}",
            what(),
            shown(x)
        )
    } else if decimals_of(x) > MAX_DECIMALS {
        format!(
            "{} is {}, which has {} decimals (at most {MAX_DECIMALS} decimals)",
            what(),
            shown(x),
            decimals_of(x)
        )
    } else {
        return Ok(());
    };
    Err(Error::invalid(
        key,
        problem,
        format!(
            "use numbers from -{MAX_MAGNITUDE} to {MAX_MAGNITUDE} with at most {MAX_DECIMALS} \
             decimals (see \"What nnexam refuses, and why\" in the README)"
        ),
    ))
}

/// Checks that `value` of `key` is at most `max`.
pub fn check_at_most(key: &str, value: usize, max: usize) -> Result<()> {
    if value > max {
        return Err(Error::invalid(
            key,
            format!("{value} is more than {max}"),
            format!("use at most {max} (see \"What nnexam refuses, and why\" in the README)"),
        ));
    }
    Ok(())
}

/// Reads the file at `path`, refusing one larger than [`MAX_FILE_BYTES`] before reading more
/// than one byte past the limit (a device such as `/dev/zero` never ends).
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let io = |source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::invalid(
            path.display().to_string(),
            "the file is larger than 1 MB".to_string(),
            "nnexam reads exercise files, configs, rosters and templates of at most 1 MB; \
             check that this is the file you meant",
        ));
    }
    Ok(bytes)
}

/// [`read_file`] for a text file: the error names the file when it is not UTF-8.
pub fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read_file(path)?).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        Error::invalid(
            path.display().to_string(),
            format!("line {line} is not UTF-8 text"),
            "save the file as UTF-8",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_counted_as_written() {
        assert_eq!(decimals_of(3.0), 0);
        assert_eq!(decimals_of(-0.25), 2);
        assert_eq!(decimals_of(0.1), 1);
        assert_eq!(decimals_of(1e-15), 15);
        assert_eq!(decimals_of(999.9999), 4);
    }

    #[test]
    fn numbers_outside_the_limits_name_the_key_and_the_entry() {
        let entry = || "entry 3".to_string();
        assert!(check_number("w2", entry, 999.9999).is_ok());
        assert!(check_number("w2", entry, -1000.0).is_ok());
        let huge = check_number("w2", entry, -1e308).unwrap_err().to_string();
        assert!(
            huge.contains("`w2`") && huge.contains("entry 3") && huge.contains("-1e308"),
            "{huge}"
        );
        let tiny = check_number("f1", entry, 1e-15).unwrap_err().to_string();
        assert!(
            tiny.contains("0.000000000000001") && tiny.contains("15 decimals"),
            "{tiny}"
        );
        let nan = check_number("b1", || "b1".into(), f64::NAN)
            .unwrap_err()
            .to_string();
        assert!(nan.contains("`b1`") && nan.contains("finite"), "{nan}");
    }

    #[test]
    fn a_file_past_the_limit_is_refused_without_reading_it_whole() {
        // /dev/zero never ends: reading it whole would never return.
        let err = read_file(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(err.contains("/dev/zero") && err.contains("1 MB"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("limit.toml");
        std::fs::write(&path, vec![b'#'; MAX_FILE_BYTES as usize]).unwrap();
        assert_eq!(read_file(&path).unwrap().len() as u64, MAX_FILE_BYTES);
        std::fs::write(&path, vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
        assert!(read_file(&path).is_err());
    }

    #[test]
    fn text_that_is_not_utf8_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, b"a = 1\nb = \"\xff\"\n").unwrap();
        let err = read_text(&path).unwrap_err().to_string();
        assert!(err.contains("c.toml") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn the_readme_states_every_limit() {
        let readme = include_str!("../README.md");
        let section = readme
            .split("## What nnexam refuses, and why")
            .nth(1)
            .expect("the README has the section");
        for stated in [
            format!("{MAX_INPUT_SIDE} x {MAX_INPUT_SIDE}"),
            format!("{MAX_FILTER_SIDE} x {MAX_FILTER_SIDE}"),
            format!("padding up to {MAX_PADDING}"),
            format!("strides up to {MAX_STRIDE}"),
            format!("pooling windows up to {MAX_POOL_SIDE} x {MAX_POOL_SIDE}"),
            format!("at most {MAX_MAGNITUDE} in magnitude"),
            format!("at most {MAX_DECIMALS} decimals"),
            format!("at most {MAX_CHANNELS} input channels"),
            format!("at most {MAX_FILTERS} filters"),
            format!("at most {MAX_CLASSES} classes"),
            format!("at most {MAX_SAMPLES} samples"),
            format!("{MAX_MAP_ENTRIES} entries"),
            "1 MB".to_string(),
        ] {
            assert!(
                section.contains(&stated),
                "the README does not state {stated:?}"
            );
        }
    }
}
