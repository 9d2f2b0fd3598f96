//! Which findings count: rule selection, severity overrides, exceptions with a reason and an
//! expiry date, and baselines (only findings not in the baseline fail).
//!
//! Selectors match a rule by code prefix (`PL1` selects `PL101`…`PL199`), exact name
//! (`wildcard-action`), category, or `ALL`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Location, Severity};
use crate::rules::{RuleMeta, Status};

/// Rule selection and severity overrides.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleFilter {
    /// Only these rules (empty = all).
    #[serde(default)]
    pub select: Vec<String>,
    /// Never these rules.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Severity per rule selector.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

fn selector_matches(sel: &str, code: &str, name: &str, category: &str) -> bool {
    sel.eq_ignore_ascii_case("ALL")
        || code.to_ascii_uppercase().starts_with(&sel.to_ascii_uppercase())
        || name.eq_ignore_ascii_case(sel)
        || category.eq_ignore_ascii_case(sel)
}

impl RuleFilter {
    /// Is the rule enabled? `ignore` wins over `select`; the most specific selector is not
    /// needed because ignore always wins (as in ruff's simplest mode).
    #[must_use]
    pub fn enabled(&self, rule: &RuleMeta) -> bool {
        let m = |s: &String| selector_matches(s, &rule.code, &rule.name, &rule.category);
        (self.select.is_empty() || self.select.iter().any(m)) && !self.ignore.iter().any(m)
    }

    /// Is the finding's rule enabled (by code/name/category alone)?
    #[must_use]
    pub fn enabled_finding(&self, f: &Finding) -> bool {
        let m = |s: &String| selector_matches(s, &f.code, &f.rule, &f.category);
        (self.select.is_empty() || self.select.iter().any(m)) && !self.ignore.iter().any(m)
    }

    /// The effective severity of a finding: the longest matching override, else its own.
    #[must_use]
    pub fn severity_for(&self, f: &Finding) -> Severity {
        self.severity
            .iter()
            .filter(|(s, _)| selector_matches(s, &f.code, &f.rule, &f.category))
            .max_by_key(|(s, _)| s.len())
            .map_or(f.severity, |(_, sev)| *sev)
    }

    /// Check that every selector names something that exists; returns the unknown ones.
    #[must_use]
    pub fn unknown_selectors(&self, rules: &[RuleMeta]) -> Vec<String> {
        self.select
            .iter()
            .chain(&self.ignore)
            .chain(self.severity.keys())
            .filter(|s| !rules.iter().any(|r| selector_matches(s, &r.code, &r.name, &r.category)))
            .cloned()
            .collect()
    }
}

/// A finding the team accepted, for a reason, until a date.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// Rule selector (code, prefix, name or category).
    pub rule: String,
    /// Only findings whose file path contains this text.
    #[serde(default)]
    pub path: Option<String>,
    /// Only findings whose resource (Terraform address, ARN, id) contains this text.
    #[serde(default)]
    pub resource: Option<String>,
    /// Why the exception is acceptable (required).
    pub reason: String,
    /// Last day the exception applies (`YYYY-MM-DD`, required).
    pub expires: String,
}

impl Exception {
    fn matches(&self, f: &Finding) -> bool {
        selector_matches(&self.rule, &f.code, &f.rule, &f.category)
            && self
                .path
                .as_ref()
                .is_none_or(|p| f.location.file.as_deref().is_some_and(|file| file.contains(p.as_str())))
            && self.resource.as_ref().is_none_or(|r| {
                f.location.address.as_deref().is_some_and(|a| a.contains(r.as_str()))
                    || f.location.pointer.as_deref().is_some_and(|a| a.contains(r.as_str()))
            })
    }

    fn label(&self) -> String {
        let mut s = format!("rule={}", self.rule);
        if let Some(p) = &self.path {
            s.push_str(&format!(" path={p}"));
        }
        if let Some(r) = &self.resource {
            s.push_str(&format!(" resource={r}"));
        }
        s
    }
}

/// A finding kept out of the failing set, and why.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Suppressed {
    /// The finding.
    pub finding: Finding,
    /// `exception`, `inline`, or `baseline`.
    pub by: String,
    /// The reason given.
    pub reason: String,
}

/// Result of applying filters and exceptions.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    /// Findings that count.
    pub findings: Vec<Finding>,
    /// Findings silenced by an exception.
    pub suppressed: Vec<Suppressed>,
    /// Tool diagnostics about the configuration (expired and unused exceptions).
    pub diagnostics: Vec<Finding>,
}

/// Error in an exception entry.
#[derive(Debug, thiserror::Error)]
#[error("exception #{index} ({label}): {message}")]
pub struct ExceptionError {
    /// 1-based index in the config file.
    pub index: usize,
    /// Which exception.
    pub label: String,
    /// What is wrong.
    pub message: String,
}

/// Validate exceptions: a reason and a parseable expiry date are required.
pub fn validate_exceptions(exceptions: &[Exception]) -> Result<(), ExceptionError> {
    for (i, e) in exceptions.iter().enumerate() {
        let err = |message: String| ExceptionError { index: i + 1, label: e.label(), message };
        if e.reason.trim().is_empty() {
            return Err(err("`reason` must say why the exception is acceptable".into()));
        }
        e.expires.parse::<jiff::civil::Date>().map_err(|x| err(format!("`expires` must be a date YYYY-MM-DD: {x}")))?;
    }
    Ok(())
}

/// Apply the filter (selection and severity overrides) and the exceptions.
///
/// An expired exception suppresses nothing and produces an `expired-exception` diagnostic
/// (severity high, so it fails the run); an exception that matched nothing produces an
/// `unused-exception` diagnostic (severity low, a warning).
#[must_use]
pub fn apply(
    findings: Vec<Finding>,
    filter: &RuleFilter,
    exceptions: &[Exception],
    today: jiff::civil::Date,
    config_file: Option<&str>,
) -> Applied {
    let mut out = Applied::default();
    let mut used = vec![false; exceptions.len()];
    let expired: Vec<bool> =
        exceptions.iter().map(|e| e.expires.parse::<jiff::civil::Date>().map_or(true, |d| d < today)).collect();
    for mut f in findings {
        if !filter.enabled_finding(&f) {
            continue;
        }
        f.severity = filter.severity_for(&f);
        let hit = exceptions.iter().enumerate().find(|(i, e)| !expired[*i] && e.matches(&f));
        if let Some((i, e)) = hit {
            used[i] = true;
            out.suppressed.push(Suppressed { finding: f, by: "exception".into(), reason: e.reason.clone() });
        } else {
            for (i, e) in exceptions.iter().enumerate() {
                if expired[i] && e.matches(&f) {
                    used[i] = true;
                }
            }
            out.findings.push(f);
        }
    }
    for (i, e) in exceptions.iter().enumerate() {
        let loc = Location {
            file: config_file.map(str::to_string),
            pointer: Some(format!("/exceptions/{i}")),
            ..Location::default()
        };
        if expired[i] {
            out.diagnostics.push(Finding::new(
                "X001",
                "expired-exception",
                "expired-exception",
                Severity::High,
                format!(
                    "exception {} expired on {}; renew it with a new reason or fix the finding",
                    e.label(),
                    e.expires
                ),
                loc,
            ));
        } else if !used[i] {
            out.diagnostics.push(Finding::new(
                "X002",
                "unused-exception",
                "unused-exception",
                Severity::Low,
                format!("exception {} matched no finding; remove it", e.label()),
                loc,
            ));
        }
    }
    out
}

/// Which findings fail the run: at or above `fail_on`, and not from a preview rule.
#[must_use]
pub fn failing<'a>(findings: &'a [Finding], fail_on: Severity, rules: &[RuleMeta]) -> Vec<&'a Finding> {
    let preview: BTreeSet<&str> =
        rules.iter().filter(|r| r.status == Status::Preview).map(|r| r.code.as_str()).collect();
    findings.iter().filter(|f| f.severity >= fail_on && !preview.contains(f.code.as_str())).collect()
}

/// A previous report, by fingerprint.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    known: BTreeMap<String, Finding>,
}

/// Error reading a baseline.
#[derive(Debug, thiserror::Error)]
#[error("baseline {file}: {message}")]
pub struct BaselineError {
    /// File.
    pub file: String,
    /// What went wrong.
    pub message: String,
}

/// Result of comparing findings to a baseline.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BaselineDiff {
    /// In this run, not in the baseline.
    pub new: Vec<String>,
    /// In both.
    pub unchanged: Vec<String>,
    /// In the baseline, not in this run.
    pub resolved: Vec<Finding>,
}

impl Baseline {
    /// Read a baseline: a JSON report written by any fcm-guard tool (`--format json`).
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let err = |message: String| BaselineError { file: path.display().to_string(), message };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        Self::from_json(&text).map_err(err)
    }

    /// Parse a baseline from report JSON.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let list =
            v.get("findings").and_then(|f| f.as_array()).ok_or("no `findings` array (expected a JSON report)")?;
        let mut known = BTreeMap::new();
        for (i, item) in list.iter().enumerate() {
            let mut f: Finding = serde_json::from_value(item.clone()).map_err(|e| format!("/findings/{i}: {e}"))?;
            if f.fingerprint.is_empty() {
                f.refresh_fingerprint();
            }
            known.insert(f.fingerprint.clone(), f);
        }
        Ok(Self { known })
    }

    /// Split current findings into new and unchanged, and list the resolved ones.
    #[must_use]
    pub fn diff(&self, current: &[Finding]) -> BaselineDiff {
        let mut d = BaselineDiff::default();
        let mut seen = BTreeSet::new();
        for f in current {
            if self.known.contains_key(&f.fingerprint) {
                d.unchanged.push(f.fingerprint.clone());
            } else {
                d.new.push(f.fingerprint.clone());
            }
            seen.insert(f.fingerprint.as_str());
        }
        d.resolved = self.known.values().filter(|f| !seen.contains(f.fingerprint.as_str())).cloned().collect();
        d
    }

    /// Is this finding already in the baseline?
    #[must_use]
    pub fn contains(&self, f: &Finding) -> bool {
        self.known.contains_key(&f.fingerprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(code: &str, name: &str, file: &str) -> Finding {
        Finding::new(code, name, name, Severity::High, "m", Location::file(file))
    }

    fn date(s: &str) -> jiff::civil::Date {
        s.parse().unwrap()
    }

    #[test]
    fn select_ignore_and_overrides() {
        let filter = RuleFilter {
            select: vec!["PL1".into()],
            ignore: vec!["not-action-allow".into()],
            severity: BTreeMap::from([("PL1".into(), Severity::Low), ("PL101".into(), Severity::Critical)]),
        };
        let out = apply(
            vec![
                f("PL101", "wildcard-action", "a"),
                f("PL102", "not-action-allow", "a"),
                f("PL201", "x", "a"),
                f("PL103", "y", "a"),
            ],
            &filter,
            &[],
            date("2026-01-01"),
            None,
        );
        let codes: Vec<_> = out.findings.iter().map(|f| (f.code.as_str(), f.severity)).collect();
        assert_eq!(codes, [("PL101", Severity::Critical), ("PL103", Severity::Low)]);
    }

    #[test]
    fn exceptions_expire_and_unused_warn() {
        let exc = vec![
            Exception {
                rule: "PL101".into(),
                path: Some("a.json".into()),
                resource: None,
                reason: "ok".into(),
                expires: "2026-12-31".into(),
            },
            Exception {
                rule: "PL102".into(),
                path: None,
                resource: None,
                reason: "old".into(),
                expires: "2025-01-01".into(),
            },
            Exception {
                rule: "PL999".into(),
                path: None,
                resource: None,
                reason: "never".into(),
                expires: "2030-01-01".into(),
            },
        ];
        validate_exceptions(&exc).unwrap();
        let out = apply(
            vec![f("PL101", "a", "dir/a.json"), f("PL101", "a", "b.json"), f("PL102", "b", "a.json")],
            &RuleFilter::default(),
            &exc,
            date("2026-06-01"),
            Some("policy-lint.toml"),
        );
        assert_eq!(out.suppressed.len(), 1);
        assert_eq!(out.findings.len(), 2, "expired exception must not suppress");
        let diags: Vec<_> = out.diagnostics.iter().map(|d| d.rule.as_str()).collect();
        assert_eq!(diags, ["expired-exception", "unused-exception"]);
        assert_eq!(out.diagnostics[0].severity, Severity::High);
    }

    #[test]
    fn exception_needs_reason_and_date() {
        let bad = Exception {
            rule: "PL1".into(),
            path: None,
            resource: None,
            reason: " ".into(),
            expires: "2026-01-01".into(),
        };
        assert!(validate_exceptions(&[bad]).unwrap_err().to_string().contains("reason"));
        let bad =
            Exception { rule: "PL1".into(), path: None, resource: None, reason: "r".into(), expires: "soon".into() };
        assert!(validate_exceptions(&[bad]).unwrap_err().to_string().contains("expires"));
    }

    #[test]
    fn baseline_diff() {
        let old = vec![f("PL101", "a", "a.json"), f("PL102", "b", "a.json")];
        let json = serde_json::json!({ "findings": old }).to_string();
        let base = Baseline::from_json(&json).unwrap();
        let cur = vec![f("PL101", "a", "a.json"), f("PL103", "c", "a.json")];
        let d = base.diff(&cur);
        assert_eq!(d.new, vec![cur[1].fingerprint.clone()]);
        assert_eq!(d.unchanged.len(), 1);
        assert_eq!(d.resolved.len(), 1);
        assert_eq!(d.resolved[0].code, "PL102");
        assert!(Baseline::from_json("[]").is_err());
    }
}
