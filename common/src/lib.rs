//! Shared code of the fcm-guard tools.
//!
//! Everything here is tool-agnostic and free of AWS service logic, so it builds fast and
//! tests offline:
//!
//! * [`finding`] — a finding is data: code, rule name, category, severity, message, location.
//! * [`rules`] — rules as data (`rules/<tool>/<CODE>-<name>.toml`), loaded and looked up.
//! * [`select`] — `--select`/`--ignore`, severity overrides, exceptions with reason and expiry,
//!   and baselines (only new findings fail).
//! * [`report`] — renderers: table, JSON (versioned), SARIF 2.1.0, JUnit XML, self-contained HTML.
//! * [`exit`] — the exit-code contract shared by every CLI (0 clean, 1 findings, 2 error).
//! * [`tfplan`] — walks `terraform show -json` plans and state files.
//! * [`jsonpos`] — maps a JSON pointer back to a line and column of the source text.
//! * [`telemetry`] — logs to stderr, text or JSON lines.
//! * [`config`] — finds `<tool>.toml` upward from the working directory.

#[cfg(feature = "aws")]
pub mod aws;
pub mod config;
pub mod emulator;
pub mod exit;
pub mod finding;
pub mod jsonpos;
pub mod report;
pub mod rules;
pub mod select;
pub mod telemetry;
pub mod tfplan;

pub use exit::ExitStatus;
pub use finding::{Finding, Location, Severity};
pub use rules::{RuleMeta, RuleSet};
