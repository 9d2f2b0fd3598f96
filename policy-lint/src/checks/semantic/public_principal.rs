//! `public-principal`: `Principal: "*"` (or `AWS: "*"`, or an account wildcard) in a resource
//! or trust policy without a condition that narrows who can use it.

use crate::checks::analysis::{is_constraining, is_wildcard_only, is_wildcard_principal};
use crate::engine::Ctx;
use crate::policy::{PrincipalType, Statement};

/// Keys that narrow a public principal to a known set of callers.
const NARROWING: &[&str] = &[
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "kms:calleraccount",
    "kms:viaservice",
];

/// Does the statement narrow its principals?
pub(crate) fn narrowed(st: &Statement) -> bool {
    st.conditions.iter().any(|c| {
        let k = c.key.to_ascii_lowercase();
        (NARROWING.contains(&k.as_str()) && is_constraining(c))
            || (k == "aws:sourceip"
                && c.base == "IpAddress"
                && !c.if_exists
                && !c.values.is_empty()
                && c.strings().iter().all(|v| !is_open_cidr(v) && !is_wildcard_only(v)))
    })
}

fn is_open_cidr(v: &str) -> bool {
    v.ends_with("/0")
}

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if !ctx.policy.kind.has_principals() {
        return;
    }
    let mut hits = Vec::new();
    for st in ctx.policy.statements.iter().filter(|s| s.is_allow()) {
        let Some(p) = &st.principal else { continue };
        if p.negated || narrowed(st) {
            continue;
        }
        if p.star {
            hits.push((p.pointer.clone(), format!("{} allows everyone, including anonymous users (`\"Principal\": \"*\"`), with no condition on organization, account, source or network", st.label())));
            continue;
        }
        for e in p.entries.iter().filter(|e| e.kind == PrincipalType::Aws && is_wildcard_principal(&e.value)) {
            hits.push((
                e.pointer.clone(),
                format!(
                    "{} allows any AWS principal (`{}`) with no condition on organization, account, source or network",
                    st.label(),
                    e.value
                ),
            ));
        }
    }
    for (ptr, msg) in hits {
        ctx.report(ptr, msg);
    }
}
