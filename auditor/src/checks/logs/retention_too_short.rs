//! AU412 `logs-retention-too-short`: a log group kept for less than the minimum log retention
//! (PCI DSS 10.5.1: twelve months). Log groups tagged as PII are exempt (they are bound by the
//! PII maximum instead).

use crate::checks::support::need;
use crate::checks::{DataClass, Res, Settings, Sink};
use crate::inventory::{Fact, Inventory};

/// Evaluator.
pub fn check(inv: &Inventory, s: &Settings, sink: &mut Sink<'_>) {
    let min = s.logs_min_retention_days;
    for g in &inv.log_groups {
        let res = Res::log_group(g);
        if s.data_class(&g.tags) == Fact::Known(DataClass::Pii) {
            continue;
        }
        if let Some(Some(days)) = need(sink, &res, "/retention_days", "the retention", &g.retention_days) {
            if *days < min {
                let f = sink.report(
                    &res,
                    "/retention_days",
                    format!("{} keeps events {days} days, less than the {min}-day minimum", res.label()),
                );
                f.evidence.insert("retention_days".into(), (*days).into());
                f.evidence.insert("min_days".into(), min.into());
            }
        }
    }
}
