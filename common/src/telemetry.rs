//! Logging: tracing to stderr, as text or JSON lines (`--log-format json`, for ECS).
//! Level from `-v`/`-q` or `RUST_LOG`. Never log record contents (PII).

use tracing_subscriber::{fmt, EnvFilter};

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Install the global subscriber. `default_level` is used when `RUST_LOG` is unset.
/// Calling it twice is harmless (the second call is ignored).
pub fn init(format: LogFormat, default_level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let no_color = std::env::var_os("NO_COLOR").is_some();
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(!no_color).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
    };
}

/// Map `-v` / `-q` counts to a level name.
#[must_use]
pub fn level(verbose: u8, quiet: u8) -> &'static str {
    match (verbose, quiet) {
        (_, q) if q >= 2 => "error",
        (_, 1) => "warn",
        (0, _) => "warn",
        (1, _) => "info",
        (2, _) => "debug",
        _ => "trace",
    }
}
