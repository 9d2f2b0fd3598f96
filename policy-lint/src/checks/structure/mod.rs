//! Structure checks: the document's grammar measured against the IAM catalog — unknown
//! services and actions, ARNs that are malformed or cannot match the action, policy versions,
//! duplicate `Sid`s, and condition operators, keys and value types.
//!
//! One file per rule; each registers one line in [`REGISTRY`].

/// Evaluator id → check function.
pub static REGISTRY: &[(&str, crate::engine::CheckFn)] = &[];
