//! CloudWatch Logs: subscription payloads and the FilterLogEvents poll state (pure).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::cloudtrail::maybe_gunzip;
use crate::envelope::{Envelope, SourceKind};

/// A subscription payload that cannot be decoded.
#[derive(Debug, thiserror::Error)]
#[error("CloudWatch Logs subscription payload: {0}")]
pub struct PayloadError(pub String);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    message_type: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    log_group: Option<String>,
    #[serde(default)]
    log_stream: Option<String>,
    #[serde(default)]
    log_events: Vec<LogEvent>,
}

#[derive(Deserialize)]
struct LogEvent {
    // AWS sends a 56-digit string, moto an integer: accept both.
    id: serde_json::Value,
    timestamp: i64,
    message: String,
}

/// One log event as shipped in the envelope payload.
#[derive(Serialize)]
struct Shipped<'a> {
    timestamp: i64,
    message: &'a str,
}

/// RFC 3339 from epoch milliseconds.
#[must_use]
pub fn rfc3339_ms(ms: i64) -> Option<String> {
    jiff::Timestamp::from_millisecond(ms).ok().map(|t| t.to_string())
}

/// Build the envelope for one log event.
#[must_use]
pub fn envelope(
    account: Option<&str>,
    region: Option<&str>,
    group: &str,
    stream: Option<&str>,
    id: &str,
    timestamp: i64,
    message: &str,
) -> Envelope {
    let payload = serde_json::value::to_raw_value(&Shipped { timestamp, message })
        .unwrap_or_else(|_| RawValue::from_string("null".into()).expect("invariant: null is JSON"));
    let mut e = Envelope::new(SourceKind::Cloudwatch, id.to_string(), payload);
    e.account = account.map(str::to_string);
    e.region = region.map(str::to_string);
    e.event_time = rfc3339_ms(timestamp);
    e.log_group = Some(group.to_string());
    e.log_stream = stream.map(str::to_string);
    e
}

/// Decode a subscription payload (gzip JSON). `Ok(None)` for `CONTROL_MESSAGE`.
pub fn decode_subscription(bytes: &[u8], region: Option<&str>) -> Result<Option<Vec<Envelope>>, PayloadError> {
    let text = maybe_gunzip(bytes).map_err(|e| PayloadError(format!("gzip: {e}")))?;
    let p: Payload = serde_json::from_slice(&text).map_err(|e| PayloadError(json_reason(&e)))?;
    match p.message_type.as_str() {
        "CONTROL_MESSAGE" => Ok(None),
        "DATA_MESSAGE" => {
            let group = p.log_group.unwrap_or_default();
            Ok(Some(
                p.log_events
                    .iter()
                    .map(|ev| {
                        let id = match &ev.id {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        envelope(
                            p.owner.as_deref(),
                            region,
                            &group,
                            p.log_stream.as_deref(),
                            &id,
                            ev.timestamp,
                            &ev.message,
                        )
                    })
                    .collect(),
            ))
        }
        _ => Err(PayloadError("unknown /messageType (expected DATA_MESSAGE or CONTROL_MESSAGE)".into())),
    }
}

/// A JSON error described without quoting the input (serde's type errors quote values, which can
/// be PII): position and kind, and the field name for a missing field.
fn json_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let what = match e.classify() {
        serde_json::error::Category::Data => match text.split_once(" at line ") {
            Some((m, _)) if m.starts_with("missing field") => m.to_string(),
            _ => "a field is missing or has the wrong type".to_string(),
        },
        serde_json::error::Category::Syntax => "not JSON".to_string(),
        serde_json::error::Category::Eof => "truncated JSON".to_string(),
        serde_json::error::Category::Io => "unreadable".to_string(),
    };
    format!("JSON at line {} column {}: {what}", e.line(), e.column())
}

/// Checkpoint of one log group polled with FilterLogEvents: the newest timestamp delivered and
/// the ids delivered within the overlap window behind it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollState {
    /// Newest event timestamp delivered (ms).
    pub high_water_ms: i64,
    /// Event ids delivered with timestamp ≥ `high_water_ms - overlap`, with their timestamps.
    pub recent: BTreeMap<String, i64>,
}

impl PollState {
    /// `startTime` of the next poll.
    #[must_use]
    pub fn start_time(&self, overlap_ms: i64) -> i64 {
        (self.high_water_ms - overlap_ms).max(0)
    }

    /// Already delivered?
    #[must_use]
    pub fn seen(&self, id: &str) -> bool {
        self.recent.contains_key(id)
    }

    /// Record delivered events and forget ids that fell out of the window.
    pub fn advance<'a>(&mut self, delivered: impl IntoIterator<Item = (&'a str, i64)>, overlap_ms: i64) {
        for (id, ts) in delivered {
            self.high_water_ms = self.high_water_ms.max(ts);
            self.recent.insert(id.to_string(), ts);
        }
        let floor = self.high_water_ms - overlap_ms;
        self.recent.retain(|_, ts| *ts >= floor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(text: &str) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn data_and_control_messages() {
        let data = r#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/app","logStream":"s1","subscriptionFilters":["f"],"logEvents":[{"id":"3195310660696698337880902507980421114328961542429","timestamp":1700000000000,"message":"hello"},{"id":42,"timestamp":1700000000001,"message":"x"}]}"#;
        let evs = decode_subscription(&gz(data), Some("ca-central-1")).unwrap().unwrap();
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].event_id, "3195310660696698337880902507980421114328961542429");
        assert_eq!(evs[1].event_id, "42");
        assert_eq!(evs[0].log_group.as_deref(), Some("/app"));
        assert_eq!(evs[0].event_time.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(evs[0].payload.get(), r#"{"timestamp":1700000000000,"message":"hello"}"#);
        let control = r#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."}]}"#;
        assert!(decode_subscription(&gz(control), None).unwrap().is_none());
        assert!(decode_subscription(b"garbage", None).is_err());
        assert!(decode_subscription(br#"{"messageType":"X"}"#, None).is_err());
    }

    #[test]
    fn poll_state_overlap_and_dedup() {
        let mut s = PollState::default();
        assert_eq!(s.start_time(1000), 0);
        s.advance([("a", 5000), ("b", 5500)], 1000);
        assert_eq!(s.high_water_ms, 5500);
        assert_eq!(s.start_time(1000), 4500);
        assert!(s.seen("a") && s.seen("b"));
        s.advance([("c", 7000)], 1000);
        assert!(!s.seen("a"), "a fell out of the window");
        assert!(!s.seen("b"));
        assert!(s.seen("c"));
        // A late event inside the window is still de-duplicated.
        s.advance([("d", 6500)], 1000);
        assert!(s.seen("d"));
        assert_eq!(s.high_water_ms, 7000);
    }
}
