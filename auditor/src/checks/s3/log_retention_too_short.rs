//! AU209 `s3-log-retention-too-short`: a log bucket with an enabled lifecycle rule that deletes
//! objects (whole bucket or a prefix) before the minimum log retention.

use crate::checks::support::need;
use crate::checks::{DataClass, Res, Settings, Sink};
use crate::inventory::Inventory;

/// Evaluator.
pub fn check(inv: &Inventory, s: &Settings, sink: &mut Sink<'_>) {
    let min = s.logs_min_retention_days;
    for b in &inv.buckets {
        let res = Res::bucket(b);
        let Some(class) = need(sink, &res, "/tags", "the data class (tags)", &s.data_class(&b.tags)).copied() else {
            continue;
        };
        if class != DataClass::Logs {
            continue;
        }
        let Some(rules) = need(sink, &res, "/lifecycle", "the lifecycle configuration", &b.lifecycle) else { continue };
        for (i, r) in rules.iter().enumerate().filter(|(_, r)| r.enabled) {
            if let Some(d) = r.expiration_days.filter(|d| *d < min) {
                let scope = if r.whole_bucket {
                    "all objects".to_string()
                } else {
                    r.scope.clone().map_or("some objects".into(), |s| format!("objects ({s})"))
                };
                let f = sink.report(
                    &res,
                    &format!("/lifecycle/{i}"),
                    format!(
                        "log {} deletes {scope} after {d} days, less than the {min}-day minimum retention",
                        res.label()
                    ),
                );
                f.evidence.insert("expiration_days".into(), d.into());
                f.evidence.insert("min_days".into(), min.into());
                if let Some(id) = &r.id {
                    f.evidence.insert("rule_id".into(), id.as_str().into());
                }
            }
        }
    }
}
