//! AU411 `logs-no-retention`: a log group whose events never expire (no retention set). Logs
//! may carry personal data; keeping them forever breaks data minimisation.

use crate::checks::support::need;
use crate::checks::{Res, Settings, Sink};
use crate::inventory::Inventory;

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for g in &inv.log_groups {
        let res = Res::log_group(g);
        if let Some(None) = need(sink, &res, "/retention_days", "the retention", &g.retention_days) {
            sink.report(&res, "/retention_days", format!("{} never expires events (no retention set)", res.label()));
        }
    }
}
