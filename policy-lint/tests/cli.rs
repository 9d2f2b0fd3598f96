//! The command-line contract: exit codes, formats, error messages, config, baseline, stdin.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli")
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_policy-lint"));
    c.env("NO_COLOR", "1").env_remove("RUST_LOG");
    c
}

fn run(args: &[&str], cwd: &Path) -> Output {
    bin().args(args).current_dir(cwd).output().expect("run policy-lint")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", stdout(o)))
}

#[test]
fn clean_policy_exits_0() {
    let o = run(&["check", "--no-config", "clean"], &fixtures());
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("No findings."), "{}", stdout(&o));
}

#[test]
fn admin_policy_exits_1_with_location() {
    let o = run(&["check", "--no-config", "--format", "json", "bad/admin.json"], &fixtures());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["schema_version"], 1);
    let admin =
        v["findings"].as_array().unwrap().iter().find(|f| f["category"] == "full-admin").expect("full-admin finding");
    assert_eq!(admin["severity"], "critical");
    assert_eq!(admin["location"]["file"], "bad/admin.json");
    assert!(admin["location"]["line"].as_u64().unwrap() >= 4);
    assert!(admin["location"]["pointer"].as_str().unwrap().starts_with("/Statement/0"));
    assert!(!admin["remediation"].as_str().unwrap_or("").is_empty());
}

#[test]
fn fail_on_threshold_controls_exit() {
    let o = run(&["check", "--no-config", "--fail-on", "critical", "clean"], &fixtures());
    assert_eq!(o.status.code(), Some(0));
    // nothing is above critical, but a critical finding still fails at critical
    let o = run(&["check", "--no-config", "--fail-on", "critical", "bad/admin.json"], &fixtures());
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn malformed_input_exits_2_and_other_files_are_still_linted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("broken/truncated.json"), dir.path().join("truncated.json")).unwrap();
    std::fs::copy(fixtures().join("bad/admin.json"), dir.path().join("admin.json")).unwrap();
    let o = run(&["check", "--no-config", "--format", "json", "."], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v = json(&o);
    let err = &v["errors"][0];
    assert!(err["source"].as_str().unwrap().contains("truncated.json"), "{err}");
    assert!(err["line"].as_u64().is_some(), "error names a line: {err}");
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["category"] == "full-admin"), "admin.json still linted");
}

#[test]
fn policy_type_errors_name_pointer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.json"),
        "{\"Version\": \"2012-10-17\",\n \"Statement\": [{\"Effect\": \"Allow\",\n   \"Action\": [42], \"Resource\": \"*\"}]}",
    )
    .unwrap();
    let o = run(&["check", "--no-config", "p.json"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(out.contains("p.json:3") && out.contains("/Statement/0/Action/0"), "{out}");
}

#[test]
fn every_format_renders() {
    let o = run(&["check", "--no-config", "--format", "sarif", "bad/admin.json"], &fixtures());
    let v = json(&o);
    assert_eq!(v["version"], "2.1.0");
    let run0 = &v["runs"][0];
    assert!(!run0["tool"]["driver"]["rules"].as_array().unwrap().is_empty());
    assert_eq!(run0["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "bad/admin.json");

    let o = run(&["check", "--no-config", "--format", "junit", "bad/admin.json"], &fixtures());
    let x = stdout(&o);
    assert!(
        x.starts_with("<?xml") && x.contains("<testsuite name=\"bad/admin.json\"") && x.contains("<failure"),
        "{x}"
    );

    let o = run(&["check", "--no-config", "bad/admin.json"], &fixtures());
    let t = stdout(&o);
    assert!(t.contains("full-admin") && t.contains("bad/admin.json:"), "{t}");
}

#[test]
fn stdin_with_policy_type() {
    let mut child = bin()
        .args(["check", "--no-config", "--policy-type", "identity", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        std::fs::read(fixtures().join("bad/admin.json")).unwrap().as_slice(),
    )
    .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(json(&o)["findings"].as_array().unwrap().iter().any(|f| f["category"] == "full-admin"));
}

#[test]
fn exceptions_suppress_until_they_expire() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("bad/admin.json"), dir.path().join("admin.json")).unwrap();
    std::fs::write(
        dir.path().join("policy-lint.toml"),
        "[[exceptions]]\nrule = \"ALL\"\npath = \"admin.json\"\nreason = \"break-glass role, reviewed\"\nexpires = \"2999-01-01\"\n",
    )
    .unwrap();
    let o = run(&["check", "--format", "json", "admin.json"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v = json(&o);
    assert!(v["findings"].as_array().unwrap().is_empty(), "{v}");
    assert!(!v["suppressed"].as_array().unwrap().is_empty());

    std::fs::write(
        dir.path().join("policy-lint.toml"),
        "[[exceptions]]\nrule = \"ALL\"\npath = \"admin.json\"\nreason = \"temporary\"\nexpires = \"2020-01-01\"\n",
    )
    .unwrap();
    let o = run(&["check", "--format", "json", "admin.json"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let cats: Vec<&str> = v["findings"].as_array().unwrap().iter().filter_map(|f| f["category"].as_str()).collect();
    assert!(cats.contains(&"expired-exception") && cats.contains(&"full-admin"), "{cats:?}");
}

#[test]
fn bad_config_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy-lint.toml"), "fail_on = \"severe\"\n").unwrap();
    std::fs::copy(fixtures().join("clean/task-role.json"), dir.path().join("p.json")).unwrap();
    let o = run(&["check", "p.json"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("policy-lint.toml"), "{}", stderr(&o));
}

#[test]
fn unknown_selector_is_an_error() {
    let o = run(&["check", "--no-config", "--select", "PL999x", "clean"], &fixtures());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("PL999x"));
}

#[test]
fn baseline_only_new_findings_fail() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("bad/admin.json"), dir.path().join("admin.json")).unwrap();
    let o = run(&["check", "--no-config", "--format", "json", "--output", "baseline.json", "admin.json"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["check", "--no-config", "--format", "json", "--baseline", "baseline.json", "admin.json"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v = json(&o);
    assert_eq!(v["baseline"]["new"], 0);
    assert!(v["baseline"]["unchanged"].as_u64().unwrap() >= 1);
    // a new problem in another file is new
    std::fs::copy(fixtures().join("bad/admin.json"), dir.path().join("admin2.json")).unwrap();
    let o = run(&["check", "--no-config", "--format", "json", "--baseline", "baseline.json", "."], dir.path());
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn rules_and_rule_explain() {
    let o = run(&["rules", "--format", "json"], &fixtures());
    assert_eq!(o.status.code(), Some(0));
    let rules = json(&o);
    let list = rules.as_array().unwrap();
    assert!(list.len() >= 31);
    let code = list[0]["code"].as_str().unwrap().to_string();
    let o = run(&["rule", &code], &fixtures());
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(text.starts_with(&code) && text.contains("Remediation"), "{text}");
    let o = run(&["rule", "PL000"], &fixtures());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn version_shows_catalog() {
    let o = run(&["--version"], &fixtures());
    assert_eq!(o.status.code(), Some(0));
    let v = stdout(&o);
    assert!(v.contains("policy-lint"), "{v}");
    let o = run(&["catalog"], &fixtures());
    let c = stdout(&o);
    assert!(c.contains("actions:") && c.contains("source:"), "{c}");
    let o = run(&["catalog", "s3:GetObj*"], &fixtures());
    assert!(stdout(&o).contains("s3:GetObject"), "{}", stdout(&o));
}
