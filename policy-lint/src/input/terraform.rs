//! Policies in Terraform source (`.tf`), read with hcl-rs (its `hcl-edit` parser, which keeps
//! byte spans, so findings point at the block, statement or attribute they come from).
//!
//! The `.tf` files of one directory form a module; references between them resolve:
//!
//! * `data "aws_iam_policy_document"` blocks become policy JSON the way the AWS provider renders
//!   them (`statement`, `actions`/`not_actions`, `resources`/`not_resources`, `principals`/
//!   `not_principals`, `condition`, `version`, `policy_id`, `source_policy_documents`,
//!   `override_policy_documents`). A `dynamic "statement"` block whose content does not use its
//!   iterator is analysed once; one built from its iterator (the statements come from a variable)
//!   is reported as not analysable in source ([`Content::Unknown`]).
//! * Policy arguments of the resources in [`super::plan::POLICY_ATTRIBUTES`] (and `inline_policy`
//!   blocks of `aws_iam_role`): `jsonencode({...})` literals are evaluated; heredoc and quoted JSON
//!   is parsed; `file("x.json")` and `templatefile(...)` are read relative to the module; a
//!   reference to an `aws_iam_policy_document` of the module resolves to that document, which is
//!   then analysed once with the kind its users give it (trust for `assume_role_policy`, bucket for
//!   `aws_s3_bucket_policy`…); `local.x` resolves to the local's expression.
//! * Everything else — `var.x`, `aws_s3_bucket.b.arn`, `module.m.out`, function calls,
//!   conditionals, `for` expressions — becomes a symbolic string `${...}` that the checks treat as
//!   specific but unknown: never `*`. A policy argument that is entirely such a reference is
//!   reported as not analysable in source.
//!
//! Inline suppressions: `# policy-lint:ignore PL101 reason="..."` (or `//`), on the line above a
//! resource, data source or statement, or at the end of a line in it, applies to the policy of
//! that block. Several codes may be separated by commas. A comment without `reason="..."` is
//! handed to the driver with an empty reason; the driver reports it as a high-severity
//! `ignore-without-reason` finding and does not honour it.
//!
//! Nesting: HCL nested deeper than [`MAX_NESTING`] levels is refused before parsing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::report::ToolError;
use hcl::edit::expr::{Expression as E, ObjectKey, TraversalOperator as Op};
use hcl::edit::structure::{Block, Body, Structure};
use hcl::edit::template::{Element, Template};
use hcl::edit::Span;
use serde_json::{Map, Value};

use super::{Content, Document, InlineIgnore, InputOptions, Loaded, Locator};
use crate::policy::PolicyKind;

/// Deepest bracket/brace/parenthesis/template nesting accepted in a `.tf` file.
pub const MAX_NESTING: usize = 64;

/// Deepest chain of `local` references and nested documents followed.
const MAX_RESOLVE_DEPTH: usize = 16;

/// Deepest expression evaluated (the parser allows 64 levels).
const MAX_EVAL_DEPTH: usize = 96;

/// A `.tf` source with its line index.
struct Src {
    display: String,
    text: String,
    line_starts: Vec<usize>,
}

impl Src {
    fn new(display: String, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        Self { display, text, line_starts }
    }

    /// 1-based line and column of a byte offset.
    fn pos(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        (u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(col).unwrap_or(u32::MAX))
    }

    fn span_pos(&self, span: Option<std::ops::Range<usize>>) -> (u32, u32) {
        span.map_or((1, 1), |r| self.pos(r.start))
    }

    fn span_lines(&self, span: Option<std::ops::Range<usize>>) -> (u32, u32) {
        match span {
            Some(r) => (self.pos(r.start).0, self.pos(r.end.saturating_sub(1).max(r.start)).0),
            None => (1, u32::MAX),
        }
    }
}

/// Refuse text nested deeper than `limit` before the recursive parser sees it. Counts
/// brackets, braces, parentheses and template interpolations; skips strings and comments.
/// Returns the byte offset where the limit was crossed.
fn nesting_exceeds(text: &str, limit: usize) -> Option<usize> {
    #[derive(PartialEq)]
    enum F {
        Open,
        Str,
        Interp,
    }
    let b = text.as_bytes();
    let mut stack: Vec<F> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if stack.last() == Some(&F::Str) {
            match c {
                b'\\' => i += 1,
                b'"' => {
                    stack.pop();
                }
                b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                    stack.push(F::Interp);
                    i += 1;
                }
                b'\n' => {
                    // Quoted strings end at the line; do not let a stray quote swallow the file.
                    stack.pop();
                }
                _ => {}
            }
        } else {
            match c {
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    i += 2;
                    while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                        i += 1;
                    }
                    i += 1;
                }
                b'"' => stack.push(F::Str),
                b'{' | b'[' | b'(' => stack.push(F::Open),
                b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                    stack.push(F::Open);
                    i += 1;
                }
                b'}' | b']' | b')' => {
                    stack.pop();
                }
                _ => {}
            }
        }
        if stack.len() > limit {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Read and load the `.tf` files of one directory.
pub(crate) fn load_module(dir: &Path, files: &[(String, PathBuf, bool)], opts: &InputOptions, out: &mut Loaded) {
    let mut sources = Vec::new();
    for (display, path, walked) in files {
        match super::read_text(display, path, *walked, opts) {
            Ok(Some(text)) => sources.push((display.clone(), text)),
            Ok(None) => {}
            Err(e) => {
                out.inputs.push(display.clone());
                out.errors.push(e);
            }
        }
    }
    load_sources(dir, &sources, opts, out);
}

/// Load Terraform sources given as text, as one module in `dir` (for `file(...)` paths).
pub fn load_sources(dir: &Path, sources: &[(String, String)], opts: &InputOptions, out: &mut Loaded) {
    let mut parsed: Vec<(Src, Body)> = Vec::new();
    for (display, text) in sources {
        out.inputs.push(display.clone());
        let src = Src::new(display.clone(), text.clone());
        if let Some(off) = nesting_exceeds(text, MAX_NESTING) {
            let (line, column) = src.pos(off);
            let mut e =
                ToolError::new(display, "parse", format!("HCL nested deeper than {MAX_NESTING} levels; not parsed"));
            e.line = Some(line);
            e.column = Some(column);
            out.errors.push(e);
            continue;
        }
        match hcl::edit::parser::parse_body(text) {
            Ok(body) => parsed.push((src, body)),
            Err(err) => {
                let loc = err.location();
                let mut e =
                    ToolError::new(display, "parse", format!("malformed HCL: {}", err.message().replace('\n', " ")));
                e.line = Some(u32::try_from(loc.line()).unwrap_or(u32::MAX));
                e.column = Some(u32::try_from(loc.column()).unwrap_or(u32::MAX));
                out.errors.push(e);
            }
        }
    }
    if parsed.is_empty() {
        return;
    }
    let module = Module::new(dir, &parsed, opts);
    module.extract(out);
}

fn label(b: &Block, i: usize) -> Option<&str> {
    b.labels.get(i).map(hcl::edit::structure::BlockLabel::as_str)
}

fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a hcl::edit::structure::Attribute> {
    body.get_attribute(key)
}

/// Where a policy argument's value comes from.
enum Source {
    /// An evaluated literal (`jsonencode({...})`), the file it is written in, and the positions
    /// of its keys and elements there.
    Value(Value, usize, Vec<(String, (u32, u32))>),
    /// JSON text written in the `.tf` file; heredoc bodies start `Some(line_offset)` lines down.
    Text { text: String, heredoc_offset: Option<u32> },
    /// JSON text of another file (`file(...)`, `templatefile(...)`).
    File { display: String, text: String },
    /// An `aws_iam_policy_document` of this module.
    DataDoc(String),
    /// Not known in source.
    Unknown(String),
    /// The referenced file cannot be read.
    Error(ToolError),
}

/// A policy document built from a data source.
struct Built {
    statements: Vec<(Value, Vec<(String, (u32, u32))>)>,
    version: Option<Value>,
    id: Option<Value>,
    /// Lines of statements that depend on input values (dynamic blocks over variables).
    opaque: Vec<u32>,
}

/// A span of lines of one file that a document owns (for inline ignores).
type Range = (usize, u32, u32);

struct Module<'a> {
    dir: &'a Path,
    files: &'a [(Src, Body)],
    opts: &'a InputOptions,
    locals: HashMap<&'a str, (usize, &'a E)>,
    docs: Vec<(&'a str, usize, &'a Block)>,
}

impl<'a> Module<'a> {
    fn new(dir: &'a Path, files: &'a [(Src, Body)], opts: &'a InputOptions) -> Self {
        let mut locals = HashMap::new();
        let mut docs = Vec::new();
        for (fi, (_, body)) in files.iter().enumerate() {
            for b in body.blocks() {
                match b.ident.as_str() {
                    "locals" => {
                        for a in b.body.attributes() {
                            locals.insert(a.key.as_str(), (fi, &a.value));
                        }
                    }
                    "data" if label(b, 0) == Some("aws_iam_policy_document") => {
                        if let Some(name) = label(b, 1) {
                            docs.push((name, fi, b));
                        }
                    }
                    _ => {}
                }
            }
        }
        Self { dir, files, opts, locals, docs }
    }

    fn doc(&self, name: &str) -> Option<(usize, &'a Block)> {
        self.docs.iter().find(|(n, _, _)| *n == name).map(|(_, fi, b)| (*fi, *b))
    }

    // ---- expressions ------------------------------------------------------------------

    /// HCL text of an expression, for symbolic values and messages.
    fn text(e: &E) -> String {
        let s = hcl::Expression::from(e.clone()).to_string();
        let mut out = String::with_capacity(s.len());
        let mut last_space = false;
        for ch in s.chars() {
            if ch.is_whitespace() {
                if !last_space {
                    out.push(' ');
                }
                last_space = true;
            } else {
                out.push(ch);
                last_space = false;
            }
        }
        out.trim().to_string()
    }

    fn symbolic(e: &E) -> Value {
        Value::String(format!("${{{}}}", Self::text(e)))
    }

    /// `local.NAME` → NAME.
    fn local_name(e: &E) -> Option<&str> {
        let E::Traversal(t) = e else { return None };
        let E::Variable(v) = &t.expr else { return None };
        if v.as_str() != "local" || t.operators.len() != 1 {
            return None;
        }
        match t.operators[0].value() {
            Op::GetAttr(name) => Some(name.as_str()),
            _ => None,
        }
    }

    fn number(n: &hcl::Number) -> Value {
        if let Some(i) = n.as_i64() {
            Value::from(i)
        } else if let Some(u) = n.as_u64() {
            Value::from(u)
        } else {
            n.as_f64().and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number)
        }
    }

    /// Evaluate what can be known in source; everything else becomes a symbolic `${...}` string.
    fn eval(&self, e: &E, depth: usize) -> Value {
        if depth > MAX_EVAL_DEPTH {
            return Self::symbolic(e);
        }
        match e {
            E::Null(_) => Value::Null,
            E::Bool(b) => Value::Bool(*b.value()),
            E::Number(n) => Self::number(n.value()),
            E::String(s) => Value::String(s.value().clone()),
            E::Array(a) => Value::Array(a.iter().map(|x| self.eval(x, depth + 1)).collect()),
            E::Object(o) => {
                let mut m = Map::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(ke) => match self.eval(ke, depth + 1) {
                            Value::String(s) => s,
                            other => other.to_string(),
                        },
                    };
                    m.insert(key, self.eval(v.expr(), depth + 1));
                }
                Value::Object(m)
            }
            E::StringTemplate(t) => Value::String(self.template(t, depth)),
            E::HeredocTemplate(h) => Value::String(self.template(&h.template, depth)),
            E::Parenthesis(p) => self.eval(p.inner(), depth + 1),
            E::Traversal(_) => match Self::local_name(e).and_then(|n| self.locals.get(n)) {
                Some((_, local)) if depth < MAX_RESOLVE_DEPTH => self.eval(local, depth + 1),
                _ => Self::symbolic(e),
            },
            E::FuncCall(f) if f.name.namespace.is_empty() => {
                let args: Vec<&E> = f.args.iter().collect();
                match (f.name.name.as_str(), args.as_slice()) {
                    ("jsonencode", [a]) => {
                        let v = self.eval(a, depth + 1);
                        Value::String(serde_json::to_string(&v).unwrap_or_default())
                    }
                    ("tolist" | "toset" | "distinct" | "compact", [a]) => match self.eval(a, depth + 1) {
                        v @ Value::Array(_) => v,
                        _ => Self::symbolic(e),
                    },
                    ("tostring", [a]) => match self.eval(a, depth + 1) {
                        v @ Value::String(_) => v,
                        _ => Self::symbolic(e),
                    },
                    ("concat", _) if !f.args.expand_final() => {
                        let mut out = Vec::new();
                        for a in &args {
                            match self.eval(a, depth + 1) {
                                Value::Array(items) => out.extend(items),
                                _ => return Self::symbolic(e),
                            }
                        }
                        Value::Array(out)
                    }
                    ("merge", _) if !f.args.expand_final() => {
                        let mut out = Map::new();
                        for a in &args {
                            match self.eval(a, depth + 1) {
                                Value::Object(m) => out.extend(m),
                                _ => return Self::symbolic(e),
                            }
                        }
                        Value::Object(out)
                    }
                    _ => Self::symbolic(e),
                }
            }
            _ => Self::symbolic(e),
        }
    }

    /// A template as a string: literals as written, interpolations kept as `${...}` unless they
    /// are locals that evaluate to strings.
    fn template(&self, t: &Template, depth: usize) -> String {
        let mut s = String::new();
        for el in t.iter() {
            match el {
                Element::Literal(l) => s.push_str(l.value()),
                Element::Interpolation(i) => match Self::local_name(&i.expr).and_then(|n| self.locals.get(n)) {
                    Some((_, local)) if depth < MAX_RESOLVE_DEPTH => match self.eval(local, depth + 1) {
                        Value::String(v) => s.push_str(&v),
                        _ => {
                            s.push_str("${");
                            s.push_str(&Self::text(&i.expr));
                            s.push('}');
                        }
                    },
                    _ => {
                        s.push_str("${");
                        s.push_str(&Self::text(&i.expr));
                        s.push('}');
                    }
                },
                Element::Directive(_) => s.push_str("%{directive}"),
            }
        }
        s
    }

    /// Positions of the keys and elements of a literal object/array expression, by JSON pointer.
    fn literal_marks(&self, e: &E, fi: usize, ptr: &str, out: &mut Vec<(String, (u32, u32))>, depth: usize) {
        if depth > MAX_EVAL_DEPTH {
            return;
        }
        let src = &self.files[fi].0;
        match e {
            E::Object(o) => {
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(ke) => match self.eval(ke, depth + 1) {
                            Value::String(s) => s,
                            other => other.to_string(),
                        },
                    };
                    let p = format!("{ptr}/{}", common::jsonpos::escape_token(&key));
                    out.push((p.clone(), src.span_pos(v.expr().span())));
                    self.literal_marks(v.expr(), fi, &p, out, depth + 1);
                }
            }
            E::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    let p = format!("{ptr}/{i}");
                    out.push((p.clone(), src.span_pos(x.span())));
                    self.literal_marks(x, fi, &p, out, depth + 1);
                }
            }
            E::Parenthesis(p) => self.literal_marks(p.inner(), fi, ptr, out, depth + 1),
            _ => {}
        }
    }

    // ---- policy arguments -------------------------------------------------------------

    /// Where the value of a policy argument comes from.
    fn source(&self, e: &E, fi: usize, depth: usize) -> Source {
        if depth > MAX_RESOLVE_DEPTH {
            return Source::Unknown("the policy is built through too many references to follow".into());
        }
        match e {
            E::Parenthesis(p) => self.source(p.inner(), fi, depth + 1),
            E::FuncCall(f) if f.name.namespace.is_empty() => {
                let args: Vec<&E> = f.args.iter().collect();
                match (f.name.name.as_str(), args.as_slice()) {
                    ("jsonencode", [a]) => {
                        let mut marks = Vec::new();
                        self.literal_marks(a, fi, "", &mut marks, 0);
                        Source::Value(self.eval(a, depth + 1), fi, marks)
                    }
                    ("file" | "templatefile", [p, ..]) => self.file_source(p, fi, depth),
                    _ => Source::Unknown(format!("the policy is `{}`, computed by Terraform", Self::text(e))),
                }
            }
            E::String(s) => Source::Text { text: s.value().clone(), heredoc_offset: None },
            E::StringTemplate(t) => {
                let els: Vec<&Element> = t.iter().collect();
                if let [Element::Interpolation(i)] = els.as_slice() {
                    // "${data.aws_iam_policy_document.x.json}" (Terraform 0.11 style)
                    return self.source(&i.expr, fi, depth + 1);
                }
                Source::Text { text: self.template(t, depth), heredoc_offset: None }
            }
            E::HeredocTemplate(h) => {
                let line = self.files[fi].0.span_pos(h.span()).0;
                Source::Text { text: self.template(&h.template, depth), heredoc_offset: Some(line) }
            }
            E::Traversal(t) => {
                if let Some((lfi, local)) = Self::local_name(e).and_then(|n| self.locals.get(n)) {
                    return self.source(local, *lfi, depth + 1);
                }
                if let E::Variable(v) = &t.expr {
                    if v.as_str() == "data" {
                        let names: Vec<&str> = t
                            .operators
                            .iter()
                            .filter_map(|o| match o.value() {
                                Op::GetAttr(n) => Some(n.as_str()),
                                _ => None,
                            })
                            .collect();
                        if let ["aws_iam_policy_document", name, "json" | "minified_json"] = names.as_slice() {
                            return match self.doc(name) {
                                Some(_) => Source::DataDoc((*name).to_string()),
                                None => Source::Unknown(format!(
                                    "the policy is `{}`, a data source that is not in this directory",
                                    Self::text(e)
                                )),
                            };
                        }
                    }
                }
                Source::Unknown(format!("the policy is `{}`, known only in a plan", Self::text(e)))
            }
            _ => Source::Unknown(format!("the policy is `{}`, known only in a plan", Self::text(e))),
        }
    }

    fn file_source(&self, path: &E, fi: usize, depth: usize) -> Source {
        let Value::String(p) = self.eval(path, depth + 1) else {
            return Source::Unknown(format!("the policy file `{}` is not a literal path", Self::text(path)));
        };
        let dir = self.dir.display().to_string();
        let p = p.replace("${path.module}", &dir).replace("${path.root}", &dir).replace("${path.cwd}", ".");
        if p.contains("${") {
            return Source::Unknown(format!("the policy file `{p}` depends on values known only in a plan"));
        }
        let full =
            if Path::new(&p).is_absolute() || p.starts_with(&dir) { PathBuf::from(&p) } else { self.dir.join(&p) };
        let display = full.display().to_string();
        match super::read_text(&display, &full, false, self.opts) {
            Ok(Some(text)) => Source::File { display, text },
            Ok(None) => Source::Unknown(format!("the policy file `{display}` is binary")),
            Err(mut e) => {
                e.message = format!("{} (referenced from {})", e.message, self.files[fi].0.display);
                Source::Error(e)
            }
        }
    }

    // ---- aws_iam_policy_document --------------------------------------------------------

    fn build_doc(&self, fi: usize, block: &Block, depth: usize) -> Built {
        let src = &self.files[fi].0;
        let mut built = Built { statements: Vec::new(), version: None, id: None, opaque: Vec::new() };
        let mut source_sts = Vec::new();
        let mut override_sts = Vec::new();
        for st in block.body.iter() {
            match st {
                Structure::Attribute(a) => match a.key.as_str() {
                    "version" => built.version = Some(self.eval(&a.value, 0)),
                    "policy_id" => built.id = Some(self.eval(&a.value, 0)),
                    key @ ("source_policy_documents" | "override_policy_documents") => {
                        let pos = src.span_pos(a.span());
                        let items: Vec<&E> = match &a.value {
                            E::Array(arr) => arr.iter().collect(),
                            other => vec![other],
                        };
                        for item in items {
                            let sts = self.merged_statements(item, fi, pos, depth);
                            match sts {
                                Some(sts) if key == "source_policy_documents" => source_sts.extend(sts),
                                Some(sts) => override_sts.extend(sts),
                                None => built.opaque.push(pos.0),
                            }
                        }
                    }
                    _ => {}
                },
                Structure::Block(b) => match b.ident.as_str() {
                    "statement" => match self.statement(&b.body, fi, None) {
                        Some(s) => built.statements.push((s.0, with_header(s.1, src.span_pos(b.span())))),
                        None => built.opaque.push(src.span_pos(b.span()).0),
                    },
                    "dynamic" if label(b, 0) == Some("statement") => {
                        let line = src.span_pos(b.span()).0;
                        let iterator = iterator_name(b, "statement");
                        match b.body.blocks().find(|c| c.ident.as_str() == "content") {
                            Some(content) => match self.statement(&content.body, fi, Some(&iterator)) {
                                Some(s) => built.statements.push((s.0, with_header(s.1, src.span_pos(b.span())))),
                                None => built.opaque.push(line),
                            },
                            None => built.opaque.push(line),
                        }
                    }
                    _ => {}
                },
            }
        }
        // source documents first; own statements override same-Sid ones; override documents last.
        let mut merged: Vec<(Value, Vec<(String, (u32, u32))>)> = Vec::new();
        for s in source_sts.into_iter().chain(std::mem::take(&mut built.statements)).chain(override_sts) {
            let sid = s.0.get("Sid").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
            match sid.and_then(|sid| merged.iter().position(|m| m.0.get("Sid").and_then(Value::as_str) == Some(&sid))) {
                Some(i) => merged[i] = s,
                None => merged.push(s),
            }
        }
        built.statements = merged;
        built
    }

    /// Statements of a document named in `source_policy_documents`/`override_policy_documents`.
    fn merged_statements(
        &self,
        e: &E,
        fi: usize,
        pos: (u32, u32),
        depth: usize,
    ) -> Option<Vec<(Value, Vec<(String, (u32, u32))>)>> {
        let at = |v: Value| (v, vec![(String::new(), pos)]);
        match self.source(e, fi, depth + 1) {
            Source::DataDoc(n) if depth < MAX_RESOLVE_DEPTH => {
                let (dfi, b) = self.doc(&n)?;
                let inner = self.build_doc(dfi, b, depth + 1);
                if !inner.opaque.is_empty() {
                    return None;
                }
                Some(inner.statements.into_iter().map(|(v, _)| at(v)).collect())
            }
            Source::Value(v, _, _) => Some(statement_values(&v).into_iter().map(at).collect()),
            Source::Text { text, .. } => serde_json::from_str::<Value>(&quote_bare_interpolations(&text)?)
                .ok()
                .map(|v| statement_values(&v).into_iter().map(at).collect()),
            _ => None,
        }
    }

    /// One `statement` body as policy JSON plus marks relative to the statement. `None` when the
    /// statement depends on a `dynamic` iterator (its content comes from a variable).
    fn statement(&self, body: &Body, fi: usize, iterator: Option<&str>) -> Option<(Value, Vec<(String, (u32, u32))>)> {
        let src = &self.files[fi].0;
        let mut m = Map::new();
        let mut marks: Vec<(String, (u32, u32))> = Vec::new();
        for (key, json_key) in [
            ("sid", "Sid"),
            ("effect", "Effect"),
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            if let Some(a) = attr(body, key) {
                let v = self.eval(&a.value, 0);
                if !matches!(v, Value::Null) {
                    marks.push((format!("/{json_key}"), src.span_pos(a.span())));
                    m.insert(json_key.to_string(), v);
                }
            }
        }
        m.entry("Effect").or_insert_with(|| Value::String("Allow".into()));
        for (block_name, json_key) in [("principals", "Principal"), ("not_principals", "NotPrincipal")] {
            let mut by_type: Map<String, Value> = Map::new();
            let mut star = false;
            let mut seen = false;
            for (b, nested_iter, span) in Self::blocks_and_dynamic(body, block_name) {
                let Some(b) = b else { return None };
                let ty = attr(b, "type").map(|a| self.eval(&a.value, 0));
                let ids = attr(b, "identifiers").map(|a| self.eval(&a.value, 0));
                if depends_on(&ty, nested_iter.as_deref()) || depends_on(&ids, nested_iter.as_deref()) {
                    return None;
                }
                if !seen {
                    marks.push((format!("/{json_key}"), src.span_pos(span)));
                    seen = true;
                }
                let ty = match ty {
                    Some(Value::String(s)) => s,
                    Some(other) => other.to_string(),
                    None => "AWS".into(),
                };
                let ids: Vec<Value> = match ids {
                    Some(Value::Array(a)) => a,
                    Some(Value::Null) | None => Vec::new(),
                    Some(v) => vec![v],
                };
                if ty == "*" {
                    star = true;
                    continue;
                }
                let slot = by_type.entry(ty).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = slot {
                    a.extend(ids);
                }
            }
            if star && by_type.is_empty() {
                m.insert(json_key.to_string(), Value::String("*".into()));
            } else if star {
                by_type.insert("AWS".into(), Value::String("*".into()));
                m.insert(json_key.to_string(), Value::Object(by_type));
            } else if seen {
                m.insert(json_key.to_string(), Value::Object(by_type));
            }
        }
        let mut cond: Map<String, Value> = Map::new();
        for (b, nested_iter, span) in Self::blocks_and_dynamic(body, "condition") {
            let Some(b) = b else { return None };
            let test = attr(b, "test").map(|a| self.eval(&a.value, 0));
            let var = attr(b, "variable").map(|a| self.eval(&a.value, 0));
            let vals = attr(b, "values").map(|a| self.eval(&a.value, 0));
            if [&test, &var, &vals].iter().any(|v| depends_on(v, nested_iter.as_deref())) {
                return None;
            }
            let as_key = |v: Option<Value>| match v {
                Some(Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let (test, var) = (as_key(test), as_key(var));
            let pos = src.span_pos(span);
            if cond.is_empty() {
                marks.push(("/Condition".into(), pos));
            }
            marks.push((
                format!("/Condition/{}/{}", common::jsonpos::escape_token(&test), common::jsonpos::escape_token(&var)),
                pos,
            ));
            let vals: Vec<Value> = match vals {
                Some(Value::Array(a)) => a,
                Some(Value::Null) | None => Vec::new(),
                Some(v) => vec![v],
            };
            let op = cond.entry(test).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(op) = op {
                match op.get_mut(&var) {
                    Some(Value::Array(existing)) => existing.extend(vals),
                    _ => {
                        op.insert(var, Value::Array(vals));
                    }
                }
            }
        }
        if !cond.is_empty() {
            m.insert("Condition".into(), Value::Object(cond));
        }
        let v = Value::Object(m);
        if depends_on(&Some(v.clone()), iterator) {
            return None;
        }
        Some((v, marks))
    }

    /// Blocks named `name` and the content of `dynamic "name"` blocks, each with the dynamic
    /// block's iterator name. `None` for a dynamic block without content.
    fn blocks_and_dynamic<'b>(
        body: &'b Body,
        name: &str,
    ) -> Vec<(Option<&'b Body>, Option<String>, Option<std::ops::Range<usize>>)> {
        let mut out = Vec::new();
        for b in body.blocks() {
            if b.ident.as_str() == name {
                out.push((Some(&b.body), None, b.span()));
            } else if b.ident.as_str() == "dynamic" && label(b, 0) == Some(name) {
                let it = iterator_name(b, name);
                out.push((
                    b.body.blocks().find(|c| c.ident.as_str() == "content").map(|c| &c.body),
                    Some(it),
                    b.span(),
                ));
            }
        }
        out
    }

    // ---- extraction -----------------------------------------------------------------------

    fn extract(&self, out: &mut Loaded) {
        // Users of each data document: (kind, range of the using block).
        let mut users: HashMap<&str, Vec<(PolicyKind, Range)>> = HashMap::new();
        let mut docs: Vec<(Document, Vec<Range>)> = Vec::new();
        let mut errors: Vec<ToolError> = Vec::new();
        for (fi, (src, body)) in self.files.iter().enumerate() {
            for b in body.blocks() {
                if b.ident.as_str() != "resource" {
                    continue;
                }
                let (Some(ty), Some(name)) = (label(b, 0), label(b, 1)) else { continue };
                let (start, end) = src.span_lines(b.span());
                let range = (fi, start, end);
                let address = format!("{ty}.{name}");
                let mut args: Vec<(&hcl::edit::structure::Attribute, String, PolicyKind)> = Vec::new();
                for (t, attr_name, kind) in super::plan::POLICY_ATTRIBUTES {
                    if *t != ty {
                        continue;
                    }
                    let kind = if ty == "aws_organizations_policy" {
                        if is_non_iam_org_policy(&b.body, self) {
                            continue;
                        }
                        if org_type(&b.body, self).as_deref() == Some("RESOURCE_CONTROL_POLICY") {
                            PolicyKind::Resource
                        } else {
                            PolicyKind::Scp
                        }
                    } else {
                        *kind
                    };
                    if let Some(a) = attr(&b.body, attr_name) {
                        args.push((a, address.clone(), kind));
                    }
                }
                if ty == "aws_iam_role" {
                    for (i, ib) in b.body.blocks().filter(|x| x.ident.as_str() == "inline_policy").enumerate() {
                        if let Some(a) = attr(&ib.body, "policy") {
                            args.push((a, format!("{address}.inline_policy[{i}]"), PolicyKind::Identity));
                        }
                    }
                }
                for (a, addr, kind) in args {
                    let kind = self.opts.policy_type.unwrap_or(kind);
                    let pos = src.span_pos(a.span());
                    let mk = |content: Content, file: &str| Document {
                        file: file.to_string(),
                        address: Some(addr.clone()),
                        kind,
                        content,
                        inline_ignores: Vec::new(),
                    };
                    match self.source(&a.value, fi, 0) {
                        Source::DataDoc(n) => {
                            let key = self.docs.iter().find(|(d, _, _)| *d == n).map_or("", |(d, _, _)| *d);
                            users.entry(key).or_default().push((kind, range));
                        }
                        Source::Value(v, vfi, marks) => {
                            if v.is_object() {
                                // Positions of the literal's keys when it is written in this file.
                                let marks = if vfi == fi { marks } else { Vec::new() };
                                let locator = Locator::marks(pos, marks);
                                docs.push((mk(Content::Policy { value: v, locator }, &src.display), vec![range]));
                            } else {
                                let reason =
                                    format!("`{}` of {addr} is not a literal object in source", a.key.as_str());
                                docs.push((
                                    mk(Content::Unknown { reason, line: Some(pos.0) }, &src.display),
                                    vec![range],
                                ));
                            }
                        }
                        Source::Text { text, heredoc_offset } => {
                            let what = format!("`{}` of {addr}", a.key.as_str());
                            match parse_json_text(&text, &what) {
                                Ok(Some(v)) => {
                                    let locator = match heredoc_offset {
                                        Some(off) => Locator::embedded_json(
                                            &quote_bare_interpolations(&text).unwrap_or_default(),
                                            off,
                                        ),
                                        None => Locator::line(pos.0),
                                    };
                                    docs.push((mk(Content::Policy { value: v, locator }, &src.display), vec![range]));
                                }
                                Ok(None) => {
                                    let reason =
                                        format!("{what} is a template with directives, rendered only by Terraform");
                                    docs.push((
                                        mk(Content::Unknown { reason, line: Some(pos.0) }, &src.display),
                                        vec![range],
                                    ));
                                }
                                Err(e) => {
                                    let mut te = super::json_error(&format!("{} ({addr})", src.display), &e, 0);
                                    te.message = format!("{what}: {}", te.message);
                                    match heredoc_offset {
                                        Some(off) => te.line = te.line.map(|l| l.saturating_add(off)),
                                        None => {
                                            te.line = Some(pos.0);
                                            te.column = None;
                                        }
                                    }
                                    errors.push(te);
                                }
                            }
                        }
                        Source::File { display, text } => {
                            if !out.inputs.contains(&display) {
                                out.inputs.push(display.clone());
                            }
                            match parse_json_text(&text, &display) {
                                Ok(Some(v)) => {
                                    let locator = Locator::json(&text);
                                    docs.push((mk(Content::Policy { value: v, locator }, &display), vec![range]));
                                }
                                Ok(None) => {
                                    let reason =
                                        format!("{display} is a template with directives, rendered only by Terraform");
                                    docs.push((
                                        mk(Content::Unknown { reason, line: Some(pos.0) }, &src.display),
                                        vec![range],
                                    ));
                                }
                                Err(e) => errors.push(super::json_error(&display, &e, 0)),
                            }
                        }
                        Source::Unknown(reason) => {
                            let reason = format!("`{}` of {addr}: {reason}", a.key.as_str());
                            docs.push((mk(Content::Unknown { reason, line: Some(pos.0) }, &src.display), vec![range]));
                        }
                        Source::Error(e) => errors.push(e),
                    }
                }
            }
        }
        for (name, fi, block) in &self.docs {
            let src = &self.files[*fi].0;
            let (start, end) = src.span_lines(block.span());
            let mut ranges = vec![(*fi, start, end)];
            let used = users.get(name).cloned().unwrap_or_default();
            ranges.extend(used.iter().map(|(_, r)| *r));
            let built = self.build_doc(*fi, block, 0);
            let address = format!("data.aws_iam_policy_document.{name}");
            let header = src.span_pos(block.span());
            if !built.statements.is_empty() {
                let mut value = Map::new();
                value.insert(
                    "Version".into(),
                    built.version.clone().unwrap_or_else(|| Value::String("2012-10-17".into())),
                );
                if let Some(id) = &built.id {
                    value.insert("Id".into(), id.clone());
                }
                let mut marks = Vec::new();
                let mut sts = Vec::new();
                for (i, (s, ms)) in built.statements.into_iter().enumerate() {
                    for (p, pos) in ms {
                        marks.push((format!("/Statement/{i}{p}"), pos));
                    }
                    sts.push(s);
                }
                value.insert("Statement".into(), Value::Array(sts));
                let value = Value::Object(value);
                let kind = self
                    .opts
                    .policy_type
                    .or_else(|| used.first().map(|(k, _)| *k))
                    .unwrap_or_else(|| super::detect_kind(&value));
                docs.push((
                    Document {
                        file: src.display.clone(),
                        address: Some(address.clone()),
                        kind,
                        content: Content::Policy { value, locator: Locator::marks(header, marks) },
                        inline_ignores: Vec::new(),
                    },
                    ranges.clone(),
                ));
            }
            if let Some(first) = built.opaque.first() {
                let kind =
                    self.opts.policy_type.or_else(|| used.first().map(|(k, _)| *k)).unwrap_or(PolicyKind::Identity);
                let n = built.opaque.len();
                let reason = format!(
                    "{n} statement{} of {address} {} built from input values (`dynamic` blocks or referenced documents); \
                     lint the plan (`terraform show -json`) to check {}",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "is" } else { "are" },
                    if n == 1 { "it" } else { "them" },
                );
                docs.push((
                    Document {
                        file: src.display.clone(),
                        address: Some(address),
                        kind,
                        content: Content::Unknown { reason, line: Some(*first) },
                        inline_ignores: Vec::new(),
                    },
                    ranges,
                ));
            }
        }
        self.attach_ignores(&mut docs);
        out.errors.extend(errors);
        out.documents.extend(docs.into_iter().map(|(d, _)| d));
    }

    fn attach_ignores(&self, docs: &mut [(Document, Vec<Range>)]) {
        for (fi, (src, _)) in self.files.iter().enumerate() {
            for (ig, target) in inline_ignores(&src.text) {
                let mut hit = false;
                for (doc, ranges) in docs.iter_mut() {
                    if ranges.iter().any(|(f, s, e)| *f == fi && (*s..=*e).contains(&target)) {
                        doc.inline_ignores.push(ig.clone());
                        hit = true;
                    }
                }
                if !hit {
                    tracing::warn!(message = "Inline ignore applies to no policy.", file = %src.display, line = ig.line);
                }
            }
        }
    }
}

fn org_type(body: &Body, m: &Module<'_>) -> Option<String> {
    attr(body, "type").and_then(|a| m.eval(&a.value, 0).as_str().map(str::to_string))
}

/// `aws_organizations_policy` of a type that is not IAM policy language (tag, backup…).
fn is_non_iam_org_policy(body: &Body, m: &Module<'_>) -> bool {
    org_type(body, m)
        .is_some_and(|t| !t.starts_with("${") && t != "SERVICE_CONTROL_POLICY" && t != "RESOURCE_CONTROL_POLICY")
}

/// The iterator of a `dynamic` block (`iterator = x`, default: the block's label).
fn iterator_name(b: &Block, default: &str) -> String {
    match attr(&b.body, "iterator").map(|a| &a.value) {
        Some(E::Variable(v)) => v.as_str().to_string(),
        _ => default.to_string(),
    }
}

/// Does an evaluated value use a dynamic block's iterator (`it.value`, `it.key`)?
fn depends_on(v: &Option<Value>, iterator: Option<&str>) -> bool {
    let (Some(v), Some(it)) = (v, iterator) else { return false };
    let s = v.to_string();
    s.contains(&format!("{it}.value")) || s.contains(&format!("{it}.key")) || s.contains(&format!("{it}["))
}

/// Add the statement header position as the mark of the statement itself.
fn with_header(mut marks: Vec<(String, (u32, u32))>, header: (u32, u32)) -> Vec<(String, (u32, u32))> {
    marks.insert(0, (String::new(), header));
    marks
}

fn statement_values(v: &Value) -> Vec<Value> {
    match v.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => Vec::new(),
    }
}

/// JSON text written in Terraform: `Ok(None)` for templates with directives (`%{ for }`).
fn parse_json_text(text: &str, _what: &str) -> Result<Option<Value>, serde_json::Error> {
    match quote_bare_interpolations(text) {
        Some(t) => serde_json::from_str(&t).map(Some),
        None => Ok(None),
    }
}

/// Interpolations outside JSON strings (`"Resource": ${jsonencode(var.arns)}`) become JSON
/// strings so the text parses; interpolations inside strings stay as written. `None` when the
/// text has template directives (`%{...}`), which only Terraform can render.
fn quote_bare_interpolations(text: &str) -> Option<String> {
    if text.contains("%{") {
        return None;
    }
    if !text.contains("${") {
        return Some(text.to_string());
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_str = false;
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'$' if !in_str && b.get(i + 1) == Some(&b'{') => {
                // find the matching close brace
                let mut depth = 0usize;
                let mut j = i + 1;
                let mut quoted = false;
                while j < b.len() {
                    match b[j] {
                        b'\\' if quoted => j += 1,
                        b'"' => quoted = !quoted,
                        b'{' if !quoted => depth += 1,
                        b'}' if !quoted => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                let end = (j + 1).min(b.len());
                out.push_str(&text[last..i]);
                out.push_str(&serde_json::to_string(&text[i..end]).unwrap_or_default());
                last = end;
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// `policy-lint:ignore` comments of a file: each with the line it targets (its own line for a
/// trailing comment, else the next line with code).
fn inline_ignores(text: &str) -> Vec<(InlineIgnore, u32)> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static REASON: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"(#|//)\s*policy-lint:ignore\s+([A-Za-z0-9_,\-]+)(.*)$").expect("invariant: static regex")
    });
    let reason_re =
        REASON.get_or_init(|| regex::Regex::new(r#"reason\s*=\s*"([^"]*)""#).expect("invariant: static regex"));
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.contains("policy-lint:ignore") {
            continue;
        }
        let Some(c) = re.captures(line) else { continue };
        let start = c.get(0).map_or(0, |m| m.start());
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trailing = !line[..start].trim().is_empty();
        let target = if trailing {
            line_no
        } else {
            let mut j = i + 1;
            while j < lines.len() {
                let t = lines[j].trim();
                if !(t.is_empty() || t.starts_with('#') || t.starts_with("//")) {
                    break;
                }
                j += 1;
            }
            u32::try_from(j + 1).unwrap_or(u32::MAX)
        };
        let reason =
            c.get(3).and_then(|r| reason_re.captures(r.as_str())).and_then(|r| r.get(1)).map_or("", |m| m.as_str());
        for rule in c[2].split(',').filter(|r| !r.is_empty()) {
            out.push((InlineIgnore { rule: rule.to_string(), reason: reason.to_string(), line: line_no }, target));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_one(text: &str) -> Loaded {
        let mut out = Loaded::default();
        load_sources(Path::new("."), &[("main.tf".into(), text.into())], &InputOptions::default(), &mut out);
        out
    }

    #[test]
    fn nesting_prescan() {
        assert!(nesting_exceeds("a = [[[1]]]", 3).is_none());
        assert_eq!(nesting_exceeds("a = [[[[1]]]]", 3), Some(7));
        // strings and comments do not count
        assert!(nesting_exceeds("a = \"[[[[[[\" # ((((((\n", 3).is_none());
        // interpolations inside strings count
        assert!(nesting_exceeds("a = \"${[[[1]]]}\"", 3).is_some());
        let deep = format!("a = {}1{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(nesting_exceeds(&deep, MAX_NESTING).is_some());
    }

    #[test]
    fn quotes_bare_interpolations() {
        assert_eq!(
            quote_bare_interpolations(r#"{"R": ${jsonencode(var.x)}, "S": "a${var.y}"}"#).unwrap(),
            r#"{"R": "${jsonencode(var.x)}", "S": "a${var.y}"}"#
        );
        assert!(quote_bare_interpolations("%{ for x in y }").is_none());
    }

    #[test]
    fn ignores_target_next_code_line() {
        let t = "# policy-lint:ignore PL101 reason=\"ok\"\n\n# more\nresource \"x\" \"y\" {\n  a = 1 // policy-lint:ignore PL102,wildcard-action\n}";
        let ig = inline_ignores(t);
        assert_eq!(ig.len(), 3);
        assert_eq!(ig[0], (InlineIgnore { rule: "PL101".into(), reason: "ok".into(), line: 1 }, 4));
        assert_eq!(ig[1], (InlineIgnore { rule: "PL102".into(), reason: String::new(), line: 5 }, 5));
        assert_eq!(ig[2].0.rule, "wildcard-action");
    }

    #[test]
    fn template_literals_keep_interpolations() {
        let out = load_one(
            r#"
locals { bucket = "arn:aws:s3:::${var.name}" }
resource "aws_iam_policy" "p" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "${local.bucket}/*", Sid = "A\"b" }]
  })
}
"#,
        );
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let Content::Policy { value, .. } = &out.documents[0].content else { panic!() };
        assert_eq!(value["Statement"][0]["Resource"], "arn:aws:s3:::${var.name}/*");
        assert_eq!(value["Statement"][0]["Sid"], "A\"b");
    }
}
