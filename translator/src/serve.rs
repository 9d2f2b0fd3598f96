//! `translator serve`: the online front end (axum).
//!
//! `POST /v1/inquiries` (application → inquiry), `POST /v1/cases` ({submission, result} or an
//! application → case import), `GET /healthz`, `GET /readyz`, `GET /metrics` (Prometheus text).
//! Errors are RFC 9457 problem+json: 400 parse, 409 idempotency conflict, 413 size, 415 media
//! type, 422 validation, 500 keys, 503 timeout or draining. Idempotency by `message_id`: the same
//! body again gets the same response; a different body under a used `message_id` gets 409.
//! Logs carry request id, message id, codes and pointers, never record content.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Code, FieldError, Rejection};
use crate::json::{self, Limits, Value};
use crate::translate::{Direction, Session, TranslateError, Translator};

/// Server settings.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Maximum request body (schemas §6.1: 256 KiB online).
    pub body_limit: usize,
    pub request_timeout: Duration,
    /// How long in-flight requests may take to finish after SIGTERM.
    pub drain_timeout: Duration,
    /// PEM certificate chain and private key: serve HTTPS (TLS 1.2 and 1.3 only).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Remembered `message_id`s for idempotent replays.
    pub idempotency_entries: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            body_limit: 256 << 10,
            request_timeout: Duration::from_secs(5),
            drain_timeout: Duration::from_secs(20),
            tls: None,
            idempotency_entries: 100_000,
        }
    }
}

const LATENCY_BUCKETS_MS: [f64; 10] = [0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0];

#[derive(Default)]
struct Metrics {
    counters: Mutex<HashMap<String, u64>>,
    latency_buckets: [AtomicU64; 10],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
}

impl Metrics {
    fn inc(&self, key: String) {
        if let Ok(mut c) = self.counters.lock() {
            *c.entry(key).or_default() += 1;
        }
    }

    fn observe(&self, d: Duration) {
        let ms = d.as_secs_f64() * 1000.0;
        for (i, b) in LATENCY_BUCKETS_MS.iter().enumerate() {
            if ms <= *b {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        out.push_str("# HELP translator_events_total Requests, translated records and rejections by label.\n");
        out.push_str("# TYPE translator_events_total counter\n");
        if let Ok(c) = self.counters.lock() {
            let mut keys: Vec<_> = c.iter().collect();
            keys.sort();
            for (k, v) in keys {
                let _ = writeln!(out, "translator_events_total{{{k}}} {v}");
            }
        }
        out.push_str("# HELP translator_request_duration_seconds Time to handle a translation request.\n");
        out.push_str("# TYPE translator_request_duration_seconds histogram\n");
        for (i, b) in LATENCY_BUCKETS_MS.iter().enumerate() {
            let _ = writeln!(
                out,
                "translator_request_duration_seconds_bucket{{le=\"{}\"}} {}",
                b / 1000.0,
                self.latency_buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "translator_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        #[allow(clippy::cast_precision_loss)]
        let sum = self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "translator_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "translator_request_duration_seconds_count {count}");
        out
    }
}

struct IdemEntry {
    body_hash: [u8; 32],
    status: StatusCode,
    response: Bytes,
}

#[derive(Default)]
struct Idempotency {
    map: HashMap<(bool, String), IdemEntry>,
    order: VecDeque<(bool, String)>,
}

/// Shared server state.
pub struct AppState {
    translator: Arc<Translator>,
    sessions: Mutex<Vec<Session>>,
    metrics: Metrics,
    idem: Mutex<Idempotency>,
    ready: AtomicBool,
    opts: ServeOptions,
    next_request: AtomicU64,
}

impl AppState {
    #[must_use]
    pub fn new(translator: Arc<Translator>, opts: ServeOptions) -> Arc<Self> {
        Arc::new(Self {
            translator,
            sessions: Mutex::new(Vec::new()),
            metrics: Metrics::default(),
            idem: Mutex::new(Idempotency::default()),
            ready: AtomicBool::new(true),
            opts,
            next_request: AtomicU64::new(1),
        })
    }

    /// Mark not ready (draining): `/readyz` answers 503 so load balancers stop sending.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    instance: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
}

fn problem(
    status: StatusCode,
    slug: &str,
    title: &str,
    detail: String,
    request_id: &str,
    errors: &[FieldError],
) -> Response {
    let body = Problem {
        kind: format!("https://fcm-guard.dev/problems/translator/{slug}"),
        title,
        status: status.as_u16(),
        detail,
        instance: request_id,
        errors,
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut r = (status, bytes).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    r
}

fn rejection_response(rej: &Rejection, request_id: &str) -> Response {
    let code = rej.code();
    let (status, slug) = if code == Code::RecordTooLarge {
        (StatusCode::PAYLOAD_TOO_LARGE, "too-large")
    } else if rej.is_parse_level() {
        (StatusCode::BAD_REQUEST, "parse")
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, "validation")
    };
    let detail = format!(
        "{} error(s); first: {} at {}",
        rej.errors.len(),
        code,
        rej.errors.first().map_or("", |e| e.pointer.as_str())
    );
    problem(status, slug, code.title(), detail, request_id, &rej.errors)
}

/// Build the router (tests drive it in-process).
pub fn router(state: Arc<AppState>) -> Router {
    let timeout = state.opts.request_timeout;
    Router::new()
        .route("/v1/inquiries", post(inquiries))
        .route("/v1/cases", post(cases))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn(move |req: Request, next: Next| async move {
            match tokio::time::timeout(timeout, next.run(req)).await {
                Ok(r) => r,
                Err(_) => problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    "Request timed out",
                    format!("not handled within {} ms", timeout.as_millis()),
                    "",
                    &[],
                ),
            }
        }))
        .with_state(state)
}

async fn readyz(State(s): State<Arc<AppState>>) -> Response {
    if s.ready.load(Ordering::SeqCst) {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "draining\n").into_response()
    }
}

async fn metrics(State(s): State<Arc<AppState>>) -> Response {
    let mut r = s.metrics.render().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    r
}

async fn inquiries(State(s): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    handle(&s, Direction::Inquiry, &headers, body).await
}

async fn cases(State(s): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    handle(&s, Direction::Case, &headers, body).await
}

fn is_json(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    })
}

fn message_id_of<'v>(v: &'v Value<'_>) -> Option<&'v str> {
    v.get("message_id").or_else(|| v.get("submission").and_then(|s| s.get("message_id"))).and_then(Value::as_str)
}

async fn handle(s: &Arc<AppState>, dir: Direction, headers: &HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let route = match dir {
        Direction::Inquiry => "inquiries",
        Direction::Case => "cases",
    };
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 128 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .map_or_else(|| format!("req-{:016x}", s.next_request.fetch_add(1, Ordering::Relaxed)), str::to_string);
    let resp = handle_inner(s, dir, headers, body, &request_id).await;
    let status = resp.status().as_u16();
    s.metrics.inc(format!("event=\"request\",route=\"{route}\",status=\"{status}\""));
    s.metrics.observe(started.elapsed());
    let mut resp = resp;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

async fn handle_inner(
    s: &Arc<AppState>,
    dir: Direction,
    headers: &HeaderMap,
    body: Body,
    request_id: &str,
) -> Response {
    if !is_json(headers) {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "media-type",
            "Unsupported media type",
            "send Content-Type: application/json".into(),
            request_id,
            &[],
        );
    }
    let limit = s.opts.body_limit;
    let too_large = || {
        let rej = Rejection::one(Code::RecordTooLarge, "", format!("body over {limit} bytes"));
        rejection_response(&rej, request_id)
    };
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > limit)
    {
        return too_large();
    }
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return too_large();
    };
    // one allocation for the tree of a typical record (a few KiB); grows for larger bodies
    let arena = json::Arena::with_capacity(16 << 10);
    let v = match json::parse(&bytes, Limits { max_depth: s.translator.settings.max_depth }, &arena) {
        Ok(v) => v,
        Err(e) => {
            let rej = Rejection::from(e);
            tracing::info!(message = "Request rejected.", request_id, code = %rej.code(), pointer = %rej.errors[0].pointer);
            s.metrics.inc(format!("event=\"rejected\",code=\"{}\"", rej.code()));
            return rejection_response(&rej, request_id);
        }
    };
    let body_hash: [u8; 32] = Sha256::digest(&bytes).into();
    let idem_key = message_id_of(&v).map(|m| (dir == Direction::Case, m.to_ascii_lowercase()));
    if let Some(key) = &idem_key {
        if let Ok(idem) = s.idem.lock() {
            if let Some(e) = idem.map.get(key) {
                if e.body_hash == body_hash {
                    let mut r = (e.status, e.response.clone()).into_response();
                    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    r.headers_mut().insert("idempotent-replay", HeaderValue::from_static("true"));
                    return r;
                }
                return problem(
                    StatusCode::CONFLICT,
                    "idempotency-conflict",
                    "message_id already used",
                    "this message_id was already translated with a different body".into(),
                    request_id,
                    &[],
                );
            }
        }
    }
    let mut session = s.sessions.lock().ok().and_then(|mut p| p.pop()).unwrap_or_else(|| s.translator.session());
    let outcome = session.translate_value(dir, &v);
    if let Ok(mut p) = s.sessions.lock() {
        p.push(session);
    }
    match outcome {
        Ok(out) => {
            let response = Bytes::from(out.json);
            s.metrics.inc(format!(
                "event=\"translated\",direction=\"{}\"",
                if dir == Direction::Case { "case" } else { "inquiry" }
            ));
            tracing::debug!(message = "Record translated.", request_id, message_id = %out.ids.message_id, app_ref = %out.ids.app_ref);
            if let Some(key) = idem_key {
                if let Ok(mut idem) = s.idem.lock() {
                    if idem.order.len() >= s.opts.idempotency_entries.max(1) {
                        if let Some(old) = idem.order.pop_front() {
                            idem.map.remove(&old);
                        }
                    }
                    idem.order.push_back(key.clone());
                    idem.map.insert(key, IdemEntry { body_hash, status: StatusCode::OK, response: response.clone() });
                }
            }
            let mut r = (StatusCode::OK, response).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        Err(TranslateError::Rejected(rej)) => {
            tracing::info!(
                message = "Request rejected.",
                request_id,
                code = %rej.code(),
                pointer = %rej.errors.first().map(|e| e.pointer.as_str()).unwrap_or_default(),
                errors = rej.errors.len()
            );
            for e in &rej.errors {
                s.metrics.inc(format!("event=\"rejected\",code=\"{}\"", e.code));
            }
            rejection_response(&rej, request_id)
        }
        Err(TranslateError::Crypto(e)) => {
            tracing::error!(message = "Key provider failed.", request_id, error = %e);
            s.metrics.inc("event=\"key_error\"".to_string());
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "keys",
                "Key provider failed",
                "the record could not be encrypted".into(),
                request_id,
                &[],
            )
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Serve until SIGTERM/Ctrl-C, then stop accepting, mark not ready and drain.
pub async fn serve(state: Arc<AppState>) -> anyhow::Result<()> {
    let opts = state.opts.clone();
    let app = router(state.clone());
    match &opts.tls {
        None => {
            let listener = tokio::net::TcpListener::bind(opts.listen)
                .await
                .map_err(|e| anyhow::anyhow!("binding {}: {e}", opts.listen))?;
            tracing::info!(message = "Listening.", address = %listener.local_addr()?, tls = false);
            let st = state.clone();
            let drain = opts.drain_timeout;
            let server = axum::serve(listener, app).with_graceful_shutdown(async move {
                shutdown_signal().await;
                st.set_ready(false);
                tracing::info!(message = "Draining.", timeout_s = drain.as_secs());
            });
            server.await?;
        }
        Some((cert, key)) => {
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await.map_err(|e| {
                anyhow::anyhow!("loading TLS certificate {} / key {}: {e}", cert.display(), key.display())
            })?;
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            let st = state.clone();
            let drain = opts.drain_timeout;
            tokio::spawn(async move {
                shutdown_signal().await;
                st.set_ready(false);
                tracing::info!(message = "Draining.", timeout_s = drain.as_secs());
                h.graceful_shutdown(Some(drain));
            });
            tracing::info!(message = "Listening.", address = %opts.listen, tls = true);
            axum_server::bind_rustls(opts.listen, config).handle(handle).serve(app.into_make_service()).await?;
        }
    }
    tracing::info!(message = "Stopped.");
    Ok(())
}
