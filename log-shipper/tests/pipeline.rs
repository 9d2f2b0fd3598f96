//! Kinesis faults moto cannot produce — throttling, PutRecords with FailedRecordCount > 0,
//! resharding — with aws-smithy-mocks: only failed entries are resent, what keeps failing is
//! dead-lettered, and aggregates are regrouped when the shard map turns out stale.
#![cfg(feature = "aws")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_kinesis::config::retry::RetryConfig;
use aws_sdk_kinesis::operation::list_shards::ListShardsOutput;
use aws_sdk_kinesis::operation::put_records::{PutRecordsError, PutRecordsInput, PutRecordsOutput};
use aws_sdk_kinesis::types::error::ProvisionedThroughputExceededException;
use aws_sdk_kinesis::types::{HashKeyRange, PutRecordsResultEntry, SequenceNumberRange, Shard};
use aws_sdk_kinesis::Client;
use aws_smithy_mocks::{mock, mock_client, MockResponse, RuleMode};
use log_shipper::aws::kinesis::KinesisTransport;
use log_shipper::batch::{AggregatorConfig, UnitOutcome};
use log_shipper::envelope::{Envelope, SourceKind};
use log_shipper::filter::Filter;
use log_shipper::metrics::Metrics;
use log_shipper::pipeline::{
    spawn_sink, DeadLetter, DeadLetterLine, FileDeadLetter, NoDeadLetter, PartitionKey, Shipper, SinkConfig,
    Transformer, Transport,
};
use log_shipper::redact::{embedded_rules, Redactor};
use log_shipper::shardmap::{hash_key, ShardMap};
use serde_json::value::RawValue;

type Calls = Arc<Mutex<Vec<Vec<String>>>>;

fn shard(id: &str, start: u128, end: u128) -> Shard {
    Shard::builder()
        .shard_id(id)
        .hash_key_range(
            HashKeyRange::builder()
                .starting_hash_key(start.to_string())
                .ending_hash_key(end.to_string())
                .build()
                .unwrap(),
        )
        .sequence_number_range(SequenceNumberRange::builder().starting_sequence_number("0").build().unwrap())
        .build()
        .unwrap()
}

fn one_shard() -> ListShardsOutput {
    ListShardsOutput::builder().shards(shard("shardId-000000000000", 0, u128::MAX)).build()
}

fn pks(req: &PutRecordsInput) -> Vec<String> {
    req.records().iter().map(|r| r.partition_key().unwrap_or_default().to_string()).collect()
}

fn ok_entry(shard: &str) -> PutRecordsResultEntry {
    PutRecordsResultEntry::builder().shard_id(shard).sequence_number("1").build()
}

fn failed_entry() -> PutRecordsResultEntry {
    PutRecordsResultEntry::builder()
        .error_code("ProvisionedThroughputExceededException")
        .error_message("Rate exceeded for shard")
        .build()
}

fn events(n: usize) -> Vec<Envelope> {
    (0..n)
        .map(|i| {
            Envelope::new(
                SourceKind::Cloudtrail,
                format!("event-{i:03}"),
                RawValue::from_string(format!(r#"{{"eventID":"event-{i:03}","n":{i}}}"#)).unwrap(),
            )
        })
        .collect()
}

struct Harness {
    shipper: Shipper,
    metrics: Arc<Metrics>,
    task: tokio::task::JoinHandle<()>,
}

async fn harness(client: Client, aggregate: bool, max_attempts: u32, dl: Arc<dyn DeadLetter>) -> Harness {
    let t = Arc::new(KinesisTransport::from_client(client, "security-logs"));
    let map = t.shard_map().await.unwrap();
    let metrics = Arc::new(Metrics::default());
    let cfg = SinkConfig {
        aggregator: AggregatorConfig { aggregate, ..AggregatorConfig::default() },
        linger: Duration::from_millis(20),
        max_attempts,
        backoff_base: Duration::from_millis(1),
        backoff_cap: Duration::from_millis(5),
        ..SinkConfig::default()
    };
    let (sink, task) = spawn_sink(t, cfg, dl, metrics.clone(), map);
    let transformer = Transformer {
        filter: Filter::default(),
        redactor: Arc::new(Redactor::new(&embedded_rules().unwrap(), &[], &[]).unwrap()),
        partition_key: PartitionKey::EventId,
    };
    Harness { shipper: Shipper { transformer, sink, metrics: metrics.clone() }, metrics, task }
}

fn no_retry(c: aws_sdk_kinesis::config::Builder) -> aws_sdk_kinesis::config::Builder {
    c.retry_config(RetryConfig::disabled())
}

#[tokio::test]
async fn partial_failure_resends_only_the_failed_entries() {
    let calls: Calls = Arc::default();
    let log = calls.clone();
    let put = mock!(Client::put_records).then_compute_response(move |req| {
        let keys = pks(req);
        let mut log = log.lock().unwrap();
        let first = log.is_empty();
        log.push(keys.clone());
        let failing = |k: &str| first && ["event-001", "event-003", "event-007"].contains(&k);
        let records: Vec<_> =
            keys.iter().map(|k| if failing(k) { failed_entry() } else { ok_entry("shardId-000000000000") }).collect();
        let failed = i32::try_from(records.iter().filter(|r| r.error_code().is_some()).count()).unwrap();
        MockResponse::Output(
            PutRecordsOutput::builder().failed_record_count(failed).set_records(Some(records)).build().unwrap(),
        )
    });
    let list = mock!(Client::list_shards).then_output(one_shard);
    let client = mock_client!(aws_sdk_kinesis, RuleMode::MatchAny, &[&put, &list], no_retry);
    let h = harness(client, false, 5, Arc::new(NoDeadLetter)).await;
    let outcome = h.shipper.ship(events(10)).await;
    assert_eq!(outcome, UnitOutcome { accepted: 10, dead_lettered: 0, failed: 0 });
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0].len(), 10);
    let mut resent = calls[1].clone();
    resent.sort();
    assert_eq!(resent, vec!["event-001", "event-003", "event-007"], "only the failed entries are resent");
    assert_eq!(h.metrics.retries.load(Ordering::Relaxed), 3);
    assert_eq!(h.metrics.throttles.load(Ordering::Relaxed), 3);
    assert_eq!(h.metrics.events_out.load(Ordering::Relaxed), 10);
    drop(h.shipper);
    h.task.await.unwrap();
}

#[tokio::test]
async fn whole_call_throttling_is_retried_with_the_same_entries() {
    let calls: Calls = Arc::default();
    let log = calls.clone();
    let put = mock!(Client::put_records).then_compute_response(move |req| {
        let keys = pks(req);
        let mut log = log.lock().unwrap();
        log.push(keys.clone());
        if log.len() == 1 {
            return MockResponse::Error(PutRecordsError::ProvisionedThroughputExceededException(
                ProvisionedThroughputExceededException::builder().message("slow down").build(),
            ));
        }
        let records = keys.iter().map(|_| ok_entry("shardId-000000000000")).collect();
        MockResponse::Output(
            PutRecordsOutput::builder().failed_record_count(0).set_records(Some(records)).build().unwrap(),
        )
    });
    let list = mock!(Client::list_shards).then_output(one_shard);
    let client = mock_client!(aws_sdk_kinesis, RuleMode::MatchAny, &[&put, &list], no_retry);
    let h = harness(client, true, 5, Arc::new(NoDeadLetter)).await;
    let outcome = h.shipper.ship(events(25)).await;
    assert!(outcome.complete());
    assert_eq!(outcome.accepted, 25);
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0], calls[1], "the throttled call is repeated as is");
    assert_eq!(calls[0].len(), 1, "25 small events on one shard make one aggregate");
    assert_eq!(h.metrics.throttles.load(Ordering::Relaxed), 1);
    assert_eq!(h.metrics.records_out.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn entries_that_keep_failing_are_dead_lettered_and_counted() {
    let n = Arc::new(AtomicUsize::new(0));
    let c = n.clone();
    let put = mock!(Client::put_records).then_compute_response(move |req| {
        c.fetch_add(1, Ordering::SeqCst);
        let records: Vec<_> = pks(req)
            .iter()
            .map(|k| if k == "event-002" { failed_entry() } else { ok_entry("shardId-000000000000") })
            .collect();
        MockResponse::Output(
            PutRecordsOutput::builder().failed_record_count(1).set_records(Some(records)).build().unwrap(),
        )
    });
    let list = mock!(Client::list_shards).then_output(one_shard);
    let client = mock_client!(aws_sdk_kinesis, RuleMode::MatchAny, &[&put, &list], no_retry);
    let dir = tempfile::tempdir().unwrap();
    let dl_path = dir.path().join("dl.ndjson");
    let h = harness(client, false, 3, Arc::new(FileDeadLetter::open(&dl_path).unwrap())).await;
    let outcome = h.shipper.ship(events(5)).await;
    assert_eq!(outcome, UnitOutcome { accepted: 4, dead_lettered: 1, failed: 0 });
    assert_eq!(n.load(Ordering::SeqCst), 3, "max_attempts = 3");
    assert_eq!(h.metrics.dead_letters.load(Ordering::Relaxed), 1);
    let text = std::fs::read_to_string(&dl_path).unwrap();
    let line: DeadLetterLine = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(line.event_id, "event-002");
    assert!(line.reason.contains("ProvisionedThroughputExceededException"));

    // Without a dead-letter the unit is not acknowledged: its source redelivers it.
    let put = mock!(Client::put_records).then_compute_response(|req| {
        let records = pks(req).iter().map(|_| failed_entry()).collect();
        MockResponse::Output(
            PutRecordsOutput::builder().failed_record_count(1).set_records(Some(records)).build().unwrap(),
        )
    });
    let list = mock!(Client::list_shards).then_output(one_shard);
    let client = mock_client!(aws_sdk_kinesis, RuleMode::MatchAny, &[&put, &list], no_retry);
    let h = harness(client, false, 2, Arc::new(NoDeadLetter)).await;
    let outcome = h.shipper.ship(events(2)).await;
    assert_eq!(outcome.failed, 2);
    assert!(!outcome.complete());
    assert_eq!(h.metrics.delivery_failures.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn stale_shard_map_is_refreshed_and_aggregates_regrouped() {
    // The stream was split: ListShards first shows the parent only, then the two children.
    let half = u128::MAX / 2;
    let children = ShardMap::from_ranges([
        ("shardId-000000000001", "0", &half.to_string()[..]),
        ("shardId-000000000002", &(half + 1).to_string()[..], &u128::MAX.to_string()[..]),
    ])
    .unwrap();
    let lists = Arc::new(AtomicUsize::new(0));
    let l = lists.clone();
    let list = mock!(Client::list_shards).then_compute_response(move |_| {
        if l.fetch_add(1, Ordering::SeqCst) == 0 {
            MockResponse::Output(one_shard())
        } else {
            MockResponse::Output(
                ListShardsOutput::builder()
                    .shards(shard("shardId-000000000001", 0, half))
                    .shards(shard("shardId-000000000002", half + 1, u128::MAX))
                    .build(),
            )
        }
    });
    let requests: Arc<Mutex<Vec<PutRecordsInput>>> = Arc::default();
    let log = requests.clone();
    let routing = children.clone();
    let put = mock!(Client::put_records).then_compute_response(move |req| {
        log.lock().unwrap().push(req.clone());
        // Real Kinesis routes by the outer key's hash over the current (child) shards.
        let records =
            pks(req).iter().map(|k| ok_entry(&routing.shards()[routing.index_for_key(k).unwrap()].id)).collect();
        MockResponse::Output(
            PutRecordsOutput::builder().failed_record_count(0).set_records(Some(records)).build().unwrap(),
        )
    });
    let client = mock_client!(aws_sdk_kinesis, RuleMode::MatchAny, &[&put, &list], no_retry);
    let h = harness(client, true, 5, Arc::new(NoDeadLetter)).await;
    let outcome = h.shipper.ship(events(60)).await;
    assert_eq!(outcome, UnitOutcome { accepted: 60, dead_lettered: 0, failed: 0 });
    assert!(lists.load(Ordering::SeqCst) >= 2, "shard map refreshed");
    assert!(h.metrics.shard_refreshes.load(Ordering::Relaxed) >= 1);
    // The last request was grouped with the children's map: every sub-record's key hashes into
    // the shard its aggregate lands on, so KCL keeps all of them.
    let reqs = requests.lock().unwrap();
    let last = reqs.last().unwrap();
    let mut seen = 0;
    for r in last.records() {
        let outer = children.index_of(hash_key(r.partition_key().unwrap())).unwrap();
        let subs = log_shipper::kpl::decode(r.data().as_ref()).unwrap().unwrap_or_default();
        for s in &subs {
            assert_eq!(children.index_for_key(&s.partition_key), Some(outer));
        }
        seen += subs.len().max(1);
    }
    assert_eq!(seen, 60);
}
