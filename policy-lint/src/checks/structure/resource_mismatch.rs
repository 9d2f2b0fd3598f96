//! PL303 resource-mismatch: an action none of whose resource types can be named by any
//! `Resource` of its statement (`s3:ListBucket` on `arn:aws:s3:::bucket/*`). For a wildcard
//! action, only when no expanded action matches. The statement then silently grants (or, for a
//! Deny, silently fails to deny) less than it reads.

use std::collections::HashMap;

use super::arn::{matches_format, split};
use super::{has_wildcard, is_symbolic};
use crate::catalog::{Action, Catalog};
use crate::engine::Ctx;

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let catalog = ctx.catalog;
    let mut found = Vec::new();
    for st in &ctx.policy.statements {
        let Some(res) = &st.resource else { continue };
        if res.negated || st.action.negated {
            continue;
        }
        // `*` or a symbolic resource can be anything: nothing to compare.
        if res.items.iter().any(|r| r.value == "*" || is_symbolic(&r.value)) {
            continue;
        }
        let arns: Vec<&str> = res.items.iter().map(|r| r.value.as_str()).filter(|r| split(r).is_some()).collect();
        if arns.is_empty() {
            continue; // malformed ARNs are PL304's
        }
        let mut memo: HashMap<(&str, &str), bool> = HashMap::new();
        for item in &st.action.items {
            let a = item.value.as_str();
            if is_symbolic(a) || a == "*" {
                continue;
            }
            let expanded: Vec<&Action> =
                if has_wildcard(a) { catalog.expand(a) } else { catalog.action(a).into_iter().collect() };
            if expanded.is_empty() {
                continue; // unknown actions are PL301/PL302's
            }
            if expanded.iter().any(|act| action_fits(catalog, act, &arns, &mut memo)) {
                continue;
            }
            let deny = if st.is_allow() { "" } else { "; this Deny never applies to it" };
            let msg = if expanded.len() == 1 && !has_wildcard(a) {
                let act = expanded[0];
                if act.resource_types.is_empty() {
                    format!(
                        "`{}` does not support resource-level permissions: it needs `\"Resource\": \"*\"`, not the ARNs of {}{deny}",
                        act.full_name(),
                        st.label()
                    )
                } else {
                    let needs: Vec<String> = act
                        .resource_types
                        .iter()
                        .map(|r| {
                            let f = catalog.resource_arn_formats(&act.service, &r.name);
                            match f.first() {
                                Some(f) => format!("{} ({f})", r.name),
                                None => r.name.clone(),
                            }
                        })
                        .collect();
                    format!(
                        "`{}` cannot act on any resource of {}: it needs {}{deny}",
                        act.full_name(),
                        st.label(),
                        needs.join(" or ")
                    )
                }
            } else {
                format!("no action matched by `{a}` can act on any resource of {}{deny}", st.label())
            };
            found.push((item.pointer.clone(), msg, arns.iter().map(|s| (*s).to_string()).collect::<Vec<_>>()));
        }
    }
    for (ptr, msg, arns) in found {
        ctx.report(ptr, msg).evidence.insert("resources".into(), arns.into());
    }
}

fn action_fits<'c>(
    catalog: &'c Catalog,
    act: &'c Action,
    arns: &[&str],
    memo: &mut HashMap<(&'c str, &'c str), bool>,
) -> bool {
    act.resource_types.iter().any(|rt| {
        *memo.entry((act.service.as_str(), rt.name.as_str())).or_insert_with(|| {
            let formats = catalog.resource_arn_formats(&act.service, &rt.name);
            // A resource type without a catalogued format: cannot judge, assume it fits.
            formats.is_empty() || formats.iter().any(|f| arns.iter().any(|r| matches_format(r, f)))
        })
    })
}
