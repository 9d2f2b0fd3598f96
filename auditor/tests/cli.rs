//! CLI contract: exit codes 0/1/2, formats, baseline, framework grouping, config, rule docs.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn auditor(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("auditor").expect("binary");
    c.current_dir(dir).env("NO_COLOR", "1").env_remove("AWS_PROFILE");
    c
}

fn json_of(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

#[test]
fn clean_inventory_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let out = auditor(tmp.path())
        .args(["check", "--inventory"])
        .arg(fixtures().join("inventory/compliant.json"))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("No findings"));
}

#[test]
fn collection_errors_exit_2_and_findings_are_still_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let a = auditor(tmp.path())
        .args(["check", "--format", "json", "--inventory"])
        .arg(fixtures().join("inventory/noncompliant.json"))
        .assert()
        .code(2);
    let doc = json_of(&a.get_output().stdout);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["errors"].as_array().unwrap().len(), 1, "the ListStreams error");
    let findings = doc["findings"].as_array().unwrap();
    assert!(findings.len() >= 30, "{}", findings.len());
    assert!(findings.iter().any(|f| f["category"] == "collection-error"));
}

#[test]
fn plan_findings_exit_1_and_fail_on_critical_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = fixtures().join("plans/noncompliant.json");
    auditor(tmp.path()).args(["check", "--plan"]).arg(&plan).assert().code(1);
    auditor(tmp.path())
        .args(["check", "--fail-on", "critical", "--ignore", "AU101", "--plan"])
        .arg(&plan)
        .assert()
        .code(0);
    auditor(tmp.path()).args(["check", "--plan"]).arg(fixtures().join("plans/compliant.json")).assert().code(0);
}

#[test]
fn unreadable_inputs_exit_2_with_file_and_position() {
    let tmp = tempfile::tempdir().unwrap();
    let a = auditor(tmp.path()).args(["check", "--plan"]).arg(fixtures().join("plans/truncated.json")).assert().code(2);
    let out =
        String::from_utf8_lossy(&a.get_output().stdout).to_string() + &String::from_utf8_lossy(&a.get_output().stderr);
    assert!(out.contains("truncated.json:"), "{out}");
    assert!(out.contains("invalid JSON"), "{out}");
    // An inventory with a field of the wrong type names the line and column.
    let bad = tmp.path().join("inv.json");
    std::fs::write(&bad, "{\n  \"buckets\": [\n    {\"name\": 5}\n  ]\n}\n").unwrap();
    let a = auditor(tmp.path()).args(["check", "--inventory"]).arg(&bad).assert().code(2);
    let out = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(out.contains("inv.json:3:"), "{out}");
    auditor(tmp.path()).args(["check", "--inventory", "missing.json"]).assert().code(2);
    // Neither input given: usage error.
    auditor(tmp.path()).args(["check"]).assert().code(2);
}

#[test]
fn select_and_ignore() {
    let tmp = tempfile::tempdir().unwrap();
    let a = auditor(tmp.path())
        .args(["check", "--format", "json", "--select", "AU2", "--ignore", "AU205", "--plan"])
        .arg(fixtures().join("plans/noncompliant.json"))
        .assert()
        .code(1);
    let doc = json_of(&a.get_output().stdout);
    let codes: Vec<&str> = doc["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert!(!codes.is_empty());
    assert!(codes.iter().all(|c| c.starts_with("AU2") && *c != "AU205"), "{codes:?}");
    auditor(tmp.path())
        .args(["check", "--select", "AU999", "--plan"])
        .arg(fixtures().join("plans/noncompliant.json"))
        .assert()
        .code(2);
}

#[test]
fn baseline_shows_new_resolved_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("previous.json");
    auditor(tmp.path())
        .args(["check", "--format", "json", "--output"])
        .arg(&base)
        .arg("--plan")
        .arg(fixtures().join("plans/noncompliant.json"))
        .assert()
        .code(1);
    // Same input against its own baseline: nothing new, nothing fails.
    let a = auditor(tmp.path())
        .args(["check", "--format", "json", "--baseline"])
        .arg(&base)
        .arg("--plan")
        .arg(fixtures().join("plans/noncompliant.json"))
        .assert()
        .code(0);
    let doc = json_of(&a.get_output().stdout);
    assert_eq!(doc["baseline"]["new"], 0);
    assert!(doc["baseline"]["unchanged"].as_u64().unwrap() > 10);
    assert_eq!(doc["baseline"]["resolved"], 0);
    // The compliant plan against it: everything resolved.
    let a = auditor(tmp.path())
        .args(["check", "--format", "json", "--baseline"])
        .arg(&base)
        .arg("--plan")
        .arg(fixtures().join("plans/compliant.json"))
        .assert()
        .code(0);
    let doc = json_of(&a.get_output().stdout);
    assert!(doc["baseline"]["resolved"].as_u64().unwrap() > 10);
    assert_eq!(doc["baseline"]["new"], 0);
}

#[test]
fn framework_grouping() {
    let tmp = tempfile::tempdir().unwrap();
    let a = auditor(tmp.path())
        .args(["check", "--framework", "pci-dss-v4", "--plan"])
        .arg(fixtures().join("plans/noncompliant.json"))
        .assert()
        .code(1);
    let out = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(out.contains("pci-dss-v4 3.5.1"), "{out}");
    assert!(out.contains("pci-dss-v4 10.5.1"), "{out}");
    let a = auditor(tmp.path())
        .args(["check", "--format", "json", "--framework", "cis-aws", "--plan"])
        .arg(fixtures().join("plans/noncompliant.json"))
        .assert()
        .code(1);
    let doc = json_of(&a.get_output().stdout);
    assert_eq!(doc["metadata"]["framework"]["id"], "cis-aws");
    let c31 = &doc["metadata"]["framework"]["controls"]["3.1"];
    assert!(c31["findings"].as_array().is_some_and(|a| !a.is_empty()));
    assert_eq!(c31["title"], "Ensure CloudTrail is enabled in all regions");
}

#[test]
fn config_thresholds_and_exceptions() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("auditor.toml"),
        r#"
logs_min_retention_days = 5
fail_on = "critical"
ignore = ["AU101"]

[[exceptions]]
rule = "AU208"
resource = "us_copy"
reason = "Migration copy, deleted by SEC-77"
expires = "2999-01-01"

[[exceptions]]
rule = "AU207"
reason = "old waiver"
expires = "2001-01-01"
"#,
    )
    .unwrap();
    let a = auditor(tmp.path())
        .args(["check", "--format", "json", "--plan"])
        .arg(fixtures().join("plans/noncompliant.json"))
        .assert()
        .code(0); // fail_on = critical: the findings (and the high expired-exception diagnostic) are reported, not failing
    let doc = json_of(&a.get_output().stdout);
    let findings = doc["findings"].as_array().unwrap();
    let has = |code: &str, needle: &str| {
        findings.iter().any(|f| f["code"] == code && f["location"]["address"].as_str().unwrap_or("").contains(needle))
    };
    assert!(!has("AU208", "us_copy"), "excepted");
    assert!(has("AU208", "cases_bucket"), "not excepted");
    assert!(doc["suppressed"].as_array().unwrap().iter().any(|s| s["finding"]["code"] == "AU208"));
    assert!(findings.iter().any(|f| f["code"] == "X001"), "expired exception reported");
    // 7 days >= 5: the debug log group is long enough now.
    assert!(!findings.iter().any(|f| f["code"] == "AU412"));
    // Invalid config: exit 2 naming the file.
    std::fs::write(tmp.path().join("bad.toml"), "pii_max_days = 3\n").unwrap();
    let a = auditor(tmp.path())
        .args(["check", "--config", "bad.toml", "--plan"])
        .arg(fixtures().join("plans/compliant.json"))
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("bad.toml"));
}

#[test]
fn every_format_renders() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = fixtures().join("plans/noncompliant.json");
    let run = |format: &str| -> String {
        let a = auditor(tmp.path()).args(["check", "--format", format, "--plan"]).arg(&plan).assert().code(1);
        String::from_utf8_lossy(&a.get_output().stdout).to_string()
    };
    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "AU209"));
    let junit = run("junit");
    assert!(junit.starts_with("<?xml") && junit.contains("<testsuite") && junit.contains("AU209"), "{junit}");
    let html = run("html");
    assert!(
        html.contains("<table") && html.contains("AU209") && html.contains("Terraform") || html.contains("remediation"),
        "html"
    );
    for external in ["<script src=", "<link rel=\"stylesheet\" href=\"http", "src=\"http"] {
        assert!(!html.contains(external), "HTML must be self-contained: {external}");
    }
    let table = run("table");
    insta::assert_snapshot!("table_noncompliant_plan", table);
}

#[test]
fn rules_and_rule_docs() {
    let tmp = tempfile::tempdir().unwrap();
    let a = auditor(tmp.path()).args(["rules", "--format", "json"]).assert().code(0);
    let doc = json_of(&a.get_output().stdout);
    assert!(doc
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "AU203" && r["compliance"]["pci_dss_v4"][0] == "3.5.1"));
    let a = auditor(tmp.path()).args(["rule", "s3-kms-not-cmk"]).assert().code(0);
    assert!(String::from_utf8_lossy(&a.get_output().stdout).contains("AU203"));
    auditor(tmp.path()).args(["rule", "AU999"]).assert().code(2);
    let a = auditor(tmp.path()).arg("--help").assert().code(0);
    assert!(String::from_utf8_lossy(&a.get_output().stdout).contains("Exit codes"));
}

#[test]
fn save_inventory_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = tmp.path().join("plan-inventory.json");
    auditor(tmp.path())
        .args(["check", "--save-inventory"])
        .arg(&inv)
        .arg("--plan")
        .arg(fixtures().join("plans/noncompliant.json"))
        .assert()
        .code(1);
    // The saved inventory gives the same findings as the plan.
    let via_plan = auditor(tmp.path())
        .args(["check", "--format", "json", "--plan"])
        .arg(fixtures().join("plans/noncompliant.json"))
        .assert()
        .get_output()
        .stdout
        .clone();
    let via_inv = auditor(tmp.path())
        .args(["check", "--format", "json", "--inventory"])
        .arg(&inv)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let fps = |d: serde_json::Value| -> Vec<String> {
        d["findings"].as_array().unwrap().iter().map(|f| f["fingerprint"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(fps(json_of(&via_plan)), fps(json_of(&via_inv)));
}

#[test]
fn json_and_junit_reports_are_stable() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = fixtures().join("plans/noncompliant.json");
    let a = auditor(tmp.path()).args(["check", "--format", "json", "--plan"]).arg(&plan).assert().code(1);
    let doc = json_of(&a.get_output().stdout);
    insta::assert_json_snapshot!("json_noncompliant_plan", doc, {
        ".tool.version" => "[version]",
        ".metadata.source.file" => "[plan]",
    });
    let a = auditor(tmp.path()).args(["check", "--format", "junit", "--plan"]).arg(&plan).assert().code(1);
    let junit = String::from_utf8_lossy(&a.get_output().stdout).replace(env!("CARGO_PKG_VERSION"), "[version]");
    insta::assert_snapshot!("junit_noncompliant_plan", junit);
}
