//! Dead-letter records (`translator.dead-letter/1.0`): one per rejected record, with the
//! errors (code, pointer, message), a SHA-256 of the input, and the input itself encrypted
//! (capped at 1 MiB) so an authorised operator can inspect it with `translator decrypt`.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::crypto::{CryptoError, Encryptor};
use crate::error::{FieldError, Rejection};

pub const DEAD_LETTER_SCHEMA: &str = "translator.dead-letter/1.0";
/// Encrypted payload cap.
pub const INPUT_CAP: usize = 1 << 20;

/// Where the rejected record came from.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum DlSource {
    Batch {
        #[serde(skip_serializing_if = "Option::is_none")]
        batch_id: Option<String>,
        file: String,
        line: u64,
        byte_offset: u64,
    },
    Request {
        request_id: String,
    },
}

#[derive(Serialize)]
pub struct DeadLetter<'a> {
    pub schema: &'static str,
    pub source: &'a DlSource,
    pub input_sha256: String,
    pub input_bytes: u64,
    pub input_enc: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub input_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_offset: Option<usize>,
    pub errors: &'a [FieldError],
    pub translator_version: &'static str,
}

/// AAD for a dead-letter payload: binds it to the recorded SHA-256.
#[must_use]
pub fn aad(input_sha256: &str) -> Vec<u8> {
    let mut v = DEAD_LETTER_SCHEMA.as_bytes().to_vec();
    v.push(0x1F);
    v.extend_from_slice(input_sha256.as_bytes());
    v
}

/// Build one dead-letter line (JSON, no trailing newline). `total_len` is the full input size
/// when `input` is only its first part (oversized lines).
pub fn build(
    enc: &mut Encryptor,
    source: &DlSource,
    input: &[u8],
    total_len: u64,
    input_hash: Option<[u8; 32]>,
    rejection: &Rejection,
) -> Result<Vec<u8>, CryptoError> {
    let hash = hex::encode(input_hash.unwrap_or_else(|| Sha256::digest(input).into()));
    let kept = &input[..input.len().min(INPUT_CAP)];
    let input_enc = enc.encrypt(kept, &aad(&hash))?;
    let dl = DeadLetter {
        schema: DEAD_LETTER_SCHEMA,
        source,
        input_sha256: hash,
        input_bytes: total_len,
        input_enc,
        input_truncated: (kept.len() as u64) < total_len,
        error_offset: rejection.offset,
        errors: &rejection.errors,
        translator_version: env!("CARGO_PKG_VERSION"),
    };
    serde_json::to_vec(&dl).map_err(|_| CryptoError::Format("serialise"))
}
