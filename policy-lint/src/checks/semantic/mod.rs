//! Semantic checks: what a policy grants, to whom, and under which conditions.
//!
//! Every check reads the shared [`crate::checks::analysis::Analysis`] (wildcards expanded,
//! `NotAction` inverted, unconditional `Deny` subtracted, conditions classified) so that the
//! same semantics apply everywhere: a condition only clears a finding when it constrains who
//! or what is reached, never when it only limits region, source IP, MFA or time.

use crate::catalog::{AccessLevel, Action};
use crate::engine::CheckFn;

mod confused_deputy;
mod credentials_exposure;
mod cross_account_access;
mod data_exfiltration;
mod full_admin;
mod kms_wildcard_grant;
mod missing_secure_transport;
mod not_action_allow;
mod not_principal_allow;
mod not_resource_allow;
mod oidc_unconstrained;
mod passrole_wildcard;
mod privilege_escalation;
mod public_principal;
mod region_not_restricted;
mod resource_exposure;
mod weak_tls_version;
mod wildcard_action;
mod wildcard_resource;

/// Evaluator id → check.
pub static REGISTRY: &[(&str, CheckFn)] = &[
    ("full_admin", full_admin::check),
    ("wildcard_action", wildcard_action::check),
    ("wildcard_resource", wildcard_resource::check),
    ("not_action_allow", not_action_allow::check),
    ("not_resource_allow", not_resource_allow::check),
    ("privilege_escalation", privilege_escalation::check),
    ("passrole_wildcard", passrole_wildcard::check),
    ("data_exfiltration", data_exfiltration::check),
    ("credentials_exposure", credentials_exposure::check),
    ("resource_exposure", resource_exposure::check),
    ("not_principal_allow", not_principal_allow::check),
    ("public_principal", public_principal::check),
    ("cross_account_access", cross_account_access::check),
    ("confused_deputy", confused_deputy::check),
    ("oidc_unconstrained", oidc_unconstrained::check),
    ("missing_secure_transport", missing_secure_transport::check),
    ("weak_tls_version", weak_tls_version::check),
    ("kms_wildcard_grant", kms_wildcard_grant::check),
    ("region_not_restricted", region_not_restricted::check),
];

/// Human name of an access level.
pub(crate) fn level_name(l: AccessLevel) -> &'static str {
    match l {
        AccessLevel::List => "List",
        AccessLevel::Read => "Read",
        AccessLevel::Write => "Write",
        AccessLevel::PermissionsManagement => "Permissions management",
        AccessLevel::Tagging => "Tagging",
    }
}

/// `a, b, c and 12 more` — at most `max` names.
pub(crate) fn join_limited(names: &[String], max: usize) -> String {
    join_total(names, names.len(), max)
}

/// Like [`join_limited`] when `names` are the first of `total`.
pub(crate) fn join_total(names: &[String], total: usize, max: usize) -> String {
    let shown = &names[..names.len().min(max)];
    if total <= shown.len() {
        shown.join(", ")
    } else {
        format!("{} and {} more", shown.join(", "), total - shown.len())
    }
}

/// Full names of the first [`EVIDENCE_MAX`] catalog actions (all that messages and evidence show).
pub(crate) fn names(actions: &[&Action]) -> Vec<String> {
    actions.iter().take(EVIDENCE_MAX).map(|a| a.full_name()).collect()
}

/// `Write 12, Permissions management 3` for a set of actions.
pub(crate) fn level_counts(actions: &[&Action]) -> String {
    let mut counts: Vec<(AccessLevel, usize)> = Vec::new();
    for a in actions {
        match counts.iter_mut().find(|(l, _)| *l == a.access_level) {
            Some((_, n)) => *n += 1,
            None => counts.push((a.access_level, 1)),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.0));
    counts.iter().map(|(l, n)| format!("{} {n}", level_name(*l))).collect::<Vec<_>>().join(", ")
}

/// Longest action list kept in a finding's evidence (messages give the total).
pub(crate) const EVIDENCE_MAX: usize = 25;

/// JSON evidence: a list of strings, at most [`EVIDENCE_MAX`] (the first ones).
pub(crate) fn json_list(items: &[String]) -> serde_json::Value {
    serde_json::Value::Array(items.iter().take(EVIDENCE_MAX).map(|s| serde_json::Value::String(s.clone())).collect())
}

/// Report every `Allow` statement of an identity policy that grants one of `actions` on broad
/// resources with no constraining condition (after `Deny`), one finding per statement.
pub(crate) fn report_unconstrained_actions(ctx: &mut crate::engine::Ctx<'_>, actions: &[String], what: &str) {
    if ctx.policy.kind != crate::policy::PolicyKind::Identity {
        return;
    }
    let mut hits: Vec<(String, String, Vec<String>)> = Vec::new();
    {
        let an = ctx.analysis();
        for a in an.allows.iter().filter(|a| a.breadth.is_broad() && !a.constrained()) {
            let matched: Vec<String> = actions.iter().filter(|x| an.allow_grants(a, x)).cloned().collect();
            if !matched.is_empty() {
                let label = ctx.policy.statements[a.index].label();
                hits.push((a.resource_pointer.clone(), label, matched));
            }
        }
    }
    for (ptr, label, matched) in hits {
        let msg = format!(
            "{label} allows {what} actions on all resources without a condition that limits what is reached: {}",
            join_limited(&matched, 8)
        );
        ctx.report(ptr, msg).evidence.insert("actions".into(), json_list(&matched));
    }
}

/// Put an action list (the first [`EVIDENCE_MAX`]) and, when longer, its total into a
/// finding's evidence.
pub(crate) fn add_actions(f: &mut common::Finding, key: &str, items: &[String], total: usize) {
    f.evidence.insert(key.to_string(), json_list(items));
    if total > items.len().min(EVIDENCE_MAX) {
        f.evidence.insert(format!("{key}_total"), serde_json::Value::from(total));
    }
}
