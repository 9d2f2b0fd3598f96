//! PL406 bad-mfa-condition: MFA conditions that do not do what they read. `aws:MultiFactorAuthPresent`
//! is absent (not false) for requests signed with long-term access keys, so:
//!
//! * Deny + `Bool` … `false` never fires for access-key requests (use `BoolIfExists`);
//! * Allow + `BoolIfExists` … `true` is satisfied by access-key requests without MFA;
//! * Allow + … `false`, Deny + … `true`: inverted logic;
//! * Allow + `Null` … `false` only says "temporary credentials", not "MFA";
//! * Deny + `Numeric…` on `aws:MultiFactorAuthAge` without `IfExists` never fires without MFA.

use super::{as_bool, is_symbolic};
use crate::engine::Ctx;

const PRESENT: &str = "aws:MultiFactorAuthPresent";
const AGE: &str = "aws:MultiFactorAuthAge";

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let mut found = Vec::new();
    for st in &ctx.policy.statements {
        let allow = st.is_allow();
        for c in &st.conditions {
            if is_symbolic(&c.key) {
                continue;
            }
            let values: Vec<Option<bool>> = c.values.iter().map(|v| as_bool(&v.value)).collect();
            let any = |b: bool| values.contains(&Some(b));
            let op = &c.operator;
            let msg = if c.key.eq_ignore_ascii_case(PRESENT) && c.qualifier.is_none() {
                match (c.base.as_str(), allow, c.if_exists) {
                    ("Bool", true, _) if any(false) => Some(format!(
                        "`{op}` {PRESENT} false in an Allow grants access to sessions *without* MFA; \
                         require MFA with `Bool` … true, or deny with `BoolIfExists` … false"
                    )),
                    ("Bool", true, true) if any(true) => Some(format!(
                        "`BoolIfExists` {PRESENT} true in an Allow is satisfied by requests signed with long-term \
                         access keys, which never carry the key: use `Bool`"
                    )),
                    ("Bool", false, false) if any(false) => Some(format!(
                        "`Bool` {PRESENT} false in a Deny never fires for requests signed with long-term access keys \
                         (the key is absent): use `BoolIfExists`"
                    )),
                    ("Bool", false, _) if any(true) => {
                        Some(format!("`{op}` {PRESENT} true in a Deny denies the sessions that *did* use MFA"))
                    }
                    ("Null", true, _) if any(false) => Some(format!(
                        "`Null` {PRESENT} false in an Allow only requires temporary credentials, not MFA: \
                         use `Bool` {PRESENT} true"
                    )),
                    ("Null", false, _) if any(false) => Some(format!(
                        "`Null` {PRESENT} false in a Deny denies every request with temporary credentials, \
                         with or without MFA"
                    )),
                    _ => None,
                }
            } else if c.key.eq_ignore_ascii_case(AGE)
                && !allow
                && !c.if_exists
                && c.qualifier.is_none()
                && c.base.starts_with("Numeric")
            {
                Some(format!(
                    "`{op}` on {AGE} in a Deny never fires for requests without MFA (the key is absent): \
                     use `{op}IfExists`"
                ))
            } else {
                None
            };
            if let Some(m) = msg {
                found.push((c.pointer.clone(), m));
            }
        }
    }
    for (ptr, msg) in found {
        ctx.report(ptr, msg);
    }
}
