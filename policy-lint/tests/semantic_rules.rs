//! Behaviour of the semantic rules beyond their fixtures: what the messages name, where the
//! pointers land, how options change the verdict, and the cross-statement semantics (Deny
//! subtraction, wildcard expansion, condition classification).

use common::Finding;
use policy_lint::{analyze_value, AnalyzeOptions, PolicyKind};
use serde_json::{json, Value};

fn run(doc: Value, kind: PolicyKind) -> Vec<Finding> {
    run_with(doc, kind, &AnalyzeOptions::default())
}

fn run_with(doc: Value, kind: PolicyKind, opts: &AnalyzeOptions) -> Vec<Finding> {
    analyze_value(&doc, kind, opts).expect("valid policy")
}

fn of<'a>(fs: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    fs.iter().filter(|f| f.code == code).collect()
}

fn pointer(f: &Finding) -> &str {
    f.location.pointer.as_deref().unwrap_or("")
}

#[test]
fn full_admin_is_critical_and_points_at_the_action() {
    let fs = run(
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        PolicyKind::Identity,
    );
    let a = of(&fs, "PL101");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].category, "full-admin");
    assert_eq!(a[0].severity, common::Severity::Critical);
    assert_eq!(pointer(a[0]), "/Statement/0/Action");
    assert!(a[0].message.contains("statement \"Admin\""), "{}", a[0].message);
    // Not reported twice as a service wildcard.
    assert!(of(&fs, "PL102").is_empty());
}

#[test]
fn wildcard_action_names_access_levels_and_dangerous_expansions() {
    let fs = run(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "iam:*AccessKey*", "s3:Get*"], "Resource": "arn:aws:s3:::b/*"}]}),
        PolicyKind::Identity,
    );
    let w = of(&fs, "PL102");
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!(pointer(w[0]), "/Statement/0/Action/0");
    assert!(w[0].message.contains("Permissions management") && w[0].message.contains("Write"), "{}", w[0].message);
    assert_eq!(pointer(w[1]), "/Statement/0/Action/1");
    assert!(w[1].message.contains("iam:CreateAccessKey"), "{}", w[1].message);
    let ev = w[1].evidence["dangerous_actions"].as_array().unwrap();
    assert!(ev.iter().any(|v| v == "iam:CreateAccessKey"));
    assert!(!ev.iter().any(|v| v.as_str().unwrap().contains("List")), "read/list actions are not dangerous");
}

#[test]
fn wildcard_resource_only_in_identity_policies() {
    let stmt = json!({"Effect": "Allow", "Action": ["sqs:DeleteMessage", "sqs:SendMessage"], "Resource": "*"});
    let identity = run(json!({"Version": "2012-10-17", "Statement": [stmt.clone()]}), PolicyKind::Identity);
    let w = of(&identity, "PL103");
    assert_eq!(w.len(), 1);
    assert_eq!(pointer(w[0]), "/Statement/0/Resource");
    assert!(w[0].message.contains("sqs:DeleteMessage") && w[0].message.contains("sqs:SendMessage"));
    let mut rs = stmt;
    rs["Principal"] = json!({"AWS": "arn:aws:iam::111122223333:role/app"});
    for kind in [PolicyKind::Queue, PolicyKind::Bucket, PolicyKind::Key, PolicyKind::Topic] {
        let fs = run(json!({"Version": "2012-10-17", "Statement": [rs.clone()]}), kind);
        assert!(of(&fs, "PL103").is_empty(), "{kind}");
    }
}

#[test]
fn privilege_escalation_is_evaluated_across_statements_and_after_deny() {
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Pass", "Effect": "Allow", "Action": "iam:passrole", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "ca-central-1"}}},
        {"Sid": "Run", "Effect": "Allow", "Action": "EC2:Run*", "Resource": "*"}
    ]});
    let fs = run(doc.clone(), PolicyKind::Identity);
    let p = of(&fs, "PL201");
    assert_eq!(p.len(), 1, "{fs:?}");
    assert_eq!(pointer(p[0]), "/Statement/0");
    assert!(p[0].message.contains("CreateEC2WithExistingIP"), "{}", p[0].message);
    let m = &p[0].evidence["methods"][0];
    assert_eq!(m["statements"], json!(["/Statement/0", "/Statement/1"]));
    assert_eq!(m["path"], "https://pathfinding.cloud/paths/ec2-001");

    // An unconditional Deny of ec2:RunInstances removes the method.
    let mut denied = doc.clone();
    denied["Statement"]
        .as_array_mut()
        .unwrap()
        .push(json!({"Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*"}));
    assert!(of(&run(denied, PolicyKind::Identity), "PL201").is_empty());

    // A Deny that only applies with MFA absent does not.
    let mut conditional = doc.clone();
    conditional["Statement"].as_array_mut().unwrap().push(json!({"Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}));
    assert_eq!(of(&run(conditional, PolicyKind::Identity), "PL201").len(), 1);

    // iam:PassedToService constrains the PassRole half.
    let mut scoped = doc;
    scoped["Statement"][0]["Condition"] = json!({"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}});
    assert!(of(&run(scoped, PolicyKind::Identity), "PL201").is_empty());
}

#[test]
fn target_dependent_escalation_only_on_star_and_low_confidence() {
    let fs = run(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "*"}]}),
        PolicyKind::Identity,
    );
    let p = of(&fs, "PL201");
    assert_eq!(p.len(), 1);
    assert!(p[0].message.contains("low confidence"));
    assert_eq!(p[0].evidence["methods"][0]["confidence"], "low");
    let scoped = run(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "arn:aws:ec2:ca-central-1:111122223333:instance/i-0abc"}]}),
        PolicyKind::Identity,
    );
    assert!(of(&scoped, "PL201").is_empty());
}

#[test]
fn passrole_wildcard_points_at_the_resource() {
    let fs = run(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "iam:*"], "Resource": ["arn:aws:s3:::b/*", "*"]}]}),
        PolicyKind::Identity,
    );
    let p = of(&fs, "PL202");
    assert_eq!(p.len(), 1);
    assert_eq!(pointer(p[0]), "/Statement/0/Resource");
}

#[test]
fn data_exfiltration_extras_are_configurable_through_params() {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "*"}]});
    let fs = run(doc, PolicyKind::Identity);
    let d = of(&fs, "PL203");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].evidence["actions"], json!(["dynamodb:Scan"]));
}

#[test]
fn public_principal_is_condition_aware() {
    let base = |cond: Value| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
            "Resource": "arn:aws:sqs:ca-central-1:111122223333:q", "Condition": cond}]})
    };
    let fires = |cond: Value| !of(&run(base(cond), PolicyKind::Queue), "PL411").is_empty();
    assert!(fires(json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})));
    assert!(fires(json!({"StringEquals": {"aws:RequestedRegion": "ca-central-1"}})));
    assert!(fires(json!({"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}})));
    assert!(fires(json!({"StringLike": {"aws:PrincipalOrgID": "*"}})));
    assert!(!fires(json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})));
    assert!(!fires(json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:ca-central-1:111122223333:t"}})));
    assert!(!fires(json!({"StringEquals": {"aws:SourceVpce": "vpce-0a1b"}})));
    assert!(!fires(json!({"IpAddress": {"aws:SourceIp": "10.20.0.0/16"}})));
}

#[test]
fn cross_account_uses_account_id_and_trusted_accounts() {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:role/ci"]}, "Action": "sts:AssumeRole"}]});
    let all = run(doc.clone(), PolicyKind::Trust);
    assert_eq!(of(&all, "PL412").len(), 2);
    let mine = AnalyzeOptions { account_id: Some("111122223333".into()), ..AnalyzeOptions::default() };
    let fs = run_with(doc.clone(), PolicyKind::Trust, &mine);
    let c = of(&fs, "PL412");
    assert_eq!(c.len(), 1);
    assert_eq!(pointer(c[0]), "/Statement/0/Principal/AWS/1");
    assert!(c[0].message.contains("444455556666"));
    let trusted = AnalyzeOptions { trusted_accounts: vec!["444455556666".into()], ..mine };
    assert!(of(&run_with(doc, PolicyKind::Trust, &trusted), "PL412").is_empty());
}

#[test]
fn org_condition_must_name_a_trusted_org_when_configured() {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-other"}}}]});
    assert!(of(&run(doc.clone(), PolicyKind::Trust), "PL412").is_empty());
    let opts = AnalyzeOptions { trusted_org_ids: vec!["o-a1b2c3d4e5".into()], ..AnalyzeOptions::default() };
    assert_eq!(of(&run_with(doc, PolicyKind::Trust, &opts), "PL412").len(), 1);
}

#[test]
fn oidc_unconstrained_reports_the_weak_sub_condition() {
    let fs = run(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
            "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:*/fcm-guard:*"}}}]}),
        PolicyKind::Trust,
    );
    let o = of(&fs, "PL414");
    assert_eq!(o.len(), 1);
    assert_eq!(pointer(o[0]), "/Statement/0/Condition/StringLike/token.actions.githubusercontent.com:sub");
}

#[test]
fn secure_transport_names_what_the_deny_misses() {
    let fs = run(
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::a", "arn:aws:s3:::a/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/x"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
        ]}),
        PolicyKind::Bucket,
    );
    let m = of(&fs, "PL415");
    assert_eq!(m.len(), 1);
    assert_eq!(pointer(m[0]), "/Statement/0/Resource");
    assert!(m[0].message.contains("b, b/*"), "{}", m[0].message);
    // Identity policies are not bucket policies.
    assert!(of(&run(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}), PolicyKind::Identity), "PL415").is_empty());
}

#[test]
fn weak_tls_points_at_the_value() {
    let fs = run(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::a", "arn:aws:s3:::a/*"],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": ["1.1"]}}}]}),
        PolicyKind::Bucket,
    );
    let w = of(&fs, "PL416");
    assert_eq!(w.len(), 1);
    assert_eq!(pointer(w[0]), "/Statement/0/Condition/NumericLessThan/s3:TlsVersion/0");
}

#[test]
fn kms_default_root_statement_is_not_flagged_but_foreign_root_is() {
    let doc = |acct: &str| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{acct}:root")}, "Action": "kms:*", "Resource": "*"}
        ]})
    };
    let opts = AnalyzeOptions { account_id: Some("111122223333".into()), ..AnalyzeOptions::default() };
    assert!(of(&run_with(doc("111122223333"), PolicyKind::Key, &opts), "PL417").is_empty());
    let fs = run_with(doc("444455556666"), PolicyKind::Key, &opts);
    let k = of(&fs, "PL417");
    assert_eq!(k.len(), 1);
    assert_eq!(pointer(k[0]), "/Statement/1/Principal/AWS");
}

#[test]
fn residency_follows_the_options() {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-west-2:111122223333:table/t"}]});
    let fs = run(doc.clone(), PolicyKind::Identity);
    let r = of(&fs, "PL501");
    assert_eq!(r.len(), 1);
    assert_eq!(pointer(r[0]), "/Statement/0/Resource");
    assert!(r[0].message.contains("us-west-2"));
    let off = AnalyzeOptions { residency: false, ..AnalyzeOptions::default() };
    assert!(of(&run_with(doc.clone(), PolicyKind::Identity, &off), "PL501").is_empty());
    let us = AnalyzeOptions { allowed_regions: vec!["us-west-2".into()], ..AnalyzeOptions::default() };
    assert!(of(&run_with(doc, PolicyKind::Identity, &us), "PL501").is_empty());
}

#[test]
fn requested_region_condition_clears_residency_but_not_escalation() {
    let fs = run(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": ["ca-central-1", "ca-west-1"]}}}]}),
        PolicyKind::Identity,
    );
    assert!(of(&fs, "PL501").is_empty());
    assert_eq!(of(&fs, "PL201").len(), 1);
    assert_eq!(of(&fs, "PL202").len(), 1);
}

#[test]
fn not_elements_point_at_the_negated_block() {
    let fs = run(
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}
        ]}),
        PolicyKind::Identity,
    );
    let na = of(&fs, "PL104");
    assert_eq!(na.len(), 1);
    assert_eq!(pointer(na[0]), "/Statement/0/NotAction");
    assert!(
        na[0].message.contains("except the 2 listed") && na[0].message.contains("all resources"),
        "{}",
        na[0].message
    );
    let nr = of(&fs, "PL105");
    assert_eq!(nr.len(), 1);
    assert_eq!(pointer(nr[0]), "/Statement/1/NotResource");
    let np = run(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/x"}, "Action": "sqs:SendMessage", "Resource": "*"}]}),
        PolicyKind::Queue,
    );
    assert_eq!(pointer(of(&np, "PL410")[0]), "/Statement/0/NotPrincipal");
}

#[test]
fn symbolic_values_are_specific_never_star() {
    let fs = run(
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["iam:PassRole", "dynamodb:PutItem"], "Resource": ["${aws_iam_role.task.arn}", "${aws_dynamodb_table.cases.arn}"]},
            {"Effect": "Allow", "Action": "${var.extra_action}", "Resource": "*"}
        ]}),
        PolicyKind::Identity,
    );
    for code in ["PL101", "PL102", "PL103", "PL201", "PL202", "PL501"] {
        assert!(of(&fs, code).is_empty(), "{code}: {fs:?}");
    }
    let trust = run(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "${var.ci_role_arn}"}, "Action": "sts:AssumeRole"}]}),
        PolicyKind::Trust,
    );
    assert!(of(&trust, "PL411").is_empty() && of(&trust, "PL412").is_empty(), "{trust:?}");
}

#[test]
fn findings_never_echo_condition_values() {
    // Condition values can be customer data in badly written policies; messages name keys only.
    let fs = run(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringEquals": {"aws:UserAgent": "jane.doe@example.com"}}}]}),
        PolicyKind::Bucket,
    );
    assert!(!of(&fs, "PL411").is_empty());
    assert!(fs.iter().all(|f| !f.message.contains("jane.doe")), "{fs:?}");
}
