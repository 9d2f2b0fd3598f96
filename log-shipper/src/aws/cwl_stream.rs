//! CloudWatch Logs subscription payloads from a Kinesis data stream (what a subscription filter
//! with a Kinesis destination writes): ListShards, GetShardIterator and GetRecords per shard.
//!
//! One task per readable shard. A child shard starts only after its parents are finished (see
//! [`crate::cwlstream::plan`]). Each GetRecords result is decoded, shipped through the common
//! pipeline, and acknowledged: the shard's checkpoint moves to the last sequence number of a
//! read once it and every earlier read were delivered. At most [`IN_FLIGHT`] reads per shard are
//! unacknowledged, which bounds the duplicates after a crash. A read that is not delivered makes
//! the shard re-read from its checkpoint.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_kinesis::types::ShardIteratorType;
use aws_sdk_kinesis::Client;
use futures::future::BoxFuture;
use futures::stream::FuturesOrdered;
use futures::{FutureExt as _, StreamExt as _};

use crate::cwlstream::{
    arn_region, at_shard_end, decode_read, plan, AckTracker, DecodedRead, Position, ShardInfo, StartPosition,
};
use crate::daemon::Context;
use crate::metrics::Metrics;
use crate::pipeline::DeadLetterLine;

/// Reads per shard handed to the sink and not yet acknowledged.
pub const IN_FLIGHT: usize = 2;
/// Pause between reads while a shard is behind (5 GetRecords per second per shard).
const BUSY_GAP: Duration = Duration::from_millis(200);
/// ListShards again this often (and right away when a shard ends).
const RELIST: Duration = Duration::from_secs(60);
const BACKOFF_BASE: Duration = Duration::from_millis(250);
const BACKOFF_CAP: Duration = Duration::from_secs(10);

/// The subscription-stream source.
pub struct CwlStreamSource {
    /// Kinesis client (for the stream's region).
    pub client: Client,
    /// Stream name or ARN, as configured (also the checkpoint key).
    pub stream: String,
    /// Region put in the envelopes.
    pub region: Option<String>,
    /// Where shards without a checkpoint start.
    pub start: StartPosition,
    /// Wait between reads of a caught-up shard.
    pub poll_interval: Duration,
    /// GetRecords limit.
    pub max_records: i32,
}

/// A failed call, classified.
struct CallFailure {
    message: String,
    throttled: bool,
    expired: bool,
    /// `InvalidArgumentException` (GetShardIterator: a sequence number the shard does not accept).
    invalid: bool,
}

fn failure<E, R>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
    throttled: bool,
    expired: bool,
) -> CallFailure
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let ce = super::call_error(e);
    let invalid = ce.code == "InvalidArgumentException";
    CallFailure { message: ce.message, throttled: throttled || ce.throttled, expired, invalid }
}

#[derive(Debug)]
enum ShardEnd {
    /// Read to its end: children may start.
    Finished,
    /// Shutdown.
    Stopped,
}

type InFlight = FuturesOrdered<BoxFuture<'static, (u64, bool)>>;

/// The reading state of one shard.
struct Reader {
    shard: ShardInfo,
    /// Where this reader started.
    initial: Position,
    /// Where the next iterator is opened.
    position: Position,
    /// The current iterator.
    iterator: Option<String>,
    /// Sequence number of the last record handed to the sink (or the checkpoint started after).
    last_read: Option<String>,
    /// First record read when the shard had no checkpoint (the re-read point after a failure).
    first_read: Option<String>,
    tracker: AckTracker,
    inflight: InFlight,
    errors: u32,
}

impl Reader {
    fn new(shard: ShardInfo, initial: Position) -> Self {
        let last_read = match &initial {
            Position::After(s) => Some(s.clone()),
            _ => None,
        };
        Self {
            shard,
            position: initial.clone(),
            initial,
            iterator: None,
            last_read,
            first_read: None,
            tracker: AckTracker::default(),
            inflight: FuturesOrdered::new(),
            errors: 0,
        }
    }

    /// After the last record read, else where the current position is.
    fn resume_position(&self) -> Position {
        self.last_read.clone().map_or_else(|| self.position.clone(), Position::After)
    }
}

impl CwlStreamSource {
    /// From the shared SDK config; `region` (or the ARN's region) overrides the config's.
    #[must_use]
    pub fn new(
        sdk: &SdkConfig,
        stream: String,
        region: Option<String>,
        start: StartPosition,
        poll_interval: Duration,
        max_records: i32,
    ) -> Self {
        let region = region.or_else(|| arn_region(&stream).map(str::to_string));
        let client = match &region {
            Some(r) => Client::from_conf(
                aws_sdk_kinesis::config::Builder::from(sdk)
                    .region(aws_sdk_kinesis::config::Region::new(r.clone()))
                    .build(),
            ),
            None => Client::new(sdk),
        };
        let region = region.or_else(|| sdk.region().map(ToString::to_string));
        Self { client, stream, region, start, poll_interval, max_records }
    }

    fn is_arn(&self) -> bool {
        super::kinesis::is_arn(&self.stream)
    }

    async fn list_shards(&self) -> Result<Vec<ShardInfo>, CallFailure> {
        let shards = super::kinesis::list_all_shards(&self.client, &self.stream).await.map_err(|e| {
            let throttled = e.as_service_error().is_some_and(|s| s.is_limit_exceeded_exception());
            let expired = e.as_service_error().is_some_and(|s| s.is_expired_next_token_exception());
            failure(&e, throttled, expired)
        })?;
        Ok(shards
            .iter()
            .map(|s| {
                let range = s.sequence_number_range();
                ShardInfo {
                    id: s.shard_id().to_string(),
                    parents: s
                        .parent_shard_id()
                        .into_iter()
                        .chain(s.adjacent_parent_shard_id())
                        .map(str::to_string)
                        .collect(),
                    starting_sequence_number: range.map(|r| r.starting_sequence_number().to_string()),
                    ending_sequence_number: range.and_then(|r| r.ending_sequence_number()).map(str::to_string),
                }
            })
            .collect())
    }

    async fn iterator(&self, shard: &str, position: &Position) -> Result<Option<String>, CallFailure> {
        let mut req = self.client.get_shard_iterator().shard_id(shard);
        req = if self.is_arn() { req.stream_arn(&self.stream) } else { req.stream_name(&self.stream) };
        req = match position {
            Position::After(seq) => {
                req.shard_iterator_type(ShardIteratorType::AfterSequenceNumber).starting_sequence_number(seq)
            }
            Position::At(seq) => {
                req.shard_iterator_type(ShardIteratorType::AtSequenceNumber).starting_sequence_number(seq)
            }
            Position::TrimHorizon => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
            Position::Latest => req.shard_iterator_type(ShardIteratorType::Latest),
            Position::AtTimestamp(ms) => req
                .shard_iterator_type(ShardIteratorType::AtTimestamp)
                .timestamp(aws_sdk_kinesis::primitives::DateTime::from_millis(*ms)),
        };
        let out = req.send().await.map_err(|e| {
            let throttled = e.as_service_error().is_some_and(|s| s.is_provisioned_throughput_exceeded_exception());
            let mut f = failure(&e, throttled, false);
            f.invalid |= e.as_service_error().is_some_and(|s| s.is_invalid_argument_exception());
            f
        })?;
        Ok(out.shard_iterator().map(str::to_string))
    }

    /// Apply a settled read: save the checkpoint when it moved.
    async fn settled(&self, ctx: &Context, shard: &str, tracker: &mut AckTracker, ticket: u64, ok: bool) {
        let s = tracker.settle(ticket, ok);
        if let Some(seq) = s.checkpoint {
            let saved = ctx
                .checkpoints
                .update(|st| {
                    st.kinesis
                        .entry(self.stream.clone())
                        .or_default()
                        .shards
                        .entry(shard.to_string())
                        .or_default()
                        .advance(&seq)
                })
                .await;
            match saved {
                Ok(_) => tracing::debug!(stream = %self.stream, shard, sequence_number = %seq, "checkpoint advanced"),
                Err(e) => {
                    tracing::error!(stream = %self.stream, shard, sequence_number = %seq, error = %e, "checkpoint not saved");
                }
            }
        }
    }

    /// Bad records: counted, logged by position (never content), noted in the dead-letter.
    async fn bad_records(&self, ctx: &Context, shard: &str, bad: &[(String, String)]) {
        if bad.is_empty() {
            return;
        }
        Metrics::add(&ctx.metrics.bad_payloads, bad.len());
        Metrics::add(&ctx.metrics.parse_errors, bad.len());
        for (seq, reason) in bad {
            tracing::warn!(
                stream = %self.stream,
                shard,
                sequence_number = %seq,
                reason = %reason,
                "record skipped: not a CloudWatch Logs subscription payload"
            );
        }
        let Some(dl) = &ctx.dead_letter else { return };
        let time = jiff::Timestamp::now().to_string();
        let lines = bad
            .iter()
            .map(|(seq, reason)| {
                let line = DeadLetterLine {
                    time: time.clone(),
                    reason: format!(
                        "not a CloudWatch Logs subscription payload ({reason}); the record stays in the stream until it expires"
                    ),
                    event_id: format!("{}/{shard}/{seq}", self.stream),
                    partition_key: String::new(),
                    data: String::new(),
                };
                serde_json::to_vec(&line).unwrap_or_default()
            })
            .collect();
        if let Err(e) = dl.write(lines).await {
            tracing::warn!(stream = %self.stream, shard, error = %e, "bad records not noted in the dead-letter");
        }
    }

    async fn read_shard(self: Arc<Self>, ctx: Arc<Context>, shard: ShardInfo, initial: Position) -> ShardEnd {
        let mut r = Reader::new(shard, initial);
        tracing::info!(stream = %self.stream, shard = %r.shard.id, position = ?r.initial, "reading shard");
        let end = loop {
            // Settle what is done; wait while too much is in flight.
            while let Some(Some((t, ok))) = r.inflight.next().now_or_never() {
                self.settled(&ctx, &r.shard.id, &mut r.tracker, t, ok).await;
            }
            while !r.tracker.blocked() && r.inflight.len() >= IN_FLIGHT {
                if let Some((t, ok)) = r.inflight.next().await {
                    self.settled(&ctx, &r.shard.id, &mut r.tracker, t, ok).await;
                }
            }
            if r.tracker.blocked() {
                if self.rewind(&ctx, &mut r).await {
                    break ShardEnd::Stopped;
                }
                continue;
            }
            if ctx.stopping() {
                break ShardEnd::Stopped;
            }
            let it = match r.iterator.take() {
                Some(i) => i,
                None => match self.iterator(&r.shard.id, &r.position).await {
                    Ok(Some(i)) => i,
                    // No iterator: a closed shard read past its end.
                    Ok(None) => match self.finish(&ctx, &mut r).await {
                        Some(end) => break end,
                        None => continue,
                    },
                    Err(f) if f.invalid && matches!(r.position, Position::After(_) | Position::At(_)) => {
                        // The shard no longer accepts the checkpoint (trimmed past the stream's
                        // retention, or from another shard): read what is still retained.
                        tracing::error!(
                            stream = %self.stream,
                            shard = %r.shard.id,
                            position = ?r.position,
                            error = %f.message,
                            "sequence number not accepted; reading from TRIM_HORIZON"
                        );
                        r.position = Position::TrimHorizon;
                        r.last_read = None;
                        continue;
                    }
                    Err(f) => {
                        r.errors += 1;
                        if f.throttled {
                            Metrics::add(&ctx.metrics.throttles, 1);
                        }
                        tracing::warn!(stream = %self.stream, shard = %r.shard.id, position = ?r.position, error = %f.message, "GetShardIterator failed");
                        let d = crate::batch::backoff(r.errors, BACKOFF_BASE, BACKOFF_CAP);
                        self.wait(&ctx, &mut r, d).await;
                        continue;
                    }
                },
            };
            let mut req = self.client.get_records().shard_iterator(&it).limit(self.max_records);
            if self.is_arn() {
                // Optional in AWS; moto needs it to find a stream addressed by ARN.
                req = req.stream_arn(&self.stream);
            }
            let res = req.send().await.map_err(|e| {
                let se = e.as_service_error();
                let throttled = se.is_some_and(|s| {
                    s.is_provisioned_throughput_exceeded_exception() || s.is_kms_throttling_exception()
                });
                let expired = se.is_some_and(
                    aws_sdk_kinesis::operation::get_records::GetRecordsError::is_expired_iterator_exception,
                );
                failure(&e, throttled, expired)
            });
            let out = match res {
                Ok(o) => o,
                Err(f) if f.expired => {
                    // Re-acquire after the last record read (the checkpoint when none).
                    r.position = r.resume_position();
                    tracing::info!(stream = %self.stream, shard = %r.shard.id, position = ?r.position, "shard iterator expired; re-acquiring");
                    continue;
                }
                Err(f) => {
                    r.errors += 1;
                    let d = crate::batch::backoff(r.errors, BACKOFF_BASE, BACKOFF_CAP);
                    if f.throttled {
                        Metrics::add(&ctx.metrics.throttles, 1);
                        tracing::debug!(stream = %self.stream, shard = %r.shard.id, backoff = ?d, "GetRecords throttled");
                        r.iterator = Some(it);
                    } else {
                        tracing::warn!(stream = %self.stream, shard = %r.shard.id, error = %f.message, backoff = ?d, "GetRecords failed");
                        r.position = r.resume_position();
                    }
                    self.wait(&ctx, &mut r, d).await;
                    continue;
                }
            };
            r.errors = 0;
            if let (Ok(mut lag), Some(ms)) = (ctx.metrics.millis_behind_latest.lock(), out.millis_behind_latest()) {
                lag.insert((self.stream.clone(), r.shard.id.clone()), ms);
            }
            let records = out.records();
            if !records.is_empty() {
                self.hand_over(&ctx, &mut r, records).await;
            }
            let next = out.next_shard_iterator().map(str::to_string);
            if at_shard_end(next.is_some(), records.is_empty(), &r.shard, r.last_read.as_deref()) {
                match self.finish(&ctx, &mut r).await {
                    Some(end) => break end,
                    None => continue,
                }
            }
            r.iterator = next;
            let behind = out.millis_behind_latest().unwrap_or(0) > 0;
            let gap = if !records.is_empty() && behind { BUSY_GAP } else { self.poll_interval };
            self.wait(&ctx, &mut r, gap).await;
        };
        // Settle what is in flight so its checkpoint is saved.
        self.drain(&ctx, &mut r).await;
        tracing::info!(stream = %self.stream, shard = %r.shard.id, end = ?end, "shard reader stopped");
        end
    }

    /// Decode one read and hand its events to the sink (acknowledged later, in order).
    async fn hand_over(&self, ctx: &Arc<Context>, r: &mut Reader, records: &[aws_sdk_kinesis::types::Record]) {
        let (Some(first), Some(last)) = (records.first(), records.last()) else { return };
        Metrics::add(&ctx.metrics.stream_records_read, records.len());
        if r.last_read.is_none() && r.first_read.is_none() {
            r.first_read = Some(first.sequence_number().to_string());
        }
        let last = last.sequence_number().to_string();
        let raw: Vec<(String, Vec<u8>)> =
            records.iter().map(|rec| (rec.sequence_number().to_string(), rec.data().as_ref().to_vec())).collect();
        let region = self.region.clone();
        let decoded = tokio::task::spawn_blocking(move || {
            decode_read(raw.iter().map(|(s, d)| (s.as_str(), d.as_slice())), region.as_deref())
        })
        .await
        .unwrap_or_else(|e| {
            tracing::error!(stream = %self.stream, shard = %r.shard.id, error = %e, "decoder task failed");
            DecodedRead { bad: vec![(last.clone(), "decoder failed".into())], ..DecodedRead::default() }
        });
        Metrics::add(&ctx.metrics.control_messages, decoded.control);
        self.bad_records(ctx, &r.shard.id, &decoded.bad).await;
        let ticket = r.tracker.read(&last);
        tracing::debug!(
            stream = %self.stream,
            shard = %r.shard.id,
            records = records.len(),
            events = decoded.events.len(),
            control = decoded.control,
            bad = decoded.bad.len(),
            last_sequence_number = %last,
            "records read"
        );
        r.last_read = Some(last);
        let events = decoded.events;
        if events.is_empty() {
            r.inflight.push_back(futures::future::ready((ticket, true)).boxed());
        } else {
            let ctx = ctx.clone();
            r.inflight.push_back(async move { (ticket, ctx.shipper.ship(events).await.complete()) }.boxed());
        }
    }

    /// Settle every read in flight (checkpointing what was delivered).
    async fn drain(&self, ctx: &Context, r: &mut Reader) {
        while let Some((t, ok)) = r.inflight.next().await {
            self.settled(ctx, &r.shard.id, &mut r.tracker, t, ok).await;
        }
    }

    /// Wait `d` (or until shutdown) while settling reads as they complete.
    async fn wait(&self, ctx: &Context, r: &mut Reader, d: Duration) {
        let deadline = tokio::time::Instant::now() + d;
        let mut stop = ctx.shutdown.clone();
        loop {
            let next = tokio::select! {
                n = r.inflight.next(), if !r.inflight.is_empty() => n,
                () = tokio::time::sleep_until(deadline) => return,
                _ = stop.wait_for(|s| *s) => return,
            };
            if let Some((t, ok)) = next {
                self.settled(ctx, &r.shard.id, &mut r.tracker, t, ok).await;
            }
        }
    }

    /// After a read was not delivered: settle the rest, then re-read after the checkpoint (else
    /// at the first record this reader read, else where it started), after a backoff. Returns
    /// `true` when shutdown came during the backoff.
    async fn rewind(&self, ctx: &Context, r: &mut Reader) -> bool {
        self.drain(ctx, r).await;
        r.tracker.reset();
        let cp = ctx
            .checkpoints
            .read(|st| st.kinesis.get(&self.stream)?.shards.get(&r.shard.id)?.sequence_number.clone())
            .await;
        r.position = match (cp, &r.first_read) {
            (Some(s), _) => Position::After(s),
            (None, Some(f)) => Position::At(f.clone()),
            (None, None) => r.initial.clone(),
        };
        r.last_read = match &r.position {
            Position::After(s) => Some(s.clone()),
            _ => None,
        };
        r.iterator = None;
        r.errors += 1;
        tracing::warn!(stream = %self.stream, shard = %r.shard.id, position = ?r.position, "records not delivered; re-reading after the checkpoint");
        ctx.sleep_or_stop(crate::batch::backoff(r.errors, BACKOFF_BASE, BACKOFF_CAP)).await
    }

    /// At the shard's end: `Some(Finished)` once everything read was delivered, `None` to go on
    /// (a read failed and is re-read first), `Some(Stopped)` on shutdown.
    async fn finish(&self, ctx: &Context, r: &mut Reader) -> Option<ShardEnd> {
        self.drain(ctx, r).await;
        if !r.tracker.blocked() {
            return Some(ShardEnd::Finished);
        }
        if self.rewind(ctx, r).await {
            return Some(ShardEnd::Stopped);
        }
        None
    }

    /// Run until shutdown: list shards, start readers in lineage order, relist when one ends.
    pub async fn run(self, ctx: Arc<Context>) -> bool {
        let me = Arc::new(self);
        let mut readers: tokio::task::JoinSet<(String, Option<ShardEnd>)> = tokio::task::JoinSet::new();
        let mut running: BTreeSet<String> = BTreeSet::new();
        let mut errors = 0u32;
        tracing::info!(stream = %me.stream, start = ?me.start, "reading CloudWatch Logs subscription stream");
        if me.start == StartPosition::Latest {
            // Record when "latest" began, so a restart goes on from there (not from a new latest).
            let now = jiff::Timestamp::now().as_millisecond();
            let saved = ctx
                .checkpoints
                .update(|s| {
                    let st = s.kinesis.entry(me.stream.clone()).or_default();
                    *st.latest_since_ms.get_or_insert(now)
                })
                .await;
            match saved {
                Ok(since) => {
                    tracing::info!(stream = %me.stream, since_ms = since, "start = latest: shards without a checkpoint start at this time")
                }
                Err(e) => tracing::error!(stream = %me.stream, error = %e, "checkpoint not saved"),
            }
        }
        while !ctx.stopping() {
            let mut relist_in = RELIST;
            match me.list_shards().await {
                Err(f) => {
                    errors += 1;
                    if f.throttled {
                        Metrics::add(&ctx.metrics.throttles, 1);
                    }
                    tracing::warn!(stream = %me.stream, error = %f.message, expired_token = f.expired, "ListShards failed");
                    relist_in = crate::batch::backoff(errors, Duration::from_secs(1), RELIST);
                }
                Ok(shards) => {
                    errors = 0;
                    let state = ctx.checkpoints.read(|s| s.kinesis.get(&me.stream).cloned().unwrap_or_default()).await;
                    let p = plan(&shards, &state, &running, me.start);
                    let mut pruned = state.clone();
                    pruned.prune(&shards);
                    if !p.skip.is_empty() || pruned != state {
                        let saved = ctx
                            .checkpoints
                            .update(|s| {
                                let st = s.kinesis.entry(me.stream.clone()).or_default();
                                for id in &p.skip {
                                    st.shards.entry(id.clone()).or_default().skipped = true;
                                }
                                st.prune(&shards);
                            })
                            .await;
                        if let Err(e) = saved {
                            tracing::error!(stream = %me.stream, error = %e, "checkpoint not saved");
                        }
                        for id in &p.skip {
                            tracing::info!(stream = %me.stream, shard = %id, "closed shard skipped (start = latest)");
                        }
                    }
                    for (id, pos) in p.start {
                        let Some(info) = shards.iter().find(|s| s.id == id).cloned() else { continue };
                        running.insert(id.clone());
                        let (me, ctx) = (me.clone(), ctx.clone());
                        readers.spawn(async move {
                            // A panic ends only this reader; it is restarted from its checkpoint.
                            let r = std::panic::AssertUnwindSafe(me.read_shard(ctx, info, pos)).catch_unwind().await;
                            (id, r.ok())
                        });
                    }
                }
            }
            // Wait for a reader to end (relist right away), the relist interval, or shutdown.
            let mut stop = ctx.shutdown.clone();
            let done = tokio::select! {
                Some(done) = readers.join_next(), if !readers.is_empty() => Some(done),
                () = tokio::time::sleep(relist_in) => None,
                _ = stop.wait_for(|s| *s) => None,
            };
            if let Some(Ok((id, end))) = done {
                running.remove(&id);
                match end {
                    Some(ShardEnd::Finished) => me.mark_finished(&ctx, &id).await,
                    Some(ShardEnd::Stopped) => {}
                    None => {
                        tracing::error!(stream = %me.stream, shard = %id, "shard reader panicked; restarting it from its checkpoint");
                    }
                }
            }
        }
        // Shutdown: every reader settles its in-flight reads and saves its checkpoint.
        while let Some(done) = readers.join_next().await {
            if let Ok((id, Some(ShardEnd::Finished))) = done {
                me.mark_finished(&ctx, &id).await;
            }
        }
        true
    }

    async fn mark_finished(&self, ctx: &Context, shard: &str) {
        let saved = ctx
            .checkpoints
            .update(|s| {
                s.kinesis
                    .entry(self.stream.clone())
                    .or_default()
                    .shards
                    .entry(shard.to_string())
                    .or_default()
                    .finished = true;
            })
            .await;
        match saved {
            Ok(()) => tracing::info!(stream = %self.stream, shard, "shard finished; its children may start"),
            Err(e) => tracing::error!(stream = %self.stream, shard, error = %e, "checkpoint not saved"),
        }
    }
}
