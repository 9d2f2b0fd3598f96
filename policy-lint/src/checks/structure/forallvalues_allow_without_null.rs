//! PL405 forallvalues-allow-without-null: `ForAllValues:` in an Allow without a matching
//! `"Null": {key: "false"}`. `ForAllValues` is true for an empty set, so a request that does not
//! carry the key at all (no tags, no list) is allowed too — the classic permissive mistake.

use super::{as_bool, is_symbolic};
use crate::engine::Ctx;
use crate::policy::SetQualifier;

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let catalog = ctx.catalog;
    let mut found = Vec::new();
    for st in &ctx.policy.statements {
        if !st.is_allow() {
            continue;
        }
        for c in &st.conditions {
            if c.qualifier != Some(SetQualifier::ForAllValues) || c.base == "Null" || is_symbolic(&c.key) {
                continue;
            }
            // Single-valued keys are PL404's.
            if catalog.condition_key_multivalued(&c.key) == Some(false) {
                continue;
            }
            let null_guard = st.conditions.iter().any(|n| {
                n.base == "Null"
                    && n.qualifier.is_none()
                    && n.key.eq_ignore_ascii_case(&c.key)
                    && !n.values.is_empty()
                    && n.values.iter().all(|v| as_bool(&v.value) == Some(false))
            });
            if !null_guard {
                found.push((
                    c.pointer.clone(),
                    format!(
                        "`{}` on `{}` in an Allow also matches requests without `{}`; add \"Null\": {{\"{}\": \"false\"}}",
                        c.operator, c.key, c.key, c.key
                    ),
                ));
            }
        }
    }
    for (ptr, msg) in found {
        ctx.report(ptr, msg);
    }
}
