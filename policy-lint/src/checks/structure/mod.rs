//! Structure checks: the document's grammar measured against the IAM catalog — unknown
//! services and actions, ARNs that are malformed or cannot match the action, policy versions,
//! duplicate `Sid`s, and condition operators, keys and value types.
//!
//! One file per rule; each registers one line in [`REGISTRY`]. Values containing `${` are
//! symbolic (Terraform references, IAM policy variables) and are never judged.

pub mod arn;
mod bad_mfa_condition;
mod condition_key_unknown;
mod condition_operator_unknown;
mod condition_type_mismatch;
mod duplicate_sid;
mod forallvalues_allow_without_null;
mod forallvalues_single_valued_key;
mod invalid_arn;
mod invalid_version;
mod resource_mismatch;
mod unknown_action;
mod unknown_service;

/// Evaluator id → check function.
pub static REGISTRY: &[(&str, crate::engine::CheckFn)] = &[
    ("unknown_service", unknown_service::check),
    ("unknown_action", unknown_action::check),
    ("resource_mismatch", resource_mismatch::check),
    ("invalid_arn", invalid_arn::check),
    ("invalid_version", invalid_version::check),
    ("duplicate_sid", duplicate_sid::check),
    ("condition_key_unknown", condition_key_unknown::check),
    ("condition_operator_unknown", condition_operator_unknown::check),
    ("condition_type_mismatch", condition_type_mismatch::check),
    ("forallvalues_single_valued_key", forallvalues_single_valued_key::check),
    ("forallvalues_allow_without_null", forallvalues_allow_without_null::check),
    ("bad_mfa_condition", bad_mfa_condition::check),
];

/// Symbolic: a Terraform reference or an IAM policy variable, unknown until apply or request.
pub(crate) fn is_symbolic(s: &str) -> bool {
    s.contains("${")
}

/// Does the string contain an IAM wildcard?
pub(crate) fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// The condition operators IAM knows (without `ForAllValues:`/`ForAnyValue:` and `IfExists`).
pub(crate) const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

/// Family of a condition operator (what type of value it compares).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpFamily {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// The family of a known base operator (exact IAM spelling), `None` if unknown.
pub(crate) fn op_family(base: &str) -> Option<OpFamily> {
    if !OPERATORS.contains(&base) {
        return None;
    }
    Some(match base {
        "Bool" => OpFamily::Bool,
        "BinaryEquals" => OpFamily::Binary,
        "IpAddress" | "NotIpAddress" => OpFamily::Ip,
        "Null" => OpFamily::Null,
        b if b.starts_with("String") => OpFamily::String,
        b if b.starts_with("Numeric") => OpFamily::Numeric,
        b if b.starts_with("Date") => OpFamily::Date,
        _ => OpFamily::Arn,
    })
}

/// A condition value as a boolean, if it is one (`true`, `"false"`, `"TRUE"`).
pub(crate) fn as_bool(v: &serde_json::Value) -> Option<bool> {
    match v {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}
