//! Command line: `translator keygen | translate | batch | serve | decrypt | codes`.

use std::io::{IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use common::exit::ExitStatus;
use common::telemetry::LogFormat;
use serde::Deserialize;

use crate::batch::{self, BatchOptions, InputFormat, Shard};
use crate::crypto::{self, KeyProvider, LocalKeyProvider};
use crate::csvmap::CsvMapping;
use crate::deadletter;
use crate::error::Code;
use crate::kms::{self, KmsProvider};
use crate::s3io;
use crate::serve::{self, AppState, ServeOptions};
use crate::translate::{self, Direction, Settings, TranslateError, Translator};

const AFTER_HELP: &str = "\
Exit codes: 0 every record translated; 1 some records rejected (dead-lettered, or the single
record of `translate`); 2 the job could not run (bad arguments, keys, I/O, AWS).

Keys: `--keys FILE` (local key file from `translator keygen`, NOT FOR PRODUCTION) or
`--kms-key-id ID --token-keys FILE` (AWS KMS). Settings may also come from translator.toml
(found upward from the working directory, or --config).

Examples:
  translator keygen --out dev-keys.json
  translator translate --keys dev-keys.json --to inquiry application.json
  translator batch --keys dev-keys.json --to case -i apps.ndjson -o cases.ndjson
  translator batch --kms-key-id alias/translator --token-keys tokens.json \\
      -i s3://in/apps.ndjson -o s3://out/cases.ndjson --shard 0/4
  translator serve --keys dev-keys.json --listen 0.0.0.0:8080
  translator decrypt --keys dev-keys.json --case cases.ndjson";

#[derive(Parser, Debug)]
#[command(name = "translator", version, about = "Translate fraud applications between the consortium and the case-management UI: validate, normalise, tokenise identifiers, encrypt PII.", after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Configuration file (default: translator.toml found upward from the working directory).
    #[arg(long, global = true, env = "TRANSLATOR_CONFIG")]
    pub config: Option<PathBuf>,
    /// More logging (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less logging.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "TRANSLATOR_LOG_FORMAT")]
    pub log_format: LogFormat,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create keys: a local key file (development only), or with --kms-key-id a file of
    /// KMS-encrypted tokenisation keys.
    Keygen(KeygenArgs),
    /// Translate one record (a JSON file or stdin) and print the result.
    Translate(TranslateArgs),
    /// Translate NDJSON or CSV from a file or s3:// URL, writing outputs and dead letters.
    Batch(BatchArgs),
    /// Run the HTTP service.
    Serve(ServeArgs),
    /// Decrypt value_enc fields of case imports, or dead-letter payloads (authorised users only).
    Decrypt(DecryptArgs),
    /// List rejection and warning codes.
    Codes,
}

#[derive(Args, Debug, Clone, Default)]
pub struct KeyArgs {
    /// Local key file (from `translator keygen`). Not for production.
    #[arg(long, env = "TRANSLATOR_KEYS")]
    pub keys: Option<PathBuf>,
    /// KMS key (id, ARN or alias) for data keys; selects the KMS provider.
    #[arg(long, env = "TRANSLATOR_KMS_KEY_ID")]
    pub kms_key_id: Option<String>,
    /// File of KMS-encrypted tokenisation keys (from `translator keygen --kms-key-id`).
    #[arg(long, env = "TRANSLATOR_TOKEN_KEYS")]
    pub token_keys: Option<PathBuf>,
    /// AWS region (default: the SDK chain, else ca-central-1).
    #[arg(long)]
    pub region: Option<String>,
    /// AWS profile.
    #[arg(long)]
    pub profile: Option<String>,
    /// Encryptions under one data key before a new one is generated.
    #[arg(long)]
    pub data_key_uses: Option<u32>,
}

#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// Where to write the key file (refuses to overwrite).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Tokenisation key id(s); give two for a rotation (active first).
    #[arg(long, default_values_t = vec!["ck-dev-01".to_string()])]
    pub kid: Vec<String>,
    /// Name of a local master key.
    #[arg(long, default_value = "dev")]
    pub name: String,
    /// Create KMS-encrypted tokenisation keys under this KMS key instead of a local key file.
    #[arg(long)]
    pub kms_key_id: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub profile: Option<String>,
}

#[derive(Args, Debug)]
pub struct TranslateArgs {
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Output: inquiry (to the consortium) or case (case-UI import).
    #[arg(long, value_enum, default_value_t = Direction::Case)]
    pub to: Direction,
    /// Input file (`-` or absent: stdin).
    pub input: Option<PathBuf>,
    /// Pretty-print the output.
    #[arg(long)]
    pub pretty: bool,
}

#[derive(Args, Debug)]
pub struct BatchArgs {
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Output: inquiry or case.
    #[arg(long, value_enum, default_value_t = Direction::Case)]
    pub to: Direction,
    /// Input: a file, `-` (stdin) or s3://bucket/key.
    #[arg(long, short)]
    pub input: String,
    /// Output: a file, `-` (stdout) or s3://bucket/key (multipart upload, SSE-KMS).
    #[arg(long, short)]
    pub output: String,
    /// Dead-letter output (default: <output>.dead-letter.ndjson).
    #[arg(long)]
    pub dead_letter: Option<String>,
    /// Input format.
    #[arg(long, value_enum, default_value_t = InputFormat::Ndjson)]
    pub format: InputFormat,
    /// Column mapping for CSV input (TOML).
    #[arg(long)]
    pub csv_mapping: Option<PathBuf>,
    /// Handle only records with index % N == I (for N parallel tasks).
    #[arg(long, default_value = "0/1")]
    pub shard: Shard,
    /// Worker threads (default: available cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Longest accepted line in bytes; longer lines are dead-lettered without being held.
    #[arg(long, default_value_t = batch::DEFAULT_MAX_LINE)]
    pub max_line_bytes: usize,
    /// Batch id recorded in dead letters.
    #[arg(long)]
    pub batch_id: Option<String>,
    /// Write the summary JSON here as well as to stdout (stderr when the output is stdout).
    #[arg(long)]
    pub summary: Option<PathBuf>,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// KMS key for S3 server-side encryption of outputs (default: the bucket's default key).
    #[arg(long)]
    pub sse_kms_key_id: Option<String>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Address to listen on.
    #[arg(long, env = "TRANSLATOR_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// PEM certificate chain: serve HTTPS (TLS 1.2+ only). Needs --tls-key.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Maximum request body in bytes.
    #[arg(long, default_value_t = 256 << 10)]
    pub body_limit: usize,
    /// Request timeout, e.g. 5s.
    #[arg(long, default_value = "5s", value_parser = humantime_duration)]
    pub timeout: Duration,
    /// Time allowed for in-flight requests after SIGTERM.
    #[arg(long, default_value = "20s", value_parser = humantime_duration)]
    pub drain_timeout: Duration,
    /// Worker threads of the runtime (default: available cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

fn humantime_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num.parse().map_err(|_| format!("{s:?}: expected e.g. 500ms, 5s, 1m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" | "" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("{s:?}: expected e.g. 500ms, 5s, 1m")),
    }
}

#[derive(Args, Debug)]
pub struct DecryptArgs {
    #[command(flatten)]
    pub keys: KeyArgs,
    /// NDJSON of case imports: print every value_enc decrypted, with its pointer.
    #[arg(long, conflicts_with_all = ["dead_letter", "value"])]
    pub case: Option<PathBuf>,
    /// NDJSON of dead-letter records: print each payload decrypted.
    #[arg(long, conflicts_with = "value")]
    pub dead_letter: Option<PathBuf>,
    /// One value_enc; needs --member, --app-ref and --pointer (its place in the case import).
    #[arg(long, requires_all = ["member", "app_ref", "pointer"])]
    pub value: Option<String>,
    #[arg(long)]
    pub member: Option<String>,
    #[arg(long)]
    pub app_ref: Option<String>,
    #[arg(long)]
    pub pointer: Option<String>,
}

/// `translator.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub keys: Option<PathBuf>,
    pub kms_key_id: Option<String>,
    pub token_keys: Option<PathBuf>,
    pub region: Option<String>,
    pub data_key_uses: Option<u32>,
    pub retention_policy: Option<String>,
    pub retention_review_days: Option<i32>,
    pub listen: Option<SocketAddr>,
}

fn load_config(explicit: Option<&Path>) -> Result<Config> {
    let Some(path) = common::config::resolve(explicit, "translator") else { return Ok(Config::default()) };
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn aws_options(region: Option<String>, profile: Option<String>) -> common::aws::AwsOptions {
    common::aws::AwsOptions { region, profile, ..Default::default() }
}

/// Build the key provider from arguments and config.
pub fn provider(k: &KeyArgs, cfg: &Config) -> Result<Arc<dyn KeyProvider>> {
    let kms_key = k.kms_key_id.clone().or_else(|| cfg.kms_key_id.clone());
    if let Some(kms_key) = kms_key {
        let token_file = k
            .token_keys
            .clone()
            .or_else(|| cfg.token_keys.clone())
            .context("--kms-key-id needs --token-keys FILE (create it with `translator keygen --kms-key-id`)")?;
        let opts = aws_options(k.region.clone().or_else(|| cfg.region.clone()), k.profile.clone());
        let p = KmsProvider::connect(&opts, &kms_key, &token_file).context("starting the KMS key provider")?;
        return Ok(Arc::new(p));
    }
    let path = k.keys.clone().or_else(|| cfg.keys.clone()).context(
        "no keys: give --keys FILE (create one with `translator keygen --out FILE`) or --kms-key-id with --token-keys",
    )?;
    let p = LocalKeyProvider::load(&path)?;
    tracing::warn!(message = "Using a local key file; not for production.", key_id = %p.key_id());
    Ok(Arc::new(p))
}

fn settings(k: &KeyArgs, cfg: &Config) -> Settings {
    let mut s = Settings::default();
    if let Some(u) = k.data_key_uses.or(cfg.data_key_uses) {
        s.data_key_uses = u;
    }
    if let Some(p) = &cfg.retention_policy {
        s.retention_policy.clone_from(p);
    }
    if let Some(d) = cfg.retention_review_days {
        s.retention_review_days = d;
    }
    s
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    common::telemetry::init(cli.log_format, common::telemetry::level(cli.verbose, cli.quiet));
    let cfg = load_config(cli.config.as_deref())?;
    match cli.command {
        Command::Keygen(a) => keygen(&a),
        Command::Translate(a) => translate_one(&a, &cfg),
        Command::Batch(a) => run_batch(&a, &cfg),
        Command::Serve(a) => run_serve(a, &cfg),
        Command::Decrypt(a) => decrypt(&a, &cfg),
        Command::Codes => {
            let mut out = std::io::stdout().lock();
            for c in Code::ALL {
                writeln!(out, "{:<28} {}", c.as_str(), c.title())?;
            }
            Ok(ExitStatus::Clean)
        }
    }
}

fn keygen(a: &KeygenArgs) -> Result<ExitStatus> {
    if a.out.exists() {
        bail!("{} already exists; refusing to overwrite keys", a.out.display());
    }
    if a.kid.len() > 2 {
        bail!("give one --kid, or two during a rotation");
    }
    let text = if let Some(kms_key) = &a.kms_key_id {
        let tf = kms::create_token_key_file(&aws_options(a.region.clone(), a.profile.clone()), kms_key, &a.kid)?;
        serde_json::to_string_pretty(&tf)?
    } else {
        let mut kf = crypto::generate_key_file(&a.name, &a.kid[0]);
        if let Some(second) = a.kid.get(1) {
            let extra = crypto::generate_key_file(&a.name, second);
            kf.token_keys.extend(extra.token_keys);
        }
        serde_json::to_string_pretty(&kf)?
    };
    write_private(&a.out, text.as_bytes())?;
    eprintln_safe(&format!("wrote {}", a.out.display()));
    Ok(ExitStatus::Clean)
}

fn eprintln_safe(s: &str) {
    let _ = writeln!(std::io::stderr(), "{s}");
}

/// Create a file readable by the owner only.
fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path).with_context(|| format!("creating {}", path.display()))?;
    f.write_all(data)?;
    Ok(())
}

fn read_input(path: Option<&Path>) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    match path {
        None => {
            std::io::stdin().lock().read_to_end(&mut buf)?;
        }
        Some(p) if p == Path::new("-") => {
            std::io::stdin().lock().read_to_end(&mut buf)?;
        }
        Some(p) => {
            buf = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        }
    }
    Ok(buf)
}

fn translate_one(a: &TranslateArgs, cfg: &Config) -> Result<ExitStatus> {
    let input = read_input(a.input.as_deref())?;
    let provider = provider(&a.keys, cfg)?;
    let tr = Translator::new(provider, settings(&a.keys, cfg));
    let mut session = tr.session();
    let mut out = std::io::stdout().lock();
    let name = a.input.as_ref().map_or_else(|| "stdin".to_string(), |p| p.display().to_string());
    match session.translate(a.to, &input) {
        Ok(o) => {
            if a.pretty {
                let v: serde_json::Value = serde_json::from_slice(&o.json)?;
                serde_json::to_writer_pretty(&mut out, &v)?;
            } else {
                out.write_all(&o.json)?;
            }
            writeln!(out)?;
            Ok(ExitStatus::Clean)
        }
        Err(TranslateError::Rejected(rej)) => {
            for e in &rej.errors {
                eprintln_safe(&format!(
                    "{name}: {} at {}: {}",
                    e.code,
                    if e.pointer.is_empty() { "/" } else { &e.pointer },
                    e.message
                ));
            }
            serde_json::to_writer(&mut out, &serde_json::json!({ "input": name, "errors": rej.errors }))?;
            writeln!(out)?;
            Ok(ExitStatus::Findings)
        }
        Err(TranslateError::Crypto(e)) => Err(e.into()),
    }
}

enum Sink {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    /// A regular file: written under a temporary name, renamed into place when complete.
    File {
        w: std::io::BufWriter<std::fs::File>,
        tmp: PathBuf,
        dest: PathBuf,
    },
    /// A device, pipe or socket (`/dev/null`, a FIFO): written in place, never replaced.
    Special(std::io::BufWriter<std::fs::File>),
    S3(s3io::S3Writer),
}

/// An existing path that is neither a regular file nor a directory (a device, pipe or socket):
/// output goes into it directly, since renaming a file over it would replace it.
fn is_special(path: &str) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

impl Sink {
    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Stdout(mut w) => w.flush(),
            Sink::Special(mut w) => w.flush(),
            Sink::File { w, tmp, dest } => {
                let f = w.into_inner().map_err(std::io::IntoInnerError::into_error)?;
                f.sync_all()?;
                std::fs::rename(&tmp, &dest)
            }
            Sink::S3(w) => w.finish(),
        }
    }

    fn abandon(self) {
        if let Sink::File { tmp, .. } = &self {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Stdout(w) => w.write(b),
            Sink::File { w, .. } | Sink::Special(w) => w.write(b),
            Sink::S3(w) => w.write(b),
        }
    }
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Stdout(w) => w.write_all(b),
            Sink::File { w, .. } | Sink::Special(w) => w.write_all(b),
            Sink::S3(w) => w.write_all(b),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Stdout(w) => w.flush(),
            Sink::File { w, .. } | Sink::Special(w) => w.flush(),
            Sink::S3(_) => Ok(()),
        }
    }
}

struct S3Ctx {
    rt: tokio::runtime::Runtime,
    client: aws_sdk_s3::Client,
}

fn s3_ctx(k: &KeyArgs, cfg: &Config) -> Result<S3Ctx> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let opts = aws_options(k.region.clone().or_else(|| cfg.region.clone()), k.profile.clone());
    let sdk = rt.block_on(common::aws::load(&opts));
    let mut b = aws_sdk_s3::config::Builder::from(&sdk);
    if std::env::var_os("AWS_ENDPOINT_URL").is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some() {
        b = b.force_path_style(true);
    }
    Ok(S3Ctx { rt, client: aws_sdk_s3::Client::from_conf(b.build()) })
}

/// Buffer of file and stdout sinks. Batch writes whole chunks (hundreds of KiB), which a
/// buffer smaller than a chunk passes straight to the file instead of copying them in first.
const SINK_BUFFER: usize = 64 << 10;

fn open_sink(target: &str, s3: Option<&S3Ctx>, sse: Option<&String>) -> Result<Sink> {
    if target == "-" {
        return Ok(Sink::Stdout(std::io::BufWriter::with_capacity(SINK_BUFFER, std::io::stdout())));
    }
    if let Some((bucket, key)) = s3io::parse_url(target) {
        let s3 = s3.context("S3 client not initialised")?;
        return Ok(Sink::S3(s3io::S3Writer::new(
            s3.rt.handle().clone(),
            s3.client.clone(),
            &bucket,
            &key,
            sse.cloned(),
        )));
    }
    if is_special(target) {
        let f = std::fs::OpenOptions::new().write(true).open(target).with_context(|| format!("opening {target}"))?;
        return Ok(Sink::Special(std::io::BufWriter::with_capacity(SINK_BUFFER, f)));
    }
    let dest = PathBuf::from(target);
    let tmp = PathBuf::from(format!("{target}.partial-{}", std::process::id()));
    let f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    Ok(Sink::File { w: std::io::BufWriter::with_capacity(SINK_BUFFER, f), tmp, dest })
}

#[allow(clippy::too_many_lines)]
fn run_batch(a: &BatchArgs, cfg: &Config) -> Result<ExitStatus> {
    let dead_letter = match &a.dead_letter {
        Some(d) => d.clone(),
        None if a.output == "-" => bail!("--dead-letter is required when the output is stdout"),
        None if is_special(&a.output) => {
            bail!("--dead-letter is required when the output is not a regular file (a device or a pipe)")
        }
        None => format!("{}.dead-letter.ndjson", a.output),
    };
    if dead_letter == a.output && !is_special(&dead_letter) {
        bail!("--dead-letter must differ from --output");
    }
    let csv_mapping = match (&a.format, &a.csv_mapping) {
        (InputFormat::Csv, Some(p)) => Some(CsvMapping::load(p).map_err(anyhow::Error::msg)?),
        (InputFormat::Csv, None) => bail!("CSV input needs --csv-mapping FILE"),
        _ => None,
    };
    let needs_s3 = [a.input.as_str(), a.output.as_str(), dead_letter.as_str()].iter().any(|s| s.starts_with("s3://"));
    let s3 = if needs_s3 { Some(s3_ctx(&a.keys, cfg)?) } else { None };
    let provider = provider(&a.keys, cfg)?;
    let tr = Translator::new(provider, settings(&a.keys, cfg));

    let (input, total_len): (Box<dyn Read + Send>, Option<u64>) = if a.input == "-" {
        (Box::new(std::io::stdin()), None)
    } else if let Some((bucket, key)) = s3io::parse_url(&a.input) {
        let s3 = s3.as_ref().context("S3 client")?;
        let r = s3io::S3Reader::open(s3.rt.handle(), &s3.client, &bucket, &key)?;
        (Box::new(r), None)
    } else {
        let f = std::fs::File::open(&a.input).with_context(|| format!("opening {}", a.input))?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(f), len)
    };
    let mut out = open_sink(&a.output, s3.as_ref(), a.sse_kms_key_id.as_ref())?;
    let mut dl = match open_sink(&dead_letter, s3.as_ref(), a.sse_kms_key_id.as_ref()) {
        Ok(d) => d,
        Err(e) => {
            out.abandon();
            return Err(e);
        }
    };
    let show_progress = !a.no_progress && std::io::stderr().is_terminal();
    let bar = show_progress.then(|| {
        let pb = total_len.map_or_else(indicatif::ProgressBar::new_spinner, indicatif::ProgressBar::new);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    });
    let progress: Option<batch::Progress> =
        bar.clone().map(|pb| Box::new(move |n: u64| pb.set_position(n)) as batch::Progress);
    let opts = BatchOptions {
        direction: a.to,
        format: a.format,
        max_line: a.max_line_bytes,
        workers: a.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZero::get)),
        shard: a.shard,
        chunk_records: 256,
        source_name: a.input.clone(),
        batch_id: a.batch_id.clone(),
    };
    tracing::info!(message = "Batch started.", input = %a.input, output = %a.output, shard = %format!("{}/{}", a.shard.index, a.shard.count));
    let result = batch::run(&tr, &opts, input, csv_mapping.as_ref(), &mut out, &mut dl, progress);
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            out.abandon();
            dl.abandon();
            return Err(anyhow::Error::new(e).context("batch failed; no output was committed"));
        }
    };
    out.finish().with_context(|| format!("committing {}", a.output))?;
    dl.finish().with_context(|| format!("committing {dead_letter}"))?;
    let text = serde_json::to_string(&summary)?;
    if a.output == "-" {
        eprintln_safe(&text);
    } else {
        let mut o = std::io::stdout().lock();
        writeln!(o, "{text}")?;
    }
    if let Some(p) = &a.summary {
        std::fs::write(p, format!("{text}\n")).with_context(|| format!("writing {}", p.display()))?;
    }
    tracing::info!(
        message = "Batch finished.",
        translated = summary.translated,
        dead_lettered = summary.dead_lettered,
        elapsed_ms = summary.elapsed_ms
    );
    Ok(if summary.dead_lettered > 0 { ExitStatus::Findings } else { ExitStatus::Clean })
}

fn run_serve(a: ServeArgs, cfg: &Config) -> Result<ExitStatus> {
    let provider = provider(&a.keys, cfg)?;
    let tr = Translator::new(provider, settings(&a.keys, cfg));
    let opts = ServeOptions {
        listen: a.listen.or(cfg.listen).unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
        body_limit: a.body_limit,
        request_timeout: a.timeout,
        drain_timeout: a.drain_timeout,
        tls: a.tls_cert.zip(a.tls_key),
        ..ServeOptions::default()
    };
    if opts.tls.is_some() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(t) = a.threads {
        rt.worker_threads(t.max(1));
    }
    let rt = rt.enable_all().build()?;
    let state = AppState::new(tr, opts);
    rt.block_on(serve::serve(state))?;
    Ok(ExitStatus::Clean)
}

fn decrypt(a: &DecryptArgs, cfg: &Config) -> Result<ExitStatus> {
    let provider = provider(&a.keys, cfg)?;
    let mut out = std::io::stdout().lock();
    let mut status = ExitStatus::Clean;
    if let Some(v) = &a.value {
        let aad = crypto::field_aad(
            a.member.as_deref().unwrap_or(""),
            a.app_ref.as_deref().unwrap_or(""),
            a.pointer.as_deref().unwrap_or(""),
        );
        let pt = crypto::decrypt(provider.as_ref(), v, &aad)?;
        out.write_all(&pt)?;
        writeln!(out)?;
        return Ok(status);
    }
    if let Some(path) = &a.case {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let v: serde_json::Value =
                serde_json::from_str(line).with_context(|| format!("{}:{}: not JSON", path.display(), i + 1))?;
            let (member, app_ref) = v
                .pointer("/case/external_ref")
                .and_then(serde_json::Value::as_str)
                .and_then(|r| r.split_once('/'))
                .with_context(|| format!("{}:{}: no /case/external_ref", path.display(), i + 1))?;
            for (ptr, enc) in translate::find_value_enc(&v) {
                let aad = crypto::field_aad(member, app_ref, &ptr);
                let rec = match crypto::decrypt(provider.as_ref(), &enc, &aad) {
                    Ok(pt) => {
                        serde_json::json!({"line": i + 1, "import_id": v["import_id"], "pointer": ptr, "value": String::from_utf8_lossy(&pt)})
                    }
                    Err(e) => {
                        status = ExitStatus::Findings;
                        serde_json::json!({"line": i + 1, "import_id": v["import_id"], "pointer": ptr, "error": e.to_string()})
                    }
                };
                serde_json::to_writer(&mut out, &rec)?;
                writeln!(out)?;
            }
        }
        return Ok(status);
    }
    if let Some(path) = &a.dead_letter {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let v: serde_json::Value =
                serde_json::from_str(line).with_context(|| format!("{}:{}: not JSON", path.display(), i + 1))?;
            let hash = v["input_sha256"].as_str().unwrap_or_default();
            let enc = v["input_enc"].as_str().unwrap_or_default();
            let rec = match crypto::decrypt(provider.as_ref(), enc, &deadletter::aad(hash)) {
                Ok(pt) => match std::str::from_utf8(&pt) {
                    Ok(s) => serde_json::json!({"line": i + 1, "source": v["source"], "input": s}),
                    Err(_) => {
                        use base64::Engine as _;
                        serde_json::json!({"line": i + 1, "source": v["source"], "input_base64": base64::engine::general_purpose::STANDARD.encode(&pt[..])})
                    }
                },
                Err(e) => {
                    status = ExitStatus::Findings;
                    serde_json::json!({"line": i + 1, "source": v["source"], "error": e.to_string()})
                }
            };
            serde_json::to_writer(&mut out, &rec)?;
            writeln!(out)?;
        }
        return Ok(status);
    }
    bail!("give --case FILE, --dead-letter FILE or --value VALUE_ENC")
}
