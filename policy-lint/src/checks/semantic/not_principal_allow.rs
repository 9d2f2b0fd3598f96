//! `not-principal-allow`: `Allow` with `NotPrincipal` grants to every principal not listed,
//! anonymous users included.

use crate::engine::Ctx;

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let hits: Vec<(String, String)> = ctx
        .policy
        .statements
        .iter()
        .filter(|s| s.is_allow())
        .filter_map(|s| {
            let p = s.principal.as_ref().filter(|p| p.negated)?;
            Some((
                p.pointer.clone(),
                format!(
                    "{} uses NotPrincipal with Allow: it grants to every principal except the {} listed, including anonymous users",
                    s.label(),
                    p.entries.len()
                ),
            ))
        })
        .collect();
    for (ptr, msg) in hits {
        ctx.report(ptr, msg);
    }
}
