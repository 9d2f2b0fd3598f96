//! AU403 `trail-not-encrypted`: the trail's log files are not encrypted with a KMS key (SSE-KMS),
//! or the key is an AWS managed key.

use crate::checks::support::{is_aws_managed_alias, need};
use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Fact, Inventory, KeyManager};

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for t in super::unique(inv) {
        let res = Res::trail(t);
        let Some(key) = need(sink, &res, "/kms_key_id", "the trail's KMS key", &t.kms_key_id) else { continue };
        match key.as_deref().filter(|k| !k.is_empty()) {
            None => {
                sink.report(
                    &res,
                    "/kms_key_id",
                    format!("{} log files are not encrypted with a customer managed KMS key", res.label()),
                );
            }
            Some(k) if is_aws_managed_alias(k) => {
                sink.report(
                    &res,
                    "/kms_key_id",
                    format!("{} log files are encrypted with an AWS managed key alias", res.label()),
                );
            }
            Some(k) => {
                if let Some(key) = inv.find_key(k, Some(&t.home_region)) {
                    if key.manager == Fact::Known(KeyManager::Aws) {
                        sink.report(
                            &res,
                            "/kms_key_id",
                            format!("{} log files are encrypted with an AWS managed key", res.label()),
                        );
                    }
                }
            }
        }
    }
}
