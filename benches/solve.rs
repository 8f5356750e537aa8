//! `cargo bench --bench solve`: solve time for Task 3.1 and for a 16x16 input with a 3x3 filter.

mod common;

use nnexam::solve::shown::Rounding;
use nnexam::solve::solve;
use nnexam::spec::{load, ExerciseFile, Problem};

fn large_problem() -> Problem {
    // 16x16 input, 3x3 filter, stride 1 -> Z1 14x14 -> 2x2/2 max pool -> P1 7x7 -> 49 weights.
    let value = |i: usize, j: usize| ((i * 7 + j * 3) % 10) as f64 - 4.0;
    let file = ExerciseFile {
        x: Some(
            ((0..16)
                .map(|i| (0..16).map(|j| value(i, j)).collect::<Vec<_>>())
                .collect::<Vec<_>>())
            .into(),
        ),
        f1: (vec![
            vec![0.5, -1.0, 0.0],
            vec![1.0, 0.5, -0.5],
            vec![0.0, -0.5, 1.0],
        ])
        .into(),
        b1: (-1.0).into(),
        w2: (0..49)
            .map(|k| ((k % 19) as f64 - 9.0) / 10.0)
            .collect::<Vec<_>>()
            .into(),
        b2: (0.2).into(),
        y: Some(1),
        lr: 0.5,
        activation: Default::default(),
        loss: Some(Default::default()),
        conv: Default::default(),
        pool: Default::default(),
        output: Default::default(),
        sample: None,
    };
    Problem::from_file(&file).expect("benchmark problem is valid")
}

fn main() {
    let task = load(std::path::Path::new("exercises/task-3-1.toml")).expect("bundled exercise");
    let large = large_problem();
    common::report(
        "solve Task 3.1 (5x5, 2x2)",
        common::median_per_call(51, 2000, || solve(&task)),
    );
    common::report(
        "solve 16x16 input, 3x3 filter",
        common::median_per_call(51, 200, || solve(&large)),
    );
    // The other per-student costs of a batch, for comparison with rendering.
    let solved = solve(&task).expect("solves");
    common::report(
        "Task 3.1 solution as pretty JSON",
        common::median_per_call(51, 2000, || solved.to_json()),
    );
    common::report(
        "stepwise shown values of Task 3.1 (exact decimals)",
        common::median_per_call(51, 2000, || {
            nnexam::solve::shown::shown(&solved, 3, Rounding::Stepwise).expect("shows")
        }),
    );
}
