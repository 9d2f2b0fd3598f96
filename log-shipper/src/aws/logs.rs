//! CloudWatch Logs polled with FilterLogEvents, checkpointed by (timestamp, event id) with an
//! overlap window and de-duplication.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::Client;

use crate::cwlogs::{envelope, PollState};
use crate::daemon::Context;
use crate::envelope::Envelope;

/// Events per shipped unit (checkpoint step).
const UNIT_EVENTS: usize = 5_000;

/// The FilterLogEvents poller.
pub struct LogsSource {
    /// Client.
    pub client: Client,
    /// Region (for envelopes).
    pub region: Option<String>,
    /// Groups by name.
    pub log_group_names: Vec<String>,
    /// Groups by prefix.
    pub log_group_prefix: Option<String>,
    /// Poll interval.
    pub poll_interval: Duration,
    /// Overlap window.
    pub overlap: Duration,
    /// Filter pattern.
    pub filter_pattern: Option<String>,
    /// Start of new groups (epoch ms); default: everything retained.
    pub start_time_ms: Option<i64>,
}

/// Account id from a log group ARN.
fn account_of(arn: Option<&str>) -> Option<String> {
    arn.and_then(|a| a.split(':').nth(4)).filter(|s| !s.is_empty()).map(str::to_string)
}

impl LogsSource {
    async fn groups(&self) -> Result<Vec<(String, Option<String>)>, String> {
        let mut out: Vec<(String, Option<String>)> = self.log_group_names.iter().map(|g| (g.clone(), None)).collect();
        if let Some(prefix) = &self.log_group_prefix {
            let mut pages = self.client.describe_log_groups().log_group_name_prefix(prefix).into_paginator().send();
            while let Some(p) = pages.next().await {
                let p = p.map_err(|e| format!("DescribeLogGroups: {}", common::aws::describe(&e)))?;
                for g in p.log_groups() {
                    if let Some(n) = g.log_group_name() {
                        if !out.iter().any(|(x, _)| x == n) {
                            out.push((n.to_string(), account_of(g.arn())));
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    async fn ship(&self, ctx: &Context, group: &str, overlap_ms: i64, batch: Vec<(Envelope, i64)>) -> bool {
        let ids: Vec<(String, i64)> = batch.iter().map(|(e, ts)| (e.event_id.clone(), *ts)).collect();
        let outcome = ctx.shipper.ship(batch.into_iter().map(|(e, _)| e).collect()).await;
        if !outcome.complete() {
            tracing::warn!(group, failed = outcome.failed, "log events not fully delivered; checkpoint not advanced");
            return false;
        }
        let saved = ctx
            .checkpoints
            .update(|s| {
                s.cloudwatch
                    .entry(group.to_string())
                    .or_default()
                    .advance(ids.iter().map(|(i, t)| (i.as_str(), *t)), overlap_ms)
            })
            .await;
        if let Err(e) = saved {
            tracing::error!(error = %e, "checkpoint not saved");
            return false;
        }
        true
    }

    async fn poll_group(&self, ctx: &Context, group: &str, account: Option<&str>) -> Result<usize, String> {
        let overlap_ms = i64::try_from(self.overlap.as_millis()).unwrap_or(i64::MAX);
        let state: PollState = ctx.checkpoints.read(|s| s.cloudwatch.get(group).cloned()).await.unwrap_or_else(|| {
            PollState { high_water_ms: self.start_time_ms.unwrap_or(0) + overlap_ms, ..PollState::default() }
        });
        let start = state.start_time(overlap_ms);
        let mut token: Option<String> = None;
        let mut batch: Vec<(Envelope, i64)> = Vec::new();
        let mut shipped = 0;
        let mut pending: std::collections::HashSet<String> = std::collections::HashSet::new();
        loop {
            let out = self
                .client
                .filter_log_events()
                .log_group_name(group)
                .start_time(start)
                .set_filter_pattern(self.filter_pattern.clone())
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| format!("FilterLogEvents {group}: {}", common::aws::describe(&e)))?;
            for ev in out.events() {
                let (Some(id), Some(ts)) = (ev.event_id(), ev.timestamp()) else { continue };
                if state.seen(id) || !pending.insert(id.to_string()) {
                    continue;
                }
                let e = envelope(
                    account,
                    self.region.as_deref(),
                    group,
                    ev.log_stream_name(),
                    id,
                    ts,
                    ev.message().unwrap_or_default(),
                );
                batch.push((e, ts));
            }
            if batch.len() >= UNIT_EVENTS {
                shipped += batch.len();
                if !self.ship(ctx, group, overlap_ms, std::mem::take(&mut batch)).await {
                    return Err(format!("{group}: delivery failed"));
                }
            }
            // Pages can be empty while a token is still returned: keep paging until none.
            token = out.next_token().map(str::to_string);
            if token.is_none() || ctx.stopping() {
                break;
            }
        }
        if !batch.is_empty() {
            shipped += batch.len();
            if !self.ship(ctx, group, overlap_ms, batch).await {
                return Err(format!("{group}: delivery failed"));
            }
        }
        Ok(shipped)
    }

    /// Run until shutdown.
    pub async fn run(self, ctx: Arc<Context>) -> bool {
        loop {
            match self.groups().await {
                Err(e) => tracing::warn!(error = %e, "listing log groups failed"),
                Ok(groups) => {
                    for (g, account) in groups {
                        if ctx.stopping() {
                            return true;
                        }
                        match self.poll_group(&ctx, &g, account.as_deref()).await {
                            Ok(n) if n > 0 => tracing::info!(group = %g, events = n, "log events shipped"),
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "poll failed; retrying next interval"),
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
