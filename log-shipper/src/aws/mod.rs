//! Everything that talks to AWS (the SDK lives only here): the Kinesis transport, S3 objects,
//! checkpoints and dead-letters in S3, and the SQS, S3-prefix, CloudWatch Logs and
//! subscription-stream sources.

pub mod cwl_stream;
pub mod kinesis;
pub mod logs;
pub mod s3;
pub mod sqs;

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use common::aws::{classify, describe, AwsOptions, ErrorClass};

use crate::config::{AwsConfig, SourceConfig};
use crate::daemon::Context;
use crate::pipeline::CallError;

/// SDK configuration from `[aws]` plus the standard chain (`AWS_ENDPOINT_URL` included).
pub async fn sdk_config(c: &AwsConfig) -> SdkConfig {
    common::aws::load(&AwsOptions {
        profile: c.profile.clone(),
        region: c.region.clone(),
        endpoint_url: c.endpoint_url.clone(),
        ..AwsOptions::default()
    })
    .await
}

/// Map an SDK error to a [`CallError`] by its code, never by message text.
pub fn call_error<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let class = classify(err);
    let code = match err {
        aws_smithy_runtime_api::client::result::SdkError::ServiceError(se) => {
            se.err().code().unwrap_or("Unknown").to_string()
        }
        _ => "Transport".to_string(),
    };
    CallError {
        retriable: !matches!(class, ErrorClass::Other) || code == "InternalFailure" || code.starts_with("KMS"),
        throttled: class == ErrorClass::Throttled,
        message: describe(err),
        code,
    }
}

/// Run one AWS source until shutdown; `false` when it stopped on an error.
pub async fn run_source(ctx: Arc<Context>, sdk: &SdkConfig, src: SourceConfig) -> bool {
    match src {
        SourceConfig::Sqs {
            queue_url,
            visibility_timeout,
            wait_time,
            max_messages,
            retry_delay,
            include_insights,
            workers,
        } => {
            let s = sqs::SqsSource {
                sqs: aws_sdk_sqs::Client::new(sdk),
                s3: s3::client(sdk),
                queue_url,
                visibility_timeout,
                wait_time,
                max_messages,
                retry_delay,
                include_insights,
            };
            let s = Arc::new(s);
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..workers.max(1) {
                let (s, ctx) = (s.clone(), ctx.clone());
                set.spawn(async move { s.run(ctx).await });
            }
            let mut ok = true;
            while let Some(r) = set.join_next().await {
                ok &= r.unwrap_or(false);
            }
            ok
        }
        SourceConfig::S3 { bucket, prefix, poll_interval, overlap, include_insights } => {
            s3::PrefixSource { s3: s3::client(sdk), bucket, prefix, poll_interval, overlap, include_insights }
                .run(ctx)
                .await
        }
        SourceConfig::Cloudwatch {
            log_group_names,
            log_group_prefix,
            poll_interval,
            overlap,
            filter_pattern,
            start_time_ms,
        } => {
            logs::LogsSource {
                client: aws_sdk_cloudwatchlogs::Client::new(sdk),
                region: sdk.region().map(ToString::to_string),
                log_group_names,
                log_group_prefix,
                poll_interval,
                overlap,
                filter_pattern,
                start_time_ms,
            }
            .run(ctx)
            .await
        }
        SourceConfig::CwlSubscriptionStream { stream, region, start, poll_interval, max_records } => {
            cwl_stream::CwlStreamSource::new(sdk, stream, region, start, poll_interval, max_records).run(ctx).await
        }
        SourceConfig::Files { .. } => false,
    }
}
