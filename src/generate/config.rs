//! The generator config: which architectures to draw, the value range and step of every
//! parameter, the nice-number rules and the attempt limit. It is TOML with one table per concern
//! (`[architecture]`, `[x]`, `[f1]`, `[b1]`, `[w2]`, `[b2]`, `[rules]`, `[sampling]`), so a new
//! concern is one new field. Omitted tables take the built-in defaults, which reproduce the
//! shape and style of Task 3.1 (the `default` preset is the same config written out).
//!
//! Parsing and validation only: nothing is drawn here. Validation names the key and the fix,
//! like the exercise file's.

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use serde::de::{self, IntoDeserializer};
use serde::{Deserialize, Deserializer};

use crate::error::{Error, Result};
use crate::limits::{self, MAX_DECIMALS, MAX_MAGNITUDE};
use crate::spec::difficulty::Difficulty;
use crate::spec::{Activation, Conv, Loss, Output, Pool, PoolKind, Shapes};

/// Most architecture combinations (the product of the size lists) a config may allow.
const MAX_COMBINATIONS: usize = 10_000;
/// Most values one parameter's range may hold (its length in steps).
const MAX_GRID_VALUES: i64 = 1_000_000;
/// Most decimals the rules may read numbers at: `--decimals` allows as many.
const MAX_RULE_DECIMALS: usize = 10;
/// Most draws a config may allow: an unsatisfiable config gives up within seconds, not never.
const MAX_ATTEMPTS: u64 = 1_000_000;

/// A complete generator config. Build one with [`GeneratorConfig::parse`], [`load`],
/// [`crate::generate::preset`] or `Default` (Task 3.1 style).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorConfig {
    #[serde(default)]
    /// The network's knobs.
    pub architecture: Architecture,
    /// Input X = P0.
    #[serde(default = "Values::default_x")]
    pub x: Values,
    /// Filter F1.
    #[serde(default = "Values::default_f1")]
    pub f1: Values,
    #[serde(default = "Values::default_b1")]
    /// Bias B1.
    pub b1: Values,
    /// Fully connected weights W2.
    #[serde(default = "Values::default_w2")]
    pub w2: Values,
    #[serde(default = "Values::default_b2")]
    /// Bias B2.
    pub b2: Values,
    #[serde(default)]
    /// The nice-number rules.
    pub rules: Rules,
    #[serde(default)]
    /// The attempt limit.
    pub sampling: Sampling,
    /// What the rendered question asks and gives (the task notes' knobs); see
    /// [`crate::spec::difficulty`]. Not used for sampling.
    #[serde(default)]
    pub difficulty: Difficulty,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            architecture: Architecture::default(),
            x: Values::default_x(),
            f1: Values::default_f1(),
            b1: Values::default_b1(),
            w2: Values::default_w2(),
            b2: Values::default_b2(),
            rules: Rules::default(),
            sampling: Sampling::default(),
            difficulty: Difficulty::default(),
        }
    }
}

/// One value, or a list to draw from uniformly on every attempt: `activation = "relu"` or
/// `activation = ["relu", "tanh"]`. A single value draws nothing from the random stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice<T>(Vec<T>);

impl<T> Choice<T> {
    /// A single option: draws nothing.
    pub fn one(value: T) -> Self {
        Choice(vec![value])
    }

    /// A list of options, drawn from uniformly.
    pub fn any(options: Vec<T>) -> Self {
        Choice(options)
    }

    /// The options in the order written; non-empty once the config is validated.
    pub fn options(&self) -> &[T] {
        &self.0
    }
}

/// The `[architecture]` table: the network's knobs, each a [`Choice`]. Keys left out keep
/// their Task 3.1 value.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Architecture {
    /// Side of the square input X.
    pub input_size: Choice<usize>,
    /// Side of the square filter F1.
    pub filter_size: Choice<usize>,
    /// Convolution stride.
    pub stride: Choice<usize>,
    /// Zero padding around X.
    pub padding: Choice<usize>,
    /// Activation of the convolutional layer.
    pub activation: Choice<Activation>,
    /// Max or average pooling.
    pub pool_kind: Choice<PoolKind>,
    /// Side of the square pooling window.
    pub pool_size: Choice<usize>,
    /// Pooling stride.
    pub pool_stride: Choice<usize>,
    /// Loss on a sigmoid output (a softmax output always takes `ce`).
    pub loss: Choice<Loss>,
    /// Label: 0 or 1 for sigmoid, a class index below `classes` for softmax; drawn for every
    /// sample.
    pub y: Choice<usize>,
    /// Learning rate.
    pub lr: Choice<f64>,
    /// Input channels C_in.
    pub channels: Choice<usize>,
    /// Filters C_out, one map of Z1 each.
    pub filters: Choice<usize>,
    /// Output layer.
    pub output: Choice<Output>,
    /// Classes K of a softmax output (drawn only when the output is softmax).
    pub classes: Choice<usize>,
    /// Samples N of the mini-batch (1: no mini-batch).
    pub batch: Choice<usize>,
}

impl Default for Architecture {
    fn default() -> Self {
        Architecture {
            input_size: Choice::one(5),
            filter_size: Choice::one(2),
            stride: Choice::one(1),
            padding: Choice::one(0),
            activation: Choice::one(Activation::Relu),
            pool_kind: Choice::one(PoolKind::Max),
            pool_size: Choice::one(2),
            pool_stride: Choice::one(2),
            loss: Choice::one(Loss::Bce),
            y: Choice::one(1),
            lr: Choice::one(0.5),
            channels: Choice::one(1),
            filters: Choice::one(1),
            output: Choice::one(Output::Sigmoid),
            classes: Choice::one(3),
            batch: Choice::one(1),
        }
    }
}

/// A value table (`[x]`, `[f1]`, `[b1]`, `[w2]`, `[b2]`): every entry is a multiple of `step`
/// in `[min, max]`. `step` must be 1/n with a finite decimal (1, 0.5, 0.25, 0.2, 0.1, ...),
/// because values are drawn as whole numbers k and written k / n. A table you write replaces
/// the default one, so `min`, `max` and `step` are required in it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Values {
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Distance between neighbouring values: 1/n with a finite decimal.
    pub step: f64,
    /// Share of entries that are exactly 0, in percent, rounded to whole entries (half up);
    /// the other entries are non-zero. Left out: every entry is drawn from the whole range.
    #[serde(default)]
    pub zero_percent: Option<u32>,
}

impl Values {
    fn new(min: f64, max: f64, step: f64, zero_percent: Option<u32>) -> Self {
        Values {
            min,
            max,
            step,
            zero_percent,
        }
    }

    /// Integers 0..=9, half of them zeros.
    pub fn default_x() -> Self {
        Values::new(0.0, 9.0, 1.0, Some(50))
    }

    /// Multiples of 0.5 in [-1, 1].
    pub fn default_f1() -> Self {
        Values::new(-1.0, 1.0, 0.5, None)
    }

    /// A non-zero integer in [-2, 1].
    pub fn default_b1() -> Self {
        Values::new(-2.0, 1.0, 1.0, Some(0))
    }

    /// Non-zero multiples of 0.1 in [-1, 1].
    pub fn default_w2() -> Self {
        Values::new(-1.0, 1.0, 0.1, Some(0))
    }

    /// A multiple of 0.1 in [-1, 1].
    pub fn default_b2() -> Self {
        Values::new(-1.0, 1.0, 0.1, None)
    }
}

/// The `[rules]` table: what makes a drawn exercise "nice". Every draw is checked against
/// every rule; a draw that fails one is rejected and counted against the first it fails.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// F1 has at least this many positive entries...
    pub f1_min_positive: u32,
    /// ... and this many negative ones.
    pub f1_min_negative: u32,
    /// Every |Z1| entry is at most this (`inf` for no bound): small numbers by hand, and a
    /// tanh or sigmoid that is not flat.
    pub max_abs_z1: f64,
    /// At least this percentage of Z1 is negative ...
    pub z1_min_negative_percent: u32,
    /// ... and this percentage positive, so the activation matters.
    pub z1_min_positive_percent: u32,
    /// Every max-pool window of A1 has a single maximum.
    pub pool_unique_max: bool,
    /// No gradient passes through a Z1 entry at a kink of the activation (Z1 = 0 for ReLU and
    /// leaky ReLU): for max pool the window maxima, for average pool every pooled entry.
    pub kink_free: bool,
    /// |z2| is at most this, so y_hat is not saturated.
    pub max_abs_z2: f64,
    /// |y_hat - y| is at least this, so the gradients are not trivially small.
    pub min_abs_error: f64,
    /// dC/dZ1 has a non-zero entry.
    pub d_z1_nonzero: bool,
    /// dC/dF1 has a non-zero entry.
    pub d_f1_nonzero: bool,
    /// The decimals the sheets show, for the rules below that read numbers as printed (the
    /// default `--decimals`).
    pub decimals: usize,
    /// No row or column of F1 is all zero (a filter line that reads nothing).
    pub f1_full_lines: bool,
    /// B1 is not 0 (no "+ 0" on the sheet).
    pub b1_nonzero: bool,
    /// Every computed number is exactly 0 or at least half a unit of the last printed decimal,
    /// so that it never prints as 0.
    pub readable_values: bool,
    /// Every graded answer is more than twice the key's tolerance away from the value a student
    /// gets by skipping its step: an updated parameter from the un-updated one, y_hat from 0.5.
    pub distinct_from_skipped: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            f1_min_positive: 1,
            f1_min_negative: 1,
            max_abs_z1: 10.0,
            z1_min_negative_percent: 25,
            z1_min_positive_percent: 25,
            pool_unique_max: true,
            kink_free: true,
            max_abs_z2: 2.5,
            min_abs_error: 0.1,
            d_z1_nonzero: true,
            d_f1_nonzero: true,
            decimals: 3,
            f1_full_lines: true,
            b1_nonzero: true,
            readable_values: true,
            distinct_from_skipped: true,
        }
    }
}

/// The `[sampling]` table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sampling {
    /// Draws to try before giving up and reporting the rule that rejected most of them.
    pub max_attempts: u64,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            max_attempts: 100_000,
        }
    }
}

/// A value table as whole numbers: entries are `k / denominator` for `k` in `lo..=hi`.
/// Dividing the integer k by n gives the double nearest to the decimal (0.3, never
/// 0.30000000000000004), which is what a reader of the exercise file sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    pub(crate) lo: i64,
    pub(crate) hi: i64,
    pub(crate) denominator: u32,
    pub(crate) zero_percent: Option<u32>,
}

impl Grid {
    /// Checks a value table named `key` and converts it.
    pub fn new(key: &str, values: &Values) -> Result<Grid> {
        let step = values.step;
        let denominator = (1.0 / step).round();
        let decimal_step = step > 0.0
            && step <= 1.0
            && (denominator * step - 1.0).abs() <= 1e-9
            && denominator <= MAX_GRID_VALUES as f64
            && has_finite_decimal(denominator as u32);
        if !decimal_step {
            return Err(Error::invalid(
                format!("{key}.step"),
                format!("{step} is not 1/n for a whole n with a finite decimal"),
                "use a step such as 1, 0.5, 0.25, 0.2, 0.1 or 0.05",
            ));
        }
        // Every value k/n has at most the step's decimals: an exercise file must hold it.
        if limits::decimals_of(step) > MAX_DECIMALS {
            return Err(Error::invalid(
                format!("{key}.step"),
                format!(
                    "{step} has {} decimals, but an exercise's numbers have at most \
                     {MAX_DECIMALS} decimals",
                    limits::decimals_of(step)
                ),
                "use a step such as 1, 0.5, 0.25, 0.2, 0.1, 0.05 or 0.0625",
            ));
        }
        let lo = whole_steps(&format!("{key}.min"), values.min, step, denominator)?;
        let hi = whole_steps(&format!("{key}.max"), values.max, step, denominator)?;
        if lo > hi {
            return Err(Error::invalid(
                format!("{key}.min"),
                format!("min {} is above max {}", values.min, values.max),
                "swap min and max",
            ));
        }
        if hi - lo >= MAX_GRID_VALUES {
            return Err(Error::invalid(
                key,
                format!(
                    "[{}, {}] holds {} steps of {step}",
                    values.min,
                    values.max,
                    hi - lo + 1
                ),
                format!("use at most {MAX_GRID_VALUES} steps: a narrower range or a coarser step"),
            ));
        }
        let grid = Grid {
            lo,
            hi,
            denominator: denominator as u32,
            zero_percent: values.zero_percent,
        };
        if let Some(p) = values.zero_percent {
            let key = format!("{key}.zero_percent");
            if p > 100 {
                return Err(Error::invalid(
                    key,
                    format!("{p} is not a percentage"),
                    "use a whole number from 0 to 100",
                ));
            }
            if p > 0 && !grid.has_zero() {
                return Err(Error::invalid(
                    key,
                    format!(
                        "{p}% zeros but 0 lies outside [{}, {}]",
                        values.min, values.max
                    ),
                    "set zero_percent = 0, or include 0 in the range",
                ));
            }
            if p < 100 && grid.nonzero_count() == 0 {
                return Err(Error::invalid(
                    key,
                    format!("[{}, {}] has no non-zero value", values.min, values.max),
                    "widen the range, or set zero_percent = 100",
                ));
            }
        }
        Ok(grid)
    }

    /// True when 0 is one of the grid's values.
    pub fn has_zero(&self) -> bool {
        self.lo <= 0 && 0 <= self.hi
    }

    /// How many values the grid holds.
    pub fn count(&self) -> u32 {
        u32::try_from(self.hi - self.lo + 1).expect("invariant: grids are checked to be small")
    }

    /// How many non-zero values the grid holds.
    pub fn nonzero_count(&self) -> u32 {
        self.count() - u32::from(self.has_zero())
    }

    /// The value of whole step `k`.
    pub fn value(&self, k: i64) -> f64 {
        k as f64 / f64::from(self.denominator)
    }

    /// True when `v` is exactly one of the grid's values, as [`Grid::value`] computes them.
    pub fn contains(&self, v: f64) -> bool {
        let k = (v * f64::from(self.denominator)).round();
        (self.lo as f64..=self.hi as f64).contains(&k) && self.value(k as i64) == v
    }
}

/// 1/n has a finite decimal expansion exactly when n = 2^a 5^b.
fn has_finite_decimal(mut n: u32) -> bool {
    if n == 0 {
        return false;
    }
    for p in [2, 5] {
        while n.is_multiple_of(p) {
            n /= p;
        }
    }
    n == 1
}

/// `value` as a whole number of steps (value * denominator), or an error naming `key`.
fn whole_steps(key: &str, value: f64, step: f64, denominator: f64) -> Result<i64> {
    if !value.is_finite() || value.abs() > MAX_MAGNITUDE {
        return Err(Error::invalid(
            key,
            format!("{value} is not a number between -{MAX_MAGNITUDE} and {MAX_MAGNITUDE}"),
            "use an ordinary decimal number",
        ));
    }
    let k = value * denominator;
    if (k - k.round()).abs() > 1e-6 {
        return Err(Error::invalid(
            key,
            format!("{value} is not a multiple of the step {step}"),
            format!("use a multiple of {step}"),
        ));
    }
    Ok(k.round() as i64)
}

/// The value tables as grids: what the sampler draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grids {
    /// Input X.
    pub x: Grid,
    /// Filter F1.
    pub f1: Grid,
    /// Bias B1.
    pub b1: Grid,
    /// Weights W2.
    pub w2: Grid,
    /// Bias B2.
    pub b2: Grid,
}

impl GeneratorConfig {
    /// Parses and validates config text. `origin` names the source in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<GeneratorConfig> {
        let config: GeneratorConfig =
            toml::from_str(text).map_err(|e| Error::config_syntax(origin, e))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every key; the error names the first bad one and how to fix it.
    pub fn validate(&self) -> Result<()> {
        self.difficulty.resolve()?;
        self.grids().map(|_| ())
    }

    /// Validates the whole config and returns its value tables as grids.
    pub fn grids(&self) -> Result<Grids> {
        self.architecture.validate()?;
        self.rules.validate()?;
        if self.sampling.max_attempts == 0 {
            return Err(Error::invalid(
                "sampling.max_attempts",
                "0 attempts can never find an exercise",
                "use a positive number such as 100000",
            ));
        }
        if self.sampling.max_attempts > MAX_ATTEMPTS {
            return Err(Error::invalid(
                "sampling.max_attempts",
                format!(
                    "{} attempts could run for days when the rules admit no exercise",
                    self.sampling.max_attempts
                ),
                format!(
                    "use at most {MAX_ATTEMPTS}; if that many draws find nothing, relax the \
                     [rules] instead"
                ),
            ));
        }
        Ok(Grids {
            x: Grid::new("x", &self.x)?,
            f1: Grid::new("f1", &self.f1)?,
            b1: Grid::new("b1", &self.b1)?,
            w2: Grid::new("w2", &self.w2)?,
            b2: Grid::new("b2", &self.b2)?,
        })
    }
}

/// Reads (at most [`limits::MAX_FILE_BYTES`]), parses and validates a generator config file
/// (TOML).
pub fn load(path: &Path) -> Result<GeneratorConfig> {
    load_with_fingerprint(path).map(|(config, _)| config)
}

/// [`load`], and the file's [`fingerprint`].
pub fn load_with_fingerprint(path: &Path) -> Result<(GeneratorConfig, String)> {
    let text = limits::read_text(path)?;
    let config = GeneratorConfig::parse(&text, &path.display().to_string())?;
    Ok((config, fingerprint(&text)))
}

/// The first 8 hex digits of the SHA-256 of a config's text: printed beside `--config NAME` on
/// every sheet, so that two people can tell whether they hold the same file.
pub fn fingerprint(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `key` must list at least one option.
fn non_empty<T>(key: &str, choice: &Choice<T>) -> Result<()> {
    if choice.options().is_empty() {
        return Err(Error::invalid(
            format!("architecture.{key}"),
            "the list is empty",
            "give one value or a non-empty list of values to draw from",
        ));
    }
    Ok(())
}

/// Every size or count knob's options, each from `min` to `max` (the exercise file's limit, see
/// [`crate::limits`]: a config draws only exercises that a file could hold), distinct and
/// sorted.
fn check_sizes(key: &str, choice: &Choice<usize>, min: usize, max: usize) -> Result<Vec<usize>> {
    non_empty(key, choice)?;
    if let Some(v) = choice.options().iter().find(|&&v| v < min || v > max) {
        return Err(Error::invalid(
            format!("architecture.{key}"),
            format!("{v} is outside {min}..={max}"),
            format!("use values from {min} to {max}"),
        ));
    }
    let mut distinct = choice.options().to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    Ok(distinct)
}

impl Architecture {
    /// Whether an exercise of this architecture can leave the original's skeleton: several
    /// channels or filters, a softmax output, or a mini-batch (whose sheets are the family
    /// templates', see `render::family`).
    pub fn is_wider_family(&self) -> bool {
        self.channels.options().iter().any(|&c| c > 1)
            || self.filters.options().iter().any(|&f| f > 1)
            || self.output.options().contains(&Output::Softmax)
            || self.batch.options().iter().any(|&n| n > 1)
    }

    fn validate(&self) -> Result<()> {
        self.possible_shapes().map(|_| ())
    }

    /// The shapes of every combination of the size lists, in list order (input, filter,
    /// stride, padding, pool size, pool stride, channels, filters, outputs (1 for sigmoid, then
    /// the classes of softmax), batch), after checking every knob.
    pub fn possible_shapes(&self) -> Result<Vec<Shapes>> {
        use limits::{MAX_FILTER_SIDE, MAX_INPUT_SIDE, MAX_PADDING, MAX_POOL_SIDE, MAX_STRIDE};
        let inputs = check_sizes("input_size", &self.input_size, 1, MAX_INPUT_SIDE)?;
        let filter_sizes = check_sizes("filter_size", &self.filter_size, 1, MAX_FILTER_SIDE)?;
        let strides = check_sizes("stride", &self.stride, 1, MAX_STRIDE)?;
        let paddings = check_sizes("padding", &self.padding, 0, MAX_PADDING)?;
        let pool_sizes = check_sizes("pool_size", &self.pool_size, 1, MAX_POOL_SIDE)?;
        let pool_strides = check_sizes("pool_stride", &self.pool_stride, 1, MAX_STRIDE)?;
        non_empty("activation", &self.activation)?;
        non_empty("pool_kind", &self.pool_kind)?;
        non_empty("loss", &self.loss)?;
        non_empty("y", &self.y)?;
        non_empty("lr", &self.lr)?;
        non_empty("output", &self.output)?;
        let channels = check_sizes("channels", &self.channels, 1, limits::MAX_CHANNELS)?;
        let filters = check_sizes("filters", &self.filters, 1, limits::MAX_FILTERS)?;
        let classes = check_sizes("classes", &self.classes, 2, limits::MAX_CLASSES)?;
        let batches = check_sizes("batch", &self.batch, 1, limits::MAX_SAMPLES)?;
        let sigmoid = self.output.options().contains(&Output::Sigmoid);
        let softmax = self.output.options().contains(&Output::Softmax);
        if let Some(y) = self.y.options().iter().find(|&&y| sigmoid && y > 1) {
            return Err(Error::invalid(
                "architecture.y",
                format!("{y} is not a binary label (the output can be sigmoid)"),
                "use 0, 1 or [0, 1]",
            ));
        }
        let fewest_classes = classes[0];
        if let Some(y) = self
            .y
            .options()
            .iter()
            .find(|&&y| softmax && y >= fewest_classes)
        {
            return Err(Error::invalid(
                "architecture.y",
                format!("class {y} is not below classes = {fewest_classes}"),
                format!("use class indices from 0 to {}", fewest_classes - 1),
            ));
        }
        if sigmoid && self.loss.options().contains(&Loss::Ce) {
            return Err(Error::invalid(
                "architecture.loss",
                "ce is the loss of a softmax output, but the output can be sigmoid",
                "use bce or mse (a softmax output always takes ce)",
            ));
        }
        for (k, &lr) in self.lr.options().iter().enumerate() {
            limits::check_number("architecture.lr", || format!("option {}", k + 1), lr)?;
            if lr <= 0.0 {
                return Err(Error::invalid(
                    "architecture.lr",
                    format!("learning rate {lr} would not descend"),
                    "use a positive learning rate such as lr = 0.5",
                ));
            }
        }
        let convs: Vec<Conv> = strides
            .iter()
            .flat_map(|&stride| {
                paddings
                    .iter()
                    .map(move |&padding| Conv { stride, padding })
            })
            .collect();
        let pools: Vec<Pool> = pool_sizes
            .iter()
            .flat_map(|&size| {
                pool_strides.iter().map(move |&stride| Pool {
                    kind: PoolKind::Max, // the kind does not change any shape
                    size,
                    stride,
                })
            })
            .collect();
        let outputs: Vec<usize> = [(sigmoid, vec![1]), (softmax, classes)]
            .into_iter()
            .filter(|(present, _)| *present)
            .flat_map(|(_, k)| k)
            .collect();
        let layers = channels.len() * filters.len() * outputs.len() * batches.len();
        let combinations = inputs.len() * filter_sizes.len() * convs.len() * pools.len() * layers;
        if combinations > MAX_COMBINATIONS {
            return Err(Error::invalid(
                "architecture",
                format!("the size lists allow {combinations} combinations"),
                format!("shorten the lists to at most {MAX_COMBINATIONS} combinations"),
            ));
        }
        let mut shapes = Vec::with_capacity(combinations);
        for &n in &inputs {
            for &k in &filter_sizes {
                for &conv in &convs {
                    for &pool in &pools {
                        let shape = Shapes::derive((n, n), (k, k), conv, pool)
                            .map_err(|e| shape_error(e, n, k, conv, pool))?;
                        for &c_in in &channels {
                            for &c_out in &filters {
                                for &k in &outputs {
                                    for &batch in &batches {
                                        shapes.push(shape.stacked(c_in, c_out, k, batch));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(shapes)
    }
}

/// Restates a shape error of one architecture combination in the config's own keys.
fn shape_error(err: Error, n: usize, k: usize, conv: Conv, pool: Pool) -> Error {
    let Error::Invalid { key, problem, fix } = err else {
        return err;
    };
    let key = match key.as_str() {
        "f1" => "architecture.filter_size",
        "conv.stride" => "architecture.stride",
        "pool.size" => "architecture.pool_size",
        "pool.stride" => "architecture.pool_stride",
        _ => "architecture",
    };
    Error::invalid(
        key,
        format!(
            "input_size = {n}, filter_size = {k}, stride = {}, padding = {}, pool_size = {}, \
             pool_stride = {} make no network: {problem}",
            conv.stride, conv.padding, pool.size, pool.stride
        ),
        format!("{fix}; every combination of the architecture lists must fit"),
    )
}

impl Rules {
    fn validate(&self) -> Result<()> {
        for (key, p) in [
            (
                "rules.z1_min_negative_percent",
                self.z1_min_negative_percent,
            ),
            (
                "rules.z1_min_positive_percent",
                self.z1_min_positive_percent,
            ),
        ] {
            if p > 100 {
                return Err(Error::invalid(
                    key,
                    format!("{p} is not a percentage"),
                    "use a whole number from 0 to 100",
                ));
            }
        }
        if self.z1_min_negative_percent + self.z1_min_positive_percent > 100 {
            return Err(Error::invalid(
                "rules.z1_min_positive_percent",
                format!(
                    "{}% negative plus {}% positive is more than all of Z1",
                    self.z1_min_negative_percent, self.z1_min_positive_percent
                ),
                "make the two percentages add up to 100 or less",
            ));
        }
        for (key, bound) in [
            ("rules.max_abs_z1", self.max_abs_z1),
            ("rules.max_abs_z2", self.max_abs_z2),
        ] {
            // `inf` means no bound.
            if bound.is_nan() || bound <= 0.0 {
                return Err(Error::invalid(
                    key,
                    format!("{bound} admits no value"),
                    "use a positive bound, or inf for none",
                ));
            }
        }
        if self.decimals > MAX_RULE_DECIMALS {
            return Err(Error::invalid(
                "rules.decimals",
                format!("{} decimals", self.decimals),
                format!("use at most {MAX_RULE_DECIMALS}, as --decimals does"),
            ));
        }
        if !(0.0..1.0).contains(&self.min_abs_error) {
            return Err(Error::invalid(
                "rules.min_abs_error",
                format!(
                    "{} is outside [0, 1): |y_hat - y| is below 1",
                    self.min_abs_error
                ),
                "use a value such as 0.1, or 0 for no bound",
            ));
        }
        Ok(())
    }
}

/// Reads a [`Choice`] from one value or from a list of values, keeping `T`'s own error messages
/// (an unknown activation still lists the valid names).
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Choice<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(ChoiceVisitor(PhantomData))
    }
}

struct ChoiceVisitor<T>(PhantomData<T>);

impl<T> ChoiceVisitor<T> {
    fn one<'de, V, E>(value: V) -> std::result::Result<Choice<T>, E>
    where
        T: Deserialize<'de>,
        V: IntoDeserializer<'de, E>,
        E: de::Error,
    {
        T::deserialize(value.into_deserializer()).map(Choice::one)
    }
}

impl<'de, T: Deserialize<'de>> de::Visitor<'de> for ChoiceVisitor<T> {
    type Value = Choice<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or a list of values")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Choice<T>, E> {
        Self::one(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Choice<T>, E> {
        Self::one(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Choice<T>, E> {
        Self::one(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Choice<T>, E> {
        Self::one(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Choice<T>, E> {
        Self::one(v.to_string())
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> std::result::Result<Choice<T>, A::Error> {
        Vec::<T>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Choice::any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<GeneratorConfig> {
        GeneratorConfig::parse(text, "test.toml")
    }

    fn error_of(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn empty_config_is_the_task_3_1_default() {
        assert_eq!(parse("").unwrap(), GeneratorConfig::default());
    }

    #[test]
    fn knobs_take_one_value_or_a_list() {
        let c = parse("[architecture]\nactivation = [\"relu\", \"tanh\"]\ny = [0, 1]\nlr = 1\n")
            .unwrap();
        assert_eq!(
            c.architecture.activation.options(),
            [Activation::Relu, Activation::Tanh]
        );
        assert_eq!(c.architecture.y.options(), [0, 1]);
        assert_eq!(c.architecture.lr.options(), [1.0]);
        assert_eq!(
            c.architecture.input_size,
            Choice::one(5),
            "unset keys keep defaults"
        );
    }

    #[test]
    fn unknown_activation_lists_the_valid_names() {
        let msg = error_of("[architecture]\nactivation = \"softmax\"\n");
        assert!(
            msg.contains("softmax") && msg.contains("leaky_relu"),
            "{msg}"
        );
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let msg = error_of("[rules]\nmax_abs_z3 = 1\n");
        assert!(
            msg.contains("max_abs_z3") && msg.contains("line 2"),
            "{msg}"
        );
        assert!(msg.contains("not a valid generator config"), "{msg}");
    }

    #[test]
    fn value_table_needs_all_its_keys() {
        let msg = error_of("[x]\nmin = 0\nmax = 5\n");
        assert!(msg.contains("step"), "{msg}");
    }

    #[test]
    fn step_must_be_one_over_a_decimal_whole_number() {
        for step in ["0.3", "0", "-0.5", "2", "0.3333333333333333"] {
            let msg = error_of(&format!("[f1]\nmin = -1\nmax = 1\nstep = {step}\n"));
            assert!(msg.contains("`f1.step`"), "{step}: {msg}");
        }
        let grid = Grid::new("f1", &Values::new(-1.0, 1.0, 0.25, None)).unwrap();
        assert_eq!((grid.lo, grid.hi, grid.denominator), (-4, 4, 4));
    }

    #[test]
    fn everything_drawn_fits_an_exercise_file() {
        // A config must not draw what `spec` refuses: sizes, magnitudes and decimals.
        let msg = error_of("[f1]\nmin = -1\nmax = 1\nstep = 0.03125\n");
        assert!(
            msg.contains("`f1.step`") && msg.contains("5 decimals"),
            "{msg}"
        );
        assert!(parse("[f1]\nmin = -1\nmax = 1\nstep = 0.0625\n").is_ok());
        let msg = error_of("[x]\nmin = 0\nmax = 1001\nstep = 1\n");
        assert!(msg.contains("`x.max`"), "{msg}");
        let msg = error_of("[architecture]\nlr = [0.5, 0.00001]\n");
        assert!(
            msg.contains("`architecture.lr`") && msg.contains("option 2"),
            "{msg}"
        );
        let msg = error_of("[architecture]\ninput_size = 20\nfilter_size = 17\n");
        assert!(
            msg.contains("`architecture.filter_size`") && msg.contains("1..=16"),
            "{msg}"
        );
        let msg = error_of("[architecture]\npadding = [0, 9]\n");
        assert!(
            msg.contains("`architecture.padding`") && msg.contains("0..=8"),
            "{msg}"
        );
    }

    #[test]
    fn bounds_must_be_multiples_of_the_step() {
        let msg = error_of("[f1]\nmin = -0.75\nmax = 1\nstep = 0.5\n");
        assert!(
            msg.contains("`f1.min`") && msg.contains("multiple of 0.5"),
            "{msg}"
        );
    }

    #[test]
    fn tenths_are_the_nearest_doubles() {
        let grid = Grid::new("w2", &Values::default_w2()).unwrap();
        assert_eq!(grid.value(3), 0.3);
        assert_eq!(grid.value(-7), -0.7);
        assert!(grid.contains(0.3) && !grid.contains(0.1 + 0.2));
    }

    #[test]
    fn zero_share_needs_zero_in_range() {
        let msg = error_of("[x]\nmin = 1\nmax = 9\nstep = 1\nzero_percent = 50\n");
        assert!(msg.contains("`x.zero_percent`"), "{msg}");
        let msg = error_of("[x]\nmin = 0\nmax = 0\nstep = 1\nzero_percent = 50\n");
        assert!(msg.contains("no non-zero value"), "{msg}");
    }

    #[test]
    fn filter_larger_than_input_names_the_knob_and_fix() {
        let msg = error_of("[architecture]\ninput_size = 2\nfilter_size = 3\n");
        assert!(msg.contains("`architecture.filter_size`"), "{msg}");
        assert!(msg.contains("input_size = 2, filter_size = 3"), "{msg}");
        assert!(msg.contains("use a smaller filter"), "{msg}");
    }

    #[test]
    fn every_listed_combination_must_fit() {
        // 4x4 input, 3x3 filter, stride 2: Z1 is 1x1, too small for the 2x2 pool.
        let msg = error_of(
            "[architecture]\ninput_size = [4, 6]\nfilter_size = [2, 3]\nstride = [1, 2]\n",
        );
        assert!(msg.contains("`architecture.pool_size`"), "{msg}");
        assert!(
            msg.contains("input_size = 4, filter_size = 3, stride = 2"),
            "{msg}"
        );
    }

    #[test]
    fn empty_lists_and_bad_labels_are_rejected() {
        assert!(error_of("[architecture]\nloss = []\n").contains("`architecture.loss`"));
        assert!(error_of("[architecture]\ny = [0, 2]\n").contains("`architecture.y`"));
        let softmax = "[architecture]\noutput = \"softmax\"\nclasses = [3, 4]\n";
        assert!(parse(&format!("{softmax}y = [0, 2]\n")).is_ok());
        assert!(error_of(&format!("{softmax}y = 3\n")).contains("not below classes = 3"));
        assert!(error_of("[architecture]\nloss = \"ce\"\n").contains("`architecture.loss`"));
        assert!(error_of("[architecture]\nchannels = 0\n").contains("`architecture.channels`"));
        assert!(error_of("[architecture]\nclasses = 1\n").contains("`architecture.classes`"));
        assert!(error_of("[architecture]\nlr = -0.5\n").contains("`architecture.lr`"));
        assert!(error_of("[architecture]\nstride = 0\n").contains("`architecture.stride`"));
    }

    #[test]
    fn rules_are_validated() {
        let msg = error_of("[rules]\nz1_min_negative_percent = 60\nz1_min_positive_percent = 60\n");
        assert!(msg.contains("rules.z1_min_positive_percent"), "{msg}");
        assert!(error_of("[rules]\nmax_abs_z2 = nan\n").contains("rules.max_abs_z2"));
        assert!(error_of("[rules]\nmin_abs_error = 1\n").contains("rules.min_abs_error"));
        assert!(error_of("[sampling]\nmax_attempts = 0\n").contains("sampling.max_attempts"));
        // Issue 10: 10^18 attempts of a config that admits nothing ran forever.
        let msg = error_of("[sampling]\nmax_attempts = 1000000000000000000\n");
        assert!(
            msg.contains("`sampling.max_attempts`") && msg.contains("1000000"),
            "{msg}"
        );
        assert!(parse("[sampling]\nmax_attempts = 1000000\n").is_ok());
        assert!(parse("[rules]\nmax_abs_z1 = inf\n").is_ok());
    }
}
