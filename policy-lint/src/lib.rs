//! policy-lint: the least-privilege gate for IAM policies before `terraform apply`.
//!
//! Reads policy JSON (identity, trust, SCP, bucket, key, queue, topic policies), Terraform
//! source and `terraform show -json` plans; parses each policy into a [`policy::Policy`] whose
//! elements keep their JSON pointers; runs the checks of [`checks`] against the IAM action
//! [`catalog`] compiled into the binary; and reports findings through `common::report`.
//!
//! Library entry point for other tools (the auditor judges key policies and roles with it):
//! [`analyze_value`].

pub mod catalog;
pub mod checks;
pub mod cli;
pub mod config;
pub mod engine;
pub mod input;
mod par;
pub mod policy;
mod run;

pub use engine::{builtin_rules, AnalyzeOptions};
pub use policy::{PolicyError, PolicyKind};
pub use run::run;

include!(concat!(env!("OUT_DIR"), "/rule_files.rs"));

/// Analyse one policy document with the built-in catalog and all built-in rules.
///
/// Findings carry the rule's code, name, category (policy-lint's vocabulary), severity and a
/// JSON pointer; no file or address (the caller adds its own).
pub fn analyze_value(
    doc: &serde_json::Value,
    kind: PolicyKind,
    opts: &AnalyzeOptions,
) -> Result<Vec<common::Finding>, PolicyError> {
    let policy = policy::parse(doc, kind)?;
    Ok(engine::run(&policy, catalog::Catalog::builtin(), builtin_rules().rules(), opts))
}
