//! The repository's own Terraform passes its own gate: policy-lint over `terraform/` (source
//! and the prod plan fixture) reports nothing at medium or above and no input errors.

use std::path::Path;
use std::process::Command;

#[test]
fn own_terraform_passes_the_gate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tf = root.join("terraform");
    if !tf.is_dir() {
        panic!("terraform/ is missing");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args(["check", "--no-config", "--fail-on", "medium", "--format", "json", "terraform"])
        .current_dir(&root)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    let blocking: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical")))
        .map(|f| format!("{} {} {} {}", f["code"], f["severity"], f["location"], f["message"]))
        .collect();
    assert!(blocking.is_empty(), "policy-lint findings on terraform/:\n{}", blocking.join("\n"));
    assert!(v["errors"].as_array().unwrap().is_empty(), "inputs not checked: {}", v["errors"]);
    assert!(
        v["metadata"]["policies"].as_u64().unwrap() >= 5,
        "too few policies found in terraform/: {}",
        v["metadata"]
    );
    assert_eq!(o.status.code(), Some(0));
}
