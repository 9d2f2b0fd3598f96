//! AU413 `logs-not-encrypted`: a log group not encrypted with a customer managed KMS key.

use crate::checks::support::need;
use crate::checks::{Res, Settings, Sink};
use crate::inventory::Inventory;

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for g in &inv.log_groups {
        let res = Res::log_group(g);
        if let Some(None) = need(sink, &res, "/kms_key_id", "the KMS key", &g.kms_key_id) {
            sink.report(
                &res,
                "/kms_key_id",
                format!("{} is not encrypted with a customer managed KMS key", res.label()),
            );
        }
    }
}
