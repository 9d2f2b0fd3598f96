//! `data-exfiltration`: read actions that return data or secrets (cloudsplaining's list plus
//! configurable extras) granted on all resources without a condition that limits what is
//! reached.

use crate::engine::Ctx;

/// cloudsplaining's read-only data-exfiltration actions.
const DEFAULT: [&str; 5] = [
    "s3:GetObject",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "secretsmanager:GetSecretValue",
];

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let mut actions = ctx.rule.param_strings("actions");
    if actions.is_empty() {
        actions = DEFAULT.iter().map(|s| (*s).to_string()).collect();
    }
    actions.extend(ctx.rule.param_strings("extra_actions"));
    super::report_unconstrained_actions(ctx, &actions, "data-exfiltration");
}
