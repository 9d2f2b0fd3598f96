//! Counters exported on `/metrics` in the Prometheus text format. Labels never carry PII.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

/// Process-wide counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Events read from sources.
    pub events_in: AtomicU64,
    /// Events accepted by the sink.
    pub events_out: AtomicU64,
    /// Events dropped by filters.
    pub events_filtered: AtomicU64,
    /// Input records that could not be parsed.
    pub parse_errors: AtomicU64,
    /// Events written to the dead-letter.
    pub dead_letters: AtomicU64,
    /// Events that failed delivery and were left for the source to retry.
    pub delivery_failures: AtomicU64,
    /// Payload bytes accepted by the sink.
    pub bytes_out: AtomicU64,
    /// Sink records (aggregates or single events) accepted.
    pub records_out: AtomicU64,
    /// PutRecords calls.
    pub put_calls: AtomicU64,
    /// Entries resent after a failure.
    pub retries: AtomicU64,
    /// Throttling responses (whole call or per entry).
    pub throttles: AtomicU64,
    /// Shard map refreshes.
    pub shard_refreshes: AtomicU64,
    /// Units (files, messages, pages) acknowledged.
    pub units_acked: AtomicU64,
    /// Units not acknowledged (left for redelivery).
    pub units_failed: AtomicU64,
    /// Age of the newest delivered event, ms (event time to delivery).
    pub lag_ms: AtomicI64,
    /// Draining for shutdown.
    pub draining: AtomicBool,
    /// Kinesis records read by the subscription-stream source.
    pub stream_records_read: AtomicU64,
    /// `CONTROL_MESSAGE` records dropped.
    pub control_messages: AtomicU64,
    /// Records that are not subscription payloads.
    pub bad_payloads: AtomicU64,
    /// `MillisBehindLatest` of the last read, per (stream, shard).
    pub millis_behind_latest: Mutex<BTreeMap<(String, String), i64>>,
}

impl Metrics {
    /// Add to a counter.
    pub fn add(c: &AtomicU64, n: usize) {
        c.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Render in the Prometheus text exposition format; `extra` adds labelled counters
    /// (redaction hits per rule).
    #[must_use]
    pub fn render(&self, redactions: &[(String, u64)]) -> String {
        let mut s = String::new();
        let counters: [(&str, &str, &AtomicU64); 17] = [
            ("events_in_total", "Events read from sources", &self.events_in),
            ("events_out_total", "Events accepted by the sink", &self.events_out),
            ("events_filtered_total", "Events dropped by include/exclude filters", &self.events_filtered),
            ("parse_errors_total", "Input records that could not be parsed", &self.parse_errors),
            ("dead_letters_total", "Events written to the dead-letter", &self.dead_letters),
            ("delivery_failures_total", "Events not delivered, left for source redelivery", &self.delivery_failures),
            ("bytes_out_total", "Record bytes accepted by the sink", &self.bytes_out),
            ("records_out_total", "Kinesis records (aggregates or single events) accepted", &self.records_out),
            ("put_records_calls_total", "PutRecords calls", &self.put_calls),
            ("retries_total", "Entries resent after a failure", &self.retries),
            ("throttles_total", "Throttling responses", &self.throttles),
            ("shard_map_refreshes_total", "Shard map refreshes (ListShards)", &self.shard_refreshes),
            ("units_acked_total", "Files, messages or pages acknowledged after delivery", &self.units_acked),
            ("units_failed_total", "Files, messages or pages left for redelivery", &self.units_failed),
            (
                "stream_records_read_total",
                "Kinesis records read by subscription-stream sources",
                &self.stream_records_read,
            ),
            ("control_messages_total", "CloudWatch Logs CONTROL_MESSAGE records dropped", &self.control_messages),
            ("bad_payloads_total", "Stream records that are not subscription payloads", &self.bad_payloads),
        ];
        for (name, help, c) in &counters {
            let _ = writeln!(s, "# HELP log_shipper_{name} {help}\n# TYPE log_shipper_{name} counter");
            let _ = writeln!(s, "log_shipper_{name} {}", c.load(Ordering::Relaxed));
        }
        let _ = writeln!(
            s,
            "# HELP log_shipper_lag_seconds Event time to delivery of the newest delivered event\n# TYPE log_shipper_lag_seconds gauge"
        );
        #[allow(clippy::cast_precision_loss)]
        let lag = self.lag_ms.load(Ordering::Relaxed) as f64 / 1000.0;
        let _ = writeln!(s, "log_shipper_lag_seconds {lag}");
        let _ = writeln!(s, "# HELP log_shipper_redactions_total Values redacted, per rule\n# TYPE log_shipper_redactions_total counter");
        for (code, n) in redactions {
            let _ = writeln!(s, "log_shipper_redactions_total{{rule=\"{code}\"}} {n}");
        }
        let _ = writeln!(
            s,
            "# HELP log_shipper_millis_behind_latest MillisBehindLatest of the last GetRecords, per shard\n# TYPE log_shipper_millis_behind_latest gauge"
        );
        if let Ok(lag) = self.millis_behind_latest.lock() {
            for ((stream, shard), ms) in lag.iter() {
                let _ = writeln!(s, "log_shipper_millis_behind_latest{{stream=\"{stream}\",shard=\"{shard}\"}} {ms}");
            }
        }
        let _ =
            writeln!(s, "# HELP log_shipper_draining 1 while draining for shutdown\n# TYPE log_shipper_draining gauge");
        let _ = writeln!(s, "log_shipper_draining {}", u8::from(self.draining.load(Ordering::Relaxed)));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        Metrics::add(&m.events_in, 3);
        m.lag_ms.store(1500, Ordering::Relaxed);
        Metrics::add(&m.control_messages, 1);
        m.millis_behind_latest.lock().unwrap().insert(("cwl".into(), "shardId-000000000000".into()), 250);
        let t = m.render(&[("LS101".into(), 2)]);
        assert!(t.contains("log_shipper_events_in_total 3\n"));
        assert!(t.contains("log_shipper_lag_seconds 1.5\n"));
        assert!(t.contains("log_shipper_control_messages_total 1\n"));
        assert!(t.contains("log_shipper_millis_behind_latest{stream=\"cwl\",shard=\"shardId-000000000000\"} 250\n"));
        assert!(t.contains("log_shipper_redactions_total{rule=\"LS101\"} 2\n"));
        assert!(!t.contains("units_total "));
        for line in t.lines().filter(|l| !l.starts_with('#')) {
            assert_eq!(line.split(' ').count(), 2, "{line}");
        }
    }
}
