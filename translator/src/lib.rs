//! translator: converts fraud applications between the consortium and the case-management UI.
//!
//! One pure core ([`translate`]) used by two front ends: `translator serve` ([`serve`], HTTP)
//! and `translator batch` ([`batch`], NDJSON/CSV files or S3). Identifiers leave for the
//! consortium only as keyed HMAC tokens; PII that the translator persists or hands to the case
//! UI is envelope-encrypted ([`crypto`]); errors name fields and rules, never values.

#[cfg(feature = "service")]
pub mod batch;
#[cfg(feature = "service")]
pub mod cli;
pub mod crypto;
#[cfg(feature = "service")]
pub mod csvmap;
pub mod deadletter;
pub mod error;
pub mod json;
pub mod jsonw;
#[cfg(feature = "service")]
pub mod kms;
pub mod model;
pub mod normalize;
#[cfg(feature = "service")]
pub mod s3io;
#[cfg(feature = "service")]
pub mod serve;
pub mod translate;
pub mod validate;

pub use error::{Code, FieldError, Rejection};
pub use translate::{Direction, Session, Settings, Translator};
