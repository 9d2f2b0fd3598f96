//! log-shipper: CloudTrail and CloudWatch Logs to Kinesis, at least once, nothing lost.
//!
//! ```text
//! sources ──► transform (filter, redact, envelope) ──► sink task ──► Kinesis / file
//!   ▲            (pure)                                   │ per-shard KPL aggregation,
//!   └──── ack (delete SQS message, advance checkpoint) ◄──┘ batches, retry failed entries only
//! ```
//!
//! Pure logic — [`envelope`], [`redact`], [`filter`], [`kpl`], [`shardmap`], [`batch`],
//! [`checkpoint`], [`cloudtrail`], [`cwlogs`], [`cwlstream`], [`local`] — has no SDK types and
//! builds without the `aws` feature. The SDK lives in [`aws`] only.

#[cfg(feature = "aws")]
pub mod aws;
pub mod batch;
pub mod checkpoint;
pub mod cli;
pub mod cloudtrail;
pub mod config;
pub mod cwlogs;
pub mod cwlstream;
pub mod daemon;
pub mod envelope;
pub mod filter;
pub mod kpl;
pub mod local;
pub mod metrics;
pub mod pipeline;
pub mod redact;
pub mod shardmap;

pub use cli::{run, Cli};
