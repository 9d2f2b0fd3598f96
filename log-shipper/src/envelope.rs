//! The common envelope every event is shipped in, whatever its source.
//!
//! ```json
//! {"source":"cloudtrail","account":"123456789012","region":"ca-central-1",
//!  "event_time":"2026-11-23T19:05:00Z","event_id":"…","payload":{…the original event…}}
//! ```
//! The payload stays raw JSON text ([`Payload`]) unless redaction has to rewrite it, so the common
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

/// An event's JSON text: one JSON value, shipped as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload(Box<str>);

impl Payload {
    /// The JSON text.
    #[must_use]
    pub fn get(&self) -> &str {
        &self.0
    }

    /// A payload from text the caller has checked to be exactly one JSON value (as serde_json
    /// accepts it for a `RawValue`: no surrounding whitespace).
    pub(crate) fn from_checked(json: &str) -> Self {
        Self(Box::from(json))
    }
}

impl From<Box<RawValue>> for Payload {
    fn from(raw: Box<RawValue>) -> Self {
        Self(raw.into())
    }
}

/// One event in the common envelope.
#[derive(Clone, Debug)]
pub struct Envelope {
    /// Source kind.
    pub source: SourceKind,
    /// AWS account id (recipient account for CloudTrail, owner for CloudWatch Logs).
    pub account: Option<String>,
    /// AWS region.
    pub region: Option<String>,
    /// Event time, RFC 3339 UTC.
    pub event_time: Option<String>,
    /// Unique event id (CloudTrail `eventID`, CloudWatch Logs event id, or a content hash);
    /// consumers de-duplicate on it.
    pub event_id: String,
    /// CloudTrail `eventSource` (filters only; not serialised).
    pub event_source: Option<String>,
    /// CloudTrail `eventName` (filters only; not serialised).
    pub event_name: Option<String>,
    /// CloudWatch Logs group.
    pub log_group: Option<String>,
    /// CloudWatch Logs stream.
    pub log_stream: Option<String>,
    /// The original event.
    pub payload: Payload,
}

impl Envelope {
    /// A minimal envelope (used by tests and sources that fill the rest in).
    #[must_use]
    pub fn new(source: SourceKind, event_id: String, payload: impl Into<Payload>) -> Self {
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
            payload: payload.into(),
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

    /// Serialise as one JSON line (without the newline): `source`, then each field that is
    /// set (`account`, `region`, `event_time`, `event_id`, `log_group`, `log_stream`), strings
    /// escaped by serde_json, then the payload text as it is.
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        // Sized up front: the payload dominates, the rest is a few short strings.
        let mut out = Vec::with_capacity(self.payload.get().len() + 256);
        out.extend_from_slice(b"{\"source\":\"");
        out.extend_from_slice(self.source.as_str().as_bytes());
        out.push(b'"');
        let fields = [
            ("account", self.account.as_deref()),
            ("region", self.region.as_deref()),
            ("event_time", self.event_time.as_deref()),
            ("event_id", Some(self.event_id.as_str())),
            ("log_group", self.log_group.as_deref()),
            ("log_stream", self.log_stream.as_deref()),
        ];
        for (name, value) in fields {
            if let Some(v) = value {
                out.extend_from_slice(b",\"");
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b"\":");
                // Writing a string into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut out, v);
            }
        }
        out.extend_from_slice(b",\"payload\":");
        out.extend_from_slice(self.payload.get().as_bytes());
        out.push(b'}');
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

    /// The envelope as serde's derive wrote it before `to_json` was written by hand.
    #[derive(Serialize)]
    struct Derived<'a> {
        source: SourceKind,
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        region: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        event_time: Option<&'a str>,
        event_id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        log_group: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        log_stream: Option<&'a str>,
        payload: &'a RawValue,
    }

    proptest::proptest! {
        #[test]
        fn to_json_is_what_serde_derive_writes(
            fields in proptest::collection::vec(proptest::option::of("[a-z\"\\\\\u{0}-\u{1f}\u{7f}é\u{2028}😀 ]{0,12}"), 7),
            source in proptest::sample::select(vec![SourceKind::Cloudtrail, SourceKind::Cloudwatch, SourceKind::File]),
            payload in proptest::sample::select(vec!["{}", r#"{"a": [1, "\u00e9"]}"#, "\"x\"", "12", "null"])) {
            let raw = RawValue::from_string(payload.to_string()).unwrap();
            let mut e = Envelope::new(source, fields[0].clone().unwrap_or_default(), raw.clone());
            e.account = fields[1].clone();
            e.region = fields[2].clone();
            e.event_time = fields[3].clone();
            e.log_group = fields[4].clone();
            e.log_stream = fields[5].clone();
            e.event_name = fields[6].clone();
            let want = serde_json::to_vec(&Derived {
                source,
                account: e.account.as_deref(),
                region: e.region.as_deref(),
                event_time: e.event_time.as_deref(),
                event_id: &e.event_id,
                log_group: e.log_group.as_deref(),
                log_stream: e.log_stream.as_deref(),
                payload: &raw,
            }).unwrap();
            proptest::prop_assert_eq!(String::from_utf8(e.to_json()).unwrap(), String::from_utf8(want).unwrap());
        }
    }

    #[test]
    fn content_id_is_stable() {
        assert_eq!(content_id(b"x"), content_id(b"x"));
        assert_ne!(content_id(b"x"), content_id(b"y"));
        assert_eq!(content_id(b"x").len(), 32);
    }
}
