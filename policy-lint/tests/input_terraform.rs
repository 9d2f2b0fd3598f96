//! Terraform source: data sources, jsonencode, heredocs, file(), resource arguments and their
//! kinds, symbolic references, dynamic blocks, inline ignores and positions.

use std::path::Path;

use policy_lint::input::{self, Content, Document, InputOptions, Loaded};
use policy_lint::{analyze_value, AnalyzeOptions, PolicyKind};
use serde_json::{json, Value};

fn load_dir(files: &[(&str, &str)]) -> (tempfile::TempDir, Loaded) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let loaded = input::load(&[dir.path().to_path_buf()], &InputOptions::default());
    (dir, loaded)
}

fn by_address<'a>(l: &'a Loaded, address: &str) -> Vec<&'a Document> {
    l.documents.iter().filter(|d| d.address.as_deref() == Some(address)).collect()
}

fn policy<'a>(l: &'a Loaded, address: &str) -> &'a Document {
    by_address(l, address).into_iter().find(|d| matches!(d.content, Content::Policy { .. })).unwrap_or_else(|| {
        panic!("no policy for {address}: {:#?}", l.documents.iter().map(|d| &d.address).collect::<Vec<_>>())
    })
}

fn value(d: &Document) -> &Value {
    match &d.content {
        Content::Policy { value, .. } => value,
        Content::Unknown { reason, .. } => panic!("unknown: {reason}"),
    }
}

fn locate(d: &Document, pointer: &str) -> Option<(u32, u32)> {
    match &d.content {
        Content::Policy { locator, .. } => locator.locate(pointer),
        Content::Unknown { .. } => None,
    }
}

const ROLE_TF: &str = r#"
data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "EcsTasks"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:ecs:ca-central-1:${var.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "task" {
  name               = "task"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "ReadCases"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.cases.arn}/*"]
  }

  statement {
    sid       = "DenyOutsideCanada"
    effect    = "Deny"
    not_actions = ["iam:*"]
    resources = ["*"]
    condition {
      test     = "StringNotEquals"
      variable = "aws:RequestedRegion"
      values   = ["ca-central-1", "ca-west-1"]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}
"#;

#[test]
fn policy_document_renders_like_the_provider_and_takes_its_users_kind() {
    let (_d, l) = load_dir(&[("main.tf", ROLE_TF)]);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(l.documents.len(), 2, "each data source once, not once per user");
    let trust = policy(&l, "data.aws_iam_policy_document.assume");
    assert_eq!(trust.kind, PolicyKind::Trust, "kind from aws_iam_role.assume_role_policy");
    assert_eq!(
        value(trust),
        &json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "EcsTasks", "Effect": "Allow", "Action": ["sts:AssumeRole"],
            "Principal": {"Service": ["ecs-tasks.amazonaws.com"]},
            "Condition": {"StringEquals": {"aws:SourceAccount": ["${var.account_id}"]},
                          "ArnLike": {"aws:SourceArn": ["arn:aws:ecs:ca-central-1:${var.account_id}:*"]}}
        }]})
    );
    let task = policy(&l, "data.aws_iam_policy_document.task");
    assert_eq!(task.kind, PolicyKind::Identity);
    let v = value(task);
    assert_eq!(v["Statement"][0]["Resource"], json!(["${aws_s3_bucket.cases.arn}/*"]));
    assert_eq!(v["Statement"][1]["Effect"], "Deny");
    assert_eq!(v["Statement"][1]["NotAction"], json!(["iam:*"]));
    assert!(task.file.ends_with("main.tf"));

    // positions: the statement block, its attributes, its condition blocks
    assert_eq!(locate(trust, "/Statement/0"), Some((3, 3)));
    assert_eq!(locate(trust, "/Statement/0/Action/0"), Some((5, 5)));
    assert_eq!(locate(trust, "/Statement/0/Principal/Service/0"), Some((7, 5)));
    assert_eq!(locate(trust, "/Statement/0/Condition/ArnLike/aws:SourceArn"), Some((17, 5)));
    assert_eq!(locate(trust, "/Version"), Some((2, 1)), "falls back to the data block");
    assert_eq!(locate(task, "/Statement/1/NotAction/0").map(|p| p.0), Some(40));
}

#[test]
fn symbolic_references_are_never_wildcards() {
    let (_d, l) = load_dir(&[("main.tf", ROLE_TF)]);
    let task = policy(&l, "data.aws_iam_policy_document.task");
    let findings = analyze_value(value(task), task.kind, &AnalyzeOptions::default()).unwrap();
    let cats: Vec<&str> = findings.iter().map(|f| f.category.as_str()).collect();
    assert!(
        !cats.iter().any(|c| matches!(*c, "wildcard-resource" | "full-admin" | "invalid-arn" | "resource-mismatch")),
        "a Terraform reference is a specific resource: {cats:?}"
    );
}

#[test]
fn jsonencode_heredoc_and_file_arguments() {
    let main = r#"
locals {
  bucket_arn = "arn:aws:s3:::${var.bucket}"
  queue_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.q.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.t.arn } }
    }]
  })
}

resource "aws_iam_policy" "json" {
  name = "x"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Read"
        Effect   = "Allow"
        Action   = concat(["s3:GetObject"], ["s3:ListBucket"])
        Resource = [local.bucket_arn, "${local.bucket_arn}/*", var.extra_arn]
      },
    ]
  })
}

resource "aws_s3_bucket_policy" "heredoc" {
  bucket = aws_s3_bucket.b.id
  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Deny",
          "Principal": "*",
          "Action": "s3:*",
          "Resource": ["${aws_s3_bucket.b.arn}", "${aws_s3_bucket.b.arn}/*"],
          "Condition": {"Bool": {"aws:SecureTransport": ${var.flag}}}
        }
      ]
    }
  EOT
}

resource "aws_kms_key" "k" {
  policy = file("${path.module}/policies/key.json")
}

resource "aws_sqs_queue_policy" "q" {
  queue_url = aws_sqs_queue.q.id
  policy    = local.queue_policy
}

resource "aws_sns_topic_policy" "t" {
  arn    = aws_sns_topic.t.arn
  policy = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, \"Action\": \"sns:Publish\", \"Resource\": \"${aws_sns_topic.t.arn}\"}]}"
}

resource "aws_organizations_policy" "scp" {
  name    = "deny-regions"
  content = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Deny", Action = "*", Resource = "*" }] })
}

resource "aws_organizations_policy" "tags" {
  name    = "tags"
  type    = "TAG_POLICY"
  content = jsonencode({ tags = {} })
}
"#;
    let key = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}
  ]
}"#;
    let (_d, l) = load_dir(&[("main.tf", main), ("policies/key.json", key)]);
    assert!(l.errors.is_empty(), "{:?}", l.errors);

    let j = policy(&l, "aws_iam_policy.json");
    assert_eq!(j.kind, PolicyKind::Identity);
    assert_eq!(value(j)["Statement"][0]["Action"], json!(["s3:GetObject", "s3:ListBucket"]));
    assert_eq!(
        value(j)["Statement"][0]["Resource"],
        json!(["arn:aws:s3:::${var.bucket}", "arn:aws:s3:::${var.bucket}/*", "${var.extra_arn}"])
    );
    // positions of the literal's keys; computed parts fall back to their parent
    assert_eq!(locate(j, "/Statement/0/Action/1").map(|p| p.0), Some(24));
    assert_eq!(locate(j, "/Statement/0/Resource/2"), Some((25, 64)));
    assert_eq!(locate(j, "/Version").map(|p| p.0), Some(19));
    assert_eq!(locate(j, "/Id").map(|p| p.0), Some(18), "absent keys: the policy argument's line");

    let h = policy(&l, "aws_s3_bucket_policy.heredoc");
    assert_eq!(h.kind, PolicyKind::Bucket);
    assert_eq!(value(h)["Statement"][0]["Resource"][1], "${aws_s3_bucket.b.arn}/*");
    assert_eq!(value(h)["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"], "${var.flag}");
    assert_eq!(locate(h, "/Statement/0/Action").map(|p| p.0), Some(40), "exact line inside the heredoc");

    let k = policy(&l, "aws_kms_key.k");
    assert_eq!(k.kind, PolicyKind::Key);
    assert!(k.file.ends_with("key.json"), "findings point into the referenced file: {}", k.file);
    assert_eq!(locate(k, "/Statement/0/Action"), Some((4, 106)));
    assert!(l.inputs.iter().any(|i| i.ends_with("key.json")));

    let q = policy(&l, "aws_sqs_queue_policy.q");
    assert_eq!(q.kind, PolicyKind::Queue);
    assert_eq!(value(q)["Statement"][0]["Resource"], "${aws_sqs_queue.q.arn}");
    assert_eq!(value(q)["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"], "${aws_sns_topic.t.arn}");

    let t = policy(&l, "aws_sns_topic_policy.t");
    assert_eq!(t.kind, PolicyKind::Topic);
    assert_eq!(value(t)["Statement"][0]["Resource"], "${aws_sns_topic.t.arn}");

    assert_eq!(policy(&l, "aws_organizations_policy.scp").kind, PolicyKind::Scp);
    assert!(by_address(&l, "aws_organizations_policy.tags").is_empty(), "tag policies are not IAM policies");
}

#[test]
fn inline_policies_and_references_known_only_in_a_plan() {
    let main = r#"
resource "aws_iam_role" "r" {
  assume_role_policy = var.trust_json

  inline_policy {
    name   = "a"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sqs:SendMessage", Resource = var.queue_arn }] })
  }
}

resource "aws_iam_user_policy" "u" {
  user   = "u"
  policy = module.policies.user_json
}

resource "aws_iam_group_policy" "g" {
  group  = "g"
  policy = jsonencode(var.document)
}
"#;
    let (_d, l) = load_dir(&[("main.tf", main)]);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let inline = policy(&l, "aws_iam_role.r.inline_policy[0]");
    assert_eq!(value(inline)["Statement"][0]["Resource"], "${var.queue_arn}");
    for addr in ["aws_iam_role.r", "aws_iam_user_policy.u", "aws_iam_group_policy.g"] {
        let docs = by_address(&l, addr);
        assert_eq!(docs.len(), 1, "{addr}");
        match &docs[0].content {
            Content::Unknown { reason, line } => {
                assert!(reason.contains(addr), "{reason}");
                assert!(line.is_some());
            }
            Content::Policy { .. } => panic!("{addr} should not be analysable in source"),
        }
    }
    assert_eq!(by_address(&l, "aws_iam_role.r")[0].kind, PolicyKind::Trust);
}

#[test]
fn dynamic_statements_over_variables_are_reported_not_guessed() {
    let main = r#"
data "aws_iam_policy_document" "this" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.arn, "${local.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = var.log_delivery ? [true] : []
    content {
      sid       = "LogDelivery"
      actions   = ["s3:PutObject"]
      resources = ["${local.arn}/*"]
      principals {
        type        = "Service"
        identifiers = ["logging.s3.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.policy_statements
    iterator = s
    content {
      sid       = s.value.sid
      actions   = s.value.actions
      resources = s.value.resources
    }
  }
}

data "aws_iam_policy_document" "only_dynamic" {
  dynamic "statement" {
    for_each = var.statements
    content {
      actions   = ["s3:GetObject"]
      resources = ["*"]
      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = "b"
  policy = data.aws_iam_policy_document.this.json
}
"#;
    let (_d, l) = load_dir(&[("main.tf", main)]);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let p = policy(&l, "data.aws_iam_policy_document.this");
    assert_eq!(p.kind, PolicyKind::Bucket);
    let sids: Vec<&str> =
        value(p)["Statement"].as_array().unwrap().iter().map(|s| s["Sid"].as_str().unwrap()).collect();
    assert_eq!(sids, ["DenyInsecureTransport", "LogDelivery"], "static content of a dynamic block is analysed");
    assert_eq!(value(p)["Statement"][0]["Principal"], "*");
    let unknown: Vec<_> = by_address(&l, "data.aws_iam_policy_document.this")
        .into_iter()
        .filter_map(|d| match &d.content {
            Content::Unknown { reason, line } => Some((reason.clone(), *line)),
            Content::Policy { .. } => None,
        })
        .collect();
    assert_eq!(unknown.len(), 1);
    assert!(unknown[0].0.starts_with("1 statement of data.aws_iam_policy_document.this"), "{}", unknown[0].0);
    assert_eq!(unknown[0].1, Some(32));
    // a statement whose conditions come from a variable is not analysed without them
    let only = by_address(&l, "data.aws_iam_policy_document.only_dynamic");
    assert_eq!(only.len(), 1);
    assert!(matches!(only[0].content, Content::Unknown { .. }));
}

#[test]
fn source_and_override_documents_merge_by_sid() {
    let main = r#"
data "aws_iam_policy_document" "base" {
  statement {
    sid       = "A"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::a/*"]
  }
  statement {
    sid       = "B"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::a/*"]
  }
}

data "aws_iam_policy_document" "combined" {
  source_policy_documents = [data.aws_iam_policy_document.base.json]
  statement {
    sid       = "B"
    actions   = ["s3:PutObjectTagging"]
    resources = ["arn:aws:s3:::a/*"]
  }
  statement {
    sid       = "C"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::a"]
  }
}
"#;
    let (_d, l) = load_dir(&[("main.tf", main)]);
    let c = policy(&l, "data.aws_iam_policy_document.combined");
    let st = value(c)["Statement"].as_array().unwrap();
    let got: Vec<(&str, &str)> =
        st.iter().map(|s| (s["Sid"].as_str().unwrap(), s["Action"][0].as_str().unwrap())).collect();
    assert_eq!(got, [("A", "s3:GetObject"), ("B", "s3:PutObjectTagging"), ("C", "s3:ListBucket")]);
}

#[test]
fn files_of_one_directory_see_each_other_and_locals_resolve() {
    let (_d, l) = load_dir(&[
        (
            "iam.tf",
            r#"resource "aws_iam_role_policy" "p" {
  role   = "r"
  policy = local.doc
}
"#,
        ),
        ("locals.tf", "locals {\n  doc = data.aws_iam_policy_document.d.json\n}\n"),
        (
            "data.tf",
            "data \"aws_iam_policy_document\" \"d\" {\n  statement {\n    actions   = [\"sqs:SendMessage\"]\n    resources = [\"arn:aws:sqs:ca-central-1:111122223333:q\"]\n  }\n}\n",
        ),
        ("other/main.tf", "resource \"aws_iam_role_policy\" \"x\" {\n  policy = data.aws_iam_policy_document.d.json\n}\n"),
    ]);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let d = policy(&l, "data.aws_iam_policy_document.d");
    assert_eq!(d.kind, PolicyKind::Identity);
    assert!(d.file.ends_with("data.tf"));
    // another directory is another module: its reference is unknown there
    let x = by_address(&l, "aws_iam_role_policy.x");
    assert!(matches!(&x[0].content, Content::Unknown { reason, .. } if reason.contains("not in this directory")));
}

#[test]
fn inline_ignores_attach_to_their_policy() {
    let main = r#"
# policy-lint:ignore PL103 reason="log delivery needs every stream of the group"
resource "aws_iam_policy" "logs" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "logs:PutLogEvents", Resource = "*" }] })
}

data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["ec2:DescribeInstances"] # policy-lint:ignore wildcard-resource,PL501 reason="describe calls take no ARN"
    resources = ["*"]
  }
}

// policy-lint:ignore PL102
resource "aws_iam_role_policy" "r" {
  policy = data.aws_iam_policy_document.d.json
}

resource "aws_iam_policy" "clean" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sqs:SendMessage", Resource = "arn:aws:sqs:ca-central-1:1:q" }] })
}
"#;
    let (_d, l) = load_dir(&[("main.tf", main)]);
    let logs = policy(&l, "aws_iam_policy.logs");
    assert_eq!(logs.inline_ignores.len(), 1);
    assert_eq!(logs.inline_ignores[0].rule, "PL103");
    assert_eq!(logs.inline_ignores[0].reason, "log delivery needs every stream of the group");
    assert_eq!(logs.inline_ignores[0].line, 2);
    let d = policy(&l, "data.aws_iam_policy_document.d");
    let mut rules: Vec<(&str, &str)> = d.inline_ignores.iter().map(|i| (i.rule.as_str(), i.reason.as_str())).collect();
    rules.sort_unstable();
    assert_eq!(
        rules,
        [("PL102", ""), ("PL501", "describe calls take no ARN"), ("wildcard-resource", "describe calls take no ARN")],
        "trailing comments and comments above the using resource; a missing reason stays empty"
    );
    assert!(policy(&l, "aws_iam_policy.clean").inline_ignores.is_empty());
}

#[test]
fn policy_type_overrides_terraform_context() {
    let (dir, _) = load_dir(&[("main.tf", ROLE_TF)]);
    let l = input::load(
        &[dir.path().join("main.tf")],
        &InputOptions { policy_type: Some(PolicyKind::Identity), ..InputOptions::default() },
    );
    assert!(l.documents.iter().all(|d| d.kind == PolicyKind::Identity));
    assert_eq!(l.inputs.len(), 1);
}

#[test]
fn stdin_text_is_sniffed() {
    let mut l = Loaded::default();
    input::load_text("<stdin>", ROLE_TF, &InputOptions::default(), &mut l);
    assert_eq!(l.documents.len(), 2);
    assert_eq!(l.documents[0].file, "<stdin>");
    let mut l = Loaded::default();
    input::load_text(
        "<stdin>",
        r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#,
        &InputOptions::default(),
        &mut l,
    );
    assert_eq!(l.documents[0].kind, PolicyKind::Identity);
    assert!(Path::new(&l.documents[0].file).to_str().is_some());
}
