//! `passrole-wildcard`: `iam:PassRole` on `*`, every role, or `NotResource`, without an
//! `iam:PassedToService` condition.

use crate::checks::analysis::is_constraining;
use crate::engine::Ctx;
use crate::policy::PolicyKind;

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if ctx.policy.kind != PolicyKind::Identity {
        return;
    }
    let hits: Vec<(String, String)> = {
        let an = ctx.analysis();
        an.allows
            .iter()
            .filter(|a| a.breadth.is_broad() && an.allow_grants(a, "iam:PassRole"))
            .filter(|a| {
                !ctx.policy.statements[a.index]
                    .conditions_on("iam:PassedToService")
                    .any(is_constraining)
            })
            .map(|a| {
                let msg = format!(
                    "{} allows iam:PassRole on {} without an iam:PassedToService condition: any role can be handed to any service",
                    ctx.policy.statements[a.index].label(),
                    a.breadth.describe()
                );
                (a.resource_pointer.clone(), msg)
            })
            .collect()
    };
    for (ptr, msg) in hits {
        ctx.report(ptr, msg);
    }
}
