//! IAM role checks (AU1xx), judged with policy-lint's library on the role's *effective* policy:
//! the Statement arrays of its inline policies and of the default versions of its attached
//! managed policies merged into one document, so combinations across policies are seen.

pub mod role_admin;
pub mod role_privilege_escalation;
pub mod role_wildcard_action;

use serde_json::Value;

use crate::checks::support::arn_account;
use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Fact, IamRole, Inventory, UnknownReason};

/// Where a statement of the merged document came from.
#[derive(Clone, Debug)]
pub(crate) struct Origin {
    /// `inline:<name>` or the managed policy ARN (with its version).
    pub(crate) policy: String,
    /// Index of the statement in that policy.
    pub(crate) statement: usize,
}

/// The merged effective document of a role, where each statement came from, and the first
/// unknown document (if any).
pub(crate) fn effective(role: &IamRole) -> (Value, Vec<Origin>, Option<UnknownReason>, Vec<String>) {
    let mut statements = Vec::new();
    let mut origins = Vec::new();
    let mut unknown = None;
    let mut unparsable = Vec::new();
    let mut add = |label: String, doc: &Fact<Value>, unknown: &mut Option<UnknownReason>| match doc {
        Fact::Known(Value::String(_)) => unparsable.push(label),
        Fact::Known(d) => {
            let list: Vec<Value> = match d.get("Statement") {
                Some(Value::Array(a)) => a.clone(),
                Some(v @ Value::Object(_)) => vec![v.clone()],
                _ => Vec::new(),
            };
            for (i, s) in list.into_iter().enumerate() {
                statements.push(s);
                origins.push(Origin { policy: label.clone(), statement: i });
            }
        }
        Fact::Unknown(r) => {
            unknown.get_or_insert(*r);
        }
    };
    match &role.inline_policies {
        Fact::Known(ps) => {
            for p in ps {
                add(format!("inline:{}", p.name), &p.document, &mut unknown);
            }
        }
        Fact::Unknown(r) => {
            unknown.get_or_insert(*r);
        }
    }
    match &role.attached_policies {
        Fact::Known(ps) => {
            for p in ps {
                let label = match &p.default_version_id {
                    Some(v) => format!("{} ({v})", p.arn),
                    None => p.arn.clone(),
                };
                add(label, &p.document, &mut unknown);
            }
        }
        Fact::Unknown(r) => {
            unknown.get_or_insert(*r);
        }
    }
    (serde_json::json!({"Version": "2012-10-17", "Statement": statements}), origins, unknown, unparsable)
}

/// Run policy-lint on each role and report, once per role, the findings whose policy-lint
/// category is in `categories`. `skip_admin` leaves out roles that already have full admin
/// (reported by AU101).
pub(crate) fn judge(
    inv: &Inventory,
    s: &Settings,
    sink: &mut Sink<'_>,
    categories: &[&str],
    skip_admin: bool,
    what: &str,
) {
    for role in &inv.iam_roles {
        let res = Res::role(role);
        let (doc, origins, unknown, unparsable) = effective(role);
        if !unparsable.is_empty() {
            // A document that is not JSON cannot be judged: say so instead of skipping it.
            let f = sink.report_with(
                &res,
                "/policies",
                s.unverified_severity.min(sink.rule().severity),
                format!("{} could not be verified: policy {} is not valid JSON", res.label(), unparsable.join(", ")),
            );
            f.evidence.insert("unverified".into(), "unparsable".into());
        }
        if origins.is_empty() {
            // No statement known: nothing granted, unless a document could not be read.
            if let Some(r) = unknown {
                sink.unknown(&res, "/policies", "a policy document of the role", r);
            }
            continue;
        }
        let opts = policy_lint::AnalyzeOptions {
            account_id: role.account.clone().or_else(|| role.arn.as_deref().and_then(arn_account).map(str::to_string)),
            trusted_accounts: s.trusted_accounts.clone(),
            trusted_org_ids: s.trusted_org_ids.clone(),
            allowed_regions: s.allowed_regions.clone(),
            residency: false,
        };
        let findings = match policy_lint::analyze_value(&doc, policy_lint::PolicyKind::Identity, &opts) {
            Ok(f) => f,
            Err(e) => {
                let f = sink.report(
                    &res,
                    "/policies",
                    format!("{}'s effective policy could not be analysed: {}", res.label(), e.message),
                );
                f.evidence.insert("pointer".into(), e.pointer.clone().into());
                continue;
            }
        };
        if skip_admin && findings.iter().any(|f| f.category == "full-admin") {
            continue;
        }
        let hits: Vec<&common::Finding> =
            findings.iter().filter(|f| categories.contains(&f.category.as_str())).collect();
        if hits.is_empty() {
            if let Some(r) = unknown {
                sink.unknown(&res, "/policies", "a policy document of the role", r);
            }
            continue;
        }
        let mut path = Vec::new();
        for h in &hits {
            let stmt = h
                .location
                .pointer
                .as_deref()
                .and_then(|p| p.strip_prefix("/Statement/"))
                .and_then(|rest| rest.split('/').next())
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|i| origins.get(i));
            let mut entry = serde_json::json!({"rule": h.code, "category": h.category, "message": h.message});
            if let Some(o) = stmt {
                entry["policy"] = o.policy.clone().into();
                entry["statement"] = o.statement.into();
            }
            path.push(entry);
        }
        let policies: std::collections::BTreeSet<String> =
            path.iter().filter_map(|e| e.get("policy").and_then(Value::as_str).map(str::to_string)).collect();
        let via = if policies.is_empty() {
            String::new()
        } else {
            format!(" (via {})", policies.into_iter().collect::<Vec<_>>().join(", "))
        };
        let f = sink.report(&res, "/policies", format!("{} {what}{via}", res.label()));
        f.evidence.insert("evidence_path".into(), Value::Array(path));
    }
}
