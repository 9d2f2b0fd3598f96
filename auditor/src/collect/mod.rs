//! Live collection: the AWS SDK for Rust reads the audited accounts into an [`Inventory`].
//!
//! # Entry point
//!
//! ```no_run
//! # async fn demo() {
//! use auditor::collect::{collect, CollectOptions};
//! let opts = CollectOptions {
//!     regions: vec!["ca-central-1".into(), "ca-west-1".into()],
//!     ..CollectOptions::default()
//! };
//! let inventory = collect(&opts).await;
//! for e in &inventory.collection_errors {
//!     eprintln!("not collected: {} {} in {:?}: {}", e.service, e.operation, e.region, e.code);
//! }
//! # }
//! ```
//!
//! `pub async fn collect(opts: &CollectOptions) -> Inventory` never fails: whatever could not be
//! read becomes a [`CollectionError`] in the inventory (and the affected attributes are
//! [`Fact::Unknown`]), so the caller reports a `collection-error` finding and exits 2 while the
//! rest of the audit goes on.
//!
//! * **Accounts**: the caller's own account, or — when `assume_roles` is not empty — each account
//!   reached by assuming one of those roles (the caller's own account is then not audited).
//!   Accounts are collected concurrently.
//! * **Fail fast**: each account starts with STS `GetCallerIdentity` (two attempts at most).
//!   An unreachable endpoint, bad credentials or a role that cannot be assumed stop that account
//!   at once with one `collection_errors` entry naming the cause; nothing hangs (connect timeout
//!   3 s, per-attempt and per-operation timeouts from [`common::aws::load`]).
//! * **Services**: IAM and S3 once per account (S3 buckets of *every* region are listed, so data
//!   residency sees them all; each bucket is then read through a client of its own region); KMS,
//!   CloudTrail, CloudWatch Logs and Kinesis once per region in `regions`. Multi-region trails are
//!   reported once (shadow copies removed by ARN).
//! * **Concurrency**: services, regions and accounts run concurrently; at most `concurrency` API
//!   requests are in flight for the whole run (a semaphore), and per-resource work is streamed
//!   with `buffer_unordered`, so memory stays bounded by the size of the inventory itself.
//! * **Request-rate cap**: `max_rps` caps the requests per second sent to one service (process
//!   wide, across accounts and regions; a token bucket with a tenth of a second of burst). Each
//!   page of a paginated call counts as a request. Throttling that still happens is retried by
//!   the SDK's adaptive retry mode.
//! * **Pagination**: every list call goes through the SDK paginator; a page error is recorded,
//!   never skipped silently.
//! * **Emulators**: with an endpoint override (`endpoint_url` or `AWS_ENDPOINT_URL`) S3 uses
//!   path-style addressing, and the account-level S3 Block Public Access (S3 Control, whose
//!   endpoint prefixes the account id to the host) is recorded as
//!   [`UnknownReason::Unsupported`] instead of being called.
//!
//! At the end one log line per service (`Collection requests.`) gives the requests sent, the rate
//! over the whole run and over the service's active window (first to latest request), and the cap.

mod cloudtrail;
mod iam;
mod kinesis;
mod kms;
pub mod limit;
mod logs;
mod s3;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use common::aws::{AwsOptions, ErrorClass};
use tokio::sync::Semaphore;

use crate::inventory::{Account, CollectionError, Fact, Inventory, Source, SourceKind, UnknownReason};

use limit::Pacer;
pub use limit::Service;

/// The default audited regions when none are given.
pub const DEFAULT_REGIONS: [&str; 2] = ["ca-central-1", "ca-west-1"];

/// How to collect.
#[derive(Clone, Debug)]
pub struct CollectOptions {
    /// Regions to audit for regional services (KMS, CloudTrail, Logs, Kinesis). Empty means
    /// [`DEFAULT_REGIONS`]. S3 buckets are listed in every region regardless.
    pub regions: Vec<String>,
    /// Roles to assume, one per audited account (`--assume-role`, repeatable). Empty: the
    /// caller's own account.
    pub assume_roles: Vec<String>,
    /// Named profile (`--profile`).
    pub profile: Option<String>,
    /// Endpoint override (`--endpoint-url`); `AWS_ENDPOINT_URL` is honoured too.
    pub endpoint_url: Option<String>,
    /// Maximum API requests in flight for the whole run (default 16, at least 1).
    pub concurrency: usize,
    /// Requests-per-second cap per service; services absent from the map are not capped.
    pub max_rps: BTreeMap<Service, f64>,
    /// Per-operation timeout including retries (default 30 s).
    pub operation_timeout: Option<Duration>,
    /// Maximum attempts per API call, including the first (default 5).
    pub max_attempts: Option<u32>,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            regions: Vec::new(),
            assume_roles: Vec::new(),
            profile: None,
            endpoint_url: None,
            concurrency: 16,
            max_rps: BTreeMap::new(),
            operation_timeout: None,
            max_attempts: None,
        }
    }
}

impl CollectOptions {
    /// The regions to audit (the configured ones, or [`DEFAULT_REGIONS`]), deduplicated, in order.
    #[must_use]
    pub fn effective_regions(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let list: Vec<String> = if self.regions.is_empty() {
            DEFAULT_REGIONS.iter().map(ToString::to_string).collect()
        } else {
            self.regions.clone()
        };
        list.into_iter().filter(|r| seen.insert(r.clone())).collect()
    }
}

/// The SDK clients for one account and region.
#[derive(Clone, Debug)]
pub struct Clients {
    /// S3 (path-style when an endpoint override is set).
    pub s3: aws_sdk_s3::Client,
    /// S3 Control for the account-level Block Public Access; `None` where it cannot be reached
    /// (emulators).
    pub s3control: Option<aws_sdk_s3control::Client>,
    /// KMS.
    pub kms: aws_sdk_kms::Client,
    /// IAM (global; used from the first region only).
    pub iam: aws_sdk_iam::Client,
    /// STS (used from the first region only).
    pub sts: aws_sdk_sts::Client,
    /// CloudTrail.
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    /// CloudWatch Logs.
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// Kinesis.
    pub kinesis: aws_sdk_kinesis::Client,
}

impl Clients {
    /// Clients for `region` from a loaded SDK config.
    #[must_use]
    pub fn from_sdk_config(cfg: &SdkConfig, region: &str) -> Clients {
        let cfg = common::aws::with_region(cfg, region);
        let emulated = cfg.endpoint_url().is_some();
        let s3conf = aws_sdk_s3::config::Builder::from(&cfg).force_path_style(emulated).build();
        // Fail fast on the identity preflight: two attempts, not the run's five.
        let stsconf =
            aws_sdk_sts::config::Builder::from(&cfg).retry_config(RetryConfig::standard().with_max_attempts(2)).build();
        Clients {
            s3: aws_sdk_s3::Client::from_conf(s3conf),
            s3control: (!emulated).then(|| aws_sdk_s3control::Client::new(&cfg)),
            kms: aws_sdk_kms::Client::new(&cfg),
            iam: aws_sdk_iam::Client::new(&cfg),
            sts: aws_sdk_sts::Client::from_conf(stsconf),
            cloudtrail: aws_sdk_cloudtrail::Client::new(&cfg),
            logs: aws_sdk_cloudwatchlogs::Client::new(&cfg),
            kinesis: aws_sdk_kinesis::Client::new(&cfg),
        }
    }
}

/// Makes (and caches) the [`Clients`] of one account per region.
pub struct ClientFactory {
    make: Box<dyn Fn(&str) -> Clients + Send + Sync>,
    cache: Mutex<HashMap<String, Clients>>,
}

impl std::fmt::Debug for ClientFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientFactory").finish_non_exhaustive()
    }
}

impl ClientFactory {
    /// A factory from a function of the region (tests pass mocked clients here).
    pub fn new(make: impl Fn(&str) -> Clients + Send + Sync + 'static) -> Self {
        ClientFactory { make: Box::new(make), cache: Mutex::new(HashMap::new()) }
    }

    /// A factory over a loaded SDK config.
    #[must_use]
    pub fn from_sdk_config(cfg: SdkConfig) -> Self {
        ClientFactory::new(move |region| Clients::from_sdk_config(&cfg, region))
    }

    /// The clients for `region`.
    pub fn get(&self, region: &str) -> Clients {
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.entry(region.to_string()).or_insert_with(|| (self.make)(region)).clone()
    }
}

/// Shared state of one collection run: the request semaphore and the per-service pacer.
#[derive(Debug)]
pub(crate) struct Run {
    permits: Semaphore,
    pacer: Arc<Pacer>,
    concurrency: usize,
}

impl Run {
    fn new(opts: &CollectOptions) -> Run {
        let concurrency = opts.concurrency.max(1);
        Run { permits: Semaphore::new(concurrency), pacer: Pacer::new(&opts.max_rps), concurrency }
    }

    /// Send one request (or fetch one page): wait for a slot and for the service's rate cap.
    pub(crate) async fn send<T>(&self, service: Service, request: impl Future<Output = T>) -> T {
        let _permit = self.permits.acquire().await.ok();
        self.pacer.request(service).await;
        request.await
    }

    /// How many resources to work on at once inside one service.
    pub(crate) fn fan_out(&self) -> usize {
        self.concurrency
    }
}

/// Where a collector is working, for error entries.
#[derive(Clone, Debug)]
pub(crate) struct Scope {
    pub(crate) service: Service,
    pub(crate) account: String,
    pub(crate) region: Option<String>,
}

impl Scope {
    pub(crate) fn new(service: Service, account: &str, region: Option<&str>) -> Scope {
        Scope { service, account: account.to_string(), region: region.map(ToString::to_string) }
    }

    /// Record a failed call and return the reason to put into the affected [`Fact`].
    pub(crate) fn fail<E, R>(
        &self,
        errors: &mut Vec<CollectionError>,
        operation: &str,
        resource: Option<&str>,
        err: &SdkError<E, R>,
    ) -> UnknownReason
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let class = common::aws::classify(err);
        let code = error_code(err);
        tracing::warn!(
            message = "API call failed.",
            service = self.service.as_str(),
            operation,
            region = self.region.as_deref().unwrap_or("global"),
            code = %code,
        );
        errors.push(CollectionError {
            service: self.service.as_str().to_string(),
            region: self.region.clone(),
            account: Some(self.account.clone()).filter(|a| !a.is_empty()),
            operation: operation.to_string(),
            resource: resource.map(ToString::to_string),
            code,
            message: common::aws::describe(err),
        });
        match class {
            ErrorClass::AccessDenied => UnknownReason::AccessDenied,
            _ => UnknownReason::Error,
        }
    }
}

/// The AWS error code, or a name for a transport-level failure.
pub(crate) fn error_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> String {
    match err {
        SdkError::ServiceError(se) => se.err().code().unwrap_or("Unknown").to_string(),
        SdkError::TimeoutError(_) => "Timeout".to_string(),
        SdkError::DispatchFailure(_) => "DispatchFailure".to_string(),
        SdkError::ResponseError(_) => "ResponseError".to_string(),
        SdkError::ConstructionFailure(_) => "ConstructionFailure".to_string(),
        _ => "Unknown".to_string(),
    }
}

/// Whether the error is a service error with one of `codes` (the "not configured" answers).
pub(crate) fn is_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>, codes: &[&str]) -> bool {
    err.as_service_error().and_then(ProvideErrorMetadata::code).is_some_and(|c| codes.contains(&c))
}

/// Decode an IAM policy document: URL-decoded when it is URL-encoded (starts with `%`), then
/// parsed as JSON; text that does not parse is kept as a JSON string.
pub(crate) fn policy_document(raw: &str) -> serde_json::Value {
    let trimmed = raw.trim_start();
    let text = if trimmed.starts_with('%') {
        percent_encoding::percent_decode_str(trimmed).decode_utf8_lossy().into_owned()
    } else {
        raw.to_string()
    };
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

/// Tags from key/value pairs.
pub(crate) fn tags<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> crate::inventory::Tags {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Collect every account of `opts` into one inventory. See the module docs.
pub async fn collect(opts: &CollectOptions) -> Inventory {
    let started = Instant::now();
    let run = Run::new(opts);
    let regions = opts.effective_regions();
    let base = common::aws::load(&AwsOptions {
        profile: opts.profile.clone(),
        region: regions.first().cloned(),
        endpoint_url: opts.endpoint_url.clone(),
        max_attempts: opts.max_attempts,
        operation_timeout: opts.operation_timeout,
    })
    .await;
    let targets: Vec<Option<&String>> =
        if opts.assume_roles.is_empty() { vec![None] } else { opts.assume_roles.iter().map(Some).collect() };
    let parts = futures::future::join_all(targets.into_iter().map(|role| {
        let base = &base;
        let run = &run;
        let regions = &regions;
        async move {
            let cfg = match role {
                Some(arn) => common::aws::assume_role(base, arn, "fcm-guard-auditor").await,
                None => base.clone(),
            };
            let factory = ClientFactory::from_sdk_config(cfg);
            collect_account(run, &factory, role.map(String::as_str), regions).await
        }
    }))
    .await;
    let inv = finish(parts, &regions);
    log_stats(&run, started.elapsed());
    inv
}

/// Collect one account through `factory` (the caller's own account, no role). This is what
/// [`collect`] does per account; tests use it with mocked clients.
pub async fn collect_with(factory: &ClientFactory, opts: &CollectOptions) -> Inventory {
    let started = Instant::now();
    let run = Run::new(opts);
    let regions = opts.effective_regions();
    let part = collect_account(&run, factory, None, &regions).await;
    let inv = finish(vec![part], &regions);
    log_stats(&run, started.elapsed());
    inv
}

async fn collect_account(run: &Run, factory: &ClientFactory, role: Option<&str>, regions: &[String]) -> Inventory {
    let mut inv = Inventory::default();
    let home = regions.first().map_or("ca-central-1", String::as_str);
    let home_clients = factory.get(home);

    // Preflight: who are we? Fails fast on an unreachable endpoint or bad credentials.
    let identity = run.send(Service::Sts, home_clients.sts.get_caller_identity().send()).await;
    let account_id = match identity {
        Ok(out) => out.account().unwrap_or_default().to_string(),
        Err(err) => {
            let scope = Scope::new(Service::Sts, "", Some(home));
            scope.fail(&mut inv.collection_errors, "GetCallerIdentity", role, &err);
            if let Some(e) = inv.collection_errors.last_mut() {
                e.message = format!(
                    "cannot start collection{}: {} (check the endpoint, network and credentials)",
                    role.map(|r| format!(" in the account of role {r}")).unwrap_or_default(),
                    e.message
                );
            }
            return inv;
        }
    };
    tracing::info!(message = "Collecting account.", account = %account_id, regions = regions.len());

    let account_pab = s3::account_public_access_block(run, &home_clients, &account_id);
    let iam = iam::collect(run, &home_clients.iam, &account_id);
    let buckets = s3::collect(run, factory, &account_id);
    let regional = futures::future::join_all(regions.iter().map(|region| {
        let clients = factory.get(region);
        let account_id = account_id.as_str();
        async move {
            let (k, t, l, s) = tokio::join!(
                kms::collect(run, &clients.kms, account_id, region),
                cloudtrail::describe(run, &clients.cloudtrail, account_id, region),
                logs::collect(run, &clients.logs, account_id, region),
                kinesis::collect(run, &clients.kinesis, account_id, region),
            );
            (k, t, l, s)
        }
    }));
    let ((pab, mut pab_errors), iam_part, s3_part, regional) = tokio::join!(account_pab, iam, buckets, regional);

    inv.collection_errors.append(&mut pab_errors);
    inv.accounts.push(Account {
        id: account_id.clone(),
        regions: regions.to_vec(),
        role_arn: role.map(ToString::to_string),
        s3_public_access_block: pab,
    });
    merge(&mut inv, iam_part);
    merge(&mut inv, s3_part);
    let mut described = Vec::new();
    for (k, t, l, s) in regional {
        merge(&mut inv, k);
        merge(&mut inv, l);
        merge(&mut inv, s);
        described.push(t);
    }
    // One entry per trail ARN, then status and tags from the trail's home region.
    let trails = cloudtrail::finish(run, factory, &account_id, described).await;
    merge(&mut inv, trails);
    inv
}

/// Append the resources and errors of `part` to `inv`.
fn merge(inv: &mut Inventory, part: Inventory) {
    inv.buckets.extend(part.buckets);
    inv.kms_keys.extend(part.kms_keys);
    inv.trails.extend(part.trails);
    inv.log_groups.extend(part.log_groups);
    inv.kinesis_streams.extend(part.kinesis_streams);
    inv.iam_roles.extend(part.iam_roles);
    inv.accounts.extend(part.accounts);
    inv.collection_errors.extend(part.collection_errors);
}

/// Merge the accounts, fill cross-resource facts, and sort everything for stable output.
fn finish(parts: Vec<Inventory>, regions: &[String]) -> Inventory {
    let mut inv = Inventory {
        source: Source {
            kind: SourceKind::Live,
            file: None,
            collected_at: Some(jiff::Timestamp::now().round(jiff::Unit::Second).unwrap_or_default().to_string()),
        },
        regions: regions.to_vec(),
        ..Inventory::default()
    };
    for p in parts {
        merge(&mut inv, p);
    }
    s3::fill_replication_regions(&mut inv.buckets);
    inv.accounts.sort_by(|a, b| a.id.cmp(&b.id));
    inv.buckets.sort_by(|a, b| (&a.account, &a.name).cmp(&(&b.account, &b.name)));
    inv.kms_keys.sort_by(|a, b| (&a.account, &a.region, &a.id).cmp(&(&b.account, &b.region, &b.id)));
    inv.trails.sort_by(|a, b| (&a.account, &a.home_region, &a.name).cmp(&(&b.account, &b.home_region, &b.name)));
    inv.log_groups.sort_by(|a, b| (&a.account, &a.region, &a.name).cmp(&(&b.account, &b.region, &b.name)));
    inv.kinesis_streams.sort_by(|a, b| (&a.account, &a.region, &a.name).cmp(&(&b.account, &b.region, &b.name)));
    inv.iam_roles.sort_by(|a, b| (&a.account, &a.name).cmp(&(&b.account, &b.name)));
    inv.collection_errors.sort_by(|a, b| {
        (&a.account, &a.service, &a.region, &a.operation, &a.resource).cmp(&(
            &b.account,
            &b.service,
            &b.region,
            &b.operation,
            &b.resource,
        ))
    });
    inv
}

fn log_stats(run: &Run, elapsed: Duration) {
    let secs = elapsed.as_secs_f64().max(f64::EPSILON);
    for service in Service::ALL {
        let requests = run.pacer.count(service);
        if requests == 0 {
            continue;
        }
        #[allow(clippy::cast_precision_loss)]
        let rate = requests as f64 / secs;
        tracing::info!(
            message = "Collection requests.",
            service = service.as_str(),
            requests,
            seconds = format!("{secs:.2}"),
            rate_per_s = format!("{rate:.1}"),
            active_rate_per_s = run.pacer.active_rate(service).map_or_else(|| "-".to_string(), |r| format!("{r:.1}")),
            cap_per_s = run.pacer.cap(service).map_or_else(|| "none".to_string(), |c| format!("{c}")),
        );
    }
}

/// A known value, or the unknown reason of a failed call (recording the error).
pub(crate) fn fact_or<T, E, R>(
    scope: &Scope,
    errors: &mut Vec<CollectionError>,
    operation: &str,
    resource: &str,
    result: Result<T, SdkError<E, R>>,
) -> Fact<T>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(v) => Fact::Known(v),
        Err(err) => Fact::Unknown(scope.fail(errors, operation, Some(resource), &err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_policy_documents() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(policy_document(encoded), serde_json::json!({"Version": "2012-10-17", "Statement": []}));
        // AWS-managed documents may come back plain; a `%` inside a value must not be decoded.
        let plain = r#"{"Statement":[{"Sid":"100%25","Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        assert_eq!(policy_document(plain)["Statement"][0]["Sid"], "100%25");
        assert_eq!(policy_document("{not json"), serde_json::Value::String("{not json".into()));
    }

    #[test]
    fn default_regions_and_dedup() {
        assert_eq!(CollectOptions::default().effective_regions(), vec!["ca-central-1", "ca-west-1"]);
        let o = CollectOptions {
            regions: vec!["us-east-1".into(), "ca-central-1".into(), "us-east-1".into()],
            ..CollectOptions::default()
        };
        assert_eq!(o.effective_regions(), vec!["us-east-1", "ca-central-1"]);
    }
}
