//! AU405 `no-multiregion-trail`: an audited account (or a plan) without any multi-region trail
//! that is logging. Reported once per account.

use std::collections::BTreeSet;

use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Fact, Inventory, SourceKind};

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    // Nothing can be said when the trail listing itself failed.
    if inv.collection_errors.iter().any(|e| e.service == "cloudtrail" && e.resource.is_none()) {
        return;
    }
    let trails = super::unique(inv);
    let good = |acct: Option<&str>| {
        trails.iter().any(|t| {
            (acct.is_none() || t.account.as_deref() == acct || t.account.is_none())
                && t.multi_region == Fact::Known(true)
                && !matches!(t.is_logging, Fact::Known(false))
        })
    };
    let mut accounts: BTreeSet<Option<String>> =
        inv.accounts.iter().filter(|a| !a.id.is_empty()).map(|a| Some(a.id.clone())).collect();
    if accounts.is_empty() {
        accounts.insert(None);
    }
    for acct in accounts {
        if good(acct.as_deref()) {
            continue;
        }
        let (id, what) = match (&acct, inv.source.kind) {
            (Some(a), _) => (format!("account/{a}"), format!("account {a}")),
            (None, SourceKind::Live) => ("account".to_string(), "the audited account".to_string()),
            (None, _) => ("plan".to_string(), "the plan".to_string()),
        };
        let res = Res {
            service: "cloudtrail",
            kind: "account",
            id,
            name: what.clone(),
            account: acct.clone(),
            ..Res::default()
        };
        sink.report(&res, "/trails", format!("{what} has no logging multi-region CloudTrail trail"));
    }
}
