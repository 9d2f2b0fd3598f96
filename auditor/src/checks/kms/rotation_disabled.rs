//! AU301 `kms-rotation-disabled`: a symmetric customer managed key (`SYMMETRIC_DEFAULT`,
//! origin `AWS_KMS`) without automatic rotation, or with a rotation period above the maximum.
//! Asymmetric, HMAC, imported and external-store keys cannot rotate automatically: skipped.

use crate::checks::support::need;
use crate::checks::{Res, Settings, Sink};
use crate::inventory::{Fact, Inventory, KeyManager};

/// Evaluator.
pub fn check(inv: &Inventory, s: &Settings, sink: &mut Sink<'_>) {
    for k in &inv.kms_keys {
        let res = Res::key(k);
        let Some(manager) = need(sink, &res, "/manager", "the key manager", &k.manager) else { continue };
        if *manager != KeyManager::Customer || k.pending_deletion() == Some(true) {
            continue;
        }
        let Some(spec) = need(sink, &res, "/key_spec", "the key spec", &k.key_spec) else { continue };
        if spec != "SYMMETRIC_DEFAULT" {
            continue;
        }
        if let Fact::Known(origin) = &k.origin {
            if origin != "AWS_KMS" {
                continue;
            }
        }
        let Some(enabled) = need(sink, &res, "/rotation_enabled", "the rotation status", &k.rotation_enabled) else {
            continue;
        };
        if !enabled {
            sink.report(
                &res,
                "/rotation_enabled",
                format!("customer managed symmetric {} does not rotate automatically", res.label()),
            );
            continue;
        }
        if let Fact::Known(Some(days)) = k.rotation_period_days {
            if days > s.kms_max_rotation_days {
                let f = sink.report(
                    &res,
                    "/rotation_period_days",
                    format!("{} rotates every {days} days, longer than {} days", res.label(), s.kms_max_rotation_days),
                );
                f.evidence.insert("rotation_period_days".into(), days.into());
            }
        }
    }
}
