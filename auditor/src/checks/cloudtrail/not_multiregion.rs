//! AU401 `trail-not-multiregion`: a trail that records only its home region.

use crate::checks::support::need;
use crate::checks::{Res, Settings, Sink};
use crate::inventory::Inventory;

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for t in super::unique(inv) {
        let res = Res::trail(t);
        if need(sink, &res, "/multi_region", "whether the trail is multi-region", &t.multi_region) == Some(&false) {
            sink.report(
                &res,
                "/multi_region",
                format!("{} records only its home region {}", res.label(), t.home_region),
            );
        }
    }
}
