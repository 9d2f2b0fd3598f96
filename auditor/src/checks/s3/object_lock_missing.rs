//! AU210 `s3-object-lock-missing`: a bucket whose data class requires Object Lock (default:
//! `logs`) has no Object Lock, no default retention, or a default retention shorter than the
//! minimum log retention.

use crate::checks::support::need;
use crate::checks::{DataClass, Res, Settings, Sink};
use crate::inventory::Inventory;

/// Evaluator.
pub fn check(inv: &Inventory, s: &Settings, sink: &mut Sink<'_>) {
    let classes = sink.param_strings("data_classes", &["logs"]);
    let min = s.logs_min_retention_days;
    for b in &inv.buckets {
        let res = Res::bucket(b);
        let Some(class) = need(sink, &res, "/tags", "the data class (tags)", &s.data_class(&b.tags)).copied() else {
            continue;
        };
        let name = match class {
            DataClass::Pii => "pii",
            DataClass::Logs => "logs",
            DataClass::Other => continue,
        };
        if !classes.iter().any(|c| c.eq_ignore_ascii_case(name)) {
            continue;
        }
        let Some(lock) = need(sink, &res, "/object_lock", "the Object Lock configuration", &b.object_lock) else {
            continue;
        };
        match lock {
            Some(l) if l.enabled => match l.retention_days() {
                Some(d) if d >= min => {}
                Some(d) => {
                    let f = sink.report(
                        &res,
                        "/object_lock",
                        format!("{} has Object Lock default retention of {d} days, less than {min}", res.label()),
                    );
                    f.evidence.insert("retention_days".into(), d.into());
                }
                None => {
                    sink.report(
                        &res,
                        "/object_lock",
                        format!("{} has Object Lock enabled but no default retention", res.label()),
                    );
                }
            },
            _ => {
                sink.report(&res, "/object_lock", format!("{} ({name}) has no Object Lock", res.label()));
            }
        }
    }
}
