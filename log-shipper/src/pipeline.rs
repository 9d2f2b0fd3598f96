//! The pipeline: transform (filter, redact, envelope → record) and the sink task that
//! aggregates, batches, sends with retries of only the failed entries, dead-letters what finally
//! fails, and settles each unit so its source can acknowledge it.

use std::collections::VecDeque;
use std::future::Future;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::batch::{
    backoff, Aggregator, AggregatorConfig, Batcher, Entry, PutResult, Settle, SubRecord, Unit, UnitOutcome,
};
use crate::envelope::Envelope;
use crate::filter::Filter;
use crate::metrics::Metrics;
use crate::redact::Redactor;
use crate::shardmap::ShardMap;

/// How the partition key of each event is chosen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionKey {
    /// The event id: even spread over shards (default).
    #[default]
    EventId,
    /// The account id: one account's events stay in order on one shard.
    Account,
    /// The source kind.
    Source,
    /// The log group (CloudWatch) or event source (CloudTrail).
    Stream,
    /// A random key per event.
    Random,
}

/// Filter, redact, and turn envelopes into sink records.
#[derive(Debug)]
pub struct Transformer {
    /// Include/exclude filters.
    pub filter: Filter,
    /// Redaction rules.
    pub redactor: Arc<Redactor>,
    /// Partition key strategy.
    pub partition_key: PartitionKey,
}

impl Transformer {
    fn key(&self, e: &Envelope) -> String {
        let pick = match self.partition_key {
            PartitionKey::EventId => Some(e.event_id.as_str()),
            PartitionKey::Account => e.account.as_deref(),
            PartitionKey::Source => Some(e.source.as_str()),
            PartitionKey::Stream => e.log_group.as_deref().or(e.event_source.as_deref()),
            PartitionKey::Random => None,
        };
        match pick {
            // At most 256 bytes is at most 256 characters: no need to count them.
            Some(k) if !k.is_empty() && k.len() <= 256 => k.to_owned(),
            Some(k) if !k.is_empty() => k.chars().take(256).collect(),
            _ => format!("{:032x}", rand::random::<u128>()),
        }
    }

    /// Filter and redact one event; `None` when filtered out.
    #[must_use]
    pub fn apply(&self, mut e: Envelope) -> Option<(String, Bytes, String)> {
        if !self.filter.keep(&e) {
            return None;
        }
        let pk = self.key(&e);
        match self.redactor.redacted(e.payload.get()) {
            Ok(None) => {}
            Ok(Some((p, _))) => e.payload = p.into(),
            // Cannot happen for a checked payload; never ship what we could not check.
            Err(_) => e.payload = serde_json::value::to_raw_value("[REDACTED:unparseable]").ok()?.into(),
        }
        if let Some(s) = e.log_stream.take() {
            e.log_stream = Some(self.redactor.redact_str(&s).unwrap_or(s));
        }
        Some((pk, Bytes::from(e.to_json()), e.event_id))
    }
}

/// A whole-call failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallError {
    /// Error code (`ProvisionedThroughputExceededException`, `dispatch`, …).
    pub code: String,
    /// One-line description without record content.
    pub message: String,
    /// Throttling.
    pub throttled: bool,
    /// Worth retrying.
    pub retriable: bool,
}

/// Where records go: Kinesis, or a file for offline use.
pub trait Transport: Send + Sync + 'static {
    /// PutRecords: one result per entry, in order.
    fn put(&self, entries: &[Entry]) -> impl Future<Output = Result<Vec<PutResult>, CallError>> + Send;
    /// Current open shards (empty when routing does not matter).
    fn shard_map(&self) -> impl Future<Output = Result<ShardMap, CallError>> + Send;
}

/// Where undeliverable events are written.
pub trait DeadLetter: Send + Sync {
    /// Write JSON lines durably.
    fn write(&self, lines: Vec<Vec<u8>>) -> BoxFuture<'_, Result<(), String>>;
}

/// One dead-letter line: the (already redacted) record and why it was not delivered.
#[derive(Serialize, Deserialize, Debug)]
pub struct DeadLetterLine {
    /// RFC 3339 time written.
    pub time: String,
    /// Why.
    pub reason: String,
    /// Event id.
    pub event_id: String,
    /// Partition key.
    pub partition_key: String,
    /// The envelope JSON, base64.
    pub data: String,
}

/// Dead-letter lines appended to a local file (fsync per write).
#[derive(Debug)]
pub struct FileDeadLetter {
    file: Mutex<std::fs::File>,
}

impl FileDeadLetter {
    /// Open for append.
    pub fn open(path: &std::path::Path) -> std::io::Result<Self> {
        if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(d)?;
        }
        Ok(Self { file: Mutex::new(std::fs::OpenOptions::new().create(true).append(true).open(path)?) })
    }
}

impl DeadLetter for FileDeadLetter {
    fn write(&self, lines: Vec<Vec<u8>>) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let mut f = self.file.lock().map_err(|_| "dead-letter lock poisoned".to_string())?;
            let mut buf = Vec::new();
            for l in lines {
                buf.extend_from_slice(&l);
                buf.push(b'\n');
            }
            f.write_all(&buf).and_then(|()| f.sync_data()).map_err(|e| format!("dead-letter file: {e}"))
        })
    }
}

/// No dead-letter configured: undeliverable events fail their unit (the source retries).
#[derive(Debug)]
pub struct NoDeadLetter;

impl DeadLetter for NoDeadLetter {
    fn write(&self, _lines: Vec<Vec<u8>>) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Err("no dead-letter configured".to_string()) })
    }
}

/// Output format of the file transport.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// One envelope JSON per line (no aggregation).
    #[default]
    Ndjson,
    /// One PutRecords entry per line: `{"PartitionKey":…,"Data":<base64>}` (KPL aggregates).
    Records,
}

/// The output and a buffer kept across batches. Lines are put together in the buffer and
/// written about every [`WRITE_CHUNK`] bytes, while they are still in the CPU cache: no second
/// copy through a `BufWriter`, no fresh pages per batch.
struct FileOut {
    w: Box<dyn Write + Send>,
    buf: Vec<u8>,
}

/// Bytes of lines gathered before each write.
const WRITE_CHUNK: usize = 512 << 10;

/// Writes records to a file or stdout.
pub struct FileTransport {
    out: Mutex<FileOut>,
    format: FileFormat,
    sync: Option<std::fs::File>,
}

impl FileTransport {
    /// To a file (appended; fsync after every batch).
    pub fn file(path: &std::path::Path, format: FileFormat) -> std::io::Result<Self> {
        let f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        let sync = f.try_clone()?;
        Ok(Self { out: Mutex::new(FileOut { w: Box::new(f), buf: Vec::new() }), format, sync: Some(sync) })
    }

    /// To stdout.
    #[must_use]
    pub fn stdout(format: FileFormat) -> Self {
        Self { out: Mutex::new(FileOut { w: Box::new(std::io::stdout()), buf: Vec::new() }), format, sync: None }
    }
}

/// Standard base64 with padding, appended to `out`: SIMD (`base64-simd`, through
/// aws-smithy-types) in the default build, the `base64` crate without the `aws` feature.
fn base64_into(data: &[u8], out: &mut Vec<u8>) {
    #[cfg(feature = "aws")]
    out.extend_from_slice(aws_smithy_types::base64::encode(data).as_bytes());
    #[cfg(not(feature = "aws"))]
    {
        let start = out.len();
        out.resize(start + base64::encoded_len(data.len(), true).unwrap_or(0), 0);
        let n = base64::engine::general_purpose::STANDARD.encode_slice(data, &mut out[start..]).unwrap_or(0);
        out.truncate(start + n);
    }
}

/// One `records` line, `{"PartitionKey":…,"ExplicitHashKey":…,"Data":"<base64>"}` and a newline,
/// appended to `line`. The base64 text needs no JSON escaping, so it is written as is instead of
/// being scanned by the serialiser.
fn write_record_line(line: &mut Vec<u8>, e: &Entry) {
    line.reserve(e.data.len() / 3 * 4 + e.partition_key.len() + 72);
    line.extend_from_slice(b"{\"PartitionKey\":");
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *line, &e.partition_key);
    if let Some(k) = &e.explicit_hash_key {
        line.extend_from_slice(b",\"ExplicitHashKey\":");
        let _ = serde_json::to_writer(&mut *line, k);
    }
    line.extend_from_slice(b",\"Data\":\"");
    base64_into(&e.data, line);
    line.extend_from_slice(b"\"}\n");
}

impl Transport for FileTransport {
    async fn put(&self, entries: &[Entry]) -> Result<Vec<PutResult>, CallError> {
        let io = |e: std::io::Error| CallError {
            code: "io".into(),
            message: e.to_string(),
            throttled: false,
            retriable: true,
        };
        {
            let mut out = self.out.lock().map_err(|_| io(std::io::Error::other("lock poisoned")))?;
            let FileOut { w, buf } = &mut *out;
            buf.clear();
            for e in entries {
                match self.format {
                    FileFormat::Ndjson => {
                        for s in &e.subs {
                            buf.extend_from_slice(&s.data);
                            buf.push(b'\n');
                        }
                    }
                    FileFormat::Records => write_record_line(buf, e),
                }
                if buf.len() >= WRITE_CHUNK {
                    let written = w.write_all(buf);
                    buf.clear();
                    written.map_err(io)?;
                }
            }
            let written = w.write_all(buf).and_then(|()| w.flush());
            buf.clear();
            // Keep the buffer for the next batch, but not an outsized one (a huge entry).
            if buf.capacity() > 4 * WRITE_CHUNK {
                *buf = Vec::new();
            }
            written.map_err(io)?;
        }
        if let Some(f) = &self.sync {
            f.sync_data().map_err(io)?;
        }
        Ok(entries.iter().map(|_| PutResult::Accepted { shard_id: None }).collect())
    }

    async fn shard_map(&self) -> Result<ShardMap, CallError> {
        Ok(ShardMap::default())
    }
}

/// Sink tuning.
#[derive(Clone, Debug)]
pub struct SinkConfig {
    /// Aggregation.
    pub aggregator: AggregatorConfig,
    /// Flush partial aggregates and batches this often.
    pub linger: Duration,
    /// PutRecords calls in flight at most.
    pub max_in_flight: usize,
    /// Attempts per entry before it is dead-lettered.
    pub max_attempts: u32,
    /// Backoff base.
    pub backoff_base: Duration,
    /// Backoff cap.
    pub backoff_cap: Duration,
    /// Re-read the shard map this often (also on a misrouted aggregate).
    pub shard_refresh: Duration,
}

impl Default for SinkConfig {
    fn default() -> Self {
        Self {
            aggregator: AggregatorConfig::default(),
            linger: Duration::from_millis(200),
            max_in_flight: 4,
            max_attempts: 8,
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_secs(5),
            shard_refresh: Duration::from_secs(300),
        }
    }
}

/// Result of sending one batch.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// Accepted entries with the shard that took them.
    pub accepted: Vec<(Entry, Option<String>)>,
    /// Entries that still failed after every attempt, with the last error code.
    pub failed: Vec<(Entry, String)>,
}

fn is_throttle(code: &str) -> bool {
    matches!(code, "ProvisionedThroughputExceededException" | "LimitExceededException" | "ThrottlingException")
}

/// Send one batch: PutRecords, then resend only the failed entries with backoff and jitter.
pub async fn send_batch<T: Transport>(t: &T, batch: Vec<Entry>, cfg: &SinkConfig, m: &Metrics) -> BatchOutcome {
    let mut out = BatchOutcome::default();
    let mut pending = batch;
    let mut attempt = 0u32;
    loop {
        Metrics::add(&m.put_calls, 1);
        let failed: Vec<(Entry, String)> = match t.put(&pending).await {
            Ok(results) => {
                let mut failed = Vec::new();
                let mut results = results.into_iter();
                for e in pending.drain(..) {
                    match results.next() {
                        Some(PutResult::Accepted { shard_id }) => out.accepted.push((e, shard_id)),
                        Some(PutResult::Failed { code }) => {
                            if is_throttle(&code) {
                                Metrics::add(&m.throttles, 1);
                            }
                            failed.push((e, code));
                        }
                        None => failed.push((e, "MissingResult".into())),
                    }
                }
                failed
            }
            Err(ce) => {
                if ce.throttled {
                    Metrics::add(&m.throttles, 1);
                }
                tracing::warn!(code = %ce.code, error = %ce.message, entries = pending.len(), attempt, "PutRecords failed");
                let code = ce.code.clone();
                let all: Vec<_> = pending.drain(..).map(|e| (e, code.clone())).collect();
                if !ce.retriable {
                    out.failed = all;
                    return out;
                }
                all
            }
        };
        if failed.is_empty() {
            return out;
        }
        attempt += 1;
        if attempt >= cfg.max_attempts {
            tracing::warn!(entries = failed.len(), attempts = attempt, "entries still failing; giving up on them");
            out.failed = failed;
            return out;
        }
        Metrics::add(&m.retries, failed.len());
        tokio::time::sleep(backoff(attempt, cfg.backoff_base, cfg.backoff_cap)).await;
        pending = failed.into_iter().map(|(e, _)| e).collect();
    }
}

/// Hands records to the sink task.
#[derive(Clone, Debug)]
pub struct SinkHandle {
    tx: mpsc::Sender<Vec<SubRecord>>,
}

/// Everything a source needs to ship a unit.
pub struct Shipper {
    /// Transform.
    pub transformer: Transformer,
    /// Sink.
    pub sink: SinkHandle,
    /// Metrics.
    pub metrics: Arc<Metrics>,
}

impl Shipper {
    /// Ship the events of one unit (file, message, page) and wait until every one is settled.
    /// The caller acknowledges the unit only when the outcome is [`UnitOutcome::complete`].
    pub async fn ship(&self, events: Vec<Envelope>) -> UnitOutcome {
        let (unit, rx) = Unit::new();
        let mut subs = Vec::with_capacity(events.len());
        // The first greatest event time (one copy, not one per newer event).
        let newest: Option<String> = events
            .iter()
            .filter_map(|e| e.event_time.as_deref())
            .fold(None, |n: Option<&str>, t| if n.is_none_or(|n| t > n) { Some(t) } else { n })
            .map(str::to_owned);
        Metrics::add(&self.metrics.events_in, events.len());
        for e in events {
            match self.transformer.apply(e) {
                None => Metrics::add(&self.metrics.events_filtered, 1),
                Some((partition_key, data, event_id)) => {
                    unit.add();
                    subs.push(SubRecord { partition_key, data, event_id, unit: unit.clone() });
                }
            }
        }
        let n = subs.len();
        if n > 0 && self.sink.tx.send(subs).await.is_err() {
            // Sink gone (shutdown): nothing was delivered.
            return UnitOutcome { failed: n, ..UnitOutcome::default() };
        }
        unit.seal();
        let outcome = rx.await.unwrap_or(UnitOutcome { failed: n, ..UnitOutcome::default() });
        if outcome.complete() {
            Metrics::add(&self.metrics.units_acked, 1);
            if let Some(t) = newest.and_then(|t| t.parse::<jiff::Timestamp>().ok()) {
                let lag = jiff::Timestamp::now().as_millisecond() - t.as_millisecond();
                self.metrics.lag_ms.store(lag.max(0), Ordering::Relaxed);
            }
        } else {
            Metrics::add(&self.metrics.units_failed, 1);
        }
        outcome
    }
}

fn dead_letter_line(s: &SubRecord, reason: &str) -> Vec<u8> {
    let line = DeadLetterLine {
        time: jiff::Timestamp::now().to_string(),
        reason: reason.to_string(),
        event_id: s.event_id.clone(),
        partition_key: s.partition_key.clone(),
        data: base64::engine::general_purpose::STANDARD.encode(&s.data),
    };
    serde_json::to_vec(&line).unwrap_or_default()
}

async fn dead_letter(dl: &dyn DeadLetter, m: &Metrics, subs: Vec<SubRecord>, reason: &str) {
    if subs.is_empty() {
        return;
    }
    let lines = subs.iter().map(|s| dead_letter_line(s, reason)).collect();
    match dl.write(lines).await {
        Ok(()) => {
            Metrics::add(&m.dead_letters, subs.len());
            tracing::warn!(events = subs.len(), reason, "events dead-lettered");
            subs.iter().for_each(|s| s.settle(Settle::DeadLettered));
        }
        Err(e) => {
            Metrics::add(&m.delivery_failures, subs.len());
            tracing::warn!(events = subs.len(), reason, error = %e, "events not delivered; their source will retry");
            subs.iter().for_each(|s| s.settle(Settle::Failed));
        }
    }
}

/// Start the sink task. It ends when every [`SinkHandle`] is dropped and all is flushed.
pub fn spawn_sink<T: Transport>(
    transport: Arc<T>,
    cfg: SinkConfig,
    dl: Arc<dyn DeadLetter>,
    metrics: Arc<Metrics>,
    initial_map: ShardMap,
) -> (SinkHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel::<Vec<SubRecord>>(64);
    let handle = tokio::spawn(sink_loop(transport, cfg, dl, metrics, initial_map, rx));
    (SinkHandle { tx }, handle)
}

async fn sink_loop<T: Transport>(
    transport: Arc<T>,
    cfg: SinkConfig,
    dl: Arc<dyn DeadLetter>,
    m: Arc<Metrics>,
    initial_map: ShardMap,
    mut rx: mpsc::Receiver<Vec<SubRecord>>,
) {
    let cfg = Arc::new(cfg);
    let mut agg = Aggregator::new(cfg.aggregator, initial_map);
    let mut batcher = Batcher::default();
    let mut ready: VecDeque<Vec<Entry>> = VecDeque::new();
    let mut inflight: JoinSet<BatchOutcome> = JoinSet::new();
    let mut linger = tokio::time::interval(cfg.linger);
    linger.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut refresh = tokio::time::interval(cfg.shard_refresh);
    refresh.tick().await;
    let mut closed = false;
    let max_in_flight = cfg.max_in_flight.max(1);
    loop {
        while inflight.len() < max_in_flight {
            let Some(b) = ready.pop_front() else { break };
            let (t, c, mm) = (transport.clone(), cfg.clone(), m.clone());
            inflight.spawn(async move { send_batch(&*t, b, &c, &mm).await });
        }
        if closed && ready.is_empty() && inflight.is_empty() && batcher.is_empty() {
            let rest = agg.flush();
            if rest.is_empty() {
                break;
            }
            rest.into_iter().for_each(|e| ready.extend(batcher.push(e)));
            ready.extend(batcher.take());
            continue;
        }
        let mut remap = false;
        tokio::select! {
            Some(res) = inflight.join_next(), if !inflight.is_empty() => {
                let Ok(outcome) = res else { continue };
                let mut requeue = Vec::new();
                for (e, shard) in outcome.accepted {
                    let misrouted = e.subs.len() > 1
                        && matches!((&e.expected_shard, &shard), (Some(a), Some(b)) if a != b);
                    if misrouted {
                        // The shard map is stale (resharding): resend regrouped so that no
                        // sub-record sits on a shard whose range does not hold its key.
                        tracing::info!(expected = ?e.expected_shard, actual = ?shard, "aggregate landed on another shard; refreshing the shard map");
                        remap = true;
                        requeue.extend(e.subs);
                        continue;
                    }
                    Metrics::add(&m.records_out, 1);
                    Metrics::add(&m.events_out, e.subs.len());
                    Metrics::add(&m.bytes_out, e.data.len());
                    e.settle(Settle::Accepted);
                }
                for (e, code) in outcome.failed {
                    dead_letter(&*dl, &m, e.subs, &format!("Kinesis: {code}")).await;
                }
                if remap {
                    if let Ok(map) = transport.shard_map().await {
                        Metrics::add(&m.shard_refreshes, 1);
                        agg.set_map(map).into_iter().for_each(|e| ready.extend(batcher.push(e)));
                    }
                }
                for s in requeue {
                    agg.push(s).into_iter().for_each(|e| ready.extend(batcher.push(e)));
                }
            }
            msg = rx.recv(), if !closed && ready.len() < max_in_flight => {
                match msg {
                    Some(subs) => {
                        let mut rejected = Vec::new();
                        for s in subs {
                            if let Err(r) = agg.check(&s.partition_key, s.data.len()) {
                                rejected.push((s, r));
                                continue;
                            }
                            agg.push(s).into_iter().for_each(|e| ready.extend(batcher.push(e)));
                        }
                        for (s, r) in rejected {
                            dead_letter(&*dl, &m, vec![s], &r.to_string()).await;
                        }
                    }
                    None => {
                        closed = true;
                        agg.flush().into_iter().for_each(|e| ready.extend(batcher.push(e)));
                        ready.extend(batcher.take());
                    }
                }
            }
            _ = linger.tick() => {
                agg.flush().into_iter().for_each(|e| ready.extend(batcher.push(e)));
                ready.extend(batcher.take());
            }
            _ = refresh.tick() => {
                if let Ok(map) = transport.shard_map().await {
                    if &map != agg.map() && !map.is_empty() {
                        Metrics::add(&m.shard_refreshes, 1);
                        agg.set_map(map).into_iter().for_each(|e| ready.extend(batcher.push(e)));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::SourceKind;
    use crate::redact::embedded_rules;
    use serde_json::value::RawValue;

    fn transformer() -> Transformer {
        Transformer {
            filter: Filter::default(),
            redactor: Arc::new(Redactor::new(&embedded_rules().unwrap(), &[], &[]).unwrap()),
            partition_key: PartitionKey::EventId,
        }
    }

    fn ev(id: &str, payload: &str) -> Envelope {
        Envelope::new(SourceKind::File, id.into(), RawValue::from_string(payload.into()).unwrap())
    }

    #[tokio::test]
    async fn file_sink_delivers_and_acks_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.ndjson");
        let t = Arc::new(FileTransport::file(&path, FileFormat::Ndjson).unwrap());
        let m = Arc::new(Metrics::default());
        let cfg = SinkConfig {
            aggregator: AggregatorConfig { aggregate: false, ..Default::default() },
            ..Default::default()
        };
        let (sink, task) = spawn_sink(t, cfg, Arc::new(NoDeadLetter), m.clone(), ShardMap::default());
        let shipper = Shipper { transformer: transformer(), sink, metrics: m.clone() };
        let events: Vec<_> = (0..1200).map(|i| ev(&format!("e{i}"), r#"{"m":"mail a@b.ca"}"#)).collect();
        let out = shipper.ship(events).await;
        assert_eq!(out, UnitOutcome { accepted: 1200, dead_lettered: 0, failed: 0 });
        drop(shipper);
        task.await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1200);
        assert!(!text.contains("a@b.ca"));
        assert!(text.lines().next().unwrap().contains("[REDACTED:email]"));
        assert_eq!(m.events_out.load(Ordering::Relaxed), 1200);
    }

    #[tokio::test]
    async fn oversized_event_is_dead_lettered_before_batching() {
        let dir = tempfile::tempdir().unwrap();
        let t = Arc::new(FileTransport::file(&dir.path().join("o"), FileFormat::Records).unwrap());
        let dl = Arc::new(FileDeadLetter::open(&dir.path().join("dl.ndjson")).unwrap());
        let m = Arc::new(Metrics::default());
        let (sink, task) = spawn_sink(t, SinkConfig::default(), dl, m.clone(), ShardMap::default());
        let shipper = Shipper { transformer: transformer(), sink, metrics: m.clone() };
        let big = format!(r#"{{"m":"{}"}}"#, "x".repeat(1_100_000));
        let out = shipper.ship(vec![ev("small", "{}"), ev("big", &big)]).await;
        assert_eq!(out, UnitOutcome { accepted: 1, dead_lettered: 1, failed: 0 });
        drop(shipper);
        task.await.unwrap();
        let dl = std::fs::read_to_string(dir.path().join("dl.ndjson")).unwrap();
        let line: DeadLetterLine = serde_json::from_str(dl.lines().next().unwrap()).unwrap();
        assert_eq!(line.event_id, "big");
        assert!(line.reason.contains("exceeds"), "{}", line.reason);
        assert_eq!(m.dead_letters.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn record_lines_are_what_serde_writes() {
        #[derive(Serialize)]
        struct Line<'a> {
            #[serde(rename = "PartitionKey")]
            pk: &'a str,
            #[serde(rename = "ExplicitHashKey", skip_serializing_if = "Option::is_none")]
            ehk: Option<&'a str>,
            #[serde(rename = "Data")]
            data: String,
        }
        for (pk, ehk) in [("k\"1\\é", None), ("plain", Some("12345"))] {
            let e = Entry {
                partition_key: pk.into(),
                explicit_hash_key: ehk.map(str::to_string),
                data: Bytes::from_static(b"\xf3\x89\x9a\xc2 any bytes"),
                expected_shard: None,
                subs: vec![],
            };
            let mut line = b"kept".to_vec();
            write_record_line(&mut line, &e);
            let line = line.split_off(4);
            let want = Line { pk, ehk, data: base64::engine::general_purpose::STANDARD.encode(&e.data) };
            let mut want = serde_json::to_vec(&want).unwrap();
            want.push(b'\n');
            assert_eq!(String::from_utf8(line).unwrap(), String::from_utf8(want).unwrap());
        }
    }

    #[test]
    fn partition_keys() {
        let mut t = transformer();
        let mut e = ev("id-1", "{}");
        e.account = Some("123".into());
        assert_eq!(t.apply(e.clone()).unwrap().0, "id-1");
        t.partition_key = PartitionKey::Account;
        assert_eq!(t.apply(e.clone()).unwrap().0, "123");
        t.partition_key = PartitionKey::Random;
        assert_ne!(t.apply(e.clone()).unwrap().0, t.apply(e).unwrap().0);
    }
}
