//! Semantic rules over their fixtures: every `fail-*` input fires the rule of its folder, every
//! `pass-*` input does not, and the realistic policies under `fixtures/clean/` get no finding
//! from any rule at all.
//!
//! JSON fixtures are named `<fail|pass>-<kind>-<what>.json` (kind: identity, trust, scp, bucket,
//! key, queue, topic); `.tf` fixtures go through the Terraform reader, which decides the kind.

use std::path::{Path, PathBuf};

use policy_lint::input::{self, Content, InputOptions};
use policy_lint::{analyze_value, AnalyzeOptions, PolicyKind};

const CODES: [&str; 19] = [
    "PL101", "PL102", "PL103", "PL104", "PL105", "PL201", "PL202", "PL203", "PL204", "PL205", "PL410", "PL411",
    "PL412", "PL413", "PL414", "PL415", "PL416", "PL417", "PL501",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Kind from `fail-bucket-x.json` / `bucket-x.json`.
fn kind_of(name: &str) -> Option<PolicyKind> {
    let stem = name.strip_prefix("fail-").or_else(|| name.strip_prefix("pass-")).unwrap_or(name);
    stem.split(['-', '.']).next()?.parse().ok()
}

/// All findings of all rules for one fixture file: `(code, message, pointer)`.
fn findings(path: &Path) -> Vec<(String, String, String)> {
    let name = path.file_name().unwrap().to_str().unwrap();
    let opts = InputOptions {
        policy_type: if name.ends_with(".json") { kind_of(name) } else { None },
        ..InputOptions::default()
    };
    let loaded = input::load(&[path.to_path_buf()], &opts);
    assert!(loaded.errors.is_empty(), "{}: {:?}", path.display(), loaded.errors);
    assert!(!loaded.documents.is_empty(), "{}: no policy found", path.display());
    let mut out = Vec::new();
    for d in &loaded.documents {
        let Content::Policy { value, .. } = &d.content else { panic!("{}: policy not analysable", path.display()) };
        let fs = analyze_value(value, d.kind, &AnalyzeOptions::default())
            .unwrap_or_else(|e| panic!("{}: not a valid policy: {e}", path.display()));
        out.extend(fs.into_iter().map(|f| (f.code, f.message, f.location.pointer.unwrap_or_default())));
    }
    out
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "tf"))
        .collect();
    v.sort();
    v
}

#[test]
fn fail_fixtures_fire_and_pass_fixtures_do_not() {
    let mut problems = Vec::new();
    for code in CODES {
        let (mut fails, mut passes) = (0, 0);
        for path in files(&fixtures().join(code)) {
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            let got = findings(&path);
            let hits: Vec<&(String, String, String)> = got.iter().filter(|f| f.0 == code).collect();
            if name.starts_with("fail") {
                fails += 1;
                if hits.is_empty() {
                    problems.push(format!(
                        "{code}/{name}: expected {code}, got {:?}",
                        got.iter().map(|f| &f.0).collect::<Vec<_>>()
                    ));
                }
                for h in &hits {
                    assert!(h.2.starts_with('/'), "{code}/{name}: finding without a pointer: {h:?}");
                    assert!(!h.1.contains("\"Statement\""), "{code}/{name}: message dumps the document: {}", h.1);
                }
            } else {
                passes += 1;
                if !hits.is_empty() {
                    problems.push(format!(
                        "{code}/{name}: must not fire, got {:?}",
                        hits.iter().map(|h| &h.1).collect::<Vec<_>>()
                    ));
                }
            }
        }
        assert!(fails >= 1 && passes >= 1, "{code}: needs failing and passing fixtures ({fails} / {passes})");
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn clean_realistic_policies_get_no_finding_at_all() {
    let all = files(&fixtures().join("clean"));
    assert!(all.len() >= 5, "too few clean fixtures");
    let mut problems = Vec::new();
    for path in all {
        let got = findings(&path);
        if !got.is_empty() {
            problems.push(format!("{}: {got:?}", path.file_name().unwrap().to_string_lossy()));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
