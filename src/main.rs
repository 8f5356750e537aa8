//! The `nnexam` binary: parse the command line, install the signal handlers, run the command,
//! print any error once, set the exit code.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Parser;
use nnexam::cli::{Cli, Command};
use nnexam::workflow::Interrupt;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// Every library error is about the user's input or environment: exit 2 like ripgrep.
const EXIT_ERROR: u8 = 2;

/// Shells report a command stopped by signal N as 128 + N (130 for Ctrl-C).
const EXIT_SIGNAL_BASE: i32 = 128;

/// The signals that stop a folder-writing run cleanly: Ctrl-C, `kill`, a closed terminal.
const STOP_SIGNALS: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

fn main() -> ExitCode {
    let cli = Cli::parse();
    let interrupt = Interrupt::default();
    // Commands that write a folder stop cleanly (they remove their staging folder); the others
    // write only to stdout and keep the default: stop at once.
    if matches!(cli.command, Command::Batch(_) | Command::Exam(_)) {
        if let Err(err) = install_stop_handlers(&interrupt) {
            eprintln!("error: cannot install the signal handlers: {err}");
            return ExitCode::from(EXIT_ERROR);
        }
    }
    let stdout = std::io::stdout();
    match nnexam::run(cli, &mut stdout.lock(), &interrupt) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err @ nnexam::Error::Interrupted { signal }) => {
            eprintln!("error: {err}");
            ExitCode::from(u8::try_from(EXIT_SIGNAL_BASE + signal).unwrap_or(EXIT_ERROR))
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The first stop signal asks the run to stop cleanly (the run sees its number through
/// `interrupt`); a second one stops the process at once, with 128 + its number.
fn install_stop_handlers(interrupt: &Interrupt) -> std::io::Result<()> {
    use signal_hook::flag;
    let stopping = Arc::new(AtomicBool::new(false));
    for signal in STOP_SIGNALS {
        // Handlers run in the order registered: the shutdown sees only an earlier signal.
        flag::register_conditional_shutdown(
            signal,
            EXIT_SIGNAL_BASE + signal,
            Arc::clone(&stopping),
        )?;
        flag::register(signal, Arc::clone(&stopping))?;
        let number = usize::try_from(signal).expect("invariant: signal numbers are positive");
        flag::register_usize(signal, interrupt.flag(), number)?;
    }
    Ok(())
}

/// `nnexam ... | head` closing the pipe early is not an error.
fn is_broken_pipe(err: &nnexam::Error) -> bool {
    matches!(err, nnexam::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
}
