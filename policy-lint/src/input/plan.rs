//! Policies in `terraform show -json` plans and states.
//!
//! Resources come from `common::tfplan::resources` (`resource_changes[].change.after`, then
//! `planned_values` including child modules, or a state's `values`). Each policy attribute of
//! a known resource type ([`POLICY_ATTRIBUTES`]) is a JSON string; it becomes a
//! [`Content::Policy`]. An attribute unknown until apply (`after_unknown`) becomes
//! [`Content::Unknown`]. `aws_iam_policy_document` data sources contribute their `json` when it
//! is known and not already the policy of a resource (which would report everything twice).
//!
//! Positions: the line of the resource's `"address"` in the plan file.

use std::collections::{HashMap, HashSet};

use common::report::ToolError;
use serde_json::Value;

use super::{Content, Document, InputOptions, Loaded, Locator};
use crate::policy::PolicyKind;

/// Resource type → (policy attribute, kind) for managed resources. `aws_iam_role` inline
/// policies and `aws_organizations_policy` are handled apart.
pub const POLICY_ATTRIBUTES: &[(&str, &str, PolicyKind)] = &[
    ("aws_iam_policy", "policy", PolicyKind::Identity),
    ("aws_iam_role", "assume_role_policy", PolicyKind::Trust),
    ("aws_iam_role_policy", "policy", PolicyKind::Identity),
    ("aws_iam_user_policy", "policy", PolicyKind::Identity),
    ("aws_iam_group_policy", "policy", PolicyKind::Identity),
    ("aws_ssoadmin_permission_set_inline_policy", "inline_policy", PolicyKind::Identity),
    ("aws_s3_bucket_policy", "policy", PolicyKind::Bucket),
    ("aws_s3_bucket", "policy", PolicyKind::Bucket),
    ("aws_kms_key", "policy", PolicyKind::Key),
    ("aws_kms_key_policy", "policy", PolicyKind::Key),
    ("aws_sqs_queue_policy", "policy", PolicyKind::Queue),
    ("aws_sqs_queue", "policy", PolicyKind::Queue),
    ("aws_sns_topic_policy", "policy", PolicyKind::Topic),
    ("aws_sns_topic", "policy", PolicyKind::Topic),
    ("aws_ecr_repository_policy", "policy", PolicyKind::Resource),
    ("aws_secretsmanager_secret_policy", "policy", PolicyKind::Resource),
    ("aws_organizations_policy", "content", PolicyKind::Scp),
];

/// Resources whose `policy` attribute the provider computes when the configuration leaves it
/// unset (the policy is managed by `aws_s3_bucket_policy`, `aws_sqs_queue_policy`,
/// `aws_sns_topic_policy`): unknown there means "not set", not "set to something computed".
const COMPUTED_WHEN_UNSET: [&str; 3] = ["aws_s3_bucket", "aws_sqs_queue", "aws_sns_topic"];

/// Kind of an `aws_organizations_policy` by its `type`: service and resource control
/// policies are IAM policy language; tag, backup and AI opt-out policies are not.
fn organizations_kind(values: &Value) -> Option<PolicyKind> {
    match values.get("type").and_then(Value::as_str) {
        None | Some("SERVICE_CONTROL_POLICY") => Some(PolicyKind::Scp),
        Some("RESOURCE_CONTROL_POLICY") => Some(PolicyKind::Resource),
        Some(_) => None,
    }
}

/// Line of each resource address's first `"address": "..."` in the plan text.
fn address_lines(text: &str) -> HashMap<String, u32> {
    let mut out = HashMap::new();
    let mut line: u32 = 1;
    let mut last = 0;
    let needle = "\"address\"";
    let mut from = 0;
    while let Some(i) = text[from..].find(needle) {
        let at = from + i;
        line = line.saturating_add(
            u32::try_from(text.as_bytes()[last..at].iter().filter(|&&b| b == b'\n').count()).unwrap_or(u32::MAX),
        );
        last = at;
        let rest = text[at + needle.len()..].trim_start();
        if let Some(rest) = rest.strip_prefix(':') {
            let rest = rest.trim_start();
            if let Some(rest) = rest.strip_prefix('"') {
                let rb = rest.as_bytes();
                let mut k = 0;
                while k < rb.len() && rb[k] != b'"' {
                    k += if rb[k] == b'\\' { 2 } else { 1 };
                }
                if let Some(end) = (k < rb.len()).then_some(k) {
                    let addr = &rest[..end];
                    if !addr.contains('\\') {
                        out.entry(addr.to_string()).or_insert(line);
                    } else if let Ok(Value::String(s)) = serde_json::from_str(&format!("\"{}\"", &rest[..end])) {
                        out.entry(s).or_insert(line);
                    }
                }
            }
        }
        from = at + needle.len();
    }
    out
}

/// One policy attribute found in a plan resource.
struct Found {
    address: String,
    attribute: String,
    kind: PolicyKind,
    text: Option<String>,
    unknown: bool,
}

/// Load the policies of a plan or state that `text` holds (already parsed into `doc`).
pub(crate) fn load_plan(display: &str, text: &str, doc: &Value, opts: &InputOptions, out: &mut Loaded) {
    let resources = match common::tfplan::resources(doc) {
        Ok(r) => r,
        Err(e) => {
            out.errors.push(ToolError::new(display, "parse", e.to_string()));
            return;
        }
    };
    let lines = address_lines(text);
    let mut found: Vec<Found> = Vec::new();
    let mut data_docs: Vec<Found> = Vec::new();
    for r in &resources {
        if r.mode == "data" {
            if r.r#type == "aws_iam_policy_document" {
                data_docs.push(Found {
                    address: r.address.clone(),
                    attribute: "json".into(),
                    kind: PolicyKind::Identity,
                    text: r.values.get("json").and_then(Value::as_str).map(str::to_string),
                    unknown: r.is_unknown("/json"),
                });
            }
            continue;
        }
        for (ty, attr, kind) in POLICY_ATTRIBUTES {
            if *ty != r.r#type {
                continue;
            }
            let kind = if *ty == "aws_organizations_policy" {
                match organizations_kind(&r.values) {
                    Some(k) => k,
                    None => continue,
                }
            } else {
                *kind
            };
            let unknown = r.is_unknown(&format!("/{attr}"));
            if unknown && COMPUTED_WHEN_UNSET.contains(ty) {
                // Unset in configuration (the policy lives in a separate *_policy resource) and
                // computed by the provider: nothing to report.
                continue;
            }
            found.push(Found {
                address: r.address.clone(),
                attribute: (*attr).to_string(),
                kind,
                text: r.values.get(*attr).and_then(Value::as_str).map(str::to_string),
                unknown,
            });
        }
        if r.r#type == "aws_iam_role" {
            if let Some(inline) = r.values.get("inline_policy").and_then(Value::as_array) {
                for (i, p) in inline.iter().enumerate() {
                    found.push(Found {
                        address: format!("{}.inline_policy[{i}]", r.address),
                        attribute: "policy".into(),
                        kind: PolicyKind::Identity,
                        text: p.get("policy").and_then(Value::as_str).map(str::to_string),
                        unknown: r.is_unknown(&format!("/inline_policy/{i}/policy")),
                    });
                }
            }
        }
    }
    let consumed: HashSet<String> =
        found.iter().filter_map(|f| f.text.as_deref().map(|t| t.trim().to_string())).collect();
    for d in data_docs {
        // A data source's JSON already analysed as some resource's policy is not analysed again;
        // one that is unknown shows up through the resources that use it.
        if d.text.as_deref().is_some_and(|t| !t.trim().is_empty() && !consumed.contains(t.trim())) {
            found.push(d);
        }
    }
    for f in found {
        let line = lines.get(base_address(&f.address)).copied();
        let kind = opts.policy_type.unwrap_or(f.kind);
        let text = match (&f.text, f.unknown) {
            (_, true) => {
                out.documents.push(Document {
                    file: display.to_string(),
                    address: Some(f.address.clone()),
                    kind,
                    content: Content::Unknown {
                        reason: format!("`{}` of {} is known only after apply", f.attribute, f.address),
                        line,
                    },
                    inline_ignores: Vec::new(),
                });
                continue;
            }
            (Some(t), false) if !t.trim().is_empty() => t,
            _ => continue,
        };
        match serde_json::from_str::<Value>(text) {
            Ok(value) => {
                let kind =
                    if f.attribute == "json" && opts.policy_type.is_none() { super::detect_kind(&value) } else { kind };
                out.documents.push(Document {
                    file: display.to_string(),
                    address: Some(f.address.clone()),
                    kind,
                    content: Content::Policy { value, locator: line.map_or_else(Locator::default, Locator::line) },
                    inline_ignores: Vec::new(),
                });
            }
            Err(e) => {
                let mut te = ToolError::new(
                    format!("{display} ({})", f.address),
                    "parse",
                    format!(
                        "attribute `{}` is not valid policy JSON (line {} column {} of its value): {}",
                        f.attribute,
                        e.line(),
                        e.column(),
                        super::json_error("", &e, 0).message
                    ),
                );
                te.line = line;
                out.errors.push(te);
            }
        }
    }
}

/// `module.m.aws_iam_role.r.inline_policy[0]` → `module.m.aws_iam_role.r`.
fn base_address(a: &str) -> &str {
    a.find(".inline_policy[").map_or(a, |i| &a[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_lines_finds_first_occurrence() {
        let text = "{\n \"planned_values\": {\n  \"address\": \"a.b\"},\n \"x\": {\"address\" : \"c.d[\\\"k\\\"]\"},\n \"address\": \"a.b\"}";
        let m = address_lines(text);
        assert_eq!(m.get("a.b"), Some(&3));
        assert_eq!(m.get("c.d[\"k\"]"), Some(&4));
    }
}
