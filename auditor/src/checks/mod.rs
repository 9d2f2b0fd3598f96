//! Checks: pure functions over an [`Inventory`]. One file per rule, grouped by service.
//!
//! Each rule file in `rules/auditor/` names an evaluator; [`REGISTRY`] maps the evaluator id to
//! its function (`tests/registry.rs` keeps both in sync). Evaluators never call AWS.
//!
//! Unknown values ([`crate::inventory::Fact::Unknown`]) are never treated as compliant: when a
//! collection error already explains the gap (access denied, API error) the check stays silent
//! (the `collection-error` finding and exit 2 cover it); otherwise (not collected, unsupported,
//! known only after apply) the check reports the resource as *not verified*, at
//! [`Settings::unverified_severity`] (never above the rule's own severity).

pub mod cloudtrail;
pub mod collection;
pub mod iam;
pub mod kinesis;
pub mod kms;
pub mod logs;
pub mod residency;
pub mod s3;
mod support;

pub use support::{DataClass, Res, Settings, Sink};

use common::finding::{sort_findings, Finding};
use common::rules::RuleMeta;

use crate::inventory::Inventory;

/// Evaluator signature shared by every rule.
pub type CheckFn = fn(&Inventory, &Settings, &mut Sink<'_>);

/// Evaluator id → function.
pub const REGISTRY: &[(&str, CheckFn)] = &[
    ("iam_role_admin", iam::role_admin::check),
    ("iam_role_wildcard_action", iam::role_wildcard_action::check),
    ("iam_role_privilege_escalation", iam::role_privilege_escalation::check),
    ("s3_no_default_encryption", s3::no_default_encryption::check),
    ("s3_sse_s3_not_kms", s3::sse_s3_not_kms::check),
    ("s3_kms_not_cmk", s3::kms_not_cmk::check),
    ("s3_bucket_key_disabled", s3::bucket_key_disabled::check),
    ("s3_public_access_not_blocked", s3::public_access_not_blocked::check),
    ("s3_no_tls_policy", s3::no_tls_policy::check),
    ("s3_versioning_off", s3::versioning_off::check),
    ("s3_no_lifecycle_retention", s3::no_lifecycle_retention::check),
    ("s3_log_retention_too_short", s3::log_retention_too_short::check),
    ("s3_object_lock_missing", s3::object_lock_missing::check),
    ("kms_rotation_disabled", kms::rotation_disabled::check),
    ("kms_pending_deletion", kms::pending_deletion::check),
    ("kms_policy_wildcard_principal", kms::policy_wildcard_principal::check),
    ("trail_not_multiregion", cloudtrail::not_multiregion::check),
    ("trail_no_log_validation", cloudtrail::no_log_validation::check),
    ("trail_not_encrypted", cloudtrail::not_encrypted::check),
    ("trail_not_logging", cloudtrail::not_logging::check),
    ("no_multiregion_trail", cloudtrail::no_multiregion_trail::check),
    ("logs_no_retention", logs::no_retention::check),
    ("logs_retention_too_short", logs::retention_too_short::check),
    ("logs_not_encrypted", logs::not_encrypted::check),
    ("kinesis_not_encrypted", kinesis::not_encrypted::check),
    ("kinesis_not_cmk", kinesis::not_cmk::check),
    ("region_outside_canada", residency::region_outside_canada::check),
    ("collection_error", collection::collection_error::check),
];

/// The evaluator for an id.
#[must_use]
pub fn lookup(evaluator: &str) -> Option<CheckFn> {
    REGISTRY.iter().find(|(id, _)| *id == evaluator).map(|(_, f)| *f)
}

/// Run one rule over the inventory.
#[must_use]
pub fn run_rule(inv: &Inventory, settings: &Settings, rule: &RuleMeta) -> Vec<Finding> {
    let Some(f) = lookup(&rule.evaluator) else {
        return Vec::new();
    };
    let mut sink = Sink::new(rule, settings);
    f(inv, settings, &mut sink);
    sink.into_findings()
}

/// Run every given rule; findings sorted.
#[must_use]
pub fn run_all<'a>(
    inv: &Inventory,
    settings: &Settings,
    rules: impl IntoIterator<Item = &'a RuleMeta>,
) -> Vec<Finding> {
    let mut out: Vec<Finding> = rules.into_iter().flat_map(|r| run_rule(inv, settings, r)).collect();
    sort_findings(&mut out);
    out
}
