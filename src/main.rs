//! The `nnexam` binary: parse the command line, run it, print any error once, set the exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = nnexam::cli::Cli::parse();
    let stdout = std::io::stdout();
    match nnexam::run(cli, &mut stdout.lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err @ nnexam::Error::Interrupted) => {
            eprintln!("error: {err}");
            // 128 + SIGINT, as shells report a command stopped by Ctrl-C.
            ExitCode::from(130)
        }
        Err(err) => {
            eprintln!("error: {err}");
            // Every library error is about the user's input or environment: exit 2 like ripgrep.
            ExitCode::from(2)
        }
    }
}

/// `nnexam ... | head` closing the pipe early is not an error.
fn is_broken_pipe(err: &nnexam::Error) -> bool {
    matches!(err, nnexam::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
}
