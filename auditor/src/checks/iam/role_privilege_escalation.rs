//! AU103 `iam-role-privilege-escalation`: a role whose effective policy (all its policies
//! together) contains a known privilege-escalation combination (e.g. `iam:PassRole` with
//! `lambda:CreateFunction` + `lambda:InvokeFunction`, `iam:CreatePolicyVersion`, `iam:PassRole` on
//! `*`). Roles with full admin are reported by AU101 only.

use crate::checks::{Settings, Sink};
use crate::inventory::Inventory;

/// Evaluator.
pub fn check(inv: &Inventory, s: &Settings, sink: &mut Sink<'_>) {
    super::judge(inv, s, sink, &["privilege-escalation", "passrole-wildcard"], true, "can escalate its privileges");
}
