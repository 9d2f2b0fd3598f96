//! IAM role checks on real policy documents: the role's inline and attached (default version)
//! policies are merged, so combinations spread over several policies are seen.

use auditor::checks::{run_all, Settings};
use auditor::inventory::Inventory;
use serde_json::json;

fn findings(roles: serde_json::Value) -> Vec<common::Finding> {
    let inv: Inventory = serde_json::from_value(json!({ "iam_roles": roles })).unwrap();
    let rules = auditor::builtin_rules();
    let iam: Vec<_> = rules.rules().iter().filter(|r| r.code.starts_with("AU1")).cloned().collect();
    run_all(&inv, &Settings::default(), &iam)
}

fn role(inline: serde_json::Value, attached: serde_json::Value) -> serde_json::Value {
    json!({"name": "r", "arn": "arn:aws:iam::111122223333:role/r", "account": "111122223333",
           "trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
           "inline_policies": inline, "attached_policies": attached})
}

#[test]
fn administrator_access_is_one_admin_finding() {
    let admin = json!([{"arn": "arn:aws:iam::aws:policy/AdministratorAccess", "name": "AdministratorAccess", "default_version_id": "v1",
        "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]);
    let f = findings(json!([role(json!([]), admin)]));
    let codes: Vec<&str> = f.iter().map(|x| x.code.as_str()).collect();
    assert_eq!(codes, ["AU101"], "{f:#?}");
    let path = f[0].evidence["evidence_path"].as_array().unwrap();
    assert_eq!(path[0]["policy"], "arn:aws:iam::aws:policy/AdministratorAccess (v1)");
    assert_eq!(path[0]["statement"], 0);
}

#[test]
fn escalation_across_two_policies_is_seen() {
    let inline = json!([{"name": "pass", "document": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}}]);
    let attached = json!([{"arn": "arn:aws:iam::111122223333:policy/lambda-deploy", "name": "lambda-deploy", "default_version_id": "v3",
        "document": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}]}}]);
    let f = findings(json!([role(inline, attached)]));
    let esc: Vec<_> = f.iter().filter(|x| x.code == "AU103").collect();
    assert_eq!(esc.len(), 1, "one finding per role: {f:#?}");
    let text = serde_json::to_string(&esc[0].evidence).unwrap();
    assert!(text.contains("inline:pass"), "{text}");
}

#[test]
fn scoped_task_role_is_clean_and_unknown_documents_are_not() {
    let scoped = json!([{"name": "task", "document": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::fcm-cases-prod/*"},
        {"Effect": "Allow", "Action": ["kinesis:PutRecords"], "Resource": "arn:aws:kinesis:ca-central-1:111122223333:stream/fcm-security-events"}]}}]);
    assert!(findings(json!([role(scoped.clone(), json!([]))])).is_empty());
    // A managed policy whose document could not be read: the role is not verified.
    let unknown = json!([{"arn": "arn:aws:iam::aws:policy/SomethingNew", "name": "SomethingNew", "document": {"$unknown": "not-collected"}}]);
    let f = findings(json!([role(scoped, unknown)]));
    assert_eq!(f.len(), 3, "{f:#?}");
    assert!(f.iter().all(|x| x.evidence.contains_key("unverified")));
}

#[test]
fn service_wildcard_is_reported() {
    let inline = json!([{"name": "kms", "document": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:*", "Resource": "arn:aws:kms:ca-central-1:111122223333:key/k"}]}}]);
    let f = findings(json!([role(inline, json!([]))]));
    assert!(f.iter().any(|x| x.code == "AU102"), "{f:#?}");
    assert!(!f.iter().any(|x| x.code == "AU101"));
}

#[test]
fn unparsable_documents_are_reported_not_skipped() {
    let inline = json!([{"name": "broken", "document": "{\"Version\": \"2012-10-17\", \"Statement\": ["}]);
    let f = findings(json!([role(inline, json!([]))]));
    assert_eq!(f.len(), 3, "one per IAM rule: {f:#?}");
    assert!(f.iter().all(|x| x.message.contains("inline:broken") && x.evidence["unverified"] == "unparsable"));
}
