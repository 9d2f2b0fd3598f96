//! AU201 `s3-no-default-encryption`: a bucket without default encryption.
//!
//! AWS applies SSE-S3 to every bucket since January 2023, but emulators and old API answers
//! still report "no configuration"; treat that as a finding so nothing is assumed.

use crate::checks::{Res, Settings, Sink};
use crate::inventory::Inventory;

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for b in &inv.buckets {
        let res = Res::bucket(b);
        if let Some(None) = super::encryption(sink, b, &res) {
            sink.report(&res, "/encryption", format!("{} has no default encryption configuration", res.label()));
        }
    }
}
