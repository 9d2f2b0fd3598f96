//! `not-action-allow`: `Allow` with `NotAction` grants everything not listed, including every
//! action AWS adds later.

use crate::engine::Ctx;

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let hits: Vec<(String, String)> = ctx
        .analysis()
        .allows
        .iter()
        .filter(|a| a.actions.negated)
        .map(|a| {
            let st = &ctx.policy.statements[a.index];
            let msg = format!(
                "{} uses NotAction with Allow: it grants every action except the {} listed, on {}",
                st.label(),
                a.actions.patterns.len(),
                a.breadth.describe()
            );
            (a.action_pointer.clone(), msg)
        })
        .collect();
    for (ptr, msg) in hits {
        ctx.report(ptr, msg);
    }
}
