//! The commands: one file per command, each with one `execute` that reads its inputs (files,
//! flags), calls the library and writes its output. [`run`] dispatches a parsed command line.
//! The helpers here are what several commands share: loading a config, building the template
//! engine and the render options from the flags, writing to stdout, the progress bar.

mod batch;
mod exam;
mod generate;
mod moodle;
mod render;
mod solve;
mod templates;

use std::io::Write;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, Command, ConfigArgs, FolderArgs, RenderArgs, TemplatesAction};
use crate::error::{Error, Result};
use crate::export::key::Tolerance;
use crate::export::sheets::SheetPlan;
use crate::generate::{ConfigSource, GeneratorConfig};
use crate::render::{Format, Identity, Part, RenderOptions};
use crate::spec::difficulty::{Difficulty, PointsTable};
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
        Command::Templates {
            action: TemplatesAction::Eject { dir, force },
        } => templates::execute_eject(&dir, force, out),
    }
}

/// The chosen config (file, preset, or the built-in default) and where it came from.
fn load_config(args: &ConfigArgs) -> Result<(GeneratorConfig, ConfigSource)> {
    Ok(match (&args.config, &args.preset) {
        (Some(path), _) => (
            crate::generate::config::load(path)?,
            ConfigSource::File(path.clone()),
        ),
        (None, Some(name)) => (
            crate::generate::preset(name)?,
            ConfigSource::Preset(name.clone()),
        ),
        (None, None) => (GeneratorConfig::default(), ConfigSource::Default),
    })
}

/// The template engine for a command that renders `entries`: built-ins, overridden by the
/// templates in `dir` when given; only the entries and what they use are parsed.
fn engine<S: AsRef<str>>(dir: Option<&Path>, entries: &[S]) -> Result<tera::Tera> {
    let overrides = match dir {
        Some(dir) => crate::render::load_template_dir(dir)?,
        None => Vec::new(),
    };
    crate::render::engine_for(entries, overrides)
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
    })
}

/// Where a folder run writes, from its folder flags.
fn destination(folder: &FolderArgs) -> Destination {
    Destination {
        dir: folder.out.clone(),
        force: folder.force,
        pdf: folder.pdf,
    }
}

/// Sheet rendering shared by `batch` and `exam`: formats, options and the key's tolerance.
fn sheet_plan(
    config: &GeneratorConfig,
    folder: &FolderArgs,
    render: &RenderArgs,
) -> Result<SheetPlan> {
    let tolerance = match folder.tolerance {
        Some(t) => Tolerance::Fixed(t),
        None => Tolerance::FromRounding {
            decimals: usize::from(render.decimals),
        },
    };
    // Each format once, in the order first given: `latex,markdown,latex` is two formats.
    let mut formats: Vec<Format> = Vec::new();
    for &format in &folder.format {
        if !formats.contains(&format) {
            formats.push(format);
        }
    }
    Ok(SheetPlan {
        formats,
        options: render_options(
            render,
            Format::Latex,
            &config.difficulty,
            Identity::default(),
        )?,
        tolerance,
    })
}

/// The templates `batch` and `exam` render for every person, their closing line, and with
/// `--pdf` the class documents.
fn folder_templates(plan: &SheetPlan, folder: &FolderArgs) -> Vec<&'static str> {
    use crate::render::entry;
    let mut templates: Vec<&str> = plan.formats.iter().map(|f| f.entry_template()).collect();
    templates.push(entry::RUN_SUMMARY);
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
