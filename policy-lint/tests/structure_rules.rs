//! Structure rules, case by case: what fires, where it points, and what must stay silent
//! (symbolic values, case differences, wildcards that fit, global and provider keys). Odd input
//! never panics.

use policy_lint::{analyze_value, AnalyzeOptions, PolicyKind};
use serde_json::{json, Value};

/// `(code, pointer, message)` of the structure findings (PL3xx, PL401–PL406).
fn structure(doc: &Value, kind: PolicyKind) -> Vec<(String, String, String)> {
    analyze_value(doc, kind, &AnalyzeOptions::default())
        .unwrap()
        .into_iter()
        .filter(|f| f.code.starts_with("PL3") || ("PL401"..="PL406").contains(&f.code.as_str()))
        .map(|f| (f.code, f.location.pointer.unwrap_or_default(), f.message))
        .collect()
}

fn identity(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[test]
fn unknown_action_points_at_the_entry_and_suggests() {
    let doc = identity(
        json!([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObjekt"], "Resource": "arn:aws:s3:::b/*"}]),
    );
    let got = structure(&doc, PolicyKind::Identity);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0].0.as_str(), got[0].1.as_str()), ("PL302", "/Statement/0/Action/1"));
    assert!(got[0].2.contains("did you mean `s3:PutObject`"), "{}", got[0].2);
}

#[test]
fn symbolic_values_are_never_judged() {
    let doc = identity(json!([{
        "Effect": "Allow",
        "Action": ["${var.action}", "s3:${local.verb}"],
        "Resource": ["${aws_s3_bucket.b.arn}", "arn:aws:s3:::${var.bucket}/*"],
        "Condition": {"StringEquals": {"${var.key}": "x", "aws:PrincipalTag/team": "${var.team}"},
                      "IpAddress": {"aws:SourceIp": "${var.cidr}"}}
    }]));
    assert!(structure(&doc, PolicyKind::Identity).is_empty());
}

#[test]
fn case_differences_are_not_mistakes() {
    let doc = identity(json!([{
        "Effect": "Allow", "Action": ["S3:GETOBJECT", "Kms:decrypt"],
        "Resource": ["arn:aws:s3:::b/*", "arn:aws:kms:ca-central-1:111122223333:key/k"],
        "Condition": {"Bool": {"AWS:SECURETRANSPORT": "TRUE"}, "StringEquals": {"KMS:viaservice": "s3.ca-central-1.amazonaws.com"}}
    }]));
    assert!(structure(&doc, PolicyKind::Identity).is_empty(), "{:?}", structure(&doc, PolicyKind::Identity));
}

#[test]
fn wildcard_actions_mismatch_only_when_nothing_fits() {
    // s3:Get* includes bucket-level and object-level actions: an object ARN fits some.
    let fits = identity(json!([{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}]));
    assert!(structure(&fits, PolicyKind::Identity).iter().all(|f| f.0 != "PL303"));
    // No S3 action acts on a KMS key.
    let none = identity(
        json!([{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:kms:ca-central-1:111122223333:key/k"}]),
    );
    let got = structure(&none, PolicyKind::Identity);
    assert!(got.iter().any(|f| f.0 == "PL303" && f.1 == "/Statement/0/Action"), "{got:?}");
}

#[test]
fn resource_mismatch_names_the_action_and_what_it_needs() {
    let doc = identity(
        json!([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::b/*"}]),
    );
    let got = structure(&doc, PolicyKind::Identity);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1, "/Statement/0/Action/1");
    assert!(
        got[0].2.contains("`s3:ListBucket`") && got[0].2.contains("arn:${Partition}:s3:::${BucketName}"),
        "{}",
        got[0].2
    );
}

#[test]
fn condition_keys_supported_by_some_action_are_fine() {
    // s3:prefix belongs to ListBucket; with GetObject alone it never applies.
    let both = identity(json!([{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"],
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"StringLike": {"s3:prefix": "cases/*"}}}]));
    assert!(structure(&both, PolicyKind::Identity).is_empty());
    let only_get = identity(json!([{"Effect": "Allow", "Action": ["s3:GetObject"],
        "Resource": ["arn:aws:s3:::b/*"], "Condition": {"StringLike": {"s3:prefix": "cases/*"}}}]));
    let got = structure(&only_get, PolicyKind::Identity);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].0.as_str(), got[0].1.as_str()), ("PL401", "/Statement/0/Condition/StringLike/s3:prefix"));
    // `*` and NotAction statements accept any known key.
    let star = identity(json!([{"Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]));
    assert!(structure(&star, PolicyKind::Identity).is_empty());
}

#[test]
fn operators_and_types() {
    let doc =
        identity(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {
            "StringEqualsIfExist": {"aws:PrincipalOrgID": "o-1"},
            "NumericLessThan": {"aws:SourceIp": "10"},
            "DateGreaterThan": {"aws:CurrentTime": 1_700_000_000},
            "Null": {"aws:SourceVpce": "maybe"}
        }}]));
    let got = structure(&doc, PolicyKind::Identity);
    let codes: Vec<(&str, &str)> = got.iter().map(|f| (f.0.as_str(), f.1.as_str())).collect();
    assert!(codes.contains(&("PL402", "/Statement/0/Condition/StringEqualsIfExist")), "{got:?}");
    assert!(got.iter().any(|f| f.0 == "PL402" && f.2.contains("StringEqualsIfExists")), "{got:?}");
    assert!(codes.contains(&("PL403", "/Statement/0/Condition/NumericLessThan/aws:SourceIp")), "{got:?}");
    assert!(codes.contains(&("PL403", "/Statement/0/Condition/Null/aws:SourceVpce")), "{got:?}");
    assert!(!codes.iter().any(|c| c.1.contains("DateGreaterThan")), "epoch seconds are dates: {got:?}");
    assert_eq!(got.len(), 3, "{got:?}");
}

#[test]
fn duplicate_sids_are_reported_once_per_repeat() {
    let s =
        |sid: &str| json!({"Sid": sid, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"});
    let doc = identity(json!([s("A"), s("B"), s("A"), s("A")]));
    let got: Vec<_> = structure(&doc, PolicyKind::Identity).into_iter().filter(|f| f.0 == "PL306").collect();
    assert_eq!(got.iter().map(|f| f.1.as_str()).collect::<Vec<_>>(), ["/Statement/2/Sid", "/Statement/3/Sid"]);
}

#[test]
fn versions() {
    let st = json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]);
    let v = |ver: Option<&str>| {
        let mut d = json!({"Statement": st.clone()});
        if let Some(x) = ver {
            d["Version"] = json!(x);
        }
        structure(&d, PolicyKind::Identity).into_iter().filter(|f| f.0 == "PL305").count()
    };
    assert_eq!(v(Some("2012-10-17")), 0);
    assert_eq!(v(Some("2008-10-17")), 0, "legacy version without variables is harmless");
    assert_eq!(v(Some("2012-10-17 ")), 1);
    assert_eq!(v(Some("${var.policy_version}")), 0);
    assert_eq!(v(None), 1);
}

#[test]
fn odd_input_never_panics() {
    let odd = [
        "",
        ":",
        "::",
        "*:*",
        "?",
        "arn:",
        "arn:::::",
        "arn:*",
        "arn:aws:s3:::",
        "ärn:aws:s3:::b",
        "s3:Gét*",
        "${",
        "}${",
        "arn:aws:s3:::b/${",
        "a:b:c:d:e:f:g:h",
        "\u{0}",
        "arn:aws:iam::123456789012:role/\u{1F600}",
    ];
    for a in odd {
        for r in odd {
            let doc = identity(json!([{"Sid": a, "Effect": "Allow", "Action": a, "Resource": r,
                "Condition": {a: {r: [a, true, 1.5]}, "ForAllValues:StringLike": {a: r}, "Bool": {"aws:MultiFactorAuthPresent": r}}}]));
            for kind in [PolicyKind::Identity, PolicyKind::Bucket, PolicyKind::Scp] {
                let _ = analyze_value(&doc, kind, &AnalyzeOptions::default());
            }
        }
    }
    // Long inputs stay bounded.
    let long = format!("arn:aws:s3:::{}", "ab/*".repeat(50_000));
    let doc = identity(json!([{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:Get?bj*"], "Resource": long,
        "Condition": {"StringEqual".repeat(1000): {"k".repeat(10_000): "v"}}}]));
    assert!(analyze_value(&doc, PolicyKind::Identity, &AnalyzeOptions::default()).is_ok());
}
