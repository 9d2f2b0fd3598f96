//! `terraform show -json` plans: planned values incl. child modules, resource changes,
//! values unknown until apply, data sources, positions.

use policy_lint::input::{self, Content, InputOptions, Loaded};
use policy_lint::PolicyKind;
use serde_json::json;

fn load_plan(plan: &serde_json::Value) -> (tempfile::TempDir, Loaded, String) {
    let dir = tempfile::tempdir().unwrap();
    let text = serde_json::to_string_pretty(plan).unwrap();
    // not named .json on purpose when passed explicitly: plans are recognised by content
    std::fs::write(dir.path().join("plan.json"), &text).unwrap();
    let l = input::load(&[dir.path().join("plan.json")], &InputOptions::default());
    (dir, l, text)
}

fn line_of(text: &str, needle: &str) -> u32 {
    u32::try_from(text.lines().position(|l| l.contains(needle)).unwrap() + 1).unwrap()
}

fn sample_plan() -> serde_json::Value {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}).to_string();
    let task = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::cases/*"}]}).to_string();
    let bucket = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::cases/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}).to_string();
    let orphan_doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:ca-central-1:1:q"}]}).to_string();
    json!({
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": {
            "resources": [
                {"address": "data.aws_iam_policy_document.task", "mode": "data", "type": "aws_iam_policy_document", "name": "task",
                 "values": {"json": task}},
                {"address": "data.aws_iam_policy_document.orphan", "mode": "data", "type": "aws_iam_policy_document", "name": "orphan",
                 "values": {"json": orphan_doc}},
                {"address": "aws_s3_bucket_policy.cases", "mode": "managed", "type": "aws_s3_bucket_policy", "name": "cases",
                 "values": {"bucket": "cases", "policy": bucket}}
            ],
            "child_modules": [{"address": "module.app", "resources": [
                {"address": "module.app.aws_iam_role.task", "mode": "managed", "type": "aws_iam_role", "name": "task",
                 "values": {"name": "task", "assume_role_policy": trust, "inline_policy": [{"name": "inline", "policy": task}]}},
                {"address": "module.app.aws_iam_role_policy.task", "mode": "managed", "type": "aws_iam_role_policy", "name": "task",
                 "values": {"name": "task", "policy": task}},
                {"address": "module.app.aws_organizations_policy.tags", "mode": "managed", "type": "aws_organizations_policy", "name": "tags",
                 "values": {"type": "TAG_POLICY", "content": "{\"tags\": {}}"}}
            ]}]
        }},
        "resource_changes": [
            {"address": "aws_iam_policy.computed", "mode": "managed", "type": "aws_iam_policy", "name": "computed",
             "change": {"actions": ["create"], "after": {"name": "computed"}, "after_unknown": {"policy": true, "arn": true}}},
            {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
             "change": {"actions": ["create"], "after": {"bucket": "b"}, "after_unknown": {"policy": true, "arn": true}}},
            {"address": "aws_iam_policy.old", "mode": "managed", "type": "aws_iam_policy", "name": "old",
             "change": {"actions": ["delete"], "before": {"policy": task}, "after": null}}
        ]
    })
}

#[test]
fn policies_of_resources_child_modules_and_data_sources() {
    let (_d, l, text) = load_plan(&sample_plan());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let mut got: Vec<(String, PolicyKind, bool)> = l
        .documents
        .iter()
        .map(|d| (d.address.clone().unwrap(), d.kind, matches!(d.content, Content::Policy { .. })))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            ("aws_iam_policy.computed".to_string(), PolicyKind::Identity, false),
            ("aws_s3_bucket_policy.cases".to_string(), PolicyKind::Bucket, true),
            // a data source whose JSON is no resource's policy is analysed on its own
            ("data.aws_iam_policy_document.orphan".to_string(), PolicyKind::Identity, true),
            ("module.app.aws_iam_role.task".to_string(), PolicyKind::Trust, true),
            ("module.app.aws_iam_role.task.inline_policy[0]".to_string(), PolicyKind::Identity, true),
            ("module.app.aws_iam_role_policy.task".to_string(), PolicyKind::Identity, true),
        ],
        "deleted resources, tag policies, data sources already used by a resource and a bucket's provider-computed policy are not analysed"
    );
    let computed = l.documents.iter().find(|d| d.address.as_deref() == Some("aws_iam_policy.computed")).unwrap();
    match &computed.content {
        Content::Unknown { reason, line } => {
            assert!(reason.contains("`policy`") && reason.contains("after apply"), "{reason}");
            assert_eq!(*line, Some(line_of(&text, "\"address\": \"aws_iam_policy.computed\"")));
        }
        Content::Policy { .. } => panic!("unknown until apply"),
    }
    let role = l.documents.iter().find(|d| d.address.as_deref() == Some("module.app.aws_iam_role.task")).unwrap();
    let Content::Policy { locator, value } = &role.content else { panic!() };
    assert_eq!(value["Statement"][0]["Action"], "sts:AssumeRole");
    let line = line_of(&text, "\"address\": \"module.app.aws_iam_role.task\"");
    assert_eq!(locator.locate("/Statement/0/Principal").map(|p| p.0), Some(line));
    assert!(role.file.ends_with("plan.json"));
}

#[test]
fn a_bad_policy_string_is_an_error_and_the_rest_still_loads() {
    let mut plan = sample_plan();
    plan["planned_values"]["root_module"]["resources"][2]["values"]["policy"] =
        json!("{\"Version\": \"2012-10-17\", \"Statement\": [");
    let (_d, l, text) = load_plan(&plan);
    assert_eq!(l.errors.len(), 1, "{:?}", l.errors);
    let e = &l.errors[0];
    assert!(e.source.ends_with("plan.json (aws_s3_bucket_policy.cases)"), "{}", e.source);
    assert!(e.message.contains("`policy`"), "{}", e.message);
    assert_eq!(e.line, Some(line_of(&text, "\"address\": \"aws_s3_bucket_policy.cases\"")));
    assert_eq!(l.documents.len(), 5);
}

#[test]
fn state_files_and_policy_type_override() {
    let state = json!({"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
         "values": {"policy": "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::1:root\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}]}"}}
    ]}}});
    let (_d, l, _) = load_plan(&state);
    assert_eq!(l.documents.len(), 1);
    assert_eq!(l.documents[0].kind, PolicyKind::Key);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("state.json"), state.to_string()).unwrap();
    let l = input::load(
        &[dir.path().to_path_buf()],
        &InputOptions { policy_type: Some(PolicyKind::Identity), ..InputOptions::default() },
    );
    assert_eq!(l.documents[0].kind, PolicyKind::Identity);
}
