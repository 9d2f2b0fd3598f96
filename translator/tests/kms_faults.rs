//! KMS behaviour moto cannot produce, with aws-smithy-mocks: AccessDenied on GenerateDataKey
//! stops a batch with an error (exit 2) instead of writing unencrypted or partial output, and the
//! envelope round trip uses the data key KMS returned.

use std::path::Path;
use std::sync::Arc;

use aws_sdk_kms::operation::decrypt::{DecryptError, DecryptOutput};
use aws_sdk_kms::operation::generate_data_key::{GenerateDataKeyError, GenerateDataKeyOutput};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use translator::batch::{self, BatchOptions};
use translator::crypto::{self, Encryptor, KeyProvider};
use translator::kms::KmsProvider;
use translator::{Settings, Translator};

fn token_file(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("tokens.json");
    std::fs::write(&p, r#"{"format":"translator.kms-token-keys/1","kms_key_id":"alias/t","keys":[{"kid":"ck-1","ciphertext":"AAAA"}]}"#).unwrap();
    p
}

fn token_rule() -> aws_smithy_mocks::Rule {
    mock!(Client::decrypt)
        .match_requests(|r| {
            r.encryption_context().and_then(|c| c.get("purpose")).map(String::as_str) == Some("translator-token-key")
        })
        .then_output(|| DecryptOutput::builder().plaintext(Blob::new(vec![7u8; 32])).build())
}

#[test]
fn access_denied_on_generate_data_key_fails_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = token_rule();
    let denied = mock!(Client::generate_data_key).then_error(|| {
        GenerateDataKeyError::generic(
            ErrorMetadata::builder().code("AccessDeniedException").message("not allowed").build(),
        )
    });
    let client = mock_client!(aws_sdk_kms, RuleMode::MatchAny, [&tokens, &denied]);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let p: Arc<dyn KeyProvider> =
        Arc::new(KmsProvider::with_client(rt, client, "alias/t", &token_file(dir.path())).unwrap());
    let err = Encryptor::new(p.clone(), 10).encrypt(b"x", b"aad").unwrap_err().to_string();
    assert!(err.contains("GenerateDataKey") && err.contains("AccessDenied"), "{err}");

    let app =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/application-case/input.json"))
            .unwrap();
    let line = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&app).unwrap()).unwrap() + "\n";
    let tr = Translator::new(p, Settings::default());
    let (mut out, mut dl) = (Vec::new(), Vec::new());
    let r = batch::run(
        &tr,
        &BatchOptions::default(),
        Box::new(std::io::Cursor::new(line.into_bytes())),
        None,
        &mut out,
        &mut dl,
        None,
    );
    assert!(matches!(r, Err(batch::BatchError::Crypto(_))));
    assert!(out.is_empty(), "nothing written when keys fail");
}

#[test]
fn envelope_round_trip_uses_the_kms_data_key() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = token_rule();
    let gen = mock!(Client::generate_data_key).then_output(|| {
        GenerateDataKeyOutput::builder()
            .plaintext(Blob::new(vec![9u8; 32]))
            .ciphertext_blob(Blob::new(b"wrapped-by-kms".to_vec()))
            .build()
    });
    let dec = mock!(Client::decrypt)
        .match_requests(|r| r.ciphertext_blob().map(|b| b.as_ref().to_vec()) == Some(b"wrapped-by-kms".to_vec()))
        .then_output(|| DecryptOutput::builder().plaintext(Blob::new(vec![9u8; 32])).build());
    let other = mock!(Client::decrypt)
        .then_error(|| DecryptError::generic(ErrorMetadata::builder().code("InvalidCiphertextException").build()));
    let client = mock_client!(aws_sdk_kms, RuleMode::MatchAny, [&tokens, &gen, &dec, &other]);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let p = KmsProvider::with_client(rt, client, "alias/t", &token_file(dir.path())).unwrap();
    assert_eq!(p.token_keys().active().kid, "ck-1");
    let p: Arc<dyn KeyProvider> = Arc::new(p);
    let mut enc = Encryptor::new(p.clone(), 2);
    let v = (0..3).map(|i| enc.encrypt(format!("secret-{i}").as_bytes(), b"aad").unwrap()).collect::<Vec<_>>();
    assert_eq!(enc.data_keys_generated, 2, "a data key serves at most 2 encryptions here");
    assert_eq!(gen.num_calls(), 2);
    for (i, s) in v.iter().enumerate() {
        assert_eq!(&crypto::decrypt(p.as_ref(), s, b"aad").unwrap()[..], format!("secret-{i}").as_bytes());
    }
    assert_eq!(dec.num_calls(), 3);
}
