//! AU402 `trail-no-log-validation`: log file integrity validation is off.

use crate::checks::support::need;
use crate::checks::{Res, Settings, Sink};
use crate::inventory::Inventory;

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for t in super::unique(inv) {
        let res = Res::trail(t);
        if need(sink, &res, "/log_file_validation", "log file validation", &t.log_file_validation) == Some(&false) {
            sink.report(&res, "/log_file_validation", format!("{} has log file validation disabled", res.label()));
        }
    }
}
