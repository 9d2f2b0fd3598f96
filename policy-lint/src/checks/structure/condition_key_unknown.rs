//! PL401 condition-key-unknown: a condition key that no service defines (`aws:SecureTransprot`),
//! or a service key that none of the statement's actions supports (`s3:prefix` with
//! `s3:GetObject`). IAM evaluates an absent key as not matching, so the condition silently
//! never (or, with `IfExists` and negated operators, always) applies.

use std::collections::HashSet;

use super::{has_wildcard, is_symbolic};
use crate::catalog::{wildcard_match, Catalog};
use crate::engine::Ctx;
use crate::policy::Statement;

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let catalog = ctx.catalog;
    let mut found = Vec::new();
    for st in &ctx.policy.statements {
        if st.conditions.is_empty() {
            continue;
        }
        let mut supported: Option<Option<Supported>> = None;
        for c in &st.conditions {
            let key = c.key.as_str();
            if is_symbolic(key) || catalog.is_global_condition_key(key) || catalog.is_provider_condition_key(key) {
                continue;
            }
            if catalog.condition_key_type(key).is_none() {
                let msg = match catalog.suggest_condition_key(key) {
                    Some(s) => format!("unknown condition key `{key}` (did you mean `{s}`?)"),
                    None if !key.contains(':') => {
                        format!("unknown condition key `{key}`: keys have the form `service:Name`")
                    }
                    None => format!("unknown condition key `{key}`"),
                };
                found.push((c.pointer.clone(), msg));
                continue;
            }
            // A known service key: does any action of the statement support it?
            let sup = supported.get_or_insert_with(|| Supported::of(catalog, st));
            if let Some(sup) = sup {
                if !sup.contains(key) {
                    found.push((
                        c.pointer.clone(),
                        format!(
                            "condition key `{key}` is not supported by any action of {} ({}), so the condition never matches",
                            st.label(),
                            sup.describe()
                        ),
                    ));
                }
            }
        }
    }
    for (ptr, msg) in found {
        ctx.report(ptr, msg);
    }
}

/// The service condition keys the actions of a statement support.
struct Supported {
    exact: HashSet<String>,
    templated: Vec<String>,
    actions: Vec<String>,
}

impl Supported {
    /// `None` when the statement's actions are open-ended (`*`, `NotAction`, symbolic or unknown):
    /// then any known key may apply.
    fn of(catalog: &Catalog, st: &Statement) -> Option<Supported> {
        if st.action.negated {
            return None;
        }
        let mut s = Supported { exact: HashSet::new(), templated: Vec::new(), actions: Vec::new() };
        for item in &st.action.items {
            let a = item.value.as_str();
            if a == "*" || is_symbolic(a) {
                return None;
            }
            let expanded = if has_wildcard(a) { catalog.expand(a) } else { catalog.action(a).into_iter().collect() };
            if expanded.is_empty() {
                return None;
            }
            s.actions.push(a.to_string());
            for act in expanded {
                for k in &act.condition_keys {
                    if k.contains("${") {
                        let g = glob(k);
                        if !s.templated.contains(&g) {
                            s.templated.push(g);
                        }
                    } else {
                        s.exact.insert(k.to_ascii_lowercase());
                    }
                }
            }
        }
        Some(s)
    }

    fn contains(&self, key: &str) -> bool {
        let low = key.to_ascii_lowercase();
        self.exact.contains(&low) || self.templated.iter().any(|g| wildcard_match(g, &low))
    }

    fn describe(&self) -> String {
        const MAX: usize = 4;
        let mut out: Vec<String> = self.actions.iter().take(MAX).map(|a| format!("`{a}`")).collect();
        if self.actions.len() > MAX {
            out.push(format!("{} more", self.actions.len() - MAX));
        }
        out.join(", ")
    }
}

fn glob(key: &str) -> String {
    let mut out = String::new();
    let mut rest = key;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        match rest[i..].find('}') {
            Some(e) => {
                out.push('*');
                rest = &rest[i + e + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out.to_ascii_lowercase()
}
