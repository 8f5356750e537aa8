//! Exercises and options shared by the render tests: the bundled Task 3.1 and hand-built variants
//! covering every activation, both losses, both poolings, stride 2, padding, overlapping and
//! floored windows, non-square shapes and y = 0. `problems()` is the one problem source of the
//! compile and rounding tests; when the seeded generator lands, it can return generated seeds.
#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::Path;

use nnexam::render::{self, Identity, RenderOptions};
use nnexam::solve::shown::Rounding;
use nnexam::spec::difficulty::Preset;
use nnexam::spec::{self, Activation, Conv, ExerciseFile, Loss, Pool, PoolKind, Problem, Shapes};

/// The bundled Task 3.1.
pub(crate) fn task_3_1() -> Problem {
    spec::load(Path::new("exercises/task-3-1.toml")).expect("bundled exercise loads")
}

/// A deterministic, readable value pattern: small integers and halves, with zeros mixed in.
fn pattern(i: usize, j: usize, salt: usize) -> f64 {
    let v = (i * 7 + j * 3 + salt * 5) % 11;
    match v {
        0..=3 => 0.0,
        _ => (v as f64 - 7.0) / 2.0,
    }
}

/// One variant of the exercise family: shapes and settings, values from [`pattern`].
pub(crate) struct Variant {
    pub name: &'static str,
    pub x: (usize, usize),
    pub f1: (usize, usize),
    pub conv: Conv,
    pub pool: Pool,
    pub activation: Activation,
    pub loss: Loss,
    pub y: u8,
}

impl Variant {
    fn new(name: &'static str, x: (usize, usize), f1: (usize, usize)) -> Variant {
        Variant {
            name,
            x,
            f1,
            conv: Conv::default(),
            pool: Pool::default(),
            activation: Activation::Relu,
            loss: Loss::Bce,
            y: 1,
        }
    }

    fn conv(mut self, stride: usize, padding: usize) -> Variant {
        self.conv = Conv { stride, padding };
        self
    }

    fn pool(mut self, kind: PoolKind, size: usize, stride: usize) -> Variant {
        self.pool = Pool { kind, size, stride };
        self
    }

    fn act(mut self, activation: Activation) -> Variant {
        self.activation = activation;
        self
    }

    fn loss(mut self, loss: Loss, y: u8) -> Variant {
        self.loss = loss;
        self.y = y;
        self
    }

    /// The exercise file, with as many weights as the shapes need.
    pub(crate) fn file(&self) -> ExerciseFile {
        let shapes = Shapes::derive(self.x, self.f1, self.conv, self.pool).expect("valid variant");
        let rows = |(h, w): (usize, usize), salt| -> Vec<Vec<f64>> {
            (0..h)
                .map(|i| (0..w).map(|j| pattern(i, j, salt)).collect())
                .collect()
        };
        let mut f1 = rows(self.f1, 1);
        // A filter of zeros would make every gradient below it vanish.
        f1[0][0] = 0.5;
        let w2: Vec<f64> = (0..shapes.s)
            .map(|k| [0.1, -0.3, 0.4, 0.2, -0.2][k % 5])
            .collect();
        ExerciseFile {
            x: Some(rows(self.x, 0).into()),
            f1: f1.into(),
            b1: (-0.5).into(),
            w2: w2.into(),
            b2: 0.2.into(),
            y: Some(usize::from(self.y)),
            lr: 0.5,
            activation: self.activation,
            output: Default::default(),
            loss: Some(self.loss),
            conv: self.conv,
            pool: self.pool,
            sample: None,
        }
    }
}

/// Task 3.1 with one setting changed.
fn task_with(name: &'static str, change: impl Fn(&mut ExerciseFile)) -> (String, Problem) {
    let mut file = task_3_1().to_file();
    change(&mut file);
    (
        name.to_string(),
        Problem::from_file(&file).expect("valid task variant"),
    )
}

/// The bundled Task 3.1, its single-setting variants, and the hand-built variants.
pub(crate) fn problems() -> Vec<(String, Problem)> {
    use Activation::*;
    use PoolKind::*;
    let mut out = vec![
        ("task-3-1".to_string(), task_3_1()),
        task_with("task-y0", |f| f.y = Some(0)),
        task_with("task-mse", |f| f.loss = Some(Loss::Mse)),
        task_with("task-sigmoid", |f| f.activation = Sigmoid),
        task_with("task-tanh", |f| f.activation = Tanh),
        task_with("task-leaky", |f| f.activation = LeakyRelu),
        task_with("task-avg", |f| f.pool.kind = Avg),
    ];
    let variants = [
        Variant::new("stride2", (5, 5), (2, 2)).conv(2, 0),
        Variant::new("pad1-3x3", (5, 5), (3, 3)).conv(1, 1),
        Variant::new("6x6-3x3", (6, 6), (3, 3)),
        Variant::new("overlap", (4, 4), (2, 2)).pool(Max, 2, 1),
        Variant::new("nonsquare", (4, 6), (2, 3)).pool(Max, 2, 1),
        Variant::new("7x7", (7, 7), (2, 2)),
        Variant::new("stride2-pad1", (6, 6), (3, 3))
            .conv(2, 1)
            .pool(Max, 2, 1),
        Variant::new("pool3", (8, 8), (3, 3)).pool(Max, 3, 3),
        Variant::new("sigmoid-avg-mse-y0", (5, 5), (2, 2))
            .act(Sigmoid)
            .pool(Avg, 2, 2)
            .loss(Loss::Mse, 0),
        Variant::new("tanh-stride2-avg", (7, 7), (3, 3))
            .conv(2, 0)
            .pool(Avg, 2, 1)
            .act(Tanh),
        Variant::new("leaky-pad1-y0", (4, 4), (2, 2))
            .conv(1, 1)
            .act(LeakyRelu)
            .loss(Loss::Bce, 0),
    ];
    for v in variants {
        let problem = Problem::from_file(&v.file()).expect("valid variant");
        out.push((v.name.to_string(), problem));
    }
    out
}

/// The bundled presets of the original skeleton (one channel, one filter, a sigmoid output, one
/// sample), or with `wider` those of the wider family.
fn presets_of(wider: bool) -> Vec<&'static str> {
    nnexam::generate::PRESETS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            let config = nnexam::generate::preset(name).expect("bundled preset parses");
            config.architecture.is_wider_family() == wider
        })
        .collect()
}

/// The bundled presets of the original skeleton: one channel, one filter, a sigmoid output, one
/// sample.
pub(crate) fn sheet_presets() -> Vec<&'static str> {
    presets_of(false)
}

/// The bundled presets of the wider family: several channels or filters, a softmax output, a
/// mini-batch.
pub(crate) fn family_presets() -> Vec<&'static str> {
    presets_of(true)
}

/// Exercises from the generator: `per_preset` seeds of every bundled generator preset of the
/// original skeleton, named `<preset>-seed<k>`. What instructors actually render.
pub(crate) fn generated_problems(per_preset: usize) -> Vec<(String, Problem)> {
    sampled(&sheet_presets(), per_preset)
}

/// As [`generated_problems`], for the wider family's presets.
pub(crate) fn family_problems(per_preset: usize) -> Vec<(String, Problem)> {
    sampled(&family_presets(), per_preset)
}

/// `per_preset` seeds of every preset of `presets`.
fn sampled(presets: &[&str], per_preset: usize) -> Vec<(String, Problem)> {
    let mut out = Vec::new();
    for &preset in presets {
        let config = nnexam::generate::preset(preset).expect("bundled preset parses");
        for k in 0..per_preset {
            let seed = format!("render-compile/{preset}/{k}");
            let generated =
                nnexam::generate::sample_problem(&config, &seed).expect("bundled preset samples");
            out.push((format!("{preset}-seed{k}"), generated.problem));
        }
    }
    out
}

/// Render options for a preset and rounding mode, everything else default.
pub(crate) fn options(preset: Preset, rounding: Rounding) -> RenderOptions {
    RenderOptions {
        rounding,
        knobs: preset.knobs(),
        identity: Identity {
            file: Some("exercises/task-3-1.toml".to_string()),
            ..Identity::default()
        },
        ..RenderOptions::default()
    }
}

/// Renders with the built-in templates.
pub(crate) fn render(problem: &Problem, options: &RenderOptions) -> String {
    let tera = render::engine().expect("built-in templates parse");
    let solution = nnexam::solve::solve(problem).expect("solves");
    render::render_exercise(&solution, options, &tera).expect("renders")
}

/// Renders with the bundled templates of language `lang` (`"en"`: the built-ins), its numbers
/// in the decimal mark its `language.toml` sets.
pub(crate) fn render_lang(problem: &Problem, options: &RenderOptions, lang: &str) -> String {
    let language = render::lang::language(lang).expect("a bundled language");
    let overrides = render::lang::overrides(language, Vec::new());
    let settings = render::lang::settings(&overrides).expect("its settings parse");
    let tera = render::engine_with(overrides).expect("its templates parse");
    let options = RenderOptions {
        decimal_mark: settings.decimal_mark,
        ..options.clone()
    };
    let solution = nnexam::solve::solve(problem).expect("solves");
    render::render_exercise(&solution, &options, &tera).expect("renders")
}

/// The names of the files and folders in `dir`, sorted.
pub(crate) fn entries(dir: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("folder is readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// True when CI asks that the TeX/KaTeX tests really run (`.ci/run` sets it).
pub(crate) fn tools_required() -> bool {
    std::env::var("NNEXAM_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// Skips loudly, or fails when CI requires the tools. Writes to the real stderr: libtest
/// captures `eprintln!` of passing tests, and a silent skip would look like a pass.
pub(crate) fn skip(test: &str, why: &str) {
    use std::io::Write;
    assert!(
        !tools_required(),
        "{test}: {why}, and NNEXAM_REQUIRE_TOOLS=1 requires it to run"
    );
    let bar = "=".repeat(72);
    let message = format!(
        "\n{bar}\nSKIPPED {test}: {why}\n\
         (CI runs it: .ci/run installs the tools and sets NNEXAM_REQUIRE_TOOLS=1)\n{bar}\n"
    );
    // One write, so that parallel tests do not interleave their banners.
    let _ = std::io::stderr().write_all(message.as_bytes());
}
