//! Live collection through the AWS SDK for Rust.
