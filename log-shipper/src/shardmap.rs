//! Shard map: which shard a partition key (MD5 → 128-bit hash) or explicit hash key lands on.
//! Built from ListShards; only open shards (no ending sequence number) receive writes.

use md5::{Digest, Md5};

/// One open shard and its hash key range (inclusive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Shard id.
    pub id: String,
    /// First hash key.
    pub start: u128,
    /// Last hash key.
    pub end: u128,
}

/// Open shards sorted by hash range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShardMap {
    shards: Vec<Shard>,
}

/// A shard description that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("shard {shard}: bad hash key {value:?}")]
pub struct ShardMapError {
    /// Shard id.
    pub shard: String,
    /// The offending value.
    pub value: String,
}

/// The 128-bit hash Kinesis derives from a partition key.
#[must_use]
pub fn hash_key(partition_key: &str) -> u128 {
    u128::from_be_bytes(Md5::digest(partition_key.as_bytes()).into())
}

impl ShardMap {
    /// From `(shard id, starting hash key, ending hash key)` of the open shards (decimal strings).
    pub fn from_ranges<'a>(
        ranges: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    ) -> Result<Self, ShardMapError> {
        let mut shards = Vec::new();
        for (id, s, e) in ranges {
            // Some emulators report the last range as ending at 2^128 (one past the maximum):
            // clamp all-digit overflows to the maximum hash key.
            let parse = |v: &str| match v.parse::<u128>() {
                Ok(n) => Ok(n),
                Err(_) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => Ok(u128::MAX),
                Err(_) => Err(ShardMapError { shard: id.to_string(), value: v.to_string() }),
            };
            shards.push(Shard { id: id.to_string(), start: parse(s)?, end: parse(e)? });
        }
        shards.sort_by_key(|s| s.start);
        Ok(Self { shards })
    }

    /// Number of open shards.
    #[must_use]
    pub fn len(&self) -> usize {
        self.shards.len()
    }

    /// No shards known.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.shards.is_empty()
    }

    /// The shards.
    #[must_use]
    pub fn shards(&self) -> &[Shard] {
        &self.shards
    }

    /// Index of the shard whose range holds `hash`.
    #[must_use]
    pub fn index_of(&self, hash: u128) -> Option<usize> {
        let i = self.shards.partition_point(|s| s.start <= hash);
        let i = i.checked_sub(1)?;
        (self.shards[i].end >= hash).then_some(i)
    }

    /// Shard index for a partition key.
    #[must_use]
    pub fn index_for_key(&self, partition_key: &str) -> Option<usize> {
        self.index_of(hash_key(partition_key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn four() -> ShardMap {
        let q = u128::MAX / 4 + 1;
        let b: Vec<(String, String, String)> = (0..4u128)
            .map(|i| {
                let end = if i == 3 { u128::MAX } else { (i + 1) * q - 1 };
                (format!("shardId-{i:012}"), (i * q).to_string(), end.to_string())
            })
            .collect();
        ShardMap::from_ranges(b.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))).unwrap()
    }

    #[test]
    fn md5_hash_of_key() {
        // md5("a") = 0cc175b9c0f1b6a831c399e269772661
        assert_eq!(hash_key("a"), 0x0cc1_75b9_c0f1_b6a8_31c3_99e2_6977_2661);
    }

    #[test]
    fn routes_by_range() {
        let m = four();
        assert_eq!(m.index_of(0), Some(0));
        assert_eq!(m.index_of(u128::MAX), Some(3));
        assert_eq!(m.index_of(u128::MAX / 2), Some(1));
        assert_eq!(m.index_for_key("a"), Some(0));
        let empty = ShardMap::default();
        assert_eq!(empty.index_of(5), None);
        assert!(ShardMap::from_ranges([("s", "x", "1")]).is_err());
        let m = ShardMap::from_ranges([("s", "0", "340282366920938463463374607431768211456")]).unwrap();
        assert_eq!(m.index_of(u128::MAX), Some(0));
    }
}
