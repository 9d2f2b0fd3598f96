//! Policy JSON files: kind detection, `--policy-type`, directory walking, positions.

use policy_lint::input::{self, Content, InputOptions, Loaded};
use policy_lint::PolicyKind;

fn write(dir: &std::path::Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn kinds(l: &Loaded) -> Vec<(String, PolicyKind)> {
    let mut v: Vec<(String, PolicyKind)> = l
        .documents
        .iter()
        .map(|d| (std::path::Path::new(&d.file).file_name().unwrap().to_string_lossy().into_owned(), d.kind))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn every_kind_is_detected_from_content() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "identity.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#,
    );
    write(
        d,
        "trust.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}]}"#,
    );
    write(
        d,
        "bucket.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}"#,
    );
    write(
        d,
        "key.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}"#,
    );
    write(
        d,
        "queue.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:ca-central-1:111122223333:q"}]}"#,
    );
    write(
        d,
        "topic.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": "arn:aws:sns:ca-central-1:111122223333:t"}]}"#,
    );
    write(
        d,
        "scp.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["ca-central-1", "ca-west-1"]}}}]}"#,
    );
    write(
        d,
        "ecr.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "ecr:BatchGetImage"}]}"#,
    );
    let l = input::load(&[d.to_path_buf()], &InputOptions::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(
        kinds(&l),
        [
            ("bucket.json".into(), PolicyKind::Bucket),
            ("ecr.json".into(), PolicyKind::Resource),
            ("identity.json".into(), PolicyKind::Identity),
            ("key.json".into(), PolicyKind::Key),
            ("queue.json".into(), PolicyKind::Queue),
            ("scp.json".into(), PolicyKind::Scp),
            ("topic.json".into(), PolicyKind::Topic),
            ("trust.json".into(), PolicyKind::Trust),
        ]
    );
    assert!(l.documents.iter().all(|d| d.address.is_none() && d.inline_ignores.is_empty()));

    let forced = input::load(
        &[d.join("key.json")],
        &InputOptions { policy_type: Some(PolicyKind::Bucket), ..InputOptions::default() },
    );
    assert_eq!(forced.documents[0].kind, PolicyKind::Bucket, "--policy-type wins over content");
}

#[test]
fn walking_skips_tool_directories_and_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:ca-central-1:1:q"}]}"#;
    write(d, "a/policy.json", good);
    write(d, "a/.terraform/modules/x/broken.json", "{not json");
    write(d, "a/.terraform/modules/x/main.tf", "this is { not hcl");
    write(d, ".git/objects/broken.json", "{");
    write(d, "target/debug/broken.json", "{");
    write(d, "notes.txt", "{ not json either");
    write(d, "package.json", r#"{"name": "not-a-policy", "version": "1.0.0"}"#);
    write(d, "main.tf.json", r#"{"resource": {}}"#);
    std::fs::write(d.join("a/image.json"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let l = input::load(&[d.to_path_buf()], &InputOptions::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(l.documents.len(), 1, "{:?}", l.documents.iter().map(|d| &d.file).collect::<Vec<_>>());
    assert!(l.documents[0].file.ends_with("policy.json"));
    assert!(
        !l.inputs.iter().any(|i| i.contains(".terraform") || i.contains(".git") || i.contains("target")),
        "{:?}",
        l.inputs
    );
}

#[test]
fn explicit_non_policy_json_is_checked_and_errors_name_the_pointer() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "package.json", r#"{"name": "x"}"#);
    let l = input::load(&[dir.path().join("package.json")], &InputOptions::default());
    // named explicitly: handed on as a policy, so the parser reports what is wrong with it
    assert_eq!(l.documents.len(), 1);
    let Content::Policy { value, .. } = &l.documents[0].content else { panic!() };
    let err = policy_lint::policy::parse(value, l.documents[0].kind).unwrap_err();
    assert_eq!(err.pointer, "/name");
}

#[test]
fn positions_are_exact_in_json_files() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": [\"s3:GetObject\", \"s3:PutObject\"],\n      \"Resource\": \"*\"\n    }\n  ]\n}\n";
    write(dir.path(), "p.json", text);
    let l = input::load(&[dir.path().join("p.json")], &InputOptions::default());
    let Content::Policy { locator, .. } = &l.documents[0].content else { panic!() };
    assert_eq!(locator.locate("/Statement/0/Action/1"), Some((6, 34)));
    assert_eq!(locator.locate("/Statement/0/Resource"), Some((7, 19)));
    assert_eq!(locator.locate("/"), Some((1, 1)));
    assert_eq!(l.inputs, [dir.path().join("p.json").display().to_string()]);
}
