//! Dogfood gate: the repository's own production plan passes the audit (nothing at medium or
//! above), and the plan reader really understood it (so "no findings" cannot mean "saw nothing").

use auditor::checks::{run_all, Settings};
use common::Severity;

#[test]
fn prod_plan_passes_the_audit() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../terraform/envs/prod/plan.json");
    let inv = auditor::plan::load(&path).unwrap_or_else(|e| panic!("{}", e.display()));
    // The plan defines the data and log buckets, their keys, the trail, log groups, the stream and
    // one role per component; all must be in the inventory with their settings resolved.
    assert!(inv.buckets.len() >= 4, "buckets: {}", inv.buckets.len());
    assert!(
        inv.kms_keys.len() >= 3
            && !inv.trails.is_empty()
            && !inv.log_groups.is_empty()
            && !inv.kinesis_streams.is_empty()
    );
    assert!(inv.iam_roles.len() >= 5);
    for b in &inv.buckets {
        let enc = b.encryption.known().and_then(Option::as_ref).unwrap_or_else(|| panic!("{}: encryption", b.name));
        let key =
            enc.kms_key_id.known().and_then(Option::as_deref).unwrap_or_else(|| panic!("{}: key resolved", b.name));
        assert!(
            inv.find_key(key, b.region.known().map(String::as_str)).is_some(),
            "{}: key {key} is a key of the plan",
            b.name
        );
    }
    let findings = run_all(&inv, &Settings::default(), auditor::builtin_rules().rules());
    let serious: Vec<String> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .map(|f| format!("{} {} {}", f.code, f.location.address.as_deref().unwrap_or("-"), f.message))
        .collect();
    assert!(serious.is_empty(), "the production plan has findings:\n{}", serious.join("\n"));
}
