//! Offline: build the [`Inventory`] from `terraform show -json` output (plan or state), so the
//! same rules gate a deploy.
//!
//! * S3: `aws_s3_bucket` joined with the separate `aws_s3_bucket_server_side_encryption_configuration`,
//!   `_versioning`, `_lifecycle_configuration`, `_public_access_block`, `_policy`,
//!   `_object_lock_configuration`, `_logging` and `_replication_configuration` resources, by bucket
//!   name or, when the name is known only after apply, by the configuration reference
//!   (`bucket = aws_s3_bucket.this[0].id`). No encryption resource = the SSE-S3 default AWS applies.
//!   `aws_s3_account_public_access_block` gives the account level.
//! * KMS: `aws_kms_key` (+ `aws_kms_alias`, `aws_kms_replica_key` for multi-Region replicas).
//! * `aws_cloudtrail`, `aws_cloudwatch_log_group`, `aws_kinesis_stream`.
//! * IAM: `aws_iam_role` (+ inline `inline_policy` blocks, `aws_iam_role_policy`,
//!   `aws_iam_role_policy_attachment` → `aws_iam_policy` or a well-known AWS managed policy).
//!   Policies from `data.aws_iam_policy_document` are rendered in the plan (`json`).
//! * Region: the resource's `region` attribute, else its provider's region.
//!
//! Values unknown until apply: a reference that resolves (through variables, module outputs and
//! module calls of the plan's `configuration`) to an `aws_kms_key` of the plan becomes that key
//! (a customer managed key created by this plan); anything else stays
//! [`Fact::Unknown`]`(Computed)` and the checks report it as not verified, never as compliant.

use std::collections::BTreeMap;
use std::path::Path;

use common::report::ToolError;
use common::tfplan::PlanResource;
use serde_json::Value;

use crate::inventory::{
    Account, AttachedPolicy, Bucket, BucketEncryption, Fact, IamRole, InlinePolicy, Inventory, KeyManager,
    KinesisStream, KmsKey, LifecycleRule, LockMode, LogGroup, LoggingTarget, ObjectLock, PublicAccessBlock,
    ReplicationDestination, Source, SourceKind, SseAlgorithm, StreamEncryption, Tags, Trail, Transition, UnknownReason,
    Versioning,
};

/// Read a plan/state file into an inventory.
///
/// # Errors
/// Unreadable file, invalid JSON (line and column), or JSON that is not `terraform show -json`
/// output.
pub fn load(path: &Path) -> Result<Inventory, ToolError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ToolError::new(&file, "io", format!("cannot read: {e}")))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        let mut te = ToolError::new(&file, "parse", format!("invalid JSON: {e}"));
        te.line = u32::try_from(e.line()).ok().filter(|l| *l > 0);
        te.column = u32::try_from(e.column()).ok().filter(|c| *c > 0);
        te
    })?;
    let mut inv = from_value(&doc).map_err(|m| ToolError::new(&file, "plan", m))?;
    inv.source.file = Some(file);
    Ok(inv)
}

/// Build an inventory from a parsed `terraform show -json` document.
///
/// # Errors
/// When the document is not a plan or state.
pub fn from_value(doc: &Value) -> Result<Inventory, String> {
    let resources = common::tfplan::resources(doc).map_err(|e| e.to_string())?;
    let kind = if doc.get("planned_values").is_some() || doc.get("resource_changes").is_some() {
        SourceKind::Plan
    } else {
        SourceKind::State
    };
    let b = Builder { doc, resources: &resources, computed: Vec::new() };
    Ok(b.build(kind))
}

// ---------------------------------------------------------------------------------------------
// Addresses and configuration references

/// Split an address at dots outside brackets/quotes.
fn segments(addr: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut start) = (0i32, false, 0usize);
    let bytes = addr.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => in_str = !in_str,
            b'[' if !in_str => depth += 1,
            b']' if !in_str => depth -= 1,
            b'.' if !in_str && depth == 0 => {
                out.push(&addr[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&addr[start..]);
    out
}

fn strip_index(seg: &str) -> &str {
    seg.split('[').next().unwrap_or(seg)
}

/// `module.a["x"].module.b.aws_s3_bucket.this[0]` → (`module.a["x"].module.b.`, ["a", "b"]).
fn module_scope(addr: &str) -> (String, Vec<String>) {
    let segs = segments(addr);
    let mut prefix = String::new();
    let mut path = Vec::new();
    let mut i = 0;
    while i + 1 < segs.len() && segs[i] == "module" {
        prefix.push_str(&format!("module.{}.", segs[i + 1]));
        path.push(strip_index(segs[i + 1]).to_string());
        i += 2;
    }
    (prefix, path)
}

/// Drop the instance key of the last segment: `x.y[0]` → `x.y`.
fn config_address(addr: &str) -> String {
    let segs = segments(addr);
    let n = segs.len();
    if n < 2 {
        return addr.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    let start = if n >= 3 && segs[n - 3] == "data" { n - 3 } else { n - 2 };
    for s in &segs[start..] {
        parts.push(strip_index(s));
    }
    parts.join(".")
}

struct Builder<'a> {
    doc: &'a Value,
    resources: &'a [PlanResource],
    computed: Vec<String>,
}

impl<'a> Builder<'a> {
    fn module_config(&self, path: &[String]) -> Option<&'a Value> {
        let mut m = self.doc.pointer("/configuration/root_module")?;
        for name in path {
            m = m.get("module_calls")?.get(name)?.get("module")?;
        }
        Some(m)
    }

    fn resource_config(&self, r: &PlanResource) -> Option<&'a Value> {
        let (_, path) = module_scope(&r.address);
        let cfg_addr = config_address(&r.address);
        self.module_config(&path)?
            .get("resources")?
            .as_array()?
            .iter()
            .find(|c| c.get("address").and_then(Value::as_str) == Some(cfg_addr.as_str()))
    }

    /// References of an expression at `ptr` (e.g. `/rule/0/kms_master_key_id`) of `r`'s config.
    fn refs(&self, r: &PlanResource, ptr: &str) -> Vec<String> {
        self.resource_config(r)
            .and_then(|c| c.get("expressions"))
            .and_then(|e| e.pointer(&format!("{ptr}/references")))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }

    /// Find the plan resource a full address (maybe without instance key) names.
    fn find_resource(&self, addr: &str) -> Option<&'a PlanResource> {
        if let Some(r) = self.resources.iter().find(|r| r.address == addr) {
            return Some(r);
        }
        let with_key: Vec<&PlanResource> = self
            .resources
            .iter()
            .filter(|r| r.address.starts_with(addr) && r.address[addr.len()..].starts_with('['))
            .collect();
        if with_key.len() == 1 {
            return with_key.first().copied();
        }
        // Module instance keys unknown from the reference: compare without any keys.
        let strip = |a: &str| segments(a).iter().map(|s| strip_index(s)).collect::<Vec<_>>().join(".");
        let want = strip(addr);
        let loose: Vec<&PlanResource> = self.resources.iter().filter(|r| strip(&r.address) == want).collect();
        (loose.len() == 1).then(|| loose[0])
    }

    /// Resolve a reference made in module instance `prefix` (path `path`) to a resource of the
    /// plan, following variables, module outputs and module calls.
    fn resolve(&self, prefix: &str, path: &[String], reference: &str, depth: u8) -> Option<&'a PlanResource> {
        if depth > 12 {
            return None;
        }
        let segs = segments(reference);
        match segs.first().copied() {
            Some("var") => {
                let var = segs.get(1)?;
                if path.is_empty() {
                    return None;
                }
                let parent_path = &path[..path.len() - 1];
                let call = self.module_config(parent_path)?.get("module_calls")?.get(path.last()?)?;
                let refs = call.pointer(&format!("/expressions/{var}/references"))?.as_array()?;
                let parent_prefix = parent_prefix(prefix);
                refs.iter()
                    .filter_map(Value::as_str)
                    .find_map(|r| self.resolve(&parent_prefix, parent_path, r, depth + 1))
            }
            Some("module") => {
                let name = strip_index(segs.get(1)?);
                let out = segs.get(2)?;
                let mut child_path = path.to_vec();
                child_path.push(name.to_string());
                let refs = self
                    .module_config(&child_path)?
                    .pointer(&format!("/outputs/{out}/expression/references"))?
                    .as_array()?;
                let child_prefix = format!("{prefix}module.{}.", segs.get(1)?);
                refs.iter()
                    .filter_map(Value::as_str)
                    .find_map(|r| self.resolve(&child_prefix, &child_path, r, depth + 1))
            }
            Some("local" | "each" | "count" | "path" | "terraform" | "self") | None => None,
            Some("data") => {
                let (t, n) = (segs.get(1)?, segs.get(2)?);
                self.find_resource(&format!("{prefix}data.{t}.{n}"))
            }
            Some(t) => {
                let n = segs.get(1)?;
                self.find_resource(&format!("{prefix}{t}.{n}"))
            }
        }
    }

    /// First resource of type `ty` that the expression at `ptr` of `r` refers to.
    fn referenced(&self, r: &PlanResource, ptr: &str, ty: &str) -> Option<&'a PlanResource> {
        let (prefix, path) = module_scope(&r.address);
        self.refs(r, ptr).iter().filter_map(|x| self.resolve(&prefix, &path, x, 0)).find(|t| t.r#type == ty)
    }

    fn of_type(&self, ty: &str) -> impl Iterator<Item = &'a PlanResource> + '_ {
        let ty = ty.to_string();
        self.resources.iter().filter(move |r| r.r#type == ty && r.mode != "data")
    }

    fn data_of_type(&self, ty: &str) -> impl Iterator<Item = &'a PlanResource> + '_ {
        let ty = ty.to_string();
        self.resources.iter().filter(move |r| r.r#type == ty && r.mode == "data")
    }

    // ----- attribute access

    fn value<'r>(r: &'r PlanResource, ptr: &str) -> Option<&'r Value> {
        r.values.pointer(ptr).filter(|v| !v.is_null())
    }

    fn s(r: &PlanResource, ptr: &str) -> Option<String> {
        Self::value(r, ptr).and_then(Value::as_str).map(str::to_string).filter(|s| !s.is_empty())
    }

    fn b(r: &PlanResource, ptr: &str) -> Option<bool> {
        Self::value(r, ptr).and_then(Value::as_bool)
    }

    fn u(r: &PlanResource, ptr: &str) -> Option<u32> {
        Self::value(r, ptr).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok())
    }

    /// A fact from an attribute: computed when unknown until apply.
    fn fact<T>(&mut self, r: &PlanResource, ptr: &str, get: impl FnOnce(&PlanResource) -> T) -> Fact<T> {
        if r.is_unknown(ptr) {
            self.computed.push(format!("{}#{ptr}", r.address));
            Fact::computed()
        } else {
            Fact::Known(get(r))
        }
    }

    fn region(r: &PlanResource) -> Option<String> {
        Self::s(r, "/region").or_else(|| r.provider_region.clone())
    }

    fn tags(&mut self, r: &PlanResource) -> Fact<Tags> {
        let to_tags = |v: Option<&Value>| -> Tags {
            v.and_then(Value::as_object)
                .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
                .unwrap_or_default()
        };
        if !r.is_unknown("/tags_all") && r.values.get("tags_all").is_some_and(Value::is_object) {
            return Fact::Known(to_tags(r.values.get("tags_all")));
        }
        if r.is_unknown("/tags") {
            self.computed.push(format!("{}#/tags", r.address));
            return Fact::computed();
        }
        let mut t = self.default_tags();
        t.extend(to_tags(r.values.get("tags")));
        Fact::Known(t)
    }

    fn default_tags(&self) -> Tags {
        let mut t = Tags::new();
        if let Some(pc) = self.doc.pointer("/configuration/provider_config").and_then(Value::as_object) {
            for p in pc.values().filter(|p| p.get("alias").is_none()) {
                if let Some(m) = p.pointer("/expressions/default_tags/0/tags/constant_value").and_then(Value::as_object)
                {
                    for (k, v) in m {
                        if let Some(s) = v.as_str() {
                            t.insert(k.clone(), s.to_string());
                        }
                    }
                }
            }
        }
        t
    }

    /// A KMS key reference: known string, a key created in this plan, or computed.
    fn key_ref(&mut self, r: &PlanResource, ptr: &str, cfg_ptr: &str) -> Fact<Option<String>> {
        if r.is_unknown(ptr) {
            if let Some(k) = self.referenced(r, cfg_ptr, "aws_kms_key") {
                return Fact::Known(Some(key_id(k)));
            }
            if let Some(k) = self.referenced(r, cfg_ptr, "aws_kms_replica_key") {
                return Fact::Known(Some(key_id(k)));
            }
            self.computed.push(format!("{}#{ptr}", r.address));
            return Fact::computed();
        }
        let v = Self::s(r, ptr);
        // A known ARN of a key created in an earlier apply (state): keep as is.
        Fact::Known(v)
    }

    /// A policy document attribute (JSON string): parsed, or from a referenced policy document
    /// data source, or computed.
    fn policy(&mut self, r: &PlanResource, ptr: &str) -> Fact<Option<Value>> {
        if r.is_unknown(ptr) {
            let attr = ptr.trim_start_matches('/');
            if let Some(d) = self.referenced(r, &format!("/{attr}"), "aws_iam_policy_document") {
                if !d.is_unknown("/json") {
                    if let Some(s) = Self::s(d, "/json") {
                        return Fact::Known(Some(parse_policy(&s)));
                    }
                }
            }
            self.computed.push(format!("{}#{ptr}", r.address));
            return Fact::computed();
        }
        Fact::Known(Self::s(r, ptr).map(|s| parse_policy(&s)))
    }

    /// Sub-resources of a bucket: by known bucket name, else by configuration reference.
    fn for_bucket(&self, ty: &str, bucket: &PlanResource, name: Option<&str>) -> Option<&'a PlanResource> {
        self.of_type(ty).find(|sub| {
            if !sub.is_unknown("/bucket") {
                if let (Some(n), Some(sb)) = (name, Self::s(sub, "/bucket")) {
                    return n == sb;
                }
            }
            self.referenced(sub, "/bucket", "aws_s3_bucket").is_some_and(|t| t.address == bucket.address)
        })
    }

    fn build(mut self, kind: SourceKind) -> Inventory {
        let mut inv = Inventory { source: Source { kind, ..Source::default() }, ..Inventory::default() };
        let account_id =
            self.data_of_type("aws_caller_identity").find_map(|r| Self::s(r, "/account_id")).unwrap_or_default();
        let account_pab = match self.of_type("aws_s3_account_public_access_block").next() {
            Some(r) => Fact::Known(Some(PublicAccessBlock {
                block_public_acls: Self::b(r, "/block_public_acls").unwrap_or(false),
                ignore_public_acls: Self::b(r, "/ignore_public_acls").unwrap_or(false),
                block_public_policy: Self::b(r, "/block_public_policy").unwrap_or(false),
                restrict_public_buckets: Self::b(r, "/restrict_public_buckets").unwrap_or(false),
            })),
            None => Fact::Unknown(UnknownReason::NotCollected),
        };
        let account = (!account_id.is_empty()).then(|| account_id.clone());
        inv.kms_keys = self.keys(account.as_ref());
        inv.buckets = self.buckets(account.as_ref());
        inv.trails = self.trails(account.as_ref());
        inv.log_groups = self.log_groups(account.as_ref());
        inv.kinesis_streams = self.streams(account.as_ref());
        inv.iam_roles = self.roles(account.as_ref());
        let mut regions: Vec<String> = self.resources.iter().filter_map(Self::region).collect();
        regions.sort();
        regions.dedup();
        inv.accounts = vec![Account {
            id: account_id,
            regions: regions.clone(),
            role_arn: None,
            s3_public_access_block: account_pab,
        }];
        inv.regions = regions;
        inv.computed = std::mem::take(&mut self.computed);
        inv
    }

    fn keys(&mut self, account: Option<&String>) -> Vec<KmsKey> {
        let mut out = Vec::new();
        let replicas: Vec<&PlanResource> = self.of_type("aws_kms_replica_key").collect();
        for r in self.of_type("aws_kms_key").collect::<Vec<_>>() {
            let region = Self::region(r).unwrap_or_default();
            let mut replica_regions = Vec::new();
            for rep in &replicas {
                if self.referenced(rep, "/primary_key_arn", "aws_kms_key").is_some_and(|p| p.address == r.address) {
                    if let Some(rg) = Self::region(rep) {
                        replica_regions.push(rg);
                    }
                }
            }
            let spec = Self::s(r, "/customer_master_key_spec")
                .or_else(|| Self::s(r, "/key_spec"))
                .unwrap_or_else(|| "SYMMETRIC_DEFAULT".into());
            let rotation =
                self.fact(r, "/enable_key_rotation", |r| Self::b(r, "/enable_key_rotation").unwrap_or(false));
            let period = self.fact(r, "/rotation_period_in_days", |r| {
                if Self::b(r, "/enable_key_rotation") == Some(true) {
                    Some(Self::u(r, "/rotation_period_in_days").unwrap_or(365))
                } else {
                    None
                }
            });
            let policy = self.policy(r, "/policy");
            let tags = self.tags(r);
            out.push(KmsKey {
                id: key_id(r),
                arn: Self::s(r, "/arn"),
                region,
                account: account.cloned(),
                address: Some(r.address.clone()),
                manager: Fact::Known(KeyManager::Customer),
                key_spec: Fact::Known(spec),
                key_usage: Fact::Known(Self::s(r, "/key_usage").unwrap_or_else(|| "ENCRYPT_DECRYPT".into())),
                origin: Fact::Known("AWS_KMS".into()),
                state: Fact::Known(if Self::b(r, "/is_enabled") == Some(false) {
                    "Disabled".into()
                } else {
                    "Enabled".into()
                }),
                deletion_date: None,
                rotation_enabled: rotation,
                rotation_period_days: period,
                multi_region: Fact::Known(Self::b(r, "/multi_region").unwrap_or(false)),
                replica_regions: Fact::Known(replica_regions),
                aliases: Vec::new(),
                policy,
                tags,
            });
        }
        // Replicas are keys of their own (in their region).
        for rep in replicas {
            let primary = self.referenced(rep, "/primary_key_arn", "aws_kms_key");
            let policy = self.policy(rep, "/policy");
            let tags = self.tags(rep);
            out.push(KmsKey {
                id: key_id(rep),
                arn: Self::s(rep, "/arn"),
                region: Self::region(rep).unwrap_or_default(),
                account: account.cloned(),
                address: Some(rep.address.clone()),
                manager: Fact::Known(KeyManager::Customer),
                key_spec: Fact::Known("SYMMETRIC_DEFAULT".into()),
                key_usage: Fact::Known("ENCRYPT_DECRYPT".into()),
                origin: Fact::Known("AWS_KMS".into()),
                state: Fact::Known("Enabled".into()),
                // Rotation is a property of the primary key.
                rotation_enabled: primary
                    .map_or(Fact::computed(), |p| Fact::Known(Self::b(p, "/enable_key_rotation").unwrap_or(false))),
                rotation_period_days: Fact::Known(None),
                multi_region: Fact::Known(true),
                replica_regions: Fact::Known(primary.and_then(Self::region).into_iter().collect()),
                policy,
                tags,
                ..KmsKey::default()
            });
        }
        for a in self.of_type("aws_kms_alias").collect::<Vec<_>>() {
            let Some(name) = Self::s(a, "/name") else { continue };
            let target = if a.is_unknown("/target_key_id") {
                self.referenced(a, "/target_key_id", "aws_kms_key").map(key_id)
            } else {
                Self::s(a, "/target_key_id")
            };
            if let Some(t) = target {
                if let Some(k) = out.iter_mut().find(|k| k.id == t || k.arn.as_deref() == Some(t.as_str())) {
                    k.aliases.push(name);
                }
            }
        }
        out
    }

    fn buckets(&mut self, account: Option<&String>) -> Vec<Bucket> {
        let mut out = Vec::new();
        for r in self.of_type("aws_s3_bucket").collect::<Vec<_>>() {
            let name = if r.is_unknown("/bucket") { None } else { Self::s(r, "/bucket") };
            let region = Self::region(r);
            let mut b = Bucket {
                name: name.clone().unwrap_or_else(|| r.address.clone()),
                arn: name.as_ref().map(|n| format!("arn:aws:s3:::{n}")),
                region: region.map_or(Fact::Unknown(UnknownReason::NotCollected), Fact::Known),
                account: account.cloned(),
                address: Some(r.address.clone()),
                ..Bucket::default()
            };
            b.tags = self.tags(r);
            let n = name.as_deref();
            b.encryption = match self.for_bucket("aws_s3_bucket_server_side_encryption_configuration", r, n) {
                Some(e) => {
                    let base = "/rule/0/apply_server_side_encryption_by_default/0";
                    let alg = self.fact(e, &format!("{base}/sse_algorithm"), |e| {
                        Self::s(e, &format!("{base}/sse_algorithm"))
                            .and_then(|s| SseAlgorithm::parse(&s))
                            .unwrap_or(SseAlgorithm::None)
                    });
                    let key =
                        self.key_ref(e, &format!("{base}/kms_master_key_id"), &format!("{base}/kms_master_key_id"));
                    let bk = self.fact(e, "/rule/0/bucket_key_enabled", |e| {
                        Self::b(e, "/rule/0/bucket_key_enabled").unwrap_or(false)
                    });
                    Fact::Known(Some(BucketEncryption { algorithm: alg, kms_key_id: key, bucket_key: bk }))
                }
                // The bucket's own (legacy or state-read) block, when present and known.
                None if Self::value(r, "/server_side_encryption_configuration/0/rule/0").is_some() => {
                    let base =
                        "/server_side_encryption_configuration/0/rule/0/apply_server_side_encryption_by_default/0";
                    Fact::Known(Some(BucketEncryption {
                        algorithm: Fact::Known(
                            Self::s(r, &format!("{base}/sse_algorithm"))
                                .and_then(|a| SseAlgorithm::parse(&a))
                                .unwrap_or(SseAlgorithm::None),
                        ),
                        kms_key_id: Fact::Known(Self::s(r, &format!("{base}/kms_master_key_id"))),
                        bucket_key: Fact::Known(
                            Self::b(r, "/server_side_encryption_configuration/0/rule/0/bucket_key_enabled")
                                .unwrap_or(false),
                        ),
                    }))
                }
                // AWS applies SSE-S3 to every new bucket.
                None => Fact::Known(Some(BucketEncryption {
                    algorithm: Fact::Known(SseAlgorithm::Aes256),
                    kms_key_id: Fact::Known(None),
                    bucket_key: Fact::Known(false),
                })),
            };
            b.public_access_block =
                Fact::Known(self.for_bucket("aws_s3_bucket_public_access_block", r, n).map(|p| PublicAccessBlock {
                    block_public_acls: Self::b(p, "/block_public_acls").unwrap_or(false),
                    ignore_public_acls: Self::b(p, "/ignore_public_acls").unwrap_or(false),
                    block_public_policy: Self::b(p, "/block_public_policy").unwrap_or(false),
                    restrict_public_buckets: Self::b(p, "/restrict_public_buckets").unwrap_or(false),
                }));
            b.policy = match self.for_bucket("aws_s3_bucket_policy", r, n) {
                Some(p) => self.policy(p, "/policy"),
                // State files carry the bucket's policy on the bucket itself.
                None if !r.is_unknown("/policy") && Self::s(r, "/policy").is_some() => self.policy(r, "/policy"),
                None => Fact::Known(None),
            };
            b.versioning = match self.for_bucket("aws_s3_bucket_versioning", r, n) {
                Some(v) => self.fact(v, "/versioning_configuration/0/status", |v| {
                    match Self::s(v, "/versioning_configuration/0/status").as_deref() {
                        Some("Enabled") => Versioning::Enabled,
                        Some("Suspended") => Versioning::Suspended,
                        _ => Versioning::Disabled,
                    }
                }),
                None => Fact::Known(match Self::b(r, "/versioning/0/enabled") {
                    Some(true) => Versioning::Enabled,
                    _ => Versioning::Disabled,
                }),
            };
            b.lifecycle = match self.for_bucket("aws_s3_bucket_lifecycle_configuration", r, n) {
                Some(l) => {
                    if l.is_unknown("/rule") {
                        self.computed.push(format!("{}#/rule", l.address));
                        Fact::computed()
                    } else {
                        Fact::Known(lifecycle_rules(l.values.get("rule")))
                    }
                }
                // State files and older providers: `lifecycle_rule` blocks on the bucket itself.
                None => Fact::Known(legacy_lifecycle_rules(r.values.get("lifecycle_rule"))),
            };
            let lock_enabled = Self::b(r, "/object_lock_enabled").unwrap_or(false)
                || Self::s(r, "/object_lock_configuration/0/object_lock_enabled").as_deref() == Some("Enabled");
            b.object_lock = match self.for_bucket("aws_s3_bucket_object_lock_configuration", r, n) {
                Some(o) => {
                    let d = "/rule/0/default_retention/0";
                    Fact::Known(Some(ObjectLock {
                        enabled: true,
                        mode: Self::s(o, &format!("{d}/mode")).and_then(|m| match m.as_str() {
                            "GOVERNANCE" => Some(LockMode::Governance),
                            "COMPLIANCE" => Some(LockMode::Compliance),
                            _ => None,
                        }),
                        days: Self::u(o, &format!("{d}/days")),
                        years: Self::u(o, &format!("{d}/years")),
                    }))
                }
                None if lock_enabled => Fact::Known(Some(ObjectLock { enabled: true, ..ObjectLock::default() })),
                None => Fact::Known(None),
            };
            b.logging = Fact::Known(self.for_bucket("aws_s3_bucket_logging", r, n).and_then(|l| {
                let target = Self::s(l, "/target_bucket").or_else(|| {
                    self.referenced(l, "/target_bucket", "aws_s3_bucket")
                        .map(|t| Self::s(t, "/bucket").unwrap_or_else(|| t.address.clone()))
                })?;
                Some(LoggingTarget { bucket: target, prefix: Self::s(l, "/target_prefix") })
            }));
            b.replication = match self.for_bucket("aws_s3_bucket_replication_configuration", r, n) {
                Some(rep) => Fact::Known(self.replication(rep)),
                None => Fact::Known(Vec::new()),
            };
            out.push(b);
        }
        out
    }

    fn replication(&mut self, rep: &PlanResource) -> Vec<ReplicationDestination> {
        let rules = rep.values.get("rule").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut out = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let ptr = format!("/rule/{i}/destination/0/bucket");
            let enabled = rule.get("status").and_then(Value::as_str) != Some("Disabled");
            let (arn, region) = if rep.is_unknown(&ptr) {
                match self.referenced(rep, &ptr, "aws_s3_bucket") {
                    Some(t) => (
                        Self::s(t, "/bucket").map_or_else(|| t.address.clone(), |n| format!("arn:aws:s3:::{n}")),
                        Self::region(t).map_or(Fact::computed(), Fact::Known),
                    ),
                    None => {
                        self.computed.push(format!("{}#{ptr}", rep.address));
                        (format!("{}{ptr}", rep.address), Fact::computed())
                    }
                }
            } else {
                let arn = rep.values.pointer(&ptr).and_then(Value::as_str).unwrap_or_default().to_string();
                let name = arn.trim_start_matches("arn:aws:s3:::").to_string();
                let region = self
                    .of_type("aws_s3_bucket")
                    .find(|b| Self::s(b, "/bucket").as_deref() == Some(name.as_str()))
                    .and_then(Self::region)
                    // A bucket outside the plan: its region cannot be known offline.
                    .map_or(Fact::Unknown(UnknownReason::NotCollected), Fact::Known);
                (arn, region)
            };
            out.push(ReplicationDestination { bucket_arn: arn, region, enabled });
        }
        out
    }

    fn trails(&mut self, account: Option<&String>) -> Vec<Trail> {
        let mut out = Vec::new();
        for r in self.of_type("aws_cloudtrail").collect::<Vec<_>>() {
            let mut t = Trail {
                name: Self::s(r, "/name").unwrap_or_else(|| r.address.clone()),
                arn: Self::s(r, "/arn"),
                home_region: Self::s(r, "/home_region").or_else(|| Self::region(r)).unwrap_or_default(),
                account: account.cloned(),
                address: Some(r.address.clone()),
                ..Trail::default()
            };
            t.multi_region =
                self.fact(r, "/is_multi_region_trail", |r| Self::b(r, "/is_multi_region_trail").unwrap_or(false));
            t.organization =
                self.fact(r, "/is_organization_trail", |r| Self::b(r, "/is_organization_trail").unwrap_or(false));
            t.is_logging = self.fact(r, "/enable_logging", |r| Self::b(r, "/enable_logging").unwrap_or(true));
            t.log_file_validation = self
                .fact(r, "/enable_log_file_validation", |r| Self::b(r, "/enable_log_file_validation").unwrap_or(false));
            t.kms_key_id = self.key_ref(r, "/kms_key_id", "/kms_key_id");
            t.s3_bucket = self.fact(r, "/s3_bucket_name", |r| Self::s(r, "/s3_bucket_name"));
            t.cloudwatch_logs_group_arn =
                self.fact(r, "/cloud_watch_logs_group_arn", |r| Self::s(r, "/cloud_watch_logs_group_arn"));
            t.latest_delivery_error = Fact::Known(None);
            t.tags = self.tags(r);
            out.push(t);
        }
        out
    }

    fn log_groups(&mut self, account: Option<&String>) -> Vec<LogGroup> {
        let mut out = Vec::new();
        for r in self.of_type("aws_cloudwatch_log_group").collect::<Vec<_>>() {
            let mut g = LogGroup {
                name: Self::s(r, "/name").unwrap_or_else(|| r.address.clone()),
                arn: Self::s(r, "/arn"),
                region: Self::region(r).unwrap_or_default(),
                account: account.cloned(),
                address: Some(r.address.clone()),
                log_group_class: Self::s(r, "/log_group_class"),
                ..LogGroup::default()
            };
            g.retention_days =
                self.fact(r, "/retention_in_days", |r| Self::u(r, "/retention_in_days").filter(|d| *d > 0));
            g.kms_key_id = self.key_ref(r, "/kms_key_id", "/kms_key_id");
            g.tags = self.tags(r);
            out.push(g);
        }
        out
    }

    fn streams(&mut self, account: Option<&String>) -> Vec<KinesisStream> {
        let mut out = Vec::new();
        for r in self.of_type("aws_kinesis_stream").collect::<Vec<_>>() {
            let mut s = KinesisStream {
                name: Self::s(r, "/name").unwrap_or_else(|| r.address.clone()),
                arn: Self::s(r, "/arn"),
                region: Self::region(r).unwrap_or_default(),
                account: account.cloned(),
                address: Some(r.address.clone()),
                ..KinesisStream::default()
            };
            s.encryption_type = self.fact(r, "/encryption_type", |r| {
                if Self::s(r, "/encryption_type").as_deref() == Some("KMS") {
                    StreamEncryption::Kms
                } else {
                    StreamEncryption::None
                }
            });
            s.kms_key_id = self.key_ref(r, "/kms_key_id", "/kms_key_id");
            s.retention_hours = self.fact(r, "/retention_period", |r| Self::u(r, "/retention_period").unwrap_or(24));
            s.tags = self.tags(r);
            out.push(s);
        }
        out
    }

    fn roles(&mut self, account: Option<&String>) -> Vec<IamRole> {
        let mut out = Vec::new();
        let role_policies: Vec<&PlanResource> = self.of_type("aws_iam_role_policy").collect();
        let attachments: Vec<&PlanResource> = self.of_type("aws_iam_role_policy_attachment").collect();
        for r in self.of_type("aws_iam_role").collect::<Vec<_>>() {
            let name = if r.is_unknown("/name") { None } else { Self::s(r, "/name") };
            let mut role = IamRole {
                name: name.clone().unwrap_or_else(|| r.address.clone()),
                arn: Self::s(r, "/arn"),
                path: Self::s(r, "/path"),
                account: account.cloned(),
                address: Some(r.address.clone()),
                ..IamRole::default()
            };
            role.trust_policy = match self.policy(r, "/assume_role_policy") {
                Fact::Known(Some(v)) => Fact::Known(v),
                Fact::Known(None) => Fact::Known(Value::Null),
                Fact::Unknown(u) => Fact::Unknown(u),
            };
            let belongs = |this: &Builder<'_>, sub: &PlanResource| {
                if !sub.is_unknown("/role") {
                    if let (Some(n), Some(rn)) = (&name, Self::s(sub, "/role")) {
                        return *n == rn;
                    }
                }
                this.referenced(sub, "/role", "aws_iam_role").is_some_and(|t| t.address == r.address)
            };
            let mut inline = Vec::new();
            if let Some(blocks) = r.values.get("inline_policy").and_then(Value::as_array) {
                for (i, b) in blocks.iter().enumerate() {
                    let ptr = format!("/inline_policy/{i}/policy");
                    let doc = match self.policy(r, &ptr) {
                        Fact::Known(Some(v)) => Fact::Known(v),
                        Fact::Known(None) => continue,
                        Fact::Unknown(u) => Fact::Unknown(u),
                    };
                    inline.push(InlinePolicy {
                        name: b.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                        document: doc,
                    });
                }
            }
            let mine: Vec<&PlanResource> = role_policies.iter().copied().filter(|p| belongs(self, p)).collect();
            for p in mine {
                let doc = match self.policy(p, "/policy") {
                    Fact::Known(Some(v)) => Fact::Known(v),
                    Fact::Known(None) => continue,
                    Fact::Unknown(u) => Fact::Unknown(u),
                };
                inline.push(InlinePolicy {
                    name: Self::s(p, "/name").unwrap_or_else(|| p.address.clone()),
                    document: doc,
                });
            }
            role.inline_policies = Fact::Known(inline);
            let mut attached = Vec::new();
            let mut arns: Vec<(Option<String>, Option<&PlanResource>, Option<&PlanResource>)> = Vec::new();
            if let Some(list) = r.values.get("managed_policy_arns").and_then(Value::as_array) {
                arns.extend(list.iter().filter_map(Value::as_str).map(|a| (Some(a.to_string()), None, None)));
            }
            let mine: Vec<&PlanResource> = attachments.iter().copied().filter(|a| belongs(self, a)).collect();
            for a in mine {
                let arn = if a.is_unknown("/policy_arn") { None } else { Self::s(a, "/policy_arn") };
                let target = self.referenced(a, "/policy_arn", "aws_iam_policy");
                arns.push((arn, target, Some(a)));
            }
            for (arn, target, att) in arns {
                let target = target.or_else(|| {
                    arn.as_ref().and_then(|x| {
                        self.of_type("aws_iam_policy").find(|p| Self::s(p, "/arn").as_deref() == Some(x.as_str()))
                    })
                });
                let (name, document) = match (target, arn.as_deref()) {
                    (Some(p), _) => {
                        let doc = match self.policy(p, "/policy") {
                            Fact::Known(Some(v)) => Fact::Known(v),
                            Fact::Known(None) => Fact::Known(Value::Null),
                            Fact::Unknown(u) => Fact::Unknown(u),
                        };
                        (Self::s(p, "/name").unwrap_or_else(|| p.address.clone()), doc)
                    }
                    (None, Some(a)) => (
                        a.rsplit('/').next().unwrap_or(a).to_string(),
                        well_known_policy(a).map_or(Fact::Unknown(UnknownReason::NotCollected), Fact::Known),
                    ),
                    (None, None) => {
                        let at = att.map(|a| a.address.clone()).unwrap_or_default();
                        self.computed.push(format!("{at}#/policy_arn"));
                        (at, Fact::computed())
                    }
                };
                attached.push(AttachedPolicy {
                    arn: arn.clone().or_else(|| target.map(|t| t.address.clone())).unwrap_or_default(),
                    name,
                    default_version_id: None,
                    document,
                });
            }
            role.attached_policies = Fact::Known(attached);
            role.tags = self.tags(r);
            out.push(role);
        }
        out
    }
}

fn parent_prefix(prefix: &str) -> String {
    // "module.a.module.b[0]." → "module.a."
    let trimmed = prefix.trim_end_matches('.');
    let segs = segments(trimmed);
    if segs.len() < 2 {
        return String::new();
    }
    let keep = &segs[..segs.len() - 2];
    if keep.is_empty() {
        String::new()
    } else {
        format!("{}.", keep.join("."))
    }
}

/// Key id for a plan key: its id when known (state), else its address.
fn key_id(r: &PlanResource) -> String {
    if r.is_unknown("/key_id") {
        return r.address.clone();
    }
    r.values
        .get("key_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map_or_else(|| r.address.clone(), str::to_string)
}

fn parse_policy(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
}

fn lifecycle_rules(v: Option<&Value>) -> Vec<LifecycleRule> {
    let Some(rules) = v.and_then(Value::as_array) else { return Vec::new() };
    rules
        .iter()
        .map(|r| {
            let u =
                |p: &str| r.pointer(p).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()).filter(|d| *d > 0);
            let prefix = r
                .pointer("/filter/0/prefix")
                .and_then(Value::as_str)
                .or_else(|| r.get("prefix").and_then(Value::as_str))
                .unwrap_or("");
            let has_tag = r.pointer("/filter/0/tag/0").is_some_and(|t| !t.is_null())
                || r.pointer("/filter/0/and/0").is_some_and(|t| !t.is_null())
                || r.pointer("/filter/0/object_size_greater_than").and_then(Value::as_u64).is_some_and(|n| n > 0)
                || r.pointer("/filter/0/object_size_less_than").and_then(Value::as_u64).is_some_and(|n| n > 0);
            let whole = prefix.is_empty() && !has_tag;
            LifecycleRule {
                id: r.get("id").and_then(Value::as_str).map(str::to_string),
                enabled: r.get("status").and_then(Value::as_str) == Some("Enabled"),
                whole_bucket: whole,
                scope: (!whole).then(|| {
                    if prefix.is_empty() {
                        "tag or size filter".to_string()
                    } else {
                        format!("prefix={prefix}")
                    }
                }),
                expiration_days: u("/expiration/0/days"),
                expiration_date: r
                    .pointer("/expiration/0/date")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                noncurrent_expiration_days: u("/noncurrent_version_expiration/0/noncurrent_days"),
                transitions: r
                    .get("transition")
                    .and_then(Value::as_array)
                    .map(|ts| {
                        ts.iter()
                            .map(|t| Transition {
                                days: t.get("days").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()),
                                storage_class: t
                                    .get("storage_class")
                                    .and_then(Value::as_str)
                                    .unwrap_or_default()
                                    .to_string(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The legacy inline `lifecycle_rule` blocks of `aws_s3_bucket` (`enabled`, `prefix`, `tags`).
fn legacy_lifecycle_rules(v: Option<&Value>) -> Vec<LifecycleRule> {
    let Some(rules) = v.and_then(Value::as_array) else { return Vec::new() };
    rules
        .iter()
        .map(|r| {
            let u =
                |p: &str| r.pointer(p).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()).filter(|d| *d > 0);
            let prefix = r.get("prefix").and_then(Value::as_str).unwrap_or("");
            let tagged = r.get("tags").and_then(Value::as_object).is_some_and(|t| !t.is_empty());
            let whole = prefix.is_empty() && !tagged;
            LifecycleRule {
                id: r.get("id").and_then(Value::as_str).map(str::to_string),
                enabled: r.get("enabled").and_then(Value::as_bool).unwrap_or(false),
                whole_bucket: whole,
                scope: (!whole).then(|| {
                    if prefix.is_empty() {
                        "tag filter".to_string()
                    } else {
                        format!("prefix={prefix}")
                    }
                }),
                expiration_days: u("/expiration/0/days"),
                expiration_date: r
                    .pointer("/expiration/0/date")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                noncurrent_expiration_days: u("/noncurrent_version_expiration/0/days"),
                transitions: Vec::new(),
            }
        })
        .collect()
}

/// Documents of the AWS managed policies whose meaning is fixed and relevant to the IAM checks.
fn well_known_policy(arn: &str) -> Option<Value> {
    let name = arn.strip_prefix("arn:aws:iam::aws:policy/")?;
    let doc = match name {
        "AdministratorAccess" => {
            serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        }
        "PowerUserAccess" => serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization", "account:ListRegions", "account:GetAccountInformation"], "Resource": "*"}]}),
        "IAMFullAccess" => {
            serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:*", "organizations:DescribeAccount", "organizations:DescribeOrganization", "organizations:DescribeOrganizationalUnit", "organizations:DescribePolicy", "organizations:ListChildren", "organizations:ListParents", "organizations:ListPoliciesForTarget", "organizations:ListRoots", "organizations:ListPolicies", "organizations:ListTargetsForPolicy"], "Resource": "*"}]})
        }
        _ => return None,
    };
    Some(doc)
}

/// Summaries for reports: how many values the plan leaves unknown.
#[must_use]
pub fn computed_summary(inv: &Inventory) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for c in &inv.computed {
        let ty = c.split('#').next().map(config_address).unwrap_or_default();
        let ty = ty.split('.').next().unwrap_or_default().to_string();
        *m.entry(ty).or_default() += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_addresses() {
        assert_eq!(
            segments(r#"module.a["x.y"].aws_s3_bucket.this[0]"#),
            [r#"module"#, r#"a["x.y"]"#, "aws_s3_bucket", "this[0]"]
        );
        let (prefix, path) = module_scope(r#"module.a["k"].module.b.aws_s3_bucket.this[0]"#);
        assert_eq!(prefix, r#"module.a["k"].module.b."#);
        assert_eq!(path, ["a", "b"]);
        assert_eq!(config_address("module.a.aws_s3_bucket.this[0]"), "aws_s3_bucket.this");
        assert_eq!(config_address("module.a.data.aws_iam_policy_document.p"), "data.aws_iam_policy_document.p");
        assert_eq!(parent_prefix("module.a.module.b[0]."), "module.a.");
        assert_eq!(parent_prefix("module.a."), "");
    }
}
