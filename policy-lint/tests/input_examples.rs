//! The README quick start's examples: every `clean-*` policy and the Terraform task role get no
//! finding at all; every `bad-*` policy and the deliberately bad Terraform policy get the
//! finding it was written for.

use std::path::Path;
use std::process::Command;

#[test]
fn examples_are_judged_as_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let o = Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args(["check", "--no-config", "--format", "json", "examples"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["errors"].as_array().unwrap().is_empty(), "{}", v["errors"]);
    let findings = v["findings"].as_array().unwrap();
    let of = |file: &str| -> Vec<String> {
        findings
            .iter()
            .filter(|f| f["location"]["file"].as_str().is_some_and(|p| p.ends_with(file)))
            .map(|f| {
                format!("{} {}", f["category"].as_str().unwrap(), f["location"]["address"].as_str().unwrap_or_default())
            })
            .collect()
    };
    for clean in [
        "clean-identity-case-reader.json",
        "clean-trust-ecs-task.json",
        "clean-bucket-tls-only.json",
        "clean-key-case-documents.json",
    ] {
        assert!(of(clean).is_empty(), "{clean}: {:?}", of(clean));
    }
    for (bad, category) in [
        ("bad-identity-admin.json", "full-admin"),
        ("bad-identity-passrole-escalation.json", "privilege-escalation"),
        ("bad-trust-any-account.json", "public-principal"),
        ("bad-bucket-public-read.json", "public-principal"),
        ("bad-bucket-public-read.json", "missing-secure-transport"),
        ("bad-key-open-decrypt.json", "kms-wildcard-grant"),
    ] {
        assert!(of(bad).iter().any(|c| c.starts_with(category)), "{bad}: expected {category}, got {:?}", of(bad));
    }
    let tf = of("terraform/main.tf");
    assert!(tf.iter().all(|c| c.ends_with("aws_iam_policy.reporting")), "the task role is clean: {tf:?}");
    assert!(tf.iter().any(|c| c.starts_with("wildcard-action")), "{tf:?}");
    assert!(tf.iter().any(|c| c.starts_with("passrole-wildcard")), "{tf:?}");
    // 9 policy files + 3 policies in the Terraform module
    assert_eq!(v["metadata"]["policies"], 12);
}
