//! PL306 duplicate-sid: two statements with the same `Sid`. Several policy types reject the
//! document; where it is accepted, exceptions, reviews and tooling that address statements by
//! `Sid` hit the wrong one.

use std::collections::HashMap;

use crate::engine::Ctx;

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let mut first: HashMap<&str, (&str, String)> = HashMap::new();
    let mut found = Vec::new();
    for st in &ctx.policy.statements {
        let Some(sid) = &st.sid else { continue };
        if sid.value.is_empty() {
            continue;
        }
        match first.get(sid.value.as_str()) {
            Some((_, label)) => found.push((
                sid.pointer.clone(),
                format!("Sid \"{}\" of statement {} repeats the Sid of {label}", sid.value, st.index),
            )),
            None => {
                first.insert(&sid.value, (&sid.pointer, format!("statement {}", st.index)));
            }
        }
    }
    for (ptr, msg) in found {
        ctx.report(ptr, msg);
    }
}
