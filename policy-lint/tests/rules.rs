//! Every rule's documentation examples are executed: `example_bad` must fire the rule,
//! `example_good` must not. Documentation cannot drift from behaviour.

use policy_lint::{analyze_value, builtin_rules, AnalyzeOptions, PolicyKind};

fn codes_for(example: &str, kind: PolicyKind, code: &str, which: &str) -> Vec<String> {
    let doc: serde_json::Value =
        serde_json::from_str(example).unwrap_or_else(|e| panic!("{code} {which}: example is not JSON: {e}"));
    analyze_value(&doc, kind, &AnalyzeOptions::default())
        .unwrap_or_else(|e| panic!("{code} {which}: example is not a valid policy: {e}"))
        .into_iter()
        .map(|f| f.code)
        .collect()
}

#[test]
fn docs_examples_fire_and_pass() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for r in builtin_rules().rules() {
        if r.evaluator == "input_computed_unknown" {
            continue;
        }
        let kind: PolicyKind = r.docs.example_kind.as_deref().unwrap_or("identity").parse().unwrap();
        let bad = codes_for(&r.docs.example_bad, kind, &r.code, "example_bad");
        if !bad.contains(&r.code) {
            failures.push(format!("{}: example_bad does not fire it (got {bad:?})", r.code));
        }
        let good = codes_for(&r.docs.example_good, kind, &r.code, "example_good");
        if good.contains(&r.code) {
            failures.push(format!("{}: example_good fires it", r.code));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 30, "only {checked} rules have executable examples");
}
