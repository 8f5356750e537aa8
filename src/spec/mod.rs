//! The exercise as data: what a TOML/JSON exercise file says, the validated [`Problem`] the solver
//! takes, and the shapes that follow from it; and, in [`difficulty`], what a sheet of it asks.
//! `parse` is pure; `load` is the only I/O here. Validation lives here so every consumer
//! (solver, generator, renderer) can trust a `Problem`.

pub mod difficulty;
pub(crate) mod rows;

use std::fmt;
use std::path::Path;

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::limits::{
    self, MAX_FILTER_SIDE, MAX_INPUT_SIDE, MAX_PADDING, MAX_POOL_SIDE, MAX_STRIDE,
};

/// Activation applied to Z1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    #[default]
    /// max(0, z).
    Relu,
    /// Slope 0.1 for negative inputs.
    LeakyRelu,
    /// 1 / (1 + e^-z).
    Sigmoid,
    /// tanh(z).
    Tanh,
}

/// Loss on the single sigmoid output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    #[default]
    /// Binary cross-entropy -(y ln y_hat + (1 - y) ln(1 - y_hat)).
    Bce,
    /// Half squared error 1/2 (y_hat - y)^2.
    Mse,
}

/// Pooling applied to A1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolKind {
    #[default]
    /// The window's maximum.
    Max,
    /// The window's mean.
    Avg,
}

macro_rules! display_as_serde_name {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // The serde name is the one users write in files, so it is the one we show.
                let v = serde_json::to_value(self).expect("invariant: unit enum serialises");
                f.write_str(v.as_str().expect("invariant: unit enum is a string"))
            }
        }
    )*};
}
display_as_serde_name!(Activation, Loss, PoolKind);

/// The `[conv]` table: stride and zero padding of the convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Conv {
    /// Step of the filter, at least 1.
    pub stride: usize,
    /// Zeros around the input on every side.
    pub padding: usize,
}

impl Default for Conv {
    fn default() -> Self {
        Conv {
            stride: 1,
            padding: 0,
        }
    }
}

/// The `[pool]` table: kind, window size and stride; never padded, output size floored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pool {
    /// Max or average.
    pub kind: PoolKind,
    /// Side of the square window.
    pub size: usize,
    /// Step of the window, at least 1.
    pub stride: usize,
}

impl Default for Pool {
    fn default() -> Self {
        Pool {
            kind: PoolKind::Max,
            size: 2,
            stride: 2,
        }
    }
}

/// An exercise file exactly as written: the serde face of [`Problem`].
/// Unknown keys are an error, so a typo is never silently ignored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseFile {
    /// Input X = P0, a list of rows.
    pub x: Vec<Vec<f64>>,
    /// Filter F1, a list of rows.
    pub f1: Vec<Vec<f64>>,
    /// Bias B1.
    pub b1: f64,
    /// Weights W2, one per entry of P1.
    pub w2: Vec<f64>,
    /// Bias B2.
    pub b2: f64,
    /// Label, 0 or 1.
    pub y: u8,
    /// Learning rate, > 0.
    pub lr: f64,
    #[serde(default)]
    /// Activation of the convolutional layer [relu].
    pub activation: Activation,
    #[serde(default)]
    /// Loss [bce].
    pub loss: Loss,
    #[serde(default)]
    /// The `[conv]` table.
    pub conv: Conv,
    #[serde(default)]
    /// The `[pool]` table.
    pub pool: Pool,
}

/// A validated exercise: every shape fits, every number is finite. Construct with
/// [`Problem::from_file`], [`parse`] or [`load`].
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Input X = P0: (h, w).
    pub x: Array2<f64>,
    /// Filter F1: (kh, kw).
    pub f1: Array2<f64>,
    /// Bias B1.
    pub b1: f64,
    /// Fully connected weights W2: (p1_h * p1_w).
    pub w2: Array1<f64>,
    /// Bias B2.
    pub b2: f64,
    /// Label, 0 or 1.
    pub y: u8,
    /// Learning rate of the one SGD step, > 0.
    pub lr: f64,
    /// Activation of the convolutional layer.
    pub activation: Activation,
    /// Loss on the sigmoid output.
    pub loss: Loss,
    /// Convolution stride and padding.
    pub conv: Conv,
    /// Pooling kind, window and stride.
    pub pool: Pool,
}

/// Every shape in the network, derived from the input, filter, conv and pool settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Shapes {
    /// X: (h, w).
    pub x: (usize, usize),
    /// X with its padding: (h + 2p, w + 2p).
    pub padded: (usize, usize),
    /// F1: (kh, kw).
    pub f1: (usize, usize),
    /// Z1 (and A1): (out_h, out_w).
    pub z1: (usize, usize),
    /// P1: (p_h, p_w).
    pub p1: (usize, usize),
    /// Length of S and W2.
    pub s: usize,
}

impl Shapes {
    /// Derives all shapes, or says which size rule fails. Pure arithmetic, no matrices needed.
    /// Sizes beyond [`crate::limits`] are refused first, so the arithmetic cannot overflow.
    pub fn derive(x: (usize, usize), f1: (usize, usize), conv: Conv, pool: Pool) -> Result<Shapes> {
        check_side("x", "input", x, MAX_INPUT_SIDE)?;
        check_side("f1", "filter", f1, MAX_FILTER_SIDE)?;
        limits::check_at_most("conv.stride", conv.stride, MAX_STRIDE)?;
        limits::check_at_most("conv.padding", conv.padding, MAX_PADDING)?;
        limits::check_at_most("pool.size", pool.size, MAX_POOL_SIDE)?;
        limits::check_at_most("pool.stride", pool.stride, MAX_STRIDE)?;
        if conv.stride == 0 {
            return Err(Error::invalid(
                "conv.stride",
                "stride 0 never moves the filter",
                "use a stride of 1 or more",
            ));
        }
        if pool.stride == 0 {
            return Err(Error::invalid(
                "pool.stride",
                "stride 0 never moves the window",
                "use a stride of 1 or more",
            ));
        }
        if pool.size == 0 {
            return Err(Error::invalid(
                "pool.size",
                "a pool window of size 0 is empty",
                "use a window of size 1 or more",
            ));
        }
        let padded = (x.0 + 2 * conv.padding, x.1 + 2 * conv.padding);
        if f1.0 > padded.0 || f1.1 > padded.1 {
            return Err(Error::invalid(
                "f1",
                format!(
                    "the {}x{} filter is larger than the {}x{} padded input (x is {}x{}, padding {})",
                    f1.0, f1.1, padded.0, padded.1, x.0, x.1, conv.padding
                ),
                "use a smaller filter, a larger input or more padding",
            ));
        }
        let z1 = (
            (padded.0 - f1.0) / conv.stride + 1,
            (padded.1 - f1.1) / conv.stride + 1,
        );
        if pool.size > z1.0 || pool.size > z1.1 {
            return Err(Error::invalid(
                "pool.size",
                format!(
                    "the {k}x{k} pool window is larger than the {}x{} activation map \
                     (x {}x{}, padding {}, filter {}x{}, stride {})",
                    z1.0,
                    z1.1,
                    x.0,
                    x.1,
                    conv.padding,
                    f1.0,
                    f1.1,
                    conv.stride,
                    k = pool.size
                ),
                "use a smaller pool window, a smaller conv stride or a larger input",
            ));
        }
        let p1 = (
            (z1.0 - pool.size) / pool.stride + 1,
            (z1.1 - pool.size) / pool.stride + 1,
        );
        Ok(Shapes {
            x,
            padded,
            f1,
            z1,
            p1,
            s: p1.0 * p1.1,
        })
    }
}

/// A matrix `key` (the `what`) of `size` rows and columns, each at most `max`.
fn check_side(key: &str, what: &str, size: (usize, usize), max: usize) -> Result<()> {
    if size.0 > max || size.1 > max {
        return Err(Error::invalid(
            key,
            format!(
                "the {what} is {} x {}, larger than {max} x {max}",
                size.0, size.1
            ),
            format!(
                "use a {what} of at most {max} x {max} (see \"What nnexam refuses, and why\" in \
                 the README)"
            ),
        ));
    }
    Ok(())
}

impl Problem {
    /// Validates a parsed file into a problem; the error names the offending key and the fix.
    pub fn from_file(file: &ExerciseFile) -> Result<Problem> {
        let x = rows::from_rows("x", &file.x)?;
        let f1 = rows::from_rows("f1", &file.f1)?;
        let w2 = rows::from_list("w2", &file.w2)?;
        for (key, value) in [("b1", file.b1), ("b2", file.b2), ("lr", file.lr)] {
            limits::check_number(key, || "the value".to_string(), value)?;
        }
        let shapes = Shapes::derive(x.dim(), f1.dim(), file.conv, file.pool)?;
        if w2.len() != shapes.s {
            return Err(Error::invalid(
                "w2",
                format!(
                    "w2 has {} entries but S has {}: x {}x{} with padding {}, filter {}x{} and stride {} \
                     give Z1 {}x{}; pool {}x{} with stride {} gives P1 {}x{} = {} entries",
                    w2.len(),
                    shapes.s,
                    shapes.x.0,
                    shapes.x.1,
                    file.conv.padding,
                    shapes.f1.0,
                    shapes.f1.1,
                    file.conv.stride,
                    shapes.z1.0,
                    shapes.z1.1,
                    file.pool.size,
                    file.pool.size,
                    file.pool.stride,
                    shapes.p1.0,
                    shapes.p1.1,
                    shapes.s
                ),
                format!("give w2 exactly {} numbers", shapes.s),
            ));
        }
        if file.y > 1 {
            return Err(Error::invalid(
                "y",
                format!("{} is not a binary label", file.y),
                "use y = 0 or y = 1",
            ));
        }
        if file.lr <= 0.0 {
            return Err(Error::invalid(
                "lr",
                format!("learning rate {} would not descend", file.lr),
                "use a positive learning rate such as lr = 0.5",
            ));
        }
        Ok(Problem {
            x,
            f1,
            b1: file.b1,
            w2,
            b2: file.b2,
            y: file.y,
            lr: file.lr,
            activation: file.activation,
            loss: file.loss,
            conv: file.conv,
            pool: file.pool,
        })
    }

    /// The problem back as a file, all defaults filled in.
    pub fn to_file(&self) -> ExerciseFile {
        ExerciseFile {
            x: rows::to_rows(&self.x),
            f1: rows::to_rows(&self.f1),
            b1: self.b1,
            w2: self.w2.to_vec(),
            b2: self.b2,
            y: self.y,
            lr: self.lr,
            activation: self.activation,
            loss: self.loss,
            conv: self.conv,
            pool: self.pool,
        }
    }

    /// All shapes of the network; cannot fail for a validated problem.
    pub fn shapes(&self) -> Shapes {
        Shapes::derive(self.x.dim(), self.f1.dim(), self.conv, self.pool)
            .expect("invariant: a Problem is validated on construction")
    }

    /// The label as a number for arithmetic.
    pub fn label(&self) -> f64 {
        f64::from(self.y)
    }
}

impl Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_file().serialize(s)
    }
}

/// Which text format an exercise is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// `.toml` and anything else.
    Toml,
    /// `.json`.
    Json,
}

impl FileFormat {
    /// `.json` files are JSON; everything else is read as TOML.
    pub fn from_path(path: &Path) -> FileFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => FileFormat::Json,
            _ => FileFormat::Toml,
        }
    }
}

/// Parses and validates exercise text. `origin` names the source in error messages.
pub fn parse(text: &str, format: FileFormat, origin: &str) -> Result<Problem> {
    let file: ExerciseFile = match format {
        FileFormat::Toml => toml::from_str(text).map_err(|e| Error::syntax(origin, e))?,
        FileFormat::Json => serde_json::from_str(text).map_err(|e| Error::syntax(origin, e))?,
    };
    Problem::from_file(&file)
}

/// Reads (at most [`limits::MAX_FILE_BYTES`]), parses and validates an exercise file (format
/// from the extension).
pub fn load(path: &Path) -> Result<Problem> {
    let text = limits::read_text(path)?;
    parse(
        &text,
        FileFormat::from_path(path),
        &path.display().to_string(),
    )
}

/// Problems shared by the crate's unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{parse, FileFormat, Problem};

    /// The bundled Task 3.1.
    pub(crate) fn task_3_1() -> Problem {
        parse(
            include_str!("../../exercises/task-3-1.toml"),
            FileFormat::Toml,
            "task-3-1.toml",
        )
        .expect("the bundled exercise is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TASK_3_1: &str = include_str!("../../exercises/task-3-1.toml");

    fn toml_problem(text: &str) -> Result<Problem> {
        parse(text, FileFormat::Toml, "test.toml")
    }

    fn with_line(replace: &str, by: &str) -> String {
        assert!(TASK_3_1.contains(replace), "fixture lacks {replace}");
        TASK_3_1.replacen(replace, by, 1)
    }

    fn error_of(text: &str) -> String {
        toml_problem(text).unwrap_err().to_string()
    }

    #[test]
    fn task_3_1_parses_with_defaults() {
        let p = toml_problem(TASK_3_1).unwrap();
        assert_eq!(p.x.dim(), (5, 5));
        assert_eq!(p.f1.dim(), (2, 2));
        assert_eq!(p.conv, Conv::default());
        assert_eq!(p.pool, Pool::default());
        assert_eq!(p.activation, Activation::Relu);
        assert_eq!(p.loss, Loss::Bce);
        let s = p.shapes();
        assert_eq!((s.z1, s.p1, s.s), ((4, 4), (2, 2), 4));
    }

    #[test]
    fn mixed_integer_and_decimal_entries_parse() {
        // The bundled file writes f1 = [[0.5, 1], [0, -0.5]]: integers and decimals in one array.
        assert!(TASK_3_1.contains("f1 = [[0.5, 1], [0, -0.5]]"));
        let p = toml_problem(TASK_3_1).unwrap();
        assert_eq!(p.f1[[0, 1]], 1.0);
        assert_eq!(p.b1, -1.0);
    }

    #[test]
    fn unknown_key_is_an_error_with_position() {
        let msg = error_of(&format!("learning_rate = 0.1\n{TASK_3_1}"));
        assert!(
            msg.contains("learning_rate") && msg.contains("line"),
            "{msg}"
        );
    }

    #[test]
    fn malformed_toml_reports_line_and_column() {
        let msg = error_of("x = [[1, 2]\n");
        assert!(msg.contains("line 1"), "{msg}");
    }

    #[test]
    fn unknown_activation_lists_valid_names() {
        let msg = error_of(&with_line(
            "activation = \"relu\"",
            "activation = \"softmax\"",
        ));
        for name in ["relu", "leaky_relu", "sigmoid", "tanh"] {
            assert!(msg.contains(name), "{msg}");
        }
    }

    #[test]
    fn wrong_w2_length_explains_the_shapes() {
        let msg = error_of(&with_line(
            "w2 = [0.1, 0.3, -0.8, 0.2]",
            "w2 = [0.1, 0.3, -0.8]",
        ));
        assert!(msg.contains("w2 has 3 entries but S has 4"), "{msg}");
        assert!(msg.contains("Z1 4x4") && msg.contains("P1 2x2"), "{msg}");
    }

    #[test]
    fn label_must_be_binary() {
        assert!(error_of(&with_line("y = 1", "y = 2")).contains("`y`"));
    }

    #[test]
    fn learning_rate_must_be_positive() {
        assert!(error_of(&with_line("lr = 0.5", "lr = 0")).contains("`lr`"));
    }

    #[test]
    fn zero_stride_is_rejected() {
        let msg = error_of(&with_line("[conv]\nstride = 1", "[conv]\nstride = 0"));
        assert!(msg.contains("conv.stride"), "{msg}");
    }

    #[test]
    fn filter_larger_than_padded_input_is_rejected() {
        let text = with_line("f1 = [[0.5, 1], [0, -0.5]]", "f1 = [[1, 1, 1, 1, 1, 1]]");
        let msg = error_of(&text);
        assert!(msg.contains("larger than the 5x5 padded input"), "{msg}");
    }

    #[test]
    fn pool_window_larger_than_map_is_rejected() {
        let pool = Pool {
            size: 5,
            ..Pool::default()
        };
        let err = Shapes::derive((5, 5), (2, 2), Conv::default(), pool).unwrap_err();
        assert!(err.to_string().contains("pool.size"));
    }

    #[test]
    fn sizes_beyond_the_limits_are_refused_before_any_arithmetic() {
        // Issue 10: padding 2^63 - 1 overflowed `x + 2 * padding` (a panic).
        let msg = error_of(&with_line("padding = 0", "padding = 9223372036854775807"));
        assert!(
            msg.contains("`conv.padding`") && msg.contains("at most 8"),
            "{msg}"
        );
        let conv = Conv {
            stride: 1,
            padding: 0,
        };
        let err = Shapes::derive((33, 5), (2, 2), conv, Pool::default()).unwrap_err();
        assert!(
            err.to_string().contains("33 x 5, larger than 32 x 32"),
            "{err}"
        );
        let err = Shapes::derive((32, 32), (17, 1), conv, Pool::default()).unwrap_err();
        assert!(err.to_string().contains("`f1`"), "{err}");
        let pool = Pool {
            size: 2,
            stride: 17,
            ..Pool::default()
        };
        let err = Shapes::derive((5, 5), (2, 2), conv, pool).unwrap_err();
        assert!(err.to_string().contains("`pool.stride`"), "{err}");
    }

    #[test]
    fn numbers_beyond_the_limits_name_their_key() {
        // Issue 10: finite but huge numbers panicked in the number formatter.
        let msg = error_of(&with_line("lr = 0.5", "lr = 1e308"));
        assert!(msg.contains("`lr`") && msg.contains("1e308"), "{msg}");
        let msg = error_of(&with_line("b2 = 0.7", "b2 = 0.12345"));
        assert!(msg.contains("`b2`") && msg.contains("5 decimals"), "{msg}");
    }

    #[test]
    fn a_parser_error_quotes_no_more_than_a_short_line() {
        // Issue 10: a 100 000-level nested array made the error quote 200 KB of its line.
        let deep = format!("x = {}", "[".repeat(100_000));
        let msg = error_of(&deep);
        assert!(
            msg.len() < 1000 && msg.contains("line 1"),
            "{} bytes",
            msg.len()
        );
    }

    #[test]
    fn json_with_same_keys_parses_to_same_problem() {
        let p = toml_problem(TASK_3_1).unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(parse(&json, FileFormat::Json, "t.json").unwrap(), p);
    }

    #[test]
    fn toml_round_trip_is_identity() {
        // The serde face writes what it reads (files for humans go through a template instead).
        let p = toml_problem(TASK_3_1).unwrap();
        let text = toml::to_string(&p.to_file()).unwrap();
        assert_eq!(toml_problem(&text).unwrap(), p);
    }
}
