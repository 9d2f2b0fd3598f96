//! AU203 `s3-kms-not-cmk`: SSE-KMS with the AWS managed `aws/s3` key (or another AWS managed
//! key) instead of a customer managed key. Joins the bucket's key reference to the inventory's
//! keys; a key of another account is necessarily customer managed.

use crate::checks::support::{arn_account, is_aws_managed_alias};
use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Fact, Inventory, KeyManager};

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for b in &inv.buckets {
        let res = Res::bucket(b);
        let Some(Some(e)) = b.encryption.known() else { continue };
        if !e.algorithm.known().is_some_and(|a| a.is_kms()) {
            continue;
        }
        let key_id = match &e.kms_key_id {
            Fact::Known(k) => k.as_deref().map(str::trim).filter(|k| !k.is_empty()),
            Fact::Unknown(r) => {
                sink.unknown(&res, "/encryption/kms_key_id", "the KMS key", *r);
                continue;
            }
        };
        let Some(key_id) = key_id else {
            sink.report(
                &res,
                "/encryption/kms_key_id",
                format!("{} uses SSE-KMS with the AWS managed key aws/s3 (no key id configured)", res.label()),
            )
            .evidence
            .insert("kms_key".into(), "aws/s3".into());
            continue;
        };
        if is_aws_managed_alias(key_id) {
            sink.report(
                &res,
                "/encryption/kms_key_id",
                format!("{} uses SSE-KMS with an AWS managed key alias", res.label()),
            )
            .evidence
            .insert("kms_key".into(), key_id.into());
            continue;
        }
        match inv.find_key(key_id, b.region.known().map(String::as_str)) {
            Some(k) => match k.manager {
                Fact::Known(KeyManager::Aws) => {
                    sink.report(
                        &res,
                        "/encryption/kms_key_id",
                        format!("{} uses SSE-KMS with an AWS managed key, not a customer managed key", res.label()),
                    )
                    .evidence
                    .insert("kms_key".into(), k.arn.clone().unwrap_or_else(|| k.id.clone()).into());
                }
                Fact::Known(KeyManager::Customer) => {}
                Fact::Unknown(r) => {
                    sink.unknown(&res, "/encryption/kms_key_id", "the key manager of the bucket's key", r)
                }
            },
            None => {
                let foreign = key_id.starts_with("arn:")
                    && arn_account(key_id).is_some_and(|a| b.account.as_deref().is_some_and(|own| own != a));
                if !foreign {
                    sink.unknown(
                        &res,
                        "/encryption/kms_key_id",
                        "the bucket's KMS key (not found among the collected keys)",
                        crate::inventory::UnknownReason::NotCollected,
                    );
                }
            }
        }
    }
}
