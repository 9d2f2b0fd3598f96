//! Pure sink logic: acknowledgement units, per-shard KPL aggregation, PutRecords batching, and
//! backoff. No I/O and no SDK types.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use crate::kpl;
use crate::shardmap::ShardMap;

/// PutRecords limit: entries per call.
pub const MAX_BATCH_RECORDS: usize = 500;
/// PutRecords limit: bytes per call (data + partition keys).
pub const MAX_BATCH_BYTES: usize = 5 * 1024 * 1024;
/// Default per-record limit (data + partition key).
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Partition key length limit (characters).
pub const MAX_PARTITION_KEY_CHARS: usize = 256;

/// How one unit of work (a file, an SQS message, a poll page) ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnitOutcome {
    /// Records accepted by the sink.
    pub accepted: usize,
    /// Records written to the dead-letter instead.
    pub dead_lettered: usize,
    /// Records neither delivered nor dead-lettered: the unit must not be acknowledged.
    pub failed: usize,
}

impl UnitOutcome {
    /// Every record is accounted for (delivered or safely dead-lettered): ack the source.
    #[must_use]
    pub fn complete(&self) -> bool {
        self.failed == 0
    }
}

/// Tracks the records of one unit; the source acknowledges when all are settled.
#[derive(Debug)]
pub struct Unit {
    pending: AtomicUsize,
    accepted: AtomicUsize,
    dead: AtomicUsize,
    failed: AtomicUsize,
    tx: Mutex<Option<tokio::sync::oneshot::Sender<UnitOutcome>>>,
}

/// How a record was settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settle {
    /// Accepted by the sink.
    Accepted,
    /// Written to the dead-letter.
    DeadLettered,
    /// Lost for now: the unit is not acknowledged and will be retried by its source.
    Failed,
}

impl Unit {
    /// A new unit and the receiver that resolves when it is sealed and every record settled.
    #[must_use]
    pub fn new() -> (Arc<Self>, tokio::sync::oneshot::Receiver<UnitOutcome>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let u = Self {
            pending: AtomicUsize::new(1),
            accepted: AtomicUsize::new(0),
            dead: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            tx: Mutex::new(Some(tx)),
        };
        (Arc::new(u), rx)
    }

    /// One more record belongs to this unit (call before handing it to the sink).
    pub fn add(&self) {
        self.pending.fetch_add(1, Ordering::AcqRel);
    }

    /// No more records will be added.
    pub fn seal(&self) {
        self.release();
    }

    /// A record of this unit was settled.
    pub fn settle(&self, how: Settle) {
        match how {
            Settle::Accepted => &self.accepted,
            Settle::DeadLettered => &self.dead,
            Settle::Failed => &self.failed,
        }
        .fetch_add(1, Ordering::AcqRel);
        self.release();
    }

    fn release(&self) {
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            let outcome = UnitOutcome {
                accepted: self.accepted.load(Ordering::Acquire),
                dead_lettered: self.dead.load(Ordering::Acquire),
                failed: self.failed.load(Ordering::Acquire),
            };
            if let Some(tx) = self.tx.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
                let _ = tx.send(outcome);
            }
        }
    }
}

/// One transformed event on its way to the sink.
#[derive(Clone, Debug)]
pub struct SubRecord {
    /// Partition key.
    pub partition_key: String,
    /// Serialised envelope.
    pub data: Bytes,
    /// Event id (dead-letter lines name it).
    pub event_id: String,
    /// The unit to settle.
    pub unit: Arc<Unit>,
}

impl SubRecord {
    /// Settle with `how`.
    pub fn settle(&self, how: Settle) {
        self.unit.settle(how);
    }
}

/// One Kinesis record: an aggregate or a single event.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Outer partition key.
    pub partition_key: String,
    /// Explicit hash key, if any.
    pub explicit_hash_key: Option<String>,
    /// Record data.
    pub data: Bytes,
    /// Shard the aggregator routed it to (id), when a shard map is known.
    pub expected_shard: Option<String>,
    /// The events inside.
    pub subs: Vec<SubRecord>,
}

impl Entry {
    /// Bytes counted against the PutRecords limits.
    #[must_use]
    pub fn wire_len(&self) -> usize {
        self.data.len() + self.partition_key.len()
    }

    /// Settle every event inside.
    pub fn settle(&self, how: Settle) {
        for s in &self.subs {
            s.settle(how);
        }
    }
}

/// Aggregation settings.
#[derive(Clone, Copy, Debug)]
pub struct AggregatorConfig {
    /// Build KPL aggregates (else one event per record).
    pub aggregate: bool,
    /// Close an aggregate before it exceeds this many bytes (KPL default 51,200).
    pub max_aggregate_bytes: usize,
    /// The stream's per-record limit (data + key).
    pub max_record_bytes: usize,
}

impl Default for AggregatorConfig {
    fn default() -> Self {
        Self { aggregate: true, max_aggregate_bytes: 51_200, max_record_bytes: MAX_RECORD_BYTES }
    }
}

/// Why an event cannot be shipped at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reject {
    /// Data + key exceeds the per-record limit.
    #[error("record of {size} bytes exceeds the {limit}-byte Kinesis record limit")]
    TooLarge {
        /// Data + key bytes.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// Partition key empty or longer than 256 characters.
    #[error("partition key must be 1-256 characters")]
    BadKey,
}

struct Open {
    builder: kpl::Builder,
    subs: Vec<SubRecord>,
}

/// Groups events by destination shard into KPL aggregates.
pub struct Aggregator {
    cfg: AggregatorConfig,
    map: ShardMap,
    open: BTreeMap<usize, Open>,
}

impl Aggregator {
    /// New aggregator with a (possibly empty) shard map.
    #[must_use]
    pub fn new(cfg: AggregatorConfig, map: ShardMap) -> Self {
        Self { cfg, map, open: BTreeMap::new() }
    }

    /// The current shard map.
    #[must_use]
    pub fn map(&self) -> &ShardMap {
        &self.map
    }

    /// Check an event before batching: too large or bad key → dead-letter it.
    pub fn check(&self, partition_key: &str, data_len: usize) -> Result<(), Reject> {
        let n = partition_key.chars().count();
        if n == 0 || n > MAX_PARTITION_KEY_CHARS {
            return Err(Reject::BadKey);
        }
        let size = partition_key.len() + data_len;
        if size > self.cfg.max_record_bytes {
            return Err(Reject::TooLarge { size, limit: self.cfg.max_record_bytes });
        }
        Ok(())
    }

    fn route(&self, pk: &str) -> usize {
        if self.map.is_empty() {
            0
        } else {
            self.map.index_for_key(pk).unwrap_or(0)
        }
    }

    fn shard_id(&self, idx: usize) -> Option<String> {
        self.map.shards().get(idx).map(|s| s.id.clone())
    }

    fn plain(&self, sub: SubRecord, shard: usize) -> Entry {
        Entry {
            partition_key: sub.partition_key.clone(),
            explicit_hash_key: None,
            data: sub.data.clone(),
            expected_shard: self.shard_id(shard),
            subs: vec![sub],
        }
    }

    fn finish(&self, shard: usize, open: Open) -> Entry {
        let Open { builder, mut subs } = open;
        if subs.len() == 1 {
            let sub = subs.pop().expect("invariant: one sub-record");
            return self.plain(sub, shard);
        }
        Entry {
            partition_key: subs[0].partition_key.clone(),
            explicit_hash_key: None,
            data: Bytes::from(builder.finish()),
            expected_shard: self.shard_id(shard),
            subs,
        }
    }

    /// Add an event (already [`check`](Self::check)ed); returns records that are complete.
    pub fn push(&mut self, sub: SubRecord) -> Vec<Entry> {
        let shard = self.route(&sub.partition_key);
        if !self.cfg.aggregate {
            return vec![self.plain(sub, shard)];
        }
        let mut out = Vec::new();
        let limit =
            self.cfg.max_aggregate_bytes.min(self.cfg.max_record_bytes.saturating_sub(MAX_PARTITION_KEY_CHARS * 4));
        let alone = kpl::Builder::new().size_with(&sub.partition_key, sub.data.len());
        if alone > limit {
            // Too big to share a record: ship it on its own (it passed `check`).
            out.push(self.plain(sub, shard));
            return out;
        }
        let full = self.open.get(&shard).is_some_and(|o| {
            let outer = o.subs.first().map_or(0, |s| s.partition_key.len());
            o.builder.size_with(&sub.partition_key, sub.data.len()) + outer > limit
        });
        if full {
            if let Some(o) = self.open.remove(&shard) {
                out.push(self.finish(shard, o));
            }
        }
        let o = self.open.entry(shard).or_insert_with(|| Open { builder: kpl::Builder::new(), subs: Vec::new() });
        o.builder.push(&sub.partition_key, sub.data.clone());
        o.subs.push(sub);
        out
    }

    /// Close every open aggregate.
    pub fn flush(&mut self) -> Vec<Entry> {
        let open = std::mem::take(&mut self.open);
        open.into_iter().map(|(shard, o)| self.finish(shard, o)).collect()
    }

    /// Replace the shard map; open aggregates are regrouped under the new map.
    pub fn set_map(&mut self, map: ShardMap) -> Vec<Entry> {
        let open = std::mem::take(&mut self.open);
        self.map = map;
        let mut out = Vec::new();
        for (_, o) in open {
            for s in o.subs {
                out.extend(self.push(s));
            }
        }
        out
    }
}

/// Collects entries into PutRecords batches within 500 records and 5 MiB.
#[derive(Debug, Default)]
pub struct Batcher {
    entries: Vec<Entry>,
    bytes: usize,
}

impl Batcher {
    /// Add an entry; returns a full batch when this entry would not fit.
    pub fn push(&mut self, e: Entry) -> Option<Vec<Entry>> {
        let mut out = None;
        if !self.entries.is_empty()
            && (self.entries.len() >= MAX_BATCH_RECORDS || self.bytes + e.wire_len() > MAX_BATCH_BYTES)
        {
            out = self.take();
        }
        self.bytes += e.wire_len();
        self.entries.push(e);
        if self.entries.len() >= MAX_BATCH_RECORDS {
            return out.or_else(|| self.take());
        }
        out
    }

    /// Take the current partial batch.
    pub fn take(&mut self) -> Option<Vec<Entry>> {
        self.bytes = 0;
        (!self.entries.is_empty()).then(|| std::mem::take(&mut self.entries))
    }

    /// Entries waiting.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Nothing waiting.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Exponential backoff with full jitter: uniform in `[0, min(cap, base * 2^attempt)]`.
#[must_use]
pub fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let exp = base.saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX));
    let ceiling = exp.min(cap);
    let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(if ms == 0 { 0 } else { rand::random_range(0..=ms) })
}

/// Per-entry result of a PutRecords call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PutResult {
    /// Stored, on this shard.
    Accepted {
        /// Shard id from the response.
        shard_id: Option<String>,
    },
    /// Rejected; resend.
    Failed {
        /// `ProvisionedThroughputExceededException`, `InternalFailure`, ….
        code: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(unit: &Arc<Unit>, pk: &str, len: usize) -> SubRecord {
        unit.add();
        SubRecord {
            partition_key: pk.into(),
            data: Bytes::from(vec![b'e'; len]),
            event_id: pk.into(),
            unit: unit.clone(),
        }
    }

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
    fn every_sub_record_hashes_into_its_aggregate_shard() {
        let (u, _rx) = Unit::new();
        let map = four();
        let mut agg = Aggregator::new(AggregatorConfig::default(), map.clone());
        let mut entries = Vec::new();
        for i in 0..2000 {
            entries.extend(agg.push(sub(&u, &format!("event-{i}"), 300)));
        }
        entries.extend(agg.flush());
        let total: usize = entries.iter().map(|e| e.subs.len()).sum();
        assert_eq!(total, 2000);
        assert!(entries.len() < 2000 / 20, "{} records", entries.len());
        for e in &entries {
            let outer = map.index_for_key(&e.partition_key).unwrap();
            assert_eq!(Some(map.shards()[outer].id.clone()), e.expected_shard);
            assert!(e.data.len() + e.partition_key.len() <= 51_200);
            let decoded = kpl::decode(&e.data).unwrap().unwrap();
            assert_eq!(decoded.len(), e.subs.len());
            for d in decoded {
                assert_eq!(map.index_for_key(&d.partition_key), Some(outer), "sub-record in the wrong shard");
            }
        }
    }

    #[test]
    fn oversized_is_rejected_and_large_goes_alone() {
        let (u, _rx) = Unit::new();
        let mut agg = Aggregator::new(AggregatorConfig::default(), ShardMap::default());
        assert_eq!(
            agg.check("k", MAX_RECORD_BYTES),
            Err(Reject::TooLarge { size: MAX_RECORD_BYTES + 1, limit: MAX_RECORD_BYTES })
        );
        assert_eq!(agg.check("", 1), Err(Reject::BadKey));
        assert_eq!(agg.check(&"k".repeat(257), 1), Err(Reject::BadKey));
        assert!(agg.check("k", MAX_RECORD_BYTES - 1).is_ok());
        agg.push(sub(&u, "a", 10));
        let out = agg.push(sub(&u, "b", 100_000));
        assert_eq!(out.len(), 1);
        assert!(!kpl::is_aggregated(&out[0].data));
        let rest = agg.flush();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].partition_key, "a");
    }

    #[test]
    fn batches_respect_count_and_bytes() {
        let (u, _rx) = Unit::new();
        let mut agg = Aggregator::new(AggregatorConfig { aggregate: false, ..Default::default() }, ShardMap::default());
        let mut b = Batcher::default();
        let mut batches = Vec::new();
        for i in 0..1203 {
            for e in agg.push(sub(&u, &format!("{i}"), 10)) {
                batches.extend(b.push(e));
            }
        }
        batches.extend(b.take());
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), vec![500, 500, 203]);
        let mut b = Batcher::default();
        let mut batches = Vec::new();
        for i in 0..12 {
            for e in agg.push(sub(&u, &format!("{i}"), 1_000_000)) {
                batches.extend(b.push(e));
            }
        }
        batches.extend(b.take());
        for batch in &batches {
            assert!(batch.iter().map(Entry::wire_len).sum::<usize>() <= MAX_BATCH_BYTES);
        }
        assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 12);
        assert_eq!(batches[0].len(), 5);
    }

    #[tokio::test]
    async fn unit_resolves_after_seal_and_all_settled() {
        let (u, mut rx) = Unit::new();
        let a = sub(&u, "a", 1);
        let b = sub(&u, "b", 1);
        a.settle(Settle::Accepted);
        u.seal();
        assert!(rx.try_recv().is_err());
        b.settle(Settle::DeadLettered);
        let o = rx.await.unwrap();
        assert_eq!(o, UnitOutcome { accepted: 1, dead_lettered: 1, failed: 0 });
        assert!(o.complete());
    }

    #[test]
    fn resharding_regroups_open_aggregates() {
        let (u, _rx) = Unit::new();
        let one = ShardMap::from_ranges([("s0", "0", &u128::MAX.to_string()[..])]).unwrap();
        let mut agg = Aggregator::new(AggregatorConfig::default(), one);
        for i in 0..100 {
            assert!(agg.push(sub(&u, &format!("k{i}"), 50)).is_empty());
        }
        let mut out = agg.set_map(four());
        out.extend(agg.flush());
        assert_eq!(out.len(), 4);
        assert_eq!(out.iter().map(|e| e.subs.len()).sum::<usize>(), 100);
    }

    #[test]
    fn backoff_is_bounded() {
        for a in 0..30 {
            let d = backoff(a, Duration::from_millis(100), Duration::from_secs(2));
            assert!(d <= Duration::from_secs(2));
        }
        assert_eq!(backoff(0, Duration::ZERO, Duration::from_secs(1)), Duration::ZERO);
    }
}
