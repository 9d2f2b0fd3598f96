//! AU208 `s3-no-lifecycle-retention`: a PII bucket whose objects do not expire within the
//! allowed time. Only an *enabled*, *whole-bucket* rule with a current-version `Expiration`
//! counts; transitions delete nothing. On a versioned bucket the noncurrent versions must
//! expire too.

use crate::checks::support::need;
use crate::checks::{DataClass, Res, Settings, Sink};
use crate::inventory::{Fact, Inventory, Versioning};

/// Evaluator.
pub fn check(inv: &Inventory, s: &Settings, sink: &mut Sink<'_>) {
    let max = s.pii_max_expiry_days;
    for b in &inv.buckets {
        let res = Res::bucket(b);
        let Some(class) = need(sink, &res, "/tags", "the data class (tags)", &s.data_class(&b.tags)).copied() else {
            continue;
        };
        if class != DataClass::Pii {
            continue;
        }
        let Some(rules) = need(sink, &res, "/lifecycle", "the lifecycle configuration", &b.lifecycle) else { continue };
        let effective: Vec<_> = rules.iter().filter(|r| r.enabled && r.whole_bucket).collect();
        let best = effective.iter().filter_map(|r| r.expiration_days).min();
        match best {
            Some(d) if d <= max => {}
            Some(d) => {
                let f = sink.report(
                    &res,
                    "/lifecycle",
                    format!("PII {} expires objects after {d} days, more than the {max}-day limit", res.label()),
                );
                f.evidence.insert("expiration_days".into(), d.into());
                f.evidence.insert("max_days".into(), max.into());
            }
            None => {
                let why = if rules.is_empty() {
                    "has no lifecycle configuration"
                } else if rules.iter().any(|r| r.expiration_days.is_some()) {
                    "has expiration only in disabled or prefix/tag-scoped rules"
                } else {
                    "has lifecycle rules without expiration (transitions do not delete data)"
                };
                let f = sink.report(
                    &res,
                    "/lifecycle",
                    format!("PII {} {why}; objects must expire within {max} days", res.label()),
                );
                f.evidence.insert("max_days".into(), max.into());
                continue;
            }
        }
        if let Fact::Known(Versioning::Enabled | Versioning::Suspended) = b.versioning {
            let nc = effective.iter().filter_map(|r| r.noncurrent_expiration_days).min();
            if nc.is_none_or(|d| d > max) {
                let f = sink.report(
                    &res,
                    "/lifecycle/noncurrent",
                    format!("PII {} is versioned but noncurrent versions do not expire within {max} days", res.label()),
                );
                f.evidence.insert("max_days".into(), max.into());
            }
        }
    }
}
