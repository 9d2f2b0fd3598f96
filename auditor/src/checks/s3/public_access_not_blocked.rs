//! AU205 `s3-public-access-not-blocked`: the effective Block Public Access settings (bucket OR
//! account level) do not have all four settings on.

use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Fact, Inventory, PublicAccessBlock};

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for b in &inv.buckets {
        let res = Res::bucket(b);
        let account = b.account.as_deref().and_then(|a| inv.accounts.iter().find(|x| x.id == a)).or_else(|| {
            // One audited account (plans, single-account runs): it is the bucket's account.
            if inv.accounts.len() == 1 {
                inv.accounts.first()
            } else {
                None
            }
        });
        let acct: Fact<Option<PublicAccessBlock>> = account
            .map_or(Fact::Unknown(crate::inventory::UnknownReason::NotCollected), |a| a.s3_public_access_block.clone());
        let bucket = b.public_access_block.clone();
        let none = PublicAccessBlock::default();
        match (&bucket, &acct) {
            (Fact::Known(bp), Fact::Known(ap)) => {
                let eff = bp.unwrap_or(none).or(ap.unwrap_or(none));
                if !eff.all() {
                    let f = sink.report(
                        &res,
                        "/public_access_block",
                        format!(
                            "{} is not fully covered by S3 Block Public Access (bucket or account level)",
                            res.label()
                        ),
                    );
                    f.evidence.insert("effective".into(), serde_json::to_value(eff).unwrap_or_default());
                }
            }
            (Fact::Known(Some(bp)), _) if bp.all() => {}
            (_, Fact::Known(Some(ap))) if ap.all() => {}
            (Fact::Unknown(r), _) => {
                sink.unknown(&res, "/public_access_block", "the bucket's Block Public Access configuration", *r)
            }
            (_, Fact::Unknown(r)) => {
                sink.unknown(&res, "/public_access_block", "the account's Block Public Access configuration", *r)
            }
        }
    }
}
