//! Thin binary: parse arguments, run, map the outcome to an exit code (0/1/2).

use std::process::ExitCode;

use clap::Parser;

// Many short-lived allocations per record on every worker: mimalloc's per-thread heaps cost less
// than the system allocator's (no transparent huge pages: their faults cost more than they save here).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
