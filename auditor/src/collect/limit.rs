//! Request pacing: a token bucket per service (the `--max-rps` cap) and counters of the
//! requests actually sent, so a run can report the rate it observed against the cap.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// A token bucket: `rate` tokens per second, at most `burst` stored.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A bucket refilled at `rate` per second. The burst is a tenth of a second's worth (at
    /// least one token), so the observed rate stays close to the cap even over short windows.
    #[must_use]
    pub fn new(rate: f64) -> Self {
        let rate = if rate.is_finite() && rate > 0.0 { rate } else { f64::MAX };
        let burst = (rate / 10.0).clamp(1.0, 1_000_000.0);
        TokenBucket { rate, burst, state: Mutex::new(BucketState { tokens: burst, last: Instant::now() }) }
    }

    /// The refill rate (tokens per second).
    #[must_use]
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Wait until one token is available and take it.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut st = self.state.lock().await;
                let now = Instant::now();
                let elapsed = now.duration_since(st.last).as_secs_f64();
                st.tokens = (st.tokens + elapsed * self.rate).min(self.burst);
                st.last = now;
                if st.tokens >= 1.0 {
                    st.tokens -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - st.tokens) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// The AWS services the collectors call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// Amazon S3.
    S3,
    /// AWS KMS.
    Kms,
    /// AWS IAM.
    Iam,
    /// AWS STS.
    Sts,
    /// AWS CloudTrail.
    CloudTrail,
    /// Amazon CloudWatch Logs.
    Logs,
    /// Amazon Kinesis Data Streams.
    Kinesis,
}

impl Service {
    /// Every service, in report order.
    pub const ALL: [Service; 7] =
        [Service::Sts, Service::Iam, Service::S3, Service::Kms, Service::CloudTrail, Service::Logs, Service::Kinesis];

    /// The service name as used in findings and options (`s3`, `kms`, `logs`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Service::S3 => "s3",
            Service::Kms => "kms",
            Service::Iam => "iam",
            Service::Sts => "sts",
            Service::CloudTrail => "cloudtrail",
            Service::Logs => "logs",
            Service::Kinesis => "kinesis",
        }
    }

    /// Parse a service name (also accepts `cloudwatchlogs`).
    #[must_use]
    pub fn parse(s: &str) -> Option<Service> {
        match s.to_ascii_lowercase().as_str() {
            "s3" => Some(Service::S3),
            "kms" => Some(Service::Kms),
            "iam" => Some(Service::Iam),
            "sts" => Some(Service::Sts),
            "cloudtrail" => Some(Service::CloudTrail),
            "logs" | "cloudwatchlogs" | "cloudwatch" => Some(Service::Logs),
            "kinesis" => Some(Service::Kinesis),
            _ => None,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Per-service pacing and counting, shared by every collector task of a run.
#[derive(Debug)]
pub struct Pacer {
    buckets: Vec<Option<TokenBucket>>,
    requests: Vec<AtomicU64>,
    start: Instant,
    /// Nanoseconds after `start` of the first and the latest request, per service.
    first: Vec<AtomicU64>,
    last: Vec<AtomicU64>,
}

impl Pacer {
    /// A pacer with a cap (requests per second) per service; services without a cap are not paced.
    #[must_use]
    pub fn new(caps: &BTreeMap<Service, f64>) -> Arc<Self> {
        let buckets = (0..Service::ALL.len())
            .map(|i| caps.iter().find(|(s, _)| s.index() == i).map(|(_, r)| TokenBucket::new(*r)))
            .collect();
        let counters = || Service::ALL.iter().map(|_| AtomicU64::new(0)).collect();
        Arc::new(Pacer {
            buckets,
            requests: counters(),
            start: Instant::now(),
            first: Service::ALL.iter().map(|_| AtomicU64::new(u64::MAX)).collect(),
            last: counters(),
        })
    }

    /// Wait for the service's cap (if any) and count one request.
    pub async fn request(&self, service: Service) {
        if let Some(Some(bucket)) = self.buckets.get(service.index()) {
            bucket.acquire().await;
        }
        let i = service.index();
        if let Some(c) = self.requests.get(i) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let now = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
        if let Some(f) = self.first.get(i) {
            f.fetch_min(now, Ordering::Relaxed);
        }
        if let Some(l) = self.last.get(i) {
            l.fetch_max(now, Ordering::Relaxed);
        }
    }

    /// Requests per second of a service between its first and its latest request (the window in
    /// which it was active), when it sent at least two.
    #[must_use]
    pub fn active_rate(&self, service: Service) -> Option<f64> {
        let i = service.index();
        let n = self.count(service);
        let first = self.first.get(i)?.load(Ordering::Relaxed);
        let last = self.last.get(i)?.load(Ordering::Relaxed);
        if n < 2 || first == u64::MAX || last <= first {
            return None;
        }
        #[allow(clippy::cast_precision_loss)]
        Some((n - 1) as f64 / Duration::from_nanos(last - first).as_secs_f64())
    }

    /// Requests counted so far for a service.
    #[must_use]
    pub fn count(&self, service: Service) -> u64 {
        self.requests.get(service.index()).map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// The configured cap of a service, if any.
    #[must_use]
    pub fn cap(&self, service: Service) -> Option<f64> {
        self.buckets.get(service.index()).and_then(|b| b.as_ref().map(TokenBucket::rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bucket_paces_to_rate() {
        let bucket = TokenBucket::new(20.0);
        let start = tokio::time::Instant::now();
        for _ in 0..42 {
            bucket.acquire().await;
        }
        // 2 tokens of burst, then 40 more at 20/s take about 2 s of (virtual) time.
        let elapsed = start.elapsed().as_secs_f64();
        assert!((1.9..2.2).contains(&elapsed), "elapsed {elapsed}");
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_counts_and_caps_only_configured_services() {
        let caps = BTreeMap::from([(Service::S3, 10.0)]);
        let pacer = Pacer::new(&caps);
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            pacer.request(Service::Kms).await;
        }
        assert!(start.elapsed() < Duration::from_millis(1), "kms is not capped");
        for _ in 0..11 {
            pacer.request(Service::S3).await;
        }
        assert!(start.elapsed() >= Duration::from_millis(900), "s3 capped at 10/s");
        assert_eq!(pacer.count(Service::S3), 11);
        assert_eq!(pacer.count(Service::Kms), 5);
        assert_eq!(pacer.cap(Service::S3), Some(10.0));
        assert_eq!(pacer.cap(Service::Iam), None);
        // 11 requests paced at 10/s: 10 intervals of 100 ms (the first is burst).
        let rate = pacer.active_rate(Service::S3).unwrap();
        assert!((9.0..=11.5).contains(&rate), "{rate}");
        assert_eq!(pacer.active_rate(Service::Iam), None);
    }

    #[test]
    fn service_names_round_trip() {
        for s in Service::ALL {
            assert_eq!(Service::parse(s.as_str()), Some(s));
        }
        assert_eq!(Service::parse("cloudwatchlogs"), Some(Service::Logs));
        assert_eq!(Service::parse("ec2"), None);
    }
}
