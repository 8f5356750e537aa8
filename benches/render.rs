//! `cargo bench --bench render`: render Task 3.1's question and solution in LaTeX and in
//! Markdown (four documents, one Tera engine built once), the target being a median
//! under 1 ms for all four. Also reports each format alone and building the engine.

mod common;

use nnexam::render::{self, Format, Identity, Part, RenderOptions};
use nnexam::solve::solve;
use nnexam::spec::load;

fn main() {
    let task = load(std::path::Path::new("exercises/task-3-1.toml")).expect("bundled exercise");
    let solution = solve(&task).expect("solves");
    let tera = render::engine().expect("built-in templates");
    let options = |format, part| RenderOptions {
        format,
        part,
        identity: Identity {
            file: Some("exercises/task-3-1.toml".to_string()),
            ..Identity::default()
        },
        ..RenderOptions::default()
    };
    let all: Vec<RenderOptions> = [Format::Latex, Format::Markdown]
        .into_iter()
        .flat_map(|f| [options(f, Part::Question), options(f, Part::Solution)])
        .collect();
    let render_all = || {
        all.iter()
            .map(|o| render::render_exercise(&solution, o, &tera).expect("renders"))
            .map(|text| text.len())
            .sum::<usize>()
    };
    common::report(
        "render Task 3.1 question+solution, LaTeX+Markdown",
        common::median_per_call(51, 50, render_all),
    );
    let sheets: Vec<render::SheetSpec> = all
        .iter()
        .map(|o| render::SheetSpec {
            format: o.format,
            part: o.part,
            fragment: false,
        })
        .collect();
    common::report(
        "the same four sheets through render_sheets (batch)",
        common::median_per_call(51, 50, || {
            // The batch computes the shown values once per student, as render_sheets expects.
            let shown =
                nnexam::solve::shown::shown(&solution, 3, Default::default()).expect("shows");
            render::render_sheets(&solution, &shown, &all[0], &sheets, &tera).expect("renders")
        }),
    );
    for format in [Format::Latex, Format::Markdown] {
        let both = options(format, Part::Both);
        common::report(
            &format!("render Task 3.1 both parts, {format:?}"),
            common::median_per_call(51, 50, || {
                render::render_exercise(&solution, &both, &tera).expect("renders")
            }),
        );
    }
    common::report(
        "build the template engine",
        common::median_per_call(21, 10, || render::engine().expect("built-in templates")),
    );
}
