//! `wildcard-action`: service wildcards (`s3:*`) and partial wildcards whose expansion holds
//! dangerous actions (`iam:*AccessKey*`, `s3:Put*`).

use crate::catalog::AccessLevel;
use crate::checks::analysis::{is_all_actions, is_symbolic};
use crate::engine::Ctx;
use crate::policy::PolicyKind;

use super::{join_limited, json_list, level_counts, names};

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if matches!(ctx.policy.kind, PolicyKind::Key | PolicyKind::Trust | PolicyKind::Scp) {
        return;
    }
    let max_write = usize::try_from(ctx.rule.param_i64("max_write_expansion", 3)).unwrap_or(3);
    let catalog = ctx.catalog;
    let mut hits: Vec<(String, String, Vec<String>)> = Vec::new();
    {
        let an = ctx.analysis();
        for a in an.allows.iter().filter(|a| !a.actions.negated) {
            let st = &ctx.policy.statements[a.index];
            let full_admin = a.breadth.is_broad() && a.actions.covers_all(catalog);
            for item in &st.action.items {
                let p = item.value.as_str();
                if is_symbolic(p) || !(p.contains('*') || p.contains('?')) {
                    continue;
                }
                if is_all_actions(p) {
                    if !full_admin {
                        hits.push((
                            item.pointer.clone(),
                            format!("{} allows every action (`{p}`)", st.label()),
                            vec![],
                        ));
                    }
                    continue;
                }
                let expanded = catalog.expand(p);
                if expanded.is_empty() {
                    continue;
                }
                let (svc, name) = p.split_once(':').unwrap_or((p, ""));
                let service_wide = name == "*" && !svc.contains(['*', '?']);
                let mut dangerous: Vec<_> = expanded
                    .iter()
                    .copied()
                    .filter(|x| matches!(x.access_level, AccessLevel::Write | AccessLevel::PermissionsManagement))
                    .collect();
                // Most dangerous first: escalation and credential actions, then permissions management.
                dangerous.sort_by_key(|x| {
                    (
                        !super::privilege_escalation::is_sensitive(&x.full_name()),
                        x.access_level != AccessLevel::PermissionsManagement,
                    )
                });
                let pm = dangerous.iter().any(|x| x.access_level == AccessLevel::PermissionsManagement);
                let writes = dangerous.iter().filter(|x| x.access_level == AccessLevel::Write).count();
                let sensitive = dangerous.iter().any(|x| super::privilege_escalation::is_sensitive(&x.full_name()));
                if service_wide {
                    hits.push((
                        item.pointer.clone(),
                        format!(
                            "{} allows every action of service `{svc}` (`{p}`: {} actions; {})",
                            st.label(),
                            expanded.len(),
                            level_counts(&expanded)
                        ),
                        names(&dangerous),
                    ));
                } else if pm || sensitive || writes > max_write {
                    let dn = names(&dangerous);
                    hits.push((
                        item.pointer.clone(),
                        format!(
                            "{} uses wildcard `{p}` which expands to {} write or permissions-management actions ({}): {}",
                            st.label(),
                            dangerous.len(),
                            level_counts(&dangerous),
                            join_limited(&dn, 8)
                        ),
                        dn,
                    ));
                }
            }
        }
    }
    for (ptr, msg, dangerous) in hits {
        let f = ctx.report(ptr, msg);
        if !dangerous.is_empty() {
            f.evidence.insert("dangerous_actions".into(), json_list(&dangerous));
        }
    }
}
