use clap::Parser;

// Parsing, redaction and aggregation make many short-lived allocations on every worker thread:
// mimalloc's per-thread heaps cost less than the system allocator's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = log_shipper::Cli::parse();
    match log_shipper::run(cli) {
        Ok(status) => status.into(),
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return std::process::ExitCode::SUCCESS;
            }
            #[allow(clippy::print_stderr)]
            {
                eprintln!("log-shipper: error: {e:#}");
            }
            common::ExitStatus::Error.into()
        }
    }
}
