//! AU102 `iam-role-wildcard-action`: a role whose effective policy allows every action of a
//! service (`s3:*`, `kms:*`) or uses `NotAction` with Allow. Roles with full admin are reported by
//! AU101 only.

use crate::checks::{Settings, Sink};
use crate::inventory::Inventory;

/// Evaluator.
pub fn check(inv: &Inventory, s: &Settings, sink: &mut Sink<'_>) {
    super::judge(
        inv,
        s,
        sink,
        &["wildcard-action", "not-action-allow"],
        true,
        "is allowed service-wide wildcard actions",
    );
}
