//! The `nnexam` binary: parse the command line, install the Ctrl-C handler, run the command,
//! print any error once, set the exit code.

use std::process::ExitCode;

use clap::Parser;
use nnexam::cli::{Cli, Command};
use nnexam::workflow::Interrupt;

/// 128 + SIGINT, as shells report a command stopped by Ctrl-C.
const EXIT_INTERRUPTED: u8 = 130;
/// Every library error is about the user's input or environment: exit 2 like ripgrep.
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let interrupt = Interrupt::default();
    // Commands that write a folder stop cleanly on Ctrl-C (they remove their staging folder);
    // the others write only to stdout and keep the default: stop at once.
    if matches!(cli.command, Command::Batch(_) | Command::Exam(_)) {
        if let Err(err) = install_interrupt_handler(&interrupt) {
            eprintln!("error: cannot install the Ctrl-C handler: {err}");
            return ExitCode::from(EXIT_ERROR);
        }
    }
    let stdout = std::io::stdout();
    match nnexam::run(cli, &mut stdout.lock(), &interrupt) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err @ nnexam::Error::Interrupted) => {
            eprintln!("error: {err}");
            ExitCode::from(EXIT_INTERRUPTED)
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The first Ctrl-C asks the run to stop cleanly; a second one stops the process at once.
fn install_interrupt_handler(interrupt: &Interrupt) -> std::io::Result<()> {
    use signal_hook::consts::SIGINT;
    use signal_hook::flag;
    flag::register_conditional_shutdown(SIGINT, i32::from(EXIT_INTERRUPTED), interrupt.flag())?;
    flag::register(SIGINT, interrupt.flag())?;
    Ok(())
}

/// `nnexam ... | head` closing the pipe early is not an error.
fn is_broken_pipe(err: &nnexam::Error) -> bool {
    matches!(err, nnexam::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
}
