//! The workload estimate printed in the instructor note: how many multiplications, additions
//! (subtractions included) and function evaluations a student performs per part, and how many
//! minutes that takes at fixed rates. The counts come from evaluating the chain itself in a
//! counting arithmetic ([`Count`]), so a step is counted exactly as it is computed. Owns the
//! counting rules and the rates; must not print anything (the templates do).
//!
//! Counting rules, chosen to match what a student actually writes down:
//! - a product with a zero factor is skipped, and so is adding or subtracting a zero term (a
//!   label y = 0, a filter entry 0 in its update, a finished step's entry that is 0); a partial
//!   sum that cancels to 0 inside a step still takes its next addition;
//! - a multiplication by 1 counts (it is still a step on paper) except in the ReLU mask product,
//!   where multiplying by 0 or 1 is a selection;
//! - comparisons (ReLU, max pooling) and reshapes cost nothing;
//! - evaluating exp, ln, sigmoid or tanh on a calculator is one evaluation;
//! - what the question gives (Z1, the first entries of dC/dW2 and the updated W2, most of the
//!   updated F1) is not counted, and a part that is not asked costs nothing;
//! - writing the transposed convolution matrix is counted as placements, one per non-zero entry.
//!
//! Rates: [`SECONDS_PER_OPERATION`] per multiplication or addition, [`SECONDS_PER_EVALUATION`]
//! per function evaluation, [`SECONDS_PER_PLACEMENT`] per placed matrix entry; each part's time
//! is rounded up to whole minutes.

use std::collections::BTreeMap;

use ndarray::{ArrayView1, ArrayView2};
use serde::Serialize;

use super::arith::{Arith, Exact};
use super::chain::evaluate;
use super::step::Step;
use super::Solution;
use crate::error::Result;
use crate::spec::difficulty::{Knobs, PartName, TransposedConv};

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

/// Where an operation is attributed: a step, and the entry it computes (`None`: work the step
/// shares between its entries).
type Place = (Step, Option<usize>);

/// A number of the counting arithmetic: its exact value, and whether it is a term a student
/// skips: an input, a selected value (ReLU, max pooling) or a finished step's value that is 0,
/// or anything computed only from such terms. A partial sum of non-zero terms that happens to be
/// 0 is not skipped: it took work, and adding the bias to it is still an addition on paper.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Counted {
    value: f64,
    skipped: bool,
}

impl Counted {
    fn of(value: f64) -> Counted {
        Counted {
            value,
            skipped: value == 0.0,
        }
    }

    fn worked(value: f64) -> Counted {
        Counted {
            value,
            skipped: false,
        }
    }
}

impl PartialEq for Counted {
    fn eq(&self, other: &Counted) -> bool {
        self.value == other.value
    }
}

impl PartialOrd for Counted {
    fn partial_cmp(&self, other: &Counted) -> Option<std::cmp::Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

/// The counting arithmetic: the exact values, every operation counted against the entry being
/// computed.
#[derive(Debug, Default)]
pub(crate) struct Count {
    at: Option<Place>,
    /// Per step (by index): the work shared by its entries, then each entry's.
    counted: Vec<(Ops, Vec<Ops>)>,
}

impl Count {
    fn count(&mut self, ops: Ops) {
        let (step, entry) = self.at.expect("invariant: the chain says where it is");
        if self.counted.len() <= step.index() {
            self.counted.resize(step.index() + 1, Default::default());
        }
        let (shared, entries) = &mut self.counted[step.index()];
        match entry {
            None => shared.add(ops),
            Some(k) => {
                if entries.len() <= k {
                    entries.resize(k + 1, Ops::default());
                }
                entries[k].add(ops);
            }
        }
    }

    /// Every place that was counted, with its work.
    fn places(&self) -> impl Iterator<Item = (Place, Ops)> + '_ {
        self.counted
            .iter()
            .enumerate()
            .flat_map(|(i, (shared, entries))| {
                let step = Step::ALL[i];
                std::iter::once(((step, None), *shared)).chain(
                    entries
                        .iter()
                        .enumerate()
                        .map(move |(k, ops)| ((step, Some(k)), *ops)),
                )
            })
    }

    fn multiplication(&mut self) {
        self.count(Ops {
            multiplications: 1,
            ..Ops::default()
        });
    }

    fn addition(&mut self) {
        self.count(Ops {
            additions: 1,
            ..Ops::default()
        });
    }

    fn evaluation(&mut self) {
        self.count(Ops {
            evaluations: 1,
            ..Ops::default()
        });
    }

    /// `a op b` for + and -: free when a term is skipped.
    fn additive(&mut self, a: &Counted, b: &Counted, value: f64) -> Counted {
        if a.skipped && b.skipped {
            return Counted {
                value,
                skipped: true,
            };
        }
        if !a.skipped && !b.skipped {
            self.addition();
        }
        Counted::worked(value)
    }
}

impl Arith for Count {
    type N = Counted;

    fn given(&mut self, x: f64) -> Counted {
        Counted::of(x)
    }
    fn zero(&self) -> Counted {
        Counted::of(0.0)
    }
    fn add(&mut self, a: &Counted, b: &Counted) -> Counted {
        self.additive(a, b, a.value + b.value)
    }
    fn sub(&mut self, a: &Counted, b: &Counted) -> Counted {
        self.additive(a, b, a.value - b.value)
    }
    fn mul(&mut self, a: &Counted, b: &Counted) -> Counted {
        let value = a.value * b.value;
        if a.skipped || b.skipped {
            return Counted {
                value,
                skipped: true,
            };
        }
        self.multiplication();
        Counted::worked(value)
    }
    fn mask(&mut self, a: &Counted, m: &Counted) -> Counted {
        // Multiplying by the ReLU mask's 0 or 1 is a selection.
        if m.value == 1.0 && !a.skipped {
            return *a;
        }
        self.mul(a, m)
    }
    fn dot(&mut self, a: ArrayView1<'_, Counted>, b: ArrayView1<'_, Counted>) -> Counted {
        let products: Vec<Counted> = a.iter().zip(&b).map(|(x, y)| self.mul(x, y)).collect();
        self.sum_from_zero(&products)
    }
    fn sum(&mut self, a: &[Counted]) -> Counted {
        self.sum_from_zero(a)
    }
    fn mean(&mut self, window: ArrayView2<'_, Counted>) -> Counted {
        // Add the window's terms, divide once.
        let entries: Vec<Counted> = window.iter().copied().collect();
        let sum = self.sum_from_zero(&entries);
        self.share(&sum, entries.len())
    }
    fn share(&mut self, a: &Counted, n: usize) -> Counted {
        if a.skipped {
            return *a;
        }
        self.multiplication();
        Counted::worked(a.value / n as f64)
    }
    fn relu(&mut self, z: &Counted) -> Counted {
        Counted::of(Exact.relu(&z.value))
    }
    fn sigmoid(&mut self, z: &Counted) -> Counted {
        self.evaluation();
        Counted::worked(Exact.sigmoid(&z.value))
    }
    fn tanh(&mut self, z: &Counted) -> Counted {
        self.evaluation();
        Counted::worked(Exact.tanh(&z.value))
    }
    fn bce(&mut self, z2: &Counted, y_hat: &Counted, y: u8) -> Option<Counted> {
        // -ln(y_hat), or -ln(1 - y_hat) with one subtraction first.
        self.evaluation();
        if y == 0 {
            self.addition();
        }
        Exact.bce(&z2.value, &y_hat.value, y).map(Counted::worked)
    }
    fn softmax(&mut self, z: &[Counted]) -> Vec<Counted> {
        // e^z_k for each output, their sum, and one division per output.
        let values: Vec<f64> = z.iter().map(|c| c.value).collect();
        for _ in z {
            self.evaluation();
            self.multiplication();
        }
        for _ in 1..z.len() {
            self.addition();
        }
        Exact
            .softmax(&values)
            .into_iter()
            .map(Counted::worked)
            .collect()
    }
    fn ce(&mut self, z2: &[Counted], y_hat: &[Counted], y: usize) -> Option<Counted> {
        // -ln(y_hat of the true class).
        self.evaluation();
        let z2: Vec<f64> = z2.iter().map(|c| c.value).collect();
        let y_hat: Vec<f64> = y_hat.iter().map(|c| c.value).collect();
        Exact.ce(&z2, &y_hat, y).map(Counted::worked)
    }
    fn settle(&mut self, _: Step, values: &mut [Counted]) -> Result<()> {
        // A finished step's zeros are terms a later step skips, however they came about; only
        // a partial result inside a step (a sum that cancels) still takes its next addition.
        for v in values.iter_mut() {
            *v = Counted::of(v.value);
        }
        Ok(())
    }
    fn at(&mut self, step: Step, entry: Option<usize>) {
        self.at = Some((step, entry));
    }
}

/// Estimates the work of every asked part of `solution`'s problem under `knobs`.
pub fn estimate(solution: &Solution, knobs: &Knobs) -> Workload {
    let problem = &solution.problem;
    let mut count = Count::default();
    // Routing and the loss's fallback need no reference here: the values are the exact ones.
    evaluate(problem, &mut count, None, Step::B1New)
        .expect("invariant: the exact chain of a solved problem evaluates");
    let n = solution.values.get(Step::DW2).len();
    let filter_entries = problem.f1.len();
    let given_d_w2 = knobs.give_d_w2.min(n.saturating_sub(1));
    let asked_f1_from = knobs
        .give_f1_except
        .map_or(0, |blanks| filter_entries - blanks.min(filter_entries));
    // Whether the student computes `entry` of `step` (the question may give it).
    let asked = |step: Step, entry: Option<usize>| -> bool {
        match (step, entry) {
            (Step::Z1, _) => !knobs.give_z1,
            (Step::DW2 | Step::W2New, Some(k)) => k >= given_d_w2,
            (Step::DF1 | Step::F1New, Some(k)) => k >= asked_f1_from,
            _ => true,
        }
    };
    let mut per_part: BTreeMap<PartName, Ops> = BTreeMap::new();
    for ((step, entry), ops) in count.places() {
        if let Some(part) = step.part() {
            if asked(step, entry) {
                per_part.entry(part).or_default().add(ops);
            }
        }
    }
    let placements = Ops {
        placements: solution.conv_matrix.iter().filter(|w| **w != 0.0).count() as u32,
        ..Ops::default()
    };
    let mut rows = Vec::new();
    for part in [PartName::A, PartName::B, PartName::C] {
        if !knobs.asks(part) {
            continue;
        }
        let mut ops = per_part.get(&part).copied().unwrap_or_default();
        if part == PartName::B && knobs.transposed_conv == TransposedConv::Ask {
            ops.add(placements);
        }
        rows.push(row(Some(part), ops));
    }
    if knobs.asks(PartName::B) && knobs.transposed_conv == TransposedConv::Extra {
        rows.push(row(None, placements));
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
    fn a_sum_counts_one_addition_fewer_than_its_non_zero_terms() {
        let mut count = Count::default();
        count.at(Step::Z1, Some(0));
        let products: Vec<Counted> = [(2.0, 0.5), (0.0, 1.0), (4.0, -0.5)]
            .iter()
            .map(|&(x, f)| count.mul(&Counted::of(x), &Counted::of(f)))
            .collect();
        let sum = count.sum_from_zero(&products);
        let z = count.add(&sum, &Counted::of(-1.0));
        assert_eq!(z.value, -2.0);
        let ops = count.counted[Step::Z1.index()].1[0];
        assert_eq!((ops.multiplications, ops.additions), (2, 2));
    }

    #[test]
    fn a_sum_that_cancels_to_zero_still_takes_its_bias_addition() {
        let mut count = Count::default();
        count.at(Step::Z1, Some(0));
        let products: Vec<Counted> = [(2.0, 0.5), (2.0, -0.5)]
            .iter()
            .map(|&(x, f)| count.mul(&Counted::of(x), &Counted::of(f)))
            .collect();
        let sum = count.sum_from_zero(&products);
        let z = count.add(&sum, &Counted::of(-1.0));
        assert_eq!((sum.value, z.value), (0.0, -1.0));
        let ops = count.counted[Step::Z1.index()].1[0];
        assert_eq!((ops.multiplications, ops.additions), (2, 2));
    }

    #[test]
    fn task_3_1_full_counts_by_hand() {
        let p = task();
        let w = estimate(&solve(&p).unwrap(), &Preset::Full.knobs());
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
        let sol = solve(&p).unwrap();
        let full = estimate(&sol, &Preset::Full.knobs());
        let short = estimate(&sol, &Preset::Short.knobs());
        assert!(short.total_minutes < full.total_minutes);
        let fa = part(&full, Some(PartName::A));
        let sa = part(&short, Some(PartName::A));
        assert_eq!(fa.multiplications - sa.multiplications, 15);
    }

    #[test]
    fn bonus_row_is_last_and_not_in_the_total() {
        let p = task();
        let w = estimate(&solve(&p).unwrap(), &Preset::Standard.knobs());
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
