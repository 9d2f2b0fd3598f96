//! The Kinesis transport: PutRecords and ListShards.

use aws_config::SdkConfig;
use aws_sdk_kinesis::operation::list_shards::ListShardsError;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, Shard};
use aws_sdk_kinesis::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

use super::call_error;
use crate::batch::{Entry, PutResult};
use crate::pipeline::{CallError, Transport};
use crate::shardmap::ShardMap;

/// PutRecords to one stream (name or ARN).
#[derive(Clone, Debug)]
pub struct KinesisTransport {
    client: Client,
    stream: String,
}

impl KinesisTransport {
    /// From the shared SDK config.
    #[must_use]
    pub fn new(sdk: &SdkConfig, stream: &str) -> Self {
        Self::from_client(Client::new(sdk), stream)
    }

    /// From a client (tests use a mocked one).
    #[must_use]
    pub fn from_client(client: Client, stream: &str) -> Self {
        Self { client, stream: stream.to_string() }
    }

    fn is_arn(&self) -> bool {
        is_arn(&self.stream)
    }
}

/// A stream given by ARN rather than by name?
pub(super) fn is_arn(stream: &str) -> bool {
    stream.starts_with("arn:")
}

/// Every shard of `stream` (name or ARN), following `NextToken` (with which the stream must not
/// be named again).
pub(super) async fn list_all_shards(
    client: &Client,
    stream: &str,
) -> Result<Vec<Shard>, SdkError<ListShardsError, HttpResponse>> {
    let mut shards = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = client.list_shards();
        req = match &token {
            Some(t) => req.next_token(t),
            None if is_arn(stream) => req.stream_arn(stream),
            None => req.stream_name(stream),
        };
        let mut page = req.send().await?;
        shards.append(&mut page.shards.take().unwrap_or_default());
        token = page.next_token;
        if token.is_none() {
            return Ok(shards);
        }
    }
}

impl Transport for KinesisTransport {
    async fn put(&self, entries: &[Entry]) -> Result<Vec<PutResult>, CallError> {
        let mut req = self.client.put_records();
        req = if self.is_arn() { req.stream_arn(&self.stream) } else { req.stream_name(&self.stream) };
        for e in entries {
            let entry = PutRecordsRequestEntry::builder()
                .data(Blob::new(e.data.to_vec()))
                .partition_key(&e.partition_key)
                .set_explicit_hash_key(e.explicit_hash_key.clone())
                .build()
                .map_err(|err| CallError {
                    code: "Build".into(),
                    message: err.to_string(),
                    throttled: false,
                    retriable: false,
                })?;
            req = req.records(entry);
        }
        let out = req.send().await.map_err(|e| {
            let mut ce = call_error(&e);
            // Typed check as well: the code is not always in the error metadata.
            if let Some(se) = e.as_service_error() {
                if se.is_provisioned_throughput_exceeded_exception() {
                    ce.throttled = true;
                    ce.retriable = true;
                    if ce.code == "Unknown" || ce.code == "Transport" {
                        ce.code = "ProvisionedThroughputExceededException".into();
                    }
                }
            }
            ce
        })?;
        Ok(out
            .records()
            .iter()
            .map(|r| match r.error_code() {
                Some(code) => PutResult::Failed { code: code.to_string() },
                None => PutResult::Accepted { shard_id: r.shard_id().map(str::to_string) },
            })
            .collect())
    }

    async fn shard_map(&self) -> Result<ShardMap, CallError> {
        let shards = list_all_shards(&self.client, &self.stream).await.map_err(|e| {
            let mut ce = call_error(&e);
            // Typed check as well: the code is not always in the error metadata.
            if let Some(se) = e.as_service_error() {
                if se.is_limit_exceeded_exception() {
                    ce.throttled = true;
                    ce.retriable = true;
                    if ce.code == "Unknown" || ce.code == "Transport" {
                        ce.code = "ProvisionedThroughputExceededException".into();
                    }
                }
            }
            ce
        })?;
        let mut ranges: Vec<(String, String, String)> = Vec::new();
        for s in &shards {
            let open = s.sequence_number_range().is_none_or(|r| r.ending_sequence_number().is_none());
            if let (true, Some(h)) = (open, s.hash_key_range()) {
                ranges.push((
                    s.shard_id().to_string(),
                    h.starting_hash_key().to_string(),
                    h.ending_hash_key().to_string(),
                ));
            }
        }
        ShardMap::from_ranges(ranges.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))).map_err(|e| {
            CallError { code: "ShardMap".into(), message: e.to_string(), throttled: false, retriable: true }
        })
    }
}
