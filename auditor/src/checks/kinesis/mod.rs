//! Kinesis Data Streams checks (AU6xx).

pub mod not_cmk;
pub mod not_encrypted;
