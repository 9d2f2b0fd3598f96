//! AU302 `kms-pending-deletion`: a key scheduled for deletion. Escalated (param
//! `in_use_severity`) when a bucket, trail, log group or stream still uses it: that data
//! becomes unreadable when the key is deleted.

use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Fact, Inventory, KmsKey};

/// Resources that use `key` (by id, ARN or alias), as display ids.
#[must_use]
pub fn users(inv: &Inventory, key: &KmsKey) -> Vec<String> {
    let is_key = |reference: Option<&str>, region: Option<&str>| {
        reference.and_then(|r| inv.find_key(r, region)).is_some_and(|k| std::ptr::eq(k, key))
    };
    let mut out = Vec::new();
    for b in &inv.buckets {
        if let Fact::Known(Some(e)) = &b.encryption {
            if let Fact::Known(Some(id)) = &e.kms_key_id {
                if is_key(Some(id), b.region.known().map(String::as_str)) {
                    out.push(Res::bucket(b).id);
                }
            }
        }
    }
    for t in &inv.trails {
        if let Fact::Known(Some(id)) = &t.kms_key_id {
            if is_key(Some(id), Some(&t.home_region)) {
                out.push(Res::trail(t).id);
            }
        }
    }
    for g in &inv.log_groups {
        if let Fact::Known(Some(id)) = &g.kms_key_id {
            if is_key(Some(id), Some(&g.region)) {
                out.push(Res::log_group(g).id);
            }
        }
    }
    for s in &inv.kinesis_streams {
        if let Fact::Known(Some(id)) = &s.kms_key_id {
            if is_key(Some(id), Some(&s.region)) {
                out.push(Res::stream(s).id);
            }
        }
    }
    out
}

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    let escalated = sink.param_severity("in_use_severity");
    for k in &inv.kms_keys {
        let res = Res::key(k);
        match &k.state {
            Fact::Known(_) if k.pending_deletion() == Some(true) => {
                let used_by = users(inv, k);
                let when = k.deletion_date.as_deref().map(|d| format!(" (deletion on {d})")).unwrap_or_default();
                let f = if used_by.is_empty() {
                    sink.report(&res, "/state", format!("{} is pending deletion{when}", res.label()))
                } else {
                    sink.report_with(
                        &res,
                        "/state",
                        escalated,
                        format!(
                            "{} is pending deletion{when} but {} resource(s) still use it",
                            res.label(),
                            used_by.len()
                        ),
                    )
                };
                if !used_by.is_empty() {
                    f.evidence.insert("used_by".into(), used_by.into());
                }
                if let Some(d) = &k.deletion_date {
                    f.evidence.insert("deletion_date".into(), d.as_str().into());
                }
            }
            Fact::Known(_) => {}
            Fact::Unknown(r) => sink.unknown(&res, "/state", "the key state", *r),
        }
    }
}
