//! The Kinesis transport: PutRecords and ListShards.

use aws_config::SdkConfig;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_kinesis::Client;

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
        self.stream.starts_with("arn:")
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
        let mut ranges: Vec<(String, String, String)> = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = self.client.list_shards();
            req = match &token {
                Some(t) => req.next_token(t),
                None if self.is_arn() => req.stream_arn(&self.stream),
                None => req.stream_name(&self.stream),
            };
            let out = req.send().await.map_err(|e| {
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
            for s in out.shards() {
                let open = s.sequence_number_range().is_none_or(|r| r.ending_sequence_number().is_none());
                if let (true, Some(h)) = (open, s.hash_key_range()) {
                    ranges.push((
                        s.shard_id().to_string(),
                        h.starting_hash_key().to_string(),
                        h.ending_hash_key().to_string(),
                    ));
                }
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        ShardMap::from_ranges(ranges.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))).map_err(|e| {
            CallError { code: "ShardMap".into(), message: e.to_string(), throttled: false, retriable: true }
        })
    }
}
