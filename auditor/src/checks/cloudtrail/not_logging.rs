//! AU404 `trail-not-logging`: a trail that is stopped, or whose latest delivery to S3 failed.

use crate::checks::support::need;
use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Fact, Inventory};

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for t in super::unique(inv) {
        let res = Res::trail(t);
        if need(sink, &res, "/is_logging", "the logging status", &t.is_logging) == Some(&false) {
            sink.report(&res, "/is_logging", format!("{} is not logging (stopped)", res.label()));
            continue;
        }
        if let Fact::Known(Some(err)) = &t.latest_delivery_error {
            if !err.trim().is_empty() {
                let f =
                    sink.report(&res, "/latest_delivery_error", format!("{} fails to deliver log files", res.label()));
                f.evidence.insert("latest_delivery_error".into(), err.as_str().into());
            }
        }
    }
}
