//! AU303 on real key policies: condition-aware wildcard principals plus policy-lint's key-policy
//! analysis (`kms:*` to principals other than the account root).

use auditor::checks::{run_rule, Settings};
use auditor::inventory::Inventory;
use serde_json::json;

fn au303(policy: serde_json::Value) -> Vec<common::Finding> {
    let inv: Inventory = serde_json::from_value(json!({"kms_keys": [{
        "id": "k", "arn": "arn:aws:kms:ca-central-1:111122223333:key/k", "region": "ca-central-1", "account": "111122223333",
        "manager": "CUSTOMER", "key_spec": "SYMMETRIC_DEFAULT", "state": "Enabled", "policy": policy}]}))
    .unwrap();
    let rules = auditor::builtin_rules();
    run_rule(&inv, &Settings::default(), rules.get("AU303").unwrap())
}

const ROOT: &str = "arn:aws:iam::111122223333:root";

#[test]
fn default_key_policy_is_fine() {
    let f = au303(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}]}));
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn kms_star_to_an_application_role_is_flagged() {
    let f = au303(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "App", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/fcm-translator-task"}, "Action": "kms:*", "Resource": "*"}]}));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].location.pointer.as_deref(), Some("/policy/Statement/1"));
    assert!(f[0].evidence.contains_key("policy_lint_rule"));
}

#[test]
fn one_finding_per_statement() {
    // Both analyses object to this statement: reported once.
    let f = au303(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}));
    assert_eq!(f.len(), 1, "{f:#?}");
}
