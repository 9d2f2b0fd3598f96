//! `resource-exposure`: permissions-management actions (they change who can reach a resource)
//! granted on all resources without a condition that limits what is reached.

use crate::catalog::AccessLevel;
use crate::engine::Ctx;
use crate::policy::PolicyKind;

use super::{join_total, names};

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if ctx.policy.kind != PolicyKind::Identity {
        return;
    }
    let catalog = ctx.catalog;
    let mut hits: Vec<(String, String, Vec<String>, usize)> = Vec::new();
    {
        let an = ctx.analysis();
        for a in an.allows.iter().filter(|a| a.breadth.is_broad() && !a.constrained()) {
            let pm = an.expand_statement(catalog, a, Some(&[AccessLevel::PermissionsManagement]));
            if pm.is_empty() {
                continue;
            }
            let n = names(&pm);
            let total = pm.len();
            let msg = format!(
                "{} allows {} permissions-management actions on all resources without a condition that limits what is reached: {}",
                ctx.policy.statements[a.index].label(),
                pm.len(),
                join_total(&n, total, 8)
            );
            hits.push((a.action_pointer.clone(), msg, n, total));
        }
    }
    for (ptr, msg, n, total) in hits {
        super::add_actions(ctx.report(ptr, msg), "actions", &n, total);
    }
}
