//! CloudWatch Logs checks (AU41x).

pub mod no_retention;
pub mod not_encrypted;
pub mod retention_too_short;
