//! S3: reading CloudTrail objects, the S3-prefix source, and checkpoints and dead-letters in S3.

use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use futures::future::BoxFuture;
use futures::StreamExt as _;

use crate::batch::UnitOutcome;
use crate::checkpoint::{CheckpointError, State};
use crate::cloudtrail::{classify_key, parse_file, KeyKind};
use crate::config::split_s3_uri;
use crate::daemon::Context;
use crate::metrics::Metrics;
use crate::pipeline::DeadLetter;

/// An S3 client with path-style addressing (works with every endpoint).
#[must_use]
pub fn client(sdk: &SdkConfig) -> Client {
    Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build())
}

/// Should this key be shipped?
#[must_use]
pub fn wanted(key: &str, include_insights: bool) -> bool {
    match classify_key(key) {
        KeyKind::Log => true,
        KeyKind::Insight => include_insights,
        KeyKind::Digest | KeyKind::Other => false,
    }
}

/// Fetch a CloudTrail object and ship every event; the outcome says whether all were settled.
pub async fn ship_object(ctx: &Context, s3: &Client, bucket: &str, key: &str) -> Result<UnitOutcome, String> {
    let obj = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| format!("GetObject s3://{bucket}/{key}: {}", common::aws::describe(&e)))?;
    let bytes = obj.body.collect().await.map_err(|e| format!("reading s3://{bucket}/{key}: {e}"))?.into_bytes();
    let events = tokio::task::spawn_blocking(move || parse_file(&bytes))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("s3://{bucket}/{key}: {e}"))?;
    let n = events.len();
    let outcome = ctx.shipper.ship(events).await;
    tracing::info!(
        bucket,
        key,
        events = n,
        accepted = outcome.accepted,
        dead_lettered = outcome.dead_lettered,
        failed = outcome.failed,
        "object shipped"
    );
    Ok(outcome)
}

/// CloudTrail files listed under a prefix; progress kept in the checkpoint.
pub struct PrefixSource {
    /// Client.
    pub s3: Client,
    /// Bucket.
    pub bucket: String,
    /// Prefix.
    pub prefix: String,
    /// List again after this long.
    pub poll_interval: Duration,
    /// Late-file window.
    pub overlap: Duration,
    /// Ship Insights files too.
    pub include_insights: bool,
}

impl PrefixSource {
    fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    async fn list(&self, start_after: Option<String>) -> Result<Vec<String>, String> {
        let mut keys = Vec::new();
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&self.prefix)
            .set_start_after(start_after)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| format!("ListObjectsV2 {}: {}", self.uri(), common::aws::describe(&e)))?;
            keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        }
        Ok(keys)
    }

    /// Run until shutdown.
    pub async fn run(self, ctx: Arc<Context>) -> bool {
        let uri = self.uri();
        let overlap_min = i64::try_from(self.overlap.as_secs() / 60).unwrap_or(i64::MAX);
        loop {
            if ctx.stopping() {
                return true;
            }
            let state = ctx.checkpoints.read(|s| s.s3.get(&uri).cloned().unwrap_or_default()).await;
            match self.list(state.watermark.clone()).await {
                Err(e) => tracing::warn!(error = %e, "listing failed; retrying next poll"),
                Ok(keys) => {
                    let todo: Vec<String> =
                        keys.into_iter().filter(|k| wanted(k, self.include_insights) && !state.done(k)).collect();
                    let mut results = futures::stream::iter(todo)
                        .map(|key| {
                            let ctx = ctx.clone();
                            let s3 = self.s3.clone();
                            let bucket = self.bucket.clone();
                            async move {
                                if ctx.stopping() {
                                    return (key, Err("stopping".to_string()));
                                }
                                let r = ship_object(&ctx, &s3, &bucket, &key).await;
                                (key, r)
                            }
                        })
                        .buffered(4);
                    while let Some((key, r)) = results.next().await {
                        match r {
                            Ok(o) if o.complete() => {
                                let saved = ctx
                                    .checkpoints
                                    .update(|s| s.s3.entry(uri.clone()).or_default().complete(&key, overlap_min))
                                    .await;
                                if let Err(e) = saved {
                                    tracing::error!(error = %e, "checkpoint not saved");
                                }
                            }
                            Ok(_) => tracing::warn!(key, "object not fully delivered; retrying next poll"),
                            Err(e) if e == "stopping" => {}
                            Err(e) => {
                                Metrics::add(&ctx.metrics.parse_errors, 1);
                                tracing::warn!(error = %e, "object failed; retrying next poll");
                            }
                        }
                    }
                }
            }
            if ctx.sleep_or_stop(self.poll_interval).await {
                return true;
            }
        }
    }
}

/// Checkpoint document in one S3 object.
#[derive(Clone, Debug)]
pub struct S3Store {
    client: Client,
    bucket: String,
    key: String,
}

impl S3Store {
    /// From `s3://bucket/key`.
    pub fn new(sdk: &SdkConfig, uri: &str) -> Result<Self, CheckpointError> {
        let (bucket, key) = split_s3_uri(uri)
            .filter(|(_, k)| !k.is_empty())
            .ok_or_else(|| CheckpointError::Remote { uri: uri.into(), message: "expected s3://bucket/key".into() })?;
        Ok(Self { client: client(sdk), bucket, key })
    }

    fn err(&self, message: String) -> CheckpointError {
        CheckpointError::Remote { uri: format!("s3://{}/{}", self.bucket, self.key), message }
    }

    /// Load; a missing object is an empty state.
    pub async fn load(&self) -> Result<State, CheckpointError> {
        match self.client.get_object().bucket(&self.bucket).key(&self.key).send().await {
            Ok(o) => {
                let b = o.body.collect().await.map_err(|e| self.err(e.to_string()))?.into_bytes();
                State::parse(&format!("s3://{}/{}", self.bucket, self.key), &b)
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(aws_sdk_s3::operation::get_object::GetObjectError::is_no_such_key) =>
            {
                Ok(State::default())
            }
            Err(e) => Err(self.err(common::aws::describe(&e))),
        }
    }

    /// Save (one PutObject: atomic for readers).
    pub async fn save(&self, st: &State) -> Result<(), CheckpointError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .content_type("application/json")
            .body(ByteStream::from(st.to_bytes()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.err(common::aws::describe(&e)))
    }
}

/// Dead-letter lines written as one S3 object per write.
#[derive(Clone, Debug)]
pub struct S3DeadLetter {
    client: Client,
    bucket: String,
    prefix: String,
}

impl S3DeadLetter {
    /// From `s3://bucket/prefix/`.
    pub fn new(sdk: &SdkConfig, uri: &str) -> anyhow::Result<Self> {
        let (bucket, prefix) = split_s3_uri(uri)
            .ok_or_else(|| anyhow::anyhow!("dead_letter.s3: expected s3://bucket/prefix/, got {uri:?}"))?;
        Ok(Self { client: client(sdk), bucket, prefix })
    }
}

impl DeadLetter for S3DeadLetter {
    fn write(&self, lines: Vec<Vec<u8>>) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let mut body = Vec::new();
            for l in lines {
                body.extend_from_slice(&l);
                body.push(b'\n');
            }
            let now = jiff::Timestamp::now();
            let key =
                format!("{}{}-{:016x}.ndjson", self.prefix, now.strftime("%Y/%m/%d/%H%M%S"), rand::random::<u64>());
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                .body(ByteStream::from(body))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| format!("dead-letter s3://{}/{key}: {}", self.bucket, common::aws::describe(&e)))
        })
    }
}
