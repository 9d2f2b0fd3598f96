//! `confused-deputy`: a service principal in a resource or trust policy without
//! `aws:SourceArn`/`aws:SourceAccount`, for services that send them.

use crate::checks::analysis::is_constraining;
use crate::engine::Ctx;
use crate::policy::PrincipalType;

/// Services that send `aws:SourceArn`/`aws:SourceAccount` when they act for a customer.
const DEFAULT_SERVICES: &[&str] = &[
    "cloudtrail.amazonaws.com",
    "config.amazonaws.com",
    "delivery.logs.amazonaws.com",
    "logs.amazonaws.com",
    "logs.*.amazonaws.com",
    "logging.s3.amazonaws.com",
    "s3.amazonaws.com",
    "sns.amazonaws.com",
    "events.amazonaws.com",
    "scheduler.amazonaws.com",
    "ses.amazonaws.com",
    "guardduty.amazonaws.com",
    "securityhub.amazonaws.com",
    "backup.amazonaws.com",
    "cloudwatch.amazonaws.com",
    "firehose.amazonaws.com",
    "apigateway.amazonaws.com",
    "macie.amazonaws.com",
    "inspector2.amazonaws.com",
    "transfer.amazonaws.com",
    "datasync.amazonaws.com",
    "states.amazonaws.com",
];

/// Keys that name the resource or account a service acts for. The KMS encryption context of
/// CloudWatch Logs (`kms:EncryptionContext:aws:logs:arn`) plays the same role in key policies.
const SOURCE_KEYS: [&str; 5] =
    ["aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceOwner"];

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if !ctx.policy.kind.has_principals() {
        return;
    }
    let mut services = ctx.rule.param_strings("services");
    if services.is_empty() {
        services = DEFAULT_SERVICES.iter().map(|s| (*s).to_string()).collect();
    }
    let mut hits = Vec::new();
    for st in ctx.policy.statements.iter().filter(|s| s.is_allow()) {
        let Some(p) = &st.principal else { continue };
        if p.negated {
            continue;
        }
        let has_source = st.conditions.iter().any(|c| {
            (SOURCE_KEYS.iter().any(|k| c.key.eq_ignore_ascii_case(k))
                || c.key.to_ascii_lowercase().starts_with("kms:encryptioncontext:"))
                && is_constraining(c)
        });
        if has_source {
            continue;
        }
        for e in p.entries.iter().filter(|e| e.kind == PrincipalType::Service) {
            if services.iter().any(|s| crate::catalog::wildcard_match(s, &e.value)) {
                hits.push((
                    e.pointer.clone(),
                    format!(
                        "{} allows service principal `{}` without an aws:SourceArn or aws:SourceAccount condition: the service can be made to act for any other account (confused deputy)",
                        st.label(),
                        e.value
                    ),
                ));
            }
        }
    }
    for (ptr, msg) in hits {
        ctx.report(ptr, msg);
    }
}
