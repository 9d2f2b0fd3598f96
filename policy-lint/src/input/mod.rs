//! Inputs: finds the policies in policy JSON files, Terraform source and `terraform show -json`
//! plans, and hands each one to the driver as a [`Document`] with its file, Terraform address,
//! [`PolicyKind`] and a [`Locator`] that turns a JSON pointer back into a line and column.
//!
//! * JSON files: one policy per file; a plan or state (recognised by content via
//!   `common::tfplan::looks_like_plan`) yields the policies of its resources ([`plan`]).
//! * `.tf` files: parsed with hcl-rs per directory (a Terraform module), see [`terraform`].
//! * Directories are walked (`.json` and `.tf`; `.terraform/`, `.git/` and `target/` skipped);
//!   `-` reads standard input.
//!
//! Bad input never stops the run: each unreadable, oversized, binary, non-UTF-8 or malformed
//! file becomes a [`ToolError`] naming the file, line and column (and JSON pointer where one
//! applies), and every other file is still loaded. Nothing here panics on input and nothing
//! recurses without a bound: JSON nesting is limited by serde_json (128 levels), HCL nesting is
//! checked before parsing ([`terraform::MAX_NESTING`]).
//!
//! Error messages name positions and fields, never values from the document.

pub mod plan;
pub mod terraform;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::jsonpos::PositionIndex;
use common::report::ToolError;
use serde_json::Value;

use crate::policy::PolicyKind;

/// Default largest input file: 100 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// Directories never walked into.
pub const SKIPPED_DIRS: [&str; 3] = [".terraform", ".git", "target"];

/// How inputs are read.
#[derive(Clone, Debug)]
pub struct InputOptions {
    /// Force the kind of every policy (`--policy-type`); otherwise Terraform context, then content.
    pub policy_type: Option<PolicyKind>,
    /// Files larger than this are refused with an error (default 100 MiB).
    pub max_file_bytes: u64,
}

impl Default for InputOptions {
    fn default() -> Self {
        Self { policy_type: None, max_file_bytes: DEFAULT_MAX_FILE_BYTES }
    }
}

/// Everything found in the inputs.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Policies (and policies known to exist but not analysable).
    pub documents: Vec<Document>,
    /// Inputs that could not be read; the run exits 2 when there are any.
    pub errors: Vec<ToolError>,
    /// Every file read, in order (`<stdin>` for `-`).
    pub inputs: Vec<String>,
}

/// One policy found in the inputs.
#[derive(Clone, Debug)]
pub struct Document {
    /// Path as given or walked (`<stdin>` for `-`).
    pub file: String,
    /// Terraform address (`aws_iam_policy.x`, `data.aws_iam_policy_document.y`,
    /// `module.m.aws_iam_role.r`), for Terraform source and plans.
    pub address: Option<String>,
    /// `--policy-type` > Terraform context (resource type and argument) > content detection.
    pub kind: PolicyKind,
    /// The policy, or why it cannot be analysed.
    pub content: Content,
    /// `# policy-lint:ignore CODE reason="..."` comments that apply to this document.
    pub inline_ignores: Vec<InlineIgnore>,
}

/// What a [`Document`] holds.
#[derive(Clone, Debug)]
pub enum Content {
    /// A policy to analyse.
    Policy {
        /// The policy JSON (Terraform references kept as symbolic `${...}` strings).
        value: Value,
        /// Pointer → position in [`Document::file`].
        locator: Locator,
    },
    /// A policy known to exist but not analysable (computed until apply, built from variables).
    Unknown {
        /// Why, naming the attribute or block.
        reason: String,
        /// Line in [`Document::file`].
        line: Option<u32>,
    },
}

/// An inline suppression comment in a `.tf` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineIgnore {
    /// Rule code or name (`PL101`, `wildcard-action`).
    pub rule: String,
    /// The `reason="..."`; empty when missing (the driver then reports the comment instead of
    /// honouring it).
    pub reason: String,
    /// Line of the comment.
    pub line: u32,
}

/// Maps a JSON pointer of a document to a 1-based line and column of its file.
#[derive(Clone, Debug, Default)]
pub struct Locator {
    kind: LocatorKind,
}

#[derive(Clone, Debug, Default)]
enum LocatorKind {
    /// No position known.
    #[default]
    None,
    /// Exact: the document is JSON text in the file, starting `line_offset` lines down.
    Json { index: Arc<PositionIndex>, line_offset: u32 },
    /// Best effort: the position of the longest pointer prefix that has a mark, else `base`.
    Marks { base: (u32, u32), marks: Vec<(String, (u32, u32))> },
}

impl Locator {
    /// Exact positions for a JSON document that is the whole file.
    #[must_use]
    pub fn json(text: &str) -> Self {
        Self::embedded_json(text, 0)
    }

    /// Exact positions for JSON text that starts on line `line_offset + 1` of the file
    /// (a heredoc body).
    #[must_use]
    pub fn embedded_json(text: &str, line_offset: u32) -> Self {
        Self { kind: LocatorKind::Json { index: Arc::new(PositionIndex::new(text)), line_offset } }
    }

    /// Every pointer maps to one line.
    #[must_use]
    pub fn line(line: u32) -> Self {
        Self { kind: LocatorKind::Marks { base: (line, 1), marks: Vec::new() } }
    }

    /// Positions of some pointers (`/Statement/0`, `/Statement/0/Action`…); others map to the
    /// nearest marked ancestor, then to `base`.
    #[must_use]
    pub fn marks(base: (u32, u32), marks: Vec<(String, (u32, u32))>) -> Self {
        Self { kind: LocatorKind::Marks { base, marks } }
    }

    /// Line and column of the value at `pointer`.
    #[must_use]
    pub fn locate(&self, pointer: &str) -> Option<(u32, u32)> {
        match &self.kind {
            LocatorKind::None => None,
            LocatorKind::Json { index, line_offset } => {
                let p = if pointer == "/" { "" } else { pointer };
                index.get(p).map(|(l, c)| (l.saturating_add(*line_offset), c))
            }
            LocatorKind::Marks { base, marks } => {
                let mut best: Option<(usize, (u32, u32))> = None;
                for (m, pos) in marks {
                    let is_prefix = pointer == m
                        || (pointer.starts_with(m.as_str()) && pointer.as_bytes().get(m.len()) == Some(&b'/'));
                    if is_prefix && best.is_none_or(|(len, _)| m.len() > len) {
                        best = Some((m.len(), *pos));
                    }
                }
                Some(best.map_or(*base, |(_, p)| p))
            }
        }
    }
}

/// Load every path: files, directories (walked) and `-` (stdin).
#[must_use]
pub fn load(paths: &[PathBuf], opts: &InputOptions) -> Loaded {
    let m = load_map(paths, opts, &Document::clone);
    Loaded { documents: m.results, errors: m.errors, inputs: m.inputs }
}

/// What [`load_map`] returns.
#[derive(Debug)]
pub struct Mapped<R> {
    /// One result per document, in the order [`load`] returns the documents.
    pub results: Vec<R>,
    /// Inputs that could not be read; the run exits 2 when there are any.
    pub errors: Vec<ToolError>,
    /// Every file read, in order (`<stdin>` for `-`).
    pub inputs: Vec<String>,
}

/// Documents of one file above this many are mapped across cores after loading (a plan holds
/// thousands); fewer are mapped by the thread that loaded them.
const MAP_IN_PLACE_MAX: usize = 16;

/// Load every path like [`load`] and map each document through `f` on the core that loaded it,
/// as soon as it is loaded. Documents are dropped once mapped, so memory follows the results,
/// not the inputs.
pub fn load_map<R: Send>(paths: &[PathBuf], opts: &InputOptions, f: &(dyn Fn(&Document) -> R + Sync)) -> Mapped<R> {
    let mut out = Mapped { results: Vec::new(), errors: Vec::new(), inputs: Vec::new() };
    // Terraform files are read per directory: a directory is one module whose files see each other.
    let mut modules: BTreeMap<PathBuf, Vec<(String, PathBuf, bool)>> = BTreeMap::new();
    // JSON files and walk errors, in order; the files are read and parsed in parallel below.
    let mut jobs: Vec<Job> = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            run_jobs(std::mem::take(&mut jobs), opts, f, &mut out);
            let mut part = Loaded::default();
            load_stdin(opts, &mut part);
            finish(part, f, &mut out);
            continue;
        }
        let display = p.display().to_string();
        match std::fs::metadata(p) {
            Err(e) => jobs.push(Job::Error(io_error(&display, &e))),
            Ok(m) if m.is_dir() => walk(p, &mut jobs, &mut modules),
            Ok(_) => {
                if is_tf(p) {
                    modules.entry(parent_dir(p)).or_default().push((display, p.clone(), false));
                } else {
                    jobs.push(Job::Json { display, path: p.clone(), walked: false });
                }
            }
        }
    }
    run_jobs(jobs, opts, f, &mut out);
    let mut part = Loaded::default();
    for (dir, files) in modules {
        terraform::load_module(&dir, &files, opts, &mut part);
    }
    finish(part, f, &mut out);
    out
}

/// Maps the documents of `part` across cores and appends everything to `out`.
fn finish<R: Send>(part: Loaded, f: &(dyn Fn(&Document) -> R + Sync), out: &mut Mapped<R>) {
    out.errors.extend(part.errors);
    out.inputs.extend(part.inputs);
    if !part.documents.is_empty() {
        out.results.extend(crate::par::map(&part.documents, f));
    }
}

/// A JSON file to load, or an error met while finding the inputs.
enum Job {
    Json { display: String, path: PathBuf, walked: bool },
    Error(ToolError),
}

fn run_jobs<R: Send>(jobs: Vec<Job>, opts: &InputOptions, f: &(dyn Fn(&Document) -> R + Sync), out: &mut Mapped<R>) {
    // Each file is loaded and (when small) mapped by one worker; a file with many documents is
    // handed back whole and mapped across cores afterwards.
    let parts = crate::par::map(&jobs, |job| {
        let mut part = Loaded::default();
        match job {
            Job::Json { display, path, walked } => load_json_file(display, path, *walked, opts, &mut part),
            Job::Error(e) => part.errors.push(e.clone()),
        }
        if part.documents.len() <= MAP_IN_PLACE_MAX {
            let results: Vec<R> = part.documents.iter().map(f).collect();
            part.documents.clear();
            (part, results)
        } else {
            (part, Vec::new())
        }
    });
    for (part, results) in parts {
        out.results.extend(results);
        finish(part, f, out);
    }
}

fn parent_dir(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn is_tf(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("tf"))
}

fn walk(root: &Path, jobs: &mut Vec<Job>, modules: &mut BTreeMap<PathBuf, Vec<(String, PathBuf, bool)>>) {
    let walker = walkdir::WalkDir::new(root).sort_by_file_name().into_iter().filter_entry(|e| {
        !(e.depth() > 0 && e.file_type().is_dir() && SKIPPED_DIRS.iter().any(|s| e.file_name() == *s))
    });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map_or_else(|| root.display().to_string(), |p| p.display().to_string());
                let msg = e.io_error().map_or_else(|| e.to_string(), |io| format!("cannot read: {}", io_reason(io)));
                jobs.push(Job::Error(ToolError::new(path, "io", msg)));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let p = entry.path();
        let display = p.display().to_string();
        let name = entry.file_name().to_string_lossy();
        if is_tf(p) {
            modules.entry(parent_dir(p)).or_default().push((display, p.to_path_buf(), true));
        } else if name.to_ascii_lowercase().ends_with(".json") && !name.to_ascii_lowercase().ends_with(".tf.json") {
            jobs.push(Job::Json { display, path: p.to_path_buf(), walked: true });
        } else {
            let shown: &str = &display;
            tracing::debug!(message = "Skipping file that is neither JSON nor Terraform.", file = shown);
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn io_error(display: &str, e: &std::io::Error) -> ToolError {
    ToolError::new(display, "io", format!("cannot read: {}", io_reason(e)))
}

/// Read a file as UTF-8 text within the size limit. `Ok(None)`: a binary file met while
/// walking, skipped.
pub(crate) fn read_text(
    display: &str,
    path: &Path,
    walked: bool,
    opts: &InputOptions,
) -> Result<Option<String>, ToolError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(display, &e))?;
    if !meta.is_file() {
        // Devices and pipes (`/dev/zero`, a FIFO) could block or never end.
        return Err(ToolError::new(display, "io", "not a regular file; not read"));
    }
    if meta.len() > opts.max_file_bytes {
        return Err(too_large(display, meta.len(), opts.max_file_bytes));
    }
    let file = std::fs::File::open(path).map_err(|e| io_error(display, &e))?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(1 << 27));
    // A file that grows while being read is still held to the limit.
    file.take(opts.max_file_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| io_error(display, &e))?;
    if bytes.len() as u64 > opts.max_file_bytes {
        return Err(too_large(display, bytes.len() as u64, opts.max_file_bytes));
    }
    decode(display, bytes, walked)
}

fn too_large(display: &str, size: u64, limit: u64) -> ToolError {
    ToolError::new(display, "io", format!("file is {size} bytes, larger than the {limit}-byte input limit; not read"))
}

/// Bytes → text: binary files (a NUL byte in the first 8 KiB) and invalid UTF-8 are errors,
/// except binary files met while walking, which are skipped.
pub(crate) fn decode(display: &str, bytes: Vec<u8>, walked: bool) -> Result<Option<String>, ToolError> {
    let head = &bytes[..bytes.len().min(8192)];
    if let Some(pos) = head.iter().position(|&b| b == 0) {
        if walked {
            let shown: &str = display;
            tracing::debug!(message = "Skipping binary file.", file = shown);
            return Ok(None);
        }
        let (line, column) = common::jsonpos::line_col(&String::from_utf8_lossy(&bytes[..pos]), usize::MAX);
        let mut e = ToolError::new(
            display,
            "parse",
            format!("binary file (NUL byte at offset {pos}): not a policy, Terraform file or plan"),
        );
        e.line = Some(line);
        e.column = Some(column);
        return Err(e);
    }
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..'\u{feff}'.len_utf8());
            }
            Ok(Some(s))
        }
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            let prefix = &err.as_bytes()[..valid];
            // The prefix is valid UTF-8 by construction.
            let text = std::str::from_utf8(prefix).unwrap_or_default();
            let (line, column) = common::jsonpos::line_col(text, text.len());
            let mut e = ToolError::new(display, "parse", format!("invalid UTF-8 at byte offset {valid}"));
            e.line = Some(line);
            e.column = Some(column);
            Err(e)
        }
    }
}

fn load_stdin(opts: &InputOptions, out: &mut Loaded) {
    const NAME: &str = "<stdin>";
    out.inputs.push(NAME.into());
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().lock().take(opts.max_file_bytes.saturating_add(1)).read_to_end(&mut bytes) {
        out.errors.push(io_error(NAME, &e));
        return;
    }
    if bytes.len() as u64 > opts.max_file_bytes {
        out.errors.push(too_large(NAME, bytes.len() as u64, opts.max_file_bytes));
        return;
    }
    let text = match decode(NAME, bytes, false) {
        Ok(Some(t)) => t,
        Ok(None) => return,
        Err(e) => {
            out.errors.push(e);
            return;
        }
    };
    load_text(NAME, &text, opts, out);
}

/// Load one input given as text: JSON (policy or plan) when it starts with `{` or `[`,
/// Terraform source otherwise (references to other files resolve against the working directory).
pub fn load_text(name: &str, text: &str, opts: &InputOptions, out: &mut Loaded) {
    if matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'[')) {
        load_json_text(name, text, false, opts, out);
    } else {
        terraform::load_sources(Path::new("."), &[(name.to_string(), text.to_string())], opts, out);
    }
}

fn load_json_file(display: &str, path: &Path, walked: bool, opts: &InputOptions, out: &mut Loaded) {
    match read_text(display, path, walked, opts) {
        Ok(Some(text)) => {
            out.inputs.push(display.to_string());
            load_json_text(display, &text, walked, opts, out);
        }
        Ok(None) => {}
        Err(e) => {
            out.inputs.push(display.to_string());
            out.errors.push(e);
        }
    }
}

/// A serde_json error as a [`ToolError`] with line and column; the message has no values.
pub(crate) fn json_error(display: &str, e: &serde_json::Error, line_offset: u32) -> ToolError {
    let msg = e.to_string();
    let msg = msg.rfind(" at line ").map_or(msg.as_str(), |i| &msg[..i]).to_string();
    let what = match e.classify() {
        serde_json::error::Category::Eof => "malformed JSON (unexpected end of input)",
        _ => "malformed JSON",
    };
    let mut te = ToolError::new(display, "parse", format!("{what}: {msg}"));
    if e.line() > 0 {
        te.line = Some(u32::try_from(e.line()).unwrap_or(u32::MAX).saturating_add(line_offset));
        te.column = Some(u32::try_from(e.column()).unwrap_or(u32::MAX));
    }
    te
}

/// Does a JSON value look like an IAM policy (as opposed to other JSON met while walking, such
/// as `package.json`)? It must have a `Statement`.
#[must_use]
pub fn looks_like_policy(v: &Value) -> bool {
    v.as_object().is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case("Statement")))
}

fn load_json_text(display: &str, text: &str, walked: bool, opts: &InputOptions, out: &mut Loaded) {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.errors.push(json_error(display, &e, 0));
            return;
        }
    };
    if common::tfplan::looks_like_plan(&value) {
        plan::load_plan(display, text, &value, opts, out);
        return;
    }
    if walked && !looks_like_policy(&value) {
        let shown: &str = display;
        tracing::debug!(message = "Skipping JSON file that is neither a policy nor a plan.", file = shown);
        return;
    }
    let kind = opts.policy_type.unwrap_or_else(|| detect_kind(&value));
    out.documents.push(Document {
        file: display.to_string(),
        address: None,
        kind,
        content: Content::Policy { value, locator: Locator::json(text) },
        inline_ignores: Vec::new(),
    });
}

/// Statements of a policy value (`Statement` as an array or a single object).
fn statements(v: &Value) -> Vec<&serde_json::Map<String, Value>> {
    match v.get("Statement") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_object).collect(),
        Some(Value::Object(o)) => vec![o],
        _ => Vec::new(),
    }
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Services whose resource policies have their own kind.
const RESOURCE_SERVICES: [(&str, PolicyKind); 4] =
    [("s3", PolicyKind::Bucket), ("kms", PolicyKind::Key), ("sqs", PolicyKind::Queue), ("sns", PolicyKind::Topic)];

/// Guess the kind of a policy from its content.
///
/// * A `Principal`/`NotPrincipal` anywhere: a trust policy when every action is an `sts:`
///   action and one is `sts:AssumeRole*`; otherwise the resource policy of the service the
///   actions (then the resource ARNs) belong to: `s3` → bucket, `kms` → key, `sqs` → queue,
///   `sns` → topic; else a generic resource policy.
/// * No principal and only `Deny` statements: a service control policy (an identity policy
///   that only denies grants nothing, so nothing is lost if the guess is wrong).
/// * Otherwise an identity policy.
#[must_use]
pub fn detect_kind(value: &Value) -> PolicyKind {
    let sts = statements(value);
    let with_principal: Vec<_> =
        sts.iter().filter(|s| s.contains_key("Principal") || s.contains_key("NotPrincipal")).collect();
    if with_principal.is_empty() {
        let all_deny = !sts.is_empty() && sts.iter().all(|s| s.get("Effect").and_then(Value::as_str) == Some("Deny"));
        return if all_deny { PolicyKind::Scp } else { PolicyKind::Identity };
    }
    let actions: Vec<&str> = with_principal
        .iter()
        .flat_map(|s| strings(s.get("Action")).into_iter().chain(strings(s.get("NotAction"))))
        .collect();
    let lower: Vec<String> = actions.iter().map(|a| a.to_ascii_lowercase()).collect();
    if !lower.is_empty()
        && lower.iter().all(|a| a.starts_with("sts:"))
        && lower.iter().any(|a| a.starts_with("sts:assumerole"))
    {
        return PolicyKind::Trust;
    }
    let mut votes = [0usize; 4];
    for a in &lower {
        if let Some((svc, _)) = a.split_once(':') {
            if let Some(i) = RESOURCE_SERVICES.iter().position(|(s, _)| *s == svc) {
                votes[i] += 1;
            }
        }
    }
    if votes.iter().all(|&v| v == 0) {
        for s in &with_principal {
            for r in strings(s.get("Resource")).into_iter().chain(strings(s.get("NotResource"))) {
                let svc = r.split(':').nth(2).unwrap_or_default().to_ascii_lowercase();
                if let Some(i) = RESOURCE_SERVICES.iter().position(|(s, _)| *s == svc) {
                    votes[i] += 1;
                }
            }
        }
    }
    let max = votes.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return PolicyKind::Resource;
    }
    let winner = votes.iter().position(|&v| v == max).unwrap_or(0);
    RESOURCE_SERVICES[winner].1
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detects_kinds() {
        let identity = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
        assert_eq!(detect_kind(&identity), PolicyKind::Identity);
        let trust = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"]}]});
        assert_eq!(detect_kind(&trust), PolicyKind::Trust);
        let oidc = json!({"Statement": {"Effect": "Allow", "Principal": {"Federated": "x"}, "Action": "sts:AssumeRoleWithWebIdentity"}});
        assert_eq!(detect_kind(&oidc), PolicyKind::Trust);
        let bucket = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}]});
        assert_eq!(detect_kind(&bucket), PolicyKind::Bucket);
        let key = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]});
        assert_eq!(detect_kind(&key), PolicyKind::Key);
        let queue = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:ca-central-1:1:q"}]});
        assert_eq!(detect_kind(&queue), PolicyKind::Queue);
        let topic = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "SNS:Publish", "Resource": "*"}]});
        assert_eq!(detect_kind(&topic), PolicyKind::Topic);
        let by_arn = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "arn:aws:sqs:ca-central-1:1:q"}]});
        assert_eq!(detect_kind(&by_arn), PolicyKind::Queue);
        let ecr = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "ecr:BatchGetImage"}]});
        assert_eq!(detect_kind(&ecr), PolicyKind::Resource);
        let scp = json!({"Statement": [{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": "ca-central-1"}}}]});
        assert_eq!(detect_kind(&scp), PolicyKind::Scp);
        // sts actions that are not AssumeRole with a principal: a resource policy, not a trust policy
        let odd = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:GetCallerIdentity"}]});
        assert_eq!(detect_kind(&odd), PolicyKind::Resource);
        assert_eq!(detect_kind(&json!("not a policy")), PolicyKind::Identity);
    }

    #[test]
    fn locator_marks_use_longest_prefix() {
        let l = Locator::marks(
            (3, 1),
            vec![
                ("/Statement/0".into(), (5, 3)),
                ("/Statement/0/Action".into(), (7, 5)),
                ("/Statement/1".into(), (9, 3)),
            ],
        );
        assert_eq!(l.locate("/Statement/0/Action/2"), Some((7, 5)));
        assert_eq!(l.locate("/Statement/0/Resource"), Some((5, 3)));
        assert_eq!(l.locate("/Statement/10"), Some((3, 1)), "/Statement/1 is not a prefix of /Statement/10");
        assert_eq!(l.locate("/Version"), Some((3, 1)));
        assert_eq!(Locator::default().locate("/x"), None);
    }

    #[test]
    fn locator_json_offsets_lines() {
        let l = Locator::embedded_json("{\n  \"Statement\": []\n}", 10);
        assert_eq!(l.locate("/Statement"), Some((12, 16)));
        assert_eq!(l.locate("/"), Some((11, 1)));
    }

    #[test]
    fn decode_reports_positions() {
        let e = decode("f", b"{\n  \"a\": \xff}".to_vec(), false).unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(8)));
        assert!(e.message.contains("invalid UTF-8"));
        assert!(decode("f", b"ab\0cd".to_vec(), true).unwrap().is_none());
        assert!(decode("f", b"ab\0cd".to_vec(), false).unwrap_err().message.contains("binary"));
        assert_eq!(decode("f", "\u{feff}{}".as_bytes().to_vec(), false).unwrap().as_deref(), Some("{}"));
    }
}
