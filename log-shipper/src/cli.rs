//! Command line: `run` (the service), `ship` (offline one-shot), `deaggregate`, `rules`,
//! `check-config`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use base64::Engine as _;
use clap::{Parser, Subcommand};
use common::telemetry::{self, LogFormat};
use common::ExitStatus;

use crate::config::{Config, SinkType, SourceConfig};
use crate::local::InputFormat;
use crate::pipeline::{FileFormat, PartitionKey};

/// Ship CloudTrail and CloudWatch Logs to Kinesis: PII redacted, KPL-aggregated per shard,
/// at least once, nothing lost across crashes.
///
/// Offline (the default when no AWS source is configured):
///   log-shipper ship ./trail-files/ > events.ndjson
///
/// As a service (ECS):
///   log-shipper run --config /etc/log-shipper.toml
///
/// Exit codes: 0 everything delivered; 1 some input was skipped (unreadable files,
/// unparseable lines) or dead-lettered; 2 error (bad config, AWS failure at startup).
#[derive(Debug, Parser)]
#[command(name = "log-shipper", version, verbatim_doc_comment)]
pub struct Cli {
    /// More logs (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Fewer logs.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub quiet: u8,
    /// Log format on stderr (json for ECS).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true, env = "LOG_SHIPPER_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service from a config file until SIGTERM (or until file sources are done).
    Run(RunArgs),
    /// Ship local files once (CloudTrail .json.gz, NDJSON, subscription payloads) to stdout or a file.
    Ship(ShipArgs),
    /// Decode a `--format records` file (or KPL records) back into one envelope per line.
    Deaggregate {
        /// File with one `{"PartitionKey":…,"Data":<base64>}` per line.
        path: PathBuf,
    },
    /// List the redaction rules.
    Rules {
        /// Show one rule's documentation.
        code: Option<String>,
    },
    /// Validate a config file and print the effective settings.
    CheckConfig {
        /// Config file (default: log-shipper.toml upward from the working directory).
        #[arg(long, env = "LOG_SHIPPER_CONFIG")]
        config: Option<PathBuf>,
    },
}

/// `run` options; each overrides the config file and has an environment variable.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Config file (default: log-shipper.toml upward from the working directory).
    #[arg(long, env = "LOG_SHIPPER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Kinesis stream name or ARN (sets sink.type = kinesis).
    #[arg(long, env = "LOG_SHIPPER_STREAM")]
    pub stream: Option<String>,
    /// SQS queue of the trail bucket's S3 notifications: adds an SQS CloudTrail source with the
    /// default settings (unless a source for that queue is configured already).
    #[arg(long, env = "LOG_SHIPPER_QUEUE_URL")]
    pub queue_url: Option<String>,
    /// Checkpoint file.
    #[arg(long, env = "LOG_SHIPPER_CHECKPOINT")]
    pub checkpoint: Option<PathBuf>,
    /// Dead-letter file.
    #[arg(long, env = "LOG_SHIPPER_DEAD_LETTER")]
    pub dead_letter: Option<PathBuf>,
    /// Address for /healthz and /metrics.
    #[arg(long, env = "LOG_SHIPPER_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
}

/// `ship` options.
#[derive(Debug, clap::Args)]
pub struct ShipArgs {
    /// Files or directories.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output file (default: stdout).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Output: `ndjson` envelopes, or `records` (PutRecords entries with KPL aggregates).
    #[arg(long, value_enum, default_value_t = FileFormat::Ndjson)]
    pub format: FileFormat,
    /// Input format.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
    /// Config file for [transform] (rules, filters, redact_fields) and [sink] tuning.
    #[arg(long, env = "LOG_SHIPPER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Checkpoint file: files already shipped are skipped.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Dead-letter file for events too large to ship.
    #[arg(long)]
    pub dead_letter: Option<PathBuf>,
    /// Files processed concurrently.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Partition key strategy (records format).
    #[arg(long, value_parser = parse_pk)]
    pub partition_key: Option<PartitionKey>,
}

fn parse_pk(s: &str) -> Result<PartitionKey, String> {
    serde_json::from_value(serde_json::Value::String(s.into()))
        .map_err(|_| "expected event_id, account, source, stream or random".to_string())
}

fn load_config(explicit: Option<&std::path::Path>) -> anyhow::Result<Config> {
    match common::config::resolve(explicit, "log-shipper") {
        Some(p) => Ok(Config::load(&p)?),
        None => Ok(Config::default()),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}

/// The effective `run` configuration: the config file (or the defaults when there is none) with
/// the command-line options and their environment variables applied on top.
#[must_use]
pub fn run_config(mut cfg: Config, a: RunArgs) -> Config {
    if let Some(s) = a.stream {
        cfg.sink.kind = SinkType::Kinesis;
        cfg.sink.stream = Some(s);
    }
    if let Some(c) = a.checkpoint {
        cfg.checkpoint.path = Some(c);
        cfg.checkpoint.s3 = None;
    }
    if let Some(d) = a.dead_letter {
        cfg.dead_letter.path = Some(d);
    }
    if let Some(m) = a.metrics_listen {
        cfg.metrics.listen = Some(m);
    }
    if let Some(url) = a.queue_url.filter(|u| !u.trim().is_empty()) {
        let known = cfg.sources.iter().any(|s| matches!(s, SourceConfig::Sqs { queue_url, .. } if *queue_url == url));
        if !known {
            cfg.sources.push(SourceConfig::sqs(url));
        }
    }
    cfg
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    telemetry::init(cli.log_format, telemetry::level(cli.verbose.max(1), cli.quiet));
    match cli.command {
        Command::Run(a) => {
            let cfg = run_config(load_config(a.config.as_deref())?, a);
            cfg.validate("(command line)")?;
            if cfg.sources.is_empty() {
                anyhow::bail!(
                    "no [[sources]] configured (and no LOG_SHIPPER_QUEUE_URL); see `log-shipper run --help` and the README"
                );
            }
            let ok = runtime()?.block_on(crate::daemon::run(cfg))?;
            Ok(if ok { ExitStatus::Clean } else { ExitStatus::Findings })
        }
        Command::Ship(a) => {
            let mut cfg = load_config(a.config.as_deref())?;
            cfg.sources =
                vec![SourceConfig::Files { paths: a.paths, format: a.input_format, concurrency: a.concurrency }];
            cfg.sink.kind = if a.output.is_some() { SinkType::File } else { SinkType::Stdout };
            cfg.sink.path = a.output;
            cfg.sink.format = a.format;
            if let Some(pk) = a.partition_key {
                cfg.sink.partition_key = pk;
            }
            cfg.checkpoint.path = a.checkpoint;
            cfg.checkpoint.s3 = None;
            if a.dead_letter.is_some() {
                cfg.dead_letter.path = a.dead_letter;
            }
            cfg.metrics.listen = None;
            // One-shot: nothing waits for more input, so flush partial batches quickly.
            cfg.sink.linger = cfg.sink.linger.min(std::time::Duration::from_millis(20));
            let ok = runtime()?.block_on(crate::daemon::run(cfg))?;
            Ok(if ok { ExitStatus::Clean } else { ExitStatus::Findings })
        }
        Command::Deaggregate { path } => deaggregate(&path),
        Command::Rules { code } => {
            let rules = crate::redact::embedded_rules()?;
            let mut out = std::io::stdout().lock();
            match code {
                Some(c) => {
                    let r = rules.get(&c).with_context(|| format!("no rule {c}"))?;
                    writeln!(out, "{}", r.help_text())?;
                }
                None => {
                    for r in rules.rules() {
                        writeln!(out, "{}  {:<24} {}", r.code, r.name, r.summary)?;
                    }
                }
            }
            Ok(ExitStatus::Clean)
        }
        Command::CheckConfig { config } => {
            let p = common::config::resolve(config.as_deref(), "log-shipper")
                .context("no config file: pass --config or create log-shipper.toml")?;
            let cfg = Config::load(&p)?;
            crate::daemon::redactor(&cfg)?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}: ok ({} sources, sink {:?})", p.display(), cfg.sources.len(), cfg.sink.kind)?;
            Ok(ExitStatus::Clean)
        }
    }
}

#[derive(serde::Deserialize)]
struct RecordLine {
    #[serde(rename = "Data")]
    data: String,
}

fn deaggregate(path: &std::path::Path) -> anyhow::Result<ExitStatus> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut status = ExitStatus::Clean;
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let rec: Result<RecordLine, _> = serde_json::from_str(line);
        let data = rec
            .map_err(|e| e.to_string())
            .and_then(|r| base64::engine::general_purpose::STANDARD.decode(r.data).map_err(|e| e.to_string()));
        let data = match data {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(file = %path.display(), line = i + 1, pointer = "/Data", error = %e, "bad record line");
                status = ExitStatus::Findings;
                continue;
            }
        };
        match crate::kpl::decode(&data) {
            Ok(Some(subs)) => {
                for s in subs {
                    out.write_all(&s.data)?;
                    out.write_all(b"\n")?;
                }
            }
            Ok(None) => {
                out.write_all(&data)?;
                out.write_all(b"\n")?;
            }
            Err(e) => {
                tracing::error!(file = %path.display(), line = i + 1, error = %e, "bad aggregate");
                status = ExitStatus::Findings;
            }
        }
    }
    out.flush()?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(argv: &[&str]) -> RunArgs {
        let mut full = vec!["log-shipper", "run"];
        full.extend_from_slice(argv);
        match Cli::try_parse_from(full).unwrap().command {
            Command::Run(a) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn stream_and_queue_url_make_a_config_without_a_file() {
        let cfg = run_config(
            Config::default(),
            args(&["--stream", "security-logs", "--queue-url", "https://sqs.ca-central-1.amazonaws.com/1/q"]),
        );
        cfg.validate("(command line)").unwrap();
        assert_eq!(cfg.sink.kind, SinkType::Kinesis);
        assert_eq!(cfg.sink.stream.as_deref(), Some("security-logs"));
        assert_eq!(cfg.sources.len(), 1);
        assert!(matches!(&cfg.sources[0], SourceConfig::Sqs { queue_url, max_messages: 10, workers: 1, .. }
            if queue_url == "https://sqs.ca-central-1.amazonaws.com/1/q"));
    }

    #[test]
    fn queue_url_is_added_once_next_to_configured_sources() {
        let file = Config::parse(
            "t.toml",
            "[[sources]]\ntype = \"sqs\"\nqueue_url = \"https://q/a\"\nworkers = 3\n\n[[sources]]\ntype = \"files\"\npaths = [\"/x\"]\n",
        )
        .unwrap();
        let same = run_config(file.clone(), args(&["--queue-url", "https://q/a"]));
        assert_eq!(same.sources.len(), 2, "the configured source for that queue is kept as it is");
        assert!(matches!(&same.sources[0], SourceConfig::Sqs { workers: 3, .. }));
        let other = run_config(file, args(&["--queue-url", "https://q/b"]));
        assert_eq!(other.sources.len(), 3);
        assert_eq!(run_config(Config::default(), args(&["--queue-url", " "])).sources.len(), 0);
    }
}
