//! Offline audits: `terraform show -json` plans become inventories and the same rules run.

use auditor::checks::{run_all, Settings};
use auditor::inventory::{Fact, SseAlgorithm, UnknownReason};
use common::Finding;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans").join(name)
}

fn audit(name: &str) -> Vec<Finding> {
    let inv = auditor::plan::load(&fixture(name)).unwrap_or_else(|e| panic!("{}", e.display()));
    run_all(&inv, &Settings::default(), auditor::builtin_rules().rules())
}

fn summarize(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            let unverified = if f.evidence.contains_key("unverified") { " [unverified]" } else { "" };
            format!(
                "{} {} {}#{}{unverified}\n    {}",
                f.code,
                f.severity,
                f.location.address.as_deref().unwrap_or("-"),
                f.location.pointer.as_deref().unwrap_or(""),
                f.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn compliant_plan_joins_modules_and_references() {
    let inv = auditor::plan::load(&fixture("compliant.json")).unwrap();
    let b = inv.buckets.iter().find(|b| b.name == "fcm-cases-prod").expect("bucket");
    assert_eq!(b.address.as_deref(), Some("module.cases_bucket.aws_s3_bucket.this[0]"));
    assert_eq!(b.region, Fact::Known("ca-central-1".to_string()));
    let enc = b.encryption.known().and_then(Option::as_ref).expect("encryption joined by reference");
    assert_eq!(enc.algorithm, Fact::Known(SseAlgorithm::AwsKms));
    // var.kms_key_arn -> module.kms.key_arn -> aws_kms_key.this[0]: a key created by this plan.
    assert_eq!(enc.kms_key_id, Fact::Known(Some("module.kms.aws_kms_key.this[0]".to_string())));
    let key = inv.find_key("module.kms.aws_kms_key.this[0]", Some("ca-central-1")).expect("key");
    assert_eq!(key.aliases, ["alias/fcm-data"]);
    assert_eq!(
        b.tags.known().and_then(|t| t.get("Environment")).map(String::as_str),
        Some("prod"),
        "provider default_tags merged"
    );
    assert!(b.lifecycle.known().is_some_and(|l| l[0].whole_bucket && l[0].expiration_days == Some(2555)));
    let logs = inv.buckets.iter().find(|b| b.name == "fcm-audit-logs-prod").unwrap();
    assert_eq!(logs.object_lock.known().and_then(Option::as_ref).and_then(|l| l.retention_days()), Some(365));
    assert_eq!(inv.accounts[0].id, "111122223333");
    let role = inv.iam_roles.iter().find(|r| r.name == "fcm-translator-task").expect("role");
    let inline = role.inline_policies.known().expect("inline policies");
    assert_eq!(inline.len(), 1, "aws_iam_role_policy joined by its `role` reference");
    assert!(inline[0].document.known().is_some_and(|d| d["Statement"][0]["Action"][0] == "s3:GetObject"));
    let f = audit("compliant.json");
    assert!(f.is_empty(), "{}", summarize(&f));
}

#[test]
fn noncompliant_plan_findings() {
    let inv = auditor::plan::load(&fixture("noncompliant.json")).unwrap();
    // A key reference through a local cannot be resolved: computed, never compliant.
    let logs = inv.buckets.iter().find(|b| b.name == "fcm-audit-logs-prod").unwrap();
    let enc = logs.encryption.known().and_then(Option::as_ref).unwrap();
    assert_eq!(enc.kms_key_id, Fact::Unknown(UnknownReason::Computed));
    assert!(inv
        .computed
        .iter()
        .any(|c| c.starts_with("module.audit_logs.aws_s3_bucket_server_side_encryption_configuration.this[0]#")));
    insta::assert_snapshot!("noncompliant_plan", summarize(&audit("noncompliant.json")));
}

#[test]
fn malformed_plans_are_clear_errors() {
    let e = auditor::plan::load(&fixture("truncated.json")).unwrap_err();
    assert_eq!(e.kind, "parse");
    assert!(e.source.ends_with("truncated.json"));
    assert!(e.line.is_some() && e.column.is_some(), "{e:?}");
    let inv_as_plan = auditor::plan::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inventory/compliant.json"),
    )
    .unwrap_err();
    assert_eq!(inv_as_plan.kind, "plan");
    assert!(inv_as_plan.message.contains("terraform show -json"), "{}", inv_as_plan.message);
    let missing = auditor::plan::load(&fixture("does-not-exist.json")).unwrap_err();
    assert_eq!(missing.kind, "io");
}

#[test]
fn odd_plans_never_panic() {
    // Shapes a hand-edited or future plan may have: wrong types everywhere.
    let docs = [
        r#"{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"aws_s3_bucket.x","mode":"managed","type":"aws_s3_bucket","values":{"bucket":7,"tags":"no"}}]}}}"#,
        r#"{"format_version":"1.2","resource_changes":[{"address":"aws_kms_key.k","type":"aws_kms_key","change":{"actions":["create"],"after":{"policy":"{not json","enable_key_rotation":"yes"},"after_unknown":{"policy":false}}}]}"#,
        r#"{"format_version":"1.2","resource_changes":[{"address":"aws_iam_role.r","type":"aws_iam_role","change":{"actions":["create"],"after":{"name":"r","inline_policy":[{"name":"p","policy":null}],"managed_policy_arns":[1,2]},"after_unknown":{}}}]}"#,
        r#"{"format_version":"1.2","resource_changes":[{"address":"aws_s3_bucket_lifecycle_configuration.l","type":"aws_s3_bucket_lifecycle_configuration","change":{"actions":["create"],"after":{"bucket":"b","rule":[{"status":"Enabled","expiration":[{"days":-5}]}]},"after_unknown":{}}}],"configuration":{"root_module":{"module_calls":{"m":{"module":null}}}}}"#,
    ];
    for d in docs {
        let v: serde_json::Value = serde_json::from_str(d).unwrap();
        let inv = auditor::plan::from_value(&v).expect("a plan");
        let _ = run_all(&inv, &Settings::default(), auditor::builtin_rules().rules());
    }
}

#[test]
fn state_files_use_the_bucket_own_settings() {
    // `terraform show -json` of a state written by an older provider: settings inline on the bucket.
    let state = serde_json::json!({"format_version": "1.0", "values": {"root_module": {"resources": [{
        "address": "aws_s3_bucket.legacy", "mode": "managed", "type": "aws_s3_bucket", "name": "legacy",
        "values": {"bucket": "fcm-legacy", "region": "ca-central-1", "tags": {"DataClass": "logs"},
            "lifecycle_rule": [{"id": "old", "enabled": true, "prefix": "", "tags": {}, "expiration": [{"days": 30, "date": ""}], "noncurrent_version_expiration": [], "transition": []}],
            "server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": "alias/aws/s3"}], "bucket_key_enabled": false}]}],
            "versioning": [{"enabled": true, "mfa_delete": false}],
            "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::fcm-legacy\",\"arn:aws:s3:::fcm-legacy/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"}
    }]}}});
    let inv = auditor::plan::from_value(&state).unwrap();
    assert_eq!(inv.source.kind, auditor::inventory::SourceKind::State);
    let f = run_all(&inv, &Settings::default(), auditor::builtin_rules().rules());
    let codes: std::collections::BTreeSet<&str> =
        f.iter().filter(|x| !x.evidence.contains_key("unverified")).map(|x| x.code.as_str()).collect();
    // aws/s3 key and no bucket key; versioning and the TLS policy are read from the bucket.
    assert!(codes.contains("AU203") && codes.contains("AU204"), "{codes:?}");
    // The legacy lifecycle rule expires logs after 30 days.
    assert!(codes.contains("AU209"), "{codes:?}");
    assert!(!codes.contains("AU207") && !codes.contains("AU206") && !codes.contains("AU202"), "{codes:?}");
}
