//! Nothing panics on input: arbitrary JSON shaped like plans and inventories goes through the
//! plan reader, the inventory parser and every rule without a panic.

use auditor::checks::{run_all, Settings};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Arbitrary JSON values, biased towards the keys the plan reader and the checks look at.
fn arb_json() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "bucket",
        "policy",
        "rule",
        "status",
        "expiration",
        "days",
        "filter",
        "prefix",
        "kms_key_id",
        "kms_master_key_id",
        "apply_server_side_encryption_by_default",
        "sse_algorithm",
        "tags",
        "tags_all",
        "region",
        "name",
        "role",
        "policy_arn",
        "references",
        "Statement",
        "Effect",
        "Principal",
        "Action",
        "Resource",
        "Condition",
        "key_id",
        "arn",
        "encryption",
        "algorithm",
        "versioning",
        "lifecycle",
        "object_lock",
        "replication",
        "retention_days",
        "$unknown",
        "module_calls",
        "module",
        "expressions",
        "outputs",
        "expression",
        "destination",
        "is_multi_region_trail",
        "enable_logging",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop::sample::select(vec![
            "",
            "*",
            "Enabled",
            "aws:kms",
            "AES256",
            "alias/aws/s3",
            "var.x",
            "module.m.o",
            "aws_s3_bucket.b[0].id",
            "{not json",
            "computed",
            "ca-central-1",
            "arn:aws:s3:::b",
            "a.b[\"c.d\"].e"
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

fn resource_type() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "aws_s3_bucket",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_object_lock_configuration",
        "aws_s3_bucket_logging",
        "aws_s3_bucket_replication_configuration",
        "aws_kms_key",
        "aws_kms_alias",
        "aws_kms_replica_key",
        "aws_cloudtrail",
        "aws_cloudwatch_log_group",
        "aws_kinesis_stream",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_iam_role_policy_attachment",
        "aws_iam_policy",
        "aws_iam_policy_document",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn plans_never_panic(
        resources in prop::collection::vec((resource_type(), arb_json(), arb_json(), arb_json()), 1..6),
        config in arb_json(),
    ) {
        let changes: Vec<Value> = resources
            .iter()
            .enumerate()
            .map(|(i, (t, after, unknown, _))| json!({
                "address": format!("module.m[{i}].{t}.r{i}"), "mode": "managed", "type": t, "name": format!("r{i}"),
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": ["create"], "after": after, "after_unknown": unknown}
            }))
            .collect();
        let cfg_resources: Vec<Value> = resources
            .iter()
            .enumerate()
            .map(|(i, (t, _, _, exprs))| json!({"address": format!("{t}.r{i}"), "type": t, "name": format!("r{i}"), "expressions": exprs}))
            .collect();
        let doc = json!({
            "format_version": "1.2",
            "resource_changes": changes,
            "configuration": {"root_module": {"module_calls": {"m": {"expressions": config, "module": {"resources": cfg_resources, "outputs": config}}}}}
        });
        let inv = auditor::plan::from_value(&doc).expect("a plan");
        let _ = run_all(&inv, &Settings::default(), auditor::builtin_rules().rules());
    }

    #[test]
    fn inventories_never_panic(v in arb_json()) {
        // Any JSON either parses as an inventory (and is checked) or is a clean error.
        if let Ok(inv) = serde_json::from_value::<auditor::inventory::Inventory>(v) {
            let _ = run_all(&inv, &Settings::default(), auditor::builtin_rules().rules());
        }
    }
}

#[test]
fn inventories_of_odd_values_are_checked() {
    // Valid inventories with odd strings and every kind of unknown: checked, no panic.
    let inv: auditor::inventory::Inventory = serde_json::from_value(json!({
        "buckets": [{"name": "\u{0}\u{202e}weird name", "region": "", "tags": {"DataClass": " PII "}, "policy": "\"x\"",
                     "encryption": {"algorithm": "aws:kms", "kms_key_id": "arn:", "bucket_key": {"$unknown": "computed"}},
                     "lifecycle": []}],
        "kms_keys": [{"id": "", "region": "", "policy": {"Statement": "nope"}, "manager": "CUSTOMER", "key_spec": "SYMMETRIC_DEFAULT", "rotation_enabled": false}],
        "trails": [{"name": "", "home_region": ""}, {"name": "", "home_region": ""}],
        "iam_roles": [{"name": "r", "inline_policies": [{"name": "p", "document": {"Statement": [{"Effect": "Allow"}]}}]}]
    }))
    .unwrap();
    let f = run_all(&inv, &Settings::default(), auditor::builtin_rules().rules());
    assert!(f.iter().any(|x| x.code == "AU701"), "an empty region is not an allowed region");
    assert!(f.iter().any(|x| x.code == "AU208"), "whitespace and case in the data class are tolerated");
}
