//! The template context: everything a question or solution template may print, as formatted
//! text and structure. Owns the mapping from the solver's values and the shown ([`Shown`])
//! numbers to strings, and the layout decisions that depend on sizes (which sums to write out,
//! how wide matrices get). Must not write sentences: the templates do.

use ndarray::{s, Array2, ArrayView1, ArrayView2};
use serde::Serialize;

use rust_decimal::Decimal;

use super::family::{self, FamilyView};
use super::{Format, Identity, RenderOptions};
use crate::generate::choice::Choice;
use crate::number::{decimal_text, exact_text};
use crate::solve::conv;
use crate::solve::shown::{Rounding, Shown};
use crate::solve::step::Step;
use crate::solve::workload::{self, Workload};
use crate::solve::{piecewise_derivative, Solution, Values, LEAKY_SLOPE};
use crate::spec::difficulty::{Knobs, PartName, TransposedConv};
use crate::spec::{Activation, Loss, PoolKind, Problem, Shapes};

/// Longest sum written out term by term (z2 = sum W2_i S_i + B2, dC/dB1 = sum of entries).
pub(super) const MAX_WRITTEN_TERMS: usize = 6;

/// A matrix of text, row by row.
pub type Rows = Vec<Vec<String>>;
/// A matrix whose `None` cells are answer slots.
pub type AnswerRows = Vec<Vec<Option<String>>>;

/// Everything the templates see. Numbers are strings, already formatted and rounded.
#[derive(Clone, Debug, Serialize)]
pub struct ExamContext {
    /// LaTeX or Markdown.
    pub format: Format,
    /// Body only (no preamble), for `\input` into another document.
    pub fragment: bool,
    /// The question sheet is rendered.
    pub show_question: bool,
    /// The worked solution is rendered.
    pub show_solution: bool,
    /// Seed or file (footer), variant and student (header); user text.
    pub identity: Identity,
    /// The command that writes this document again (footer and QR code); user text.
    pub command: Option<String>,
    /// The solution carries the instructor's note (the workload estimate).
    pub instructor: bool,
    /// The question leaves room to work under every part.
    pub space: bool,
    /// Decimals of every computed number.
    pub decimals: usize,
    /// Which numbers the worked solution shows.
    pub rounding: Rounding,
    /// Most columns of any matrix shown (LaTeX's amsmath needs `MaxMatrixCols` at least this).
    pub max_matrix_cols: usize,
    /// The network's settings.
    pub net: Net,
    /// Layout choices that depend on sizes.
    pub layout: Layout,
    /// Shapes of every matrix.
    pub shapes: ShapeView,
    /// The exercise's inputs.
    pub given: Given,
    /// The worked solution's steps; `None` when only the question is rendered.
    pub steps: Option<Steps>,
    /// What the question gives and where answers go.
    pub answers: Answers,
    /// The difficulty knobs.
    pub knobs: Knobs,
    /// Which parts and questions appear.
    pub asks: Asks,
    /// The instructor note's workload estimate; `None` when only the question is rendered.
    pub workload: Option<Workload>,
    /// With multiple choice, the options of every answer by part; `None` otherwise.
    pub choices: Option<Choices>,
    /// For the wider family (several channels or filters, a softmax output, a mini-batch), what
    /// its own templates print; `None` for the single exercise, whose templates use `steps`.
    pub family: Option<FamilyView>,
}

/// The lettered options of a multiple-choice sheet, by part, in key order.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Choices {
    /// Part a: y_hat and the loss.
    pub a: Vec<ChoiceView>,
    /// Part b: the updated parameters.
    pub b: Vec<ChoiceView>,
    /// Part c: dC/dP0.
    pub c: Vec<ChoiceView>,
}

/// One answer's options.
#[derive(Clone, Debug, Serialize)]
pub struct ChoiceView {
    /// The answer's name (`w2_new_2`).
    pub name: String,
    /// Its step's name (`w2_new`), for the symbol the template prints.
    pub step: &'static str,
    /// Its 1-based index in the step's value (`[]` for a number, `[k]`, `[row, column]`), without
    /// the sample's.
    pub index: Vec<usize>,
    /// The 1-based sample of a per-sample answer in a mini-batch; `None` otherwise.
    pub sample: Option<usize>,
    /// The options in letter order.
    pub options: Vec<OptionView>,
    /// The right letter (for a solution or an answer key; a question must not print it).
    pub correct: String,
}

/// One lettered option.
#[derive(Clone, Debug, Serialize)]
pub struct OptionView {
    /// `A` to `D`.
    pub letter: String,
    /// The value as printed.
    pub text: String,
}

/// The network's settings and the flags that decide which sentences apply.
#[derive(Clone, Debug, Serialize)]
pub struct Net {
    /// Activation of the convolutional layer.
    pub activation: Activation,
    /// Loss on the sigmoid output.
    pub loss: Loss,
    /// Max or average pooling.
    pub pool_kind: PoolKind,
    /// Convolution stride.
    pub conv_stride: usize,
    /// Zero padding on every side.
    pub conv_padding: usize,
    /// Side of the pooling window.
    pub pool_size: usize,
    /// Pooling stride.
    pub pool_stride: usize,
    /// Slope of leaky ReLU for negative inputs.
    pub leaky_slope: String,
    /// The activation's derivative for a positive input, a negative input, and at zero (the
    /// solver's convention at the kink): what the ReLU mask is made of.
    pub grad_positive: String,
    /// The activation's derivative for a negative input.
    pub grad_negative: String,
    /// The activation's derivative at zero.
    pub grad_at_zero: String,
    /// The input has zero padding.
    pub padded: bool,
    /// Conv stride above 1: gradients are dilated.
    pub strided: bool,
    /// Zeros inserted between neighbouring gradient entries when dilating: stride - 1.
    pub dilation_zeros: usize,
    /// Pooling windows overlap (stride < size): gradients add up.
    pub overlapping: bool,
    /// Some rows or columns of the padded input are never read (floored output size).
    pub unread_input: bool,
    /// Some entries of A1 lie in no pooling window (floored pooling output size).
    pub pool_uncovered: bool,
    /// Entries in one pooling window: an average pool divides by this.
    pub pool_area: usize,
}

/// Layout choices that depend on sizes, so that wide matrices stay readable. (LaTeX displays
/// also shrink to the line width when needed; see `latex/exam.tex`.)
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Layout {
    /// Set M^T in `\tiny` rather than `\scriptsize`.
    pub mt_tiny: bool,
    /// Set every vector (W2, S and their gradients) as a column: rows would be too wide.
    pub vector_columns: bool,
}

/// Shapes as [rows, cols]: the network's, plus the two the solution's layout needs.
#[derive(Clone, Debug, Serialize)]
pub struct ShapeView {
    #[serde(flatten)]
    /// The network's shapes.
    pub net: Shapes,
    /// The transposed convolution matrix: (h * w, out_h * out_w).
    pub mt: (usize, usize),
    /// Zero rows and columns around dC/dZ1 for the full convolution: (kh - 1, kw - 1).
    pub frame: (usize, usize),
}

/// The exercise's inputs, printed in full.
#[derive(Clone, Debug, Serialize)]
pub struct Given {
    /// X.
    pub x: Rows,
    /// X with its zero padding (equal to `x` without padding).
    pub x_padded: Rows,
    /// F1.
    pub f1: Rows,
    /// F1 rotated by 180 degrees.
    pub f1_rot: Rows,
    /// B1.
    pub b1: String,
    /// W2.
    pub w2: Vec<String>,
    /// B2.
    pub b2: String,
    /// The label y.
    pub y: String,
    /// The learning rate.
    pub lr: String,
}

/// One sum of products written out: `terms[k] = [left, right]`, then `+ bias` if any.
#[derive(Clone, Debug, Serialize)]
pub struct WrittenSum {
    /// `[left, right]` factors of each product.
    pub terms: Vec<[String; 2]>,
    /// The bias added last, if any.
    pub bias: Option<String>,
    /// The sum's shown value.
    pub value: String,
}

/// A [`WrittenSum`] for one entry of a matrix, with its 1-based row and column.
#[derive(Clone, Debug, Serialize)]
pub struct IndexedSum {
    /// 1-based row.
    pub row: usize,
    /// 1-based column.
    pub col: usize,
    /// The entry's sum.
    pub sum: WrittenSum,
}

/// Every shown step of the worked solution.
#[derive(Clone, Debug, Serialize)]
pub struct Steps {
    /// Z1's top-left entry as a sum of products.
    pub z1_entry: WrittenSum,
    /// Z1.
    pub z1: Rows,
    /// A1.
    pub a1: Rows,
    /// P1.
    pub p1: Rows,
    /// S, the flattened P1.
    pub s: Vec<String>,
    /// z2 term by term, or `None` when S is too long to write out.
    pub z2_sum: Option<WrittenSum>,
    /// z2.
    pub z2: String,
    /// -z2, for the exponent in the sigmoid.
    pub neg_z2: String,
    /// y_hat.
    pub y_hat: String,
    /// The loss.
    pub loss: String,
    /// dC/dz2.
    pub d_z2: String,
    /// dC/dW2.
    pub d_w2: Vec<String>,
    /// dC/dB2.
    pub d_b2: String,
    /// W2 after the step.
    pub w2_new: Vec<String>,
    /// B2 after the step.
    pub b2_new: String,
    /// dC/dS.
    pub d_s: Vec<String>,
    /// dC/dP1.
    pub d_p1: Rows,
    /// dC/dA1.
    pub d_a1: Rows,
    /// The activation's derivative act'(Z1).
    pub act_grad: Rows,
    /// dC/dZ1.
    pub d_z1: Rows,
    /// The part of the padded input the forward pass read; dC/dF1 cross-correlates it.
    pub x_read: Rows,
    /// dC/dZ1 with stride - 1 zeros between entries (equal to `d_z1` at stride 1).
    pub d_z1_dilated: Rows,
    /// dC/dF1.
    pub d_f1: Rows,
    /// One entry of dC/dF1 as a sum of products of the padded input and dC/dZ1 (the terms where
    /// dC/dZ1 is not 0): the first (row-major) with the most non-zero products.
    pub d_f1_entry: IndexedSum,
    /// One entry of dC/dP0 as a sum of products of F1's taps and dC/dZ1: the first (row-major)
    /// with the most non-zero terms.
    pub d_p0_entry: IndexedSum,
    /// The non-zero entries of dC/dZ1 whose sum is dC/dB1, or `None` when too many.
    pub d_b1_terms: Option<Vec<String>>,
    /// dC/dB1.
    pub d_b1: String,
    /// F1 after the step.
    pub f1_new: Rows,
    /// B1 after the step.
    pub b1_new: String,
    /// The transposed convolution matrix M^T: (h * w, out_h * out_w).
    pub mt: Rows,
    /// dC/dZ1 dilated and framed with kh - 1 / kw - 1 zeros for the full convolution.
    pub d_z1_framed: Rows,
    /// The full convolution's result over the padded input.
    pub d_p0_padded: Rows,
    /// dC/dP0.
    pub d_p0: Rows,
    /// vec(dC/dZ1), row-major.
    pub vec_d_z1: Vec<String>,
    /// vec(dC/dP0), row-major.
    pub vec_d_p0: Vec<String>,
}

/// What the question sheet shows: results it gives, and where answers go (given values, or
/// `None` for a slot).
#[derive(Clone, Debug, Serialize)]
pub struct Answers {
    /// The forward pass, for a question that gives it (Z1 alone, or all of it without part a).
    pub z1: Rows,
    /// A1 (given when part a is not asked).
    pub a1: Rows,
    /// P1 (given when part a is not asked).
    pub p1: Rows,
    /// y_hat (given when part a is not asked).
    pub y_hat: String,
    /// dC/dW2 with its first entries given, or `None` when no entry is given.
    pub d_w2: Option<Vec<Option<String>>>,
    /// W2 after the step, its first entries given.
    pub w2_new: Vec<Option<String>>,
    /// F1 after the step, given except its last entries.
    pub f1_new: AnswerRows,
    /// How many entries of dC/dW2 and the updated W2 are given, after clamping.
    pub d_w2_given: usize,
    /// How many entries of the updated F1 are left to fill in, or 0 when none is given.
    pub f1_blanks: usize,
    /// dC/dP0: every entry an answer slot.
    pub d_p0: AnswerRows,
}

/// Which parts and questions appear.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Asks {
    /// Part a is asked.
    pub a: bool,
    /// Part b is asked.
    pub b: bool,
    /// Part c is asked.
    pub c: bool,
    /// M^T is asked within part b.
    pub mt_in_b: bool,
    /// M^T is a bonus question.
    pub mt_bonus: bool,
    /// M^T appears in the solution at all.
    pub mt: bool,
    /// Points of the asked parts, bonus excluded.
    pub total_points: u32,
}

/// Builds the context for the exact `solution` and the shown numbers `shown`.
pub fn build(solution: &Solution, shown: &Shown, options: &RenderOptions) -> ExamContext {
    let problem = &solution.problem;
    let knobs = &options.knobs;
    let shapes = shape_view(problem);
    let family = family::is_family(problem);
    // The steps are most of the work; a question sheet needs only what it may give.
    let shown_text = match options.part.has_solution() || family {
        true => shown.values.map(decimal_text),
        false => shown.values.map_only(GIVEN_STEPS, decimal_text),
    };
    let steps = (options.part.has_solution() && !family)
        .then(|| steps(solution, &shown.values, &shown_text));
    let family = family.then(|| family::build(solution, &shown.values, &shown_text));
    ExamContext {
        format: options.format,
        fragment: options.fragment,
        show_question: options.part.has_question(),
        show_solution: options.part.has_solution(),
        identity: options.identity.clone(),
        command: None,
        instructor: options.instructor,
        space: options.space,
        decimals: options.decimals,
        rounding: options.rounding,
        max_matrix_cols: max_matrix_cols(problem, &shapes),
        net: net(problem),
        layout: layout(&shapes),
        given: given(problem),
        answers: answers(&shown_text, knobs),
        asks: asks(knobs),
        workload: (options.part.has_solution() && options.instructor)
            .then(|| workload::estimate(solution, knobs)),
        choices: choices(&options.choices, &problem.shapes()),
        knobs: knobs.clone(),
        shapes,
        steps,
        family,
    }
}

/// The options of a multiple-choice sheet by part; `None` without options.
fn choices(all: &[Choice], shapes: &Shapes) -> Option<Choices> {
    if all.is_empty() {
        return None;
    }
    let mut by_part = Choices::default();
    for choice in all {
        let shape = crate::solve::value_shape(shapes, choice.step);
        let mut index = choice.step.entry_index(&shape, choice.index);
        let sample = (choice.step.per_sample() && shapes.samples > 1).then(|| index.remove(0));
        let view = ChoiceView {
            name: choice.name.clone(),
            step: choice.step.name(),
            index,
            sample,
            options: choice
                .options
                .iter()
                .map(|o| OptionView {
                    letter: o.letter.to_string(),
                    text: o.text.clone(),
                })
                .collect(),
            correct: choice.correct.to_string(),
        };
        match choice.step.part() {
            Some(PartName::A) => by_part.a.push(view),
            Some(PartName::B) => by_part.b.push(view),
            Some(PartName::C) | None => by_part.c.push(view),
        }
    }
    Some(by_part)
}

/// The steps whose values a question sheet may give (see [`answers`]).
const GIVEN_STEPS: &[Step] = &[
    Step::Z1,
    Step::A1,
    Step::P1,
    Step::YHat,
    Step::DW2,
    Step::W2New,
    Step::F1New,
    Step::DP0,
];

/// Rows of text.
pub(super) fn rows(m: ArrayView2<'_, String>) -> Rows {
    m.rows().into_iter().map(|r| r.to_vec()).collect()
}

/// An input of the exercise, printed in full.
pub(super) fn input(x: f64) -> String {
    exact_text(x)
}

/// A matrix of inputs, printed in full.
pub(super) fn input_rows(m: ArrayView2<'_, f64>) -> Rows {
    rows(m.map(|&x| input(x)).view())
}

/// As [`input_rows`], formatting each distinct value once: for M^T, whose hundreds of entries
/// are the few filter values and zeros.
fn input_rows_few_values(m: ArrayView2<'_, f64>) -> Rows {
    let mut seen: Vec<(u64, String)> = Vec::new();
    let mut text = |v: f64| -> String {
        if let Some((_, t)) = seen.iter().find(|(bits, _)| *bits == v.to_bits()) {
            return t.clone();
        }
        let t = input(v);
        seen.push((v.to_bits(), t.clone()));
        t
    };
    m.rows()
        .into_iter()
        .map(|r| r.iter().map(|&v| text(v)).collect())
        .collect()
}

/// The network's settings as the templates print them.
pub fn net(problem: &Problem) -> Net {
    let shapes = problem.shapes();
    let (conv, pool) = (problem.conv, problem.pool);
    let (read_rows, read_cols) = read_size(&shapes, conv.stride);
    // The derivative's values above and at/below zero, from the chain's definition; sigmoid
    // and tanh have no such constants.
    let (positive, negative) = piecewise_derivative(problem.activation)
        .map_or((String::new(), String::new()), |(up, down)| {
            (input(up), input(down))
        });
    Net {
        activation: problem.activation,
        loss: problem.loss,
        pool_kind: pool.kind,
        conv_stride: conv.stride,
        conv_padding: conv.padding,
        pool_size: pool.size,
        pool_stride: pool.stride,
        leaky_slope: input(LEAKY_SLOPE),
        grad_positive: positive,
        grad_at_zero: negative.clone(),
        grad_negative: negative,
        padded: conv.padding > 0,
        strided: conv.stride > 1,
        dilation_zeros: conv.stride - 1,
        overlapping: pool.stride < pool.size,
        unread_input: read_rows < shapes.padded.0 || read_cols < shapes.padded.1,
        pool_uncovered: !(shapes.z1.0 - pool.size).is_multiple_of(pool.stride)
            || !(shapes.z1.1 - pool.size).is_multiple_of(pool.stride),
        pool_area: pool.size * pool.size,
    }
}

/// Columns of M^T that still fit an A4 line with 2 cm margins in `\scriptsize` (checked by eye
/// on Task 3.1's 16 columns); wider ones are set in `\tiny`.
const MT_SCRIPTSIZE_COLS: usize = 16;
/// Longest vector set as a row: `W2 - lr * dC/dW2` with three such rows fits one line.
const MAX_ROW_VECTOR: usize = 6;

fn layout(shapes: &ShapeView) -> Layout {
    Layout {
        mt_tiny: shapes.mt.1 > MT_SCRIPTSIZE_COLS,
        vector_columns: shapes.net.s > MAX_ROW_VECTOR,
    }
}

fn shape_view(problem: &Problem) -> ShapeView {
    let s = problem.shapes();
    ShapeView {
        mt: (s.x.0 * s.x.1, s.z1.0 * s.z1.1),
        frame: (s.f1.0 - 1, s.f1.1 - 1),
        net: s,
    }
}

/// The exercise's inputs, printed in full.
pub fn given(problem: &Problem) -> Given {
    Given {
        x: input_rows(problem.x(0, 0)),
        x_padded: input_rows(conv::pad(problem.x(0, 0), problem.conv.padding, 0.0).view()),
        f1: input_rows(problem.filter(0, 0)),
        f1_rot: input_rows(conv::rotate_180(problem.filter(0, 0)).view()),
        b1: input(problem.b1[0]),
        w2: problem.w2.row(0).iter().map(|&w| input(w)).collect(),
        b2: input(problem.b2[0]),
        y: problem.samples[0].y.to_string(),
        lr: input(problem.lr),
    }
}

fn steps(solution: &Solution, shown: &Values<Decimal>, text: &Values<String>) -> Steps {
    let problem = &solution.problem;
    let stride = problem.conv.stride;
    let zero = || "0".to_string();
    let d_z1 = text.map_of0(Step::DZ1);
    let d_z1_dilated = conv::dilate(d_z1, stride, zero());
    let (kh, kw) = problem.filter(0, 0).dim();
    let padded = conv::pad(problem.x(0, 0), problem.conv.padding, 0.0);
    let x_read = read_part(padded.view(), &problem.shapes(), stride);
    let mt = solution.conv_matrix.t().to_owned();
    let list = |step| text.vector0(step).to_vec();
    let one = |step| text.scalar(step).clone();
    let map = |step| rows(text.map_of0(step));
    Steps {
        z1_entry: z1_entry(problem, text),
        z1: map(Step::Z1),
        a1: map(Step::A1),
        p1: map(Step::P1),
        s: list(Step::S),
        z2_sum: z2_sum(problem, text),
        z2: one(Step::Z2),
        neg_z2: decimal_text(&-*shown.scalar(Step::Z2)),
        y_hat: one(Step::YHat),
        loss: one(Step::Loss),
        d_z2: one(Step::DZ2),
        d_w2: list(Step::DW2),
        d_b2: one(Step::DB2),
        w2_new: list(Step::W2New),
        b2_new: one(Step::B2New),
        d_s: list(Step::DS),
        d_p1: map(Step::DP1),
        d_a1: map(Step::DA1),
        act_grad: map(Step::ActGrad),
        d_z1: rows(d_z1),
        x_read: input_rows(x_read.view()),
        d_z1_dilated: rows(d_z1_dilated.view()),
        d_f1: rows(text.filter(Step::DF1, 0, 0)),
        d_f1_entry: d_f1_entry(problem, &padded, shown, text),
        d_p0_entry: d_p0_entry(problem, shown, text),
        d_b1_terms: written_terms(shown.map_of0(Step::DZ1)),
        d_b1: one(Step::DB1),
        f1_new: rows(text.filter(Step::F1New, 0, 0)),
        b1_new: one(Step::B1New),
        mt: input_rows_few_values(mt.view()),
        d_z1_framed: rows(conv::full_conv_frame(d_z1, (kh, kw), stride, zero()).view()),
        d_p0_padded: map(Step::DP0Padded),
        d_p0: map(Step::DP0),
        vec_d_z1: d_z1.iter().cloned().collect(),
        vec_d_p0: text.map_of0(Step::DP0).iter().cloned().collect(),
    }
}

/// The top-left entry of the first map of the first sample: the first window of every padded
/// input channel times the first filter's matrix over it (channel by channel), plus its bias.
pub(super) fn z1_entry(problem: &Problem, text: &Values<String>) -> WrittenSum {
    let shapes = problem.shapes();
    let (kh, kw) = shapes.f1;
    let terms = (0..shapes.channels)
        .flat_map(|c| {
            let padded = conv::pad(problem.x(0, c), problem.conv.padding, 0.0);
            let window = padded.slice(s![..kh, ..kw]).to_owned();
            window
                .iter()
                .zip(problem.filter(0, c).iter())
                .map(|(&x, &f)| [input(x), input(f)])
                .collect::<Vec<_>>()
        })
        .collect();
    WrittenSum {
        terms,
        bias: Some(input(problem.b1[0])),
        value: text.map_of(Step::Z1, 0, 0)[(0, 0)].clone(),
    }
}

/// Rows and columns of the padded input that some window of the convolution reads (a floored
/// output size leaves the rest unread).
fn read_size(shapes: &Shapes, stride: usize) -> (usize, usize) {
    (
        (shapes.z1.0 - 1) * stride + shapes.f1.0,
        (shapes.z1.1 - 1) * stride + shapes.f1.1,
    )
}

/// The part of a padded input channel that the forward pass read: what dC/dF1 cross-correlates.
pub(super) fn read_part(
    padded: ArrayView2<'_, f64>,
    shapes: &Shapes,
    stride: usize,
) -> Array2<f64> {
    let (rows, cols) = read_size(shapes, stride);
    padded.slice(s![..rows, ..cols]).to_owned()
}

/// The entry of dC/dF1 with the most non-zero products (the first in row-major order on a
/// tie), written out: the padded input under tap (a, b) of every window times that window's
/// dC/dZ1, for the windows where dC/dZ1 is not 0.
fn d_f1_entry(
    problem: &Problem,
    padded: &Array2<f64>,
    shown: &Values<Decimal>,
    text: &Values<String>,
) -> IndexedSum {
    let stride = problem.conv.stride;
    let d_z1 = shown.map_of0(Step::DZ1);
    let live: Vec<(usize, usize)> = d_z1
        .indexed_iter()
        .filter(|(_, g)| !g.is_zero())
        .map(|(at, _)| at)
        .collect();
    let x_under =
        |(a, b): (usize, usize), (i, j): (usize, usize)| padded[(i * stride + a, j * stride + b)];
    let (kh, kw) = problem.filter(0, 0).dim();
    let mut best = ((0, 0), 0);
    for a in 0..kh {
        for b in 0..kw {
            let products = live
                .iter()
                .filter(|&&at| x_under((a, b), at) != 0.0)
                .count();
            if products > best.1 {
                best = ((a, b), products);
            }
        }
    }
    let (tap, _) = best;
    let d_z1_text = text.map_of0(Step::DZ1);
    IndexedSum {
        row: tap.0 + 1,
        col: tap.1 + 1,
        sum: WrittenSum {
            terms: live
                .iter()
                .map(|&at| [input(x_under(tap, at)), d_z1_text[at].clone()])
                .collect(),
            bias: None,
            value: text.filter(Step::DF1, 0, 0)[tap].clone(),
        },
    }
}

/// The non-zero terms of dC/dP0[r][c]: F1's tap at (r, c) in every window that covers it (in
/// padded coordinates) times that window's dC/dZ1.
fn d_p0_terms(
    problem: &Problem,
    d_z1: ArrayView2<'_, Decimal>,
    (r, c): (usize, usize),
) -> Vec<((usize, usize), (usize, usize))> {
    let (kh, kw) = problem.filter(0, 0).dim();
    let (stride, p) = (problem.conv.stride, problem.conv.padding);
    d_z1.indexed_iter()
        .filter(|(_, g)| !g.is_zero())
        .filter_map(|((i, j), _)| {
            let a = (r + p).checked_sub(i * stride).filter(|&a| a < kh)?;
            let b = (c + p).checked_sub(j * stride).filter(|&b| b < kw)?;
            (problem.filter(0, 0)[(a, b)] != 0.0).then_some(((a, b), (i, j)))
        })
        .collect()
}

/// The entry of dC/dP0 with the most non-zero terms (the first in row-major order on a tie),
/// written out.
fn d_p0_entry(problem: &Problem, shown: &Values<Decimal>, text: &Values<String>) -> IndexedSum {
    let d_z1 = shown.map_of0(Step::DZ1);
    let (h, w) = problem.x(0, 0).dim();
    let mut best = ((0, 0), Vec::new());
    for r in 0..h {
        for c in 0..w {
            let terms = d_p0_terms(problem, d_z1, (r, c));
            if terms.len() > best.1.len() {
                best = ((r, c), terms);
            }
        }
    }
    let ((r, c), terms) = best;
    let d_z1_text = text.map_of0(Step::DZ1);
    IndexedSum {
        row: r + 1,
        col: c + 1,
        sum: WrittenSum {
            terms: terms
                .into_iter()
                .map(|(tap, at)| [input(problem.filter(0, 0)[tap]), d_z1_text[at].clone()])
                .collect(),
            bias: None,
            value: text.map_of0(Step::DP0)[(r, c)].clone(),
        },
    }
}

fn z2_sum(problem: &Problem, text: &Values<String>) -> Option<WrittenSum> {
    let s = text.vector0(Step::S);
    (s.len() <= MAX_WRITTEN_TERMS).then(|| WrittenSum {
        terms: problem
            .w2
            .row(0)
            .iter()
            .zip(s.iter())
            .map(|(&w, s)| [input(w), s.clone()])
            .collect(),
        bias: Some(input(problem.b2[0])),
        value: text.scalar(Step::Z2).clone(),
    })
}

/// The non-zero entries of `m`, as text, when there are few enough to write out.
pub(super) fn written_terms(m: ArrayView2<'_, Decimal>) -> Option<Vec<String>> {
    let terms: Vec<String> = m
        .iter()
        .filter(|v| !v.is_zero())
        .map(decimal_text)
        .collect();
    (terms.len() <= MAX_WRITTEN_TERMS).then_some(terms)
}

/// What the question gives, read off the shown values: knobs never compute anything.
fn answers(text: &Values<String>, knobs: &Knobs) -> Answers {
    let d_w2 = text.vector0(Step::DW2);
    let n = d_w2.len();
    // The student always computes at least one entry.
    let given = knobs.give_d_w2.min(n.saturating_sub(1));
    let partial = |v: ArrayView1<'_, String>| -> Vec<Option<String>> {
        v.iter()
            .enumerate()
            .map(|(k, x)| (k < given).then(|| x.clone()))
            .collect()
    };
    let f1_new = text.filter(Step::F1New, 0, 0);
    let (kh, kw) = f1_new.dim();
    let blanks = knobs.give_f1_except.map_or(0, |b| b.min(kh * kw));
    let first_blank = if blanks == 0 { 0 } else { kh * kw - blanks };
    let f1_rows = (0..kh)
        .map(|i| {
            (0..kw)
                .map(|j| {
                    let k = i * kw + j;
                    (blanks > 0 && k < first_blank).then(|| f1_new[(i, j)].clone())
                })
                .collect()
        })
        .collect();
    let (h, w) = text.map_of0(Step::DP0).dim();
    Answers {
        z1: rows(text.map_of0(Step::Z1)),
        a1: rows(text.map_of0(Step::A1)),
        p1: rows(text.map_of0(Step::P1)),
        y_hat: text.scalar(Step::YHat).clone(),
        d_w2: (given > 0).then(|| partial(d_w2)),
        w2_new: partial(text.vector0(Step::W2New)),
        f1_new: f1_rows,
        d_w2_given: given,
        f1_blanks: blanks,
        d_p0: vec![vec![None; w]; h],
    }
}

fn asks(knobs: &Knobs) -> Asks {
    let (a, b, c) = (
        knobs.asks(PartName::A),
        knobs.asks(PartName::B),
        knobs.asks(PartName::C),
    );
    let mt = knobs.transposed_conv_shown();
    let p = knobs.points;
    Asks {
        a,
        b,
        c,
        mt_in_b: mt && knobs.transposed_conv == TransposedConv::Ask,
        mt_bonus: mt && knobs.transposed_conv == TransposedConv::Extra,
        mt,
        total_points: u32::from(a) * p.a + u32::from(b) * p.b + u32::from(c) * p.c,
    }
}

fn max_matrix_cols(problem: &Problem, shapes: &ShapeView) -> usize {
    let (kw, stride) = (problem.filter(0, 0).dim().1, problem.conv.stride);
    // dC/dZ1 dilated and framed for the full convolution.
    let framed = (shapes.net.z1.1 - 1) * stride + 1 + 2 * (kw - 1);
    [shapes.net.padded.1, shapes.net.s, shapes.mt.1, framed]
        .into_iter()
        .max()
        .unwrap_or(0)
}

/// Temporary accessors of the first sample, map and output (old family).
trait First<N> {
    fn map_of0(&self, step: Step) -> ArrayView2<'_, N>;
    fn vector0(&self, step: Step) -> ArrayView1<'_, N>;
}

impl<N> First<N> for Values<N> {
    fn map_of0(&self, step: Step) -> ArrayView2<'_, N> {
        self.map_of(step, 0, 0)
    }
    fn vector0(&self, step: Step) -> ArrayView1<'_, N> {
        self.get(step)
            .view()
            .into_dimensionality::<ndarray::Ix2>()
            .unwrap()
            .index_axis_move(ndarray::Axis(0), 0)
    }
}
