//! The nice-number rules as named checks on a drawn [`Problem`]. Each rule is a [`Rule`] so
//! rejections can be counted by name and an unsatisfiable config can say which rule to relax.
//! Pure: takes a problem and the `[rules]` table, returns the first rule it breaks.

use std::fmt;

use ndarray::{ArrayView2, ArrayView3, Axis};

use super::config::Rules;
use crate::solve::shown::{self, Rounding};
use crate::solve::step::Step;
use crate::solve::tolerance::{skipped_values, Tolerance};
use crate::solve::{self, argmax, window_origin};
use crate::spec::{Output, PoolKind, Problem};

/// Slack for comparing computed values with decimal bounds: |z2| = 2.5000000000000004 is 2.5.
const TOLERANCE: f64 = 1e-9;

/// One rule a generated exercise must satisfy. The order is the checking order: a rejected
/// draw counts against the first rule it breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// F1 has enough positive and negative entries.
    F1Signs,
    /// No row or column of F1 is all zero.
    F1FullLines,
    /// B1 is not 0.
    B1Nonzero,
    /// Every |Z1| entry is small.
    Z1Bound,
    /// Z1 has enough negative and positive entries.
    Z1Signs,
    /// Every max-pool window has a single maximum.
    PoolUniqueMax,
    /// No gradient passes through a kink of the activation.
    KinkFree,
    /// |z2| is small: y_hat is not saturated.
    Z2Bound,
    /// |y_hat - y| is large enough.
    OutputError,
    /// dC/dZ1 is not all zero.
    DZ1Nonzero,
    /// dC/dF1 is not all zero.
    DF1Nonzero,
    /// Every computed number shows as non-zero unless it is exactly 0.
    ReadableValues,
    /// Every graded answer differs clearly from the value of skipping its step.
    DistinctFromSkipped,
}

impl Rule {
    /// Every rule, in checking order.
    pub const ALL: [Rule; 13] = [
        Rule::F1Signs,
        Rule::F1FullLines,
        Rule::B1Nonzero,
        Rule::Z1Bound,
        Rule::Z1Signs,
        Rule::PoolUniqueMax,
        Rule::KinkFree,
        Rule::Z2Bound,
        Rule::OutputError,
        Rule::DZ1Nonzero,
        Rule::DF1Nonzero,
        Rule::ReadableValues,
        Rule::DistinctFromSkipped,
    ];

    /// The rule's name in statistics and messages.
    pub fn name(self) -> &'static str {
        match self {
            Rule::F1Signs => "f1_signs",
            Rule::Z1Bound => "z1_bound",
            Rule::Z1Signs => "z1_signs",
            Rule::PoolUniqueMax => "pool_unique_max",
            Rule::KinkFree => "kink_free",
            Rule::Z2Bound => "z2_bound",
            Rule::OutputError => "output_error",
            Rule::DZ1Nonzero => "d_z1_nonzero",
            Rule::DF1Nonzero => "d_f1_nonzero",
            Rule::F1FullLines => "f1_full_lines",
            Rule::B1Nonzero => "b1_nonzero",
            Rule::ReadableValues => "readable_values",
            Rule::DistinctFromSkipped => "distinct_from_skipped",
        }
    }

    /// What the rule demands, with the configured numbers.
    pub fn requirement(self, rules: &Rules) -> String {
        match self {
            Rule::F1Signs => format!(
                "F1 has at least {} positive and {} negative entries",
                rules.f1_min_positive, rules.f1_min_negative
            ),
            Rule::Z1Bound => format!("every |Z1| entry is at most {}", rules.max_abs_z1),
            Rule::Z1Signs => format!(
                "at least {}% of Z1 is negative and {}% positive",
                rules.z1_min_negative_percent, rules.z1_min_positive_percent
            ),
            Rule::PoolUniqueMax => "every max-pool window of A1 has a single maximum".into(),
            Rule::KinkFree => {
                "no gradient passes through a Z1 entry at a kink of the activation".into()
            }
            Rule::Z2Bound => format!("|z2| is at most {}", rules.max_abs_z2),
            Rule::OutputError => format!("|y_hat - y| is at least {}", rules.min_abs_error),
            Rule::DZ1Nonzero => "dC/dZ1 is not all zero".into(),
            Rule::DF1Nonzero => "dC/dF1 is not all zero".into(),
            Rule::F1FullLines => "no row or column of F1 is all zero".into(),
            Rule::B1Nonzero => "B1 is not 0".into(),
            Rule::ReadableValues => format!(
                "every computed number is 0 exactly or shows as non-zero at {} decimals",
                rules.decimals
            ),
            Rule::DistinctFromSkipped => format!(
                "every graded answer is more than twice the key's tolerance (at {} decimals) \
                 from the value of skipping its step",
                rules.decimals
            ),
        }
    }

    /// How to make the rule easier to satisfy, in config keys.
    pub fn relax(self) -> &'static str {
        match self {
            Rule::F1Signs => {
                "lower rules.f1_min_positive or rules.f1_min_negative, or give [f1] a negative \
                 min and a positive max"
            }
            Rule::Z1Bound => "raise rules.max_abs_z1, or narrow the [x], [f1] or [b1] ranges",
            Rule::Z1Signs => {
                "lower rules.z1_min_negative_percent or rules.z1_min_positive_percent, or move \
                 the [b1] range towards the missing sign"
            }
            Rule::PoolUniqueMax => {
                "widen the [x] or [f1] ranges so ties are rarer, raise \
                 rules.z1_min_positive_percent, or set rules.pool_unique_max = false"
            }
            Rule::KinkFree => {
                "move the [b1] range or use a finer [f1] step so Z1 = 0 is rarer, or set \
                 rules.kink_free = false"
            }
            Rule::Z2Bound => "raise rules.max_abs_z2, or narrow the [w2] and [b2] ranges",
            Rule::OutputError => {
                "lower rules.min_abs_error, or draw the label with architecture.y = [0, 1]"
            }
            Rule::DZ1Nonzero => {
                "raise rules.z1_min_positive_percent, or set rules.d_z1_nonzero = false"
            }
            Rule::DF1Nonzero => "lower x.zero_percent, or set rules.d_f1_nonzero = false",
            Rule::F1FullLines => "narrow [f1] away from 0, or set rules.f1_full_lines = false",
            Rule::B1Nonzero => "give [b1] a range without 0, or set rules.b1_nonzero = false",
            Rule::ReadableValues => {
                "use coarser steps or larger ranges so no gradient is tiny, raise \
                 rules.decimals, or set rules.readable_values = false"
            }
            Rule::DistinctFromSkipped => {
                "raise the learning rate or rules.min_abs_error, lower x.zero_percent, or set \
                 rules.distinct_from_skipped = false"
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The first rule `problem` breaks, in [`Rule::ALL`] order, or `None` when it is nice.
/// The solver runs only as far as the rules need it. In the wider family a rule's requirement
/// (as [`Rule::requirement`] words it for one map) holds for every map of every sample, every
/// filter (and each of its channels' matrices), every bias, every output and every sample;
/// softmax's |y_hat - y| is 1 - y_hat of the true class.
pub fn first_violation(problem: &Problem, rules: &Rules) -> Option<Rule> {
    let shapes = problem.shapes();
    let filters = || (0..shapes.maps).map(|o| problem.f1.index_axis(Axis(0), o));
    if !filters().all(|f| f1_signs_ok(f, rules)) {
        return Some(Rule::F1Signs);
    }
    if rules.f1_full_lines && filters().any(|f| f.outer_iter().any(has_zero_line)) {
        return Some(Rule::F1FullLines);
    }
    if rules.b1_nonzero && problem.b1.iter().any(|&b| b == 0.0) {
        return Some(Rule::B1Nonzero);
    }
    // A value that is not a finite number means numbers far too large: rejected as such.
    let mut chain = solve::Partial::new(problem);
    let Ok(fwd) = chain.until(Step::Z1) else {
        return Some(Rule::Z1Bound);
    };
    let maps = || (0..shapes.samples).flat_map(move |n| (0..shapes.maps).map(move |o| (n, o)));
    let z1 = fwd.get(Step::Z1);
    if z1.iter().any(|z| z.abs() > rules.max_abs_z1 + TOLERANCE) {
        return Some(Rule::Z1Bound);
    }
    if !maps().all(|(n, o)| z1_signs_ok(fwd.map_of(Step::Z1, n, o), rules)) {
        return Some(Rule::Z1Signs);
    }
    let Ok(fwd) = chain.until(Step::Loss) else {
        return Some(Rule::Z1Bound);
    };
    let map_pair = |n, o| (fwd.map_of(Step::Z1, n, o), fwd.map_of(Step::A1, n, o));
    if rules.pool_unique_max
        && problem.pool.kind == PoolKind::Max
        && maps().any(|(n, o)| has_pool_tie(map_pair(n, o).1, problem))
    {
        return Some(Rule::PoolUniqueMax);
    }
    if rules.kink_free
        && maps().any(|(n, o)| {
            let (z1, a1) = map_pair(n, o);
            gradient_meets_kink(problem, z1, a1)
        })
    {
        return Some(Rule::KinkFree);
    }
    if fwd
        .get(Step::Z2)
        .iter()
        .any(|z2| z2.abs() > rules.max_abs_z2 + TOLERANCE)
    {
        return Some(Rule::Z2Bound);
    }
    // The output of the true class (sigmoid: the one output) against its target.
    let y_hat = fwd.get(Step::YHat);
    let too_close = problem.samples.iter().enumerate().any(|(n, sample)| {
        let (predicted, target) = match problem.output {
            Output::Sigmoid => (y_hat[[n, 0]], sample.y as f64),
            Output::Softmax => (y_hat[[n, sample.y]], 1.0),
        };
        (predicted - target).abs() < rules.min_abs_error - TOLERANCE
    });
    if too_close {
        return Some(Rule::OutputError);
    }
    if rules.d_z1_nonzero || rules.d_f1_nonzero {
        let Ok(back) = chain.until(Step::DF1) else {
            return Some(Rule::Z1Bound);
        };
        let d_z1 = back.get(Step::DZ1);
        let map_silent = |o: usize| all_zero(d_z1.slice(ndarray::s![.., o, .., ..]).into_dyn());
        if rules.d_z1_nonzero && (0..shapes.maps).any(map_silent) {
            return Some(Rule::DZ1Nonzero);
        }
        let d_f1 = back.get(Step::DF1);
        let filter_silent = |o: usize| all_zero(d_f1.index_axis(Axis(0), o));
        if rules.d_f1_nonzero && (0..shapes.maps).any(filter_silent) {
            return Some(Rule::DF1Nonzero);
        }
    }
    if rules.readable_values || rules.distinct_from_skipped {
        // The whole chain, and the sheet's stepwise numbers: the dearest checks come last.
        let Ok(solution) = chain.into_solution() else {
            return Some(Rule::Z1Bound);
        };
        let d = rules.decimals;
        if rules.readable_values && has_unreadable_value(&solution.values, d) {
            return Some(Rule::ReadableValues);
        }
        if rules.distinct_from_skipped && too_close_to_skipped(&solution, d) {
            return Some(Rule::DistinctFromSkipped);
        }
        // The stepwise sheet's numbers last: they cost most.
        let Ok(stepwise) = shown::shown(&solution, d, Rounding::Stepwise) else {
            return Some(Rule::ReadableValues);
        };
        if rules.readable_values && prints_a_value_as_zero(&solution.values, &stepwise) {
            return Some(Rule::ReadableValues);
        }
        if rules.distinct_from_skipped && !distinct_from_skipped(&solution, &stepwise) {
            return Some(Rule::DistinctFromSkipped);
        }
    }
    None
}

/// True when a row or a column of `f1` is all zero.
fn has_zero_line(f1: ArrayView2<'_, f64>) -> bool {
    f1.rows().into_iter().any(|r| r.iter().all(|v| *v == 0.0))
        || f1
            .columns()
            .into_iter()
            .any(|c| c.iter().all(|v| *v == 0.0))
}

/// True when an exact value of the chain is not 0 but would print as 0 at `decimals`.
fn has_unreadable_value(values: &solve::Values<f64>, decimals: usize) -> bool {
    let half_unit = 0.5 * 10f64.powi(-(decimals as i32));
    Step::ALL.iter().any(|&step| {
        values
            .get(step)
            .iter()
            .any(|&v| v != 0.0 && v.abs() < half_unit - TOLERANCE * half_unit)
    })
}

/// True when a graded answer lies within twice 10^-D of the value of skipping its step: the
/// key's tolerance is never below 10^-D, so such an answer fails the rule without the (dearer)
/// stepwise values.
fn too_close_to_skipped(solution: &solve::Solution, decimals: usize) -> bool {
    let unit = 10f64.powi(-(decimals as i32));
    skipped_values(&solution.problem)
        .iter()
        .any(|(step, skip)| {
            let exact = solution.values.get(*step).iter();
            exact.zip(skip).any(|(&e, &k)| (e - k).abs() <= 2.0 * unit)
        })
}

/// True when a value that is not exactly 0 prints as 0 on the stepwise sheet.
fn prints_a_value_as_zero(exact: &solve::Values<f64>, stepwise: &shown::Shown) -> bool {
    Step::ALL.iter().any(|&step| {
        let printed = stepwise.values.get(step).iter();
        exact
            .get(step)
            .iter()
            .zip(printed)
            .any(|(&e, s)| e != 0.0 && s.is_zero())
    })
}

/// True when every graded answer lies more than twice its tolerance (the key's rule, with the
/// `stepwise` sheet's values) from the value of skipping its step.
fn distinct_from_skipped(solution: &solve::Solution, stepwise: &shown::Shown) -> bool {
    let policy = Tolerance::FromRounding {
        decimals: stepwise.decimals,
    };
    skipped_values(&solution.problem)
        .iter()
        .all(|(step, skip)| {
            let exact = solution.values.get(*step).iter();
            let shown = stepwise.values.get(*step).iter().map(shown::to_f64);
            exact
                .zip(shown)
                .zip(skip)
                .all(|((&e, s), &k)| (e - k).abs() > 2.0 * policy.for_answer(e, s))
        })
}

/// One filter (all its channels) has enough positive and negative entries.
fn f1_signs_ok(f1: ArrayView3<'_, f64>, rules: &Rules) -> bool {
    let positive = f1.iter().filter(|&&v| v > 0.0).count();
    let negative = f1.iter().filter(|&&v| v < 0.0).count();
    positive >= rules.f1_min_positive as usize && negative >= rules.f1_min_negative as usize
}

/// Shares compared in whole numbers: count / n >= percent / 100.
fn z1_signs_ok(z1: ArrayView2<'_, f64>, rules: &Rules) -> bool {
    let n = z1.len() as u64;
    let negative = z1.iter().filter(|&&v| v < 0.0).count() as u64;
    let positive = z1.iter().filter(|&&v| v > 0.0).count() as u64;
    negative * 100 >= u64::from(rules.z1_min_negative_percent) * n
        && positive * 100 >= u64::from(rules.z1_min_positive_percent) * n
}

/// Every pooling window of a map of `problem`, as (output row, output column).
fn windows(problem: &Problem) -> impl Iterator<Item = (usize, usize)> {
    let (ph, pw) = problem.shapes().p1;
    (0..ph).flat_map(move |i| (0..pw).map(move |j| (i, j)))
}

/// True when some pooling window of `a1` holds its maximum more than once. Compares the A1
/// values the solver routes by, so a saturated tanh (equal doubles) counts as a tie too.
fn has_pool_tie(a1: ArrayView2<'_, f64>, problem: &Problem) -> bool {
    let pool = problem.pool;
    windows(problem).any(|(i, j)| {
        let (r, c) = window_origin(i, j, pool);
        let window = a1.slice(ndarray::s![r..r + pool.size, c..c + pool.size]);
        let max = window.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        window.iter().filter(|&&v| v == max).count() > 1
    })
}

/// True when a Z1 entry at a kink receives gradient: the arg-max of a max-pool window, or any
/// entry of an average-pool window. The kinks are where a piecewise-linear activation's
/// derivative jumps (ReLU and leaky ReLU at 0): gradients there depend on a convention.
fn gradient_meets_kink(
    problem: &Problem,
    z1: ArrayView2<'_, f64>,
    a1: ArrayView2<'_, f64>,
) -> bool {
    let pool = problem.pool;
    let piecewise = solve::piecewise_derivative(problem.activation).is_some();
    let kink = |pos: (usize, usize)| piecewise && z1[pos] == 0.0;
    windows(problem).any(|(i, j)| match pool.kind {
        PoolKind::Max => kink(argmax(a1, i, j, pool)),
        PoolKind::Avg => {
            let (r, c) = window_origin(i, j, pool);
            (r..r + pool.size).any(|a| (c..c + pool.size).any(|b| kink((a, b))))
        }
    })
}

/// "Zero" up to rounding noise: 0.3 * 2 - 0.6 must count as zero.
fn all_zero(m: ndarray::ArrayViewD<'_, f64>) -> bool {
    m.iter().all(|v| v.abs() <= TOLERANCE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{self, FileFormat};

    const TASK_3_1: &str = include_str!("../../exercises/task-3-1.toml");

    fn task(replace: &str, by: &str) -> Problem {
        assert!(TASK_3_1.contains(replace), "fixture lacks {replace}");
        spec::parse(
            &TASK_3_1.replacen(replace, by, 1),
            FileFormat::Toml,
            "t.toml",
        )
        .unwrap()
    }

    fn violation(p: &Problem) -> Option<Rule> {
        first_violation(p, &Rules::default())
    }

    /// Only the rule under test stays strict enough to matter.
    fn lenient() -> Rules {
        Rules {
            z1_min_negative_percent: 0,
            z1_min_positive_percent: 0,
            pool_unique_max: false,
            kink_free: false,
            ..Rules::default()
        }
    }

    #[test]
    fn task_3_1_is_nice_but_for_its_unchanged_filter_entry() {
        // Z1 is in [-4, 3], half negative, every window's maximum is positive and unique,
        // z2 = -0.6: the original passes every rule of the first version. But its dC/dF1_11
        // is 0 (every X entry it reads meets a zero of dC/dZ1), so the "updated" F1_11 keeps 0.5
        // there: a student who skips the update gets that entry right, which the new rule
        // `distinct_from_skipped` refuses.
        let p = task("b1 = -1", "b1 = -1");
        assert_eq!(violation(&p), Some(Rule::DistinctFromSkipped));
        let v01 = Rules {
            distinct_from_skipped: false,
            ..Rules::default()
        };
        assert_eq!(first_violation(&p, &v01), None);
    }

    #[test]
    fn filter_without_a_negative_entry_is_rejected() {
        let p = task("f1 = [[0.5, 1], [0, -0.5]]", "f1 = [[0.5, 1], [0, 0.5]]");
        assert_eq!(violation(&p), Some(Rule::F1Signs));
    }

    #[test]
    fn large_z1_is_rejected() {
        // Z1 = Z1(b1 = -1) - 11 reaches -4 - 11 = -15.
        assert_eq!(violation(&task("b1 = -1", "b1 = -12")), Some(Rule::Z1Bound));
    }

    #[test]
    fn one_signed_z1_is_rejected() {
        // Z1 = Z1(b1 = -1) - 4: the largest entry 3 becomes -1.
        assert_eq!(violation(&task("b1 = -1", "b1 = -5")), Some(Rule::Z1Signs));
    }

    #[test]
    fn tied_window_maximum_is_rejected() {
        // b1 = -2: the top-right window of Z1 is {0, -1, -2, -4}, so A1 there is all zeros.
        let rules = Rules {
            pool_unique_max: true,
            ..lenient()
        };
        let p = task("b1 = -1", "b1 = -2");
        assert_eq!(first_violation(&p, &rules), Some(Rule::PoolUniqueMax));
    }

    #[test]
    fn window_maximum_at_a_relu_kink_is_rejected() {
        // Same window: the gradient goes to its first maximum, Z1[0][2] = 0, the ReLU kink.
        let rules = Rules {
            kink_free: true,
            ..lenient()
        };
        let p = task("b1 = -1", "b1 = -2");
        assert_eq!(first_violation(&p, &rules), Some(Rule::KinkFree));
    }

    #[test]
    fn saturated_output_is_rejected() {
        // z2 = -0.6 - 0.7 - 3 = -4.3.
        assert_eq!(violation(&task("b2 = 0.7", "b2 = -3")), Some(Rule::Z2Bound));
    }

    #[test]
    fn output_close_to_the_label_is_rejected() {
        // z2 = -0.6 - 0.7 + 3.6 = 2.3, y_hat = 0.909: |y_hat - 1| < 0.1.
        assert_eq!(
            violation(&task("b2 = 0.7", "b2 = 3.6")),
            Some(Rule::OutputError)
        );
    }

    #[test]
    fn gradient_blocked_by_the_activation_is_rejected() {
        // b1 = -5: Z1 is all negative, ReLU' = 0 everywhere, so dC/dZ1 = 0.
        let p = task("b1 = -1", "b1 = -5");
        assert_eq!(first_violation(&p, &lenient()), Some(Rule::DZ1Nonzero));
    }

    #[test]
    fn rounding_noise_counts_as_zero() {
        let m = ndarray::array![[0.3 * 2.0 - 0.6, 0.0]].into_dyn();
        assert!(all_zero(m.view()));
        assert!(!all_zero(ndarray::array![[0.001]].into_dyn().view()));
    }

    #[test]
    fn names_are_unique_and_snake_case() {
        let mut names: Vec<_> = Rule::ALL.iter().map(|r| r.name()).collect();
        assert!(names.iter().all(|n| n
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Rule::ALL.len());
    }
}
