//! Walks `terraform show -json` output: plans (`planned_values` and `resource_changes`) and
//! state files (`values`), including child modules, into a flat list of resources.
//!
//! Values unknown until apply are explicit: `unknown` holds the `after_unknown` tree, and
//! [`PlanResource::is_unknown`] tells whether an attribute (by JSON pointer) is computed.

use serde_json::Value;

/// One managed or data resource from a plan or state.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanResource {
    /// Full address (`module.app.aws_iam_role.task[0]`).
    pub address: String,
    /// `managed` or `data`.
    pub mode: String,
    /// Resource type (`aws_iam_role`).
    pub r#type: String,
    /// Resource name (`task`).
    pub name: String,
    /// Attribute values (after the change, for plans).
    pub values: Value,
    /// Mirror of `values` with `true` where the value is unknown until apply.
    pub unknown: Value,
    /// Where the resource came from: `planned_values`, `resource_changes` or `state`.
    pub origin: &'static str,
    /// Planned actions (`["create"]`, `["delete"]`…), empty for state.
    pub actions: Vec<String>,
    /// Provider region if known from the provider config (`configuration.provider_config`).
    pub provider_region: Option<String>,
}

impl PlanResource {
    /// Is the attribute at `pointer` (e.g. `/policy`) unknown until apply?
    #[must_use]
    pub fn is_unknown(&self, pointer: &str) -> bool {
        matches!(self.unknown.pointer(pointer), Some(Value::Bool(true)))
    }

    /// Will this resource be deleted by the plan?
    #[must_use]
    pub fn is_deleted(&self) -> bool {
        self.actions.iter().any(|a| a == "delete") && !self.actions.iter().any(|a| a == "create")
    }
}

/// Why a plan could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// Not a Terraform JSON plan or state.
    #[error("not a `terraform show -json` plan or state: {0}")]
    NotAPlan(String),
}

/// Does this JSON look like `terraform show -json` output?
#[must_use]
pub fn looks_like_plan(v: &Value) -> bool {
    v.get("format_version").is_some()
        && (v.get("planned_values").is_some()
            || v.get("resource_changes").is_some()
            || v.get("values").is_some()
            || v.get("terraform_version").is_some())
}

/// All resources of a plan or state.
///
/// For plans, `resource_changes[].change.after` is preferred (it carries `after_unknown`);
/// resources only present in `planned_values` (e.g. data sources read at plan time) are added.
/// Resources being destroyed are skipped: they will not exist after apply.
pub fn resources(doc: &Value) -> Result<Vec<PlanResource>, PlanError> {
    if !doc.is_object() || !looks_like_plan(doc) {
        return Err(PlanError::NotAPlan(
            "expected an object with `format_version` and `planned_values`, `resource_changes` or `values`".into(),
        ));
    }
    let regions = provider_regions(doc);
    let mut out: Vec<PlanResource> = Vec::new();
    if let Some(changes) = doc.get("resource_changes").and_then(Value::as_array) {
        for rc in changes {
            let change = rc.get("change").cloned().unwrap_or(Value::Null);
            let actions: Vec<String> = change
                .get("actions")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            let r = PlanResource {
                address: str_field(rc, "address"),
                mode: str_field(rc, "mode"),
                r#type: str_field(rc, "type"),
                name: str_field(rc, "name"),
                values: change.get("after").cloned().unwrap_or(Value::Null),
                unknown: change.get("after_unknown").cloned().unwrap_or(Value::Null),
                origin: "resource_changes",
                actions,
                provider_region: rc.get("provider_name").and_then(Value::as_str).and_then(|p| regions.get(p).cloned()),
            };
            if r.is_deleted() {
                continue;
            }
            out.push(r);
        }
    }
    let walk_root = |root: Option<&Value>, origin: &'static str, out: &mut Vec<PlanResource>| {
        if let Some(m) = root {
            walk_module(m, origin, out, &regions);
        }
    };
    let mut planned = Vec::new();
    walk_root(doc.pointer("/planned_values/root_module"), "planned_values", &mut planned);
    walk_root(doc.pointer("/values/root_module"), "state", &mut planned);
    for p in planned {
        if !out.iter().any(|r| r.address == p.address) {
            out.push(p);
        }
    }
    Ok(out)
}

fn walk_module(
    m: &Value,
    origin: &'static str,
    out: &mut Vec<PlanResource>,
    regions: &std::collections::BTreeMap<String, String>,
) {
    if let Some(rs) = m.get("resources").and_then(Value::as_array) {
        for r in rs {
            let provider = r.get("provider_name").and_then(Value::as_str).unwrap_or_default();
            out.push(PlanResource {
                address: str_field(r, "address"),
                mode: str_field(r, "mode"),
                r#type: str_field(r, "type"),
                name: str_field(r, "name"),
                values: r.get("values").cloned().unwrap_or(Value::Null),
                unknown: Value::Null,
                origin,
                actions: Vec::new(),
                provider_region: regions.get(provider).cloned(),
            });
        }
    }
    if let Some(children) = m.get("child_modules").and_then(Value::as_array) {
        for c in children {
            walk_module(c, origin, out, regions);
        }
    }
}

/// Provider name → region, from `configuration.provider_config.<p>.expressions.region.constant_value`.
fn provider_regions(doc: &Value) -> std::collections::BTreeMap<String, String> {
    let mut m = std::collections::BTreeMap::new();
    if let Some(pc) = doc.pointer("/configuration/provider_config").and_then(Value::as_object) {
        for p in pc.values() {
            let full = p.get("full_name").and_then(Value::as_str).unwrap_or("registry.terraform.io/hashicorp/aws");
            if let Some(region) = p.pointer("/expressions/region/constant_value").and_then(Value::as_str) {
                // Default provider only; aliased providers are keyed by their alias name too.
                if p.get("alias").is_none() {
                    m.insert(full.to_string(), region.to_string());
                }
            }
        }
    }
    m
}

fn str_field(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn walks_changes_and_child_modules() {
        let plan = json!({
            "format_version": "1.2",
            "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws", "expressions": {"region": {"constant_value": "ca-central-1"}}}}},
            "planned_values": {"root_module": {
                "resources": [{"address": "aws_iam_policy.a", "mode": "managed", "type": "aws_iam_policy", "name": "a", "values": {"policy": "{}"}}],
                "child_modules": [{"address": "module.m", "resources": [
                    {"address": "module.m.aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r", "provider_name": "registry.terraform.io/hashicorp/aws", "values": {}}
                ]}]
            }},
            "resource_changes": [
                {"address": "aws_iam_policy.a", "mode": "managed", "type": "aws_iam_policy", "name": "a", "provider_name": "registry.terraform.io/hashicorp/aws",
                 "change": {"actions": ["create"], "after": {"name": "a"}, "after_unknown": {"policy": true}}},
                {"address": "aws_iam_policy.gone", "mode": "managed", "type": "aws_iam_policy", "name": "gone", "change": {"actions": ["delete"], "after": null}}
            ]
        });
        let rs = resources(&plan).unwrap();
        let addrs: Vec<_> = rs.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(addrs, ["aws_iam_policy.a", "module.m.aws_iam_role.r"]);
        assert!(rs[0].is_unknown("/policy"));
        assert!(!rs[0].is_unknown("/name"));
        assert_eq!(rs[0].provider_region.as_deref(), Some("ca-central-1"));
        assert_eq!(rs[1].origin, "planned_values");
    }

    #[test]
    fn rejects_non_plans() {
        assert!(resources(&json!({"Version": "2012-10-17"})).is_err());
        assert!(resources(&json!([1, 2])).is_err());
    }

    #[test]
    fn reads_state() {
        let st = json!({"format_version": "1.0", "values": {"root_module": {"resources": [
            {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b", "values": {"bucket": "b"}}]}}});
        let rs = resources(&st).unwrap();
        assert_eq!(rs[0].origin, "state");
    }
}
