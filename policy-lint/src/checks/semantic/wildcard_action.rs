//! `wildcard-action`: service wildcards (`s3:*`) and partial wildcards whose expansion holds
//! dangerous actions (`iam:*AccessKey*`, `s3:Put*`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::catalog::{AccessLevel, Catalog};
use crate::checks::analysis::{is_all_actions, is_symbolic};
use crate::engine::Ctx;
use crate::policy::PolicyKind;

use super::{join_total, level_counts, EVIDENCE_MAX};

/// What a wildcard expands to (computed once per catalog and pattern).
struct Summary {
    total: usize,
    counts: String,
    dangerous: usize,
    dangerous_counts: String,
    /// The most dangerous first: escalation/credential actions, then permissions management.
    head: Vec<String>,
    pm: bool,
    writes: usize,
    sensitive: bool,
}

fn summary(catalog: &Catalog, pattern: &str) -> Arc<Summary> {
    type Cache = Mutex<HashMap<(usize, String), Arc<Summary>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (std::ptr::from_ref(catalog) as usize, pattern.to_ascii_lowercase());
    let cache = CACHE.get_or_init(Cache::default);
    if let Some(s) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return s;
    }
    let expanded = catalog.expand(pattern);
    let mut dangerous: Vec<(bool, bool, String)> = expanded
        .iter()
        .filter(|x| matches!(x.access_level, AccessLevel::Write | AccessLevel::PermissionsManagement))
        .map(|x| {
            let n = x.full_name();
            (!super::privilege_escalation::is_sensitive(&n), x.access_level != AccessLevel::PermissionsManagement, n)
        })
        .collect();
    dangerous.sort_by_key(|d| (d.0, d.1));
    let dlist: Vec<_> = expanded
        .iter()
        .copied()
        .filter(|x| matches!(x.access_level, AccessLevel::Write | AccessLevel::PermissionsManagement))
        .collect();
    let s = Arc::new(Summary {
        total: expanded.len(),
        counts: level_counts(&expanded),
        dangerous: dangerous.len(),
        dangerous_counts: level_counts(&dlist),
        pm: dangerous.iter().any(|d| !d.1),
        writes: dangerous.iter().filter(|d| d.1).count(),
        sensitive: dangerous.iter().any(|d| !d.0),
        head: dangerous.into_iter().take(EVIDENCE_MAX).map(|d| d.2).collect(),
    });
    if let Ok(mut c) = cache.lock() {
        c.insert(key, s.clone());
    }
    s
}

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if matches!(ctx.policy.kind, PolicyKind::Key | PolicyKind::Trust | PolicyKind::Scp) {
        return;
    }
    let max_write = usize::try_from(ctx.rule.param_i64("max_write_expansion", 3)).unwrap_or(3);
    let catalog = ctx.catalog;
    let mut hits: Vec<(String, String, Option<Arc<Summary>>)> = Vec::new();
    {
        let an = ctx.analysis();
        for a in an.allows.iter().filter(|a| !a.actions.negated) {
            let st = &ctx.policy.statements[a.index];
            let full_admin = a.breadth.is_broad() && a.actions.covers_all(catalog);
            for item in &st.action.items {
                let p = item.value.as_str();
                if is_symbolic(p) || !p.contains(['*', '?']) {
                    continue;
                }
                if is_all_actions(p) {
                    if !full_admin {
                        hits.push((item.pointer.clone(), format!("{} allows every action (`{p}`)", st.label()), None));
                    }
                    continue;
                }
                let s = summary(catalog, p);
                if s.total == 0 {
                    continue;
                }
                let (svc, name) = p.split_once(':').unwrap_or((p, ""));
                let service_wide = name == "*" && !svc.contains(['*', '?']);
                if service_wide {
                    let msg = format!(
                        "{} allows every action of service `{svc}` (`{p}`: {} actions; {})",
                        st.label(),
                        s.total,
                        s.counts
                    );
                    hits.push((item.pointer.clone(), msg, Some(s)));
                } else if s.pm || s.sensitive || s.writes > max_write {
                    let msg = format!(
                        "{} uses wildcard `{p}` which expands to {} write or permissions-management actions ({}): {}",
                        st.label(),
                        s.dangerous,
                        s.dangerous_counts,
                        join_total(&s.head, s.dangerous, 8)
                    );
                    hits.push((item.pointer.clone(), msg, Some(s)));
                }
            }
        }
    }
    for (ptr, msg, s) in hits {
        let f = ctx.report(ptr, msg);
        if let Some(s) = s.filter(|s| s.dangerous > 0) {
            f.evidence.insert("dangerous_actions".into(), super::json_list(&s.head));
            if s.dangerous > s.head.len() {
                f.evidence.insert("dangerous_actions_total".into(), serde_json::Value::from(s.dangerous));
            }
        }
    }
}
