//! `oidc-unconstrained`: a trust policy for an OIDC issuer shared by many tenants (GitHub
//! Actions, GitLab, EKS, Terraform Cloud) without a `sub` condition that pins the owner.

use crate::checks::analysis::is_wildcard_only;
use crate::engine::Ctx;
use crate::policy::{PolicyKind, PrincipalType, Statement};

/// Issuer host fragments of multi-tenant OIDC providers.
const ISSUERS: &[&str] = &["token.actions.githubusercontent.com", "gitlab", "oidc.eks.", "app.terraform.io"];

/// Literal words of `sub` formats (`repo:`, `project_path:`, `system:serviceaccount:` …).
const KEYWORDS: &[&str] = &[
    "repo",
    "project_path",
    "system",
    "serviceaccount",
    "organization",
    "project",
    "workspace",
    "run_phase",
    "ref",
    "refs",
    "heads",
    "tags",
    "environment",
    "pull_request",
    "ref_type",
    "branch",
    "tag",
];

fn issuer_of(s: &str) -> Option<&'static str> {
    let l = s.to_ascii_lowercase();
    ISSUERS.iter().copied().find(|i| l.contains(i))
}

/// Name of an issuer for messages.
fn issuer_name(i: &str) -> &'static str {
    match i {
        "token.actions.githubusercontent.com" => "GitHub Actions (token.actions.githubusercontent.com)",
        "gitlab" => "GitLab",
        "oidc.eks." => "EKS (oidc.eks.*)",
        _ => "Terraform Cloud (app.terraform.io)",
    }
}

/// Does a `sub` value pin the owner (org, group, namespace)? The first field that is not a
/// literal keyword must not start with a wildcard.
fn pins_owner(v: &str) -> bool {
    if is_wildcard_only(v) {
        return false;
    }
    match v.split([':', '/']).find(|f| !KEYWORDS.contains(&f.to_ascii_lowercase().as_str())) {
        Some(f) => !f.is_empty() && !f.starts_with(['*', '?']),
        None => false,
    }
}

fn issuers_of_statement(st: &Statement) -> Vec<&'static str> {
    let mut out = Vec::new();
    if let Some(p) = &st.principal {
        for e in p.entries.iter().filter(|e| e.kind == PrincipalType::Federated) {
            if let Some(i) = issuer_of(&e.value) {
                out.push(i);
            } else if e.value.contains("${") {
                // A symbolic provider: its issuer shows in the condition keys.
                for c in &st.conditions {
                    if let Some(i) = issuer_of(&c.key) {
                        if !out.contains(&i) {
                            out.push(i);
                        }
                    }
                }
            }
        }
    }
    out
}

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if ctx.policy.kind != PolicyKind::Trust {
        return;
    }
    let mut hits = Vec::new();
    for st in ctx.policy.statements.iter().filter(|s| s.is_allow()) {
        if !st
            .action
            .items
            .iter()
            .any(|a| crate::checks::analysis::pattern_matches(&a.value, "sts:AssumeRoleWithWebIdentity"))
        {
            continue;
        }
        for issuer in issuers_of_statement(st) {
            let subs: Vec<_> = st
                .conditions
                .iter()
                .filter(|c| {
                    let k = c.key.to_ascii_lowercase();
                    k.ends_with(":sub") && issuer_of(&k) == Some(issuer)
                })
                .collect();
            let ptr = st.principal.as_ref().map_or_else(|| st.pointer.clone(), |p| p.pointer.clone());
            let pinned = subs.iter().any(|c| {
                matches!(c.base.as_str(), "StringEquals" | "StringLike")
                    && !c.if_exists
                    && c.qualifier.is_none()
                    && !c.values.is_empty()
                    && c.strings().iter().all(|v| v.contains("${") || pins_owner(v))
            });
            if pinned {
                continue;
            }
            let (p, msg) = match subs.first() {
                None => (
                    ptr,
                    format!("{} trusts the OIDC issuer {} without a `sub` condition: any repository, project or workload of any tenant of that issuer can assume the role (an `aud` condition alone is not enough)", st.label(), issuer_name(issuer)),
                ),
                Some(c) => (
                    c.pointer.clone(),
                    format!("{} trusts the OIDC issuer {} with a `sub` condition ({} `{}`) that does not pin the owning organization, group or namespace", st.label(), issuer_name(issuer), c.operator, c.key),
                ),
            };
            hits.push((p, msg));
        }
    }
    for (ptr, msg) in hits {
        ctx.report(ptr, msg);
    }
}

#[cfg(test)]
mod tests {
    use super::pins_owner;

    #[test]
    fn sub_values() {
        assert!(pins_owner("repo:fcm/platform:ref:refs/heads/main"));
        assert!(pins_owner("repo:fcm/*"));
        assert!(pins_owner("system:serviceaccount:auditor:auditor"));
        assert!(pins_owner("organization:fcm:project:*:workspace:prod:run_phase:apply"));
        assert!(!pins_owner("*"));
        assert!(!pins_owner("repo:*"));
        assert!(!pins_owner("repo:*/platform:*"));
        assert!(!pins_owner("system:serviceaccount:*:*"));
    }
}
