//! AU207 `s3-versioning-off`: versioning never enabled or suspended.

use crate::checks::support::need;
use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Inventory, Versioning};

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for b in &inv.buckets {
        let res = Res::bucket(b);
        match need(sink, &res, "/versioning", "the versioning status", &b.versioning) {
            Some(Versioning::Enabled) | None => {}
            Some(v) => {
                let state = if *v == Versioning::Suspended { "suspended" } else { "not enabled" };
                sink.report(&res, "/versioning", format!("{} has versioning {state}", res.label()));
            }
        }
    }
}
