//! Static gates over `terraform/`: every `.tf` file parses, modules follow the terraform-aws-modules
//! structure, environments pin their versions, and the `envs/prod` plan fixture stays consistent with
//! the module source it claims to be a plan of.
//!
//! The terraform binary is not available on the build machines; where it is, CI also runs
//! `terraform fmt -check` and `terraform validate` (see `.github/workflows/terraform.yml`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hcl::{Block, Body, Expression};
use serde_json::Value;

fn tf_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../terraform")
}

fn parse_file(path: &Path) -> Body {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    hcl::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// All `.tf` files of a directory (not recursive), parsed, by file name.
fn parse_dir(dir: &Path) -> BTreeMap<String, Body> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            out.insert(path.file_name().unwrap().to_string_lossy().into_owned(), parse_file(&path));
        }
    }
    out
}

fn blocks<'a>(body: &'a Body, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
    body.blocks().filter(move |b| b.identifier() == ident)
}

fn label(b: &Block, i: usize) -> &str {
    b.labels().get(i).map_or("", hcl::BlockLabel::as_str)
}

fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes().find(|a| a.key() == key).map(hcl::Attribute::expr)
}

fn is_text(e: &Expression) -> bool {
    match e {
        Expression::String(s) => !s.trim().is_empty(),
        Expression::TemplateExpr(_) => true,
        _ => false,
    }
}

fn expr_text(e: &Expression) -> String {
    hcl::format::to_string(e).unwrap_or_default()
}

fn module_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(tf_root().join("modules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_tf_file_parses() {
    let mut parsed = 0;
    let mut errors = Vec::new();
    for entry in walkdir::WalkDir::new(tf_root()).into_iter().filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "tf" || e == "tfvars" || e == "hcl") {
            let text = std::fs::read_to_string(path).unwrap();
            match hcl::parse(&text) {
                Ok(_) => parsed += 1,
                Err(e) => errors.push(format!("{}: {e}", path.display())),
            }
        }
    }
    assert!(errors.is_empty(), "unparsable Terraform:\n{}", errors.join("\n"));
    assert!(parsed >= 40, "expected the whole tree, parsed only {parsed} files");
}

#[test]
fn modules_follow_the_standard_structure() {
    let expected: BTreeSet<&str> = [
        "cloudtrail",
        "ecr-repository",
        "ecs-scheduled-task",
        "ecs-service",
        "kinesis-stream",
        "kms-key",
        "secure-bucket",
    ]
    .into_iter()
    .collect();
    let found: BTreeSet<String> =
        module_dirs().iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(found.iter().map(String::as_str).collect::<BTreeSet<_>>(), expected);

    let mut problems = Vec::new();
    for dir in module_dirs() {
        let m = dir.file_name().unwrap().to_string_lossy().into_owned();
        for f in ["main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"] {
            if !dir.join(f).is_file() {
                problems.push(format!("{m}: missing {f}"));
            }
        }
        let files = parse_dir(&dir);
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
        for (file, body) in &files {
            for v in blocks(body, "variable") {
                let name = label(v, 0);
                if file != "variables.tf" {
                    problems.push(format!("{m}/{file}: variable {name} belongs in variables.tf"));
                }
                if attr(v.body(), "type").is_none() {
                    problems.push(format!("{m}: variable {name} has no type"));
                }
                if !attr(v.body(), "description").is_some_and(is_text) {
                    problems.push(format!("{m}: variable {name} has no description"));
                }
                if !readme.contains(&format!("`{name}`")) {
                    problems.push(format!("{m}/README.md: input {name} not documented"));
                }
            }
            for o in blocks(body, "output") {
                let name = label(o, 0);
                if file != "outputs.tf" {
                    problems.push(format!("{m}/{file}: output {name} belongs in outputs.tf"));
                }
                if !attr(o.body(), "description").is_some_and(is_text) {
                    problems.push(format!("{m}: output {name} has no description"));
                }
                if !readme.contains(&format!("`{name}`")) {
                    problems.push(format!("{m}/README.md: output {name} not documented"));
                }
            }
            for r in blocks(body, "resource") {
                // IAM comes from aws_iam_policy_document (`.json`) or jsonencode, never a literal/heredoc.
                for key in ["policy", "assume_role_policy"] {
                    if attr(r.body(), key).is_some_and(is_text) {
                        problems.push(format!("{m}/{file}: {}.{} {key} is literal JSON", label(r, 0), label(r, 1)));
                    }
                }
            }
        }
        // `terraform test` files, where present, exercise the module's validations.
        if let Ok(tests) = std::fs::read_dir(dir.join("tests")) {
            for t in tests.filter_map(Result::ok).map(|e| e.path()) {
                if t.to_string_lossy().ends_with(".tftest.hcl") {
                    let body = parse_file(&t);
                    if blocks(&body, "run").next().is_none() {
                        problems.push(format!("{}: no run blocks", t.display()));
                    }
                    for r in blocks(&body, "run") {
                        if attr(r.body(), "expect_failures").is_none() && blocks(r.body(), "assert").next().is_none() {
                            problems.push(format!("{}: run {} asserts nothing", t.display(), label(r, 0)));
                        }
                    }
                }
            }
        }
        // Primary resource `this`, and creation toggled by `create`.
        let all: Vec<&Body> = files.values().collect();
        if !all.iter().any(|b| blocks(b, "resource").any(|r| label(r, 1) == "this")) {
            problems.push(format!("{m}: no primary resource named `this`"));
        }
        if !files.get("variables.tf").is_some_and(|b| blocks(b, "variable").any(|v| label(v, 0) == "create")) {
            problems.push(format!("{m}: no `create` toggle"));
        }
        // Reusable modules give lower bounds only.
        match files.get("versions.tf").and_then(|b| blocks(b, "terraform").next()) {
            Some(t) => {
                let aws = blocks(t.body(), "required_providers")
                    .next()
                    .and_then(|rp| attr(rp.body(), "aws"))
                    .map(expr_text)
                    .unwrap_or_default();
                if !aws.contains("hashicorp/aws") || !aws.contains(">=") {
                    problems.push(format!("{m}/versions.tf: aws provider needs a lower bound (>=), got {aws}"));
                }
                if !attr(t.body(), "required_version").map(expr_text).is_some_and(|v| v.contains(">=")) {
                    problems.push(format!("{m}/versions.tf: required_version needs a lower bound"));
                }
            }
            None => problems.push(format!("{m}/versions.tf: no terraform block")),
        }
    }
    assert!(problems.is_empty(), "module structure problems:\n{}", problems.join("\n"));
}

#[test]
fn environments_pin_versions_and_keep_settings_in_tfvars() {
    let mut problems = Vec::new();
    for env in ["dev", "prod"] {
        let dir = tf_root().join("envs").join(env);
        let files = parse_dir(&dir);
        for f in ["main.tf", "variables.tf", "outputs.tf", "versions.tf", "backend.tf", "providers.tf"] {
            if !files.contains_key(f) {
                problems.push(format!("{env}: missing {f}"));
            }
        }
        let t = files.get("versions.tf").and_then(|b| blocks(b, "terraform").next());
        let aws = t
            .and_then(|t| blocks(t.body(), "required_providers").next())
            .and_then(|rp| attr(rp.body(), "aws"))
            .map(expr_text)
            .unwrap_or_default();
        let exact = regex_like_exact_pin(&aws);
        if !exact {
            problems.push(format!("{env}/versions.tf: aws provider must be pinned exactly (= x.y.z), got {aws}"));
        }
        if !t.and_then(|t| attr(t.body(), "required_version")).map(expr_text).is_some_and(|v| regex_like_exact_pin(&v))
        {
            problems.push(format!("{env}/versions.tf: required_version must be exact"));
        }
        let backend = files
            .get("backend.tf")
            .and_then(|b| blocks(b, "terraform").next())
            .and_then(|t| blocks(t.body(), "backend").next());
        match backend {
            Some(b) if label(b, 0) == "s3" => {
                if !matches!(attr(b.body(), "encrypt"), Some(Expression::Bool(true))) {
                    problems.push(format!("{env}/backend.tf: the S3 backend must set encrypt = true"));
                }
            }
            _ => problems.push(format!("{env}/backend.tf: expected an s3 backend")),
        }
        // Every setting in tfvars is a declared variable; every variable without a default is set.
        let declared: BTreeMap<String, bool> = files
            .values()
            .flat_map(|b| blocks(b, "variable"))
            .map(|v| {
                let typed = attr(v.body(), "type").is_some() && attr(v.body(), "description").is_some_and(is_text);
                if !typed {
                    problems.push(format!("{env}: variable {} must be typed and described", label(v, 0)));
                }
                (label(v, 0).to_string(), attr(v.body(), "default").is_some())
            })
            .collect();
        let tfvars: Value = hcl::from_str(&std::fs::read_to_string(dir.join("terraform.tfvars")).unwrap()).unwrap();
        let set: BTreeSet<String> = tfvars.as_object().unwrap().keys().cloned().collect();
        for k in &set {
            if !declared.contains_key(k) {
                problems.push(format!("{env}/terraform.tfvars: {k} is not a declared variable"));
            }
        }
        for (k, has_default) in &declared {
            if !has_default && !set.contains(k) {
                problems.push(format!("{env}: variable {k} has no default and is not set in terraform.tfvars"));
            }
        }
        // Canadian regions only.
        for k in ["region", "dr_region"] {
            if let Some(r) = tfvars.get(k).and_then(Value::as_str) {
                if !["ca-central-1", "ca-west-1"].contains(&r) {
                    problems.push(format!("{env}/terraform.tfvars: {k} = {r} is outside Canada"));
                }
            }
        }
        // Environments hold settings, not infrastructure code: modules come from ../../modules.
        for m in files.values().flat_map(|b| blocks(b, "module")) {
            let src = attr(m.body(), "source").map(expr_text).unwrap_or_default();
            if !src.contains("../../modules/") {
                problems.push(format!("{env}: module {} has source {src}, expected ../../modules/*", label(m, 0)));
            }
        }
    }
    assert!(problems.is_empty(), "environment problems:\n{}", problems.join("\n"));
}

/// `"= 1.2.3"` or `{ source = "...", version = "= 1.2.3" }`.
fn regex_like_exact_pin(text: &str) -> bool {
    text.split('"').any(|part| {
        let p = part.trim();
        p.strip_prefix('=').map(str::trim).is_some_and(|v| {
            v.split('.').count() == 3 && v.split('.').all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Plan fixture consistency
// ---------------------------------------------------------------------------------------------

/// One module instance of the configuration tree.
#[derive(Debug)]
struct Instance {
    /// `""` for the root, `module.a.module.b` otherwise.
    path: String,
    dir: PathBuf,
    region: String,
}

/// One resource or data block of a module's source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct BlockKey {
    mode: &'static str,
    r#type: String,
    name: String,
}

#[derive(Debug)]
struct Source {
    blocks: BTreeMap<BlockKey, Option<String>>,
    calls: Vec<(String, PathBuf, Option<String>)>,
}

fn read_source(dir: &Path) -> Source {
    let mut blocks_out = BTreeMap::new();
    let mut calls = Vec::new();
    for body in parse_dir(dir).values() {
        for (ident, mode) in [("resource", "managed"), ("data", "data")] {
            for b in blocks(body, ident) {
                let count = attr(b.body(), "count").map(expr_text);
                blocks_out.insert(BlockKey { mode, r#type: label(b, 0).into(), name: label(b, 1).into() }, count);
            }
        }
        for m in blocks(body, "module") {
            let src = match attr(m.body(), "source") {
                Some(Expression::String(s)) => s.clone(),
                other => panic!("{}: module {} has a non-literal source {other:?}", dir.display(), label(m, 0)),
            };
            let provider = attr(m.body(), "providers").map(expr_text);
            calls.push((label(m, 0).to_string(), dir.join(src), provider));
        }
    }
    Source { blocks: blocks_out, calls }
}

fn instances(dir: &Path, path: &str, region: &str, regions: &BTreeMap<String, String>, out: &mut Vec<Instance>) {
    out.push(Instance { path: path.to_string(), dir: dir.to_path_buf(), region: region.to_string() });
    for (name, child, providers) in read_source(dir).calls {
        let child_region = providers
            .as_deref()
            .and_then(|p| regions.iter().find(|(alias, _)| p.contains(&format!("aws.{alias}"))).map(|(_, r)| r.clone()))
            .unwrap_or_else(|| region.to_string());
        let child_path = if path.is_empty() { format!("module.{name}") } else { format!("{path}.module.{name}") };
        instances(&child.canonicalize().unwrap(), &child_path, &child_region, regions, out);
    }
}

/// Splits `module.a.module.b.data.t.n[0]` into (`module.a.module.b`, key).
fn split_address(addr: &str) -> (String, BlockKey) {
    let mut rest = addr;
    let mut path = Vec::new();
    while let Some(r) = rest.strip_prefix("module.") {
        let end = r.find('.').unwrap_or_else(|| panic!("bad address {addr}"));
        path.push(format!("module.{}", strip_index(&r[..end])));
        rest = &r[end + 1..];
    }
    let (mode, rest) = match rest.strip_prefix("data.") {
        Some(r) => ("data", r),
        None => ("managed", rest),
    };
    let (t, n) = rest.split_once('.').unwrap_or_else(|| panic!("bad address {addr}"));
    (path.join("."), BlockKey { mode, r#type: t.to_string(), name: strip_index(n).to_string() })
}

fn strip_index(s: &str) -> &str {
    s.split('[').next().unwrap_or(s)
}

fn walk_values(m: &Value, out: &mut Vec<Value>) {
    if let Some(rs) = m.get("resources").and_then(Value::as_array) {
        out.extend(rs.iter().cloned());
    }
    if let Some(cs) = m.get("child_modules").and_then(Value::as_array) {
        for c in cs {
            walk_values(c, out);
        }
    }
}

fn load_fixture() -> Value {
    let path = tf_root().join("envs/prod/plan.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn prod_plan_fixture_matches_the_module_tree() {
    let plan = load_fixture();
    let prod = tf_root().join("envs/prod").canonicalize().unwrap();
    let tfvars: Value = hcl::from_str(&std::fs::read_to_string(prod.join("terraform.tfvars")).unwrap()).unwrap();
    let region = tfvars["region"].as_str().unwrap().to_string();
    let regions: BTreeMap<String, String> =
        [("dr".to_string(), tfvars["dr_region"].as_str().unwrap().to_string())].into_iter().collect();

    let mut tree = Vec::new();
    instances(&prod, "", &region, &regions, &mut tree);
    let sources: BTreeMap<PathBuf, Source> = tree.iter().map(|i| (i.dir.clone(), read_source(&i.dir))).collect();
    let by_path: BTreeMap<&str, &Instance> = tree.iter().map(|i| (i.path.as_str(), i)).collect();

    // Every resource the fixture names.
    let mut planned = Vec::new();
    walk_values(&plan["planned_values"]["root_module"], &mut planned);
    let mut prior = Vec::new();
    walk_values(&plan["prior_state"]["values"]["root_module"], &mut prior);
    let changes = plan["resource_changes"].as_array().expect("resource_changes");

    let planned_addrs: BTreeSet<String> = planned.iter().map(|r| r["address"].as_str().unwrap().to_string()).collect();
    let changed_addrs: BTreeSet<String> =
        changes.iter().filter(|c| c["mode"] == "managed").map(|c| c["address"].as_str().unwrap().to_string()).collect();
    assert_eq!(planned_addrs, changed_addrs, "planned_values and resource_changes disagree");
    assert!(planned_addrs.len() > 100, "fixture looks truncated: {} resources", planned_addrs.len());

    let mut problems = Vec::new();
    let mut seen: BTreeMap<(String, BlockKey), usize> = BTreeMap::new();
    for r in planned.iter().chain(prior.iter()) {
        let addr = r["address"].as_str().unwrap();
        let (path, key) = split_address(addr);
        if r["type"] != key.r#type.as_str() || r["name"] != key.name.as_str() || r["mode"] != key.mode {
            problems.push(format!("{addr}: type/name/mode fields disagree with the address"));
        }
        let Some(inst) = by_path.get(path.as_str()) else {
            problems.push(format!("{addr}: no module call {path} in envs/prod"));
            continue;
        };
        if !sources[&inst.dir].blocks.contains_key(&key) {
            problems.push(format!("{addr}: no such block in {}", inst.dir.display()));
        }
        // Regional resources live where their provider points.
        if let Some(rg) = r["values"].get("region").and_then(Value::as_str) {
            if rg != inst.region {
                problems.push(format!("{addr}: region {rg}, but its provider is in {}", inst.region));
            }
        }
        *seen.entry((path, key)).or_default() += 1;
    }
    for c in changes {
        let addr = c["address"].as_str().unwrap();
        if c["change"]["actions"] != serde_json::json!(["create"])
            && c["change"]["actions"] != serde_json::json!(["read"])
        {
            problems.push(format!("{addr}: a first deployment only creates"));
        }
        if c["change"]["after"]
            != planned.iter().find(|p| p["address"] == addr).map_or(Value::Null, |p| p["values"].clone())
        {
            problems.push(format!("{addr}: resource_changes.after differs from planned_values"));
        }
    }

    // Every unconditional block of every instance is in the fixture; every block of every module
    // source appears in at least one instance.
    let mut used: BTreeSet<(PathBuf, BlockKey)> = BTreeSet::new();
    for inst in &tree {
        for (key, count) in &sources[&inst.dir].blocks {
            let n = seen.get(&(inst.path.clone(), key.clone())).copied().unwrap_or(0);
            if n > 0 {
                used.insert((inst.dir.clone(), key.clone()));
            }
            let unconditional = count.as_deref().is_none_or(|c| c.trim() == "var.create ? 1 : 0");
            if unconditional && n == 0 {
                problems.push(format!(
                    "{}{}{}.{} is missing from the fixture",
                    inst.path,
                    if inst.path.is_empty() { "" } else { "." },
                    if key.mode == "data" { format!("data.{}", key.r#type) } else { key.r#type.clone() },
                    key.name
                ));
            }
        }
    }
    for (dir, src) in &sources {
        for key in src.blocks.keys() {
            if !used.contains(&(dir.clone(), key.clone())) {
                problems.push(format!("{}: {key:?} never appears in the fixture", dir.display()));
            }
        }
    }

    // The fixture is a plan of this configuration with these settings.
    let vars = plan["variables"].as_object().expect("variables");
    for (k, v) in tfvars.as_object().unwrap() {
        if vars.get(k).map(|x| &x["value"]) != Some(v) {
            problems.push(format!("variables.{k} differs from terraform.tfvars"));
        }
    }
    let pc = &plan["configuration"]["provider_config"];
    if pc["aws"]["expressions"]["region"]["constant_value"] != tfvars["region"] {
        problems.push("configuration.provider_config.aws region differs from tfvars".into());
    }
    if pc["aws.dr"]["expressions"]["region"]["constant_value"] != tfvars["dr_region"] {
        problems.push("configuration.provider_config[aws.dr] region differs from tfvars".into());
    }
    assert!(problems.is_empty(), "plan fixture out of step with the modules:\n{}", problems.join("\n"));
}

#[test]
fn prod_plan_fixture_is_a_plan_common_can_walk() {
    let plan = load_fixture();
    let rs = common::tfplan::resources(&plan).expect("a terraform show -json plan");
    let kinds: BTreeSet<&str> = rs.iter().map(|r| r.r#type.as_str()).collect();
    for t in [
        "aws_kms_key",
        "aws_s3_bucket",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_cloudtrail",
        "aws_cloudwatch_log_group",
        "aws_kinesis_stream",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_ecs_service",
        "aws_ecr_repository",
    ] {
        assert!(kinds.contains(t), "fixture has no {t}");
    }
    // Policies are complete JSON documents in the plan (names are fixed up front, so nothing is unknown).
    for r in &rs {
        for key in ["policy", "assume_role_policy"] {
            if let Some(doc) = r.values.get(key) {
                let text = doc.as_str().unwrap_or_else(|| panic!("{}: {key} is not a string", r.address));
                let parsed: Value =
                    serde_json::from_str(text).unwrap_or_else(|e| panic!("{}: {key} is not JSON: {e}", r.address));
                let iam = key == "assume_role_policy"
                    || ["aws_kms_key", "aws_s3_bucket_policy", "aws_iam_role_policy", "aws_sqs_queue_policy"]
                        .contains(&r.r#type.as_str());
                if iam {
                    assert_eq!(parsed["Version"], "2012-10-17", "{}: {key}", r.address);
                    assert!(parsed["Statement"].as_array().is_some_and(|s| !s.is_empty()), "{}: {key}", r.address);
                }
                assert!(!r.is_unknown(&format!("/{key}")), "{}: {key} unknown at plan time", r.address);
            }
        }
    }
    // Names fit AWS's limits (a name too long fails only at apply).
    let limits = [
        ("aws_iam_role", "/name", 64),
        ("aws_s3_bucket", "/bucket", 63),
        ("aws_lb", "/name", 32),
        ("aws_cloudwatch_event_rule", "/name", 64),
        ("aws_sqs_queue", "/name", 80),
        ("aws_kinesis_stream", "/name", 128),
        ("aws_wafv2_web_acl", "/name", 128),
        ("aws_ecs_task_definition", "/family", 255),
        ("aws_kms_alias", "/name", 256),
    ];
    for r in &rs {
        for (ty, ptr, max) in limits {
            if r.r#type == ty {
                let name = r.values.pointer(ptr).and_then(Value::as_str).unwrap_or_default();
                assert!(!name.is_empty() && name.len() <= max, "{}: {ptr} `{name}` longer than {max}", r.address);
            }
        }
        if r.r#type == "aws_s3_bucket" {
            let b = r.values["bucket"].as_str().unwrap_or_default();
            assert!(
                b.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
                "{}: bucket name `{b}`",
                r.address
            );
        }
    }
    // Every regional resource is in Canada.
    for r in &rs {
        if let Some(region) = r.values.get("region").and_then(Value::as_str) {
            assert!(["ca-central-1", "ca-west-1"].contains(&region), "{} in {region}", r.address);
        }
    }
}

/// The generated files are what their generators write today (nobody edited them by hand, and nobody
/// changed a generator without regenerating).
#[test]
fn generated_files_are_current() {
    let python = std::env::var("FCM_GUARD_PYTHON").unwrap_or_else(|_| "python3".into());
    for script in ["gen_plan_fixture.py", "gen_module_docs.py"] {
        let out = std::process::Command::new(&python)
            .arg(tf_root().join("scripts").join(script))
            .arg("--check")
            .output()
            .unwrap_or_else(|e| panic!("running {python} {script}: {e}"));
        assert!(out.status.success(), "{script} --check: {}", String::from_utf8_lossy(&out.stderr));
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every binary of the workspace has a multi-stage, non-root image built from the workspace.
#[test]
fn images_are_multi_stage_minimal_and_non_root() {
    let workspace: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap()).unwrap();
    let members: Vec<&str> =
        workspace["workspace"]["members"].as_array().unwrap().iter().filter_map(|m| m.as_str()).collect();
    let mut problems = Vec::new();
    let mut images = 0;
    for m in members {
        let manifest: toml::Value =
            toml::from_str(&std::fs::read_to_string(repo_root().join(m).join("Cargo.toml")).unwrap()).unwrap();
        let Some(bins) = manifest.get("bin").and_then(toml::Value::as_array) else { continue };
        for bin in bins.iter().filter_map(|b| b.get("name").and_then(toml::Value::as_str)) {
            images += 1;
            let path = repo_root().join("docker").join(format!("{bin}.Dockerfile"));
            let Ok(text) = std::fs::read_to_string(&path) else {
                problems.push(format!("{bin}: no docker/{bin}.Dockerfile"));
                continue;
            };
            let froms: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with("FROM ")).collect();
            if froms.len() < 2 || !froms[0].contains(" AS builder") {
                problems.push(format!("{bin}: expected a builder stage and a runtime stage, got {froms:?}"));
            }
            if !text.contains("ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot")
                || froms.last() != Some(&"FROM ${RUNTIME_IMAGE}")
            {
                problems.push(format!("{bin}: runtime stage must be distroless cc nonroot"));
            }
            if !text.contains(&format!("cargo build --release --locked -p {m} --bin {bin}")) {
                problems.push(format!("{bin}: must build `-p {m} --bin {bin}` from the locked workspace"));
            }
            let user = text.lines().rev().find_map(|l| l.trim().strip_prefix("USER ")).unwrap_or("");
            if user.is_empty() || user.starts_with('0') || user.starts_with("root") {
                problems.push(format!("{bin}: final USER must be non-root, got {user:?}"));
            }
            if !text.contains(&format!("ENTRYPOINT [\"/usr/local/bin/{bin}\"]")) {
                problems.push(format!("{bin}: ENTRYPOINT must be the tool"));
            }
        }
    }
    assert!(images >= 4, "expected the four tools, found {images} binaries");
    let ignore = std::fs::read_to_string(repo_root().join(".dockerignore")).unwrap_or_default();
    for p in ["target", ".git", ".venv"] {
        if !ignore.lines().any(|l| l.trim() == p) {
            problems.push(format!(".dockerignore: {p} should not be in the build context"));
        }
    }
    assert!(problems.is_empty(), "image problems:\n{}", problems.join("\n"));
}

/// Both pipelines run the gates in order, and prod applies only after a manual approval.
#[test]
fn pipelines_gate_the_plan_before_apply() {
    let steps = [
        "terraform fmt -check",
        "validate",
        "terraform plan",
        "terraform show -json tfplan > plan.json",
        "policy-lint check plan.json --format sarif",
        "auditor check --plan plan.json",
        "terraform apply",
    ];
    let mut problems = Vec::new();
    for (file, approval) in
        [(".github/workflows/terraform.yml", "environment: prod"), ("Jenkinsfile", "input message:")]
    {
        let text = std::fs::read_to_string(repo_root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut at = 0;
        for step in steps {
            match text[at..].find(step) {
                Some(i) => at += i + step.len(),
                None => problems.push(format!("{file}: `{step}` missing or out of order")),
            }
        }
        let approve = text.find(approval);
        let apply = text.rfind("terraform apply");
        if !matches!((approve, apply), (Some(a), Some(b)) if a < b) {
            problems.push(format!("{file}: prod apply must come after a manual approval (`{approval}`)"));
        }
    }
    let gha = std::fs::read_to_string(repo_root().join(".github/workflows/terraform.yml")).unwrap();
    if !gha.contains("github/codeql-action/upload-sarif") {
        problems.push("terraform.yml: the policy-lint SARIF must be uploaded to code scanning".into());
    }
    assert!(problems.is_empty(), "pipeline problems:\n{}", problems.join("\n"));
}

/// The part of `terraform fmt` that hand edits get wrong: in a run of consecutive one-line
/// `key = value` attributes, the `=` signs line up one space after the longest key (hclwrite's
/// `formatCells`). Blank lines, comments, block headers and multi-line values end a run.
#[test]
fn attributes_are_aligned_like_terraform_fmt() {
    fn net_brackets(rest: &str) -> i32 {
        let (mut net, mut in_str, mut interp, mut chars) = (0, false, 0, rest.chars().peekable());
        while let Some(c) = chars.next() {
            match (in_str, c) {
                (true, '\\') => {
                    chars.next();
                }
                (true, '$' | '%') if chars.peek() == Some(&'{') => {
                    chars.next();
                    interp += 1;
                }
                (true, '}') if interp > 0 => interp -= 1,
                (true, '"') if interp == 0 => in_str = false,
                (true, _) => {}
                (false, '"') => in_str = true,
                (false, '#') => break,
                (false, '(' | '[' | '{') => net += 1,
                (false, ')' | ']' | '}') => net -= 1,
                _ => {}
            }
        }
        net
    }
    let mut problems = Vec::new();
    for entry in walkdir::WalkDir::new(tf_root()).into_iter().filter_map(Result::ok) {
        let path = entry.path();
        if !path.extension().is_some_and(|e| e == "tf" || e == "tfvars" || e == "hcl") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // (line number, lead width, `=` column) of the current run.
        let mut run: Vec<(usize, usize, usize)> = Vec::new();
        let mut check_run = |run: &mut Vec<(usize, usize, usize)>| {
            if let Some(max) = run.iter().map(|r| r.1).max() {
                for &(n, _, eq) in run.iter() {
                    if eq != max + 1 {
                        problems.push(format!("{}:{}: `=` not aligned with its neighbours", path.display(), n + 1));
                    }
                }
            }
            run.clear();
        };
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            let trimmed = line.trim_start();
            let mut assign = None;
            if !trimmed.starts_with('#') && !trimmed.starts_with("//") {
                if let Some(eq) = line.find('=') {
                    let key = line[..eq].trim();
                    let next = line[eq + 1..].chars().next();
                    let simple_key = !key.is_empty()
                        && !key.contains(' ')
                        && (key.starts_with('"') || key.chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c)));
                    if simple_key && next != Some('=') && net_brackets(&line[eq + 1..]) == 0 {
                        assign = Some((i, line[..eq].trim_end().len(), eq));
                    }
                }
            }
            match assign {
                Some(a) => run.push(a),
                None => check_run(&mut run),
            }
            // A heredoc is one line for the formatter.
            if let Some(tag) =
                line.trim_end().rsplit_once("<<-").or_else(|| line.trim_end().rsplit_once("<<")).map(|(_, t)| t)
            {
                if !tag.is_empty() && tag.chars().all(|c| c.is_ascii_uppercase()) {
                    while i + 1 < lines.len() && lines[i + 1].trim() != tag {
                        i += 1;
                    }
                    i += 1;
                }
            }
            i += 1;
        }
        check_run(&mut run);
    }
    assert!(problems.is_empty(), "not `terraform fmt` aligned:\n{}", problems.join("\n"));
}

/// Translator batch runs are sized to the batch file: the size tiers' rules cover every size exactly once
/// (contiguous numeric ranges from 0, the last open-ended), and the shards of a tier split the records
/// (`--shard i/N` for every i < N) into distinct output objects.
#[test]
fn translator_batch_runs_are_sized_to_the_file() {
    let plan = load_fixture();
    let changes = plan["resource_changes"].as_array().expect("resource_changes");
    let of = |t: &str| -> Vec<&Value> {
        changes
            .iter()
            .filter(|r| r["type"] == t && r["address"].as_str().unwrap().starts_with("module.translator_batch."))
            .map(|r| &r["change"]["after"])
            .collect()
    };
    let rules = of("aws_cloudwatch_event_rule");
    assert!(rules.len() >= 2, "expected several size tiers, got {} rule(s)", rules.len());
    let mut ranges: Vec<(u64, Option<u64>, String)> = rules
        .iter()
        .map(|r| {
            let pattern: Value = serde_json::from_str(r["event_pattern"].as_str().expect("event pattern")).unwrap();
            let n = pattern["detail"]["object"]["size"][0]["numeric"].as_array().expect("numeric size match").clone();
            assert_eq!(n[0], ">=", "{pattern}");
            let max = (n.len() == 4).then(|| {
                assert_eq!(n[2], "<", "{pattern}");
                n[3].as_u64().unwrap()
            });
            (n[1].as_u64().unwrap(), max, r["name"].as_str().unwrap().to_string())
        })
        .collect();
    ranges.sort();
    assert_eq!(ranges[0].0, 0, "the first tier must start at 0 bytes");
    for w in ranges.windows(2) {
        assert_eq!(w[0].1, Some(w[1].0), "tiers {} and {} are not contiguous", w[0].2, w[1].2);
    }
    assert_eq!(ranges.last().unwrap().1, None, "the last tier must be open-ended");

    let mut by_rule: BTreeMap<String, Vec<(u32, u32, String)>> = BTreeMap::new();
    for t in of("aws_cloudwatch_event_target") {
        let template: Value =
            serde_json::from_str(t["input_transformer"][0]["input_template"].as_str().unwrap()).unwrap();
        assert!(template["cpu"].is_string() && template["memory"].is_string(), "tier sizing missing: {template}");
        let cmd: Vec<&str> = template["containerOverrides"][0]["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let arg =
            |flag: &str| cmd[cmd.iter().position(|a| *a == flag).unwrap_or_else(|| panic!("no {flag} in {cmd:?}")) + 1];
        let (i, n) = arg("--shard").split_once('/').expect("--shard I/N");
        assert!(!cmd.iter().any(|a| a.contains("{shard")), "unfilled placeholder in {cmd:?}");
        by_rule.entry(t["rule"].as_str().unwrap().to_string()).or_default().push((
            i.parse().unwrap(),
            n.parse().unwrap(),
            arg("--output").to_string(),
        ));
    }
    assert_eq!(by_rule.len(), rules.len(), "every size tier has targets");
    for (rule, mut shards) in by_rule {
        shards.sort();
        let n = shards[0].1;
        assert_eq!(
            shards.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>(),
            (0..n).map(|i| (i, n)).collect::<Vec<_>>(),
            "{rule}: shards"
        );
        let outputs: BTreeSet<&String> = shards.iter().map(|s| &s.2).collect();
        assert_eq!(outputs.len(), shards.len(), "{rule}: shards share an output object");
    }
}
