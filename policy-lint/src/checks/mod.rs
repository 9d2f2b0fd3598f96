//! The check registry: evaluator id → function. Rule files in `rules/policy-lint/` name their
//! evaluator; `tests/registry.rs` keeps files and registry in sync.
//!
//! * [`structure`] — grammar, catalog and condition checks (unknown actions, ARNs, versions,
//!   condition operators, keys and types).
//! * [`semantic`] — what the policy grants (wildcards, admin, escalation, exposure, principals,
//!   transport, residency).
//! * [`analysis`] — the cross-statement permission analysis the semantic checks share.

pub mod analysis;
pub mod semantic;
pub mod structure;

use crate::engine::CheckFn;

/// Find a check by evaluator id.
#[must_use]
pub fn lookup(evaluator: &str) -> Option<CheckFn> {
    registry().find(|(id, _)| *id == evaluator).map(|(_, f)| f)
}

/// All registered checks.
pub fn registry() -> impl Iterator<Item = (&'static str, CheckFn)> {
    structure::REGISTRY.iter().chain(semantic::REGISTRY.iter()).copied()
}
