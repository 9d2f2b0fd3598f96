//! Rule files and evaluators stay in sync; codes, names and categories follow the conventions.

use std::collections::BTreeSet;

use auditor::checks::REGISTRY;

/// The fixed category vocabulary of the auditor (README).
const CATEGORIES: &[&str] = &[
    "s3-no-default-encryption",
    "s3-sse-s3-not-kms",
    "s3-kms-not-cmk",
    "s3-bucket-key-disabled",
    "s3-public-access-not-blocked",
    "s3-no-tls-policy",
    "s3-versioning-off",
    "s3-no-lifecycle-retention",
    "s3-log-retention-too-short",
    "s3-object-lock-missing",
    "kms-rotation-disabled",
    "kms-pending-deletion",
    "kms-policy-wildcard-principal",
    "trail-not-multiregion",
    "trail-no-log-validation",
    "trail-not-encrypted",
    "trail-not-logging",
    "no-multiregion-trail",
    "logs-no-retention",
    "logs-retention-too-short",
    "logs-not-encrypted",
    "kinesis-not-encrypted",
    "kinesis-not-cmk",
    "region-outside-canada",
    "iam-role-admin",
    "iam-role-wildcard-action",
    "iam-role-privilege-escalation",
    "collection-error",
];

#[test]
fn every_rule_has_an_evaluator_and_every_evaluator_a_rule() {
    let rules = auditor::builtin_rules();
    let evaluators: BTreeSet<&str> = REGISTRY.iter().map(|(id, _)| *id).collect();
    assert_eq!(evaluators.len(), REGISTRY.len(), "duplicate evaluator ids");
    let used: BTreeSet<&str> = rules.rules().iter().map(|r| r.evaluator.as_str()).collect();
    assert_eq!(used, evaluators, "rule files and checks::REGISTRY disagree");
}

#[test]
fn codes_names_and_categories_follow_the_conventions() {
    let rules = auditor::builtin_rules();
    let mut codes = BTreeSet::new();
    let mut categories = BTreeSet::new();
    for r in rules.rules() {
        assert!(codes.insert(r.code.clone()), "duplicate code {}", r.code);
        assert!(r.code.starts_with("AU") && r.code.len() == 5, "{}", r.code);
        assert!(
            CATEGORIES.contains(&r.category.as_str()),
            "{}: category `{}` not in the vocabulary",
            r.code,
            r.category
        );
        assert!(categories.insert(r.category.clone()), "two rules share category {}", r.category);
        assert_eq!(r.evaluator, r.name.replace('-', "_"), "{}: evaluator = snake_case(name)", r.code);
        assert!(r.service.is_some(), "{}: service", r.code);
        assert!(
            !r.docs.example_bad.trim().is_empty() && !r.docs.example_good.trim().is_empty(),
            "{}: examples",
            r.code
        );
        assert!(!r.docs.remediation_terraform.trim().is_empty(), "{}: Terraform remediation", r.code);
        let hundreds = &r.code[2..3];
        let expected = match r.service.as_deref() {
            Some("iam") => "1",
            Some("s3") => "2",
            Some("kms") => "3",
            Some("cloudtrail" | "logs") => "4",
            Some("kinesis") => "6",
            Some("residency") => "7",
            Some("collection") => "9",
            other => panic!("{}: unexpected service {other:?}", r.code),
        };
        assert_eq!(hundreds, expected, "{}: code range for its service", r.code);
    }
    insta::assert_snapshot!("rule_codes", codes.into_iter().collect::<Vec<_>>().join("\n"));
}

#[test]
fn framework_files_list_exactly_the_rule_mappings() {
    let rules = auditor::builtin_rules();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/frameworks");
    for (fw, file) in
        [("pci-dss-v4", "pci-dss-v4.toml"), ("cis-aws", "cis-aws.toml"), ("security-hub", "security-hub.toml")]
    {
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let doc: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let controls = doc.get("controls").and_then(|c| c.as_table()).unwrap_or_else(|| panic!("{file}: [controls]"));
        // control -> rules listed in the framework file
        let mut from_file = BTreeSet::new();
        for (id, c) in controls {
            assert!(
                c.get("title").and_then(|t| t.as_str()).is_some_and(|t| !t.is_empty()),
                "{file}: {id} needs a title"
            );
            for code in c.get("rules").and_then(|r| r.as_array()).into_iter().flatten() {
                from_file.insert((id.clone(), code.as_str().unwrap_or_default().to_string()));
            }
        }
        let mut from_rules = BTreeSet::new();
        for r in rules.rules() {
            for c in r.compliance.controls(fw).unwrap_or(&[]) {
                from_rules.insert((c.clone(), r.code.clone()));
            }
        }
        assert_eq!(from_file, from_rules, "{file} and the rules' [compliance].{fw} disagree");
    }
}

#[test]
fn readme_lists_every_rule_with_its_category() {
    let readme = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for r in auditor::builtin_rules().rules() {
        let row = format!("| {} | `{}` | {} |", r.code, r.category, r.severity);
        assert!(readme.contains(&row), "README rules table lacks `{row}`");
    }
}
