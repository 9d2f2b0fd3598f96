//! `weak-tls-version`: an `s3:TlsVersion` condition whose floor is below the minimum (1.2), or
//! that uses an operator that does not set a floor.

use crate::engine::Ctx;
use crate::policy::Effect;

fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let min: f64 = ctx
        .rule
        .params
        .get("min_version")
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_float()))
        .unwrap_or(1.2);
    let mut hits = Vec::new();
    for st in &ctx.policy.statements {
        for c in st.conditions_on("s3:TlsVersion") {
            let floor_ok = |v: f64, strict: bool| if strict { v + 0.1 >= min - 1e-9 } else { v >= min - 1e-9 };
            let (expected, strict) = match (st.effect, c.base.as_str()) {
                (Effect::Deny, "NumericLessThan") => (true, false),
                (Effect::Deny, "NumericLessThanEquals") => (true, true),
                (Effect::Allow, "NumericGreaterThanEquals") => (true, false),
                (Effect::Allow, "NumericGreaterThan") => (true, true),
                _ => (false, false),
            };
            if !expected {
                let want = if st.effect == Effect::Deny { "NumericLessThan" } else { "NumericGreaterThanEquals" };
                hits.push((
                    c.pointer.clone(),
                    format!(
                        "{} tests s3:TlsVersion with {} in a{} statement, which sets no TLS floor; use {want} {min}",
                        st.label(),
                        c.operator,
                        if st.effect == Effect::Deny { " Deny" } else { "n Allow" }
                    ),
                ));
                continue;
            }
            for v in &c.values {
                if let Some(n) = number(&v.value) {
                    if !floor_ok(n, strict) {
                        let shown = match &v.value {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        hits.push((
                            v.pointer.clone(),
                            format!(
                                "{} accepts TLS versions below {min}: {} s3:TlsVersion {shown}",
                                st.label(),
                                c.operator
                            ),
                        ));
                    }
                }
            }
        }
    }
    for (ptr, msg) in hits {
        ctx.report(ptr, msg);
    }
}
