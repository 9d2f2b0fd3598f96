//! `not-resource-allow`: `Allow` with `NotResource` grants on every resource not listed.

use crate::checks::analysis::Breadth;
use crate::engine::Ctx;

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let hits: Vec<(String, String)> = ctx
        .analysis()
        .allows
        .iter()
        .filter(|a| a.breadth == Breadth::NotResource)
        .map(|a| {
            let st = &ctx.policy.statements[a.index];
            let msg = format!(
                "{} uses NotResource with Allow: it grants on every resource except the {} listed, including resources created later",
                st.label(),
                a.resources.len()
            );
            (a.resource_pointer.clone(), msg)
        })
        .collect();
    for (ptr, msg) in hits {
        ctx.report(ptr, msg);
    }
}
