//! CLI contract: exit codes 0/1/2, outputs, and the decrypt round trip.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(name)
}

fn translator() -> Command {
    let mut c = Command::cargo_bin("translator").unwrap();
    c.env("NO_COLOR", "1").env_remove("TRANSLATOR_KEYS").env_remove("TRANSLATOR_KMS_KEY_ID");
    c
}

#[test]
fn keygen_writes_a_private_key_file_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let k = dir.path().join("k.json");
    translator().args(["keygen", "--out"]).arg(&k).assert().code(0);
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&k).unwrap()).unwrap();
    assert!(v["warning"].as_str().unwrap().starts_with("NOT FOR PRODUCTION"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&k).unwrap().permissions().mode() & 0o777, 0o600);
    }
    translator().args(["keygen", "--out"]).arg(&k).assert().code(2);
}

#[test]
fn translate_exit_codes() {
    let keys = fixture("fixtures/test-keys.json");
    let good = fixture("golden/application-case/input.json");
    let out = translator().args(["translate", "--to", "inquiry", "--keys"]).arg(&keys).arg(&good).assert().code(0);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["schema"], "consortium.inquiry/1.0");
    // a rejected record: exit 1 and the errors on stdout, never the value
    let bad = std::fs::read_to_string(&good).unwrap().replace("130 692 544", "130 692 545");
    let out = translator().args(["translate", "--keys"]).arg(&keys).write_stdin(bad).assert().code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("SIN_CHECKSUM") && text.contains("/application/applicants/0/sin"));
    assert!(
        !text.contains("130 692 545") && !String::from_utf8_lossy(&out.get_output().stderr).contains("130 692 545")
    );
    // no keys: the job cannot run
    translator().args(["translate"]).arg(&good).assert().code(2);
}

#[test]
fn batch_exit_codes_outputs_and_decrypt_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let keys = fixture("fixtures/test-keys.json");
    let app = std::fs::read_to_string(fixture("golden/application-case/input.json")).unwrap();
    let line = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&app).unwrap()).unwrap();
    let input = dir.path().join("in.ndjson");
    std::fs::write(&input, format!("{line}\n{{\"truncated\": \n{line}\n")).unwrap();
    let out = dir.path().join("out.ndjson");
    let res = translator()
        .args(["batch", "--no-progress", "--keys"])
        .arg(&keys)
        .arg("-i")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let summary: serde_json::Value = serde_json::from_slice(&res.get_output().stdout).unwrap();
    assert_eq!((summary["translated"].as_u64(), summary["dead_lettered"].as_u64()), (Some(2), Some(1)));
    assert_eq!(summary["rejections_by_code"]["PARSE_ERROR"], 1);
    let dl = PathBuf::from(format!("{}.dead-letter.ndjson", out.display()));
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
    assert_eq!(std::fs::read_to_string(&dl).unwrap().lines().count(), 1);
    // decrypt the case imports: the SIN comes back
    let dec = translator().args(["decrypt", "--keys"]).arg(&keys).arg("--case").arg(&out).assert().code(0);
    let text = String::from_utf8(dec.get_output().stdout.clone()).unwrap();
    let sins: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["pointer"] == "/case/subjects/0/national_id/value_enc")
        .collect();
    assert_eq!(sins.len(), 2);
    assert!(sins.iter().all(|v| v["value"] == "130692544"));
    // and the dead-letter payload
    let dec = translator().args(["decrypt", "--keys"]).arg(&keys).arg("--dead-letter").arg(&dl).assert().code(0);
    let v: serde_json::Value = serde_json::from_slice(&dec.get_output().stdout).unwrap();
    assert_eq!(v["input"], "{\"truncated\": ");
    // all good: exit 0, and a re-run replaces the outputs (no appended duplicates)
    std::fs::write(&input, format!("{line}\n")).unwrap();
    for _ in 0..2 {
        translator()
            .args(["batch", "--no-progress", "--keys"])
            .arg(&keys)
            .arg("-i")
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .assert()
            .code(0);
        assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 1);
        assert_eq!(std::fs::read_to_string(&dl).unwrap().lines().count(), 0);
    }
    // a missing input: exit 2 and no output committed
    let missing = dir.path().join("nope.ndjson");
    let out2 = dir.path().join("out2.ndjson");
    translator().args(["batch", "--keys"]).arg(&keys).arg("-i").arg(&missing).arg("-o").arg(&out2).assert().code(2);
    assert!(!out2.exists());
}

/// A pipe or device as the output is written in place, never replaced by a renamed file.
#[cfg(unix)]
#[test]
fn batch_writes_into_a_pipe_without_replacing_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let keys = fixture("fixtures/test-keys.json");
    let app = std::fs::read_to_string(fixture("golden/application-case/input.json")).unwrap();
    let line = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&app).unwrap()).unwrap();
    let input = dir.path().join("in.ndjson");
    std::fs::write(&input, format!("{line}\n{{\"truncated\": \n")).unwrap();
    let fifo = dir.path().join("out.fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // without --dead-letter there is no file name to derive one from
    let res =
        translator().args(["batch", "--keys"]).arg(&keys).arg("-i").arg(&input).arg("-o").arg(&fifo).assert().code(2);
    assert!(String::from_utf8_lossy(&res.get_output().stderr).contains("--dead-letter is required"));
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let dl = dir.path().join("dl.ndjson");
    translator()
        .args(["batch", "--no-progress", "--keys"])
        .arg(&keys)
        .arg("-i")
        .arg(&input)
        .arg("-o")
        .arg(&fifo)
        .arg("--dead-letter")
        .arg(&dl)
        .assert()
        .code(1);
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe was replaced");
    let got = reader.join().unwrap();
    assert_eq!(got.lines().count(), 1);
    assert!(got.contains("caseui.case-import/1.0"));
    assert_eq!(std::fs::read_to_string(&dl).unwrap().lines().count(), 1);
}

#[test]
fn codes_lists_the_vocabulary() {
    let out = translator().arg("codes").assert().code(0);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for c in ["SIN_CHECKSUM", "RECORD_TOO_LARGE", "UNSUPPORTED_SCHEMA_VERSION", "POSTAL_PROVINCE_MISMATCH"] {
        assert!(text.contains(c));
    }
}
