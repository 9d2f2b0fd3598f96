//! Bad input: malformed JSON and HCL, wrong types, huge and deeply nested files, invalid UTF-8,
//! binary and unreadable files. Each gets an error naming the file and position; the other
//! files are still loaded; nothing panics or overflows the stack.

use std::path::{Path, PathBuf};
use std::process::Command;

use common::report::ToolError;
use policy_lint::input::{self, Content, InputOptions, Loaded};

const GOOD: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;

const TF: &str = r#"
data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.b.arn}/*"]
    principals {
      type        = "AWS"
      identifiers = [var.account]
    }
  }
}

resource "aws_iam_role_policy" "p" {
  policy = <<EOT
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "${aws_sqs_queue.q.arn}"}]}
EOT
}
"#;

fn load(paths: &[PathBuf]) -> Loaded {
    input::load(paths, &InputOptions::default())
}

fn only_error(l: &Loaded) -> &ToolError {
    assert_eq!(l.errors.len(), 1, "{:?}", l.errors);
    &l.errors[0]
}

fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

#[test]
fn malformed_json_names_file_line_and_column_and_others_still_load() {
    let d = dir_with(&[
        ("bad.json", b"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\",,}\n"),
        ("good.json", GOOD.as_bytes()),
    ]);
    let l = load(&[d.path().to_path_buf()]);
    let e = only_error(&l);
    assert!(e.source.ends_with("bad.json"));
    assert_eq!((e.kind.as_str(), e.line, e.column), ("parse", Some(4), Some(24)));
    assert!(e.message.starts_with("malformed JSON"), "{}", e.message);
    assert_eq!(l.documents.len(), 1, "good.json still loaded");

    let d = dir_with(&[("truncated.json", b"{\"Version\": \"2012-10-17\", \"Statement\": [")]);
    let e = load(&[d.path().join("truncated.json")]).errors.remove(0);
    assert!(e.message.contains("unexpected end of input"), "{}", e.message);
    assert_eq!(e.line, Some(1));
}

#[test]
fn deeply_nested_json_is_refused_without_overflow() {
    let deep = format!("{{\"Statement\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let d = dir_with(&[("deep.json", deep.as_bytes()), ("good.json", GOOD.as_bytes())]);
    let l = load(&[d.path().to_path_buf()]);
    let e = only_error(&l);
    assert!(e.source.ends_with("deep.json"));
    assert!(e.message.contains("recursion limit"), "{}", e.message);
    assert_eq!(e.line, Some(1));
    assert!(e.column.is_some());
    assert_eq!(l.documents.len(), 1);
}

#[test]
fn deeply_nested_hcl_is_refused_without_overflow() {
    let deep = format!("locals {{\n  x = {}1{}\n}}\n", "[".repeat(100_000), "]".repeat(100_000));
    let blocks = format!("{}\n{}", "a {\n".repeat(150), "}\n".repeat(150));
    let exprs = format!("locals {{\n  x = {}1{}\n}}\n", "(".repeat(150), ")".repeat(150));
    let interp = format!("locals {{\n  x = \"{}\"\n}}\n", "${\"".repeat(5_000));
    // just inside the limit: parsed (or rejected by the parser) without overflowing either
    let edge_blocks = format!("{}\n{}", "a {\n".repeat(60), "}\n".repeat(60));
    let edge_exprs = format!("locals {{\n  x = {}1{}\n}}\n", "[(".repeat(30), ")]".repeat(30));
    let d = dir_with(&[]);
    for (i, text) in [deep, blocks, exprs, interp, edge_blocks, edge_exprs].iter().enumerate() {
        std::fs::create_dir(d.path().join(format!("m{i}"))).unwrap();
        std::fs::write(d.path().join(format!("m{i}/main.tf")), text).unwrap();
    }
    std::fs::create_dir(d.path().join("ok")).unwrap();
    std::fs::write(d.path().join("ok/main.tf"), TF).unwrap();
    // run on a thread with the default test stack (2 MiB, a quarter of a main thread's)
    let root = d.path().to_path_buf();
    let l = std::thread::Builder::new().stack_size(2 << 20).spawn(move || load(&[root])).unwrap().join().unwrap();
    let mut errs: Vec<&ToolError> = l.errors.iter().collect();
    errs.sort_by(|a, b| a.source.cmp(&b.source));
    assert_eq!(errs.len(), 4, "{errs:?}");
    for (i, e) in errs.iter().enumerate() {
        assert!(e.source.ends_with(&format!("m{i}/main.tf")), "{}", e.source);
    }
    for e in &errs {
        assert!(e.message.contains("nested deeper than 64 levels"), "{}", e.message);
        assert!(e.line.is_some() && e.column.is_some());
    }
    assert_eq!(errs[0].line, Some(2));
    assert_eq!(errs[1].line, Some(65));
    assert_eq!(l.documents.len(), 2, "the good module still loads");
}

#[test]
fn malformed_hcl_and_heredoc_json_name_their_lines() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("a")).unwrap();
    std::fs::write(
        d.path().join("a/main.tf"),
        "resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({\n    Version = \n}\n",
    )
    .unwrap();
    std::fs::create_dir(d.path().join("b")).unwrap();
    std::fs::write(
        d.path().join("b/main.tf"),
        "resource \"aws_iam_policy\" \"p\" {\n  policy = <<EOT\n{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [}\nEOT\n}\n",
    )
    .unwrap();
    let l = load(&[d.path().to_path_buf()]);
    assert_eq!(l.errors.len(), 2, "{:?}", l.errors);
    let hcl = l.errors.iter().find(|e| e.source.ends_with("a/main.tf")).unwrap();
    assert!(hcl.message.starts_with("malformed HCL"), "{}", hcl.message);
    assert_eq!(hcl.line, Some(3));
    let json = l.errors.iter().find(|e| e.source.contains("b/main.tf")).unwrap();
    assert!(json.source.ends_with("(aws_iam_policy.p)"), "{}", json.source);
    assert!(
        json.message.contains("`policy` of aws_iam_policy.p") && json.message.contains("malformed JSON"),
        "{}",
        json.message
    );
    assert_eq!(json.line, Some(5), "line of the heredoc body in the .tf file");
}

#[test]
fn invalid_utf8_and_binary_files() {
    let d = dir_with(&[
        ("latin1.json", b"{\n  \"Statement\": [{\"Sid\": \"caf\xe9\"}]\n}"),
        ("latin1.tf", b"# commentaire: \xe9t\xe9\nlocals {}\n"),
        ("blob.json", b"\0\0\0\x01binary"),
        ("good.json", GOOD.as_bytes()),
    ]);
    let l = load(&[d.path().to_path_buf()]);
    assert_eq!(l.errors.len(), 2, "a walked binary file is skipped, invalid UTF-8 is not: {:?}", l.errors);
    let j = l.errors.iter().find(|e| e.source.ends_with("latin1.json")).unwrap();
    assert!(j.message.contains("invalid UTF-8"));
    assert_eq!((j.line, j.column), (Some(2), Some(29)));
    let t = l.errors.iter().find(|e| e.source.ends_with("latin1.tf")).unwrap();
    assert_eq!((t.line, t.column), (Some(1), Some(16)));
    assert_eq!(l.documents.len(), 1);

    // named explicitly, a binary file is an error
    let e = load(&[d.path().join("blob.json")]).errors.remove(0);
    assert!(e.message.contains("binary"), "{}", e.message);
}

#[test]
fn unreadable_and_missing_files() {
    let d = dir_with(&[("secret.json", GOOD.as_bytes()), ("good.json", GOOD.as_bytes())]);
    let secret = d.path().join("secret.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let readable_anyway = std::fs::read(&secret).is_ok(); // e.g. running as root
    let l = load(&[d.path().to_path_buf()]);
    if readable_anyway {
        assert!(l.errors.is_empty());
    } else {
        let e = only_error(&l);
        assert!(e.source.ends_with("secret.json"));
        assert_eq!(e.message, "cannot read: permission denied");
        assert_eq!(l.documents.len(), 1);
    }
    let missing = d.path().join("missing.json");
    #[cfg(unix)]
    std::os::unix::fs::symlink(d.path().join("nowhere"), d.path().join("dangling.json")).unwrap();
    let l = load(&[missing, d.path().join("dangling.json"), d.path().join("good.json")]);
    assert_eq!(l.errors.len(), if cfg!(unix) { 2 } else { 1 }, "{:?}", l.errors);
    assert!(l.errors.iter().all(|e| e.kind == "io" && e.message == "cannot read: no such file or directory"));
    assert_eq!(l.documents.len(), 1);
    #[cfg(unix)]
    {
        let e = load(&[PathBuf::from("/dev/null")]).errors.remove(0);
        assert!(e.message.contains("not a regular file"), "{}", e.message);
    }
}

#[test]
fn oversized_files_are_refused_without_reading_them() {
    let d = dir_with(&[("good.json", GOOD.as_bytes())]);
    let huge = std::fs::File::create(d.path().join("huge.json")).unwrap();
    huge.set_len(101 * 1024 * 1024).unwrap(); // sparse: nothing is written
    let l = load(&[d.path().to_path_buf()]);
    let e = only_error(&l);
    assert!(e.source.ends_with("huge.json"));
    assert!(e.message.contains("larger than the 104857600-byte input limit"), "{}", e.message);
    assert_eq!(l.documents.len(), 1);

    let small = InputOptions { max_file_bytes: 10, ..InputOptions::default() };
    let l = input::load(&[d.path().join("good.json")], &small);
    assert!(only_error(&l).message.contains("larger than the 10-byte"));
}

#[test]
fn a_large_valid_policy_file_loads() {
    // ~100 MB: 1,000 statements padded with whitespace, within the 100 MiB limit.
    let st = r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#;
    let pad = " ".repeat(99_900);
    let mut text = String::from("{\"Version\": \"2012-10-17\", \"Statement\": [");
    for i in 0..1000 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&pad);
        text.push_str(st);
    }
    text.push_str("]}");
    assert!(text.len() > 99_000_000);
    let d = dir_with(&[("big.json", text.as_bytes())]);
    drop(text);
    let l = load(&[d.path().join("big.json")]);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let Content::Policy { value, locator } = &l.documents[0].content else { panic!() };
    assert_eq!(value["Statement"].as_array().unwrap().len(), 1000);
    assert_eq!(locator.locate("/Statement/999/Action").map(|p| p.0), Some(1));
}

/// Truncations and byte edits of valid inputs never panic; each either loads or errors.
#[test]
fn mutated_inputs_never_panic() {
    let json = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies/clean-key-case-documents.json"),
    )
    .unwrap();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let opts = InputOptions::default();
    for sample in [TF, json.as_str()] {
        let mut cases: Vec<String> =
            (0..sample.len()).filter(|i| sample.is_char_boundary(*i)).map(|i| sample[..i].to_string()).collect();
        let specials = ["{", "}", "[", "]", "\"", "${", "<<EOT\n", "\n", "%{", "#", "=", ",", "*", "\\"];
        for _ in 0..2000 {
            let mut s = sample.to_string();
            for _ in 0..3 {
                let mut at = usize::try_from(next() % (s.len() as u64 + 1)).unwrap();
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                let ins = specials[usize::try_from(next() % specials.len() as u64).unwrap()];
                if next() % 2 == 0 {
                    s.insert_str(at, ins);
                } else {
                    let mut end = (at + 3).min(s.len());
                    while !s.is_char_boundary(end) {
                        end -= 1;
                    }
                    s.replace_range(at..end, "");
                }
            }
            cases.push(s);
        }
        for case in cases {
            let mut out = Loaded::default();
            input::load_text("<mutated>", &case, &opts, &mut out);
            for d in &out.documents {
                if let Content::Policy { value, locator } = &d.content {
                    let _ = locator.locate("/Statement/0/Action");
                    let _ = policy_lint::policy::parse(value, d.kind);
                }
            }
        }
    }
}

/// End to end: every kind of bad input in one directory → exit 2, each named, the good policy
/// still reported, no panic.
#[test]
fn cli_reports_every_bad_input_and_still_lints_the_rest() {
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_hcl = format!("locals {{\n  x = {}{}\n}}\n", "{".repeat(100_000), "}".repeat(100_000));
    let d = dir_with(&[
        ("admin.json", GOOD.as_bytes()),
        ("malformed.json", b"{\"Version\": "),
        ("types.json", b"{\"Version\": \"2012-10-17\",\n \"Statement\": [{\"Effect\": \"Allow\", \"Action\": 42, \"Resource\": \"*\"}]}"),
        ("deep.json", deep_json.as_bytes()),
        ("deep.tf", deep_hcl.as_bytes()),
        ("latin1.json", b"{\"Sid\": \"\xe9\"}"),
        ("image.json", b"\0PNG"),
    ]);
    std::fs::File::create(d.path().join("huge.json")).unwrap().set_len(200 * 1024 * 1024).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args(["check", "--no-config", "--format", "json", "."])
        .current_dir(d.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let errors = v["errors"].as_array().unwrap();
    let mut sources: Vec<&str> = errors.iter().map(|e| e["source"].as_str().unwrap()).collect();
    sources.sort_unstable();
    assert_eq!(
        sources,
        ["./deep.json", "./deep.tf", "./huge.json", "./latin1.json", "./malformed.json", "./types.json"]
    );
    for e in errors {
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
        if e["source"] != "./huge.json" {
            assert!(e["line"].as_u64().is_some(), "{e}");
        }
    }
    let types = errors.iter().find(|e| e["source"] == "./types.json").unwrap();
    assert_eq!(types["pointer"], "/Statement/0/Action");
    assert_eq!(types["line"], 2);
    let findings = v["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["category"] == "full-admin" && f["location"]["file"] == "./admin.json"),
        "{findings:?}"
    );
}
