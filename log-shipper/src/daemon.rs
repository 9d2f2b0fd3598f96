//! The long-running service: sources, sink, checkpoints, health and metrics, graceful drain.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt as _;
use tokio::sync::{watch, Mutex};

use crate::checkpoint::{CheckpointError, FileStore, State};
use crate::config::{Config, SinkType, SourceConfig};
use crate::local::{self, InputFormat};
use crate::metrics::Metrics;
use crate::pipeline::{
    spawn_sink, DeadLetter, FileDeadLetter, FileTransport, NoDeadLetter, Shipper, Transformer, Transport,
};
use crate::redact::{embedded_rules, Redactor};

/// Where checkpoints live.
pub enum Store {
    /// Not persisted.
    Memory,
    /// Local file.
    File(FileStore),
    /// S3 object.
    #[cfg(feature = "aws")]
    S3(crate::aws::s3::S3Store),
}

/// The checkpoint state shared by sources; every update is saved before it returns.
pub struct Checkpoints {
    store: Store,
    state: Mutex<State>,
}

impl Checkpoints {
    /// Load from the store.
    pub async fn load(store: Store) -> Result<Self, CheckpointError> {
        let state = match &store {
            Store::Memory => State::default(),
            Store::File(f) => f.load()?,
            #[cfg(feature = "aws")]
            Store::S3(s) => s.load().await?,
        };
        Ok(Self { store, state: Mutex::new(state) })
    }

    /// Read the state.
    pub async fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&*self.state.lock().await)
    }

    /// Change the state and save it durably.
    pub async fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> Result<R, CheckpointError> {
        let mut st = self.state.lock().await;
        let r = f(&mut st);
        match &self.store {
            Store::Memory => {}
            Store::File(fs) => {
                let (fs, snapshot) = (fs.clone(), st.clone());
                tokio::task::spawn_blocking(move || fs.save(&snapshot)).await.map_err(|e| CheckpointError::Io {
                    path: "checkpoint".into(),
                    source: std::io::Error::other(e.to_string()),
                })??;
            }
            #[cfg(feature = "aws")]
            Store::S3(s) => s.save(&st).await?,
        }
        Ok(r)
    }
}

/// Shared by every source task.
pub struct Context {
    /// Transform + sink.
    pub shipper: Shipper,
    /// Checkpoints.
    pub checkpoints: Checkpoints,
    /// Becomes `true` on SIGTERM: take no new work.
    pub shutdown: watch::Receiver<bool>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Redactor (for metrics).
    pub redactor: Arc<Redactor>,
    /// The dead-letter, when one is configured (sources note bad input records there).
    pub dead_letter: Option<Arc<dyn DeadLetter>>,
}

impl Context {
    /// Shutdown requested?
    #[must_use]
    pub fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Sleep, returning early (true) when shutdown is requested.
    pub async fn sleep_or_stop(&self, d: Duration) -> bool {
        let mut rx = self.shutdown.clone();
        tokio::select! {
            () = tokio::time::sleep(d) => self.stopping(),
            _ = rx.wait_for(|s| *s) => true,
        }
    }
}

/// Process local files: each file is shipped, then recorded in the checkpoint.
pub async fn run_files(ctx: Arc<Context>, paths: Vec<PathBuf>, format: InputFormat, concurrency: usize) -> bool {
    let files = local::expand(&paths);
    let results = futures::stream::iter(files)
        .map(|path| {
            let ctx = ctx.clone();
            async move {
                if ctx.stopping() {
                    return false;
                }
                let key = path.display().to_string();
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                if ctx.checkpoints.read(|s| s.files.get(&key) == Some(&size)).await {
                    tracing::debug!(file = %key, "already shipped");
                    return true;
                }
                let p = path.clone();
                let read = tokio::task::spawn_blocking(move || local::read_file(&p, format)).await;
                let (events, bad) = match read {
                    Ok(Ok(x)) => x,
                    Ok(Err(e)) => {
                        Metrics::add(&ctx.metrics.parse_errors, 1);
                        tracing::error!(error = %e, "file skipped");
                        return false;
                    }
                    Err(e) => {
                        tracing::error!(file = %key, error = %e, "reader task failed");
                        return false;
                    }
                };
                for b in &bad {
                    Metrics::add(&ctx.metrics.parse_errors, 1);
                    tracing::warn!(file = %b.path, line = b.line, error = %b.message, "line skipped: not JSON");
                }
                let n = events.len();
                let outcome = ctx.shipper.ship(events).await;
                if !outcome.complete() {
                    tracing::error!(file = %key, failed = outcome.failed, "file not fully delivered; not checkpointed");
                    return false;
                }
                if let Err(e) = ctx.checkpoints.update(|s| s.files.insert(key.clone(), size)).await {
                    tracing::error!(error = %e, "checkpoint not saved");
                    return false;
                }
                tracing::info!(file = %key, events = n, dead_lettered = outcome.dead_lettered, "file shipped");
                bad.is_empty() && outcome.dead_lettered == 0
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<bool>>()
        .await;
    results.into_iter().all(|ok| ok)
}

async fn serve_metrics(addr: String, ctx: Arc<Context>) -> anyhow::Result<()> {
    use axum::http::StatusCode;
    use axum::routing::get;
    let c1 = ctx.clone();
    let app = axum::Router::new()
        .route(
            "/healthz",
            get(move || {
                let ctx = c1.clone();
                async move {
                    if ctx.metrics.draining.load(Ordering::Relaxed) {
                        (StatusCode::SERVICE_UNAVAILABLE, "draining\n")
                    } else {
                        (StatusCode::OK, "ok\n")
                    }
                }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let ctx = ctx.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        ctx.metrics.render(&ctx.redactor.hits()),
                    )
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind(&addr).await.with_context(|| format!("binding metrics on {addr}"))?;
    tracing::info!(addr = %listener.local_addr()?, "serving /healthz and /metrics");
    axum::serve(listener, app).await?;
    Ok(())
}

/// Build the redactor from config.
pub fn redactor(cfg: &Config) -> anyhow::Result<Redactor> {
    let rules = match &cfg.transform.rules_dir {
        Some(d) => common::rules::RuleSet::load_dir(d)?,
        None => embedded_rules()?,
    };
    Ok(Redactor::new(&rules, &cfg.transform.disable_rules, &cfg.transform.redact_fields)?)
}

/// Run the service until the sources finish or SIGTERM/SIGINT; returns whether everything read
/// was delivered.
pub async fn run(cfg: Config) -> anyhow::Result<bool> {
    #[cfg(feature = "aws")]
    let sdk = if needs_aws(&cfg) { Some(crate::aws::sdk_config(&cfg.aws).await) } else { None };
    let metrics = Arc::new(Metrics::default());
    let redactor = Arc::new(redactor(&cfg)?);

    let store = match (&cfg.checkpoint.path, &cfg.checkpoint.s3) {
        (Some(p), _) => Store::File(FileStore::new(p)),
        #[cfg(feature = "aws")]
        (None, Some(uri)) => Store::S3(crate::aws::s3::S3Store::new(sdk.as_ref().context("aws config")?, uri)?),
        #[cfg(not(feature = "aws"))]
        (None, Some(_)) => anyhow::bail!("checkpoint.s3 needs the `aws` feature"),
        (None, None) => Store::Memory,
    };
    let checkpoints = Checkpoints::load(store).await?;

    let dl: Arc<dyn DeadLetter> = match (&cfg.dead_letter.path, &cfg.dead_letter.s3) {
        (Some(p), _) => Arc::new(FileDeadLetter::open(p).with_context(|| format!("dead-letter {}", p.display()))?),
        #[cfg(feature = "aws")]
        (None, Some(uri)) => Arc::new(crate::aws::s3::S3DeadLetter::new(sdk.as_ref().context("aws config")?, uri)?),
        #[cfg(not(feature = "aws"))]
        (None, Some(_)) => anyhow::bail!("dead_letter.s3 needs the `aws` feature"),
        (None, None) => Arc::new(NoDeadLetter),
    };

    let parts = Parts { cfg: cfg.clone(), metrics, redactor, checkpoints, dl };
    match cfg.sink.kind {
        SinkType::Kinesis => {
            #[cfg(feature = "aws")]
            {
                let stream = cfg.sink.stream.clone().context("sink.stream")?;
                let t = crate::aws::kinesis::KinesisTransport::new(sdk.as_ref().context("aws config")?, &stream);
                run_with(Arc::new(t), parts, sdk).await
            }
            #[cfg(not(feature = "aws"))]
            anyhow::bail!("the kinesis sink needs the `aws` feature")
        }
        SinkType::File => {
            let p = cfg.sink.path.clone().context("sink.path")?;
            let t = FileTransport::file(&p, cfg.sink.format).with_context(|| format!("sink file {}", p.display()))?;
            #[cfg(feature = "aws")]
            return run_with(Arc::new(t), parts, sdk).await;
            #[cfg(not(feature = "aws"))]
            return run_with(Arc::new(t), parts).await;
        }
        SinkType::Stdout => {
            let t = FileTransport::stdout(cfg.sink.format);
            #[cfg(feature = "aws")]
            return run_with(Arc::new(t), parts, sdk).await;
            #[cfg(not(feature = "aws"))]
            return run_with(Arc::new(t), parts).await;
        }
    }
}

#[cfg(feature = "aws")]
fn needs_aws(cfg: &Config) -> bool {
    cfg.sink.kind == SinkType::Kinesis
        || cfg.checkpoint.s3.is_some()
        || cfg.dead_letter.s3.is_some()
        || cfg.sources.iter().any(|s| !matches!(s, SourceConfig::Files { .. }))
}

struct Parts {
    cfg: Config,
    metrics: Arc<Metrics>,
    redactor: Arc<Redactor>,
    checkpoints: Checkpoints,
    dl: Arc<dyn DeadLetter>,
}

async fn run_with<T: Transport>(
    transport: Arc<T>,
    parts: Parts,
    #[cfg(feature = "aws")] sdk: Option<aws_config::SdkConfig>,
) -> anyhow::Result<bool> {
    let Parts { cfg, metrics, redactor, checkpoints, dl } = parts;
    let dead_letter_configured = cfg.dead_letter.path.is_some() || cfg.dead_letter.s3.is_some();
    let map =
        transport.shard_map().await.map_err(|e| anyhow::anyhow!("reading the shard map: {}: {}", e.code, e.message))?;
    tracing::info!(shards = map.len(), "sink ready");
    let (sink, sink_task) = spawn_sink(transport, cfg.sink.sink_config(), dl.clone(), metrics.clone(), map);
    let (stop_tx, stop_rx) = watch::channel(false);
    let transformer = Transformer {
        filter: cfg.transform.filter(),
        redactor: redactor.clone(),
        partition_key: cfg.sink.partition_key.clone(),
    };
    let ctx = Arc::new(Context {
        shipper: Shipper { transformer, sink, metrics: metrics.clone() },
        checkpoints,
        shutdown: stop_rx,
        metrics: metrics.clone(),
        redactor,
        dead_letter: dead_letter_configured.then_some(dl),
    });

    let metrics_task = cfg.metrics.listen.clone().map(|addr| {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            if let Err(e) = serve_metrics(addr, ctx).await {
                tracing::error!(error = %e, "metrics endpoint failed");
            }
        })
    });

    let mut sources = tokio::task::JoinSet::new();
    for (i, s) in cfg.sources.iter().cloned().enumerate() {
        let ctx = ctx.clone();
        tracing::info!(index = i, kind = s.kind(), "starting source");
        match s {
            SourceConfig::Files { paths, format, concurrency } => {
                sources.spawn(async move { run_files(ctx, paths, format, concurrency).await });
            }
            #[cfg(feature = "aws")]
            other => {
                let sdk = sdk.clone().context("aws config")?;
                sources.spawn(async move { crate::aws::run_source(ctx, &sdk, other).await });
            }
            #[cfg(not(feature = "aws"))]
            other => anyhow::bail!("source type {} needs the `aws` feature", other.kind()),
        }
    }

    let mut all_ok = true;
    let signalled = tokio::select! {
        () = async { while let Some(r) = sources.join_next().await { all_ok &= r.unwrap_or(false); } } => false,
        () = shutdown_signal() => true,
    };
    if signalled {
        tracing::info!(deadline = ?cfg.shutdown.drain_timeout, "shutdown requested: draining");
        metrics.draining.store(true, Ordering::Relaxed);
        let _ = stop_tx.send(true);
        let deadline = tokio::time::Instant::now() + cfg.shutdown.drain_timeout;
        let drained = tokio::time::timeout_at(deadline, async {
            while let Some(r) = sources.join_next().await {
                all_ok &= r.unwrap_or(false);
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!("drain deadline passed; unacknowledged work will be redelivered");
            sources.abort_all();
            all_ok = false;
        }
        if let Some(t) = &metrics_task {
            t.abort();
        }
        drop(ctx);
        if tokio::time::timeout_at(deadline + Duration::from_secs(1), sink_task).await.is_err() {
            tracing::warn!("sink did not flush before the deadline");
        }
    } else {
        if let Some(t) = &metrics_task {
            t.abort();
        }
        drop(ctx);
        let _ = sink_task.await;
    }
    tracing::info!(
        events_in = metrics.events_in.load(Ordering::Relaxed),
        events_out = metrics.events_out.load(Ordering::Relaxed),
        dead_letters = metrics.dead_letters.load(Ordering::Relaxed),
        records_out = metrics.records_out.load(Ordering::Relaxed),
        put_calls = metrics.put_calls.load(Ordering::Relaxed),
        retries = metrics.retries.load(Ordering::Relaxed),
        "stopped"
    );
    Ok(all_ok)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
