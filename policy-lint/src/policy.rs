//! The IAM policy model: a JSON document parsed into statements whose every element keeps
//! its JSON pointer, so findings point at the exact `Action`, `Resource` or `Condition` entry.
//!
//! Parsing is strict about types (AWS rejects a number where a string belongs) and lenient
//! about what is analysed later (unknown actions, odd ARNs are findings, not parse errors).

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

/// What kind of policy a document is. Decides which checks apply and what `Resource: "*"`
/// means (in a bucket or key policy it means "this resource").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    /// Attached to a user, group or role.
    Identity,
    /// A role's trust (assume-role) policy.
    Trust,
    /// An AWS Organizations service control policy.
    Scp,
    /// S3 bucket policy.
    Bucket,
    /// KMS key policy.
    Key,
    /// SQS queue policy.
    Queue,
    /// SNS topic policy.
    Topic,
    /// Another resource-based policy.
    Resource,
}

impl PolicyKind {
    /// All kinds, for `--help` and errors.
    pub const ALL: [PolicyKind; 8] = [
        PolicyKind::Identity,
        PolicyKind::Trust,
        PolicyKind::Scp,
        PolicyKind::Bucket,
        PolicyKind::Key,
        PolicyKind::Queue,
        PolicyKind::Topic,
        PolicyKind::Resource,
    ];

    /// Lower-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity",
            PolicyKind::Trust => "trust",
            PolicyKind::Scp => "scp",
            PolicyKind::Bucket => "bucket",
            PolicyKind::Key => "key",
            PolicyKind::Queue => "queue",
            PolicyKind::Topic => "topic",
            PolicyKind::Resource => "resource",
        }
    }

    /// Resource-based policies have a `Principal` and `*` resources mean the attached resource.
    #[must_use]
    pub fn is_resource_policy(self) -> bool {
        matches!(
            self,
            PolicyKind::Bucket | PolicyKind::Key | PolicyKind::Queue | PolicyKind::Topic | PolicyKind::Resource
        )
    }

    /// Policies whose statements carry a `Principal`.
    #[must_use]
    pub fn has_principals(self) -> bool {
        self.is_resource_policy() || self == PolicyKind::Trust
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PolicyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "identity" => Ok(Self::Identity),
            "trust" | "assume-role" => Ok(Self::Trust),
            "scp" => Ok(Self::Scp),
            "bucket" | "s3" => Ok(Self::Bucket),
            "key" | "kms" => Ok(Self::Key),
            "queue" | "sqs" => Ok(Self::Queue),
            "topic" | "sns" => Ok(Self::Topic),
            "resource" => Ok(Self::Resource),
            other => Err(format!(
                "unknown policy type `{other}` (expected one of: identity, trust, scp, bucket, key, queue, topic, resource)"
            )),
        }
    }
}

/// A value with the JSON pointer it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Its JSON pointer in the document.
    pub pointer: String,
}

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Denies; always wins.
    Deny,
}

/// `Action`/`NotAction`, `Resource`/`NotResource`: a list of strings, possibly negated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// `true` for `NotAction` / `NotResource` / `NotPrincipal`.
    pub negated: bool,
    /// Pointer of the element's value (`/Statement/0/Action`).
    pub pointer: String,
    /// The entries (a single string is one entry at the same pointer).
    pub items: Vec<Spanned<String>>,
}

impl Block {
    /// Does the block contain the literal `*`?
    #[must_use]
    pub fn has_star(&self) -> bool {
        self.items.iter().any(|i| i.value == "*")
    }
}

/// Kind of principal in a `Principal` element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrincipalType {
    /// `"AWS": ...` — accounts, users, roles, or `*`.
    Aws,
    /// `"Service": ...` — AWS service principals.
    Service,
    /// `"Federated": ...` — SAML / OIDC providers.
    Federated,
    /// `"CanonicalUser": ...` — S3 canonical ids.
    CanonicalUser,
}

/// One principal entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalEntry {
    /// Which key it was under.
    pub kind: PrincipalType,
    /// The value (`arn:aws:iam::123456789012:root`, `123456789012`, `*`, `ec2.amazonaws.com`).
    pub value: String,
    /// Its pointer.
    pub pointer: String,
}

/// `Principal` or `NotPrincipal`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principals {
    /// `true` for `NotPrincipal`.
    pub negated: bool,
    /// Pointer of the element's value.
    pub pointer: String,
    /// `"Principal": "*"` (everyone, including anonymous).
    pub star: bool,
    /// The typed entries (`{"AWS": "*"}` gives an `Aws` entry `*`, which AWS treats like `*`).
    pub entries: Vec<PrincipalEntry>,
}

impl Principals {
    /// Everyone: `"*"` or `{"AWS": "*"}`.
    #[must_use]
    pub fn is_public(&self) -> bool {
        self.star || self.entries.iter().any(|e| e.kind == PrincipalType::Aws && e.value == "*")
    }
}

/// `ForAllValues:` / `ForAnyValue:` set qualifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetQualifier {
    /// Every value in the request must match.
    ForAllValues,
    /// At least one value in the request must match.
    ForAnyValue,
}

/// One condition: operator, key and values (`"StringEquals": {"aws:SourceAccount": "1"}`).
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// Operator as written (`ForAnyValue:StringLikeIfExists`).
    pub operator: String,
    /// Base operator without qualifier and `IfExists` (`StringLike`).
    pub base: String,
    /// Set qualifier, if any.
    pub qualifier: Option<SetQualifier>,
    /// `IfExists` suffix present.
    pub if_exists: bool,
    /// Pointer of the operator's object (`/Statement/0/Condition/StringEquals`).
    pub operator_pointer: String,
    /// Condition key as written (`aws:SourceAccount`).
    pub key: String,
    /// Pointer of the key's value.
    pub pointer: String,
    /// The values, each with its raw JSON (string, bool or number) and pointer.
    pub values: Vec<Spanned<Value>>,
}

impl Condition {
    /// Values rendered as strings (booleans and numbers as their JSON text).
    #[must_use]
    pub fn strings(&self) -> Vec<String> {
        self.values
            .iter()
            .map(|v| match &v.value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    }

    /// Lower-cased key, for comparisons (condition keys are case-insensitive).
    #[must_use]
    pub fn key_lower(&self) -> String {
        self.key.to_ascii_lowercase()
    }
}

/// One statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// Index in the `Statement` array (0 for a single statement object).
    pub index: usize,
    /// Pointer of the statement (`/Statement/0`, or `/Statement` when not an array).
    pub pointer: String,
    /// `Sid`, if any.
    pub sid: Option<Spanned<String>>,
    /// `Effect`.
    pub effect: Effect,
    /// Pointer of `Effect`.
    pub effect_pointer: String,
    /// `Action` or `NotAction` (absent only in malformed documents, which fail to parse).
    pub action: Block,
    /// `Resource` or `NotResource`; absent in trust policies.
    pub resource: Option<Block>,
    /// `Principal` or `NotPrincipal`, if any.
    pub principal: Option<Principals>,
    /// Conditions, flattened.
    pub conditions: Vec<Condition>,
    /// Pointer of the `Condition` element, if present.
    pub condition_pointer: Option<String>,
}

impl Statement {
    /// Is this an `Allow`?
    #[must_use]
    pub fn is_allow(&self) -> bool {
        self.effect == Effect::Allow
    }

    /// Conditions on a key (case-insensitive).
    pub fn conditions_on<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Condition> + 'a {
        self.conditions.iter().filter(move |c| c.key.eq_ignore_ascii_case(key))
    }

    /// A short name for messages: `Sid "X"` or `statement 2`.
    #[must_use]
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) if !s.value.is_empty() => format!("statement \"{}\"", s.value),
            _ => format!("statement {}", self.index),
        }
    }
}

/// A parsed policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// What kind of policy it is.
    pub kind: PolicyKind,
    /// `Version`, if present.
    pub version: Option<Spanned<String>>,
    /// `Id`, if present.
    pub id: Option<String>,
    /// The statements.
    pub statements: Vec<Statement>,
}

/// Why a document is not a valid IAM policy (wrong types, missing elements). Names the pointer,
/// never echoes values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct PolicyError {
    /// Where.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

fn err(pointer: &str, message: impl Into<String>) -> PolicyError {
    PolicyError { pointer: if pointer.is_empty() { "/".into() } else { pointer.into() }, message: message.into() }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn esc(k: &str) -> String {
    common::jsonpos::escape_token(k)
}

/// Parse a policy document.
pub fn parse(doc: &Value, kind: PolicyKind) -> Result<Policy, PolicyError> {
    let obj =
        doc.as_object().ok_or_else(|| err("", format!("a policy must be a JSON object, found {}", type_name(doc))))?;
    for k in obj.keys() {
        if !matches!(k.as_str(), "Version" | "Id" | "Statement") {
            return Err(err(
                &format!("/{}", esc(k)),
                format!("unknown policy element `{k}` (expected Version, Id, Statement)"),
            ));
        }
    }
    let version = match obj.get("Version") {
        None => None,
        Some(Value::String(s)) => Some(Spanned { value: s.clone(), pointer: "/Version".into() }),
        Some(v) => return Err(err("/Version", format!("`Version` must be a string, found {}", type_name(v)))),
    };
    let id = match obj.get("Id") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => return Err(err("/Id", format!("`Id` must be a string, found {}", type_name(v)))),
    };
    let statements = match obj.get("Statement") {
        None => return Err(err("", "missing `Statement`")),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, s)| parse_statement(s, i, format!("/Statement/{i}"), kind))
            .collect::<Result<Vec<_>, _>>()?,
        Some(s @ Value::Object(_)) => vec![parse_statement(s, 0, "/Statement".into(), kind)?],
        Some(v) => {
            return Err(err("/Statement", format!("`Statement` must be an object or an array, found {}", type_name(v))))
        }
    };
    Ok(Policy { kind, version, id, statements })
}

fn strings(v: &Value, pointer: &str, what: &str) -> Result<Vec<Spanned<String>>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![Spanned { value: s.clone(), pointer: pointer.to_string() }]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, it)| match it {
                Value::String(s) => Ok(Spanned { value: s.clone(), pointer: format!("{pointer}/{i}") }),
                other => Err(err(
                    &format!("{pointer}/{i}"),
                    format!("`{what}` entries must be strings, found {}", type_name(other)),
                )),
            })
            .collect(),
        other => {
            Err(err(pointer, format!("`{what}` must be a string or an array of strings, found {}", type_name(other))))
        }
    }
}

fn block(obj: &Map<String, Value>, base: &str, pos: &str, neg: &str) -> Result<Option<Block>, PolicyError> {
    match (obj.get(pos), obj.get(neg)) {
        (Some(_), Some(_)) => Err(err(base, format!("a statement cannot have both `{pos}` and `{neg}`"))),
        (Some(v), None) => {
            let p = format!("{base}/{pos}");
            Ok(Some(Block { negated: false, items: strings(v, &p, pos)?, pointer: p }))
        }
        (None, Some(v)) => {
            let p = format!("{base}/{neg}");
            Ok(Some(Block { negated: true, items: strings(v, &p, neg)?, pointer: p }))
        }
        (None, None) => Ok(None),
    }
}

fn principals(obj: &Map<String, Value>, base: &str) -> Result<Option<Principals>, PolicyError> {
    let (negated, key, v) = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(_), Some(_)) => return Err(err(base, "a statement cannot have both `Principal` and `NotPrincipal`")),
        (Some(v), None) => (false, "Principal", v),
        (None, Some(v)) => (true, "NotPrincipal", v),
        (None, None) => return Ok(None),
    };
    let pointer = format!("{base}/{key}");
    match v {
        Value::String(s) if s == "*" => Ok(Some(Principals { negated, pointer, star: true, entries: vec![] })),
        Value::String(_) => Err(err(&pointer, format!("`{key}` as a string must be \"*\"; use {{\"AWS\": ...}}"))),
        Value::Object(m) => {
            let mut entries = Vec::new();
            for (k, vals) in m {
                let kind = match k.as_str() {
                    "AWS" => PrincipalType::Aws,
                    "Service" => PrincipalType::Service,
                    "Federated" => PrincipalType::Federated,
                    "CanonicalUser" => PrincipalType::CanonicalUser,
                    _ => {
                        return Err(err(
                            &format!("{pointer}/{}", esc(k)),
                            format!("unknown principal type `{k}` (expected AWS, Service, Federated, CanonicalUser)"),
                        ))
                    }
                };
                for s in strings(vals, &format!("{pointer}/{}", esc(k)), key)? {
                    entries.push(PrincipalEntry { kind, value: s.value, pointer: s.pointer });
                }
            }
            Ok(Some(Principals { negated, pointer, star: false, entries }))
        }
        other => Err(err(&pointer, format!("`{key}` must be \"*\" or an object, found {}", type_name(other)))),
    }
}

fn conditions(obj: &Map<String, Value>, base: &str) -> Result<(Vec<Condition>, Option<String>), PolicyError> {
    let Some(v) = obj.get("Condition") else { return Ok((vec![], None)) };
    let cp = format!("{base}/Condition");
    let m = v.as_object().ok_or_else(|| err(&cp, format!("`Condition` must be an object, found {}", type_name(v))))?;
    let mut out = Vec::new();
    for (op, keys) in m {
        let op_ptr = format!("{cp}/{}", esc(op));
        let km = keys.as_object().ok_or_else(|| {
            err(&op_ptr, format!("condition operator `{op}` must map to an object of keys, found {}", type_name(keys)))
        })?;
        let (qualifier, rest) = if let Some(r) = op.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else if let Some(r) = op.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else {
            (None, op.as_str())
        };
        let (base_op, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) if !b.is_empty() => (b.to_string(), true),
            _ => (rest.to_string(), false),
        };
        for (key, vals) in km {
            let ptr = format!("{op_ptr}/{}", esc(key));
            let values = match vals {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, it)| match it {
                        Value::String(_) | Value::Bool(_) | Value::Number(_) => {
                            Ok(Spanned { value: it.clone(), pointer: format!("{ptr}/{i}") })
                        }
                        other => Err(err(
                            &format!("{ptr}/{i}"),
                            format!(
                                "condition values must be strings, booleans or numbers, found {}",
                                type_name(other)
                            ),
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                Value::String(_) | Value::Bool(_) | Value::Number(_) => {
                    vec![Spanned { value: vals.clone(), pointer: ptr.clone() }]
                }
                other => {
                    return Err(err(
                        &ptr,
                        format!("condition values must be strings, booleans or numbers, found {}", type_name(other)),
                    ))
                }
            };
            out.push(Condition {
                operator: op.clone(),
                base: base_op.clone(),
                qualifier,
                if_exists,
                operator_pointer: op_ptr.clone(),
                key: key.clone(),
                pointer: ptr,
                values,
            });
        }
    }
    Ok((out, Some(cp)))
}

fn parse_statement(v: &Value, index: usize, pointer: String, kind: PolicyKind) -> Result<Statement, PolicyError> {
    let obj =
        v.as_object().ok_or_else(|| err(&pointer, format!("a statement must be an object, found {}", type_name(v))))?;
    for k in obj.keys() {
        if !matches!(
            k.as_str(),
            "Sid"
                | "Effect"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Principal"
                | "NotPrincipal"
                | "Condition"
        ) {
            return Err(err(&format!("{pointer}/{}", esc(k)), format!("unknown statement element `{k}`")));
        }
    }
    let sid = match obj.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(Spanned { value: s.clone(), pointer: format!("{pointer}/Sid") }),
        Some(o) => {
            return Err(err(&format!("{pointer}/Sid"), format!("`Sid` must be a string, found {}", type_name(o))))
        }
    };
    let effect_pointer = format!("{pointer}/Effect");
    let effect = match obj.get("Effect") {
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(Value::String(_)) => {
            return Err(err(&effect_pointer, "`Effect` must be \"Allow\" or \"Deny\" (case-sensitive)"))
        }
        Some(o) => return Err(err(&effect_pointer, format!("`Effect` must be a string, found {}", type_name(o)))),
        None => return Err(err(&pointer, "missing `Effect`")),
    };
    let action =
        block(obj, &pointer, "Action", "NotAction")?.ok_or_else(|| err(&pointer, "missing `Action` or `NotAction`"))?;
    let resource = block(obj, &pointer, "Resource", "NotResource")?;
    if resource.is_none() && kind != PolicyKind::Trust {
        return Err(err(&pointer, "missing `Resource` or `NotResource`"));
    }
    let principal = principals(obj, &pointer)?;
    let (conditions, condition_pointer) = conditions(obj, &pointer)?;
    Ok(Statement {
        index,
        pointer,
        sid,
        effect,
        effect_pointer,
        action,
        resource,
        principal,
        conditions,
        condition_pointer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_pointers_everywhere() {
        let doc = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject", "s3:Put*"], "Resource": "arn:aws:s3:::b/*",
             "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:PrincipalOrgID": ["o-1", "o-2"]}, "Bool": {"aws:SecureTransport": false}}},
            {"Effect": "Deny", "NotAction": "iam:*", "NotResource": ["*"], "NotPrincipal": {"AWS": ["arn:aws:iam::1:root"]}}
        ]});
        let p = parse(&doc, PolicyKind::Bucket).unwrap();
        let s0 = &p.statements[0];
        assert_eq!(s0.action.items[1].pointer, "/Statement/0/Action/1");
        assert_eq!(s0.resource.as_ref().unwrap().items[0].pointer, "/Statement/0/Resource");
        let c = &s0.conditions[0];
        assert_eq!((c.base.as_str(), c.qualifier, c.if_exists), ("StringLike", Some(SetQualifier::ForAnyValue), true));
        assert_eq!(c.values[1].pointer, "/Statement/0/Condition/ForAnyValue:StringLikeIfExists/aws:PrincipalOrgID/1");
        assert_eq!(s0.conditions[1].strings(), ["false"]);
        let s1 = &p.statements[1];
        assert!(s1.action.negated && s1.resource.as_ref().unwrap().negated);
        assert!(s1.principal.as_ref().unwrap().negated);
        assert_eq!(s1.label(), "statement 1");
        assert_eq!(s0.label(), "statement \"A\"");
    }

    #[test]
    fn single_statement_object() {
        let p = parse(&json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}), PolicyKind::Identity)
            .unwrap();
        assert_eq!(p.statements[0].pointer, "/Statement");
        assert!(p.version.is_none());
        assert!(p.statements[0].action.has_star());
    }

    #[test]
    fn type_errors_name_the_pointer_not_the_value() {
        let cases = [
            (json!([]), "/"),
            (json!({"Statement": 3}), "/Statement"),
            (json!({"Statement": [{"Effect": "Allow", "Action": [1], "Resource": "*"}]}), "/Statement/0/Action/0"),
            (json!({"Statement": [{"Effect": "allow", "Action": "s3:x", "Resource": "*"}]}), "/Statement/0/Effect"),
            (json!({"Statement": [{"Effect": "Allow", "Action": "s3:x"}]}), "/Statement/0"),
            (json!({"Statment": []}), "/Statment"),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "s3:x", "Resource": "*", "Condition": {"StringEquals": {"k": {"secret": 1}}}}]}),
                "/Statement/0/Condition/StringEquals/k",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "s3:x", "Resource": "*", "Principal": "secret-value"}]}),
                "/Statement/0/Principal",
            ),
        ];
        for (doc, ptr) in cases {
            let e = parse(&doc, PolicyKind::Identity).unwrap_err();
            assert_eq!(e.pointer, ptr, "{e}");
            assert!(!e.message.contains("secret"), "{e}");
        }
    }

    #[test]
    fn trust_policies_need_no_resource() {
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        let p = parse(&doc, PolicyKind::Trust).unwrap();
        assert!(p.statements[0].resource.is_none());
        assert_eq!(p.statements[0].principal.as_ref().unwrap().entries[0].kind, PrincipalType::Service);
        assert!(parse(&doc, PolicyKind::Identity).is_err());
    }
}
