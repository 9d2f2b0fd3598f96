//! `log-shipper.toml`: sources, transform, sink, checkpoint, dead-letter, metrics, shutdown.
//! Environment variables override a few settings (see `cli.rs`); durations are humantime
//! strings (`200ms`, `20s`, `15m`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::filter::Filter;
use crate::local::InputFormat;
use crate::pipeline::{FileFormat, PartitionKey, SinkConfig};

fn dur<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    humantime::parse_duration(&s).map_err(|e| serde::de::Error::custom(format!("duration {s:?}: {e}")))
}

macro_rules! default_dur {
    ($name:ident, $v:expr) => {
        fn $name() -> Duration {
            $v
        }
    };
}
default_dur!(d_linger, Duration::from_millis(200));
default_dur!(d_backoff_base, Duration::from_millis(100));
default_dur!(d_backoff_cap, Duration::from_secs(5));
default_dur!(d_shard_refresh, Duration::from_secs(300));
default_dur!(d_visibility, Duration::from_secs(120));
default_dur!(d_wait, Duration::from_secs(20));
default_dur!(d_poll, Duration::from_secs(30));
default_dur!(d_overlap_s3, Duration::from_secs(15 * 60));
default_dur!(d_overlap_cw, Duration::from_secs(5 * 60));
default_dur!(d_drain, Duration::from_secs(25));
default_dur!(d_retry_delay, Duration::from_secs(30));
default_dur!(d_stream_poll, Duration::from_secs(1));

fn t() -> bool {
    true
}
fn n_in_flight() -> usize {
    4
}
fn n_attempts() -> u32 {
    8
}
fn n_agg() -> usize {
    51_200
}
fn n_record() -> usize {
    crate::batch::MAX_RECORD_BYTES
}
fn n_units() -> usize {
    8
}
fn n_msgs() -> i32 {
    10
}
fn n_stream_records() -> i32 {
    1_000
}

/// Whole configuration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where events come from.
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    /// Filters and redaction.
    #[serde(default)]
    pub transform: TransformConfig,
    /// Where events go.
    #[serde(default)]
    pub sink: SinkSection,
    /// Checkpoint store.
    #[serde(default)]
    pub checkpoint: LocationConfig,
    /// Dead-letter store.
    #[serde(default)]
    pub dead_letter: LocationConfig,
    /// HTTP endpoint for `/healthz` and `/metrics`.
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// Shutdown.
    #[serde(default)]
    pub shutdown: ShutdownConfig,
    /// AWS client settings.
    #[serde(default)]
    pub aws: AwsConfig,
}

/// A source.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceConfig {
    /// CloudTrail files announced by S3 event notifications on SQS.
    Sqs {
        /// Queue URL.
        queue_url: String,
        /// Visibility timeout set on receipt and extended while a file is processed.
        #[serde(default = "d_visibility", deserialize_with = "dur")]
        visibility_timeout: Duration,
        /// Long-poll wait (≤ 20 s).
        #[serde(default = "d_wait", deserialize_with = "dur")]
        wait_time: Duration,
        /// Messages per receive (≤ 10).
        #[serde(default = "n_msgs")]
        max_messages: i32,
        /// After a failure the message becomes visible again after this delay (its receive
        /// count grows; the queue's redrive policy moves it to the DLQ).
        #[serde(default = "d_retry_delay", deserialize_with = "dur")]
        retry_delay: Duration,
        /// Also ship CloudTrail Insights files.
        #[serde(default)]
        include_insights: bool,
        /// Concurrent receive loops.
        #[serde(default = "one")]
        workers: usize,
    },
    /// CloudTrail files listed under an S3 prefix, checkpointed.
    S3 {
        /// Bucket.
        bucket: String,
        /// Prefix, ideally down to the region: `AWSLogs/<account>/CloudTrail/<region>/`.
        #[serde(default)]
        prefix: String,
        /// List again after this long.
        #[serde(default = "d_poll", deserialize_with = "dur")]
        poll_interval: Duration,
        /// Files delivered this much later with a smaller key are still picked up.
        #[serde(default = "d_overlap_s3", deserialize_with = "dur")]
        overlap: Duration,
        /// Also ship CloudTrail Insights files.
        #[serde(default)]
        include_insights: bool,
    },
    /// CloudWatch Logs polled with FilterLogEvents, checkpointed.
    Cloudwatch {
        /// Exact log group names.
        #[serde(default)]
        log_group_names: Vec<String>,
        /// Log group name prefix (groups discovered with DescribeLogGroups).
        #[serde(default)]
        log_group_prefix: Option<String>,
        /// Poll interval.
        #[serde(default = "d_poll", deserialize_with = "dur")]
        poll_interval: Duration,
        /// Re-read this far behind the newest delivered event (late ingestion); de-duplicated.
        #[serde(default = "d_overlap_cw", deserialize_with = "dur")]
        overlap: Duration,
        /// CloudWatch Logs filter pattern.
        #[serde(default)]
        filter_pattern: Option<String>,
        /// Where a new group starts: epoch ms (default: now minus the overlap).
        #[serde(default)]
        start_time_ms: Option<i64>,
    },
    /// CloudWatch Logs subscription payloads delivered to a Kinesis data stream by a
    /// subscription filter (one gzip payload per record), checkpointed per shard.
    #[serde(rename = "cwl-subscription-stream")]
    CwlSubscriptionStream {
        /// Stream name or ARN.
        stream: String,
        /// The stream's region (default: the ARN's region, else `[aws].region` / the chain).
        #[serde(default)]
        region: Option<String>,
        /// Where a shard without a checkpoint starts.
        #[serde(default)]
        start: crate::cwlstream::StartPosition,
        /// Wait between GetRecords calls on a shard that is caught up (≥ 200ms: 5 reads/s per
        /// shard are shared by every consumer).
        #[serde(default = "d_stream_poll", deserialize_with = "dur")]
        poll_interval: Duration,
        /// Records per GetRecords (1–10,000).
        #[serde(default = "n_stream_records")]
        max_records: i32,
    },
    /// Local files and directories.
    Files {
        /// Files or directories.
        paths: Vec<PathBuf>,
        /// Format.
        #[serde(default)]
        format: InputFormat,
        /// Files processed concurrently.
        #[serde(default = "n_units")]
        concurrency: usize,
    },
}

fn one() -> usize {
    1
}

impl SourceConfig {
    /// An SQS CloudTrail source for `queue_url` with the default settings (what
    /// `LOG_SHIPPER_QUEUE_URL` adds).
    #[must_use]
    pub fn sqs(queue_url: String) -> Self {
        Self::Sqs {
            queue_url,
            visibility_timeout: d_visibility(),
            wait_time: d_wait(),
            max_messages: n_msgs(),
            retry_delay: d_retry_delay(),
            include_insights: false,
            workers: one(),
        }
    }

    /// Short name for logs.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sqs { .. } => "sqs",
            Self::S3 { .. } => "s3",
            Self::Cloudwatch { .. } => "cloudwatch",
            Self::CwlSubscriptionStream { .. } => "cwl-subscription-stream",
            Self::Files { .. } => "files",
        }
    }
}

/// Transform settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformConfig {
    /// Rule codes or names to turn off (`LS104`, `phone-number`).
    #[serde(default)]
    pub disable_rules: Vec<String>,
    /// Extra field names whose values are always redacted.
    #[serde(default)]
    pub redact_fields: Vec<String>,
    /// Rules directory overriding the embedded rules.
    #[serde(default)]
    pub rules_dir: Option<PathBuf>,
    /// Include rules.
    #[serde(default)]
    pub include: Vec<crate::filter::FilterRule>,
    /// Exclude rules.
    #[serde(default)]
    pub exclude: Vec<crate::filter::FilterRule>,
}

impl TransformConfig {
    /// The filter.
    #[must_use]
    pub fn filter(&self) -> Filter {
        Filter { include: self.include.clone(), exclude: self.exclude.clone() }
    }
}

/// Sink type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkType {
    /// Kinesis Data Streams.
    Kinesis,
    /// A local file.
    File,
    /// Standard output (default).
    #[default]
    Stdout,
}

/// `[sink]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkSection {
    /// Type.
    #[serde(default, rename = "type")]
    pub kind: SinkType,
    /// Stream name or ARN (kinesis).
    #[serde(default)]
    pub stream: Option<String>,
    /// Output path (file).
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Output format (file, stdout).
    #[serde(default)]
    pub format: FileFormat,
    /// Partition key strategy.
    #[serde(default)]
    pub partition_key: PartitionKey,
    /// KPL aggregation (kinesis; file with `format = "records"`).
    #[serde(default = "t")]
    pub aggregate: bool,
    /// Aggregate size limit.
    #[serde(default = "n_agg")]
    pub aggregate_max_bytes: usize,
    /// The stream's max record size (data + key).
    #[serde(default = "n_record")]
    pub max_record_bytes: usize,
    /// Flush partial aggregates/batches this often.
    #[serde(default = "d_linger", deserialize_with = "dur")]
    pub linger: Duration,
    /// PutRecords calls in flight.
    #[serde(default = "n_in_flight")]
    pub max_in_flight: usize,
    /// Attempts per entry before dead-lettering.
    #[serde(default = "n_attempts")]
    pub max_attempts: u32,
    /// Backoff base.
    #[serde(default = "d_backoff_base", deserialize_with = "dur")]
    pub backoff_base: Duration,
    /// Backoff cap.
    #[serde(default = "d_backoff_cap", deserialize_with = "dur")]
    pub backoff_cap: Duration,
    /// Shard map refresh.
    #[serde(default = "d_shard_refresh", deserialize_with = "dur")]
    pub shard_refresh: Duration,
}

impl Default for SinkSection {
    fn default() -> Self {
        toml::from_str("").expect("invariant: every sink field has a default")
    }
}

impl SinkSection {
    /// Sink tuning for the pipeline.
    #[must_use]
    pub fn sink_config(&self) -> SinkConfig {
        let aggregate = self.aggregate && !(self.kind != SinkType::Kinesis && self.format == FileFormat::Ndjson);
        SinkConfig {
            aggregator: crate::batch::AggregatorConfig {
                aggregate,
                max_aggregate_bytes: self.aggregate_max_bytes,
                max_record_bytes: self.max_record_bytes,
            },
            linger: self.linger,
            max_in_flight: self.max_in_flight,
            max_attempts: self.max_attempts.max(1),
            backoff_base: self.backoff_base,
            backoff_cap: self.backoff_cap,
            shard_refresh: self.shard_refresh,
        }
    }
}

/// A local path or an `s3://bucket/key` URI.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationConfig {
    /// Local path.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// `s3://bucket/key` (checkpoint object) or `s3://bucket/prefix/` (dead-letter objects).
    #[serde(default)]
    pub s3: Option<String>,
}

/// `[metrics]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Listen address, e.g. `0.0.0.0:9108`; off when unset.
    #[serde(default)]
    pub listen: Option<String>,
}

/// `[shutdown]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShutdownConfig {
    /// On SIGTERM, stop taking work and finish in-flight work within this deadline.
    #[serde(default = "d_drain", deserialize_with = "dur")]
    pub drain_timeout: Duration,
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        Self { drain_timeout: d_drain() }
    }
}

/// `[aws]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// Region.
    #[serde(default)]
    pub region: Option<String>,
    /// Profile.
    #[serde(default)]
    pub profile: Option<String>,
    /// Endpoint override (`AWS_ENDPOINT_URL` works too).
    #[serde(default)]
    pub endpoint_url: Option<String>,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Unreadable.
    #[error("config {path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// TOML or schema error, with line and column.
    #[error("config {path}: line {line} column {column}: {message}")]
    Parse {
        /// File.
        path: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// Message.
        message: String,
    },
    /// Inconsistent settings.
    #[error("config {path}: {message}")]
    Invalid {
        /// File.
        path: String,
        /// What is wrong, with the setting's path.
        message: String,
    },
}

impl Config {
    /// Parse TOML text (`path` names it in errors).
    pub fn parse(path: &str, text: &str) -> Result<Self, ConfigError> {
        let cfg: Self = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| {
                    let before = &text[..s.start.min(text.len())];
                    (before.matches('\n').count() + 1, s.start - before.rfind('\n').map_or(0, |i| i + 1) + 1)
                })
                .unwrap_or((0, 0));
            ConfigError::Parse { path: path.to_string(), line, column, message: e.message().to_string() }
        })?;
        cfg.validate(path)?;
        Ok(cfg)
    }

    /// Load a file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: p.clone(), source })?;
        Self::parse(&p, &text)
    }

    /// Cross-field checks.
    pub fn validate(&self, path: &str) -> Result<(), ConfigError> {
        let bad = |message: String| Err(ConfigError::Invalid { path: path.to_string(), message });
        if self.sink.kind == SinkType::Kinesis && self.sink.stream.is_none() {
            return bad("sink.stream is required for type = \"kinesis\" (or set LOG_SHIPPER_STREAM)".into());
        }
        if self.sink.kind == SinkType::File && self.sink.path.is_none() {
            return bad("sink.path is required for type = \"file\"".into());
        }
        if self.sink.aggregate_max_bytes > self.sink.max_record_bytes || self.sink.aggregate_max_bytes < 1024 {
            return bad("sink.aggregate_max_bytes must be between 1024 and sink.max_record_bytes".into());
        }
        for (i, s) in self.sources.iter().enumerate() {
            match s {
                SourceConfig::Sqs { wait_time, max_messages, .. }
                    if *wait_time > Duration::from_secs(20) || !(1..=10).contains(max_messages) =>
                {
                    return bad(format!("sources[{i}]: wait_time must be ≤ 20s and max_messages 1-10"));
                }
                SourceConfig::Cloudwatch { log_group_names, log_group_prefix, .. }
                    if log_group_names.is_empty() && log_group_prefix.is_none() =>
                {
                    return bad(format!("sources[{i}]: set log_group_names or log_group_prefix"));
                }
                SourceConfig::Files { paths, .. } if paths.is_empty() => {
                    return bad(format!("sources[{i}]: paths is empty"));
                }
                SourceConfig::CwlSubscriptionStream { stream, region, poll_interval, max_records, .. } => {
                    if let Err(e) = crate::cwlstream::validate_stream(stream) {
                        return bad(format!("sources[{i}] (cwl-subscription-stream): {e}"));
                    }
                    if region.as_deref().is_some_and(|r| r.is_empty() || r.contains(char::is_whitespace)) {
                        return bad(format!(
                            "sources[{i}] (cwl-subscription-stream): region {region:?} is not a region"
                        ));
                    }
                    if *poll_interval < Duration::from_millis(200) {
                        return bad(format!(
                            "sources[{i}] (cwl-subscription-stream): poll_interval must be at least 200ms (GetRecords allows 5 calls per second per shard)"
                        ));
                    }
                    if !(1..=10_000).contains(max_records) {
                        return bad(format!(
                            "sources[{i}] (cwl-subscription-stream): max_records must be 1-10000, got {max_records}"
                        ));
                    }
                }
                _ => {}
            }
        }
        if self.checkpoint.path.is_some() && self.checkpoint.s3.is_some() {
            return bad("checkpoint: set path or s3, not both".into());
        }
        Ok(())
    }
}

/// Split `s3://bucket/key` into (bucket, key).
#[must_use]
pub fn split_s3_uri(uri: &str) -> Option<(String, String)> {
    let rest = uri.strip_prefix("s3://")?;
    let (b, k) = rest.split_once('/').unwrap_or((rest, ""));
    (!b.is_empty()).then(|| (b.to_string(), k.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_example_parses() {
        let text = r#"
[[sources]]
type = "sqs"
queue_url = "https://sqs.ca-central-1.amazonaws.com/123456789012/cloudtrail"
visibility_timeout = "2m"

[[sources]]
type = "cloudwatch"
log_group_prefix = "/fcm/"
overlap = "5m"

[transform]
disable_rules = ["LS104"]
redact_fields = ["caseNote"]
[[transform.exclude]]
field = "event_name"
values = ["Describe*"]

[sink]
type = "kinesis"
stream = "security-logs"
partition_key = "account"
linger = "100ms"

[checkpoint]
s3 = "s3://bucket/log-shipper/checkpoint.json"

[dead_letter]
path = "/var/lib/log-shipper/dead-letter.ndjson"

[metrics]
listen = "0.0.0.0:9108"
"#;
        let c = Config::parse("t.toml", text).unwrap();
        assert_eq!(c.sources.len(), 2);
        assert_eq!(c.sink.linger, Duration::from_millis(100));
        assert_eq!(c.sink.partition_key, PartitionKey::Account);
        assert!(c.sink.sink_config().aggregator.aggregate);
        assert_eq!(c.transform.filter().exclude.len(), 1);
        assert!(
            matches!(&c.sources[0], SourceConfig::Sqs { visibility_timeout, .. } if *visibility_timeout == Duration::from_secs(120))
        );
    }

    #[test]
    fn errors_name_file_line_and_setting() {
        let e = Config::parse("x.toml", "[sink]\ntype = \"kinesis\"\nlinger = \"soon\"\n").unwrap_err().to_string();
        assert!(e.contains("x.toml") && e.contains("line 3"), "{e}");
        let e = Config::parse("x.toml", "[sink]\ntype = \"kinesis\"\n").unwrap_err().to_string();
        assert!(e.contains("sink.stream"), "{e}");
        let e = Config::parse("x.toml", "[[sources]]\ntype = \"cloudwatch\"\n").unwrap_err().to_string();
        assert!(e.contains("sources[0]"), "{e}");
        let e = Config::parse("x.toml", "[sink]\nbogus = 1\n").unwrap_err().to_string();
        assert!(e.contains("bogus"), "{e}");
        assert_eq!(split_s3_uri("s3://b/k/x.json"), Some(("b".into(), "k/x.json".into())));
    }

    #[test]
    fn subscription_stream_source() {
        let c = Config::parse(
            "t.toml",
            "[[sources]]\ntype = \"cwl-subscription-stream\"\nstream = \"arn:aws:kinesis:ca-west-1:123456789012:stream/cwl\"\nstart = \"latest\"\n",
        )
        .unwrap();
        match &c.sources[0] {
            SourceConfig::CwlSubscriptionStream { stream, region, start, poll_interval, max_records } => {
                assert!(stream.ends_with("stream/cwl"));
                assert_eq!(*region, None);
                assert_eq!(*start, crate::cwlstream::StartPosition::Latest);
                assert_eq!(*poll_interval, Duration::from_secs(1));
                assert_eq!(*max_records, 1000);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(c.sources[0].kind(), "cwl-subscription-stream");
        let src = |body: &str| {
            Config::parse("x.toml", &format!("[[sources]]\ntype = \"cwl-subscription-stream\"\n{body}"))
                .unwrap_err()
                .to_string()
        };
        let e = src("");
        assert!(e.contains("line 1") && e.contains("stream"), "{e}");
        let e = src("stream = \"bad name\"\n");
        assert!(e.contains("sources[0]") && e.contains("bad name"), "{e}");
        let e = src("stream = \"cwl\"\nstart = \"now\"\n");
        assert!(e.contains("x.toml") && e.contains("`now`") && e.contains("trim_horizon"), "{e}");
        let e = src("stream = \"cwl\"\nmax_records = 20000\n");
        assert!(e.contains("max_records must be 1-10000"), "{e}");
        let e = src("stream = \"cwl\"\npoll_interval = \"50ms\"\n");
        assert!(e.contains("poll_interval must be at least 200ms"), "{e}");
        let e = src("stream = \"cwl\"\nshard = \"x\"\n");
        assert!(e.contains("shard"), "{e}");
        assert_eq!(split_s3_uri("http://b"), None);
    }
}
