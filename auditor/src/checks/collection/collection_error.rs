//! AU901 `collection-error`: something could not be collected (access denied, throttled past
//! the retries, API unavailable). The audit of that part is incomplete; the run exits 2.

use crate::checks::{Res, Settings, Sink};
use crate::inventory::Inventory;

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for e in &inv.collection_errors {
        let id = match &e.resource {
            Some(r) => format!("{}/{r}", e.service),
            None => e.service.clone(),
        };
        let res = Res {
            service: "collection",
            kind: "collection",
            name: id.clone(),
            id,
            account: e.account.clone(),
            region: e.region.clone(),
            ..Res::default()
        };
        let f = sink.report(
            &res,
            &format!("/{}", e.operation),
            format!("{} {} failed ({}); what it returns was not audited", e.service, e.operation, e.code),
        );
        f.service = Some(e.service.clone());
        f.evidence.insert("code".into(), e.code.as_str().into());
        f.evidence.insert("message".into(), e.message.as_str().into());
    }
}
