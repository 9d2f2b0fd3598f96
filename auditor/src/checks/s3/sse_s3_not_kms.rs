//! AU202 `s3-sse-s3-not-kms`: default encryption is SSE-S3 (AES256), not SSE-KMS.

use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Inventory, SseAlgorithm};

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for b in &inv.buckets {
        let res = Res::bucket(b);
        // Unknowns are reported by AU201 already; stay quiet here.
        if let Some(Some(e)) = b.encryption.known() {
            if e.algorithm.known() == Some(&SseAlgorithm::Aes256) {
                sink.report(
                    &res,
                    "/encryption/algorithm",
                    format!(
                        "{} uses SSE-S3 (AES256) default encryption instead of SSE-KMS with a customer managed key",
                        res.label()
                    ),
                );
            }
        }
    }
}
