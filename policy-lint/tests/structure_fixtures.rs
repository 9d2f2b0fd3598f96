//! Structure rules over their fixtures: every `fail-*` input fires the rule of its folder (with a
//! pointer, naming the culprit, never dumping the document), every `pass-*` input does not.
//!
//! JSON fixtures are named `<fail|pass>-<kind>-<what>.json`; `.tf` fixtures go through the
//! Terraform reader, which decides the kind.

use std::path::{Path, PathBuf};

use policy_lint::input::{self, Content, InputOptions};
use policy_lint::{analyze_value, AnalyzeOptions, PolicyKind};

const CODES: [&str; 12] =
    ["PL301", "PL302", "PL303", "PL304", "PL305", "PL306", "PL401", "PL402", "PL403", "PL404", "PL405", "PL406"];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn kind_of(name: &str) -> Option<PolicyKind> {
    let stem = name.strip_prefix("fail-").or_else(|| name.strip_prefix("pass-")).unwrap_or(name);
    stem.split(['-', '.']).next()?.parse().ok()
}

/// `(code, message, pointer)` of every finding of every rule for one fixture file.
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
                        got.iter().map(|f| (&f.0, &f.1)).collect::<Vec<_>>()
                    ));
                }
                for h in &hits {
                    // The whole-document pointer "" is right only for a missing Version.
                    assert!(h.2.starts_with('/') || (code == "PL305" && h.2.is_empty()), "{code}/{name}: {h:?}");
                    assert!(!h.1.contains("\"Statement\""), "{code}/{name}: message dumps the document: {}", h.1);
                    assert!(h.1.contains('`') || code == "PL306", "{code}/{name}: message names nothing: {}", h.1);
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
fn clean_realistic_policies_get_no_structure_finding() {
    for path in files(&fixtures().join("clean")) {
        let got: Vec<_> = findings(&path).into_iter().filter(|f| CODES.contains(&f.0.as_str())).collect();
        assert!(got.is_empty(), "{}: {got:?}", path.display());
    }
}
