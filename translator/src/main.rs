//! Thin binary: parse arguments, run, map the outcome to an exit code (0/1/2).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = translator::cli::Cli::parse();
    match translator::cli::run(cli) {
        Ok(status) => status.into(),
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            #[allow(clippy::print_stderr)]
            {
                eprintln!("translator: error: {e:#}");
            }
            ExitCode::from(2)
        }
    }
}
