//! CloudWatch Logs subscription payloads read from a Kinesis data stream: shard lineage, start
//! positions, per-shard acknowledgement bookkeeping and record decoding (pure, no SDK types).
//!
//! A subscription filter writes one gzip JSON payload per Kinesis record. The source reads every
//! shard with GetRecords; after resharding a child shard is read only once all its parents are
//! finished (read to their end), so the events of one log stream keep their order across the
//! reshard. The checkpoint of a shard is the last sequence number whose events were all accepted
//! by the sink (or safely dead-lettered); it only moves forward, and only over a contiguous run of
//! acknowledged reads.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::cwlogs::decode_subscription;
use crate::envelope::Envelope;

/// Where a shard without a checkpoint starts (`start` in the config).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartPosition {
    /// The oldest record still retained.
    #[default]
    TrimHorizon,
    /// Only records written after the source first read the stream.
    Latest,
}

/// One shard as listed by ListShards.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShardInfo {
    /// Shard id.
    pub id: String,
    /// `ParentShardId` and `AdjacentParentShardId` (after a merge), when set.
    pub parents: Vec<String>,
    /// `StartingSequenceNumber`.
    pub starting_sequence_number: Option<String>,
    /// `EndingSequenceNumber`: set once the shard is closed (split or merged).
    pub ending_sequence_number: Option<String>,
}

impl ShardInfo {
    /// Closed by a reshard (no new records arrive)?
    #[must_use]
    pub fn closed(&self) -> bool {
        self.ending_sequence_number.is_some()
    }
}

/// Progress of one shard in the checkpoint document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardCheckpoint {
    /// Last sequence number whose events were all delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
    /// Read to its end (GetRecords returned no `NextShardIterator`): its children may start.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub finished: bool,
    /// Closed and never read, because `start = "latest"` found it closed: its children start at
    /// the latest record too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

impl ShardCheckpoint {
    /// Move the checkpoint to `seq`, never backwards. Returns whether it moved.
    pub fn advance(&mut self, seq: &str) -> bool {
        if self.sequence_number.as_deref().is_some_and(|cur| cmp_sequence(cur, seq) != Ordering::Less) {
            return false;
        }
        self.sequence_number = Some(seq.to_string());
        true
    }

    /// Finished or skipped: children may start.
    #[must_use]
    pub fn done(&self) -> bool {
        self.finished || self.skipped
    }
}

/// Progress of one stream: shard id → checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamState {
    /// Per shard.
    #[serde(default)]
    pub shards: BTreeMap<String, ShardCheckpoint>,
    /// With `start = "latest"`: when the source first read the stream (epoch ms). Shards without
    /// a checkpoint start at this time (`AT_TIMESTAMP`), so records written while the shipper
    /// was down are not skipped after a restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_since_ms: Option<i64>,
}

impl StreamState {
    /// Forget shards that are no longer listed (expired with the stream's retention) and are
    /// done; their children treat a missing parent as finished.
    pub fn prune(&mut self, listed: &[ShardInfo]) {
        let ids: BTreeSet<&str> = listed.iter().map(|s| s.id.as_str()).collect();
        self.shards.retain(|id, cp| ids.contains(id.as_str()) || !cp.done());
    }
}

/// Compare two Kinesis sequence numbers (decimal strings of up to 128 bits, or more digits).
/// Non-digit strings compare as text after the numeric ones, so nothing panics on odd input.
#[must_use]
pub fn cmp_sequence(a: &str, b: &str) -> Ordering {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    match (digits(a), digits(b)) {
        (true, true) => {
            let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// Where to open a shard iterator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    /// `AFTER_SEQUENCE_NUMBER` (from the checkpoint or the last record read).
    After(String),
    /// `AT_SEQUENCE_NUMBER` (re-reading a shard started at `LATEST` whose first read failed).
    At(String),
    /// `TRIM_HORIZON`.
    TrimHorizon,
    /// `LATEST`.
    Latest,
    /// `AT_TIMESTAMP` (epoch ms): `start = "latest"` after the first start.
    AtTimestamp(i64),
}

/// What to do with the listed shards now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Shards to start reading, with their start position, parents before children.
    pub start: Vec<(String, Position)>,
    /// Closed shards to mark skipped without reading (`start = "latest"` only).
    pub skip: Vec<String>,
}

/// Decide which shards to read. A shard is read when it is not done, not already `running`, and
/// every parent is done or no longer listed. It starts after its checkpoint; without one, from
/// `TRIM_HORIZON` when one of its listed parents was read by this source (nothing between the
/// reshard and now may be lost), else from `start` (`latest` is `AT_TIMESTAMP` of the first
/// start once that is recorded). With `start = "latest"` a closed shard
/// without a checkpoint is skipped (there is nothing "latest" in it) and its children are
/// considered in the same plan.
#[must_use]
pub fn plan(shards: &[ShardInfo], state: &StreamState, running: &BTreeSet<String>, start: StartPosition) -> Plan {
    let listed: BTreeMap<&str, &ShardInfo> = shards.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut st = state.clone();
    let mut out = Plan::default();
    let mut chosen: BTreeSet<String> = BTreeSet::new();
    // Repeat until nothing changes: skipping a parent can make its children ready.
    loop {
        let mut changed = false;
        for s in shards {
            let cp = st.shards.get(&s.id).cloned().unwrap_or_default();
            if cp.done() || running.contains(&s.id) || chosen.contains(&s.id) {
                continue;
            }
            let listed_parents: Vec<&str> =
                s.parents.iter().map(String::as_str).filter(|p| listed.contains_key(p)).collect();
            let parent_cp = |p: &str| st.shards.get(p).cloned().unwrap_or_default();
            if !listed_parents.iter().all(|p| parent_cp(p).done()) {
                continue;
            }
            let read_parent = listed_parents.iter().any(|p| parent_cp(p).finished);
            let position = match (&cp.sequence_number, read_parent, start) {
                (Some(seq), _, _) => Position::After(seq.clone()),
                (None, true, _) | (None, false, StartPosition::TrimHorizon) => Position::TrimHorizon,
                (None, false, StartPosition::Latest) if s.closed() => {
                    out.skip.push(s.id.clone());
                    st.shards.entry(s.id.clone()).or_default().skipped = true;
                    changed = true;
                    continue;
                }
                (None, false, StartPosition::Latest) => match st.latest_since_ms {
                    Some(ms) => Position::AtTimestamp(ms),
                    None => Position::Latest,
                },
            };
            chosen.insert(s.id.clone());
            out.start.push((s.id.clone(), position));
            changed = true;
        }
        if !changed {
            return out;
        }
    }
}

/// Has a reader reached the end of its shard? AWS says so by returning no `NextShardIterator`.
/// A closed shard whose reads come back empty once the reader is at or past its
/// `EndingSequenceNumber` (or whose range is empty) is at its end as well: moto keeps returning
/// an iterator for closed shards.
#[must_use]
pub fn at_shard_end(next_iterator: bool, read_was_empty: bool, shard: &ShardInfo, position: Option<&str>) -> bool {
    if !next_iterator {
        return true;
    }
    let Some(end) = shard.ending_sequence_number.as_deref() else { return false };
    if !read_was_empty {
        return false;
    }
    match position {
        Some(p) => cmp_sequence(p, end) != Ordering::Less,
        None => shard.starting_sequence_number.as_deref().is_some_and(|s| cmp_sequence(end, s) != Ordering::Greater),
    }
}

/// Per-shard bookkeeping of reads handed to the sink: the checkpoint may move to the last
/// sequence number of a read only when that read and every earlier one were delivered.
#[derive(Debug, Default)]
pub struct AckTracker {
    next: u64,
    /// Reads in order: (ticket, last sequence number, settled: None = in flight).
    pending: VecDeque<(u64, String, Option<bool>)>,
}

/// The result of settling a read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settled {
    /// Save this as the shard's checkpoint.
    pub checkpoint: Option<String>,
    /// A read was not delivered: stop, settle what is in flight, and re-read after the checkpoint.
    pub failed: bool,
}

impl AckTracker {
    /// Register a read (records up to `last_sequence_number`), in read order; returns its ticket.
    pub fn read(&mut self, last_sequence_number: &str) -> u64 {
        let t = self.next;
        self.next += 1;
        self.pending.push_back((t, last_sequence_number.to_string(), None));
        t
    }

    /// Reads handed to the sink and not yet settled.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.pending.iter().filter(|(_, _, s)| s.is_none()).count()
    }

    /// A read was delivered (`true`) or not (`false`). Returns the new checkpoint, if it moved.
    pub fn settle(&mut self, ticket: u64, delivered: bool) -> Settled {
        if let Some(p) = self.pending.iter_mut().find(|(t, _, _)| *t == ticket) {
            p.2 = Some(delivered);
        }
        let mut out = Settled::default();
        while let Some((_, seq, Some(ok))) = self.pending.front() {
            if !ok {
                out.failed = true;
                break;
            }
            out.checkpoint = Some(seq.clone());
            self.pending.pop_front();
        }
        out
    }

    /// A read was not delivered and blocks the checkpoint: re-read after the checkpoint.
    #[must_use]
    pub fn blocked(&self) -> bool {
        matches!(self.pending.front(), Some((_, _, Some(false))))
    }

    /// Forget everything (after a failure, before re-reading from the checkpoint).
    pub fn reset(&mut self) {
        self.pending.clear();
    }
}

/// One Kinesis record decoded.
#[derive(Debug)]
pub enum Decoded {
    /// A `DATA_MESSAGE`: its log events as envelopes.
    Data(Vec<Envelope>),
    /// A `CONTROL_MESSAGE` (reachability probe): dropped.
    Control,
    /// Not a subscription payload; the reason never quotes the record.
    Bad(String),
}

/// Decode one record's data.
#[must_use]
pub fn decode_record(data: &[u8], region: Option<&str>) -> Decoded {
    match decode_subscription(data, region) {
        Ok(Some(evs)) => Decoded::Data(evs),
        Ok(None) => Decoded::Control,
        Err(e) => Decoded::Bad(e.to_string()),
    }
}

/// Counts of one decoded read.
#[derive(Debug, Default)]
pub struct DecodedRead {
    /// The events of every `DATA_MESSAGE`, in record order.
    pub events: Vec<Envelope>,
    /// `CONTROL_MESSAGE` records.
    pub control: usize,
    /// Bad records: (sequence number, reason).
    pub bad: Vec<(String, String)>,
}

/// Decode the records of one read: (sequence number, data) in order.
#[must_use]
pub fn decode_read<'a>(records: impl IntoIterator<Item = (&'a str, &'a [u8])>, region: Option<&str>) -> DecodedRead {
    let mut out = DecodedRead::default();
    for (seq, data) in records {
        match decode_record(data, region) {
            Decoded::Data(evs) => out.events.extend(evs),
            Decoded::Control => out.control += 1,
            Decoded::Bad(reason) => out.bad.push((seq.to_string(), reason)),
        }
    }
    out
}

/// Region of a stream ARN (`arn:aws:kinesis:<region>:<account>:stream/<name>`).
#[must_use]
pub fn arn_region(stream: &str) -> Option<&str> {
    let mut parts = stream.strip_prefix("arn:")?.split(':');
    let (_partition, service, region) = (parts.next()?, parts.next()?, parts.next()?);
    (service == "kinesis" && !region.is_empty()).then_some(region)
}

/// Check a `stream` setting: a stream name (1–128 of `[a-zA-Z0-9_.-]`) or a Kinesis stream ARN.
pub fn validate_stream(stream: &str) -> Result<(), String> {
    if let Some(rest) = stream.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let ok = parts.len() == 5
            && parts[1] == "kinesis"
            && !parts[2].is_empty()
            && parts[3].len() == 12
            && parts[3].bytes().all(|b| b.is_ascii_digit())
            && parts[4].strip_prefix("stream/").is_some_and(|n| validate_stream(n).is_ok());
        return if ok {
            Ok(())
        } else {
            Err(format!(
                "stream {stream:?} is not a Kinesis stream ARN (arn:aws:kinesis:<region>:<account>:stream/<name>)"
            ))
        };
    }
    let valid = (1..=128).contains(&stream.len())
        && stream.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(format!("stream {stream:?} is not a stream name (1-128 characters of a-z, A-Z, 0-9, _ . -) or ARN"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn shard(id: &str, parents: &[&str], closed: bool) -> ShardInfo {
        ShardInfo {
            id: id.into(),
            parents: parents.iter().map(|p| (*p).to_string()).collect(),
            starting_sequence_number: Some("100".into()),
            ending_sequence_number: closed.then(|| "200".into()),
        }
    }

    fn ids(p: &Plan) -> Vec<&str> {
        p.start.iter().map(|(id, _)| id.as_str()).collect()
    }

    fn finished(st: &mut StreamState, id: &str) {
        st.shards.entry(id.into()).or_default().finished = true;
    }

    #[test]
    fn split_children_wait_for_their_parent() {
        // shard 0 split into 1 and 2; shard 3 untouched.
        let shards =
            [shard("s0", &[], true), shard("s1", &["s0"], false), shard("s2", &["s0"], false), shard("s3", &[], false)];
        let mut st = StreamState::default();
        let none = BTreeSet::new();
        let p = plan(&shards, &st, &none, StartPosition::TrimHorizon);
        assert_eq!(ids(&p), ["s0", "s3"], "children not before the parent is finished");
        assert!(p.skip.is_empty());
        // While s0 is still being read, nothing new starts.
        let running: BTreeSet<String> = ["s0".to_string(), "s3".to_string()].into();
        assert!(plan(&shards, &st, &running, StartPosition::TrimHorizon).start.is_empty());
        // A checkpoint alone (not finished) does not release the children.
        st.shards.entry("s0".into()).or_default().advance("150");
        let p = plan(&shards, &st, &["s3".to_string()].into(), StartPosition::TrimHorizon);
        assert_eq!(p.start, [("s0".to_string(), Position::After("150".into()))]);
        finished(&mut st, "s0");
        let p = plan(&shards, &st, &["s3".to_string()].into(), StartPosition::TrimHorizon);
        assert_eq!(p.start, [("s1".into(), Position::TrimHorizon), ("s2".into(), Position::TrimHorizon)]);
    }

    #[test]
    fn merged_child_waits_for_both_parents() {
        let shards = [shard("a", &[], true), shard("b", &[], true), shard("m", &["a", "b"], false)];
        let mut st = StreamState::default();
        let none = BTreeSet::new();
        assert_eq!(ids(&plan(&shards, &st, &none, StartPosition::TrimHorizon)), ["a", "b"]);
        finished(&mut st, "a");
        let p = plan(&shards, &st, &["b".to_string()].into(), StartPosition::TrimHorizon);
        assert!(p.start.is_empty(), "the adjacent parent b is still being read: {p:?}");
        finished(&mut st, "b");
        assert_eq!(plan(&shards, &st, &none, StartPosition::TrimHorizon).start, [("m".into(), Position::TrimHorizon)]);
        // Even with start = latest: the parents were read, so the child starts at its beginning.
        assert_eq!(plan(&shards, &st, &none, StartPosition::Latest).start, [("m".into(), Position::TrimHorizon)]);
    }

    #[test]
    fn expired_parents_do_not_block_and_are_pruned() {
        // The parent p is no longer listed (past retention).
        let shards = [shard("c", &["p"], false)];
        let mut st = StreamState::default();
        st.shards.insert("p".into(), ShardCheckpoint { finished: true, ..ShardCheckpoint::default() });
        st.shards.insert(
            "gone-but-unfinished".into(),
            ShardCheckpoint { sequence_number: Some("5".into()), ..ShardCheckpoint::default() },
        );
        assert_eq!(plan(&shards, &st, &BTreeSet::new(), StartPosition::Latest).start, [("c".into(), Position::Latest)]);
        st.prune(&shards);
        assert!(!st.shards.contains_key("p"));
        assert!(st.shards.contains_key("gone-but-unfinished"), "only done shards are forgotten");
    }

    #[test]
    fn latest_skips_closed_shards_and_starts_their_children_at_latest() {
        let shards = [shard("s0", &[], true), shard("s1", &["s0"], false), shard("s2", &["s0"], false)];
        let p = plan(&shards, &StreamState::default(), &BTreeSet::new(), StartPosition::Latest);
        assert_eq!(p.skip, ["s0"]);
        assert_eq!(p.start, [("s1".into(), Position::Latest), ("s2".into(), Position::Latest)]);
        // With a checkpoint, the checkpoint wins over `start`.
        let mut st = StreamState::default();
        st.shards.insert("s0".into(), ShardCheckpoint { skipped: true, ..ShardCheckpoint::default() });
        st.shards.entry("s1".into()).or_default().advance("300");
        let p = plan(&shards, &st, &BTreeSet::new(), StartPosition::Latest);
        assert_eq!(p.start, [("s1".into(), Position::After("300".into())), ("s2".into(), Position::Latest)]);
        assert!(p.skip.is_empty());
        // Once the first start is recorded, "latest" means from then on, across restarts.
        st.latest_since_ms = Some(1_700_000_000_000);
        let p = plan(&shards, &st, &BTreeSet::new(), StartPosition::Latest);
        assert_eq!(p.start[1], ("s2".into(), Position::AtTimestamp(1_700_000_000_000)));
        // trim_horizon ignores it.
        assert_eq!(plan(&shards, &st, &BTreeSet::new(), StartPosition::TrimHorizon).start[1].1, Position::TrimHorizon);
    }

    #[test]
    fn sequence_numbers_compare_numerically_and_checkpoints_never_go_back() {
        let big = "49590338271490256608559692538361571095921575989136588898";
        let bigger = "49590338271490256608559692540925702759324208523137515618";
        assert_eq!(cmp_sequence("9", "10"), Ordering::Less);
        assert_eq!(cmp_sequence(big, bigger), Ordering::Less);
        assert_eq!(cmp_sequence("007", "7"), Ordering::Equal);
        assert_eq!(cmp_sequence("x", "7"), Ordering::Greater);
        let mut cp = ShardCheckpoint::default();
        assert!(cp.advance(bigger));
        assert!(!cp.advance(big), "never backwards");
        assert_eq!(cp.sequence_number.as_deref(), Some(bigger));
        assert!(!cp.advance(bigger));
    }

    #[test]
    fn checkpoint_moves_only_over_acknowledged_reads() {
        let mut t = AckTracker::default();
        let a = t.read("10");
        let b = t.read("20");
        let c = t.read("30");
        assert_eq!(t.in_flight(), 3);
        // b settles first: nothing moves while a is in flight.
        assert_eq!(t.settle(b, true), Settled::default());
        assert_eq!(t.settle(a, true), Settled { checkpoint: Some("20".into()), failed: false });
        assert_eq!(t.in_flight(), 1);
        let d = t.read("40");
        // c fails: the checkpoint stays at 20 even when d is delivered.
        assert!(!t.blocked());
        assert_eq!(t.settle(c, false), Settled { checkpoint: None, failed: true });
        assert!(t.blocked());
        assert_eq!(t.settle(d, true), Settled { checkpoint: None, failed: true });
        t.reset();
        assert!(!t.blocked());
        assert_eq!(t.in_flight(), 0);
        let e = t.read("30");
        assert_eq!(t.settle(e, true).checkpoint.as_deref(), Some("30"));
    }

    #[test]
    fn shard_end_detection() {
        let open = shard("o", &[], false);
        let closed = shard("c", &[], true); // starting 100, ending 200
        assert!(at_shard_end(false, true, &open, None), "no NextShardIterator is the end");
        assert!(!at_shard_end(true, true, &open, Some("999")), "an open shard never ends");
        assert!(!at_shard_end(true, true, &closed, Some("150")));
        assert!(!at_shard_end(true, false, &closed, Some("200")), "records came: read on");
        assert!(at_shard_end(true, true, &closed, Some("200")));
        assert!(!at_shard_end(true, true, &closed, None));
        let empty = ShardInfo {
            ending_sequence_number: Some("0".into()),
            starting_sequence_number: Some("0".into()),
            ..closed
        };
        assert!(at_shard_end(true, true, &empty, None), "a closed shard with an empty range");
    }

    fn gz(text: &str) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn control_messages_are_dropped_and_bad_records_counted_without_content() {
        let data = gz(
            r#"{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"/g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1700000000000,"message":"a"},{"id":"2","timestamp":1700000000001,"message":"b"}]}"#,
        );
        let control = gz(
            r#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."}]}"#,
        );
        let not_gzip = b"jane.doe@example.ca".to_vec();
        let wrong_type = gz(
            r#"{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":"jane.doe@example.ca","message":"x"}]}"#,
        );
        let r = decode_read(
            [
                ("1", data.as_slice()),
                ("2", control.as_slice()),
                ("3", not_gzip.as_slice()),
                ("4", wrong_type.as_slice()),
            ],
            Some("ca-central-1"),
        );
        assert_eq!(r.events.len(), 2);
        assert_eq!(r.events[0].account.as_deref(), Some("111122223333"));
        assert_eq!(r.events[1].log_stream.as_deref(), Some("s"));
        assert_eq!(r.events[0].region.as_deref(), Some("ca-central-1"));
        assert_eq!(r.control, 1);
        assert_eq!(r.bad.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(), ["3", "4"]);
        for (_, reason) in &r.bad {
            assert!(!reason.contains("jane"), "reason quotes the record: {reason}");
        }
    }

    #[test]
    fn stream_settings() {
        assert!(validate_stream("cwl-subscriptions.prod_1").is_ok());
        assert!(validate_stream("arn:aws:kinesis:ca-central-1:123456789012:stream/cwl").is_ok());
        assert!(validate_stream("").is_err());
        assert!(validate_stream("has space").is_err());
        assert!(validate_stream("arn:aws:kinesis:ca-central-1:123:stream/cwl").is_err());
        assert!(validate_stream("arn:aws:sqs:ca-central-1:123456789012:q").is_err());
        assert_eq!(arn_region("arn:aws:kinesis:ca-west-1:123456789012:stream/cwl"), Some("ca-west-1"));
        assert_eq!(arn_region("cwl"), None);
    }
}
