//! PL404 forallvalues-single-valued-key: `ForAllValues:` or `ForAnyValue:` on a key that carries
//! a single value per request (`aws:SourceVpce`, `aws:PrincipalOrgID`). `ForAllValues` is then
//! true when the key is absent — an Allow meant to require a VPC endpoint also allows requests
//! from anywhere else that lack the key; `ForAnyValue` works only by accident.

use super::is_symbolic;
use crate::engine::Ctx;
use crate::policy::SetQualifier;

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let catalog = ctx.catalog;
    let mut found = Vec::new();
    for st in &ctx.policy.statements {
        for c in &st.conditions {
            let Some(q) = c.qualifier else { continue };
            if c.base == "Null" || is_symbolic(&c.key) || catalog.condition_key_multivalued(&c.key) != Some(false) {
                continue;
            }
            let why = match q {
                SetQualifier::ForAllValues => {
                    "ForAllValues is also true when the key is absent, so the condition does not require it"
                }
                SetQualifier::ForAnyValue => "a set operator on a single value is misleading; drop the qualifier",
            };
            found.push((c.pointer.clone(), format!("`{}` on single-valued key `{}`: {why}", c.operator, c.key)));
        }
    }
    for (ptr, msg) in found {
        ctx.report(ptr, msg);
    }
}
