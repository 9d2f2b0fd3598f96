//! S3 bucket checks (AU2xx).

pub mod bucket_key_disabled;
pub mod kms_not_cmk;
pub mod log_retention_too_short;
pub mod no_default_encryption;
pub mod no_lifecycle_retention;
pub mod no_tls_policy;
pub mod object_lock_missing;
pub mod public_access_not_blocked;
pub mod sse_s3_not_kms;
pub mod versioning_off;

use super::support::{need, Res, Sink};
use crate::inventory::{Bucket, BucketEncryption, SseAlgorithm};

/// The bucket's default encryption, or `None` after reporting an unknown value.
/// `Some(None)` = no default encryption.
pub(crate) fn encryption<'b>(
    sink: &mut Sink<'_>,
    b: &'b Bucket,
    res: &Res,
) -> Option<Option<(&'b BucketEncryption, SseAlgorithm)>> {
    let enc = need(sink, res, "/encryption", "the default encryption", &b.encryption)?;
    match enc {
        None => Some(None),
        Some(e) => {
            let alg = *need(sink, res, "/encryption/algorithm", "the encryption algorithm", &e.algorithm)?;
            if alg == SseAlgorithm::None {
                Some(None)
            } else {
                Some(Some((e, alg)))
            }
        }
    }
}
