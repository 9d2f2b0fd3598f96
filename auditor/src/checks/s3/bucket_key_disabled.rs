//! AU204 `s3-bucket-key-disabled`: SSE-KMS without an S3 Bucket Key (every object operation
//! calls KMS: cost and throttling).

use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Fact, Inventory};

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for b in &inv.buckets {
        let res = Res::bucket(b);
        let Some(Some(e)) = b.encryption.known() else { continue };
        if !e.algorithm.known().is_some_and(|a| a.is_kms()) {
            continue;
        }
        match e.bucket_key {
            Fact::Known(false) => {
                sink.report(
                    &res,
                    "/encryption/bucket_key",
                    format!("{} uses SSE-KMS without an S3 Bucket Key", res.label()),
                );
            }
            Fact::Known(true) => {}
            Fact::Unknown(r) => sink.unknown(&res, "/encryption/bucket_key", "the Bucket Key setting", r),
        }
    }
}
