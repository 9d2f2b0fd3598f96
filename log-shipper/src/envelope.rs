//! The common envelope every event is shipped in, whatever its source.
//!
//! ```json
//! {"source":"cloudtrail","account":"123456789012","region":"ca-central-1",
//!  "event_time":"2026-11-23T19:05:00Z","event_id":"…","payload":{…the original event…}}
//! ```
//! The payload stays raw JSON text (`RawValue`) unless redaction has to rewrite it, so the common
//! case costs one scan and one copy.

use serde::Serialize;
use serde_json::value::RawValue;

/// Where an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// CloudTrail log files (S3 via SQS, S3 prefix, or local `.json.gz`).
    Cloudtrail,
    /// CloudWatch Logs (FilterLogEvents or subscription payloads).
    Cloudwatch,
    /// Local NDJSON files.
    File,
}

impl SourceKind {
    /// Name used in filters and metrics.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cloudtrail => "cloudtrail",
            Self::Cloudwatch => "cloudwatch",
            Self::File => "file",
        }
    }
}

/// One event in the common envelope.
#[derive(Clone, Debug, Serialize)]
pub struct Envelope {
    /// Source kind.
    pub source: SourceKind,
    /// AWS account id (recipient account for CloudTrail, owner for CloudWatch Logs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// AWS region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Event time, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_time: Option<String>,
    /// Unique event id (CloudTrail `eventID`, CloudWatch Logs event id, or a content hash);
    /// consumers de-duplicate on it.
    pub event_id: String,
    /// CloudTrail `eventSource` (filters only; not serialised).
    #[serde(skip)]
    pub event_source: Option<String>,
    /// CloudTrail `eventName` (filters only; not serialised).
    #[serde(skip)]
    pub event_name: Option<String>,
    /// CloudWatch Logs group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
    /// CloudWatch Logs stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_stream: Option<String>,
    /// The original event.
    pub payload: Box<RawValue>,
}

impl Envelope {
    /// A minimal envelope (used by tests and sources that fill the rest in).
    #[must_use]
    pub fn new(source: SourceKind, event_id: String, payload: Box<RawValue>) -> Self {
        Self {
            source,
            account: None,
            region: None,
            event_time: None,
            event_id,
            event_source: None,
            event_name: None,
            log_group: None,
            log_stream: None,
            payload,
        }
    }

    /// The value of a filterable attribute by name.
    #[must_use]
    pub fn attribute(&self, field: Field) -> Option<&str> {
        match field {
            Field::Source => Some(self.source.as_str()),
            Field::Account => self.account.as_deref(),
            Field::Region => self.region.as_deref(),
            Field::EventSource => self.event_source.as_deref(),
            Field::EventName => self.event_name.as_deref(),
            Field::LogGroup => self.log_group.as_deref(),
            Field::LogStream => self.log_stream.as_deref(),
        }
    }

    /// Serialise as one JSON line (without the newline).
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        // Sized up front: the payload dominates, the rest is a few short strings.
        let mut out = Vec::with_capacity(self.payload.get().len() + 256);
        // Serialising plain strings and a RawValue into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, self);
        out
    }
}

/// Attributes include/exclude filters can test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// `cloudtrail`, `cloudwatch`, `file`.
    Source,
    /// Account id.
    Account,
    /// Region.
    Region,
    /// CloudTrail `eventSource` (`s3.amazonaws.com`).
    EventSource,
    /// CloudTrail `eventName` (`GetObject`).
    EventName,
    /// CloudWatch Logs group name.
    LogGroup,
    /// CloudWatch Logs stream name.
    LogStream,
}

/// A stable id for events that carry none: SHA-256 of the content, hex, 32 chars.
#[must_use]
pub fn content_id(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(bytes);
    hex::encode(&d[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_envelope_with_raw_payload() {
        let mut e =
            Envelope::new(SourceKind::Cloudtrail, "id-1".into(), RawValue::from_string(r#"{"a": 1}"#.into()).unwrap());
        e.account = Some("123456789012".into());
        e.event_name = Some("GetObject".into());
        let s = String::from_utf8(e.to_json()).unwrap();
        assert_eq!(s, r#"{"source":"cloudtrail","account":"123456789012","event_id":"id-1","payload":{"a": 1}}"#);
        assert_eq!(e.attribute(Field::EventName), Some("GetObject"));
        assert_eq!(e.attribute(Field::Region), None);
    }

    #[test]
    fn content_id_is_stable() {
        assert_eq!(content_id(b"x"), content_id(b"x"));
        assert_ne!(content_id(b"x"), content_id(b"y"));
        assert_eq!(content_id(b"x").len(), 32);
    }
}
