//! CloudTrail checks (AU40x). Trails are deduplicated by ARN (a multi-region trail is listed
//! in every region as a shadow copy) so each trail is reported once.

pub mod no_log_validation;
pub mod no_multiregion_trail;
pub mod not_encrypted;
pub mod not_logging;
pub mod not_multiregion;

use std::collections::BTreeSet;

use crate::inventory::{Inventory, Trail};

/// Trails, one per ARN (or per name + home region when the ARN is unknown).
pub(crate) fn unique(inv: &Inventory) -> Vec<&Trail> {
    let mut seen = BTreeSet::new();
    inv.trails
        .iter()
        .filter(|t| {
            seen.insert(
                t.arn.clone().unwrap_or_else(|| {
                    format!("{}|{}|{}", t.name, t.home_region, t.address.clone().unwrap_or_default())
                }),
            )
        })
        .collect()
}
