//! `region-not-restricted`: regional data actions in an identity policy that are not limited to
//! the allowed regions (data residency) — neither by resource ARNs pinned to an allowed region
//! nor by an `aws:RequestedRegion` condition. Resource ARNs in other regions are always reported.

use crate::catalog::{AccessLevel, Catalog};
use crate::checks::analysis::{expand_cached, is_all_actions, is_symbolic, AllowInfo};
use crate::engine::Ctx;
use crate::policy::{PolicyKind, Statement};

/// Services whose control plane is global (no regional data).
const DEFAULT_GLOBAL: &[&str] = &[
    "iam",
    "sts",
    "organizations",
    "route53",
    "route53domains",
    "cloudfront",
    "globalaccelerator",
    "waf",
    "shield",
    "support",
    "budgets",
    "ce",
    "cur",
    "account",
    "billing",
    "aws-portal",
    "artifact",
    "trustedadvisor",
    "health",
    "networkmanager",
    "pricing",
    "savingsplans",
    "tag",
    "sso-directory",
    "iq",
];

/// Public AWS regions, to judge wildcard region patterns (`ca-*` is fine, `*` is not).
const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
];

struct Regions<'a> {
    allowed: &'a [String],
}

impl Regions<'_> {
    /// A region value or pattern that can only mean allowed regions.
    fn ok(&self, v: &str) -> bool {
        if is_symbolic(v) {
            return true;
        }
        if v.contains(['*', '?']) {
            self.allowed.iter().any(|a| crate::catalog::wildcard_match(v, a))
                && REGIONS.iter().all(|r| self.allowed.iter().any(|a| a == r) || !crate::catalog::wildcard_match(v, r))
        } else {
            self.allowed.iter().any(|a| a.eq_ignore_ascii_case(v))
        }
    }
}

/// Regional data actions (Read/Write of non-global services) this statement grants, first few.
fn regional_actions(catalog: &Catalog, a: &AllowInfo, global: &[String], s3_exempt: bool) -> Option<String> {
    let regional = |svc: &str| {
        !global.iter().any(|g| g.eq_ignore_ascii_case(svc)) && (!s3_exempt || !svc.eq_ignore_ascii_case("s3"))
    };
    let data = |l: AccessLevel| matches!(l, AccessLevel::Read | AccessLevel::Write);
    if a.actions.negated {
        return Some("every action not listed in NotAction".into());
    }
    for p in &a.actions.patterns {
        if is_symbolic(p) {
            continue;
        }
        if is_all_actions(p) {
            return Some("*".into());
        }
        let (svc, name) = p.split_once(':').unwrap_or((p, ""));
        if !svc.contains(['*', '?']) && !regional(svc) {
            continue;
        }
        if name.contains(['*', '?']) || svc.contains(['*', '?']) {
            let all = catalog.actions();
            let found = expand_cached(catalog, p)
                .iter()
                .filter_map(|&i| all.get(i as usize))
                .find(|x| data(x.access_level) && regional(&x.service));
            if let Some(x) = found {
                return Some(if svc.contains(['*', '?']) { x.full_name() } else { p.clone() });
            }
        } else if let Some(x) = catalog.action(p) {
            if data(x.access_level) {
                return Some(x.full_name());
            }
        }
    }
    None
}

/// Region segment of an ARN (`None` for `*`, non-ARNs and symbolic values).
fn arn_region(r: &str) -> Option<&str> {
    let parts: Vec<&str> = r.splitn(6, ':').collect();
    (parts.len() == 6 && parts[0] == "arn").then(|| parts[3])
}

/// A `Deny` of every action (or everything but global services) outside the allowed regions.
fn region_deny(st: &Statement, regions: &Regions<'_>) -> bool {
    !st.is_allow()
        && (st.action.negated || st.action.items.iter().any(|a| is_all_actions(&a.value)))
        && st.resource.as_ref().is_some_and(|r| !r.negated && r.has_star())
        && st.conditions.len() == 1
        && st.conditions.iter().all(|c| {
            c.key.eq_ignore_ascii_case("aws:RequestedRegion")
                && matches!(c.base.as_str(), "StringNotEquals" | "StringNotLike")
                && c.strings().iter().all(|v| regions.ok(v))
        })
}

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if ctx.policy.kind != PolicyKind::Identity || !ctx.opts.residency || ctx.opts.allowed_regions.is_empty() {
        return;
    }
    let mut global = ctx.rule.param_strings("global_services");
    if global.is_empty() {
        global = DEFAULT_GLOBAL.iter().map(|s| (*s).to_string()).collect();
    }
    let regions = Regions { allowed: &ctx.opts.allowed_regions };
    let allowed_list = ctx.opts.allowed_regions.join(", ");
    let catalog = ctx.catalog;
    let policy_denied = ctx.policy.statements.iter().any(|s| region_deny(s, &regions));
    let mut hits: Vec<(String, String)> = Vec::new();
    {
        let an = ctx.analysis();
        for a in &an.allows {
            let st = &ctx.policy.statements[a.index];
            // Resources in regions outside the allowed set are reported always.
            let mut foreign_arn = false;
            for r in st.resource.iter().filter(|b| !b.negated).flat_map(|b| b.items.iter()) {
                if let Some(reg) = arn_region(&r.value) {
                    if !reg.is_empty() && reg != "*" && !regions.ok(reg) {
                        foreign_arn = true;
                        hits.push((
                            r.pointer.clone(),
                            format!(
                                "{} names a resource in region `{reg}`, outside the allowed regions ({allowed_list})",
                                st.label()
                            ),
                        ));
                    }
                }
            }
            if policy_denied || foreign_arn {
                continue;
            }
            // Condition on aws:RequestedRegion.
            let mut cond_ok = false;
            for c in st.conditions_on("aws:RequestedRegion") {
                if !matches!(c.base.as_str(), "StringEquals" | "StringLike" | "StringEqualsIgnoreCase") || c.if_exists {
                    continue;
                }
                let bad: Vec<String> = c.strings().into_iter().filter(|v| !regions.ok(v)).collect();
                if bad.is_empty() {
                    cond_ok = true;
                } else {
                    cond_ok = true; // reported here; not again as "unrestricted"
                    hits.push((
                        c.pointer.clone(),
                        format!(
                            "{} allows aws:RequestedRegion values outside the allowed regions ({allowed_list}): {}",
                            st.label(),
                            bad.join(", ")
                        ),
                    ));
                }
            }
            if cond_ok {
                continue;
            }
            // Resources pinned to allowed regions (symbolic and region-less ARNs count as pinned).
            let pinned = a.breadth == crate::checks::analysis::Breadth::Specific
                && a.resources
                    .iter()
                    .all(|r| is_symbolic(r) || arn_region(r).is_some_and(|reg| reg.is_empty() || regions.ok(reg)));
            if pinned {
                continue;
            }
            // S3 bucket ARNs carry no region: statements on named buckets are exempt.
            let s3_exempt = a.breadth == crate::checks::analysis::Breadth::Specific
                && a.resources.iter().all(|r| {
                    is_symbolic(r)
                        || r.strip_prefix("arn:aws:s3:::").is_some_and(|b| !b.is_empty() && !b.starts_with('*'))
                });
            if let Some(example) = regional_actions(catalog, a, &global, s3_exempt) {
                hits.push((
                    a.action_pointer.clone(),
                    format!(
                        "{} allows regional data actions (e.g. {example}) on {} without limiting aws:RequestedRegion to the allowed regions ({allowed_list})",
                        st.label(),
                        a.breadth.describe()
                    ),
                ));
            }
        }
    }
    for (ptr, msg) in hits {
        ctx.report(ptr, msg);
    }
}

#[cfg(test)]
mod tests {
    use super::Regions;

    #[test]
    fn region_patterns() {
        let allowed = vec!["ca-central-1".to_string(), "ca-west-1".to_string()];
        let r = Regions { allowed: &allowed };
        assert!(r.ok("ca-central-1") && r.ok("ca-*") && r.ok("${var.region}"));
        assert!(!r.ok("us-east-1") && !r.ok("*") && !r.ok("c*"));
    }
}
