//! CloudTrail files announced by S3 event notifications on SQS.
//!
//! Long polling; many instances may compete for the queue. While a file is processed its
//! message's visibility timeout is extended (heartbeat). The message is deleted only after every
//! event of every file it names was accepted by the sink (or safely dead-lettered). On failure
//! the message is made visible again after `retry_delay`; the queue's redrive policy moves a file
//! that keeps failing to its dead-letter queue.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::Message;

use crate::cloudtrail::{parse_notification, Notification};
use crate::daemon::Context;
use crate::metrics::Metrics;

/// The SQS source.
pub struct SqsSource {
    /// SQS client.
    pub sqs: aws_sdk_sqs::Client,
    /// S3 client.
    pub s3: aws_sdk_s3::Client,
    /// Queue.
    pub queue_url: String,
    /// Visibility timeout.
    pub visibility_timeout: Duration,
    /// Long poll.
    pub wait_time: Duration,
    /// Batch size.
    pub max_messages: i32,
    /// Delay before a failed message is retried.
    pub retry_delay: Duration,
    /// Ship Insights files.
    pub include_insights: bool,
}

fn secs(d: Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(43_200).min(43_200)
}

enum Handled {
    Delete,
    Retry,
}

impl SqsSource {
    /// Receive loop until shutdown.
    pub async fn run(self: Arc<Self>, ctx: Arc<Context>) -> bool {
        let mut stop = ctx.shutdown.clone();
        let mut backoff_n = 0u32;
        loop {
            if ctx.stopping() {
                return true;
            }
            let recv = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(self.max_messages)
                .wait_time_seconds(secs(self.wait_time))
                .visibility_timeout(secs(self.visibility_timeout))
                .send();
            let out = tokio::select! {
                r = recv => r,
                _ = stop.wait_for(|s| *s) => return true,
            };
            let msgs = match out {
                Ok(o) => {
                    backoff_n = 0;
                    o.messages.unwrap_or_default()
                }
                Err(e) => {
                    backoff_n += 1;
                    tracing::warn!(error = %common::aws::describe(&e), "ReceiveMessage failed");
                    let d = crate::batch::backoff(backoff_n, Duration::from_millis(500), Duration::from_secs(20));
                    if ctx.sleep_or_stop(d).await {
                        return true;
                    }
                    continue;
                }
            };
            let handled = futures::future::join_all(msgs.into_iter().map(|m| {
                let (me, ctx) = (self.clone(), ctx.clone());
                async move { me.handle(&ctx, m).await }
            }));
            handled.await;
        }
    }

    async fn handle(&self, ctx: &Context, m: Message) -> Option<()> {
        let receipt = m.receipt_handle()?.to_string();
        let id = m.message_id().unwrap_or("?").to_string();
        // Heartbeat: keep the message invisible while its files are processed.
        let hb = {
            let (sqs, url, r, vis) =
                (self.sqs.clone(), self.queue_url.clone(), receipt.clone(), self.visibility_timeout);
            tokio::spawn(async move {
                let every = (vis / 2).max(Duration::from_secs(1));
                loop {
                    tokio::time::sleep(every).await;
                    let res = sqs
                        .change_message_visibility()
                        .queue_url(&url)
                        .receipt_handle(&r)
                        .visibility_timeout(secs(vis))
                        .send()
                        .await;
                    if let Err(e) = res {
                        tracing::warn!(error = %common::aws::describe(&e), "visibility heartbeat failed");
                    }
                }
            })
        };
        let result = self.process(ctx, &id, m.body().unwrap_or_default()).await;
        hb.abort();
        match result {
            Handled::Delete => {
                if let Err(e) =
                    self.sqs.delete_message().queue_url(&self.queue_url).receipt_handle(&receipt).send().await
                {
                    // The message comes back: its events are shipped again (bounded duplicates).
                    tracing::warn!(message_id = %id, error = %common::aws::describe(&e), "DeleteMessage failed");
                } else {
                    tracing::debug!(message_id = %id, "message deleted");
                }
            }
            Handled::Retry => {
                Metrics::add(&ctx.metrics.units_failed, 1);
                let res = self
                    .sqs
                    .change_message_visibility()
                    .queue_url(&self.queue_url)
                    .receipt_handle(&receipt)
                    .visibility_timeout(secs(self.retry_delay))
                    .send()
                    .await;
                if let Err(e) = res {
                    tracing::warn!(message_id = %id, error = %common::aws::describe(&e), "ChangeMessageVisibility failed");
                }
            }
        }
        Some(())
    }

    async fn process(&self, ctx: &Context, id: &str, body: &str) -> Handled {
        let objects = match parse_notification(body) {
            Ok(Notification::Test) => {
                tracing::info!(message_id = %id, "s3:TestEvent deleted");
                return Handled::Delete;
            }
            Ok(Notification::Objects(o)) => o,
            Err(e) => {
                // Poison: leave it for the redrive policy (DLQ).
                Metrics::add(&ctx.metrics.parse_errors, 1);
                tracing::warn!(message_id = %id, error = %e, "unreadable message left for the dead-letter queue");
                return Handled::Retry;
            }
        };
        for o in objects {
            if !super::s3::wanted(&o.key, self.include_insights) {
                tracing::debug!(key = %o.key, "not a CloudTrail log file; skipped");
                continue;
            }
            match super::s3::ship_object(ctx, &self.s3, &o.bucket, &o.key).await {
                Ok(out) if out.complete() => {}
                Ok(out) => {
                    tracing::warn!(message_id = %id, key = %o.key, failed = out.failed, "file not fully delivered; message kept");
                    return Handled::Retry;
                }
                Err(e) => {
                    Metrics::add(&ctx.metrics.parse_errors, 1);
                    tracing::warn!(message_id = %id, error = %e, "file failed; message kept");
                    return Handled::Retry;
                }
            }
        }
        Handled::Delete
    }
}
