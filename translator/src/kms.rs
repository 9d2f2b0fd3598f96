//! AWS KMS key provider: data keys from `GenerateDataKey` (AES-256) under a customer managed
//! key, unwrapped with `Decrypt`; HMAC tokenisation keys stored KMS-encrypted in a small JSON
//! file and decrypted once at start.
//!
//! The core is synchronous, so this provider runs the SDK on its own small runtime and waits
//! for each call; calls are rare (one per data key, i.e. per `data_key_uses` encryptions).

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{CryptoError, DataKey, KeyProvider, TokenKey, TokenKeys};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Encryption context of field data keys.
pub const FIELD_CONTEXT: (&str, &str) = ("purpose", "translator-field-encryption");
/// Encryption context purpose of tokenisation keys (plus `kid`).
pub const TOKEN_CONTEXT: (&str, &str) = ("purpose", "translator-token-key");
pub const TOKEN_FILE_FORMAT: &str = "translator.kms-token-keys/1";

/// A file of KMS-encrypted HMAC keys (`translator keygen --kms-key-id`).
#[derive(Serialize, Deserialize)]
pub struct TokenKeyFile {
    pub format: String,
    pub kms_key_id: String,
    /// Active first; a second entry during a rotation.
    pub keys: Vec<WrappedTokenKey>,
}

#[derive(Serialize, Deserialize)]
pub struct WrappedTokenKey {
    pub kid: String,
    /// base64 KMS ciphertext blob of the 32-byte HMAC key.
    pub ciphertext: String,
}

/// KMS-backed provider.
pub struct KmsProvider {
    rt: Option<tokio::runtime::Runtime>,
    client: aws_sdk_kms::Client,
    key_id: String,
    tokens: TokenKeys,
}

impl KmsProvider {
    /// Connect (standard credential chain, `AWS_ENDPOINT_URL` honoured) and decrypt the token keys.
    pub fn connect(opts: &common::aws::AwsOptions, key_id: &str, token_file: &Path) -> Result<Self, CryptoError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("kms")
            .enable_all()
            .build()
            .map_err(|e| CryptoError::Provider(format!("runtime: {e}")))?;
        let opts = opts.clone();
        let cfg = run(&rt, async move { common::aws::load(&opts).await })?;
        let client = aws_sdk_kms::Client::new(&cfg);
        Self::with_client(rt, client, key_id, token_file)
    }

    /// Build from an existing client (tests use a mocked client).
    pub fn with_client(
        rt: tokio::runtime::Runtime,
        client: aws_sdk_kms::Client,
        key_id: &str,
        token_file: &Path,
    ) -> Result<Self, CryptoError> {
        let text = std::fs::read_to_string(token_file)
            .map_err(|e| CryptoError::KeyFile { path: token_file.display().to_string(), reason: e.to_string() })?;
        let tf: TokenKeyFile = serde_json::from_str(&text).map_err(|e| CryptoError::KeyFile {
            path: token_file.display().to_string(),
            reason: format!("not a token key file: {e}"),
        })?;
        if tf.format != TOKEN_FILE_FORMAT || tf.keys.is_empty() || tf.keys.len() > 2 {
            return Err(CryptoError::KeyFile {
                path: token_file.display().to_string(),
                reason: format!("expected format {TOKEN_FILE_FORMAT} with one key, or two during a rotation"),
            });
        }
        let mut keys = Vec::new();
        for k in &tf.keys {
            let blob =
                B64.decode(&k.ciphertext).map_err(|_| CryptoError::Format("token key ciphertext is not base64"))?;
            let c = client.clone();
            let kid = k.kid.clone();
            let out = run(&rt, async move {
                c.decrypt()
                    .ciphertext_blob(Blob::new(blob))
                    .encryption_context(TOKEN_CONTEXT.0, TOKEN_CONTEXT.1)
                    .encryption_context("kid", kid)
                    .send()
                    .await
                    .map_err(|e| {
                        CryptoError::Provider(format!("KMS Decrypt of token key: {}", common::aws::describe(&e)))
                    })
            })??;
            let pt = Zeroizing::new(out.plaintext.map(Blob::into_inner).unwrap_or_default());
            keys.push(TokenKey::new(&k.kid, &pt)?);
        }
        Ok(Self { rt: Some(rt), client, key_id: key_id.to_string(), tokens: TokenKeys { keys } })
    }

    fn rt(&self) -> Result<&tokio::runtime::Runtime, CryptoError> {
        self.rt.as_ref().ok_or_else(|| CryptoError::Provider("KMS provider is shut down".into()))
    }
}

impl Drop for KmsProvider {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Run a future on `rt` from any thread (including a thread of another runtime) and wait.
fn run<F, T>(rt: &tokio::runtime::Runtime, fut: F) -> Result<T, CryptoError>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    rt.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().map_err(|_| CryptoError::Provider("KMS call was cancelled".into()))
}

impl KeyProvider for KmsProvider {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn generate_data_key(&self) -> Result<DataKey, CryptoError> {
        let c = self.client.clone();
        let key_id = self.key_id.clone();
        let out = run(self.rt()?, async move {
            c.generate_data_key()
                .key_id(key_id)
                .key_spec(DataKeySpec::Aes256)
                .encryption_context(FIELD_CONTEXT.0, FIELD_CONTEXT.1)
                .send()
                .await
                .map_err(|e| CryptoError::Provider(format!("KMS GenerateDataKey: {}", common::aws::describe(&e))))
        })??;
        let pt = Zeroizing::new(out.plaintext.map(Blob::into_inner).unwrap_or_default());
        if pt.len() != 32 {
            return Err(CryptoError::Provider("KMS GenerateDataKey returned a key that is not 32 bytes".into()));
        }
        let mut plaintext = Zeroizing::new([0u8; 32]);
        plaintext.copy_from_slice(&pt);
        let wrapped = out.ciphertext_blob.map(Blob::into_inner).unwrap_or_default();
        Ok(DataKey { plaintext, wrapped })
    }

    fn decrypt_data_key(&self, wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        let c = self.client.clone();
        let key_id = self.key_id.clone();
        let blob = wrapped.to_vec();
        let out = run(self.rt()?, async move {
            c.decrypt()
                .key_id(key_id)
                .ciphertext_blob(Blob::new(blob))
                .encryption_context(FIELD_CONTEXT.0, FIELD_CONTEXT.1)
                .send()
                .await
                .map_err(|e| CryptoError::Provider(format!("KMS Decrypt: {}", common::aws::describe(&e))))
        })??;
        let pt = Zeroizing::new(out.plaintext.map(Blob::into_inner).unwrap_or_default());
        if pt.len() != 32 {
            return Err(CryptoError::Authentication);
        }
        let mut k = Zeroizing::new([0u8; 32]);
        k.copy_from_slice(&pt);
        Ok(k)
    }

    fn token_keys(&self) -> &TokenKeys {
        &self.tokens
    }
}

/// Create a token key file: one fresh 32-byte HMAC key per `kid`, generated and wrapped by KMS.
pub fn create_token_key_file(
    opts: &common::aws::AwsOptions,
    key_id: &str,
    kids: &[String],
) -> Result<TokenKeyFile, CryptoError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CryptoError::Provider(format!("runtime: {e}")))?;
    rt.block_on(async {
        let cfg = common::aws::load(opts).await;
        let client = aws_sdk_kms::Client::new(&cfg);
        let mut keys = Vec::new();
        for kid in kids {
            let ctx: HashMap<String, String> =
                [(TOKEN_CONTEXT.0.to_string(), TOKEN_CONTEXT.1.to_string()), ("kid".to_string(), kid.clone())].into();
            let out = client
                .generate_data_key_without_plaintext()
                .key_id(key_id)
                .key_spec(DataKeySpec::Aes256)
                .set_encryption_context(Some(ctx))
                .send()
                .await
                .map_err(|e| {
                    CryptoError::Provider(format!("KMS GenerateDataKeyWithoutPlaintext: {}", common::aws::describe(&e)))
                })?;
            let blob = out.ciphertext_blob.map(Blob::into_inner).unwrap_or_default();
            keys.push(WrappedTokenKey { kid: kid.clone(), ciphertext: B64.encode(blob) });
        }
        Ok(TokenKeyFile { format: TOKEN_FILE_FORMAT.to_string(), kms_key_id: key_id.to_string(), keys })
    })
}
