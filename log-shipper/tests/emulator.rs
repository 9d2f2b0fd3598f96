//! End to end against moto: CloudTrail files into S3 with notifications to SQS, CloudWatch log
//! events, the daemon binary, the stream read back and deaggregated; and a crash test (kill -9
//! in the middle, restart, nothing lost, duplicates bounded by what was in flight).
#![cfg(feature = "aws")]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_kinesis::types::ShardIteratorType;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Event, NotificationConfiguration, QueueConfiguration};
use aws_sdk_sqs::types::QueueAttributeName;
use log_shipper::shardmap::ShardMap;

const ACCOUNT: &str = "123456789012";

async fn sdk() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).region(Region::new("ca-central-1")).load().await
}

fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build())
}

fn suffix() -> String {
    format!("{:08x}", rand::random::<u32>())
}

fn gz(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

/// A CloudTrail event; `pii` adds an e-mail, a card number and a password.
fn event(id: &str, pii: bool) -> serde_json::Value {
    let mut v = serde_json::json!({
        "eventVersion": "1.10",
        "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:svc", "accountId": ACCOUNT,
                          "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/app/svc")},
        "eventTime": "2026-11-23T19:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "PutObject",
        "awsRegion": "ca-central-1",
        "sourceIPAddress": "10.0.0.1",
        "userAgent": "aws-sdk-rust",
        "requestParameters": {"bucketName": "cases", "key": format!("cases/{id}.json")},
        "responseElements": null,
        "requestID": "REQ",
        "eventID": id,
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": false,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data"
    });
    if pii {
        v["requestParameters"]["note"] = "card 4111 1111 1111 1111 of jane.doe@example.ca".into();
        v["requestParameters"]["password"] = "hunter2-secret".into();
    }
    v
}

fn trail_file(ids: &[String], pii_every: usize) -> Vec<u8> {
    let recs: Vec<_> = ids.iter().enumerate().map(|(i, id)| event(id, pii_every > 0 && i % pii_every == 0)).collect();
    gz(&serde_json::json!({ "Records": recs }).to_string())
}

fn trail_key(prefix: &str, minute: usize, unique: &str) -> String {
    format!(
        "{prefix}AWSLogs/{ACCOUNT}/CloudTrail/ca-central-1/2026/11/23/{ACCOUNT}_CloudTrail_ca-central-1_20261123T{:02}{:02}Z_{unique}.json.gz",
        10 + minute / 60,
        minute % 60
    )
}

/// Every record of the stream, per shard: (shard id, partition key, data).
async fn read_stream(k: &aws_sdk_kinesis::Client, stream: &str) -> Vec<(String, String, Vec<u8>)> {
    let mut out = Vec::new();
    let shards = k.list_shards().stream_name(stream).send().await.unwrap();
    for s in shards.shards() {
        let mut it = k
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(s.shard_id())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator()
            .map(str::to_string);
        while let Some(i) = it {
            let r = k.get_records().shard_iterator(i).limit(10_000).send().await.unwrap();
            if r.records().is_empty() {
                break;
            }
            for rec in r.records() {
                out.push((
                    s.shard_id().to_string(),
                    rec.partition_key().unwrap_or_default().to_string(),
                    rec.data().as_ref().to_vec(),
                ));
            }
            it = r.next_shard_iterator().map(str::to_string);
        }
    }
    out
}

/// Deaggregate: envelopes as JSON, checking every sub-record hashes into the record's shard.
fn deaggregate(records: &[(String, String, Vec<u8>)], map: &ShardMap) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for (shard, _pk, data) in records {
        let idx = map.shards().iter().position(|s| &s.id == shard).unwrap();
        match log_shipper::kpl::decode(data).unwrap() {
            Some(subs) => {
                for s in subs {
                    assert_eq!(map.index_for_key(&s.partition_key), Some(idx), "sub-record outside its shard's range");
                    out.push(serde_json::from_slice(&s.data).unwrap());
                }
            }
            None => out.push(serde_json::from_slice(data).unwrap()),
        }
    }
    out
}

async fn shard_map(k: &aws_sdk_kinesis::Client, stream: &str) -> ShardMap {
    let shards = k.list_shards().stream_name(stream).send().await.unwrap();
    let ranges: Vec<(String, String, String)> = shards
        .shards()
        .iter()
        .map(|s| {
            let h = s.hash_key_range().unwrap();
            (s.shard_id().to_string(), h.starting_hash_key().to_string(), h.ending_hash_key().to_string())
        })
        .collect();
    ShardMap::from_ranges(ranges.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))).unwrap()
}

async fn create_stream(k: &aws_sdk_kinesis::Client, name: &str, shards: i32) {
    k.create_stream().stream_name(name).shard_count(shards).send().await.unwrap();
    for _ in 0..50 {
        let d = k.describe_stream_summary().stream_name(name).send().await.unwrap();
        if d.stream_description_summary().is_some_and(|s| s.stream_status().as_str() == "ACTIVE") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body)
}

fn spawn(config: &Path, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_log-shipper"))
        .args(["run", "--config"])
        .arg(config)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn terminate(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    let start = Instant::now();
    while start.elapsed() < within {
        if let Some(st) = child.try_wait().unwrap() {
            return Some(st);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

fn ids_of(envs: &[serde_json::Value]) -> Vec<String> {
    envs.iter().map(|e| e["event_id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sqs_notifications_and_cloudwatch_logs_reach_kinesis_redacted() {
    if common::emulator::endpoint("log-shipper e2e").is_none() {
        return;
    }
    let sdk = sdk().await;
    let (s3, sqs, k, logs) = (
        s3_client(&sdk),
        aws_sdk_sqs::Client::new(&sdk),
        aws_sdk_kinesis::Client::new(&sdk),
        aws_sdk_cloudwatchlogs::Client::new(&sdk),
    );
    let sfx = suffix();
    let (bucket, stream, group) = (format!("trail-{sfx}"), format!("security-{sfx}"), format!("/fcm/app-{sfx}"));
    create_stream(&k, &stream, 2).await;
    s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::CaCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let dlq = sqs.create_queue().queue_name(format!("trail-dlq-{sfx}")).send().await.unwrap().queue_url.unwrap();
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let redrive = serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}).to_string();
    let queue = sqs
        .create_queue()
        .queue_name(format!("trail-{sfx}"))
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    s3.put_bucket_notification_configuration()
        .bucket(&bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .queue_arn(queue_arn)
                        .events(Event::from("s3:ObjectCreated:*"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    // Three log files (one with a space in its key, one empty), a digest and an insight file.
    let mut expected = BTreeSet::new();
    for f in 0..3 {
        let ids: Vec<String> = if f == 2 { vec![] } else { (0..40).map(|i| format!("ct-{sfx}-{f}-{i:03}")).collect() };
        expected.extend(ids.iter().cloned());
        let key = trail_key(if f == 1 { "with space/" } else { "" }, f, &format!("u{f}{sfx}"));
        s3.put_object().bucket(&bucket).key(key).body(ByteStream::from(trail_file(&ids, 5))).send().await.unwrap();
    }
    let not_events = trail_file(&["digest-must-not-ship".to_string()], 0);
    for key in [
        format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/ca-central-1/2026/11/23/{ACCOUNT}_CloudTrail-Digest_ca-central-1_t_ca-central-1_20261123T100000Z.json.gz"),
        format!("AWSLogs/{ACCOUNT}/CloudTrail-Insight/ca-central-1/2026/11/23/{ACCOUNT}_CloudTrail-Insight_ca-central-1_20261123T1000Z_x.json.gz"),
    ] {
        s3.put_object().bucket(&bucket).key(key).body(ByteStream::from(not_events.clone())).send().await.unwrap();
    }
    // A poison message: must end in the queue's DLQ through the redrive policy.
    sqs.send_message().queue_url(&queue).message_body("this is not an S3 notification").send().await.unwrap();

    logs.create_log_group().log_group_name(&group).send().await.unwrap();
    logs.create_log_stream().log_group_name(&group).log_stream_name("app-1").send().await.unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    let messages = [
        "case 17 opened",
        "reset link sent to bob@example.com",
        "call back at (514) 555-0199",
        "SIN 046 454 286 verified",
        "case 17 closed",
    ];
    let mut put = logs.put_log_events().log_group_name(&group).log_stream_name("app-1");
    for (i, m) in messages.iter().enumerate() {
        put = put.log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now + i as i64)
                .message(*m)
                .build()
                .unwrap(),
        );
    }
    put.send().await.unwrap();

    let ops = format!("ops-{sfx}");
    s3.create_bucket()
        .bucket(&ops)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::CaCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("log-shipper.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[sources]]
type = "sqs"
queue_url = "{queue}"
visibility_timeout = "30s"
wait_time = "1s"
retry_delay = "1s"

[[sources]]
type = "cloudwatch"
log_group_prefix = "{group}"
poll_interval = "1s"
start_time_ms = 0

[sink]
type = "kinesis"
stream = "{stream}"
linger = "100ms"

[checkpoint]
s3 = "s3://{ops}/log-shipper/checkpoint.json"

[dead_letter]
s3 = "s3://{ops}/log-shipper/dead-letter/"

[metrics]
listen = "127.0.0.1:{port}"
"#
        ),
    )
    .unwrap();
    let log = dir.path().join("shipper.log");
    let mut child = spawn(&config, &log);

    let total = expected.len() + messages.len();
    let map = shard_map(&k, &stream).await;
    let start = Instant::now();
    let mut envs = Vec::new();
    while start.elapsed() < Duration::from_secs(90) {
        envs = deaggregate(&read_stream(&k, &stream).await, &map);
        if envs.len() >= total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let logtext = || std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(envs.len(), total, "events in the stream; shipper log:\n{}", logtext());

    let ct: BTreeSet<String> = envs
        .iter()
        .filter(|e| e["source"] == "cloudtrail")
        .map(|e| e["event_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ct, expected, "exactly the CloudTrail events of the log files (no digest, no insight)");
    let cw: Vec<&serde_json::Value> = envs.iter().filter(|e| e["source"] == "cloudwatch").collect();
    assert_eq!(cw.len(), messages.len());
    assert!(
        cw.iter().all(|e| e["log_group"] == group.as_str() && e["region"] == "ca-central-1" && e["account"] == ACCOUNT),
        "{cw:?}"
    );
    let text = serde_json::to_string(&envs).unwrap();
    for pii in ["jane.doe@example.ca", "4111 1111 1111 1111", "hunter2", "bob@example.com", "555-0199", "046 454 286"] {
        assert!(!text.contains(pii), "PII {pii:?} reached the stream");
    }
    assert!(text.contains("[REDACTED:card]") && text.contains("[REDACTED:field]") && text.contains("[REDACTED:sin]"));
    let first = envs.iter().find(|e| e["event_id"] == format!("ct-{sfx}-0-000").as_str()).unwrap();
    assert_eq!(first["account"], ACCOUNT);
    assert_eq!(first["payload"]["eventName"], "PutObject");

    // The queue is drained (deleted only after delivery); the poison message reached the DLQ.
    let mut dlq_count = 0;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        let attrs = |url: String| {
            let sqs = sqs.clone();
            async move {
                let a = sqs
                    .get_queue_attributes()
                    .queue_url(url)
                    .attribute_names(QueueAttributeName::All)
                    .send()
                    .await
                    .unwrap()
                    .attributes
                    .unwrap();
                let n = |k: QueueAttributeName| a.get(&k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
                n(QueueAttributeName::ApproximateNumberOfMessages)
                    + n(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            }
        };
        let main = attrs(queue.clone()).await;
        dlq_count = attrs(dlq.clone()).await;
        if main == 0 && dlq_count == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(dlq_count, 1, "poison message in the DLQ; log:\n{}", logtext());

    let metrics = http_get(port, "/metrics").unwrap();
    assert!(metrics.contains(&format!("log_shipper_events_out_total {total}")), "{metrics}");
    assert!(metrics.contains("log_shipper_redactions_total{rule=\"LS102\"}"));
    assert!(http_get(port, "/healthz").unwrap().starts_with("HTTP/1.1 200"));

    // The CloudWatch Logs poll state lives in the S3 checkpoint object.
    let cp = s3.get_object().bucket(&ops).key("log-shipper/checkpoint.json").send().await.unwrap();
    let cp: serde_json::Value = serde_json::from_slice(&cp.body.collect().await.unwrap().into_bytes()).unwrap();
    assert_eq!(cp["cloudwatch"][group.as_str()]["high_water_ms"].as_i64(), Some(now + 4), "{cp}");

    let status = terminate(&mut child, Duration::from_secs(30)).expect("drains and exits on SIGTERM");
    assert!(status.success(), "exit status {status:?}; log:\n{}", logtext());
    let logs_text = logtext();
    for pii in ["jane.doe", "4111", "hunter2", "bob@example.com"] {
        assert!(!logs_text.contains(pii), "PII in the shipper's own logs");
    }
}

/// The container setup from terraform: no config file, only `LOG_SHIPPER_STREAM` and
/// `LOG_SHIPPER_QUEUE_URL` in the environment.
#[tokio::test(flavor = "multi_thread")]
async fn environment_alone_configures_the_sqs_source_and_the_kinesis_sink() {
    if common::emulator::endpoint("log-shipper env-only").is_none() {
        return;
    }
    let sdk = sdk().await;
    let (s3, sqs, k) = (s3_client(&sdk), aws_sdk_sqs::Client::new(&sdk), aws_sdk_kinesis::Client::new(&sdk));
    let sfx = suffix();
    let (bucket, stream) = (format!("trail-env-{sfx}"), format!("security-env-{sfx}"));
    create_stream(&k, &stream, 1).await;
    s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::CaCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let queue = sqs.create_queue().queue_name(format!("trail-env-{sfx}")).send().await.unwrap().queue_url.unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    s3.put_bucket_notification_configuration()
        .bucket(&bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .queue_arn(queue_arn)
                        .events(Event::from("s3:ObjectCreated:*"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = (0..10).map(|i| format!("env-{sfx}-{i}")).collect();
    s3.put_object()
        .bucket(&bucket)
        .key(trail_key("", 0, &format!("env{sfx}")))
        .body(ByteStream::from(trail_file(&ids, 3)))
        .send()
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("shipper.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_log-shipper"))
        .arg("run")
        .current_dir(dir.path())
        .env_remove("LOG_SHIPPER_CONFIG")
        .env("LOG_SHIPPER_STREAM", &stream)
        .env("LOG_SHIPPER_QUEUE_URL", &queue)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let map = shard_map(&k, &stream).await;
    let start = Instant::now();
    let mut envs = Vec::new();
    while start.elapsed() < Duration::from_secs(60) {
        envs = deaggregate(&read_stream(&k, &stream).await, &map);
        if envs.len() >= ids.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let logtext = std::fs::read_to_string(&log).unwrap_or_default();
    let got: BTreeSet<String> = ids_of(&envs).into_iter().collect();
    assert_eq!(got, ids.iter().cloned().collect::<BTreeSet<_>>(), "shipper log:\n{logtext}");
    let text = serde_json::to_string(&envs).unwrap();
    assert!(!text.contains("jane.doe@example.ca") && text.contains("[REDACTED:email]"));
    let status = terminate(&mut child, Duration::from_secs(40)).expect("drains and exits on SIGTERM");
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_run_then_restart_loses_nothing() {
    if common::emulator::endpoint("log-shipper crash").is_none() {
        return;
    }
    let sdk = sdk().await;
    let (s3, k) = (s3_client(&sdk), aws_sdk_kinesis::Client::new(&sdk));
    let sfx = suffix();
    let (bucket, stream) = (format!("crash-{sfx}"), format!("crash-{sfx}"));
    create_stream(&k, &stream, 2).await;
    s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::CaCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (files, per_file) = (80usize, 25usize);
    let mut expected = BTreeSet::new();
    for f in 0..files {
        let ids: Vec<String> = (0..per_file).map(|i| format!("crash-{sfx}-{f:03}-{i:02}")).collect();
        expected.extend(ids.iter().cloned());
        let key = trail_key("", f, &format!("{f:016}"));
        s3.put_object().bucket(&bucket).key(key).body(ByteStream::from(trail_file(&ids, 0))).send().await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("log-shipper.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[sources]]
type = "s3"
bucket = "{bucket}"
prefix = "AWSLogs/{ACCOUNT}/CloudTrail/ca-central-1/"
poll_interval = "1s"

[sink]
type = "kinesis"
stream = "{stream}"
linger = "400ms"
max_in_flight = 1

[checkpoint]
path = "{cp}"
"#,
            cp = dir.path().join("checkpoint.json").display()
        ),
    )
    .unwrap();
    let log = dir.path().join("shipper.log");
    let map = shard_map(&k, &stream).await;

    let mut child = spawn(&config, &log);
    let start = Instant::now();
    let mut before = 0;
    while start.elapsed() < Duration::from_secs(60) {
        before = deaggregate(&read_stream(&k, &stream).await, &map).len();
        if before > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(before > 0 && before < expected.len(), "killed mid-run ({before} of {} shipped)", expected.len());
    let checkpointed: usize = std::fs::read_to_string(dir.path().join("checkpoint.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| {
            let p = &v["s3"][format!("s3://{bucket}/AWSLogs/{ACCOUNT}/CloudTrail/ca-central-1/")];
            Some(p["recent"].as_array()?.len())
        })
        .unwrap_or(0);

    let mut child = spawn(&config, &log);
    let start = Instant::now();
    let mut envs = Vec::new();
    while start.elapsed() < Duration::from_secs(120) {
        envs = deaggregate(&read_stream(&k, &stream).await, &map);
        let ids: BTreeSet<String> = ids_of(&envs).into_iter().collect();
        if ids.len() >= expected.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let status = terminate(&mut child, Duration::from_secs(30));
    let logtext = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.is_some_and(|s| s.success()), "log:\n{logtext}");

    let ids = ids_of(&envs);
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique, expected, "every event arrived after the restart; log:\n{logtext}");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &ids {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let duplicates = ids.len() - unique.len();
    // Only files in flight at the kill (delivered, not yet checkpointed) are shipped twice:
    // at most the 4 files the prefix source works on concurrently.
    assert!(duplicates <= 4 * per_file, "{duplicates} duplicates (checkpointed before kill: {checkpointed})");
    assert!(counts.values().all(|&c| c <= 2));
}

/// A CloudWatch Logs subscription payload (what a subscription filter writes to Kinesis), gzip.
fn subscription_payload(kind: &str, group: &str, stream: &str, events: &[(String, i64, &str)]) -> Vec<u8> {
    let evs: Vec<_> =
        events.iter().map(|(id, ts, m)| serde_json::json!({"id": id, "timestamp": ts, "message": m})).collect();
    gz(&serde_json::json!({
        "messageType": kind,
        "owner": if kind == "DATA_MESSAGE" { ACCOUNT } else { "CloudwatchLogs" },
        "logGroup": group,
        "logStream": stream,
        "subscriptionFilters": ["to-security"],
        "logEvents": evs,
    })
    .to_string())
}

/// Put records; returns the last sequence number per shard.
async fn put_source_records(
    k: &aws_sdk_kinesis::Client,
    stream: &str,
    records: Vec<(String, Vec<u8>)>,
) -> BTreeMap<String, String> {
    let mut req = k.put_records().stream_name(stream);
    for (pk, data) in records {
        req = req.records(
            aws_sdk_kinesis::types::PutRecordsRequestEntry::builder()
                .partition_key(pk)
                .data(aws_sdk_kinesis::primitives::Blob::new(data))
                .build()
                .unwrap(),
        );
    }
    let out = req.send().await.unwrap();
    assert_eq!(out.failed_record_count(), Some(0));
    let mut last = BTreeMap::new();
    for r in out.records() {
        last.insert(r.shard_id().unwrap().to_string(), r.sequence_number().unwrap().to_string());
    }
    last
}

/// Read the sink stream back until it holds `n` distinct events (or a minute passed).
async fn wait_for_events(
    k: &aws_sdk_kinesis::Client,
    stream: &str,
    map: &ShardMap,
    n: usize,
) -> Vec<serde_json::Value> {
    let start = Instant::now();
    let mut envs = Vec::new();
    while start.elapsed() < Duration::from_secs(60) {
        envs = deaggregate(&read_stream(k, stream).await, map);
        if ids_of(&envs).into_iter().collect::<BTreeSet<_>>().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    envs
}

fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// CloudWatch Logs subscription payloads in a Kinesis stream (what a subscription filter with a
/// Kinesis destination writes) reach the security stream redacted, control messages dropped,
/// garbage counted; a restart resumes from the per-shard checkpoint, and after kill -9 nothing is
/// lost and duplicates stay within what was in flight.
#[tokio::test(flavor = "multi_thread")]
async fn cwl_subscription_stream_reaches_kinesis_redacted_and_resumes_from_checkpoint() {
    if common::emulator::endpoint("log-shipper cwl-subscription-stream").is_none() {
        return;
    }
    let sdk = sdk().await;
    let k = aws_sdk_kinesis::Client::new(&sdk);
    let sfx = suffix();
    let (source, sink, group) = (format!("cwl-{sfx}"), format!("security-cwl-{sfx}"), format!("/fcm/case-ui-{sfx}"));
    create_stream(&k, &source, 2).await;
    create_stream(&k, &sink, 2).await;

    let now = jiff::Timestamp::now().as_millisecond();
    let id = |batch: usize, i: usize| format!("{batch:02}{i:02}{sfx}0000000000000000000000000000000000000000000");
    let messages = [
        "case 17 opened by agent 4",
        "reset link sent to jane.doe@example.ca",
        "payment card 4111 1111 1111 1111 on file",
        "case 17 closed",
    ];
    // Three DATA_MESSAGEs over two log streams, one CONTROL_MESSAGE, one record that is not a payload.
    let mut records = Vec::new();
    let mut expected: BTreeMap<String, &str> = BTreeMap::new();
    for b in 0..3 {
        let evs: Vec<(String, i64, &str)> =
            messages.iter().enumerate().map(|(i, m)| (id(b, i), now + (b * 10 + i) as i64, *m)).collect();
        expected.extend(evs.iter().map(|(i, _, m)| (i.clone(), *m)));
        let log_stream = format!("web-{}", b % 2);
        records.push((
            format!("{group}/{log_stream}-{b}"),
            subscription_payload("DATA_MESSAGE", &group, &log_stream, &evs),
        ));
    }
    records.push((
        "control".to_string(),
        subscription_payload(
            "CONTROL_MESSAGE",
            "",
            "",
            &[(String::new(), now, "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.")],
        ),
    ));
    records.push(("garbage".to_string(), b"not a payload; owner jane.doe@example.ca".to_vec()));
    let last_seq = put_source_records(&k, &source, records).await;

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("log-shipper.toml");
    let checkpoint = dir.path().join("checkpoint.json");
    let dead_letter = dir.path().join("dead-letter.ndjson");
    std::fs::write(
        &config,
        format!(
            r#"
[[sources]]
type = "cwl-subscription-stream"
stream = "{source}"
start = "trim_horizon"
poll_interval = "200ms"
max_records = 2

[sink]
type = "kinesis"
stream = "{sink}"
linger = "100ms"

[checkpoint]
path = "{cp}"

[dead_letter]
path = "{dl}"

[metrics]
listen = "127.0.0.1:{port}"
"#,
            cp = checkpoint.display(),
            dl = dead_letter.display(),
        ),
    )
    .unwrap();
    let log = dir.path().join("shipper.log");
    let logtext = || std::fs::read_to_string(&log).unwrap_or_default();
    let map = shard_map(&k, &sink).await;
    // ---- first run: everything in the stream is shipped once, redacted ----
    let mut child = spawn(&config, &log);
    let envs = wait_for_events(&k, &sink, &map, expected.len()).await;
    assert_eq!(envs.len(), expected.len(), "events in the sink stream; shipper log:\n{}", logtext());
    let got: BTreeSet<String> = ids_of(&envs).into_iter().collect();
    assert_eq!(got, expected.keys().cloned().collect::<BTreeSet<_>>(), "exactly the DATA_MESSAGE events, once each");
    for e in &envs {
        assert_eq!(e["source"], "cloudwatch", "{e}");
        assert_eq!(e["account"], ACCOUNT, "{e}");
        assert_eq!(e["region"], "ca-central-1", "{e}");
        assert_eq!(e["log_group"], group.as_str(), "{e}");
        assert!(e["log_stream"].as_str().unwrap().starts_with("web-"), "{e}");
        assert!(e["event_time"].as_str().unwrap().ends_with('Z'), "{e}");
        // (The card rule also checks JSON numbers, so a millisecond timestamp that passes Luhn
        // comes out as "[REDACTED:card]"; only its presence is checked here.)
        assert!(!e["payload"]["timestamp"].is_null(), "{e}");
    }
    let by_id = |i: &str| envs.iter().find(|e| e["event_id"] == i).unwrap()["payload"]["message"].clone();
    assert_eq!(by_id(&id(0, 0)), messages[0]);
    assert_eq!(by_id(&id(1, 1)), "reset link sent to [REDACTED:email]");
    assert_eq!(by_id(&id(2, 2)), "payment card [REDACTED:card] on file");
    let text = serde_json::to_string(&envs).unwrap();
    for pii in ["jane.doe@example.ca", "4111 1111 1111 1111", "CWL CONTROL MESSAGE"] {
        assert!(!text.contains(pii), "{pii:?} reached the sink stream");
    }

    // Checkpoints reach the last record of every shard (control and garbage records included).
    let start = Instant::now();
    let mut cp = serde_json::Value::Null;
    while start.elapsed() < Duration::from_secs(20) {
        cp = std::fs::read_to_string(&checkpoint).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        let at = |shard: &str| {
            cp["kinesis"][source.as_str()]["shards"][shard]["sequence_number"].as_str().map(str::to_string)
        };
        if last_seq.iter().all(|(shard, seq)| at(shard).as_deref() == Some(seq.as_str())) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (shard, seq) in &last_seq {
        assert_eq!(
            cp["kinesis"][source.as_str()]["shards"][shard.as_str()]["sequence_number"].as_str(),
            Some(seq.as_str()),
            "checkpoint of {shard}: {cp}"
        );
    }
    let metrics = http_get(port, "/metrics").unwrap();
    assert_eq!(metric(&metrics, "log_shipper_stream_records_read_total"), Some(5), "{metrics}");
    assert_eq!(metric(&metrics, "log_shipper_control_messages_total"), Some(1), "{metrics}");
    assert_eq!(metric(&metrics, "log_shipper_bad_payloads_total"), Some(1), "{metrics}");
    assert_eq!(metric(&metrics, "log_shipper_events_out_total"), Some(expected.len() as u64), "{metrics}");
    assert!(
        metrics.contains(&format!("log_shipper_millis_behind_latest{{stream=\"{source}\",shard=\"shardId-")),
        "{metrics}"
    );
    // The garbage record is noted in the dead-letter by position, without its content.
    let dl = std::fs::read_to_string(&dead_letter).unwrap();
    assert_eq!(dl.lines().count(), 1, "{dl}");
    let line: serde_json::Value = serde_json::from_str(dl.lines().next().unwrap()).unwrap();
    assert!(line["event_id"].as_str().unwrap().starts_with(&format!("{source}/shardId-")), "{line}");
    assert_eq!(line["data"], "");
    assert!(!dl.contains("jane.doe"));

    let status = terminate(&mut child, Duration::from_secs(30)).expect("drains and exits on SIGTERM");
    assert!(status.success(), "exit status {status:?}; log:\n{}", logtext());

    // ---- restart after a clean stop: only the new records are shipped ----
    let mut more = Vec::new();
    let mut expected2 = expected.clone();
    for b in 3..5 {
        let evs: Vec<(String, i64, &str)> = vec![(id(b, 0), now + 100 + b as i64, "case 18 opened")];
        expected2.extend(evs.iter().map(|(i, _, m)| (i.clone(), *m)));
        more.push((format!("more-{b}"), subscription_payload("DATA_MESSAGE", &group, "web-2", &evs)));
    }
    put_source_records(&k, &source, more).await;
    let mut child = spawn(&config, &log);
    wait_for_events(&k, &sink, &map, expected2.len()).await;
    // Give a re-read from a wrong position time to show up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ids = ids_of(&deaggregate(&read_stream(&k, &sink).await, &map));
    assert_eq!(ids.len(), expected2.len(), "no event shipped twice after a clean restart; log:\n{}", logtext());
    assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), expected2.keys().cloned().collect::<BTreeSet<_>>());

    // ---- kill -9 mid-run, restart: nothing lost, duplicates within the in-flight bound ----
    let mut more = Vec::new();
    let mut expected3 = expected2.clone();
    for b in 10..50 {
        let evs: Vec<(String, i64, &str)> = vec![(id(b, 0), now + 200 + b as i64, "case 19 opened")];
        expected3.extend(evs.iter().map(|(i, _, m)| (i.clone(), *m)));
        more.push((format!("crash-{b}"), subscription_payload("DATA_MESSAGE", &group, "web-3", &evs)));
    }
    put_source_records(&k, &source, more).await;
    let start = Instant::now();
    let mut before = 0;
    while start.elapsed() < Duration::from_secs(30) {
        before = deaggregate(&read_stream(&k, &sink).await, &map).len();
        if before > expected2.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        before > expected2.len() && before < expected3.len(),
        "killed mid-run ({before} of {} shipped)",
        expected3.len()
    );
    let mut child = spawn(&config, &log);
    let envs = wait_for_events(&k, &sink, &map, expected3.len()).await;
    let status = terminate(&mut child, Duration::from_secs(30)).expect("drains and exits on SIGTERM");
    assert!(status.success(), "exit status {status:?}; log:\n{}", logtext());
    let ids = ids_of(&envs);
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique, expected3.keys().cloned().collect::<BTreeSet<_>>(), "nothing lost; log:\n{}", logtext());
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &ids {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    // At most IN_FLIGHT reads of max_records (2) one-event records per shard (2) were
    // unacknowledged at the kill.
    let bound = 2 * log_shipper::aws::cwl_stream::IN_FLIGHT * 2;
    let duplicates = ids.len() - unique.len();
    assert!(duplicates <= bound, "{duplicates} duplicates (bound {bound})");
    assert!(counts.values().all(|&c| c <= 2), "{counts:?}");
    eprintln!("kill -9 after {before} events: {duplicates} duplicates");

    let logs_text = logtext();
    for pii in ["jane.doe", "4111", "CWL CONTROL"] {
        assert!(!logs_text.contains(pii), "{pii:?} in the shipper's own logs");
    }
    assert!(logs_text.contains("not a CloudWatch Logs subscription payload"), "bad record logged");
}

/// What moto's own CloudWatch Logs delivers through a subscription filter (integer event ids)
/// is read from the stream given by ARN; with `start = "latest"` a record written before the
/// shipper first started is not shipped, but one written while it was stopped is.
#[tokio::test(flavor = "multi_thread")]
async fn subscription_filter_delivery_by_arn_with_start_latest() {
    if common::emulator::endpoint("log-shipper subscription filter").is_none() {
        return;
    }
    let sdk = sdk().await;
    let (k, logs) = (aws_sdk_kinesis::Client::new(&sdk), aws_sdk_cloudwatchlogs::Client::new(&sdk));
    let sfx = suffix();
    let (source, group) = (format!("cwl-arn-{sfx}"), format!("/fcm/intake-{sfx}"));
    create_stream(&k, &source, 1).await;
    let arn = k
        .describe_stream_summary()
        .stream_name(&source)
        .send()
        .await
        .unwrap()
        .stream_description_summary()
        .unwrap()
        .stream_arn()
        .to_string();
    let old =
        subscription_payload("DATA_MESSAGE", &group, "old", &[(format!("old-{sfx}"), 1, "written before the start")]);
    put_source_records(&k, &source, vec![("old".into(), old)]).await;

    let dir = tempfile::tempdir().unwrap();
    let (port, out) = (free_port(), dir.path().join("out.ndjson"));
    let config = dir.path().join("log-shipper.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[sources]]
type = "cwl-subscription-stream"
stream = "{arn}"
start = "latest"
poll_interval = "200ms"

[sink]
type = "file"
path = "{out}"
linger = "50ms"

[checkpoint]
path = "{cp}"

[metrics]
listen = "127.0.0.1:{port}"
"#,
            out = out.display(),
            cp = dir.path().join("checkpoint.json").display()
        ),
    )
    .unwrap();
    let log = dir.path().join("shipper.log");
    let logtext = || std::fs::read_to_string(&log).unwrap_or_default();
    // Wait for the first GetRecords of a run (the iterator is open).
    let first_read = || async {
        let start = Instant::now();
        while !http_get(port, "/metrics").is_some_and(|m| m.contains("log_shipper_millis_behind_latest{")) {
            assert!(start.elapsed() < Duration::from_secs(30), "no read; log:\n{}", logtext());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let mut child = spawn(&config, &log);
    first_read().await;
    let status = terminate(&mut child, Duration::from_secs(30)).expect("drains and exits on SIGTERM");
    assert!(status.success(), "exit status {status:?}; log:\n{}", logtext());
    // Written while the shipper is down, before the shard has any checkpoint: a restart with
    // start = "latest" reads from the first start's time, not from a new latest.
    let now = jiff::Timestamp::now().as_millisecond();
    let down = subscription_payload("DATA_MESSAGE", &group, "intake-1", &[(format!("down-{sfx}"), now, "while down")]);
    put_source_records(&k, &source, vec![("down".into(), down)]).await;
    let mut child = spawn(&config, &log);
    first_read().await;

    logs.create_log_group().log_group_name(&group).send().await.unwrap();
    logs.create_log_stream().log_group_name(&group).log_stream_name("intake-1").send().await.unwrap();
    logs.put_subscription_filter()
        .log_group_name(&group)
        .filter_name("to-security")
        .filter_pattern("")
        .destination_arn(&arn)
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/cwl-to-kinesis"))
        .send()
        .await
        .unwrap();
    let messages = ["application 81 received", "applicant e-mail bob@example.com", "application 81 scored"];
    let mut put = logs.put_log_events().log_group_name(&group).log_stream_name("intake-1");
    for (i, m) in messages.iter().enumerate() {
        put = put.log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now + i as i64)
                .message(*m)
                .build()
                .unwrap(),
        );
    }
    put.send().await.unwrap();

    let start = Instant::now();
    let mut lines: Vec<serde_json::Value> = Vec::new();
    while start.elapsed() < Duration::from_secs(30) {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        lines = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        if lines.len() > messages.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = terminate(&mut child, Duration::from_secs(30)).expect("drains and exits on SIGTERM");
    assert!(status.success(), "exit status {status:?}; log:\n{}", logtext());

    assert_eq!(lines.len(), messages.len() + 1, "log:\n{}", logtext());
    assert_eq!(lines[0]["event_id"], format!("down-{sfx}").as_str(), "written while down: not skipped");
    lines.remove(0);

    let got: Vec<&str> = lines.iter().map(|e| e["payload"]["message"].as_str().unwrap()).collect();
    assert_eq!(
        got,
        ["application 81 received", "applicant e-mail [REDACTED:email]", "application 81 scored"],
        "log:\n{}",
        logtext()
    );
    for e in &lines {
        assert_eq!(e["log_group"], group.as_str());
        assert_eq!(e["log_stream"], "intake-1");
        assert_eq!(e["account"], ACCOUNT);
        assert_eq!(e["region"], "ca-central-1", "from the ARN");
        assert!(!e["event_id"].as_str().unwrap().is_empty());
    }
    assert!(
        !lines.iter().any(|e| e["event_id"] == format!("old-{sfx}").as_str()),
        "start = latest skips older records"
    );
}

fn python_or_skip(test: &str) -> Option<String> {
    match common::emulator::python() {
        Some(p) => Some(p),
        None => {
            assert!(
                std::env::var("FCM_GUARD_REQUIRE_EMULATOR").as_deref() != Ok("1"),
                "{test}: FCM_GUARD_PYTHON is not set; run through scripts/test.sh"
            );
            eprintln!("{test}: skipped, no Python test environment");
            None
        }
    }
}

/// The aggregated records decode with aws-kinesis-agg (PyPI), an independent implementation.
#[test]
fn aggregates_decode_with_aws_kinesis_agg() {
    let Some(python) = python_or_skip("aws-kinesis-agg cross-check") else { return };
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<String> = (0..300).map(|i| format!("agg-{i:03}")).collect();
    let input = dir.path().join(trail_key("", 0, "crosscheck000000").replace('/', "_"));
    std::fs::write(&input, trail_file(&ids, 3)).unwrap();
    let records = dir.path().join("records.ndjson");
    let st = Command::new(env!("CARGO_BIN_EXE_log-shipper"))
        .args(["ship", "--format", "records", "--output"])
        .arg(&records)
        .arg(&input)
        .status()
        .unwrap();
    assert!(st.success());
    let script = r#"
import base64, json, sys
from aws_kinesis_agg.deaggregator import iter_deaggregate_records
MAGIC = b'\xf3\x89\x9a\xc2'
recs, aggregated = [], 0
for i, line in enumerate(open(sys.argv[1])):
    r = json.loads(line)
    data = base64.b64decode(r['Data'])
    aggregated += data.startswith(MAGIC)
    recs.append({'SequenceNumber': str(i), 'PartitionKey': r['PartitionKey'], 'ApproximateArrivalTimestamp': 0, 'Data': data})
out = []
for u in iter_deaggregate_records(recs, data_format='Boto3'):
    k = u['kinesis']
    data = base64.b64decode(k['data']) if k.get('aggregated') else k['data']
    if isinstance(data, str):
        data = data.encode()
    out.append({'pk': k['partitionKey'], 'event': json.loads(data)})
json.dump({'records': len(recs), 'aggregated': aggregated, 'subs': out}, sys.stdout)
"#;
    let out = Command::new(python).arg("-c").arg(script).arg(&records).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let subs = v["subs"].as_array().unwrap();
    assert_eq!(subs.len(), 300);
    assert!(v["aggregated"].as_u64().unwrap() >= 1);
    assert!(v["records"].as_u64().unwrap() < 300 / 20, "{} records for 300 events", v["records"]);
    let got: Vec<String> = subs.iter().map(|s| s["event"]["event_id"].as_str().unwrap().to_string()).collect();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, ids);
    for s in subs {
        assert_eq!(s["pk"], s["event"]["event_id"], "partition key of each sub-record is kept");
    }
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("jane.doe@example.ca") && text.contains("[REDACTED:email]"));
}
