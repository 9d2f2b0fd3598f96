//! Rule files and evaluators stay in sync; categories come from the fixed vocabulary.

use std::collections::BTreeSet;

use policy_lint::builtin_rules;

/// The category vocabulary, shared with the other tools' reports (issue: policy-lint §4).
const VOCABULARY: [&str; 31] = [
    "full-admin",
    "wildcard-action",
    "wildcard-resource",
    "privilege-escalation",
    "passrole-wildcard",
    "not-action-allow",
    "not-resource-allow",
    "not-principal-allow",
    "public-principal",
    "cross-account-access",
    "missing-secure-transport",
    "weak-tls-version",
    "kms-wildcard-grant",
    "data-exfiltration",
    "credentials-exposure",
    "resource-exposure",
    "confused-deputy",
    "oidc-unconstrained",
    "region-not-restricted",
    "forallvalues-single-valued-key",
    "unknown-action",
    "unknown-service",
    "resource-mismatch",
    "invalid-arn",
    "invalid-version",
    "duplicate-sid",
    "condition-key-unknown",
    "condition-operator-unknown",
    "condition-type-mismatch",
    "bad-mfa-condition",
    "computed-policy-unknown",
];

const INPUT_LEVEL: &str = "input_computed_unknown";

#[test]
fn every_rule_has_an_evaluator_and_every_evaluator_a_rule() {
    let rules = builtin_rules().rules();
    let registered: BTreeSet<&str> = policy_lint::checks::registry().map(|(id, _)| id).collect();
    for r in rules {
        assert!(
            r.evaluator == INPUT_LEVEL || registered.contains(r.evaluator.as_str()),
            "{} names evaluator `{}` which is not registered",
            r.code,
            r.evaluator
        );
    }
    let used: BTreeSet<&str> = rules.iter().map(|r| r.evaluator.as_str()).collect();
    for id in &registered {
        assert!(used.contains(id), "evaluator `{id}` has no rule file");
    }
    assert_eq!(registered.len(), policy_lint::checks::registry().count(), "duplicate evaluator ids");
}

#[test]
fn categories_are_exactly_the_vocabulary() {
    let rules = builtin_rules().rules();
    let cats: BTreeSet<&str> = rules.iter().map(|r| r.category.as_str()).collect();
    for c in &cats {
        assert!(VOCABULARY.contains(c), "category `{c}` is not in the vocabulary");
    }
    for v in VOCABULARY {
        assert!(cats.contains(v), "no rule reports category `{v}`");
    }
}

#[test]
fn codes_follow_the_convention_and_docs_are_complete() {
    for r in builtin_rules().rules() {
        assert!(
            r.code.len() == 5 && r.code.starts_with("PL") && r.code[2..].chars().all(|c| c.is_ascii_digit()),
            "{}",
            r.code
        );
        assert!(!r.summary.trim().is_empty(), "{}: summary", r.code);
        assert!(!r.docs.what_it_does.trim().is_empty() && !r.docs.why_bad.trim().is_empty(), "{}: docs", r.code);
        assert!(!r.docs.remediation.trim().is_empty(), "{}: remediation", r.code);
        if r.evaluator != INPUT_LEVEL {
            assert!(!r.docs.example_bad.trim().is_empty(), "{}: example_bad", r.code);
            assert!(!r.docs.example_good.trim().is_empty(), "{}: example_good", r.code);
        }
    }
}
