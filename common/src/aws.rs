//! AWS SDK configuration shared by the tools (feature `aws`): the standard credential chain,
//! `--profile`, `--region`, `AWS_ENDPOINT_URL` (how tests reach the emulator), retries in
//! adaptive mode, connect/operation timeouts so an unreachable endpoint fails fast, and
//! `--assume-role` for other accounts. Also classification of SDK errors by their code.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// How to build the SDK configuration.
#[derive(Clone, Debug, Default)]
pub struct AwsOptions {
    /// Named profile (`--profile`).
    pub profile: Option<String>,
    /// Region (`--region`); else the default chain; else `ca-central-1`.
    pub region: Option<String>,
    /// Endpoint override (`--endpoint-url`); `AWS_ENDPOINT_URL` is honoured by the SDK itself.
    pub endpoint_url: Option<String>,
    /// Maximum attempts per call (default 5).
    pub max_attempts: Option<u32>,
    /// Per-operation timeout (default 30 s).
    pub operation_timeout: Option<Duration>,
}

/// Load the shared SDK config once; build every client from it.
pub async fn load(opts: &AwsOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(opts.max_attempts.unwrap_or(5)))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(10))
                .operation_timeout(opts.operation_timeout.unwrap_or(Duration::from_secs(30)))
                .build(),
        );
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(e) = &opts.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    let cfg = loader.load().await;
    let region = opts
        .region
        .clone()
        .or_else(|| cfg.region().map(ToString::to_string))
        .unwrap_or_else(|| "ca-central-1".to_string());
    cfg.into_builder().region(Region::new(region)).build()
}

/// The same config for another region.
#[must_use]
pub fn with_region(cfg: &SdkConfig, region: &str) -> SdkConfig {
    cfg.clone().into_builder().region(Region::new(region.to_string())).build()
}

/// Config whose credentials come from assuming `role_arn` with the base config's credentials.
pub async fn assume_role(base: &SdkConfig, role_arn: &str, session_name: &str) -> SdkConfig {
    let provider =
        aws_config::sts::AssumeRoleProvider::builder(role_arn).session_name(session_name).configure(base).build().await;
    base.clone()
        .into_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(provider))
        .build()
}

/// What an SDK error means to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// The caller may not do this (IAM, SCP, key policy).
    AccessDenied,
    /// The thing does not exist or has no such configuration (e.g. `NoSuchBucketPolicy`).
    NotFound,
    /// Too many requests; the SDK already retried.
    Throttled,
    /// The API or region is not available (opt-in region, unsupported operation).
    Unavailable,
    /// Network, timeout, credentials: the endpoint could not be used.
    Transport,
    /// Anything else.
    Other,
}

/// Classify an AWS error code (from `ProvideErrorMetadata::code()`), never by message text.
#[must_use]
pub fn classify_code(code: Option<&str>) -> ErrorClass {
    let Some(code) = code else { return ErrorClass::Transport };
    match code {
        c if c.starts_with("AccessDenied")
            || c == "UnauthorizedOperation"
            || c == "AuthorizationError"
            || c == "Forbidden" =>
        {
            ErrorClass::AccessDenied
        }
        "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch"
        | "InvalidAccessKeyId" => ErrorClass::AccessDenied,
        c if c.starts_with("NoSuch")
            || c.ends_with("NotFoundError")
            || c.ends_with("NotFoundException")
            || c == "NotFound"
            || c == "ResourceNotFoundException" =>
        {
            ErrorClass::NotFound
        }
        "Throttling"
        | "ThrottlingException"
        | "ThrottledException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "ProvisionedThroughputExceededException"
        | "SlowDown"
        | "RequestThrottled"
        | "LimitExceededException" => ErrorClass::Throttled,
        "OptInRequired"
        | "UnsupportedOperation"
        | "UnsupportedOperationException"
        | "InvalidAction"
        | "NotImplemented"
        | "UnknownOperationException" => ErrorClass::Unavailable,
        _ => ErrorClass::Other,
    }
}

/// Classify any SDK error.
pub fn classify<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> ErrorClass
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match err {
        SdkError::ServiceError(se) => classify_code(se.err().code()),
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => ErrorClass::Transport,
        SdkError::ConstructionFailure(_) => ErrorClass::Other,
        _ => ErrorClass::Other,
    }
}

/// A one-line, PII-free description of an SDK error: code and message from AWS, or the
/// transport cause (`dispatch failure: connection refused`).
pub fn describe<E, R>(err: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            format!("{}: {}", e.code().unwrap_or("Unknown"), e.message().unwrap_or("no message"))
        }
        other => {
            let mut msg = other.to_string();
            let mut src = std::error::Error::source(other);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            msg
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_codes() {
        assert_eq!(classify_code(Some("AccessDeniedException")), ErrorClass::AccessDenied);
        assert_eq!(classify_code(Some("NoSuchBucketPolicy")), ErrorClass::NotFound);
        assert_eq!(classify_code(Some("ServerSideEncryptionConfigurationNotFoundError")), ErrorClass::NotFound);
        assert_eq!(classify_code(Some("ThrottlingException")), ErrorClass::Throttled);
        assert_eq!(classify_code(None), ErrorClass::Transport);
        assert_eq!(classify_code(Some("Weird")), ErrorClass::Other);
    }
}
