//! The subscription-stream source against a mocked Kinesis (aws-smithy-mocks), for what moto
//! cannot produce: a resharded stream whose parent ends with no `NextShardIterator`, GetRecords
//! throttling, an expired iterator, a sink that fails (the checkpoint must not move and the
//! shard is re-read), and a checkpoint the shard no longer accepts.
#![cfg(feature = "aws")]

use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_kinesis::config::retry::RetryConfig;
use aws_sdk_kinesis::operation::get_records::{GetRecordsError, GetRecordsOutput};
use aws_sdk_kinesis::operation::get_shard_iterator::{GetShardIteratorError, GetShardIteratorOutput};
use aws_sdk_kinesis::operation::list_shards::ListShardsOutput;
use aws_sdk_kinesis::operation::put_records::PutRecordsOutput;
use aws_sdk_kinesis::primitives::{Blob, DateTime};
use aws_sdk_kinesis::types::error::{
    ExpiredIteratorException, InvalidArgumentException, ProvisionedThroughputExceededException,
};
use aws_sdk_kinesis::types::{HashKeyRange, PutRecordsResultEntry, Record, SequenceNumberRange, Shard};
use aws_sdk_kinesis::Client;
use aws_smithy_mocks::{mock, mock_client, MockResponse, RuleMode};
use log_shipper::aws::cwl_stream::CwlStreamSource;
use log_shipper::aws::kinesis::KinesisTransport;
use log_shipper::batch::AggregatorConfig;
use log_shipper::cwlstream::StartPosition;
use log_shipper::daemon::{Checkpoints, Context, Store};
use log_shipper::filter::Filter;
use log_shipper::metrics::Metrics;
use log_shipper::pipeline::{spawn_sink, NoDeadLetter, PartitionKey, Shipper, SinkConfig, Transformer, Transport};
use log_shipper::redact::{embedded_rules, Redactor};

type Log = Arc<Mutex<Vec<String>>>;

fn no_retry(c: aws_sdk_kinesis::config::Builder) -> aws_sdk_kinesis::config::Builder {
    c.retry_config(RetryConfig::disabled())
}

fn shard(id: &str, parents: &[&str], range: (u128, u128), ending: Option<&str>) -> Shard {
    let mut seq = SequenceNumberRange::builder().starting_sequence_number("100");
    if let Some(e) = ending {
        seq = seq.ending_sequence_number(e);
    }
    let mut b = Shard::builder()
        .shard_id(id)
        .hash_key_range(
            HashKeyRange::builder()
                .starting_hash_key(range.0.to_string())
                .ending_hash_key(range.1.to_string())
                .build()
                .unwrap(),
        )
        .sequence_number_range(seq.build().unwrap());
    if let Some(p) = parents.first() {
        b = b.parent_shard_id(*p);
    }
    if let Some(p) = parents.get(1) {
        b = b.adjacent_parent_shard_id(*p);
    }
    b.build().unwrap()
}

fn payload(event_id: &str, message: &str) -> Vec<u8> {
    let text = serde_json::json!({
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/fcm/app", "logStream": "s",
        "subscriptionFilters": ["f"],
        "logEvents": [{"id": event_id, "timestamp": 1_700_000_000_000_i64, "message": message}],
    })
    .to_string();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn record(seq: &str, data: Vec<u8>) -> Record {
    Record::builder()
        .sequence_number(seq)
        .partition_key("pk")
        .data(Blob::new(data))
        .approximate_arrival_timestamp(DateTime::from_secs(1_700_000_000))
        .build()
        .unwrap()
}

fn records_out(records: Vec<Record>, next: Option<&str>) -> GetRecordsOutput {
    GetRecordsOutput::builder()
        .set_records(Some(records))
        .set_next_shard_iterator(next.map(str::to_string))
        .millis_behind_latest(0)
        .build()
        .unwrap()
}

/// A sink whose PutRecords fails as a whole for the first `fail_first` calls; returns the
/// shipper, the event ids accepted, and the sink task.
async fn sink(fail_first: usize) -> (Shipper, Arc<Metrics>, Log, tokio::task::JoinHandle<()>) {
    let accepted: Log = Arc::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let (acc, c) = (accepted.clone(), calls.clone());
    let put = mock!(Client::put_records).then_compute_response(move |req| {
        let n = c.fetch_add(1, Ordering::SeqCst);
        let records: Vec<_> = req
            .records()
            .iter()
            .map(|_| {
                if n < fail_first {
                    PutRecordsResultEntry::builder().error_code("InternalFailure").error_message("boom").build()
                } else {
                    PutRecordsResultEntry::builder().shard_id("shardId-000000000000").sequence_number("1").build()
                }
            })
            .collect();
        if n >= fail_first {
            for r in req.records() {
                let v: serde_json::Value = serde_json::from_slice(r.data().as_ref()).unwrap();
                acc.lock().unwrap().push(v["event_id"].as_str().unwrap().to_string());
            }
        }
        let failed = if n < fail_first { i32::try_from(records.len()).unwrap() } else { 0 };
        MockResponse::Output(
            PutRecordsOutput::builder().failed_record_count(failed).set_records(Some(records)).build().unwrap(),
        )
    });
    let list = mock!(Client::list_shards).then_output(|| {
        ListShardsOutput::builder().shards(shard("shardId-000000000000", &[], (0, u128::MAX), None)).build()
    });
    let client = mock_client!(aws_sdk_kinesis, RuleMode::MatchAny, &[&put, &list], no_retry);
    let t = Arc::new(KinesisTransport::from_client(client, "security-logs"));
    let map = t.shard_map().await.unwrap();
    let metrics = Arc::new(Metrics::default());
    let cfg = SinkConfig {
        aggregator: AggregatorConfig { aggregate: false, ..AggregatorConfig::default() },
        linger: Duration::from_millis(10),
        max_attempts: 1,
        backoff_base: Duration::from_millis(1),
        backoff_cap: Duration::from_millis(2),
        ..SinkConfig::default()
    };
    let (sink, task) = spawn_sink(t, cfg, Arc::new(NoDeadLetter), metrics.clone(), map);
    let transformer = Transformer {
        filter: Filter::default(),
        redactor: Arc::new(Redactor::new(&embedded_rules().unwrap(), &[], &[]).unwrap()),
        partition_key: PartitionKey::EventId,
    };
    (Shipper { transformer, sink, metrics: metrics.clone() }, metrics, accepted, task)
}

async fn context(shipper: Shipper, metrics: Arc<Metrics>) -> (Arc<Context>, tokio::sync::watch::Sender<bool>) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let ctx = Context {
        shipper,
        checkpoints: Checkpoints::load(Store::Memory).await.unwrap(),
        shutdown: rx,
        metrics,
        redactor: Arc::new(Redactor::new(&embedded_rules().unwrap(), &[], &[]).unwrap()),
        dead_letter: None,
    };
    (Arc::new(ctx), tx)
}

fn source(client: Client) -> CwlStreamSource {
    CwlStreamSource {
        client,
        stream: "cwl".into(),
        region: Some("ca-central-1".into()),
        start: StartPosition::TrimHorizon,
        poll_interval: Duration::from_millis(200),
        max_records: 100,
    }
}

async fn until<F: std::future::Future<Output = bool>>(what: &str, f: impl Fn() -> F) {
    let start = std::time::Instant::now();
    while !f().await {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Shard p was split into c1 and c2. p is read first, through a throttled read and an expired
/// iterator, until GetRecords returns no NextShardIterator; only then are the children read.
#[tokio::test(flavor = "multi_thread")]
async fn children_are_read_after_the_parent_ends_through_throttling_and_iterator_expiry() {
    let calls: Log = Arc::default();
    let list = mock!(Client::list_shards).then_output(|| {
        let half = u128::MAX / 2;
        ListShardsOutput::builder()
            .shards(shard("p", &[], (0, u128::MAX), Some("150")))
            .shards(shard("c1", &["p"], (0, half), None))
            .shards(shard("c2", &["p"], (half + 1, u128::MAX), None))
            .build()
    });
    let log = calls.clone();
    let iter = mock!(Client::get_shard_iterator).then_compute_response(move |req| {
        let kind = req.shard_iterator_type().unwrap().as_str().to_string();
        let seq = req.starting_sequence_number().unwrap_or("-").to_string();
        let it = format!("{}|{kind}|{seq}", req.shard_id().unwrap());
        log.lock().unwrap().push(format!("iterator {it}"));
        MockResponse::Output(GetShardIteratorOutput::builder().shard_iterator(it).build())
    });
    let log = calls.clone();
    let throttled_once = Arc::new(AtomicUsize::new(0));
    let expired_once = Arc::new(AtomicUsize::new(0));
    let get = mock!(Client::get_records).then_compute_response(move |req| {
        let it = req.shard_iterator().unwrap().to_string();
        log.lock().unwrap().push(format!("read {it}"));
        match it.as_str() {
            "p|TRIM_HORIZON|-" if throttled_once.fetch_add(1, Ordering::SeqCst) == 0 => {
                MockResponse::Error(GetRecordsError::ProvisionedThroughputExceededException(
                    ProvisionedThroughputExceededException::builder().message("slow down").build(),
                ))
            }
            "p|TRIM_HORIZON|-" => MockResponse::Output(records_out(
                vec![record("150", payload("p-1", "from the parent"))],
                Some("p-next"),
            )),
            "p-next" if expired_once.fetch_add(1, Ordering::SeqCst) == 0 => MockResponse::Error(
                GetRecordsError::ExpiredIteratorException(ExpiredIteratorException::builder().message("old").build()),
            ),
            // The real end of a closed shard: no NextShardIterator.
            "p|AFTER_SEQUENCE_NUMBER|150" | "p-next" => MockResponse::Output(records_out(vec![], None)),
            "c1|TRIM_HORIZON|-" => MockResponse::Output(records_out(
                vec![record("300", payload("c1-1", "mail jane.doe@example.ca"))],
                Some("c1-idle"),
            )),
            "c2|TRIM_HORIZON|-" => {
                MockResponse::Output(records_out(vec![record("400", payload("c2-1", "from c2"))], Some("c2-idle")))
            }
            other => MockResponse::Output(records_out(vec![], Some(other))),
        }
    });
    let client = mock_client!(aws_sdk_kinesis, RuleMode::MatchAny, &[&list, &iter, &get], no_retry);
    let (shipper, metrics, accepted, sink_task) = sink(0).await;
    let (ctx, stop) = context(shipper, metrics.clone()).await;
    let task = tokio::spawn(source(client).run(ctx.clone()));
    until("three events", || async { accepted.lock().unwrap().len() >= 3 }).await;
    until("the checkpoints", || async {
        let st = ctx.checkpoints.read(Clone::clone).await;
        let s = st.kinesis.get("cwl").map(|k| k.shards.clone()).unwrap_or_default();
        s.get("c1").and_then(|c| c.sequence_number.as_deref()) == Some("300")
            && s.get("c2").and_then(|c| c.sequence_number.as_deref()) == Some("400")
    })
    .await;
    stop.send(true).unwrap();
    assert!(tokio::time::timeout(Duration::from_secs(10), task).await.unwrap().unwrap(), "stops cleanly");

    let mut got = accepted.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, ["c1-1", "c2-1", "p-1"], "each event once");
    let calls = calls.lock().unwrap().clone();
    let pos = |s: &str| calls.iter().position(|c| c == s).unwrap_or_else(|| panic!("{s} not in {calls:#?}"));
    // The expired iterator was re-acquired after the last record read.
    assert!(pos("iterator p|AFTER_SEQUENCE_NUMBER|150") > pos("read p-next"));
    // The children were opened only after the parent's last (empty, no NextShardIterator) read.
    let parent_end = pos("read p|AFTER_SEQUENCE_NUMBER|150");
    assert!(pos("iterator c1|TRIM_HORIZON|-") > parent_end, "{calls:#?}");
    assert!(pos("iterator c2|TRIM_HORIZON|-") > parent_end, "{calls:#?}");
    assert_eq!(calls.iter().filter(|c| *c == "read p|TRIM_HORIZON|-").count(), 2, "throttled read retried");
    assert!(metrics.throttles.load(Ordering::Relaxed) >= 1);
    let st = ctx.checkpoints.read(Clone::clone).await;
    let p = &st.kinesis["cwl"].shards["p"];
    assert!(p.finished && p.sequence_number.as_deref() == Some("150"), "{p:?}");
    assert!(!st.kinesis["cwl"].shards["c1"].finished, "an open shard is never finished");
    assert_eq!(metrics.stream_records_read.load(Ordering::Relaxed), 3);
    drop(ctx);
    sink_task.abort();
}

/// The sink fails the first delivery: the checkpoint does not move, the shard is re-read from
/// the first record, and the checkpoint moves once the events are delivered.
#[tokio::test(flavor = "multi_thread")]
async fn checkpoint_moves_only_after_delivery_and_a_failed_read_is_read_again() {
    let calls: Log = Arc::default();
    let list = mock!(Client::list_shards)
        .then_output(|| ListShardsOutput::builder().shards(shard("s0", &[], (0, u128::MAX), None)).build());
    let log = calls.clone();
    let iter = mock!(Client::get_shard_iterator).then_compute_response(move |req| {
        let kind = req.shard_iterator_type().unwrap().as_str().to_string();
        let seq = req.starting_sequence_number().unwrap_or("-").to_string();
        let it = format!("{}|{kind}|{seq}", req.shard_id().unwrap());
        log.lock().unwrap().push(format!("iterator {it}"));
        MockResponse::Output(GetShardIteratorOutput::builder().shard_iterator(it).build())
    });
    let get = mock!(Client::get_records).then_compute_response(move |req| {
        let it = req.shard_iterator().unwrap().to_string();
        match it.as_str() {
            "s0|TRIM_HORIZON|-" | "s0|AT_SEQUENCE_NUMBER|101" => MockResponse::Output(records_out(
                vec![
                    record("101", payload("e-1", "one")),
                    record("102", b"garbage".to_vec()),
                    record("103", payload("e-2", "two")),
                ],
                Some("s0-idle"),
            )),
            other => MockResponse::Output(records_out(vec![], Some(other))),
        }
    });
    let client = mock_client!(aws_sdk_kinesis, RuleMode::MatchAny, &[&list, &iter, &get], no_retry);
    let (shipper, metrics, accepted, sink_task) = sink(1).await;
    let (ctx, stop) = context(shipper, metrics.clone()).await;
    let task = tokio::spawn(source(client).run(ctx.clone()));
    until("the failed delivery", || async { metrics.delivery_failures.load(Ordering::Relaxed) > 0 }).await;
    let cp = ctx.checkpoints.read(|s| s.kinesis.get("cwl").and_then(|k| k.shards.get("s0")).cloned()).await;
    assert!(cp.and_then(|c| c.sequence_number).is_none(), "no checkpoint before delivery");
    until("the events after the retry", || async { accepted.lock().unwrap().len() >= 2 }).await;
    until("the checkpoint", || async {
        ctx.checkpoints
            .read(|s| s.kinesis.get("cwl").and_then(|k| k.shards.get("s0")).and_then(|c| c.sequence_number.clone()))
            .await
            == Some("103".to_string())
    })
    .await;
    stop.send(true).unwrap();
    assert!(tokio::time::timeout(Duration::from_secs(10), task).await.unwrap().unwrap());
    let mut got = accepted.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, ["e-1", "e-2"]);
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls[0], "iterator s0|TRIM_HORIZON|-");
    assert!(
        calls.contains(&"iterator s0|AT_SEQUENCE_NUMBER|101".to_string()),
        "re-read from the first record: {calls:?}"
    );
    // The garbage record was read twice (once per read), counted each time, never shipped.
    assert_eq!(metrics.bad_payloads.load(Ordering::Relaxed), 2);
    drop(ctx);
    sink_task.abort();
}

/// A checkpoint the shard no longer accepts (trimmed past retention): the shard is read from
/// TRIM_HORIZON instead of failing forever.
#[tokio::test(flavor = "multi_thread")]
async fn a_checkpoint_the_shard_rejects_falls_back_to_trim_horizon() {
    let calls: Log = Arc::default();
    let list = mock!(Client::list_shards)
        .then_output(|| ListShardsOutput::builder().shards(shard("s0", &[], (0, u128::MAX), None)).build());
    let log = calls.clone();
    let iter = mock!(Client::get_shard_iterator).then_compute_response(move |req| {
        let kind = req.shard_iterator_type().unwrap().as_str().to_string();
        log.lock().unwrap().push(kind.clone());
        if kind == "AFTER_SEQUENCE_NUMBER" {
            return MockResponse::Error(GetShardIteratorError::InvalidArgumentException(
                InvalidArgumentException::builder().message("Invalid StartingSequenceNumber").build(),
            ));
        }
        MockResponse::Output(GetShardIteratorOutput::builder().shard_iterator(format!("s0|{kind}")).build())
    });
    let get = mock!(Client::get_records).then_compute_response(|req| match req.shard_iterator().unwrap() {
        "s0|TRIM_HORIZON" => {
            MockResponse::Output(records_out(vec![record("900", payload("kept", "still retained"))], Some("s0-idle")))
        }
        other => MockResponse::Output(records_out(vec![], Some(other))),
    });
    let client = mock_client!(aws_sdk_kinesis, RuleMode::MatchAny, &[&list, &iter, &get], no_retry);
    let (shipper, metrics, accepted, sink_task) = sink(0).await;
    let (ctx, stop) = context(shipper, metrics.clone()).await;
    ctx.checkpoints
        .update(|s| s.kinesis.entry("cwl".into()).or_default().shards.entry("s0".into()).or_default().advance("5"))
        .await
        .unwrap();
    let task = tokio::spawn(source(client).run(ctx.clone()));
    until("the checkpoint", || async {
        ctx.checkpoints
            .read(|s| s.kinesis.get("cwl").and_then(|k| k.shards.get("s0")).and_then(|c| c.sequence_number.clone()))
            .await
            == Some("900".to_string())
    })
    .await;
    stop.send(true).unwrap();
    assert!(tokio::time::timeout(Duration::from_secs(10), task).await.unwrap().unwrap());
    assert_eq!(accepted.lock().unwrap().clone(), ["kept"]);
    assert_eq!(calls.lock().unwrap()[..2], ["AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON"]);
    drop(ctx);
    sink_task.abort();
}
