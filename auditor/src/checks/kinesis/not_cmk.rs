//! AU602 `kinesis-not-cmk`: a stream encrypted with the AWS managed `aws/kinesis` key rather
//! than a customer managed key.

use crate::checks::support::{is_aws_managed_alias, need};
use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Fact, Inventory, KeyManager, StreamEncryption};

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for st in &inv.kinesis_streams {
        let res = Res::stream(st);
        if st.encryption_type != Fact::Known(StreamEncryption::Kms) {
            continue;
        }
        let Some(key) = need(sink, &res, "/kms_key_id", "the KMS key", &st.kms_key_id) else { continue };
        let aws_managed = match key.as_deref() {
            None | Some("") => true,
            Some(k) if is_aws_managed_alias(k) => true,
            Some(k) => inv.find_key(k, Some(&st.region)).is_some_and(|x| x.manager == Fact::Known(KeyManager::Aws)),
        };
        if aws_managed {
            sink.report(
                &res,
                "/kms_key_id",
                format!("{} is encrypted with the AWS managed key, not a customer managed key", res.label()),
            );
        }
    }
}
