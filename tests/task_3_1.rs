//! Task 3.1 solved by nnexam against values worked out by hand in the comments below (stride 1,
//! the corrected exercise). Each expected value is derived independently of the solver; where the
//! original's worked solution was wrong, the test names its error number from the reference.

use ndarray::{array, Array1, Array2};
use nnexam::solve::solve;
use nnexam::solve::step::Step;
use nnexam::spec::{load, Problem};

fn task() -> Problem {
    load(std::path::Path::new("exercises/task-3-1.toml")).expect("bundled exercise loads")
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-12 * expected.abs().max(1.0),
        "{what}: got {actual}, expected {expected}"
    );
}

fn assert_all_close(actual: &ndarray::ArrayView2<f64>, expected: &Array2<f64>, what: &str) {
    assert_eq!(actual.dim(), expected.dim(), "{what}: shape");
    for (a, e) in actual.iter().zip(expected) {
        assert_close(*a, *e, what);
    }
}

/// Z1(i, j) = 0.5 X(i,j) + 1 X(i,j+1) + 0 X(i+1,j) - 0.5 X(i+1,j+1) - 1, row by row:
/// row 0: 1+0-2-1 = -2 | 0+0-0-1 = -1 | 0+2-0-1 = 1 | 1+0-0-1 = 0
/// row 1: 0+4-1-1 = 2  | 2+0-0-1 = 1  | 0+0-0-1 = -1 | 0+0-2-1 = -3
/// row 2: 0+2-2-1 = -1 | 1+0-0-1 = 0  | 0+0-0-1 = -1 | 0+4-0-1 = 3
/// row 3: 0+4-0-1 = 3  | 2+0-0-1 = 1  | 0+0-0-1 = -1 | 0+0-3-1 = -4  (error 2: the original has 2)
#[test]
fn forward_pass_matches_hand_computation() {
    let sol = solve(&task()).unwrap();
    let z1 = array![
        [-2.0, -1.0, 1.0, 0.0],
        [2.0, 1.0, -1.0, -3.0],
        [-1.0, 0.0, -1.0, 3.0],
        [3.0, 1.0, -1.0, -4.0]
    ];
    assert_all_close(&sol.values.map_of(Step::Z1, 0, 0), &z1, "Z1");
    assert_all_close(
        &sol.values.map_of(Step::A1, 0, 0),
        &z1.mapv(|v| v.max(0.0)),
        "A1",
    );
    // Window maxima: {0,0,2,1} -> 2, {1,0,0,0} -> 1, {0,0,3,1} -> 3, {0,3,0,0} -> 3.
    assert_all_close(
        &sol.values.map_of(Step::P1, 0, 0),
        &array![[2.0, 1.0], [3.0, 3.0]],
        "P1",
    );
    // Error 9: S has four entries.
    assert_eq!(
        sol.values.row_of(Step::S, 0),
        Array1::from(vec![2.0, 1.0, 3.0, 3.0])
    );
    // Error 3: the bias is included. 0.2 + 0.3 - 2.4 + 0.6 + 0.7 = -0.6.
    assert_close(*sol.values.scalar(Step::Z2), -0.6, "z2");
    let y_hat = 1.0 / (1.0 + 0.6f64.exp());
    assert_close(*sol.values.scalar(Step::YHat), y_hat, "y_hat");
    assert_close(*sol.values.scalar(Step::Loss), -y_hat.ln(), "loss (y = 1)");
}

/// With d = y_hat - 1 and g = d * W2 = (g0, g1, g2, g3) (error 4: not y_hat * W2), each g goes to
/// its own window's maximum (error 5): g0 -> (1,0), g1 -> (0,2), g2 -> (3,0), g3 -> (2,3); Z1 is
/// positive at all four, so dC/dZ1 = dC/dA1.
#[test]
fn backward_pass_matches_hand_computation() {
    let sol = solve(&task()).unwrap();
    let d = 1.0 / (1.0 + 0.6f64.exp()) - 1.0;
    let (g0, g1, g2, g3) = (0.1 * d, 0.3 * d, -0.8 * d, 0.2 * d);
    assert_close(*sol.values.scalar(Step::DZ2), d, "dC/dz2");
    assert_close(*sol.values.scalar(Step::DB2), d, "dC/dB2");
    assert_eq!(sol.values.row_of(Step::DW2, 0).len(), 4);
    for (k, s) in [2.0, 1.0, 3.0, 3.0].iter().enumerate() {
        assert_close(sol.values.row_of(Step::DW2, 0)[k], d * s, "dC/dW2");
    }
    let mut d_z1 = Array2::zeros((4, 4));
    d_z1[[1, 0]] = g0;
    d_z1[[0, 2]] = g1;
    d_z1[[3, 0]] = g2;
    d_z1[[2, 3]] = g3;
    assert_all_close(&sol.values.map_of(Step::DA1, 0, 0), &d_z1, "dC/dA1");
    assert_all_close(&sol.values.map_of(Step::DZ1, 0, 0), &d_z1, "dC/dZ1");
    // dF(a,b) = sum g * X(i+a, j+b) over the four positions:
    // (0,0): X10 X02 X30 X23 = 0 0 0 0; (0,1): X11 X03 X31 X24 = 4 2 4 4;
    // (1,0): X20 X12 X40 X33 = 0 0 7 0; (1,1): X21 X13 X41 X34 = 2 0 0 0.
    let d_f1 = array![
        [0.0, 4.0 * g0 + 2.0 * g1 + 4.0 * g2 + 4.0 * g3],
        [7.0 * g2, 2.0 * g0]
    ];
    assert_all_close(&sol.values.filter(Step::DF1, 0, 0), &d_f1, "dC/dF1");
    assert_close(*sol.values.scalar(Step::DB1), g0 + g1 + g2 + g3, "dC/dB1");
    // Error 8: dC/dP0 scatters each g through F1 = [[0.5, 1], [0, -0.5]] from its position.
    let mut d_x = Array2::zeros((5, 5));
    for ((i, j), g) in [((1, 0), g0), ((0, 2), g1), ((3, 0), g2), ((2, 3), g3)] {
        d_x[[i, j]] += 0.5 * g;
        d_x[[i, j + 1]] += g;
        d_x[[i + 1, j + 1]] += -0.5 * g;
    }
    assert_all_close(&sol.values.map_of(Step::DP0, 0, 0), &d_x, "dC/dP0");
    assert_eq!(sol.conv_matrix.dim(), (16, 25));
}

/// One SGD step at lr = 0.5 from the original parameters (errors 6 and 7: sign of F1[1][0], and
/// B1 really updated).
#[test]
fn update_matches_hand_computation() {
    let sol = solve(&task()).unwrap();
    let d = 1.0 / (1.0 + 0.6f64.exp()) - 1.0;
    for (k, (w, s)) in [(0.1, 2.0), (0.3, 1.0), (-0.8, 3.0), (0.2, 3.0)]
        .iter()
        .enumerate()
    {
        assert_close(
            sol.values.row_of(Step::W2New, 0)[k],
            w - 0.5 * d * s,
            "W2 update",
        );
    }
    assert_close(*sol.values.scalar(Step::B2New), 0.7 - 0.5 * d, "B2 update");
    let g2 = -0.8 * d;
    assert_close(
        sol.values.filter(Step::F1New, 0, 0)[[1, 0]],
        0.0 - 0.5 * 7.0 * g2,
        "F1[1][0] update",
    );
    assert!(
        sol.values.filter(Step::F1New, 0, 0)[[1, 0]] < 0.0,
        "error 6: the F1[1][0] step goes down"
    );
    assert_close(
        *sol.values.scalar(Step::B1New),
        -1.0 - 0.5 * (-0.2 * d),
        "B1 update",
    );
}
