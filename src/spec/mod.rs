//! The exercise as data: what a TOML/JSON exercise file says, the validated [`Problem`] the solver
//! takes, and the shapes that follow from it; and, in [`difficulty`], what a sheet of it asks.
//! `parse` is pure; `load` is the only I/O here. Validation lives here so every consumer
//! (solver, generator, renderer) can trust a `Problem`.

pub mod difficulty;
pub mod tensor;

use std::fmt;
use std::path::Path;

use ndarray::{s, Array1, Array2, Array3, Array4, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::limits::{
    self, MAX_FILTER_ENTRIES, MAX_FILTER_SIDE, MAX_INPUT_ENTRIES, MAX_INPUT_SIDE, MAX_MAP_ENTRIES,
    MAX_PADDING, MAX_POOL_SIDE, MAX_STRIDE,
};
pub use tensor::Tensor;

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

/// Loss of the network's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    #[default]
    /// Binary cross-entropy -(y ln y_hat + (1 - y) ln(1 - y_hat)), sigmoid output.
    Bce,
    /// Half squared error 1/2 (y_hat - y)^2, sigmoid output.
    Mse,
    /// Cross-entropy -ln y_hat[y] of the true class, softmax output (the only loss there).
    Ce,
}

/// The network's output layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Output {
    #[default]
    /// One output y_hat = sigmoid(W2 . S + B2), a binary label y.
    Sigmoid,
    /// K >= 2 outputs y_hat = softmax(W2 S + B2), a class index y in 0..K.
    Softmax,
}

impl Output {
    /// The loss a file without `loss` gets: BCE for sigmoid, CE for softmax.
    pub fn default_loss(self) -> Loss {
        match self {
            Output::Sigmoid => Loss::Bce,
            Output::Softmax => Loss::Ce,
        }
    }

    /// Whether `loss` can follow this output: CE only after softmax, BCE and MSE only after
    /// sigmoid.
    pub fn takes(self, loss: Loss) -> bool {
        (self == Output::Softmax) == (loss == Loss::Ce)
    }
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
display_as_serde_name!(Activation, Loss, Output, PoolKind);

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
/// Unknown keys are an error, so a typo is never silently ignored. Values are [`Tensor`]s
/// (a number or nested lists) so that every form the README lists parses; [`Problem::from_file`]
/// checks their shapes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseFile {
    /// Input X = P0: a matrix (one channel) or a list of matrices (channels). Absent when the
    /// file holds `[[sample]]` tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<Tensor>,
    /// Filter F1: a matrix, a list of matrices (filters over one channel), or a list of filters
    /// each a list of matrices (one per channel).
    pub f1: Tensor,
    /// Bias B1: a number for one filter, a list with one per filter.
    pub b1: Tensor,
    /// Weights W2: a list with one per entry of S (sigmoid), a K x n matrix (softmax).
    pub w2: Tensor,
    /// Bias B2: a number (sigmoid), a list of K (softmax).
    pub b2: Tensor,
    /// Label: 0 or 1 (sigmoid), a class index 0..K (softmax). Absent with `[[sample]]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<usize>,
    /// Learning rate, > 0.
    pub lr: f64,
    #[serde(default)]
    /// Activation of the convolutional layer [relu].
    pub activation: Activation,
    /// Output layer [sigmoid].
    #[serde(default, skip_serializing_if = "is_sigmoid")]
    pub output: Output,
    /// Loss [bce with sigmoid, ce with softmax].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<Loss>,
    #[serde(default)]
    /// The `[conv]` table.
    pub conv: Conv,
    #[serde(default)]
    /// The `[pool]` table.
    pub pool: Pool,
    /// The `[[sample]]` tables of a mini-batch, each with its own `x` and `y` (`samples` in
    /// JSON output).
    #[serde(
        default,
        rename(serialize = "samples", deserialize = "sample"),
        alias = "samples",
        skip_serializing_if = "Option::is_none"
    )]
    pub sample: Option<Vec<SampleFile>>,
}

fn is_sigmoid(output: &Output) -> bool {
    *output == Output::Sigmoid
}

/// One `[[sample]]` table: a sample's input and label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleFile {
    /// The sample's input, as the top-level `x`.
    pub x: Tensor,
    /// The sample's label, as the top-level `y`.
    pub y: usize,
}

/// One sample of a problem: its input and its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Input X = P0: (c_in, h, w).
    pub x: Array3<f64>,
    /// Label: 0 or 1 (sigmoid), a class index (softmax).
    pub y: usize,
}

/// How the file wrote `f1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterForm {
    /// One matrix: one filter over one channel.
    Matrix,
    /// A list of matrices: filters over one channel.
    List,
    /// A list of filters, each a list of matrices (one per channel).
    Bank,
}

/// Which axes the file wrote, so that the output keeps the file's shapes (a filter dimension,
/// once written, stays).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Written {
    /// `x` is a list of channels.
    pub channels: bool,
    /// How `f1` is written; anything but a matrix gives every map-shaped value a map axis.
    pub filters: FilterForm,
    /// `b1` is a list.
    pub b1_list: bool,
    /// The samples are `[[sample]]` tables.
    pub batch: bool,
}

impl Written {
    /// The plainest form for these sizes: a matrix where there is one, lists where there are
    /// several (and a filter bank as soon as there are several channels).
    pub fn plainest(channels: usize, filters: usize, samples: usize) -> Written {
        Written {
            channels: channels > 1,
            filters: match (channels > 1, filters > 1) {
                (true, _) => FilterForm::Bank,
                (false, true) => FilterForm::List,
                (false, false) => FilterForm::Matrix,
            },
            b1_list: filters > 1,
            batch: samples > 1,
        }
    }

    /// Map-shaped values (Z1 ... dC/dZ1) carry a map axis.
    pub fn maps(&self) -> bool {
        self.filters != FilterForm::Matrix
    }
}

/// A validated exercise: every shape fits, every number is finite. Construct with
/// [`Problem::from_file`], [`parse`] or [`load`].
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The samples: one, or the mini-batch of `[[sample]]` tables; all of one shape.
    pub samples: Vec<Sample>,
    /// Filter bank F1: (c_out, c_in, kh, kw).
    pub f1: Array4<f64>,
    /// Biases B1: (c_out).
    pub b1: Array1<f64>,
    /// Fully connected weights W2: (k, n), k = 1 for sigmoid, n = c_out * p1_h * p1_w.
    pub w2: Array2<f64>,
    /// Biases B2: (k).
    pub b2: Array1<f64>,
    /// Learning rate of the one SGD step, > 0.
    pub lr: f64,
    /// Activation of the convolutional layer.
    pub activation: Activation,
    /// Output layer.
    pub output: Output,
    /// Loss on the output.
    pub loss: Loss,
    /// Convolution stride and padding.
    pub conv: Conv,
    /// Pooling kind, window and stride.
    pub pool: Pool,
    /// Which axes the file wrote.
    pub written: Written,
}

/// Every shape in the network, derived from the input, filter, conv and pool settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Shapes {
    /// X (one channel): (h, w).
    pub x: (usize, usize),
    /// X with its padding: (h + 2p, w + 2p).
    pub padded: (usize, usize),
    /// F1 (one filter, one channel): (kh, kw).
    pub f1: (usize, usize),
    /// Z1 (and A1), one map: (out_h, out_w).
    pub z1: (usize, usize),
    /// P1, one map: (p_h, p_w).
    pub p1: (usize, usize),
    /// Length of S and of a row of W2: maps * p_h * p_w.
    pub s: usize,
    /// Input channels C_in. (Not serialized, like the three below: the sheets' contexts show
    /// one channel, one filter, one output and one sample.)
    #[serde(skip)]
    pub channels: usize,
    /// Filters, and so maps of Z1, C_out.
    #[serde(skip)]
    pub maps: usize,
    /// Outputs of the fully connected layer: 1 for sigmoid, K classes for softmax.
    #[serde(skip)]
    pub classes: usize,
    /// Samples N.
    #[serde(skip)]
    pub samples: usize,
}

impl Shapes {
    /// Derives all shapes of one channel, one filter, one output and one sample, or says which
    /// size rule fails. Pure arithmetic, no matrices needed; [`Shapes::stacked`] adds the rest.
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
            channels: 1,
            maps: 1,
            classes: 1,
            samples: 1,
        })
    }

    /// These shapes with `channels` input channels, `maps` filters, `classes` outputs and
    /// `samples` samples.
    pub fn stacked(self, channels: usize, maps: usize, classes: usize, samples: usize) -> Shapes {
        Shapes {
            s: maps * self.p1.0 * self.p1.1,
            channels,
            maps,
            classes,
            samples,
            ..self
        }
    }
}

/// One sample as the file writes it: the keys of its input and label, the input, the label.
struct RawSample<'a> {
    x_key: String,
    y_key: String,
    x: &'a Tensor,
    y: usize,
}

/// The file's samples: the top-level `x` and `y`, or the `[[sample]]` tables (`batch`).
fn file_samples(file: &ExerciseFile) -> Result<(Vec<RawSample<'_>>, bool)> {
    match (&file.sample, &file.x, file.y) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            let key = if file.x.is_some() { "x" } else { "y" };
            Err(Error::invalid(
                key,
                format!("`{key}` is given at the top and in [[sample]] tables"),
                "give x and y either once at the top (one sample) or in every [[sample]] table \
                 (a mini-batch), not both",
            ))
        }
        (Some(samples), None, None) if samples.is_empty() => Err(Error::invalid(
            "sample",
            "the mini-batch has no samples",
            "give at least one [[sample]] table with x and y",
        )),
        (Some(samples), None, None) => Ok((
            samples
                .iter()
                .enumerate()
                .map(|(k, s)| RawSample {
                    x_key: format!("sample[{}].x", k + 1),
                    y_key: format!("sample[{}].y", k + 1),
                    x: &s.x,
                    y: s.y,
                })
                .collect(),
            true,
        )),
        (None, Some(x), Some(y)) => Ok((
            vec![RawSample {
                x_key: "x".to_string(),
                y_key: "y".to_string(),
                x,
                y,
            }],
            false,
        )),
        (None, None, _) => Err(Error::invalid(
            "x",
            "the input is missing",
            "give x and y, or [[sample]] tables each with x and y",
        )),
        (None, Some(_), None) => Err(Error::invalid(
            "y",
            "the label is missing",
            "give y, e.g. y = 1",
        )),
    }
}

/// One sample's `x` as (c_in, h, w), and whether it is written as a list of channels.
fn input_of(key: &str, x: &Tensor) -> Result<(Array3<f64>, bool)> {
    x.check_not_empty(key)?;
    let (a, channels) =
        match x.depth() {
            2 => (x.to_array(key, &["row"])?, false),
            3 => (x.to_array(key, &["channel", "row"])?, true),
            depth => return Err(Error::invalid(
                key,
                format!("{key} has {depth} levels of lists"),
                "write x as a matrix (a list of rows) for one channel, or as a list of matrices, \
                 one per channel",
            )),
        };
    let shape = a.shape().to_vec();
    let a = match channels {
        true => a.into_shape_with_order((shape[0], shape[1], shape[2])),
        false => a.into_shape_with_order((1, shape[0], shape[1])),
    }
    .expect("invariant: the depth was checked");
    Ok((a, channels))
}

/// `f1` as (c_out, c_in, kh, kw) for an input of `c_in` channels, and its form.
fn filters_of(f1: &Tensor, c_in: usize) -> Result<(Array4<f64>, FilterForm)> {
    f1.check_not_empty("f1")?;
    let (a, form) =
        match f1.depth() {
            2 => (f1.to_array("f1", &["row"])?, FilterForm::Matrix),
            3 => (f1.to_array("f1", &["filter", "row"])?, FilterForm::List),
            4 => (
                f1.to_array("f1", &["filter", "channel", "row"])?,
                FilterForm::Bank,
            ),
            depth => return Err(Error::invalid(
                "f1",
                format!("f1 has {depth} levels of lists"),
                "write f1 as a matrix (one filter), a list of matrices (several filters over one \
                 channel) or a list of filters, each a list of matrices (one per channel)",
            )),
        };
    let s = a.shape().to_vec();
    let bank = match form {
        FilterForm::Matrix => a.into_shape_with_order((1, 1, s[0], s[1])),
        FilterForm::List => a.into_shape_with_order((s[0], 1, s[1], s[2])),
        FilterForm::Bank => a.into_shape_with_order((s[0], s[1], s[2], s[3])),
    }
    .expect("invariant: the depth was checked");
    let (c_out, per_filter) = (bank.dim().0, bank.dim().1);
    let one_matrix = |what: String| {
        Error::invalid(
            "f1",
            format!("f1 is {what} but x has {c_in} channels"),
            format!(
                "write f1 as a list of filters, each a list of {c_in} matrices (one per input \
                 channel), e.g. f1 = [[m1, ..., m{c_in}]] for one filter"
            ),
        )
    };
    match form {
        FilterForm::Matrix if c_in > 1 => {
            return Err(one_matrix(format!("one {}x{} matrix", s[0], s[1])))
        }
        FilterForm::List if c_in > 1 => {
            return Err(one_matrix(format!(
                "{} ({c_out} filters over one channel)",
                tensor::describe(&s)
            )))
        }
        FilterForm::Bank if per_filter != c_in => {
            return Err(Error::invalid(
                "f1",
                format!(
                    "f1 has {per_filter} channel{} per filter but x has {c_in} channel{}",
                    if per_filter == 1 { "" } else { "s" },
                    if c_in == 1 { "" } else { "s" }
                ),
                format!("give each filter one matrix per input channel: {c_in} matrices"),
            ))
        }
        _ => {}
    }
    Ok((bank, form))
}

/// A bias or label-free vector of `count` values: a number (`count` 1, when `number_ok`) or a
/// list. Returns the values and whether they were a list.
fn vector_of(
    key: &str,
    t: &Tensor,
    count: usize,
    number_ok: bool,
    why: &str,
) -> Result<(Array1<f64>, bool)> {
    match t {
        Tensor::Number(_) if number_ok && count == 1 => {
            let a = t.to_array(key, &[])?;
            Ok((
                a.into_shape_with_order(1).expect("invariant: one value"),
                false,
            ))
        }
        Tensor::List(_) if t.depth() == 1 => {
            let a = t.to_array(key, &[])?;
            if a.len() != count {
                return Err(Error::invalid(
                    key,
                    format!("{key} has {} entries but {why}", a.len()),
                    format!("give {key} exactly {count} numbers"),
                ));
            }
            Ok((
                a.into_shape_with_order(count).expect("invariant: 1-D"),
                true,
            ))
        }
        _ => {
            let shape = t.to_array(key, &vec!["row"; t.depth().saturating_sub(1)])?;
            Err(Error::invalid(
                key,
                format!("{key} is {} but {why}", tensor::describe(shape.shape())),
                if number_ok && count == 1 {
                    format!("give {key} as one number")
                } else {
                    format!("give {key} as a list of {count} numbers")
                },
            ))
        }
    }
}

/// `what` of `key` has `count` entries, at most `max` (a product of channels, filters or
/// samples with a matrix's size; a single matrix is checked by [`check_side`] first).
fn check_entries(key: &str, what: &str, count: usize, max: usize) -> Result<()> {
    if count > max {
        return Err(Error::invalid(
            key,
            format!("{what} have {count} entries together, more than {max}"),
            "use fewer channels, filters or samples, or smaller matrices (see \"What nnexam \
             refuses, and why\" in the README)",
        ));
    }
    Ok(())
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
    /// Validates a parsed file into a problem; the error names the offending key, the shape
    /// found, the shape expected and why.
    pub fn from_file(file: &ExerciseFile) -> Result<Problem> {
        let (raw_samples, batch) = file_samples(file)?;
        let mut samples = Vec::with_capacity(raw_samples.len());
        let mut channels_written = false;
        for (k, raw) in raw_samples.iter().enumerate() {
            let key = &raw.x_key;
            let (x, channels) = input_of(key, raw.x)?;
            if let Some(first) = samples.first().map(|s: &Sample| s.x.dim()) {
                if x.dim() != first || channels != channels_written {
                    let describe = |d: (usize, usize, usize), channels| match channels {
                        true => tensor::describe(&[d.0, d.1, d.2]),
                        false => tensor::describe(&[d.1, d.2]),
                    };
                    return Err(Error::invalid(
                        key.clone(),
                        format!(
                            "sample {} has {} as x but sample 1 has {}",
                            k + 1,
                            describe(x.dim(), channels),
                            describe(first, channels_written)
                        ),
                        "give every sample an input of the same shape",
                    ));
                }
            }
            channels_written = channels;
            samples.push(Sample { x, y: raw.y });
        }
        let (c_in, h, w) = samples[0].x.dim();
        let first_x = raw_samples[0].x_key.as_str();
        limits::check_at_most("sample", samples.len(), limits::MAX_SAMPLES)?;
        limits::check_at_most(first_x, c_in, limits::MAX_CHANNELS)?;
        // One channel's (and one matrix's) sides are checked by Shapes::derive, with the sizes.
        if c_in > 1 {
            check_entries(
                first_x,
                "one sample's channels",
                c_in * h * w,
                MAX_INPUT_ENTRIES,
            )?;
        }
        let (f1, form) = filters_of(&file.f1, c_in)?;
        let (c_out, _, kh, kw) = f1.dim();
        limits::check_at_most("f1", c_out, limits::MAX_FILTERS)?;
        if c_in > 1 {
            check_entries(
                "f1",
                "one filter's matrices",
                c_in * kh * kw,
                MAX_FILTER_ENTRIES,
            )?;
        }
        let filters_why = match c_out {
            1 => "f1 has one filter".to_string(),
            n => format!("f1 has {n} filters, one bias each"),
        };
        let (b1, b1_list) = vector_of("b1", &file.b1, c_out, true, &filters_why)?;
        limits::check_number("lr", || "the value".to_string(), file.lr)?;
        let spatial = Shapes::derive((h, w), (kh, kw), file.conv, file.pool)?;
        check_entries(
            "f1",
            "Z1 over all maps and samples",
            samples.len() * c_out * spatial.z1.0 * spatial.z1.1,
            MAX_MAP_ENTRIES,
        )?;
        let n = c_out * spatial.p1.0 * spatial.p1.1;
        let output = file.output;
        let loss = file.loss.unwrap_or(output.default_loss());
        if !output.takes(loss) {
            return Err(Error::invalid(
                "loss",
                format!("loss {loss} does not go with output = \"{output}\""),
                match output {
                    Output::Sigmoid => {
                        "use loss = \"bce\" or \"mse\" with a sigmoid output, or set output = \
                         \"softmax\" for ce"
                    }
                    Output::Softmax => "leave loss out or write loss = \"ce\" with softmax",
                },
            ));
        }
        let (w2, k) = weights_of(&file.w2, output, n, &spatial, file)?;
        let (b2, _) = match output {
            Output::Sigmoid => vector_of("b2", &file.b2, 1, true, "a sigmoid output has one bias"),
            Output::Softmax => vector_of(
                "b2",
                &file.b2,
                k,
                false,
                &format!("W2 has {k} rows, one bias each"),
            ),
        }?;
        if output == Output::Sigmoid && matches!(file.b2, Tensor::List(_)) {
            return Err(Error::invalid(
                "b2",
                "b2 is a list but a sigmoid output has one bias",
                "give b2 as one number, or set output = \"softmax\"",
            ));
        }
        for (s, raw) in samples.iter().zip(&raw_samples) {
            let key = raw.y_key.clone();
            match output {
                Output::Sigmoid if s.y > 1 => {
                    return Err(Error::invalid(
                        key,
                        format!("{} is not a binary label", s.y),
                        "use y = 0 or y = 1",
                    ))
                }
                Output::Softmax if s.y >= k => {
                    return Err(Error::invalid(
                        key,
                        format!(
                            "class {} is not one of the {k} classes 0..={} (one per row of w2)",
                            s.y,
                            k - 1
                        ),
                        format!("use a class index from 0 to {}", k - 1),
                    ))
                }
                _ => {}
            }
        }
        if file.lr <= 0.0 {
            return Err(Error::invalid(
                "lr",
                format!("learning rate {} would not descend", file.lr),
                "use a positive learning rate such as lr = 0.5",
            ));
        }
        Ok(Problem {
            samples,
            f1,
            b1,
            w2,
            b2,
            lr: file.lr,
            activation: file.activation,
            output,
            loss,
            conv: file.conv,
            pool: file.pool,
            written: Written {
                channels: channels_written,
                filters: form,
                b1_list,
                batch,
            },
        })
    }

    /// The problem back as a file, in the forms it was written, all defaults filled in.
    pub fn to_file(&self) -> ExerciseFile {
        let input = |s: &Sample| match self.written.channels {
            true => Tensor::from_array(&s.x.clone().into_dyn()),
            false => Tensor::from_array(&s.x.index_axis(Axis(0), 0).to_owned().into_dyn()),
        };
        let f1 = match self.written.filters {
            FilterForm::Matrix => self.f1.slice(s![0, 0, .., ..]).to_owned().into_dyn(),
            FilterForm::List => self.f1.slice(s![.., 0, .., ..]).to_owned().into_dyn(),
            FilterForm::Bank => self.f1.clone().into_dyn(),
        };
        let scalar_or_list = |v: &Array1<f64>, list: bool| match list {
            true => Tensor::from_array(&v.clone().into_dyn()),
            false => Tensor::Number(v[0]),
        };
        let softmax = self.output == Output::Softmax;
        let w2 = match softmax {
            true => Tensor::from_array(&self.w2.clone().into_dyn()),
            false => Tensor::from_array(&self.w2.row(0).to_owned().into_dyn()),
        };
        let (x, y, sample) = match self.written.batch {
            true => (
                None,
                None,
                Some(
                    self.samples
                        .iter()
                        .map(|s| SampleFile {
                            x: input(s),
                            y: s.y,
                        })
                        .collect(),
                ),
            ),
            false => (Some(input(&self.samples[0])), Some(self.samples[0].y), None),
        };
        ExerciseFile {
            x,
            f1: Tensor::from_array(&f1),
            b1: scalar_or_list(&self.b1, self.written.b1_list),
            w2,
            b2: scalar_or_list(&self.b2, softmax),
            y,
            lr: self.lr,
            activation: self.activation,
            output: self.output,
            loss: Some(self.loss),
            conv: self.conv,
            pool: self.pool,
            sample,
        }
    }

    /// All shapes of the network; cannot fail for a validated problem.
    pub fn shapes(&self) -> Shapes {
        let (c_out, c_in, kh, kw) = self.f1.dim();
        let (_, h, w) = self.samples[0].x.dim();
        Shapes::derive((h, w), (kh, kw), self.conv, self.pool)
            .expect("invariant: a Problem is validated on construction")
            .stacked(c_in, c_out, self.w2.nrows(), self.samples.len())
    }

    /// The first sample's input channel `c`: (h, w).
    pub fn x(&self, sample: usize, c: usize) -> ArrayView2<'_, f64> {
        self.samples[sample].x.index_axis(Axis(0), c)
    }

    /// Filter `o`'s matrix over input channel `c`: (kh, kw).
    pub fn filter(&self, o: usize, c: usize) -> ArrayView2<'_, f64> {
        self.f1.slice(s![o, c, .., ..])
    }
}

/// `w2` as (k, n) for `output` and a flattened S of `n` entries, and k.
fn weights_of(
    w2: &Tensor,
    output: Output,
    n: usize,
    shapes: &Shapes,
    file: &ExerciseFile,
) -> Result<(Array2<f64>, usize)> {
    let maps = n / (shapes.p1.0 * shapes.p1.1);
    // Why S has n entries, for the messages.
    let why = || {
        let per_map = shapes.p1.0 * shapes.p1.1;
        let mut why = format!(
            "x {}x{} with padding {}, filter {}x{} and stride {} give Z1 {}x{}; pool {}x{} with \
             stride {} gives P1 {}x{} = {} entries",
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
            per_map
        );
        if maps > 1 {
            why.push_str(&format!(" per map, and f1 has {maps} filters"));
        }
        why
    };
    match (output, w2.depth()) {
        (Output::Sigmoid, 1) => {
            let a = w2.to_array("w2", &[])?;
            if a.len() != n {
                return Err(Error::invalid(
                    "w2",
                    format!("w2 has {} entries but S has {n}: {}", a.len(), why()),
                    format!("give w2 exactly {n} numbers"),
                ));
            }
            Ok((a.into_shape_with_order((1, n)).expect("invariant: 1-D"), 1))
        }
        (Output::Sigmoid, 2) => {
            let a = w2.to_array("w2", &["row"])?;
            Err(Error::invalid(
                "w2",
                format!(
                    "w2 is {}, the form of a softmax output's weights, but output = \"sigmoid\"",
                    tensor::describe(a.shape())
                ),
                format!(
                    "give w2 as a list of {n} numbers, or set output = \"softmax\" for one row \
                     per class"
                ),
            ))
        }
        (Output::Softmax, 2) => {
            let a = w2.to_array("w2", &["row"])?;
            let (k, cols) = (a.shape()[0], a.shape()[1]);
            if cols != n {
                return Err(Error::invalid(
                    "w2",
                    format!("w2's rows have {cols} entries but S has {n}: {}", why()),
                    format!("give every row of w2 exactly {n} numbers"),
                ));
            }
            limits::check_at_most("w2", k, limits::MAX_CLASSES)?;
            if k < 2 {
                return Err(Error::invalid(
                    "w2",
                    "w2 has 1 row but a softmax needs at least 2 classes",
                    "give w2 one row per class, at least 2 (or use output = \"sigmoid\" for one \
                     output)",
                ));
            }
            Ok((a.into_shape_with_order((k, n)).expect("invariant: 2-D"), k))
        }
        (_, depth) => {
            let found = match depth {
                0 => "one number".to_string(),
                1 => "a list of numbers".to_string(),
                d => format!("{d} levels of lists"),
            };
            Err(Error::invalid(
                "w2",
                format!("w2 is {found}"),
                match output {
                    Output::Sigmoid => format!("give w2 as a list of {n} numbers"),
                    Output::Softmax => format!(
                        "give w2 as a matrix with one row of {n} numbers per class (a softmax \
                         output has K >= 2 classes)"
                    ),
                },
            ))
        }
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
        assert_eq!(p.samples[0].x.dim(), (1, 5, 5));
        assert_eq!(p.f1.dim(), (1, 1, 2, 2));
        assert_eq!(p.output, Output::Sigmoid);
        assert!(!p.written.maps() && !p.written.batch);
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
        assert_eq!(p.f1[[0, 0, 0, 1]], 1.0);
        assert_eq!(p.b1[0], -1.0);
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

    /// Task 3.1's file with `x` (5x5) written as `channels` copies and `f1` as given.
    fn with_channels(channels: usize, f1: &str) -> String {
        let x =
            "[[2, 0, 0, 2, 0], [0, 4, 0, 0, 0], [0, 2, 0, 0, 4], [0, 4, 0, 0, 0], [7, 0, 0, 0, 6]]";
        let xs = vec![x; channels].join(", ");
        let start = TASK_3_1.find("x = [").unwrap();
        let end = TASK_3_1.find("b1 = -1").unwrap();
        format!(
            "{}x = [{xs}]\nf1 = {f1}\n{}",
            &TASK_3_1[..start],
            &TASK_3_1[end..]
        )
    }

    #[test]
    fn channels_filters_and_their_biases_parse_into_a_bank() {
        let m = "[[0.5, 1], [0, -0.5]]";
        let text = with_channels(3, &format!("[[{m}, {m}, {m}], [{m}, {m}, {m}]]"))
            .replace("b1 = -1", "b1 = [-1, 0.5]")
            .replace(
                "w2 = [0.1, 0.3, -0.8, 0.2]",
                "w2 = [0.1, 0.3, -0.8, 0.2, 1, 2, 3, 4]",
            );
        let p = toml_problem(&text).unwrap();
        assert_eq!(p.f1.dim(), (2, 3, 2, 2));
        assert_eq!(p.samples[0].x.dim(), (3, 5, 5));
        assert_eq!(p.b1.to_vec(), vec![-1.0, 0.5]);
        assert_eq!(p.shapes().s, 8);
        assert!(p.written.channels && p.written.maps() && p.written.b1_list);
        // Written back in the forms read.
        assert_eq!(Problem::from_file(&p.to_file()).unwrap(), p);
    }

    #[test]
    fn a_filter_s_channels_must_match_the_input_s() {
        let m = "[[0.5, 1], [0, -0.5]]";
        let msg = error_of(&with_channels(3, &format!("[[{m}, {m}]]")));
        assert!(
            msg.contains("`f1`")
                && msg.contains("f1 has 2 channels per filter but x has 3 channels"),
            "{msg}"
        );
        let msg = error_of(&with_channels(3, m));
        assert!(
            msg.contains("f1 is one 2x2 matrix but x has 3 channels"),
            "{msg}"
        );
    }

    #[test]
    fn biases_and_weights_follow_the_filters_and_classes() {
        let two = with_line(
            "f1 = [[0.5, 1], [0, -0.5]]",
            "f1 = [[[0.5, 1], [0, -0.5]], [[1, 0], [0, 1]]]",
        );
        let msg = error_of(&two.replace("b1 = -1", "b1 = [-1, 1, 2]"));
        assert!(
            msg.contains("b1 has 3 entries but f1 has 2 filters, one bias each"),
            "{msg}"
        );
        let msg = error_of(&two.replace("b1 = -1", "b1 = [-1, 1]"));
        assert!(
            msg.contains("w2 has 4 entries but S has 8") && msg.contains("f1 has 2 filters"),
            "{msg}"
        );
        let softmax = with_line("loss = \"bce\"", "output = \"softmax\"")
            .replace(
                "w2 = [0.1, 0.3, -0.8, 0.2]",
                "w2 = [[0.1, 0.3, -0.8, 0.2], [0, 0, 0, 1]]",
            )
            .replace("b2 = 0.7", "b2 = [0.7, 0]");
        let p = toml_problem(&softmax).unwrap();
        assert_eq!(
            (p.output, p.loss, p.w2.nrows()),
            (Output::Softmax, Loss::Ce, 2)
        );
        let msg = error_of(&softmax.replace("y = 1", "y = 2"));
        assert!(msg.contains("class 2 is not one of the 2 classes"), "{msg}");
        let msg = error_of(&softmax.replace("b2 = [0.7, 0]", "b2 = 0.7"));
        assert!(msg.contains("`b2`"), "{msg}");
        let msg = error_of(&with_line("loss = \"bce\"", "loss = \"ce\""));
        assert!(msg.contains("`loss`") && msg.contains("sigmoid"), "{msg}");
    }

    #[test]
    fn a_mini_batch_reads_its_samples_and_refuses_mixed_forms() {
        let start = TASK_3_1.find("x = [").unwrap();
        let end = TASK_3_1.find("f1 =").unwrap();
        let x = &TASK_3_1[start..end];
        let rest = TASK_3_1[end..].replace("y = 1\n", "");
        let batch = format!("{rest}\n[[sample]]\n{x}y = 1\n\n[[sample]]\n{x}y = 0\n");
        let p = toml_problem(&batch).unwrap();
        assert_eq!(p.samples.len(), 2);
        assert_eq!((p.samples[0].y, p.samples[1].y), (1, 0));
        assert!(p.written.batch);
        let msg = error_of(&format!("y = 1\n{batch}"));
        assert!(msg.contains("[[sample]]"), "{msg}");
        let small = "x = [[1, 2], [3, 4]]\n";
        let msg = error_of(&format!(
            "{rest}\n[[sample]]\n{x}y = 1\n\n[[sample]]\n{small}y = 0\n"
        ));
        assert!(
            msg.contains("`sample[2].x`")
                && msg.contains("sample 2 has a 2x2 matrix as x but sample 1 has a 5x5 matrix"),
            "{msg}"
        );
    }

    #[test]
    fn counts_beyond_the_limits_are_refused() {
        let m = "[[0.5, 1], [0, -0.5]]";
        let msg = error_of(&with_channels(5, &format!("[[{m}, {m}, {m}, {m}, {m}]]")));
        assert!(
            msg.contains("`x`") && msg.contains("5 is more than 4"),
            "{msg}"
        );
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
