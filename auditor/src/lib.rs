//! auditor: the nightly compliance audit of the fraud-case-management accounts.
//!
//! * [`inventory`] — the normalised, plain-data model of the audited resources, produced by the
//!   live collector ([`collect`], the only code that talks to AWS) or by the plan reader
//!   ([`plan`], `terraform show -json`), and read by the checks.
//! * [`checks`] — one pure evaluator per rule over the inventory; rules are data in
//!   `rules/auditor/` (compiled in).
//! * [`cli`], [`config`], [`run`] — the command line, `auditor.toml`, and the driver that maps the
//!   outcome to the exit code (0 clean, 1 findings, 2 incomplete audit).

pub mod checks;
pub mod cli;
pub mod collect;
pub mod config;
pub mod inventory;
pub mod plan;
mod run;

pub use run::{evaluate, load_inventory, run, Audit};

include!(concat!(env!("OUT_DIR"), "/rule_files.rs"));

/// The rules compiled into the binary.
///
/// # Panics
/// Never at run time for a released binary: `tests/registry.rs` loads the same files.
#[must_use]
pub fn builtin_rules() -> common::rules::RuleSet {
    common::rules::RuleSet::from_sources(RULE_FILES.iter().copied())
        .expect("invariant: embedded rule files are valid (tests/registry.rs)")
}
