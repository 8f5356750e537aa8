//! Every misconception of the catalogue against an independent computation, over the whole
//! hand-built family (every activation, both losses, both poolings, stride, padding): the
//! mistaken step is recomputed here from the exact solution's values with plain loops or with
//! the explicit convolution matrix, and the steps after it against a solve of a changed problem
//! where one exists (a flipped kernel is the right Z1 of the rotated filter). Also: following a
//! student's given numbers recomputes the later steps from them.

mod common;

use ndarray::{Array1, Array2};
use nnexam::solve::conv::{conv_matrix, rotate_180};
use nnexam::solve::misconception::Misconception;
use nnexam::solve::step::Step;
use nnexam::solve::{self, follow, Values};
use nnexam::spec::{Loss, PoolKind, Problem};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

fn assert_all_close(name: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{name}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(close(*g, *w), "{name} entry {k}: {g} vs {w}");
    }
}

fn entries(values: &Values<f64>, step: Step) -> Vec<f64> {
    values.get(step).iter().copied().collect()
}

/// The one filter of a one-channel `problem` rotated by 180 degrees, as a filter bank.
fn rotated_bank(problem: &Problem) -> ndarray::Array4<f64> {
    let (kh, kw) = problem.filter(0, 0).dim();
    let rotated: Vec<f64> = rotate_180(problem.filter(0, 0)).iter().copied().collect();
    ndarray::Array4::from_shape_vec((1, 1, kh, kw), rotated).unwrap()
}

/// vec(M^T v): the transposed convolution matrix of `problem` with filter `f` applied to `v`.
fn transposed(problem: &Problem, f: &ndarray::Array4<f64>, v: &[f64]) -> Vec<f64> {
    let m = conv_matrix(
        problem.x(0, 0).dim(),
        f,
        problem.conv.stride,
        problem.conv.padding,
    );
    m.t().dot(&Array1::from(v.to_vec())).to_vec()
}

#[test]
fn each_misconception_computes_its_step_as_its_definition_says() {
    for (name, problem) in common::problems() {
        let exact = solve::solve(&problem).unwrap();
        let v = &exact.values;
        let e = |step| entries(v, step);
        for m in Misconception::ALL
            .into_iter()
            .filter(|m| m.applies_to(&problem))
        {
            let got = follow(&problem, Some(m), &[]);
            let g = |step| entries(&got, step);
            let label = format!("{name} {}", m.name());
            // Every step before the mistake is the right one.
            for step in Step::ALL.into_iter().filter(|s| *s < m.first_step()) {
                assert_all_close(&label, &g(step), &e(step));
            }
            let (y_hat, y) = (
                *exact.values.scalar(Step::YHat),
                problem.samples[0].y as f64,
            );
            let lr = problem.lr;
            match m {
                Misconception::FlippedKernel => {
                    // The right forward pass of the rotated filter.
                    let mut rotated = problem.clone();
                    rotated.f1 = rotated_bank(&problem);
                    let other = solve::solve(&rotated).unwrap();
                    for step in [Step::Z1, Step::A1, Step::P1, Step::YHat, Step::Loss] {
                        assert_all_close(&label, &g(step), &entries(&other.values, step));
                    }
                }
                Misconception::Log10Loss => {
                    assert!(close(
                        g(Step::Loss)[0],
                        (*exact.values.scalar(Step::Loss)) / 10f64.ln()
                    ));
                }
                Misconception::SigmoidDerivativeTwice => {
                    let want = (y_hat - y) * y_hat * (1.0 - y_hat);
                    assert!(close(g(Step::DZ2)[0], want), "{label}");
                    assert_all_close(
                        &label,
                        &g(Step::DW2),
                        &(&exact.values.row_of(Step::S, 0) * want).to_vec(),
                    );
                }
                Misconception::OutputInsteadOfError => {
                    let error = match problem.loss {
                        Loss::Bce => y_hat,
                        Loss::Mse => y_hat * y_hat * (1.0 - y_hat),
                        Loss::Ce => unreachable!("the catalogue's problems are sigmoid"),
                    };
                    assert_all_close(&label, &g(Step::DS), &(&problem.w2.row(0) * error).to_vec());
                    assert_all_close(&label, &g(Step::DW2), &e(Step::DW2));
                }
                Misconception::PoolSpread => {
                    assert_eq!(problem.pool.kind, PoolKind::Max);
                    let (size, stride) = (problem.pool.size, problem.pool.stride);
                    let d_p1 = &exact.values.map_of(Step::DP1, 0, 0);
                    let mut want = Array2::<f64>::zeros(exact.values.map_of(Step::A1, 0, 0).dim());
                    for ((i, j), g) in d_p1.indexed_iter() {
                        for r in i * stride..i * stride + size {
                            for c in j * stride..j * stride + size {
                                want[(r, c)] += g / (size * size) as f64;
                            }
                        }
                    }
                    assert_all_close(
                        &label,
                        &g(Step::DA1),
                        &want.iter().copied().collect::<Vec<_>>(),
                    );
                }
                Misconception::NoActivationDerivative => {
                    assert_all_close(&label, &g(Step::DZ1), &e(Step::DA1));
                }
                Misconception::BiasFromPooled => {
                    assert!(
                        close(g(Step::DB1)[0], exact.values.map_of(Step::DP1, 0, 0).sum()),
                        "{label}"
                    );
                }
                Misconception::UpdateSign | Misconception::NoLearningRate => {
                    let rate = if m == Misconception::UpdateSign {
                        -lr
                    } else {
                        1.0
                    };
                    let pairs = [
                        (
                            Step::W2New,
                            problem.w2.iter().copied().collect::<Vec<f64>>(),
                            exact.values.row_of(Step::DW2, 0).to_vec(),
                        ),
                        (
                            Step::B2New,
                            vec![problem.b2[0]],
                            vec![*exact.values.scalar(Step::DB2)],
                        ),
                        (
                            Step::F1New,
                            problem.f1.iter().copied().collect::<Vec<f64>>(),
                            exact
                                .values
                                .filter(Step::DF1, 0, 0)
                                .iter()
                                .copied()
                                .collect(),
                        ),
                        (
                            Step::B1New,
                            vec![problem.b1[0]],
                            vec![*exact.values.scalar(Step::DB1)],
                        ),
                    ];
                    for (step, theta, grad) in pairs {
                        let want: Vec<f64> =
                            theta.iter().zip(&grad).map(|(t, g)| t - rate * g).collect();
                        assert_all_close(&label, &g(step), &want);
                    }
                }
                Misconception::InputGradientFromZ1 => {
                    let z1: Vec<f64> = exact
                        .values
                        .map_of(Step::Z1, 0, 0)
                        .iter()
                        .copied()
                        .collect();
                    assert_all_close(
                        &label,
                        &g(Step::DP0),
                        &transposed(&problem, &problem.f1, &z1),
                    );
                }
                Misconception::InputGradientUnrotated => {
                    let d_z1: Vec<f64> = exact
                        .values
                        .map_of(Step::DZ1, 0, 0)
                        .iter()
                        .copied()
                        .collect();
                    let rotated = rotated_bank(&problem);
                    assert_all_close(
                        &label,
                        &g(Step::DP0),
                        &transposed(&problem, &rotated, &d_z1),
                    );
                }
            }
        }
    }
}

#[test]
fn given_numbers_feed_the_later_steps() {
    let problem = common::task_3_1();
    let exact = solve::solve(&problem).unwrap();
    // A student who wrote y_hat = 0.5: the loss and dC/dz2 follow from it.
    let got = follow(&problem, None, &[(Step::YHat, 0, 0.5)]);
    assert!(
        close(
            got.get(Step::YHat)[[0, 0]],
            *exact.values.scalar(Step::YHat)
        ),
        "computed, not given"
    );
    let y = problem.samples[0].y as f64;
    // BCE of y_hat = 0.5 is ln 2 for either label.
    assert!(close(*got.scalar(Step::Loss), 2f64.ln()));
    assert!(close(*got.scalar(Step::DZ2), 0.5 - y));
    // dC/dW2 = dC/dz2 S with the right S.
    let want: Vec<f64> = exact
        .values
        .row_of(Step::S, 0)
        .iter()
        .map(|s| s * (0.5 - y))
        .collect();
    assert_all_close("dW2", &entries(&got, Step::DW2), &want);
    // Nothing given: the exact chain.
    let plain = follow(&problem, None, &[]);
    for step in Step::ALL {
        assert_all_close(
            step.name(),
            &entries(&plain, step),
            &entries(&exact.values, step),
        );
    }
    // A number so large that the chain overflows: the later steps are left out.
    let huge = follow(
        &problem,
        None,
        &[(Step::Z2, 0, -1e308), (Step::YHat, 0, 0.0)],
    );
    assert!(huge.try_get(Step::Loss).is_none());
}
