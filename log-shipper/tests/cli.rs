//! The command-line contract: output, exit codes 0/1/2, errors that name file and line, no PII.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_log-shipper"));
    c.env("NO_COLOR", "1")
        .env_remove("LOG_SHIPPER_CONFIG")
        .env_remove("LOG_SHIPPER_STREAM")
        .env_remove("LOG_SHIPPER_QUEUE_URL")
        .env_remove("RUST_LOG");
    c
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn run(c: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = c.output().unwrap();
    (status.code().unwrap_or(-1), String::from_utf8(stdout).unwrap(), String::from_utf8(stderr).unwrap())
}

fn lines(s: &str) -> Vec<serde_json::Value> {
    s.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

const PII: [&str; 7] =
    ["jane.doe@example.ca", "046 454 286", "4111 1111 1111 1111", "bob@example.com", "555-0199", "hunter2", "jane.doe"];

#[test]
fn ship_cloudtrail_directory_to_stdout() {
    let (code, out, err) = run(bin().arg("ship").arg(fixtures().join("cloudtrail")));
    assert_eq!(code, 0, "{err}");
    let evs = lines(&out);
    assert_eq!(evs.len(), 3);
    let mut ids: Vec<_> = evs.iter().map(|e| e["event_id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    assert_eq!(ids[0], "7f3c1a2e-0000-4000-8000-000000000001");
    for e in &evs {
        assert_eq!(e["source"], "cloudtrail");
        assert_eq!(e["account"], "123456789012");
        assert_eq!(e["region"], "ca-central-1");
    }
    for p in PII {
        assert!(!out.contains(p), "{p} leaked: {out}");
    }
    assert!(out.contains("[REDACTED:email]") && out.contains("[REDACTED:sin]") && out.contains("[REDACTED:card]"));
}

#[test]
fn bad_line_is_skipped_named_and_exit_1() {
    let (code, out, err) = run(bin().arg("ship").arg(fixtures().join("app.ndjson")));
    assert_eq!(code, 1, "{err}");
    assert_eq!(lines(&out).len(), 3, "the other lines are shipped");
    assert!(err.contains("app.ndjson") && err.contains("line=3"), "{err}");
    assert!(!err.contains("this line is not JSON"), "content never in logs");
    for p in PII {
        assert!(!out.contains(p) && !err.contains(p), "{p} leaked");
    }
    assert!(out.contains("[REDACTED:field]") && out.contains("[REDACTED:phone]"));
}

#[test]
fn records_format_deaggregates_to_the_same_events() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("records.ndjson");
    let (code, _, err) =
        run(bin().args(["ship", "--format", "records", "--output"]).arg(&rec).arg(fixtures().join("cloudtrail")));
    assert_eq!(code, 0, "{err}");
    let records = std::fs::read_to_string(&rec).unwrap();
    assert_eq!(records.lines().count(), 1, "three events, one aggregate");
    let (code, out, err) = run(bin().arg("deaggregate").arg(&rec));
    assert_eq!(code, 0, "{err}");
    let (_, plain, _) = run(bin().arg("ship").arg(fixtures().join("cloudtrail")));
    let mut a = out.lines().collect::<Vec<_>>();
    let mut b = plain.lines().collect::<Vec<_>>();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);
}

#[test]
fn checkpoint_skips_files_already_shipped() {
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("cp.json");
    let (code, out, _) = run(bin().arg("ship").arg("--checkpoint").arg(&cp).arg(fixtures().join("cloudtrail")));
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 3);
    let (code, out, _) = run(bin().arg("ship").arg("--checkpoint").arg(&cp).arg(fixtures().join("cloudtrail")));
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 0, "second run ships nothing");
}

#[test]
fn filters_from_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("log-shipper.toml");
    std::fs::write(&cfg, "[[transform.exclude]]\nfield = \"event_name\"\nvalues = [\"List*\", \"Get*\"]\n").unwrap();
    let (code, out, err) = run(bin().arg("ship").arg("--config").arg(&cfg).arg(fixtures().join("cloudtrail")));
    assert_eq!(code, 0, "{err}");
    let evs = lines(&out);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0]["payload"]["eventName"], "PutObject");
}

#[test]
fn config_errors_exit_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[sink]\ntype = \"kinesis\"\nstream = \"s\"\nlinger = \"soon\"\n").unwrap();
    let (code, _, err) = run(bin().arg("check-config").arg("--config").arg(&cfg));
    assert_eq!(code, 2);
    assert!(err.contains("bad.toml") && err.contains("line 4"), "{err}");
    let (code, _, err) = run(bin().arg("run").current_dir(dir.path()));
    assert_eq!(code, 2);
    assert!(err.contains("no [[sources]]") && err.contains("LOG_SHIPPER_QUEUE_URL"), "{err}");
    let (code, _, err) = run(bin().arg("ship").arg(dir.path().join("missing.ndjson")));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("missing.ndjson"), "{err}");
}

#[test]
fn rules_are_listed_and_documented() {
    let (code, out, _) = run(bin().arg("rules"));
    assert_eq!(code, 0);
    for c in ["LS101", "LS102", "LS103", "LS104", "LS105"] {
        assert!(out.contains(c), "{out}");
    }
    let (code, out, _) = run(bin().args(["rules", "LS102"]));
    assert_eq!(code, 0);
    assert!(out.contains("Luhn"), "{out}");
}
