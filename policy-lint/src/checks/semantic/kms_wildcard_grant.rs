//! `kms-wildcard-grant`: a key policy granting `kms:*` to anything but the key's own account
//! root, key-administration actions to application principals, or any use of the key to every
//! principal without `kms:CallerAccount`/`kms:ViaService`/organization conditions.

use crate::checks::analysis::{
    is_account_root, is_symbolic, is_wildcard_principal, pattern_matches, principal_account,
};
use crate::engine::Ctx;
use crate::policy::{PolicyKind, PrincipalType};

use super::public_principal::narrowed;

/// Key administration: changes who can use the key or destroys it.
const KEY_ADMIN: &[&str] = &[
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:DeleteImportedKeyMaterial",
    "kms:DeleteAlias",
    "kms:UpdateAlias",
    "kms:DisableKeyRotation",
    "kms:ReplicateKey",
    "kms:UpdatePrimaryRegion",
];

/// A Terraform-built root principal: `arn:aws:iam::${data.aws_caller_identity.current.account_id}:root`
/// or the bare `${data.aws_caller_identity.current.account_id}`.
fn symbolic_root(v: &str) -> bool {
    is_symbolic(v) && (v.ends_with(":root") || v.ends_with("account_id}"))
}

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if ctx.policy.kind != PolicyKind::Key {
        return;
    }
    let mut admin_patterns = ctx.rule.param_strings("admin_principal_patterns");
    if admin_patterns.is_empty() {
        admin_patterns = vec!["*admin*".into()];
    }
    let mut hits: Vec<(String, String)> = Vec::new();
    {
        let an = ctx.analysis();
        for a in &an.allows {
            let st = &ctx.policy.statements[a.index];
            let Some(p) = &st.principal else { continue };
            let grants_any_kms = a.actions.negated
                || a.actions.patterns.iter().any(|x| x == "*" || x.to_ascii_lowercase().starts_with("kms:"));
            if !grants_any_kms {
                continue;
            }
            let all_kms = a.actions.negated
                || a.actions.patterns.iter().any(|x| matches!(x.to_ascii_lowercase().as_str(), "*" | "*:*" | "kms:*"));
            if p.negated
                || p.is_public()
                || p.entries.iter().any(|e| e.kind == PrincipalType::Aws && is_wildcard_principal(&e.value))
            {
                if !narrowed(st) {
                    hits.push((
                        p.pointer.clone(),
                        format!(
                            "{} lets every principal use this key ({}) without a kms:CallerAccount, kms:ViaService or aws:PrincipalOrgID condition",
                            st.label(),
                            a.actions.patterns.join(", ")
                        ),
                    ));
                }
                continue;
            }
            for e in p.entries.iter().filter(|e| e.kind == PrincipalType::Aws) {
                let own_root = (is_account_root(&e.value)
                    && principal_account(&e.value)
                        .is_some_and(|acct| an.home_accounts.is_empty() || !an.is_foreign_account(acct)))
                    || symbolic_root(&e.value);
                if own_root {
                    continue;
                }
                if all_kms {
                    hits.push((
                        e.pointer.clone(),
                        format!(
                            "{} grants kms:* to `{}`: only the key's own account root should hold every KMS permission; grant the specific actions needed",
                            st.label(),
                            e.value
                        ),
                    ));
                    continue;
                }
                let name = e.value.rsplit(['/', ':']).next().unwrap_or(&e.value);
                let is_admin = admin_patterns.iter().any(|pat| crate::catalog::wildcard_match(pat, name));
                if is_admin {
                    continue;
                }
                let admin: Vec<&str> = KEY_ADMIN
                    .iter()
                    .copied()
                    .filter(|k| a.actions.patterns.iter().any(|x| pattern_matches(x, k)) && !an.denied(a, k))
                    .collect();
                if !admin.is_empty() {
                    hits.push((
                        e.pointer.clone(),
                        format!(
                            "{} grants key-administration actions to `{}`, which is not a key administrator: {}",
                            st.label(),
                            e.value,
                            admin.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    for (ptr, msg) in hits {
        ctx.report(ptr, msg);
    }
}
