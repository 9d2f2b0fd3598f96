//! PL304 invalid-arn: a `Resource` that is not a well-formed ARN — not `arn:…`, too few parts,
//! unknown partition or service, a region or account that has the wrong shape, or a region or
//! account on a service whose ARNs have none (`arn:aws:iam:ca-central-1:…`). Principal ARNs
//! (`AWS`, `Federated`) are checked the same way, and may not contain wildcards at all; a
//! numeric `AWS` principal must be a 12-digit account id.

use super::arn::{account_shape_ok, region_shape_ok, split, PARTITIONS};
use super::{has_wildcard, is_symbolic};
use crate::engine::Ctx;
use crate::policy::PrincipalType;

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let catalog = ctx.catalog;
    let mut found = Vec::new();
    for st in &ctx.policy.statements {
        for item in st.resource.iter().flat_map(|b| &b.items) {
            let r = item.value.as_str();
            if r == "*" || is_symbolic(r) {
                continue;
            }
            if let Some(problem) = problem(catalog, r) {
                found.push((item.pointer.clone(), format!("`{r}` is not a valid ARN: {problem}")));
            }
        }
        for e in st.principal.iter().flat_map(|p| &p.entries) {
            let v = e.value.as_str();
            if !matches!(e.kind, PrincipalType::Aws | PrincipalType::Federated) || v == "*" || is_symbolic(v) {
                continue;
            }
            let why = if v.starts_with("arn:") {
                if has_wildcard(v) {
                    Some("principal ARNs cannot contain wildcards; use `*` with an `ArnLike` condition on `aws:PrincipalArn`".to_string())
                } else {
                    problem(catalog, v)
                }
            } else if e.kind == PrincipalType::Aws && v.bytes().all(|b| b.is_ascii_digit()) && v.len() != 12 {
                Some("an account principal must be a 12-digit account id".to_string())
            } else {
                None
            };
            if let Some(w) = why {
                found.push((e.pointer.clone(), format!("principal `{v}` is not valid: {w}")));
            }
        }
    }
    for (ptr, msg) in found {
        ctx.report(ptr, msg);
    }
}

fn problem(catalog: &crate::catalog::Catalog, r: &str) -> Option<String> {
    if !r.starts_with("arn:") {
        return Some("a resource must be `*` or an ARN (`arn:partition:service:region:account-id:resource`)".into());
    }
    let Some(p) = split(r) else {
        // `arn:aws:s3:*` and the like: a trailing `*` part may stand for the missing parts.
        if r.rsplit(':').next() == Some("*") {
            return None;
        }
        return Some("expected six colon-separated parts (`arn:partition:service:region:account-id:resource`)".into());
    };
    if !has_wildcard(p.partition) && !PARTITIONS.contains(&p.partition) {
        return Some(format!("unknown partition `{}` (expected one of {})", p.partition, PARTITIONS.join(", ")));
    }
    if p.service.is_empty() {
        return Some("the service part is empty".into());
    }
    let shape = if has_wildcard(p.service) { None } else { catalog.arn_service(p.service) };
    if !has_wildcard(p.service) && shape.is_none() && !catalog.has_service(p.service) {
        return Some(match catalog.suggest_service(p.service) {
            Some(s) => format!("unknown service `{}` (did you mean `{s}`?)", p.service),
            None => format!("unknown service `{}`", p.service),
        });
    }
    if !p.region.is_empty() && !has_wildcard(p.region) {
        if !region_shape_ok(p.region) {
            return Some(format!("`{}` is not a region (like `ca-central-1`)", p.region));
        }
        if shape.is_some_and(|s| !s.regional) {
            return Some(format!("`{}` ARNs have no region; leave the region part empty", p.service));
        }
    }
    if !p.account.is_empty() && !has_wildcard(p.account) {
        if !account_shape_ok(p.account) {
            return Some("the account part must be a 12-digit account id".into());
        }
        if shape.is_some_and(|s| !s.with_account) {
            return Some(format!("`{}` ARNs have no account; leave the account part empty", p.service));
        }
    }
    if p.resource.is_empty() {
        return Some("the resource part is empty".into());
    }
    None
}
