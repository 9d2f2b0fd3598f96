//! auditor: the nightly compliance audit of the fraud-case-management accounts.
//!
//! * [`inventory`] — the normalised, plain-data model of the audited resources, produced by the live
//!   collector ([`collect`]) or from a Terraform plan/state, and read by the checks.

pub mod collect;
pub mod inventory;
