//! KMS key checks (AU3xx).

pub mod pending_deletion;
pub mod policy_wildcard_principal;
pub mod rotation_disabled;
