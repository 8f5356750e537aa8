//! The commands: one file per command, each with one `execute` that reads its inputs (files,
//! flags), calls the library and writes its output. [`run`] dispatches a parsed command line.
//! The helpers here are what several commands share: loading a config, building the template
//! engine and the render options from the flags, writing to stdout, the progress bar.

mod batch;
mod exam;
mod generate;
mod grade;
mod moodle;
mod render;
mod solve;
mod templates;

use std::io::Write;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::cli::{Cli, Command, ConfigArgs, FolderArgs, RenderArgs, TemplatesAction};
use crate::error::{Error, Result};
use crate::export::key::Tolerance;
use crate::export::sheets::SheetPlan;
use crate::generate::{ConfigSource, GeneratorConfig};
use crate::number::DecimalMark;
use crate::render::{AnswerStyle, Format, Identity, LatexEngine, Part, RenderOptions};
use crate::spec::difficulty::{Difficulty, PointsTable};
use crate::spec::Shapes;
use crate::workflow::{Destination, Interrupt, NoProgress, Progress};

/// Runs one parsed command, writing its result to `out`. `interrupt` is set by the binary's
/// Ctrl-C handler; long runs check it and stop cleanly.
pub fn run(cli: Cli, out: &mut dyn Write, interrupt: &Interrupt) -> Result<()> {
    match cli.command {
        Command::Solve(args) => solve::execute(&args, out),
        Command::Generate(args) => generate::execute(&args, out),
        Command::Render(args) => render::execute(&args, out),
        Command::Batch(args) => batch::execute(&args, out, interrupt),
        Command::Exam(args) => exam::execute(&args, out, interrupt),
        Command::Moodle(args) => moodle::execute(&args, out),
        Command::Grade(args) => grade::execute(&args, out, interrupt),
        Command::Misconceptions { templates, lang } => {
            let (tera, _) = engine(
                templates.as_deref(),
                &lang,
                LatexEngine::default(),
                &[crate::render::entry::MISCONCEPTIONS],
            )?;
            write_stdout(out, &crate::grade::catalogue(&tera)?)
        }
        Command::Templates {
            action: TemplatesAction::Eject { dir, lang, force },
        } => templates::execute_eject(&dir, &lang, force, out),
    }
}

/// The chosen config (file, preset, or the built-in default) and where it came from.
fn load_config(args: &ConfigArgs) -> Result<(GeneratorConfig, ConfigSource)> {
    Ok(match (&args.config, &args.preset) {
        (Some(path), _) => {
            let (config, fingerprint) = crate::generate::config::load_with_fingerprint(path)?;
            let path = path.clone();
            (config, ConfigSource::File { path, fingerprint })
        }
        (None, Some(name)) => (
            crate::generate::preset(name)?,
            ConfigSource::Preset(name.clone()),
        ),
        (None, None) => (GeneratorConfig::default(), ConfigSource::Default),
    })
}

/// The template engine for a command that renders `entries`, for LaTeX compiled by `latex`, and
/// the decimal mark its numbers take: the built-ins, the language `lang`'s templates over them,
/// and the templates in `dir` (when given) over both; only the entries and what they use are
/// parsed. The mark is the `language.toml` of that set.
fn engine<S: AsRef<str>>(
    dir: Option<&Path>,
    lang: &str,
    latex: LatexEngine,
    entries: &[S],
) -> Result<(tera::Tera, DecimalMark)> {
    use crate::render::lang;
    let user = match dir {
        Some(dir) => crate::render::load_template_dir(dir)?,
        None => Vec::new(),
    };
    let overrides = lang::overrides(lang::language(lang)?, user);
    let settings = lang::settings(&overrides)?;
    let tera = crate::render::engine_for_latex(entries, overrides, latex)?;
    Ok((tera, settings.decimal_mark))
}

/// The knob flags as a `[difficulty]` table, to overlay on a config file's table.
fn difficulty_flags(args: &RenderArgs) -> Difficulty {
    let points = PointsTable {
        a: args.points_a,
        b: args.points_b,
        c: args.points_c,
        bonus: args.points_bonus,
    };
    Difficulty {
        preset: args.difficulty,
        parts: args.parts.clone(),
        give_z1: args.give_z1.then_some(true),
        give_d_w2: args.give_d_w2,
        transposed_conv: args.transposed_conv,
        give_f1_except: args.give_f1_except,
        give_d_z1: args.give_d_z1.then_some(true),
        give_d_p0: args.give_d_p0.then_some(true),
        points: (points != PointsTable::default()).then_some(points),
        answer_points: None,
    }
}

/// Render options in `format` from the flags, with `base` (a config file's `[difficulty]`, or
/// the default) under the knob flags and `identity` naming the exercise. A standalone document
/// with both parts; commands that write one sheet set `part` and `fragment` from their flags.
fn render_options(
    args: &RenderArgs,
    format: Format,
    base: &Difficulty,
    identity: Identity,
) -> Result<RenderOptions> {
    Ok(RenderOptions {
        format,
        part: Part::Both,
        fragment: false,
        decimals: usize::from(args.decimals),
        rounding: args.rounding,
        knobs: base.overlay(&difficulty_flags(args)).resolve()?,
        identity,
        instructor: args.instructor,
        space: args.space,
        answer_style: args.answer_style,
        choices: Vec::new(),
        decimal_mark: DecimalMark::Point,
    })
}

/// `options` with the lettered options of a multiple-choice sheet of `solution` (options drawn
/// from `seed`, distractors outside the tolerance the key derives), or as they are.
fn with_choices(
    options: RenderOptions,
    solution: &crate::solve::Solution,
    seed: &str,
) -> Result<RenderOptions> {
    if options.answer_style != AnswerStyle::Choice {
        return Ok(options);
    }
    use crate::solve::shown::{self, Rounding};
    let decimals = options.decimals;
    // The key grades against the stepwise values; the options print what the sheet prints.
    let stepwise = shown::shown(solution, decimals, Rounding::Stepwise)?;
    let exact;
    let printed = match options.rounding {
        Rounding::Stepwise => &stepwise,
        Rounding::Exact => {
            exact = shown::shown(solution, decimals, Rounding::Exact)?;
            &exact
        }
    };
    let policy = crate::export::key::Tolerance::FromRounding { decimals };
    let mut answers = crate::export::key::answers_for(solution, &stepwise, policy, &options.knobs)?;
    let choices = crate::export::key::choose(solution, printed, &mut answers, &options.knobs, seed);
    Ok(RenderOptions { choices, ..options })
}

/// A flag value as the command line spells it.
fn word(value: &impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .expect("invariant: no value is hidden")
        .get_name()
        .to_string()
}

/// The sheet flags as they were given, for the command that regenerates a sheet: the knob
/// flags in their order in `--help`, then the decimals and the rounding, always.
fn sheet_flags(args: &RenderArgs) -> String {
    let mut flags: Vec<String> = Vec::new();
    let mut flag = |name: &str, value: Option<String>| {
        flags.push(format!("--{name}"));
        flags.extend(value);
    };
    if let Some(preset) = args.difficulty {
        flag("difficulty", Some(word(&preset)));
    }
    if let Some(parts) = &args.parts {
        let names: Vec<String> = parts.iter().map(word).collect();
        flag("parts", Some(names.join(",")));
    }
    if args.give_z1 {
        flag("give-z1", None);
    }
    if let Some(k) = args.give_d_w2 {
        flag("give-d-w2", Some(k.to_string()));
    }
    if let Some(place) = args.transposed_conv {
        flag("transposed-conv", Some(word(&place)));
    }
    if let Some(n) = args.give_f1_except {
        flag("give-f1-except", Some(n.to_string()));
    }
    for (name, points) in [
        ("points-a", args.points_a),
        ("points-b", args.points_b),
        ("points-c", args.points_c),
        ("points-bonus", args.points_bonus),
    ] {
        if let Some(points) = points {
            flag(name, Some(points.to_string()));
        }
    }
    flag("decimals", Some(args.decimals.to_string()));
    flag("rounding", Some(word(&args.rounding)));
    if args.instructor {
        flag("instructor", None);
    }
    if args.space {
        flag("space", None);
    }
    if args.answer_style != AnswerStyle::Value {
        flag("answer-style", Some(word(&args.answer_style)));
    }
    if args.lang != "en" {
        flag("lang", Some(args.lang.clone()));
    }
    if args.latex_engine != LatexEngine::Pdflatex {
        flag("latex-engine", Some(word(&args.latex_engine)));
    }
    flags.join(" ")
}

/// The command that regenerates a generated exercise's sheets: `nnexam generate` with the seed,
/// the config and the sheet flags.
fn generate_command(seed: &str, source: &ConfigSource, args: &RenderArgs) -> String {
    format!(
        "{} {}",
        crate::generate::regenerate_command(seed, source),
        sheet_flags(args)
    )
}

/// Refuses knob flags (over `base`) whose counts do not fit one of the `shapes` the sheets may
/// have, rather than letting the renderer cut them down silently.
fn check_knob_counts(args: &RenderArgs, base: &Difficulty, shapes: &[Shapes]) -> Result<()> {
    base.overlay(&difficulty_flags(args)).check_counts(shapes)
}

/// Where a folder run writes, from its folder flags, and the LaTeX engine of its PDFs.
fn destination(folder: &FolderArgs, latex: LatexEngine) -> Destination {
    Destination {
        dir: folder.out.clone(),
        force: folder.force,
        pdf: folder.pdf,
        latex,
    }
}

/// Sheet rendering shared by `batch` and `exam`: formats, options, the key's tolerance and
/// what regenerates a sheet.
fn sheet_plan(
    (config, source): &(GeneratorConfig, ConfigSource),
    folder: &FolderArgs,
    render: &RenderArgs,
) -> Result<SheetPlan> {
    let tolerance = match folder.tolerance {
        Some(t) => Tolerance::Fixed(t),
        None => Tolerance::FromRounding {
            decimals: usize::from(render.decimals),
        },
    };
    crate::export::key::check_tolerance_fits_decimals(tolerance, usize::from(render.decimals))?;
    check_knob_counts(
        render,
        &config.difficulty,
        &config.architecture.possible_shapes()?,
    )?;
    Ok(SheetPlan {
        formats: distinct(&folder.format),
        options: render_options(
            render,
            Format::Latex,
            &config.difficulty,
            Identity::default(),
        )?,
        tolerance,
        config_source: source.clone(),
        sheet_flags: sheet_flags(render),
    })
}

/// `formats` in the order given, each once: `--format latex,markdown,latex` must not render
/// (and compile) the same sheets twice.
fn distinct(formats: &[Format]) -> Vec<Format> {
    let mut out = Vec::with_capacity(formats.len());
    for &format in formats {
        if !out.contains(&format) {
            out.push(format);
        }
    }
    out
}

/// The templates `batch` and `exam` render for every person, their closing line, the warning
/// about letters the fonts lack, and with `--pdf` the class documents.
fn folder_templates(plan: &SheetPlan, folder: &FolderArgs) -> Vec<&'static str> {
    use crate::render::entry;
    let mut templates: Vec<&str> = plan.formats.iter().map(|f| f.entry_template()).collect();
    templates.extend([entry::RUN_SUMMARY, entry::UNPRINTABLE]);
    if folder.pdf {
        templates.extend([entry::CLASS_DOCUMENT, entry::SHEET_START]);
    }
    templates
}

/// A progress bar on stderr, one per stage; hidden when stderr is not a terminal.
#[derive(Default)]
struct TerminalProgress {
    bar: std::sync::Mutex<Option<ProgressBar>>,
}

/// The progress display a folder run gets: none with `--quiet`.
fn progress(quiet: bool) -> Box<dyn Progress> {
    if quiet {
        Box::new(NoProgress)
    } else {
        Box::new(TerminalProgress::default())
    }
}

impl TerminalProgress {
    fn current(&self) -> Option<ProgressBar> {
        self.bar
            .lock()
            .expect("invariant: no thread panics holding the bar")
            .clone()
    }
}

impl Progress for TerminalProgress {
    fn begin(&self, what: &'static str, len: usize) {
        let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta} left)")
                .expect("invariant: the progress template is valid")
                .progress_chars("=> "),
        );
        bar.set_message(what);
        *self
            .bar
            .lock()
            .expect("invariant: no thread panics holding the bar") = Some(bar);
    }

    fn advance(&self) {
        if let Some(bar) = self.current() {
            bar.inc(1);
        }
    }

    fn end(&self) {
        if let Some(bar) = self.current() {
            bar.finish_and_clear();
        }
    }
}

/// Whose text a LaTeX sheet prints, for `text/unprintable.txt`: `kind` is `"student"`,
/// `"variant"`, `"seed"` or `"file"`; `latex_engine` the program the sheets are for.
#[derive(Serialize)]
struct Unprintable<'a> {
    kind: &'static str,
    id: &'a str,
    name: &'a str,
    letters: Vec<String>,
    latex_engine: &'static str,
}

/// The warnings (for stderr) about letters of user text that the LaTeX sheets' fonts cannot
/// typeset (the sheets show `?` for them): one name must not stop anybody's PDF, nor change
/// silently. `texts` are `(kind, id, name)`. Rendered before the run, so that a broken
/// template fails it, and printed after it succeeds.
fn unprintable_warnings<'a>(
    tera: &tera::Tera,
    latex: LatexEngine,
    texts: impl IntoIterator<Item = (&'static str, &'a str, &'a str)>,
) -> Result<String> {
    let mut warnings = String::new();
    for (kind, id, name) in texts {
        let letters = crate::render::filters::latex_unprintable_with(latex, &format!("{id}{name}"));
        if letters.is_empty() {
            continue;
        }
        let warning = Unprintable {
            kind,
            id,
            name,
            letters: letters.into_iter().map(String::from).collect(),
            latex_engine: latex.program(),
        };
        warnings.push_str(&crate::render::render(
            tera,
            crate::render::entry::UNPRINTABLE,
            &warning,
        )?);
    }
    Ok(warnings)
}

/// Writes `warnings` to stderr.
fn write_warnings(warnings: &str) -> Result<()> {
    write_to(&mut std::io::stderr(), "<stderr>", warnings)
}

/// Writes all of `text` to standard output (or the test's buffer).
fn write_stdout(out: &mut dyn Write, text: &str) -> Result<()> {
    write_to(out, "<stdout>", text)
}

/// Writes all of `text` to `out`, naming it `name` in the error.
fn write_to(out: &mut dyn Write, name: &str, text: &str) -> Result<()> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(write_error(name))
}

/// The error of a failed write to `name` (`<stdout>`, `<stderr>`).
fn write_error(name: &str) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        action: "write to",
        path: PathBuf::from(name),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_format_listed_twice_is_kept_once_in_its_first_place() {
        // Issue 10: only adjacent repeats were removed, so latex,markdown,latex compiled the
        // same files twice at once and miscounted them.
        let (l, m) = (Format::Latex, Format::Markdown);
        assert_eq!(distinct(&[l, m, l]), [l, m]);
        assert_eq!(distinct(&[m, m, l, m]), [m, l]);
    }
}
