//! `cargo bench --bench grade`: wall time of `grade` for a class of 10 000 students (marks,
//! feedback in two formats, the report), median of three runs, and per student. A third of the
//! class answers right, a third slips in z2 early (every later answer carried), a third makes
//! a misconception; each student has their own generated exercise (standard knobs).

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use nnexam::export::key::{self, KeyRow, Tolerance, TolerancePolicy};
use nnexam::generate::{self, GeneratorConfig};
use nnexam::grade::{Credit, Response, Responses};
use nnexam::render;
use nnexam::solve::misconception::Misconception;
use nnexam::solve::shown::{self, Rounding};
use nnexam::solve::{self, Values};
use nnexam::spec::difficulty::Preset;
use nnexam::workflow::{self, Destination, GradeJob, Interrupt, NoProgress};

const STUDENTS: usize = 10_000;
const RUNS: usize = 3;

/// The key row and the response of student `k`.
fn student(k: usize, config: &GeneratorConfig) -> (KeyRow, Response) {
    let seed = format!("bench-grade/{k}");
    let problem = generate::sample_problem(config, &seed)
        .expect("samples")
        .problem;
    let solution = solve::solve(&problem).expect("solves");
    let stepwise = shown::shown(&solution, 3, Rounding::Stepwise).expect("shown");
    let policy = Tolerance::FromRounding { decimals: 3 };
    let answers =
        key::answers_for(&solution, &stepwise, policy, &Preset::Standard.knobs()).expect("answers");
    let values: Values<f64> = match k % 3 {
        0 => solution.values.clone(),
        1 => {
            let mut slipped = problem.clone();
            slipped.b2 += 0.25;
            solve::solve(&slipped).expect("solves").values
        }
        _ => solve::follow(&problem, Some(Misconception::FlippedKernel), &[]),
    };
    let entries = nnexam::grade::entries_by_name(&problem);
    let response = Response {
        line: k as u64 + 2,
        values: answers
            .iter()
            .map(|a| {
                let (step, at) = entries[&a.key];
                let value = values.try_entry(step, at).copied();
                (a.key.clone(), value)
            })
            .collect(),
    };
    let row = KeyRow {
        id: format!("s{k:05}"),
        name: format!("Student {k}"),
        seed,
        folder: format!("s{k:05}"),
        problem,
        decimals: 3,
        rounding: Rounding::Stepwise,
        tolerance: TolerancePolicy::of(policy),
        answers,
    };
    (row, response)
}

fn main() {
    let config = GeneratorConfig::default();
    let (key, rows): (Vec<KeyRow>, Vec<Response>) =
        (0..STUDENTS).map(|k| student(k, &config)).unzip();
    let responses = Responses {
        columns: key[0].answers.iter().map(|a| a.key.clone()).collect(),
        rows: key
            .iter()
            .map(|r| r.id.clone())
            .zip(rows)
            .collect::<BTreeMap<_, _>>(),
    };
    let tera = render::engine().expect("templates");
    let job = GradeJob {
        key: &key,
        responses: &responses,
        credit: Credit::default(),
        reveal: false,
        tera: &tera,
        decimal_mark: nnexam::number::DecimalMark::Point,
    };
    let times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let dir = tempfile::tempdir().expect("temp dir");
            let dest = Destination {
                dir: dir.path().join("marks"),
                force: false,
                pdf: false,
                latex: nnexam::render::LatexEngine::Pdflatex,
            };
            let start = Instant::now();
            workflow::write_grades(&job, &dest, &NoProgress, &Interrupt::default())
                .expect("grades");
            start.elapsed().as_secs_f64()
        })
        .collect();
    let seconds = common::median(times);
    println!(
        "grade {STUDENTS} students (marks, feedback md+tex, report)  median {seconds:>6.2} s  \
         ({:.0} us/student)",
        seconds * 1e6 / STUDENTS as f64
    );
}
