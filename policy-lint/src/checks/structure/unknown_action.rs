//! PL302 unknown-action: an action the catalog does not list for a known service, a pattern
//! that matches no action, or a string that is not `service:action` at all.

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
            let Some((svc, act)) = a.split_once(':') else {
                found.push((item.pointer.clone(), format!("`{a}` is not an action: expected `service:Action`"), None));
                continue;
            };
            if svc.is_empty() || act.is_empty() || act.contains(':') {
                found.push((item.pointer.clone(), format!("`{a}` is not an action: expected `service:Action`"), None));
                continue;
            }
            // Unknown services are PL301's; a service pattern matching nothing too.
            let service_known = if has_wildcard(svc) {
                catalog.service_prefixes().any(|p| crate::catalog::wildcard_match(svc, p))
            } else {
                catalog.has_service(svc)
            };
            if !service_known {
                continue;
            }
            if has_wildcard(a) {
                if !catalog.matches_any(a) {
                    found.push((item.pointer.clone(), format!("`{a}` matches no action"), None));
                }
            } else if catalog.action(a).is_none() {
                let hint = catalog.suggest_action(a);
                let msg = match &hint {
                    Some(s) => format!("unknown action `{a}` (did you mean `{s}`?)"),
                    None => format!("unknown action `{a}`: `{svc}` has no action `{act}`"),
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
