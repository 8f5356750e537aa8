//! `nnexam generate --seed S`: a fresh exercise from a seed, as an exercise file, its solution,
//! JSON, or a LaTeX/Markdown sheet.

use std::io::Write;

use super::{
    check_knob_counts, engine, generate_command, load_config, render_options, unprintable_warnings,
    with_choices, write_stdout, write_to, write_warnings,
};
use crate::cli::{GenerateArgs, GenerateFormat};
use crate::error::Result;
use crate::render::{self, entry, Format, Identity, RenderOptions};
use crate::solve::shown;
use crate::{generate, solve};

/// Samples the exercise of `args.seed` and prints it in `args.format`.
pub(super) fn execute(args: &GenerateArgs, out: &mut dyn Write) -> Result<()> {
    let (config, source) = load_config(&args.config)?;
    // Flags and templates are checked before sampling, so a typo is reported first.
    let sheet_format = match args.format {
        GenerateFormat::Latex => Some(Format::Latex),
        GenerateFormat::Markdown => Some(Format::Markdown),
        _ => None,
    };
    let printed = match args.format {
        GenerateFormat::Toml => Some(entry::EXERCISE_TOML),
        GenerateFormat::Text => Some(entry::SOLUTION_TEXT),
        GenerateFormat::Json => None,
        GenerateFormat::Latex | GenerateFormat::Markdown => {
            sheet_format.map(Format::entry_template)
        }
    };
    let stats = args.stats.then_some(entry::GENERATE_STATS);
    // LaTeX sheets warn about letters their fonts cannot print.
    let warning = (sheet_format == Some(Format::Latex)).then_some(entry::UNPRINTABLE);
    let entries: Vec<&str> = printed.into_iter().chain(stats).chain(warning).collect();
    let (tera, decimal_mark) = engine(
        args.render.templates.as_deref(),
        &args.render.lang,
        args.render.latex_engine,
        &entries,
    )?;
    let sheet_options = match sheet_format {
        Some(format) => {
            let shapes = config.architecture.possible_shapes()?;
            check_knob_counts(&args.render, &config.difficulty, &shapes)?;
            let identity = Identity {
                seed: Some(args.seed.clone()),
                command: Some(generate_command(&args.seed, &source, &args.render)),
                config_fingerprint: source.fingerprint(),
                ..Identity::default()
            };
            Some(RenderOptions {
                part: args.sheet.part,
                fragment: args.sheet.fragment,
                decimal_mark,
                ..render_options(&args.render, format, &config.difficulty, identity)?
            })
        }
        None => None,
    };
    let warnings = match sheet_format {
        Some(Format::Latex) => unprintable_warnings(
            &tera,
            args.render.latex_engine,
            [("seed", args.seed.as_str(), "")],
        )?,
        _ => String::new(),
    };
    let generated = generate::sample_problem(&config, &args.seed)?;
    if args.stats {
        let summary = generated.stats.summary(&config);
        let text = render::render(&tera, entry::GENERATE_STATS, &summary)?;
        write_to(&mut std::io::stderr(), "<stderr>", &text)?;
    }
    let text = match args.format {
        GenerateFormat::Toml => render::exercise_toml(
            &tera,
            &generated.problem,
            &args.seed,
            &generate::regenerate_command(&args.seed, &source),
        )?,
        GenerateFormat::Text => {
            let solution = solve::solve(&generated.problem)?;
            render::render(&tera, entry::SOLUTION_TEXT, &solution)?
        }
        GenerateFormat::Json => {
            let solution = solve::solve(&generated.problem)?;
            let decimals = usize::from(args.render.decimals);
            let shown = shown::shown(&solution, decimals, args.render.rounding)?;
            shown::contract_json(&solution, &shown)
        }
        GenerateFormat::Latex | GenerateFormat::Markdown => {
            let options = sheet_options.expect("invariant: built above for sheet formats");
            let solution = solve::solve(&generated.problem)?;
            let options = with_choices(options, &solution, &args.seed)?;
            render::render_exercise(&solution, &options, &tera)?
        }
    };
    write_warnings(&warnings)?;
    write_stdout(out, &text)
}
