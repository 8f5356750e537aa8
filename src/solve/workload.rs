//! The workload estimate printed in the instructor note: how many multiplications, additions
//! (subtractions included) and function evaluations a student performs per part, and how many
//! minutes that takes at fixed rates. Owns the counting rules and the rates; must not print
//! anything (the templates do).
//!
//! Counting rules, chosen to match what a student actually writes down:
//! - a product with a zero factor is skipped, and so is adding a zero term;
//! - a multiplication by 1 counts (it is still a step on paper) except in the ReLU mask product;
//! - comparisons (ReLU, max pooling) and reshapes cost nothing;
//! - evaluating exp, ln, sigmoid or tanh on a calculator is one evaluation;
//! - what the question gives (Z1, the first entries of dC/dW2, most of the updated F1) is not
//!   counted, and a part that is not asked costs nothing;
//! - writing the transposed convolution matrix is counted as placements, one per non-zero entry.
//!
//! Rates: [`SECONDS_PER_OPERATION`] per multiplication or addition, [`SECONDS_PER_EVALUATION`]
//! per function evaluation, [`SECONDS_PER_PLACEMENT`] per placed matrix entry; each part's time
//! is rounded up to whole minutes.

use ndarray::{s, Array2};
use serde::Serialize;

use super::{conv, pool, Solution};
use crate::spec::difficulty::{Knobs, PartName, TransposedConv};
use crate::spec::{Activation, Loss, PoolKind, Problem};

/// Seconds a student needs for one multiplication or addition of short decimals.
pub const SECONDS_PER_OPERATION: u32 = 5;
/// Seconds for one exp/ln/sigmoid/tanh evaluation on a calculator.
pub const SECONDS_PER_EVALUATION: u32 = 10;
/// Seconds to place one entry of a structured matrix (the transposed convolution matrix).
pub const SECONDS_PER_PLACEMENT: u32 = 2;

/// Counted work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Ops {
    /// Multiplications (and divisions).
    pub multiplications: u32,
    /// Additions and subtractions.
    pub additions: u32,
    /// Evaluations of exp, ln, sigmoid or tanh.
    pub evaluations: u32,
    /// Entries of a structured matrix written down.
    pub placements: u32,
}

impl Ops {
    fn add(&mut self, other: Ops) {
        self.multiplications += other.multiplications;
        self.additions += other.additions;
        self.evaluations += other.evaluations;
        self.placements += other.placements;
    }

    fn seconds(&self) -> u32 {
        (self.multiplications + self.additions) * SECONDS_PER_OPERATION
            + self.evaluations * SECONDS_PER_EVALUATION
            + self.placements * SECONDS_PER_PLACEMENT
    }

    /// A sum of `terms` non-zero products, plus a non-zero bias if `bias`.
    fn dot(terms: u32, bias: bool) -> Ops {
        Ops {
            multiplications: terms,
            additions: (terms + u32::from(bias)).saturating_sub(1),
            ..Ops::default()
        }
    }

    fn mul_add(count: u32) -> Ops {
        Ops {
            multiplications: count,
            additions: count,
            ..Ops::default()
        }
    }
}

/// One row of the instructor note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PartWorkload {
    /// The part, or `None` for the bonus question.
    pub part: Option<PartName>,
    /// The counted work.
    pub ops: Ops,
    /// Minutes at the rates below, rounded up.
    pub minutes: u32,
}

/// The instructor note's numbers: one row per asked part (and the bonus), and the rates used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Workload {
    /// One row per asked part, the bonus last.
    pub rows: Vec<PartWorkload>,
    /// Minutes of the asked parts, bonus excluded.
    pub total_minutes: u32,
    /// Seconds per multiplication or addition.
    pub seconds_per_operation: u32,
    /// Seconds per function evaluation.
    pub seconds_per_evaluation: u32,
    /// Seconds per placed matrix entry.
    pub seconds_per_placement: u32,
}

/// Estimates the work of every asked part of `problem` under `knobs`. Counts use the exact
/// values of `solution`: which entries are zero is the same in every rounding mode.
pub fn estimate(problem: &Problem, solution: &Solution, knobs: &Knobs) -> Workload {
    let mut rows = Vec::new();
    if knobs.asks(PartName::A) {
        rows.push(row(
            Some(PartName::A),
            forward_ops(problem, solution, knobs),
        ));
    }
    if knobs.asks(PartName::B) {
        let mut b = backward_ops(problem, solution, knobs);
        match knobs.transposed_conv {
            TransposedConv::Ask => b.add(transposed_conv_ops(solution)),
            TransposedConv::Extra => rows.push(row(None, transposed_conv_ops(solution))),
            TransposedConv::Omit => {}
        }
        // Keep a, b, c order with the bonus row last.
        let at = rows.iter().filter(|r| r.part.is_some()).count();
        rows.insert(at, row(Some(PartName::B), b));
    }
    if knobs.asks(PartName::C) {
        let at = rows.iter().filter(|r| r.part.is_some()).count();
        rows.insert(at, row(Some(PartName::C), input_gradient_ops(solution)));
    }
    Workload {
        total_minutes: rows
            .iter()
            .filter(|r| r.part.is_some())
            .map(|r| r.minutes)
            .sum(),
        rows,
        seconds_per_operation: SECONDS_PER_OPERATION,
        seconds_per_evaluation: SECONDS_PER_EVALUATION,
        seconds_per_placement: SECONDS_PER_PLACEMENT,
    }
}

fn row(part: Option<PartName>, ops: Ops) -> PartWorkload {
    PartWorkload {
        part,
        ops,
        minutes: ops.seconds().div_ceil(60),
    }
}

fn nonzero(x: f64) -> bool {
    x != 0.0
}

fn count(it: impl Iterator<Item = bool>) -> u32 {
    it.filter(|&b| b).count() as u32
}

/// Part a: Z1 (unless given), the activation, pooling, z2, y_hat and the loss.
fn forward_ops(problem: &Problem, sol: &Solution, knobs: &Knobs) -> Ops {
    let fwd = &sol.forward;
    let mut ops = Ops::default();
    if !knobs.give_z1 {
        let m = conv::conv_matrix(
            problem.x.dim(),
            &problem.f1,
            problem.conv.stride,
            problem.conv.padding,
        );
        let x: Vec<f64> = problem.x.iter().copied().collect();
        for row in m.rows() {
            let terms = count(row.iter().zip(&x).map(|(&w, &v)| nonzero(w) && nonzero(v)));
            ops.add(Ops::dot(terms, nonzero(problem.b1)));
        }
    }
    ops.add(activation_ops(problem.activation, &fwd.z1));
    if problem.pool.kind == PoolKind::Avg {
        ops.add(average_pool_ops(problem, &fwd.a1));
    }
    let terms = count(
        problem
            .w2
            .iter()
            .zip(&fwd.s)
            .map(|(&w, &s)| nonzero(w) && nonzero(s)),
    );
    ops.add(Ops::dot(terms, nonzero(problem.b2)));
    ops.evaluations += 2; // y_hat = sigmoid(z2), then ln (BCE) or nothing (MSE)
    match problem.loss {
        Loss::Bce => ops.additions += u32::from(problem.y == 0), // 1 - y_hat
        Loss::Mse => {
            ops.evaluations -= 1;
            ops.add(Ops::mul_add(1));
            ops.multiplications += 1; // (y_hat - y)^2, then the factor 1/2
        }
    }
    ops
}

fn activation_ops(act: Activation, z1: &Array2<f64>) -> Ops {
    match act {
        Activation::Relu => Ops::default(),
        Activation::LeakyRelu => Ops {
            multiplications: count(z1.iter().map(|&z| z < 0.0)),
            ..Ops::default()
        },
        Activation::Sigmoid | Activation::Tanh => Ops {
            evaluations: z1.len() as u32,
            ..Ops::default()
        },
    }
}

/// Each window: add its non-zero entries, divide once.
fn average_pool_ops(problem: &Problem, a1: &Array2<f64>) -> Ops {
    let pool = problem.pool;
    let (ph, pw) = pool::output_dim(a1.dim(), pool);
    let mut ops = Ops::default();
    for i in 0..ph {
        for j in 0..pw {
            let (r, c) = pool::window_origin(i, j, pool);
            let window = a1.slice(s![r..r + pool.size, c..c + pool.size]);
            let terms = count(window.iter().map(|&v| nonzero(v)));
            if terms > 0 {
                ops.additions += terms - 1;
                ops.multiplications += 1;
            }
        }
    }
    ops
}

/// Part b: the output error, W2/B2 gradients and updates, the way back to dC/dZ1, and the F1/B1
/// gradients and updates (only the entries the question does not give).
fn backward_ops(problem: &Problem, sol: &Solution, knobs: &Knobs) -> Ops {
    let (fwd, grad) = (&sol.forward, &sol.backward);
    let mut ops = Ops::default();
    ops.additions += 1; // y_hat - y
    if problem.loss == Loss::Mse {
        ops.add(Ops::mul_add(2)); // (1 - y_hat), two products
    }
    let n = fwd.s.len();
    let given = knobs.give_d_w2.min(n.saturating_sub(1));
    let asked_s = fwd.s.iter().skip(given);
    let w2_terms = count(asked_s.map(|&s| nonzero(s)));
    ops.multiplications += w2_terms; // dC/dW2
    ops.add(Ops::mul_add(w2_terms)); // W2 update
    ops.add(Ops::mul_add(1)); // B2 update
    ops.multiplications += count(problem.w2.iter().map(|&w| nonzero(w))); // dC/dS
    ops.additions += pool_overlap_additions(problem, &fwd.a1, &grad.d_p1);
    if problem.pool.kind == PoolKind::Avg {
        ops.multiplications += count(grad.d_p1.iter().map(|&g| nonzero(g)));
    }
    ops.add(mask_ops(problem.activation, &fwd.z1, &grad.d_a1));
    ops.add(filter_gradient_ops(problem, sol, knobs));
    ops.additions += count(grad.d_z1.iter().map(|&g| nonzero(g))).saturating_sub(1); // dC/dB1
    ops.add(Ops::mul_add(1)); // B1 update
    ops
}

/// Where pooling windows overlap, an entry of dC/dA1 adds up several contributions.
/// `a1`: (out_h, out_w) exact, `d_p1`: pooled shape.
fn pool_overlap_additions(problem: &Problem, a1: &Array2<f64>, d_p1: &Array2<f64>) -> u32 {
    let pool = problem.pool;
    let mut hits = Array2::<u32>::zeros(a1.dim());
    for ((i, j), &g) in d_p1.indexed_iter() {
        if !nonzero(g) {
            continue;
        }
        match pool.kind {
            PoolKind::Max => hits[pool::argmax(a1, i, j, pool)] += 1,
            PoolKind::Avg => {
                let (r, c) = pool::window_origin(i, j, pool);
                hits.slice_mut(s![r..r + pool.size, c..c + pool.size])
                    .mapv_inplace(|h| h + 1);
            }
        }
    }
    hits.iter().map(|&h| h.saturating_sub(1)).sum()
}

/// act'(Z1) and the product dC/dA1 * act'(Z1). The ReLU mask is a selection, not arithmetic.
fn mask_ops(act: Activation, z1: &Array2<f64>, d_a1: &Array2<f64>) -> Ops {
    let live = d_a1.iter().filter(|&&g| nonzero(g));
    match act {
        Activation::Relu => Ops::default(),
        Activation::LeakyRelu => Ops {
            multiplications: count(z1.iter().zip(d_a1).map(|(&z, &g)| z <= 0.0 && nonzero(g))),
            ..Ops::default()
        },
        // a(1 - a) or 1 - a^2, then the product, for each entry that carries a gradient.
        Activation::Sigmoid | Activation::Tanh => {
            let n = live.count() as u32;
            Ops {
                multiplications: 2 * n,
                additions: n,
                ..Ops::default()
            }
        }
    }
}

/// dC/dF1 entries the student must compute (all, or only the blanks of a given F1 update), each
/// a sum of products of X and dC/dZ1, then that entry's update.
fn filter_gradient_ops(problem: &Problem, sol: &Solution, knobs: &Knobs) -> Ops {
    let (kh, kw) = problem.f1.dim();
    let entries = kh * kw;
    let asked = knobs.give_f1_except.map_or(entries, |n| n.min(entries));
    let stride = problem.conv.stride;
    let padded = conv::pad(&problem.x, problem.conv.padding);
    let d_z1 = &sol.backward.d_z1;
    let mut ops = Ops::default();
    for k in entries - asked..entries {
        let (a, b) = (k / kw, k % kw);
        let terms =
            count(d_z1.indexed_iter().map(|((i, j), &g)| {
                nonzero(g) && nonzero(padded[(i * stride + a, j * stride + b)])
            }));
        ops.add(Ops::dot(terms, false));
        if nonzero(sol.backward.d_f1[(a, b)]) {
            ops.add(Ops::mul_add(1));
        }
    }
    ops
}

/// Writing M^T: one placement per non-zero entry.
fn transposed_conv_ops(sol: &Solution) -> Ops {
    Ops {
        placements: count(sol.backward.conv_matrix.iter().map(|&w| nonzero(w))),
        ..Ops::default()
    }
}

/// Part c: each entry of dC/dP0 is a sum of products of F1 taps and dC/dZ1 entries.
fn input_gradient_ops(sol: &Solution) -> Ops {
    let m = &sol.backward.conv_matrix;
    let d_z1: Vec<f64> = sol.backward.d_z1.iter().copied().collect();
    let mut ops = Ops::default();
    for col in m.columns() {
        let terms = count(
            col.iter()
                .zip(&d_z1)
                .map(|(&w, &g)| nonzero(w) && nonzero(g)),
        );
        ops.add(Ops::dot(terms, false));
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::solve;
    use crate::spec::difficulty::Preset;
    use crate::spec::fixtures::task_3_1 as task;

    fn part(w: &Workload, p: Option<PartName>) -> Ops {
        w.rows.iter().find(|r| r.part == p).unwrap().ops
    }

    #[test]
    fn dot_counts_one_addition_fewer_than_terms_plus_bias() {
        assert_eq!(Ops::dot(4, true).additions, 4);
        assert_eq!(Ops::dot(4, false).additions, 3);
        assert_eq!(Ops::dot(0, true).additions, 0);
    }

    #[test]
    fn task_3_1_full_counts_by_hand() {
        let p = task();
        let w = estimate(&p, &solve(&p), &Preset::Full.knobs());
        let a = part(&w, Some(PartName::A));
        // Z1: non-zero X times non-zero F1 (taps 0.5 at (0,0), 1 at (0,1), -0.5 at (1,1)); per
        // window row 4 + 4 + 4 + 3 = 15 products, and with the bias as many additions (the
        // three windows without a product just take B1);
        // z2: 4 products, 4 additions with B2; y_hat and ln: 2 evaluations.
        assert_eq!(a.multiplications, 15 + 4);
        assert_eq!(a.additions, 15 + 4);
        assert_eq!(a.evaluations, 2);
        // M^T has 3 non-zero taps in each of 16 rows.
        assert_eq!(part(&w, Some(PartName::B)).placements, 48);
        // dC/dZ1 has 4 non-zero entries, each meeting 3 taps, at 12 distinct positions of X.
        let c = part(&w, Some(PartName::C));
        assert_eq!((c.multiplications, c.additions), (12, 0));
    }

    #[test]
    fn given_parts_cost_less() {
        let p = task();
        let sol = solve(&p);
        let full = estimate(&p, &sol, &Preset::Full.knobs());
        let short = estimate(&p, &sol, &Preset::Short.knobs());
        assert!(short.total_minutes < full.total_minutes);
        let fa = part(&full, Some(PartName::A));
        let sa = part(&short, Some(PartName::A));
        assert_eq!(fa.multiplications - sa.multiplications, 15);
    }

    #[test]
    fn bonus_row_is_last_and_not_in_the_total() {
        let p = task();
        let w = estimate(&p, &solve(&p), &Preset::Standard.knobs());
        let parts: Vec<_> = w.rows.iter().map(|r| r.part).collect();
        assert_eq!(
            parts,
            vec![
                Some(PartName::A),
                Some(PartName::B),
                Some(PartName::C),
                None
            ]
        );
        let sum: u32 = w.rows[..3].iter().map(|r| r.minutes).sum();
        assert_eq!(w.total_minutes, sum);
    }
}
