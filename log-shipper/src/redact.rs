//! PII redaction with rules kept as data in `rules/log-shipper/*.toml`.
//!
//! Two evaluators:
//! * `pattern` — a regular expression over every string value, with an optional validator
//!   (`luhn`) and digit-count bounds, replaced by the rule's `replacement`;
//! * `field` — the whole value of any field whose name is listed (case-insensitive).
//!
//! Fast path: [`Redactor::redact_payload`] first scans the raw JSON text. When no rule can match,
//! the payload is shipped unchanged without being parsed into a tree.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use common::rules::{RuleMeta, RuleSet};
use regex::Regex;
use serde_json::value::RawValue;
use serde_json::Value;

include!(concat!(env!("OUT_DIR"), "/rules.rs"));

/// The redaction rules compiled into the binary.
pub fn embedded_rules() -> Result<RuleSet, common::rules::RuleLoadError> {
    RuleSet::from_sources(RULE_FILES.iter().copied())
}

/// A rule that cannot be compiled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedactError {
    /// Bad or missing parameter.
    #[error("redaction rule {code}: {message}")]
    Param {
        /// Rule code.
        code: String,
        /// What is wrong.
        message: String,
    },
    /// Unknown evaluator id.
    #[error("redaction rule {code}: unknown evaluator `{evaluator}` (expected `pattern` or `field`)")]
    Evaluator {
        /// Rule code.
        code: String,
        /// The evaluator named in the file.
        evaluator: String,
    },
}

#[derive(Debug)]
enum Trigger {
    Always,
    Char(char),
    Digits(usize),
}

#[derive(Debug)]
struct PatternRule {
    code: String,
    regex: Regex,
    trigger: Trigger,
    luhn: bool,
    min_digits: usize,
    max_digits: usize,
    replacement: String,
}

/// Compiled redaction rules plus per-rule hit counters.
#[derive(Debug)]
pub struct Redactor {
    patterns: Vec<PatternRule>,
    fields: HashSet<String>,
    /// Alternation of every pattern and the field-name regex: one pass decides the fast path.
    any: Option<Regex>,
    field_code: String,
    field_replacement: String,
    hits: Vec<(String, AtomicU64)>,
}

fn param_str<'a>(r: &'a RuleMeta, key: &str) -> Option<&'a str> {
    r.params.get(key).and_then(toml::Value::as_str)
}

fn param_usize(r: &RuleMeta, key: &str, default: usize) -> usize {
    usize::try_from(r.param_i64(key, i64::try_from(default).unwrap_or(i64::MAX))).unwrap_or(default)
}

/// Compile in ASCII mode when the pattern allows it: `\b` and `\d` then run on the fast DFA
/// engines (Unicode word boundaries force the slow ones).
fn compile(pat: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pat).unicode(false).build().or_else(|_| Regex::new(pat))
}

/// The Luhn checksum (cards, SINs).
#[must_use]
pub fn luhn_valid(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(*d);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

impl Redactor {
    /// Compile the rules of `rules` except the codes in `disabled`; `extra_fields` extends the
    /// `field` rule's list.
    pub fn new(rules: &RuleSet, disabled: &[String], extra_fields: &[String]) -> Result<Self, RedactError> {
        let mut patterns = Vec::new();
        let mut fields = HashSet::new();
        let mut field_code = String::from("LS105");
        let mut field_replacement = String::from("[REDACTED:field]");
        let mut hits = Vec::new();
        for r in rules.rules() {
            if disabled.iter().any(|d| d.eq_ignore_ascii_case(&r.code) || d.eq_ignore_ascii_case(&r.name)) {
                continue;
            }
            let perr = |message: String| RedactError::Param { code: r.code.clone(), message };
            match r.evaluator.as_str() {
                "pattern" => {
                    let pat = param_str(r, "pattern").ok_or_else(|| perr("missing `pattern`".into()))?;
                    let regex = compile(pat).map_err(|e| perr(format!("invalid `pattern`: {e}")))?;
                    let trigger = match param_str(r, "trigger") {
                        None | Some("") => Trigger::Always,
                        Some(t) if t.starts_with("digits:") => Trigger::Digits(
                            t["digits:".len()..].parse().map_err(|_| perr(format!("invalid `trigger` {t:?}")))?,
                        ),
                        Some(t) if t.chars().count() == 1 => Trigger::Char(t.chars().next().unwrap_or('@')),
                        Some(t) => return Err(perr(format!("invalid `trigger` {t:?}"))),
                    };
                    let luhn = match param_str(r, "validator") {
                        None => false,
                        Some("luhn") => true,
                        Some(v) => return Err(perr(format!("unknown `validator` {v:?} (expected `luhn`)"))),
                    };
                    patterns.push(PatternRule {
                        code: r.code.clone(),
                        regex,
                        trigger,
                        luhn,
                        min_digits: param_usize(r, "min_digits", 0),
                        max_digits: param_usize(r, "max_digits", usize::MAX),
                        replacement: param_str(r, "replacement").unwrap_or("[REDACTED]").to_string(),
                    });
                }
                "field" => {
                    for f in r.param_strings("fields") {
                        fields.insert(f.to_ascii_lowercase());
                    }
                    field_code = r.code.clone();
                    if let Some(rep) = param_str(r, "replacement") {
                        field_replacement = rep.to_string();
                    }
                }
                other => return Err(RedactError::Evaluator { code: r.code.clone(), evaluator: other.to_string() }),
            }
            hits.push((r.code.clone(), AtomicU64::new(0)));
        }
        for f in extra_fields {
            fields.insert(f.to_ascii_lowercase());
        }
        let field_regex =
            if fields.is_empty() {
                None
            } else {
                let mut names: Vec<_> = fields.iter().map(|f| regex::escape(f)).collect();
                names.sort();
                Some(compile(&format!(r#"(?i)"(?:{})"\s*:"#, names.join("|"))).map_err(|e| RedactError::Param {
                    code: field_code.clone(),
                    message: format!("field list: {e}"),
                })?)
            };
        let mut alts: Vec<String> = patterns.iter().map(|p| format!("(?:{})", p.regex.as_str())).collect();
        if let Some(f) = &field_regex {
            alts.push(format!("(?:{})", f.as_str()));
        }
        let any = if alts.is_empty() {
            None
        } else {
            Some(
                compile(&alts.join("|"))
                    .map_err(|e| RedactError::Param { code: "combined".into(), message: e.to_string() })?,
            )
        };
        Ok(Self { patterns, fields, any, field_code, field_replacement, hits })
    }

    /// Hits per rule code since start.
    #[must_use]
    pub fn hits(&self) -> Vec<(String, u64)> {
        self.hits.iter().map(|(c, n)| (c.clone(), n.load(Ordering::Relaxed))).collect()
    }

    fn hit(&self, code: &str) {
        if let Some((_, n)) = self.hits.iter().find(|(c, _)| c == code) {
            n.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn triggered(rule: &PatternRule, s: &str) -> bool {
        match rule.trigger {
            Trigger::Always => true,
            Trigger::Char(c) => s.contains(c),
            Trigger::Digits(n) => s.bytes().filter(u8::is_ascii_digit).count() >= n,
        }
    }

    /// Does `m` (a regex match) pass the rule's validator?
    fn accept(rule: &PatternRule, m: &str) -> bool {
        if !rule.luhn && rule.min_digits == 0 && rule.max_digits == usize::MAX {
            return true;
        }
        let digits: Vec<u8> = m.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
        if digits.len() < rule.min_digits || digits.len() > rule.max_digits {
            return false;
        }
        !rule.luhn || luhn_valid(&digits)
    }

    /// Redact one string; `None` when nothing matched.
    #[must_use]
    pub fn redact_str(&self, s: &str) -> Option<String> {
        let mut cur: Option<String> = None;
        for rule in &self.patterns {
            let text = cur.as_deref().unwrap_or(s);
            if !Self::triggered(rule, text) {
                continue;
            }
            let mut out = String::with_capacity(text.len());
            let mut last = 0;
            let mut changed = false;
            for m in rule.regex.find_iter(text) {
                if Self::accept(rule, m.as_str()) {
                    out.push_str(&text[last..m.start()]);
                    out.push_str(&rule.replacement);
                    last = m.end();
                    changed = true;
                    self.hit(&rule.code);
                }
            }
            if changed {
                out.push_str(&text[last..]);
                cur = Some(out);
            }
        }
        cur
    }

    /// Redact a JSON tree in place; returns the number of replacements.
    pub fn redact_value(&self, v: &mut Value) -> usize {
        match v {
            Value::String(s) => match self.redact_str(s) {
                Some(r) => {
                    *s = r;
                    1
                }
                None => 0,
            },
            Value::Array(a) => a.iter_mut().map(|x| self.redact_value(x)).sum(),
            Value::Object(o) => {
                let mut n = 0;
                for (k, x) in o.iter_mut() {
                    if !self.fields.is_empty() && self.fields.contains(&k.to_ascii_lowercase()) {
                        if x != &Value::String(self.field_replacement.clone()) {
                            *x = Value::String(self.field_replacement.clone());
                            self.hit(&self.field_code);
                            n += 1;
                        }
                    } else {
                        n += self.redact_value(x);
                    }
                }
                n
            }
            Value::Number(num) => {
                // Card numbers and SINs logged as JSON numbers.
                let text = num.to_string();
                match self.redact_str(&text) {
                    Some(r) => {
                        *v = Value::String(r);
                        1
                    }
                    None => 0,
                }
            }
            Value::Bool(_) | Value::Null => 0,
        }
    }

    /// Could any rule fire on this raw JSON text? Conservative: `\u` escapes take the slow path.
    #[must_use]
    pub fn may_match_raw(&self, raw: &str) -> bool {
        if raw.contains("\\u") {
            return true;
        }
        // One pass over the text; validators (Luhn) run only on the slow path.
        self.any.as_ref().is_some_and(|r| r.is_match(raw))
    }

    /// Redact a raw JSON payload: unchanged (no parse) when no rule can fire.
    pub fn redact_payload(&self, raw: Box<RawValue>) -> Result<(Box<RawValue>, usize), serde_json::Error> {
        if !self.may_match_raw(raw.get()) {
            return Ok((raw, 0));
        }
        let mut v: Value = serde_json::from_str(raw.get())?;
        let n = self.redact_value(&mut v);
        if n == 0 {
            return Ok((raw, 0));
        }
        Ok((serde_json::value::to_raw_value(&v)?, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new(&embedded_rules().unwrap(), &[], &[]).unwrap()
    }

    fn apply(r: &Redactor, json: &str) -> String {
        let raw = RawValue::from_string(json.to_string()).unwrap();
        r.redact_payload(raw).unwrap().0.get().to_string()
    }

    #[test]
    fn luhn() {
        let d = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<_>>();
        assert!(luhn_valid(&d("4111111111111111")));
        assert!(!luhn_valid(&d("4111111111111112")));
        assert!(luhn_valid(&d("046454286")));
        assert!(!luhn_valid(&[]));
    }

    /// The docs examples of every rule file are executed: bad fires and loses its PII, good is
    /// left byte-for-byte unchanged.
    #[test]
    fn rule_docs_examples_hold() {
        let rules = embedded_rules().unwrap();
        assert_eq!(rules.rules().len(), 5);
        for rule in rules.rules() {
            let only: Vec<String> =
                rules.rules().iter().filter(|r| r.code != rule.code).map(|r| r.code.clone()).collect();
            let r = Redactor::new(&rules, &only, &[]).unwrap();
            let bad = rule.docs.example_bad.trim();
            let good = rule.docs.example_good.trim();
            let out = apply(&r, bad);
            assert_ne!(out, bad, "{}: example_bad not redacted", rule.code);
            let replacement = rule.params.get("replacement").and_then(|v| v.as_str()).unwrap();
            assert!(out.contains(replacement), "{}: {out}", rule.code);
            assert!(r.hits().iter().any(|(c, n)| c == &rule.code && *n > 0));
            assert_eq!(apply(&r, good), good, "{}: example_good changed", rule.code);
        }
    }

    #[test]
    fn redacts_all_kinds_and_keeps_structure() {
        let r = redactor();
        let out = apply(
            &r,
            r#"{"a":"mail bob@example.com","n":[4111111111111111,"4111-1111-1111-1111"],
                "Password":{"x":1},"sin":"x","phone":"514-555-0199","acct":"123456789012"}"#,
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["a"], "mail [REDACTED:email]");
        assert_eq!(v["n"][0], "[REDACTED:card]");
        assert_eq!(v["n"][1], "[REDACTED:card]");
        assert_eq!(v["Password"], "[REDACTED:field]");
        assert_eq!(v["phone"], "[REDACTED:phone]");
        assert_eq!(v["acct"], "123456789012");
        assert!(!out.contains("bob@"));
    }

    #[test]
    fn escaped_pii_is_found() {
        let r = redactor();
        let out = apply(&r, r#"{"m":"bob\u0040example.com"}"#);
        assert!(out.contains("[REDACTED:email]"), "{out}");
    }

    #[test]
    fn disabled_rules_and_extra_fields() {
        let rules = embedded_rules().unwrap();
        let r = Redactor::new(&rules, &["email-address".into()], &["caseNote".into()]).unwrap();
        let out = apply(&r, r#"{"m":"bob@example.com","CaseNote":"anything"}"#);
        assert!(out.contains("bob@example.com"));
        assert!(out.contains("[REDACTED:field]"));
    }

    #[test]
    fn bad_rule_params_are_errors() {
        let text = r#"code = "LS199"
name = "x"
category = "redaction"
severity = "high"
evaluator = "pattern"
summary = "s"
[params]
pattern = "("
[docs]
what_it_does = "a"
why_bad = "b"
remediation = "c"
"#;
        let rules = RuleSet::from_sources([("LS199-x.toml", text)]).unwrap();
        let err = Redactor::new(&rules, &[], &[]).unwrap_err().to_string();
        assert!(err.contains("LS199") && err.contains("pattern"), "{err}");
    }

    proptest::proptest! {
        /// Whatever the input, redaction never panics, keeps valid JSON, and no valid card
        /// number survives.
        #[test]
        fn never_leaks_cards(prefix in "[a-z ]{0,20}", card in proptest::sample::select(vec![
            "4111111111111111", "5500 0000 0000 0004", "3400-0000-0000-009", "6011000000000004"])) {
            let r = redactor();
            let json = serde_json::json!({ "m": format!("{prefix} {card} end") }).to_string();
            let out = apply(&r, &json);
            let v: Value = serde_json::from_str(&out).unwrap();
            proptest::prop_assert!(!v["m"].as_str().unwrap().contains(card));
        }
    }
}
