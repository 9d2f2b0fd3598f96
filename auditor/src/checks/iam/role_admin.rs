//! AU101 `iam-role-admin`: a role whose effective policy grants full administrative access
//! (`*` on `*`, e.g. AdministratorAccess). One finding per role, with the evidence path
//! role → policy (version) → statement.

use crate::checks::{Settings, Sink};
use crate::inventory::Inventory;

/// Evaluator.
pub fn check(inv: &Inventory, s: &Settings, sink: &mut Sink<'_>) {
    super::judge(inv, s, sink, &["full-admin"], false, "has full administrative access");
}
