//! The template context of the wider exercise family (several input channels, several filters,
//! a softmax output, a mini-batch): what `shared/family-question.tera` and
//! `shared/family-solution.tera` print, per sample, per map and per channel. Like `context`, it
//! maps the solver's shown values to strings and writes no sentences.

use rust_decimal::Decimal;
use serde::Serialize;

use super::context::{
    input, input_rows, read_part, rows, written_terms, z1_entry, AnswerRows, Rows, WrittenSum,
    MAX_WRITTEN_TERMS,
};
use crate::number::decimal_text;
use crate::solve::conv;
use crate::solve::step::Step;
use crate::solve::{Solution, Values};
use crate::spec::{Output, Problem};

/// Everything the family templates see beyond the single exercise's context.
#[derive(Clone, Debug, Serialize)]
pub struct FamilyView {
    /// Input channels C_in.
    pub channels: usize,
    /// Filters, and feature maps, C_out.
    pub maps: usize,
    /// Outputs of the network: K classes, or 1 for a sigmoid output.
    pub classes: usize,
    /// Samples N.
    pub samples_count: usize,
    /// The output is a softmax over the classes.
    pub softmax: bool,
    /// The exercise is a mini-batch of several samples.
    pub batch: bool,
    /// The filters with their biases, gradients and updates.
    pub filters: Vec<FilterView>,
    /// W2: (K, n), one row for a sigmoid output.
    pub w2: Rows,
    /// W2 transposed: (n, K).
    pub w2_t: Rows,
    /// B2: K entries.
    pub b2: Vec<String>,
    /// dC/dW2 (the batch mean): (K, n).
    pub d_w2: Rows,
    /// dC/dB2 (the batch mean): K entries.
    pub d_b2: Vec<String>,
    /// W2 after the step: (K, n).
    pub w2_new: Rows,
    /// B2 after the step: K entries.
    pub b2_new: Vec<String>,
    /// The cost: the mean of the samples' losses (the loss of a single sample).
    pub cost: String,
    /// Z1's first entry of the first map of the first sample, summed over every channel's
    /// window and tap.
    pub z1_entry: WrittenSum,
    /// The samples in file order.
    pub samples: Vec<SampleView>,
    /// Answer slots of the question sheet.
    pub slots: Slots,
}

/// One filter (one feature map): its matrix per input channel and its bias.
#[derive(Clone, Debug, Serialize)]
pub struct FilterView {
    /// 1-based.
    pub index: usize,
    /// B1 of this map.
    pub b1: String,
    /// dC/dB1 of this map (the batch mean).
    pub d_b1: String,
    /// The non-zero entries of the map's dC/dZ1 whose sum is dC/dB1 (one sample only), or
    /// `None` when too many or in a batch.
    pub d_b1_terms: Option<Vec<String>>,
    /// B1 of this map after the step.
    pub b1_new: String,
    /// The filter's matrix per input channel.
    pub channels: Vec<FilterChannelView>,
}

/// The matrix of one filter over one input channel.
#[derive(Clone, Debug, Serialize)]
pub struct FilterChannelView {
    /// 1-based input channel.
    pub index: usize,
    /// F1[o][c].
    pub f1: Rows,
    /// F1[o][c] rotated by 180 degrees.
    pub f1_rot: Rows,
    /// dC/dF1[o][c] (the batch mean).
    pub d_f1: Rows,
    /// F1[o][c] after the step.
    pub f1_new: Rows,
}

/// One sample's forward pass and its own gradients.
#[derive(Clone, Debug, Serialize)]
pub struct SampleView {
    /// 1-based.
    pub index: usize,
    /// The label (sigmoid) or class index 0..K-1 (softmax).
    pub y: String,
    /// onehot(y) over the K classes (softmax); empty for a sigmoid output.
    pub onehot: Vec<String>,
    /// The sample's input channels.
    pub inputs: Vec<InputView>,
    /// The sample's feature maps.
    pub maps: Vec<MapView>,
    /// S, the maps flattened map by map.
    pub s: Vec<String>,
    /// z2 = W2 S + B2: K entries.
    pub z2: Vec<String>,
    /// Every entry of z2 as a sum of products, or `None` when S is too long to write out.
    pub z2_sums: Option<Vec<WrittenSum>>,
    /// -z2, for the exponent of a sigmoid output (its one entry).
    pub neg_z2: String,
    /// y_hat: K entries.
    pub y_hat: Vec<String>,
    /// y_hat of the true class (softmax): what the loss takes the logarithm of.
    pub y_hat_true: String,
    /// The 1-based index of the true class (softmax).
    pub true_class: usize,
    /// The sample's loss C^n.
    pub loss: String,
    /// dC^n/dz2: K entries.
    pub d_z2: Vec<String>,
    /// dC^n/dS.
    pub d_s: Vec<String>,
    /// dC^n/dP0 per input channel.
    pub d_p0: Vec<InputGradView>,
}

/// One input channel of one sample.
#[derive(Clone, Debug, Serialize)]
pub struct InputView {
    /// 1-based.
    pub index: usize,
    /// X[c].
    pub x: Rows,
    /// X[c] with its zero padding.
    pub x_padded: Rows,
    /// The part of the padded channel the forward pass read; dC/dF1 cross-correlates it.
    pub x_read: Rows,
}

/// One feature map of one sample, forward and backward.
#[derive(Clone, Debug, Serialize)]
pub struct MapView {
    /// 1-based.
    pub index: usize,
    /// Z1[o].
    pub z1: Rows,
    /// A1[o].
    pub a1: Rows,
    /// P1[o].
    pub p1: Rows,
    /// dC^n/dP1[o].
    pub d_p1: Rows,
    /// dC^n/dA1[o].
    pub d_a1: Rows,
    /// act'(Z1[o]).
    pub act_grad: Rows,
    /// dC^n/dZ1[o].
    pub d_z1: Rows,
    /// dC^n/dZ1[o] dilated by the stride.
    pub d_z1_dilated: Rows,
    /// dC^n/dZ1[o] dilated and framed for the full convolution.
    pub d_z1_framed: Rows,
}

/// dC^n/dP0 of one input channel of one sample.
#[derive(Clone, Debug, Serialize)]
pub struct InputGradView {
    /// 1-based.
    pub index: usize,
    /// The full convolution's result over the padded channel.
    pub d_p0_padded: Rows,
    /// dC^n/dP0[c].
    pub d_p0: Rows,
}

/// Empty answer places in the shapes the question asks for.
#[derive(Clone, Debug, Serialize)]
pub struct Slots {
    /// y_hat of one sample: K entries.
    pub y_hat: Vec<Option<String>>,
    /// W2 after the step: (K, n).
    pub w2_new: AnswerRows,
    /// B2 after the step: K entries.
    pub b2_new: Vec<Option<String>>,
    /// One filter matrix after the step: (kh, kw).
    pub f1_new: AnswerRows,
    /// dC/dP0 of one channel: (h, w).
    pub d_p0: AnswerRows,
}

/// Whether `problem` belongs to the wider family: its sheets are the family templates'.
pub fn is_family(problem: &Problem) -> bool {
    problem.shapes().channels > 1
        || problem.written.maps()
        || problem.output == Output::Softmax
        || problem.written.batch
}

/// The family context of `solution`, from the shown values (`shown`) and their text.
pub fn build(solution: &Solution, shown: &Values<Decimal>, text: &Values<String>) -> FamilyView {
    let problem = &solution.problem;
    let shapes = problem.shapes();
    let w2 = input_rows(problem.w2.view());
    let vector = |step: Step| text.get(step).iter().cloned().collect::<Vec<_>>();
    let matrix = |step: Step| {
        let value = text.get(step);
        let (k, n) = (value.shape()[0], value.shape()[1]);
        (0..k)
            .map(|r| (0..n).map(|c| value[[r, c]].clone()).collect())
            .collect::<Rows>()
    };
    let filters = (0..shapes.maps)
        .map(|o| FilterView {
            index: o + 1,
            b1: input(problem.b1[o]),
            d_b1: text.get(Step::DB1)[[o]].clone(),
            d_b1_terms: (shapes.samples == 1)
                .then(|| written_terms(shown.map_of(Step::DZ1, 0, o)))
                .flatten(),
            b1_new: text.get(Step::B1New)[[o]].clone(),
            channels: (0..shapes.channels)
                .map(|c| FilterChannelView {
                    index: c + 1,
                    f1: input_rows(problem.filter(o, c)),
                    f1_rot: input_rows(conv::rotate_180(problem.filter(o, c)).view()),
                    d_f1: rows(text.filter(Step::DF1, o, c)),
                    f1_new: rows(text.filter(Step::F1New, o, c)),
                })
                .collect(),
        })
        .collect();
    let slot_rows = |(h, w): (usize, usize)| vec![vec![None; w]; h];
    FamilyView {
        channels: shapes.channels,
        maps: shapes.maps,
        classes: shapes.classes,
        samples_count: shapes.samples,
        softmax: problem.output == Output::Softmax,
        batch: shapes.samples > 1,
        filters,
        w2_t: rows(w2_transposed(&w2).view()),
        w2,
        b2: problem.b2.iter().map(|&b| input(b)).collect(),
        d_w2: matrix(Step::DW2),
        d_b2: vector(Step::DB2),
        w2_new: matrix(Step::W2New),
        b2_new: vector(Step::B2New),
        cost: text.scalar(Step::Cost).clone(),
        z1_entry: z1_entry(problem, text),
        samples: (0..shapes.samples)
            .map(|n| sample(solution, shown, text, n))
            .collect(),
        slots: Slots {
            y_hat: vec![None; shapes.classes],
            w2_new: slot_rows((shapes.classes, shapes.s)),
            b2_new: vec![None; shapes.classes],
            f1_new: slot_rows(shapes.f1),
            d_p0: slot_rows(shapes.x),
        },
    }
}

/// `rows` transposed.
fn w2_transposed(rows: &Rows) -> ndarray::Array2<String> {
    let (k, n) = (rows.len(), rows[0].len());
    ndarray::Array2::from_shape_fn((n, k), |(i, j)| rows[j][i].clone())
}

/// Sample `n`'s view.
fn sample(
    solution: &Solution,
    shown: &Values<Decimal>,
    text: &Values<String>,
    n: usize,
) -> SampleView {
    let problem = &solution.problem;
    let shapes = problem.shapes();
    let (stride, p) = (problem.conv.stride, problem.conv.padding);
    let zero = || "0".to_string();
    let row = |step: Step| text.row_of(step, n).to_vec();
    let (kh, kw) = shapes.f1;
    let maps: Vec<MapView> = (0..shapes.maps)
        .map(|o| {
            let d_z1 = text.map_of(Step::DZ1, n, o);
            let map = |step| rows(text.map_of(step, n, o));
            MapView {
                index: o + 1,
                z1: map(Step::Z1),
                a1: map(Step::A1),
                p1: map(Step::P1),
                d_p1: map(Step::DP1),
                d_a1: map(Step::DA1),
                act_grad: map(Step::ActGrad),
                d_z1: rows(d_z1),
                d_z1_dilated: rows(conv::dilate(d_z1, stride, zero()).view()),
                d_z1_framed: rows(conv::full_conv_frame(d_z1, (kh, kw), stride, zero()).view()),
            }
        })
        .collect();
    let inputs = (0..shapes.channels)
        .map(|c| {
            let padded = conv::pad(problem.x(n, c), p, 0.0);
            InputView {
                index: c + 1,
                x: input_rows(problem.x(n, c)),
                x_read: input_rows(read_part(padded.view(), &shapes, stride).view()),
                x_padded: input_rows(padded.view()),
            }
        })
        .collect();
    let y = problem.samples[n].y;
    let softmax = problem.output == Output::Softmax;
    let y_hat = row(Step::YHat);
    let s = row(Step::S);
    let z2 = row(Step::Z2);
    let z2_sums = (s.len() <= MAX_WRITTEN_TERMS).then(|| {
        problem
            .w2
            .outer_iter()
            .zip(&z2)
            .zip(problem.b2.iter())
            .map(|((weights, value), &bias)| WrittenSum {
                terms: weights
                    .iter()
                    .zip(&s)
                    .map(|(&w, s)| [input(w), s.clone()])
                    .collect(),
                bias: Some(input(bias)),
                value: value.clone(),
            })
            .collect()
    });
    SampleView {
        index: n + 1,
        y: y.to_string(),
        onehot: match softmax {
            true => (0..shapes.classes)
                .map(|k| if k == y { "1" } else { "0" }.to_string())
                .collect(),
            false => Vec::new(),
        },
        inputs,
        maps,
        neg_z2: decimal_text(&-shown.row_of(Step::Z2, n)[0]),
        z2_sums,
        z2,
        s,
        y_hat_true: y_hat[if softmax { y } else { 0 }].clone(),
        true_class: y + 1,
        y_hat,
        loss: text.get(Step::Loss)[[n]].clone(),
        d_z2: row(Step::DZ2),
        d_s: row(Step::DS),
        d_p0: (0..shapes.channels)
            .map(|c| InputGradView {
                index: c + 1,
                d_p0_padded: rows(text.map_of(Step::DP0Padded, n, c)),
                d_p0: rows(text.map_of(Step::DP0, n, c)),
            })
            .collect(),
    }
}
