//! Keys: tokenisation (HMAC-SHA-256 with domain tags and a key id) and field encryption
//! (envelope encryption: a data key from the [`KeyProvider`], AES-256-GCM, additional
//! authenticated data binding member, application and field; bounded data-key reuse).
//!
//! `value_enc` format: `kms1:<key-ref>:<b64 wrapped data key>:<b64 nonce|ciphertext|tag>`
//! where `key-ref` is the first 16 hex digits of SHA-256 of the master key's id (alias or ARN
//! for KMS, `local:<kid>` for a key file), base64 is standard with padding.

use std::path::Path;
use std::sync::Arc;

use aes_gcm::aead::{Aead, AeadInOut, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Errors of key handling and encryption. Never carries plaintext.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    #[error("key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("key provider: {0}")]
    Provider(String),
    #[error("value_enc is malformed: {0}")]
    Format(&'static str),
    #[error("value_enc was made with key {found}, this provider holds {expected}")]
    WrongKey { found: String, expected: String },
    #[error("decryption failed: wrong key, or the value was moved to another record or field, or was altered")]
    Authentication,
}

/// A fresh data key: plaintext (zeroised on drop) and its wrapped (encrypted) form.
pub struct DataKey {
    pub plaintext: Zeroizing<[u8; 32]>,
    pub wrapped: Vec<u8>,
}

/// Where master keys live: a local key file (development) or AWS KMS.
pub trait KeyProvider: Send + Sync {
    /// Identifier of the master key (alias/ARN or `local:<kid>`), hashed into `value_enc`.
    fn key_id(&self) -> &str;
    /// `GenerateDataKey` (AES-256).
    fn generate_data_key(&self) -> Result<DataKey, CryptoError>;
    /// `Decrypt` a wrapped data key.
    fn decrypt_data_key(&self, wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError>;
    /// HMAC tokenisation keys, active first (two during rotation), decrypted once at start.
    fn token_keys(&self) -> &TokenKeys;
}

/// First 16 hex digits of SHA-256 of a key id.
#[must_use]
pub fn key_ref(key_id: &str) -> String {
    let d = Sha256::digest(key_id.as_bytes());
    hex::encode(&d[..8])
}

// ------------------------------------------------------------------------------------------
// tokenisation

/// One HMAC key with its id.
#[derive(Clone)]
pub struct TokenKey {
    pub kid: String,
    mac: Hmac<Sha256>,
}

impl TokenKey {
    /// # Errors
    /// When the key is shorter than 32 bytes.
    pub fn new(kid: &str, secret: &[u8]) -> Result<Self, CryptoError> {
        if secret.len() < 32 {
            return Err(CryptoError::Provider(format!("HMAC key {kid} must be at least 32 bytes")));
        }
        let mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(secret).map_err(|_| CryptoError::Provider("HMAC key".into()))?;
        Ok(Self { kid: kid.to_string(), mac })
    }

    /// `base64url(HMAC-SHA-256(key, domain || 0x1F || value))` truncated to 128 bits.
    #[must_use]
    pub fn token(&self, domain: &str, value: &str) -> String {
        self.token_parts(domain, &[value]).as_str().to_string()
    }

    /// [`TokenKey::token`] of the concatenation of `parts` (hashed in turn: no joined copy),
    /// as an inline value (no allocation).
    #[must_use]
    pub fn token_parts(&self, domain: &str, parts: &[&str]) -> Token {
        let mut m = self.mac.clone();
        m.update(domain.as_bytes());
        m.update(&[0x1F]);
        for p in parts {
            m.update(p.as_bytes());
        }
        let out = m.finalize().into_bytes();
        let mut t = [0u8; 22];
        // 16 bytes are exactly 22 base64url characters without padding
        let _ = B64URL.encode_slice(&out[..16], &mut t);
        Token(t)
    }
}

/// A token: 22 base64url characters, held inline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Token([u8; 22]);

impl Token {
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl AsRef<str> for Token {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Token {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The active tokenisation key and, during a rotation, the second one.
#[derive(Clone)]
pub struct TokenKeys {
    pub keys: Vec<TokenKey>,
}

impl TokenKeys {
    #[must_use]
    pub fn active(&self) -> &TokenKey {
        &self.keys[0]
    }
}

// ------------------------------------------------------------------------------------------
// envelope encryption

/// Encrypts fields under a cached data key, replaced after `max_uses` encryptions.
pub struct Encryptor {
    provider: Arc<dyn KeyProvider>,
    key_ref: String,
    max_uses: u32,
    current: Option<(Aes256Gcm, String, u32)>,
    /// Reused for `nonce | ciphertext | tag` (encryption is in place: the plaintext copied
    /// in is overwritten by its ciphertext).
    scratch: Vec<u8>,
    /// Data keys generated so far (for metrics and tests).
    pub data_keys_generated: u64,
}

/// Default number of encryptions under one data key before a new one is generated.
pub const DEFAULT_DATA_KEY_USES: u32 = 10_000;

/// Additional authenticated data: binds a ciphertext to member, application and field.
#[must_use]
pub fn field_aad(member_id: &str, app_ref: &str, pointer: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(member_id.len() + app_ref.len() + pointer.len() + 8);
    field_aad_into(&mut v, member_id, app_ref, pointer);
    v
}

/// [`field_aad`] into a reused buffer (cleared first).
pub fn field_aad_into(v: &mut Vec<u8>, member_id: &str, app_ref: &str, pointer: &str) {
    v.clear();
    v.extend_from_slice(b"kms1");
    for part in [member_id, app_ref, pointer] {
        v.push(0x1F);
        v.extend_from_slice(part.as_bytes());
    }
}

impl Encryptor {
    #[must_use]
    pub fn new(provider: Arc<dyn KeyProvider>, max_uses: u32) -> Self {
        let key_ref = key_ref(provider.key_id());
        Self {
            provider,
            key_ref,
            max_uses: max_uses.max(1),
            current: None,
            scratch: Vec::new(),
            data_keys_generated: 0,
        }
    }

    /// Encrypt `plaintext` bound to `aad`, giving a `value_enc` string.
    pub fn encrypt(&mut self, plaintext: &[u8], aad: &[u8]) -> Result<String, CryptoError> {
        if self.current.as_ref().is_none_or(|(_, _, uses)| *uses >= self.max_uses) {
            let dk = self.provider.generate_data_key()?;
            let cipher = Aes256Gcm::new_from_slice(&dk.plaintext[..]).map_err(|_| CryptoError::Format("data key"))?;
            self.current = Some((cipher, B64.encode(&dk.wrapped), 0));
            self.data_keys_generated += 1;
        }
        let (cipher, wrapped_b64, uses) = self.current.as_mut().ok_or(CryptoError::Format("no data key"))?;
        *uses += 1;
        let mut nonce = [0u8; 12];
        rand::fill(&mut nonce[..]);
        let body = &mut self.scratch;
        body.clear();
        body.extend_from_slice(&nonce);
        body.extend_from_slice(plaintext);
        let tag = cipher
            .encrypt_inout_detached(&nonce.into(), aad, (&mut body[12..]).into())
            .map_err(|_| CryptoError::Format("encryption failed"))?;
        body.extend_from_slice(&tag);
        let mut out = String::with_capacity(8 + self.key_ref.len() + wrapped_b64.len() + body.len().div_ceil(3) * 4);
        out.push_str("kms1:");
        out.push_str(&self.key_ref);
        out.push(':');
        out.push_str(wrapped_b64);
        out.push(':');
        B64.encode_string(&body[..], &mut out);
        Ok(out)
    }
}

/// Decrypt a `value_enc` made by [`Encryptor::encrypt`] with the same `aad`.
pub fn decrypt(provider: &dyn KeyProvider, value_enc: &str, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut parts = value_enc.splitn(4, ':');
    if parts.next() != Some("kms1") {
        return Err(CryptoError::Format("expected prefix kms1:"));
    }
    let kref = parts.next().ok_or(CryptoError::Format("missing key reference"))?;
    let wrapped = parts.next().ok_or(CryptoError::Format("missing wrapped data key"))?;
    let body = parts.next().ok_or(CryptoError::Format("missing ciphertext"))?;
    let expected = key_ref(provider.key_id());
    if kref != expected {
        return Err(CryptoError::WrongKey { found: kref.to_string(), expected });
    }
    let wrapped = B64.decode(wrapped).map_err(|_| CryptoError::Format("wrapped data key is not base64"))?;
    let body = B64.decode(body).map_err(|_| CryptoError::Format("ciphertext is not base64"))?;
    if body.len() < 12 + 16 {
        return Err(CryptoError::Format("ciphertext too short"));
    }
    let key = provider.decrypt_data_key(&wrapped)?;
    let cipher = Aes256Gcm::new_from_slice(&key[..]).map_err(|_| CryptoError::Format("data key"))?;
    let nonce: [u8; 12] = body[..12].try_into().map_err(|_| CryptoError::Format("nonce"))?;
    cipher
        .decrypt(&nonce.into(), Payload { msg: &body[12..], aad })
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Authentication)
}

// ------------------------------------------------------------------------------------------
// local key file

/// On-disk format of a local key file (`translator keygen`). NOT FOR PRODUCTION: the master key
/// sits in a file; use the KMS provider in any environment holding real data.
#[derive(Serialize, Deserialize)]
pub struct KeyFile {
    pub warning: String,
    pub format: String,
    /// Master key id, e.g. `local:dev-2026-01`.
    pub key_id: String,
    /// base64 AES-256 master key that wraps data keys.
    pub master_key: String,
    /// HMAC keys, active first.
    pub token_keys: Vec<KeyFileToken>,
}

#[derive(Serialize, Deserialize)]
pub struct KeyFileToken {
    pub kid: String,
    pub key: String,
}

pub const KEY_FILE_FORMAT: &str = "translator.local-keys/1";
pub const KEY_FILE_WARNING: &str =
    "NOT FOR PRODUCTION: local development keys. Anyone who can read this file can read every value_enc and re-create every token.";

/// Generate a new key file's contents.
#[must_use]
pub fn generate_key_file(name: &str, kid: &str) -> KeyFile {
    let mut master = Zeroizing::new([0u8; 32]);
    rand::fill(&mut master[..]);
    let mut hmac = Zeroizing::new([0u8; 32]);
    rand::fill(&mut hmac[..]);
    KeyFile {
        warning: KEY_FILE_WARNING.to_string(),
        format: KEY_FILE_FORMAT.to_string(),
        key_id: format!("local:{name}"),
        master_key: B64.encode(&master[..]),
        token_keys: vec![KeyFileToken { kid: kid.to_string(), key: B64.encode(&hmac[..]) }],
    }
}

/// The local key-file provider (offline default; not for production).
pub struct LocalKeyProvider {
    key_id: String,
    master: Aes256Gcm,
    tokens: TokenKeys,
}

impl LocalKeyProvider {
    /// Load a key file.
    pub fn load(path: &Path) -> Result<Self, CryptoError> {
        let err = |reason: String| CryptoError::KeyFile { path: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let kf: KeyFile = serde_json::from_str(&text).map_err(|e| err(format!("not a key file: {e}")))?;
        Self::from_key_file(&kf).map_err(|e| err(e.to_string()))
    }

    pub fn from_key_file(kf: &KeyFile) -> Result<Self, CryptoError> {
        if kf.format != KEY_FILE_FORMAT {
            return Err(CryptoError::Provider(format!("unsupported key file format, expected {KEY_FILE_FORMAT}")));
        }
        let master = Zeroizing::new(
            B64.decode(&kf.master_key).map_err(|_| CryptoError::Provider("master_key is not base64".into()))?,
        );
        if master.len() != 32 {
            return Err(CryptoError::Provider("master_key must be 32 bytes".into()));
        }
        let master = Aes256Gcm::new_from_slice(&master).map_err(|_| CryptoError::Provider("master_key".into()))?;
        if kf.token_keys.is_empty() || kf.token_keys.len() > 2 {
            return Err(CryptoError::Provider("token_keys must hold one key, or two during a rotation".into()));
        }
        let mut keys = Vec::new();
        for t in &kf.token_keys {
            let secret = Zeroizing::new(
                B64.decode(&t.key).map_err(|_| CryptoError::Provider(format!("token key {} is not base64", t.kid)))?,
            );
            keys.push(TokenKey::new(&t.kid, &secret)?);
        }
        Ok(Self { key_id: kf.key_id.clone(), master, tokens: TokenKeys { keys } })
    }
}

impl KeyProvider for LocalKeyProvider {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn generate_data_key(&self) -> Result<DataKey, CryptoError> {
        let mut plaintext = Zeroizing::new([0u8; 32]);
        rand::fill(&mut plaintext[..]);
        let mut nonce = [0u8; 12];
        rand::fill(&mut nonce[..]);
        let ct = self
            .master
            .encrypt(&nonce.into(), Payload { msg: &plaintext[..], aad: self.key_id.as_bytes() })
            .map_err(|_| CryptoError::Provider("wrap data key".into()))?;
        let mut wrapped = nonce.to_vec();
        wrapped.extend_from_slice(&ct);
        Ok(DataKey { plaintext, wrapped })
    }

    fn decrypt_data_key(&self, wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        if wrapped.len() != 12 + 32 + 16 {
            return Err(CryptoError::Format("wrapped data key has the wrong length"));
        }
        let nonce: [u8; 12] = wrapped[..12].try_into().map_err(|_| CryptoError::Format("nonce"))?;
        let pt = Zeroizing::new(
            self.master
                .decrypt(&nonce.into(), Payload { msg: &wrapped[12..], aad: self.key_id.as_bytes() })
                .map_err(|_| CryptoError::Authentication)?,
        );
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&pt);
        Ok(out)
    }

    fn token_keys(&self) -> &TokenKeys {
        &self.tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> Arc<dyn KeyProvider> {
        Arc::new(LocalKeyProvider::from_key_file(&generate_key_file("test", "ck-test")).unwrap())
    }

    #[test]
    fn round_trip_and_binding() {
        let p = provider();
        let mut enc = Encryptor::new(p.clone(), 2);
        let aad = field_aad("M0042", "APP-1", "/case/subjects/0/national_id/value_enc");
        let v = enc.encrypt(b"130692544", &aad).unwrap();
        assert!(v.starts_with(&format!("kms1:{}:", key_ref(p.key_id()))));
        assert_eq!(&decrypt(p.as_ref(), &v, &aad).unwrap()[..], b"130692544");
        // moved to another field or record: rejected
        let other = field_aad("M0042", "APP-2", "/case/subjects/0/national_id/value_enc");
        assert!(matches!(decrypt(p.as_ref(), &v, &other), Err(CryptoError::Authentication)));
        // another key: rejected before any decryption
        let other_key: Arc<dyn KeyProvider> =
            Arc::new(LocalKeyProvider::from_key_file(&generate_key_file("other", "ck-test")).unwrap());
        assert!(matches!(decrypt(other_key.as_ref(), &v, &aad), Err(CryptoError::WrongKey { .. })));
        // same key id, different key material: authentication fails
        assert!(matches!(decrypt(provider().as_ref(), &v, &aad), Err(CryptoError::Authentication)));
        // tampered ciphertext: rejected
        let mut t = v.clone().into_bytes();
        let last = t.len() - 3;
        t[last] = if t[last] == b'A' { b'B' } else { b'A' };
        assert!(decrypt(p.as_ref(), std::str::from_utf8(&t).unwrap(), &aad).is_err());
    }

    #[test]
    fn data_key_reuse_is_bounded() {
        let mut enc = Encryptor::new(provider(), 3);
        for _ in 0..7 {
            enc.encrypt(b"x", b"a").unwrap();
        }
        assert_eq!(enc.data_keys_generated, 3);
    }

    #[test]
    fn tokens_are_keyed_domain_separated_and_stable() {
        let k1 = TokenKey::new("a", &[1u8; 32]).unwrap();
        let k2 = TokenKey::new("b", &[2u8; 32]).unwrap();
        assert_eq!(k1.token("sin", "130692544"), k1.token("sin", "130692544"));
        assert_ne!(k1.token("sin", "130692544"), k2.token("sin", "130692544"));
        assert_ne!(k1.token("sin", "130692544"), k1.token("phone", "130692544"));
        assert_eq!(k1.token("sin", "x").len(), 22);
        assert_eq!(k1.token_parts("name_dob", &["A", "|", "B|", "C"]).as_str(), k1.token("name_dob", "A|B|C"));
        assert!(TokenKey::new("short", &[0u8; 16]).is_err());
    }
}
