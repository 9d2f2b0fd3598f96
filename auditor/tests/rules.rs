//! Rule behaviour: every rule's documented examples are executed (bad fires, good is silent),
//! and the fixture inventories give exactly the snapshotted findings.

use auditor::checks::{run_all, run_rule, Settings};
use auditor::inventory::Inventory;
use common::Finding;

fn parse(code: &str, which: &str, text: &str) -> Inventory {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{code} {which}: example is not an inventory: {e}"))
}

#[test]
fn documented_examples_fire_and_stay_silent() {
    let rules = auditor::builtin_rules();
    let settings = Settings::default();
    for r in rules.rules() {
        let bad = run_rule(&parse(&r.code, "example_bad", &r.docs.example_bad), &settings, r);
        assert!(
            bad.iter().any(|f| f.code == r.code && !f.evidence.contains_key("unverified")),
            "{}: example_bad does not fire: {bad:#?}",
            r.code
        );
        let good = run_rule(&parse(&r.code, "example_good", &r.docs.example_good), &settings, r);
        assert!(good.is_empty(), "{}: example_good fires: {good:#?}", r.code);
        // Every rule, not only its own, must agree that the good example is not a problem of
        // that rule's kind: run all rules and check that none reports this rule's category.
        let all = run_all(&parse(&r.code, "example_good", &r.docs.example_good), &settings, rules.rules());
        assert!(!all.iter().any(|f| f.category == r.category), "{}: example_good fires via another rule", r.code);
    }
}

fn summarize(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            let unverified = if f.evidence.contains_key("unverified") { " [unverified]" } else { "" };
            format!(
                "{} {} {} {}#{}{unverified}\n    {}",
                f.code,
                f.severity,
                f.category,
                f.location.address.as_deref().unwrap_or("-"),
                f.location.pointer.as_deref().unwrap_or(""),
                f.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn audit_fixture(name: &str) -> Vec<Finding> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inventory").join(name);
    let inv = auditor::load_inventory(&path).unwrap_or_else(|e| panic!("{}", e.display()));
    run_all(&inv, &Settings::default(), auditor::builtin_rules().rules())
}

#[test]
fn compliant_account_has_no_findings() {
    let f = audit_fixture("compliant.json");
    assert!(f.is_empty(), "{}", summarize(&f));
}

#[test]
fn noncompliant_account_findings() {
    let f = audit_fixture("noncompliant.json");
    insta::assert_snapshot!("noncompliant", summarize(&f));
}

#[test]
fn unknown_values_are_never_compliant() {
    let f = audit_fixture("unknowns.json");
    insta::assert_snapshot!("unknowns", summarize(&f));
}
