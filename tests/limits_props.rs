//! The limits of "What nnexam refuses, and why" hold both ways (issue 10):
//!
//! - every exercise within them is accepted, solves, and shows in exact decimal arithmetic
//!   (stepwise and exact rounding, 0 to 10 decimals) without an error: sizes, magnitudes and
//!   decimals drawn anywhere in the limits, and the corners where the digits run out first;
//! - every exercise file, however absurd its numbers and shapes, is either refused with an
//!   error naming its key, or is such an exercise.

use nnexam::limits::{
    MAX_DECIMALS, MAX_FILTER_SIDE, MAX_INPUT_SIDE, MAX_MAGNITUDE, MAX_PADDING, MAX_POOL_SIDE,
    MAX_STRIDE,
};
use nnexam::solve::{self, shown, shown::Rounding};
use nnexam::spec::{Activation, Conv, ExerciseFile, Loss, Pool, PoolKind, Problem};
use proptest::prelude::*;

/// Every number of an exercise within the limits: k / 10^4 for |k| <= 10^7, drawn mostly from
/// the extremes (most digits) and small values (most structure), sometimes anywhere.
fn number() -> BoxedStrategy<f64> {
    let scale = 10f64.powi(MAX_DECIMALS as i32);
    let max = (MAX_MAGNITUDE * scale) as i64;
    prop_oneof![
        3 => (-max..=max).prop_map(move |k| k as f64 / scale),
        2 => prop::sample::select(vec![1000.0, -1000.0, 999.9999, -999.9999, 0.0001, -0.0001]),
        2 => (-9i64..=9).prop_map(|k| k as f64),
        1 => Just(0.0),
    ]
    .boxed()
}

/// Numbers as hand exercises have them: at most 2 in magnitude, up to 4 decimals, so that the
/// output is not saturated and every digit of the worked solution matters.
fn small_number() -> BoxedStrategy<f64> {
    let scale = 10f64.powi(MAX_DECIMALS as i32);
    (-2 * scale as i64..=2 * scale as i64)
        .prop_map(move |k| k as f64 / scale)
        .boxed()
}

fn matrix(
    number: fn() -> BoxedStrategy<f64>,
    rows: usize,
    columns: usize,
) -> impl Strategy<Value = Vec<Vec<f64>>> {
    prop::collection::vec(prop::collection::vec(number(), columns), rows)
}

/// An exercise anywhere within the limits, its numbers drawn by `number`: shapes first (every
/// size up to its limit, each valid for the one before), then the numbers.
fn exercise(number: fn() -> BoxedStrategy<f64>) -> impl Strategy<Value = ExerciseFile> {
    let shape = (1..=MAX_INPUT_SIDE, 1..=MAX_INPUT_SIDE, 0..=MAX_PADDING)
        .prop_flat_map(|(h, w, padding)| {
            let filter = |side: usize| 1..=(side + 2 * padding).min(MAX_FILTER_SIDE);
            (Just((h, w, padding)), filter(h), filter(w), 1..=MAX_STRIDE)
        })
        .prop_flat_map(|((h, w, padding), kh, kw, stride)| {
            let out = |side: usize, k: usize| (side + 2 * padding - k) / stride + 1;
            let (oh, ow) = (out(h, kh), out(w, kw));
            let pool = 1..=oh.min(ow).min(MAX_POOL_SIDE);
            (
                Just((h, w, padding, kh, kw, stride, oh, ow)),
                pool,
                1..=MAX_STRIDE,
            )
        });
    let settings = (
        prop::sample::select(vec![
            Activation::Relu,
            Activation::LeakyRelu,
            Activation::Sigmoid,
            Activation::Tanh,
        ]),
        prop::sample::select(vec![Loss::Bce, Loss::Mse]),
        prop::sample::select(vec![PoolKind::Max, PoolKind::Avg]),
        0u8..=1,
    );
    (shape, settings).prop_flat_map(
        move |(((h, w, padding, kh, kw, stride, oh, ow), size, pool_stride), settings)| {
            let (activation, loss, kind, y) = settings;
            let p = |side: usize| (side - size) / pool_stride + 1;
            let n = p(oh) * p(ow);
            let lr = number().prop_filter("a positive learning rate", |lr| *lr > 0.0);
            let (x, f1) = (matrix(number, h, w), matrix(number, kh, kw));
            (x, f1, number(), prop::collection::vec(number(), n))
                .prop_flat_map(move |(x, f1, b1, w2)| (Just((x, f1, b1, w2)), number(), lr.clone()))
                .prop_map(move |((x, f1, b1, w2), b2, lr)| ExerciseFile {
                    x: Some(x.into()),
                    f1: f1.into(),
                    b1: b1.into(),
                    w2: w2.into(),
                    b2: b2.into(),
                    y: Some(usize::from(y)),
                    lr,
                    activation,
                    loss: Some(loss),
                    conv: Conv { stride, padding },
                    pool: Pool {
                        kind,
                        size,
                        stride: pool_stride,
                    },
                    output: Default::default(),
                    sample: None,
                })
        },
    )
}

/// Solves `file` and shows it in both roundings at `decimals`; the error says where it failed.
fn solve_and_show(file: &ExerciseFile, decimals: usize) -> Result<(), String> {
    let problem = Problem::from_file(file).map_err(|e| format!("refused: {e}"))?;
    let solution = solve::solve(&problem).map_err(|e| format!("solve: {e}"))?;
    for rounding in [Rounding::Stepwise, Rounding::Exact] {
        shown::shown(&solution, decimals, rounding)
            .map_err(|e| format!("{rounding:?} at {decimals} decimals: {e}"))?;
    }
    Ok(())
}

proptest! {
    // Each case solves one exercise twice in exact decimals: well under a second even at the
    // largest sizes in a debug build.
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_exercise_within_the_limits_solves_and_shows(
        file in prop_oneof![exercise(number), exercise(small_number)],
        decimals in 0usize..=10,
    ) {
        if let Err(e) = solve_and_show(&file, decimals) {
            prop_assert!(false, "{e}");
        }
    }
}

/// A shape at the limits, every number `value` (with `weight` for W2), shown at 10 decimals.
fn corner(kh: usize, pool: Pool, value: f64, weight: f64) -> ExerciseFile {
    let side = MAX_INPUT_SIDE;
    let conv = Conv {
        stride: 1,
        padding: MAX_PADDING,
    };
    let out = side + 2 * conv.padding - kh + 1;
    let p = (out - pool.size) / pool.stride + 1;
    ExerciseFile {
        x: Some(vec![vec![value; side]; side].into()),
        f1: vec![vec![value; kh]; kh].into(),
        b1: value.into(),
        w2: vec![weight; p * p].into(),
        b2: weight.into(),
        y: Some(0),
        lr: MAX_MAGNITUDE,
        activation: Activation::Relu,
        loss: Some(Loss::Bce),
        conv,
        pool,
        output: Default::default(),
        sample: None,
    }
}

#[test]
fn the_corners_where_digits_run_out_first_still_solve() {
    // The longest exact sums: the largest Z1 (a 16 x 16 filter of 999.9999 over inputs of
    // 999.9999) averaged over 3 x 3 windows (P1 gets 10 decimals) into the most weights of
    // 999.9999 (z2 has 14 decimals); and the most gradient terms (a 1 x 1 filter, 2304 outputs).
    let max = MAX_MAGNITUDE - 10f64.powi(-(MAX_DECIMALS as i32));
    let avg3 = Pool {
        kind: PoolKind::Avg,
        size: 3,
        stride: 1,
    };
    let one = Pool {
        kind: PoolKind::Max,
        size: 1,
        stride: 1,
    };
    let corners = [
        ("largest z2", corner(MAX_FILTER_SIDE, avg3, max, max)),
        (
            "largest z2, negative weights",
            corner(MAX_FILTER_SIDE, avg3, max, -max),
        ),
        ("most outputs", corner(1, one, max, -max)),
        ("most outputs, averaged", corner(1, avg3, -max, max)),
    ];
    for (name, mut file) in corners {
        for (activation, loss) in [
            (Activation::Relu, Loss::Bce),
            (Activation::LeakyRelu, Loss::Mse),
        ] {
            file.activation = activation;
            file.loss = Some(loss);
            for decimals in [0, 10] {
                if let Err(e) = solve_and_show(&file, decimals) {
                    panic!("{name}, {activation:?}, {loss:?}: {e}");
                }
            }
        }
    }
}

/// Any number at all: every f64 bit pattern (NaN, infinities, subnormals, 1e308) or a value
/// near the limits.
fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        number(),
        (-2000.0f64..2000.0),
        prop::sample::select(vec![1e-15, 1e308, -1e308, 1000.00001, 0.12345]),
    ]
}

fn any_size() -> impl Strategy<Value = usize> {
    prop_oneof![3 => 0usize..=40, 1 => any::<usize>()]
}

fn any_matrix() -> impl Strategy<Value = Vec<Vec<f64>>> {
    (0usize..=40, 0usize..=40).prop_flat_map(|(h, w)| {
        prop::collection::vec(
            prop_oneof![
                9 => prop::collection::vec(any_number(), w),
                1 => prop::collection::vec(any_number(), 0..=w + 1),
            ],
            h,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_exercise_is_refused_by_key_or_solves(
        x in any_matrix(),
        f1 in any_matrix(),
        numbers in (any_number(), any_number(), any_number()),
        w2 in prop::collection::vec(any_number(), 0..=60),
        sizes in (any_size(), any_size(), any_size(), any_size()),
        y in any::<u8>(),
        decimals in 0usize..=10,
    ) {
        let (b1, b2, lr) = numbers;
        let (stride, padding, size, pool_stride) = sizes;
        let file = ExerciseFile { x: Some(x.into()), f1: f1.into(), b1: b1.into(), w2: w2.into(), b2: b2.into(), y: Some(usize::from(y)), lr, activation: Activation::Tanh, loss: Some(Loss::Mse), conv: Conv { stride, padding }, pool: Pool { kind: PoolKind::Avg, size, stride: pool_stride }, output: Default::default(), sample: None };
        match Problem::from_file(&file) {
            Err(e) => {
                let msg = e.to_string();
                let keys = ["`x`", "`f1`", "`b1`", "`w2`", "`b2`", "`y`", "`lr`",
                    "`conv.stride`", "`conv.padding`", "`pool.size`", "`pool.stride`"];
                prop_assert!(keys.iter().any(|k| msg.contains(k)), "names no key: {msg}");
            }
            Ok(_) => {
                if let Err(e) = solve_and_show(&file, decimals) {
                    prop_assert!(false, "accepted but {e}");
                }
            }
        }
    }
}
