//! Thin binary: parse arguments, run, map the outcome to an exit code (0/1/2).

use std::process::ExitCode;

use clap::Parser;

// The lint is many short-lived small allocations (findings, expanded actions, pointers) spread
// over every core: mimalloc's per-thread heaps cost a fraction of the system allocator's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = policy_lint::cli::Cli::parse();
    match policy_lint::run(cli) {
        Ok(status) => status.into(),
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("policy-lint: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
