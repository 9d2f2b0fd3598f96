//! AU901 `collection-error`: something could not be collected (access denied, throttled past
//! the retries, API unavailable). The audit of that part is incomplete; the run exits 2.

use crate::checks::{Res, Settings, Sink};
use crate::inventory::Inventory;

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for e in &inv.collection_errors {
        let scope = e.resource.clone().unwrap_or_else(|| e.service.clone());
        let id = format!("{}:{}:{}", e.service, e.operation, scope);
        let res = Res {
            service: "collection",
            kind: "collection",
            id,
            name: scope,
            account: e.account.clone(),
            region: e.region.clone(),
            ..Res::default()
        };
        let f = sink.report(
            &res,
            "",
            format!("{} {} failed ({}); what it returns was not audited", e.service, e.operation, e.code),
        );
        f.service = Some(e.service.clone());
        f.evidence.insert("code".into(), e.code.as_str().into());
        f.evidence.insert("message".into(), e.message.as_str().into());
    }
}
