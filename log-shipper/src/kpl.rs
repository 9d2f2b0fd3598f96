//! KPL aggregated record format (`awslabs/amazon-kinesis-producer` aggregation-format.md):
//! magic `F3 89 9A C2`, a protobuf `AggregatedRecord` (proto2), and the MD5 of the protobuf.

use md5::{Digest, Md5};
use prost::encoding::encoded_len_varint;
use prost::Message;

/// The four magic bytes that start an aggregated record.
pub const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
const DIGEST_LEN: usize = 16;

/// `message AggregatedRecord`.
#[derive(Clone, PartialEq, Message)]
pub struct AggregatedRecord {
    /// Partition keys, indexed by the records.
    #[prost(string, repeated, tag = "1")]
    pub partition_key_table: Vec<String>,
    /// Explicit hash keys, indexed by the records.
    #[prost(string, repeated, tag = "2")]
    pub explicit_hash_key_table: Vec<String>,
    /// The sub-records.
    #[prost(message, repeated, tag = "3")]
    pub records: Vec<Record>,
}

/// `message Tag` (unused by KPL/KCL, kept for decoding).
#[derive(Clone, PartialEq, Message)]
pub struct Tag {
    /// Key.
    #[prost(string, required, tag = "1")]
    pub key: String,
    /// Value.
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// `message Record`.
#[derive(Clone, PartialEq, Message)]
pub struct Record {
    /// Index into the partition key table.
    #[prost(uint64, required, tag = "1")]
    pub partition_key_index: u64,
    /// Index into the explicit hash key table.
    #[prost(uint64, optional, tag = "2")]
    pub explicit_hash_key_index: Option<u64>,
    /// The payload.
    #[prost(bytes = "bytes", required, tag = "3")]
    pub data: bytes::Bytes,
    /// Tags.
    #[prost(message, repeated, tag = "4")]
    pub tags: Vec<Tag>,
}

/// Bytes a length-delimited field of `len` bytes takes (one-byte tag).
fn field_len(len: usize) -> usize {
    1 + encoded_len_varint(len as u64) + len
}

/// Passes a precomputed `u64` through as its own hash.
#[derive(Debug, Default)]
struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A 64-bit hash of a partition key (eight bytes at a time).
fn key_hash(pk: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ pk.len() as u64;
    for c in pk.as_bytes().chunks(8) {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
    h ^ (h >> 32)
}

/// Builds one aggregated record while tracking its exact encoded size.
#[derive(Debug, Default)]
pub struct Builder {
    record: AggregatedRecord,
    /// Partition key hash → index of the first key with that hash in the table (a key whose
    /// hash collides with another's is found by a scan of the table).
    pk_index: std::collections::HashMap<u64, u64, std::hash::BuildHasherDefault<PassThrough>>,
    proto_len: usize,
}

impl Builder {
    /// Empty builder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of sub-records.
    #[must_use]
    pub fn len(&self) -> usize {
        self.record.records.len()
    }

    /// No sub-records yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.record.records.is_empty()
    }

    /// The index of `pk` in the partition key table, if it is there.
    fn key_index(&self, pk: &str, hash: u64) -> Option<u64> {
        let table = &self.record.partition_key_table;
        match self.pk_index.get(&hash) {
            None => None,
            Some(&i) if table.get(i as usize).is_some_and(|k| k == pk) => Some(i),
            Some(_) => table.iter().position(|k| k == pk).map(|i| i as u64),
        }
    }

    /// Encoded size (magic + protobuf + MD5) the aggregate would have after adding this record.
    #[must_use]
    pub fn size_with(&self, pk: &str, data_len: usize) -> usize {
        let (pk_cost, idx) = match self.key_index(pk, key_hash(pk)) {
            Some(i) => (0, i),
            None => (field_len(pk.len()), self.record.partition_key_table.len() as u64),
        };
        let inner = 1 + encoded_len_varint(idx) + field_len(data_len);
        MAGIC.len() + self.proto_len + pk_cost + field_len(inner) + DIGEST_LEN
    }

    /// Current encoded size.
    #[must_use]
    pub fn size(&self) -> usize {
        MAGIC.len() + self.proto_len + DIGEST_LEN
    }

    /// Add a sub-record.
    pub fn push(&mut self, pk: &str, data: impl Into<bytes::Bytes>) {
        let data = data.into();
        let hash = key_hash(pk);
        let idx = if let Some(i) = self.key_index(pk, hash) {
            i
        } else {
            let i = self.record.partition_key_table.len() as u64;
            self.record.partition_key_table.push(pk.to_string());
            self.pk_index.entry(hash).or_insert(i);
            self.proto_len += field_len(pk.len());
            i
        };
        let inner = 1 + encoded_len_varint(idx) + field_len(data.len());
        self.proto_len += field_len(inner);
        self.record.records.push(Record {
            partition_key_index: idx,
            explicit_hash_key_index: None,
            data,
            tags: vec![],
        });
    }

    /// Encode: magic + protobuf + MD5(protobuf).
    #[must_use]
    pub fn finish(self) -> Vec<u8> {
        encode(&self.record)
    }
}

/// Encode an aggregated record.
#[must_use]
pub fn encode(rec: &AggregatedRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAGIC.len() + rec.encoded_len() + DIGEST_LEN);
    out.extend_from_slice(&MAGIC);
    rec.encode(&mut out).expect("invariant: Vec<u8> has unlimited capacity");
    let digest = Md5::digest(&out[MAGIC.len()..]);
    out.extend_from_slice(&digest);
    out
}

/// Why a record that starts with the magic bytes cannot be deaggregated.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KplError {
    /// MD5 trailer does not match the protobuf.
    #[error("aggregated record: MD5 mismatch")]
    Digest,
    /// Protobuf does not decode.
    #[error("aggregated record: protobuf: {0}")]
    Protobuf(String),
    /// A record points outside a key table.
    #[error("aggregated record: sub-record {0} has a key index outside the table")]
    Index(usize),
}

/// One decoded sub-record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubRecord {
    /// Its partition key.
    pub partition_key: String,
    /// Its explicit hash key.
    pub explicit_hash_key: Option<String>,
    /// Its data.
    pub data: Vec<u8>,
}

/// Is this Kinesis record an aggregate (magic present and long enough)?
#[must_use]
pub fn is_aggregated(data: &[u8]) -> bool {
    data.len() >= MAGIC.len() + DIGEST_LEN && data[..MAGIC.len()] == MAGIC
}

/// Deaggregate: `Ok(None)` for a plain (non-aggregated) record.
pub fn decode(data: &[u8]) -> Result<Option<Vec<SubRecord>>, KplError> {
    if !is_aggregated(data) {
        return Ok(None);
    }
    let proto = &data[MAGIC.len()..data.len() - DIGEST_LEN];
    if Md5::digest(proto).as_slice() != &data[data.len() - DIGEST_LEN..] {
        return Err(KplError::Digest);
    }
    let rec = AggregatedRecord::decode(proto).map_err(|e| KplError::Protobuf(e.to_string()))?;
    let mut out = Vec::with_capacity(rec.records.len());
    for (i, r) in rec.records.into_iter().enumerate() {
        let pk = usize::try_from(r.partition_key_index)
            .ok()
            .and_then(|k| rec.partition_key_table.get(k))
            .ok_or(KplError::Index(i))?;
        let ehk = match r.explicit_hash_key_index {
            None => None,
            Some(k) => Some(
                usize::try_from(k)
                    .ok()
                    .and_then(|k| rec.explicit_hash_key_table.get(k))
                    .ok_or(KplError::Index(i))?
                    .clone(),
            ),
        };
        out.push(SubRecord { partition_key: pk.clone(), explicit_hash_key: ehk, data: r.data.to_vec() });
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_prediction_is_exact_and_roundtrips() {
        let mut b = Builder::new();
        let mut expected = Vec::new();
        for i in 0..300 {
            let pk = format!("key-{}", i % 7);
            let data = vec![b'x'; i * 3];
            let predicted = b.size_with(&pk, data.len());
            b.push(&pk, data.clone());
            assert_eq!(predicted, b.size());
            expected.push((pk, data));
        }
        let predicted = b.size();
        let bytes = b.finish();
        assert_eq!(bytes.len(), predicted);
        assert_eq!(&bytes[..4], &MAGIC);
        let subs = decode(&bytes).unwrap().unwrap();
        assert_eq!(subs.len(), 300);
        for (s, (pk, data)) in subs.iter().zip(&expected) {
            assert_eq!(&s.partition_key, pk);
            assert_eq!(&s.data, data);
        }
    }

    /// A key whose hash collides with another key's still gets its own table entry, once.
    #[test]
    fn colliding_key_hashes_keep_keys_apart() {
        let mut b = Builder::new();
        b.push("a", b"1".to_vec());
        // Pretend "c" hashes like "a" did: its slot points at "a".
        b.pk_index.insert(key_hash("c"), 0);
        let before = b.size();
        assert_eq!(b.size_with("c", 1), b.size_with("new", 1) - field_len(3) + field_len(1));
        b.push("c", b"2".to_vec());
        b.push("c", b"3".to_vec());
        b.push("a", b"4".to_vec());
        assert!(b.size() > before);
        assert_eq!(b.record.partition_key_table, ["a", "c"]);
        let idx: Vec<u64> = b.record.records.iter().map(|r| r.partition_key_index).collect();
        assert_eq!(idx, [0, 1, 1, 0]);
        let predicted = b.size();
        let bytes = b.finish();
        assert_eq!(bytes.len(), predicted);
        let keys: Vec<String> = decode(&bytes).unwrap().unwrap().into_iter().map(|s| s.partition_key).collect();
        assert_eq!(keys, ["a", "c", "c", "a"]);
    }

    #[test]
    fn corrupt_digest_and_plain_records() {
        let mut b = Builder::new();
        b.push("k", b"hello".to_vec());
        let mut bytes = b.finish();
        let n = bytes.len();
        bytes[n - 1] ^= 0xff;
        assert_eq!(decode(&bytes), Err(KplError::Digest));
        assert_eq!(decode(b"{\"plain\":true}"), Ok(None));
    }

    /// Known answer: the protobuf for one record with key "a" and data "b".
    #[test]
    fn wire_bytes() {
        let mut b = Builder::new();
        b.push("a", b"b".to_vec());
        let bytes = b.finish();
        // 0a 01 61 = pk table "a"; 1a 05 (08 00 1a 01 62) = record {pk idx 0, data "b"}
        assert_eq!(&bytes[4..bytes.len() - 16], &[0x0a, 0x01, 0x61, 0x1a, 0x05, 0x08, 0x00, 0x1a, 0x01, 0x62]);
    }
}
