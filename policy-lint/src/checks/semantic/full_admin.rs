//! `full-admin`: `Allow` every action on every resource.

use crate::engine::Ctx;
use crate::policy::PolicyKind;

/// Representative actions: if an unconditional `Deny` removes any of them, the grant is not full.
const PROBES: [&str; 4] = ["iam:AttachRolePolicy", "iam:PutUserPolicy", "ec2:RunInstances", "s3:GetObject"];

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if ctx.policy.kind != PolicyKind::Identity {
        return;
    }
    let catalog = ctx.catalog;
    let hits: Vec<(String, String, bool)> = {
        let an = ctx.analysis();
        an.allows
            .iter()
            .filter(|a| {
                a.breadth.is_broad() && a.actions.covers_all(catalog) && PROBES.iter().all(|p| !an.denied(a, p))
            })
            .map(|a| (a.action_pointer.clone(), ctx.policy.statements[a.index].label(), a.actions.negated))
            .collect()
    };
    for (ptr, label, negated) in hits {
        let how = if negated { "NotAction that excludes no existing action" } else { "Action \"*\"" };
        ctx.report(ptr, format!("{label} allows every action on every resource ({how}): full administrator access"));
    }
}
