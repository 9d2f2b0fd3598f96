//! `cross-account-access`: principals of accounts that are neither this account nor trusted,
//! without `sts:ExternalId` (trust) or an organization condition.

use crate::checks::analysis::{is_constraining, is_wildcard_principal, positive_values, principal_account};
use crate::engine::Ctx;
use crate::policy::{PolicyKind, PrincipalType, Statement};

fn guarded(st: &Statement, trusted_orgs: &[String]) -> bool {
    let ext = st.conditions_on("sts:ExternalId").any(is_constraining);
    let org = positive_values(st, "aws:PrincipalOrgID").any(|(c, vals)| {
        is_constraining(c) && (trusted_orgs.is_empty() || vals.iter().all(|v| trusted_orgs.contains(v)))
    });
    let paths = st.conditions_on("aws:PrincipalOrgPaths").any(is_constraining);
    let via = st.conditions_on("kms:ViaService").any(is_constraining);
    ext || org || paths || via
}

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if !ctx.policy.kind.has_principals() {
        return;
    }
    let home_known = ctx.opts.account_id.is_some();
    let mut hits = Vec::new();
    {
        let an = ctx.analysis();
        for st in ctx.policy.statements.iter().filter(|s| s.is_allow()) {
            let Some(p) = &st.principal else { continue };
            if p.negated || guarded(st, &ctx.opts.trusted_org_ids) {
                continue;
            }
            for e in p.entries.iter().filter(|e| e.kind == PrincipalType::Aws && !is_wildcard_principal(&e.value)) {
                let Some(acct) = principal_account(&e.value) else { continue };
                if !an.is_foreign_account(acct) {
                    continue;
                }
                let guard = if ctx.policy.kind == PolicyKind::Trust {
                    "sts:ExternalId or aws:PrincipalOrgID"
                } else {
                    "aws:PrincipalOrgID"
                };
                let why = if home_known || !an.home_accounts.is_empty() {
                    "is not this account or a trusted account"
                } else {
                    "is not a trusted account (set account_id and trusted_accounts to tell yours apart)"
                };
                hits.push((
                    e.pointer.clone(),
                    format!(
                        "{} grants access to account {acct}, which {why}, without an {guard} condition",
                        st.label()
                    ),
                    acct.to_string(),
                ));
            }
        }
    }
    for (ptr, msg, acct) in hits {
        ctx.report(ptr, msg).evidence.insert("account".into(), serde_json::Value::String(acct));
    }
}
