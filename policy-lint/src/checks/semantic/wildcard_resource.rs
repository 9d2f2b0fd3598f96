//! `wildcard-resource`: write or permissions-management actions that support resource-level
//! permissions, granted on `*` in an identity policy. Never in resource policies, where `*`
//! means the attached resource.

use crate::catalog::AccessLevel;
use crate::checks::analysis::Breadth;
use crate::engine::Ctx;
use crate::policy::PolicyKind;

use super::{join_total, level_counts, names};

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if ctx.policy.kind != PolicyKind::Identity {
        return;
    }
    let catalog = ctx.catalog;
    let mut hits: Vec<(String, String, Vec<String>, usize)> = Vec::new();
    {
        let an = ctx.analysis();
        for a in an.allows.iter() {
            if a.actions.negated || a.breadth != Breadth::Wildcard || a.constrained() || a.actions.covers_all(catalog) {
                continue;
            }
            let acts: Vec<_> = an
                .expand_statement(catalog, a, Some(&[AccessLevel::Write, AccessLevel::PermissionsManagement]))
                .into_iter()
                .filter(|x| x.resource_types.iter().any(|r| r.required))
                .collect();
            if acts.is_empty() {
                continue;
            }
            let n = names(&acts);
            let total = acts.len();
            let msg = format!(
                "{} allows {} write or permissions-management actions on all resources although they can be scoped to resources ({}): {}",
                ctx.policy.statements[a.index].label(),
                acts.len(),
                level_counts(&acts),
                join_total(&n, total, 8)
            );
            hits.push((a.resource_pointer.clone(), msg, n, total));
        }
    }
    for (ptr, msg, n, total) in hits {
        super::add_actions(ctx.report(ptr, msg), "actions", &n, total);
    }
}
