//! PL301 unknown-service: an action whose service prefix the catalog does not know.

use super::{has_wildcard, is_symbolic};
use crate::engine::Ctx;

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let catalog = ctx.catalog;
    let mut found = Vec::new();
    for st in &ctx.policy.statements {
        for item in &st.action.items {
            let a = item.value.as_str();
            if is_symbolic(a) || a == "*" {
                continue;
            }
            let Some((svc, _)) = a.split_once(':') else { continue };
            if svc.is_empty() {
                continue;
            }
            if has_wildcard(svc) {
                if !catalog.service_prefixes().any(|p| crate::catalog::wildcard_match(svc, p)) {
                    found.push((
                        item.pointer.clone(),
                        format!("`{a}`: the service pattern `{svc}` matches no AWS service"),
                        None,
                    ));
                }
            } else if !catalog.has_service(svc) {
                let hint = catalog.suggest_service(svc);
                let msg = match &hint {
                    Some(s) => format!("`{a}`: unknown service prefix `{svc}` (did you mean `{s}`?)"),
                    None => format!("`{a}`: unknown service prefix `{svc}`"),
                };
                found.push((item.pointer.clone(), msg, hint));
            }
        }
    }
    let h = catalog.header();
    let catalog_note = format!("catalog {} {} ({})", h.source, h.source_version, h.generated_at);
    for (ptr, msg, hint) in found {
        let f = ctx.report(ptr, msg);
        f.evidence.insert("catalog".into(), catalog_note.clone().into());
        if let Some(s) = hint {
            f.evidence.insert("suggestion".into(), s.into());
        }
    }
}
