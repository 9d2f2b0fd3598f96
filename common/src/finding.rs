//! A finding is data, never an error: which rule, how bad, where, and what to do about it.
//!
//! Findings must never carry PII: messages name fields, resources and rules, never values
//! taken from customer records.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a run by default.
    Info,
    /// Hygiene.
    Low,
    /// A weakness that should be fixed.
    #[default]
    Medium,
    /// A real exposure.
    High,
    /// An exposure that gives away the account or the data.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// Lower-case name, as used in config files and output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// SARIF `level` for this severity.
    #[must_use]
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Info => "note",
            Severity::Low | Severity::Medium => "warning",
            Severity::High | Severity::Critical => "error",
        }
    }

    /// GitHub code scanning `security-severity` score (0.0–10.0).
    #[must_use]
    pub fn security_score(self) -> &'static str {
        match self {
            Severity::Info => "0.0",
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an unknown severity name.
#[derive(Debug, thiserror::Error)]
#[error("unknown severity `{0}` (expected one of: info, low, medium, high, critical)")]
pub struct ParseSeverityError(pub String);

impl FromStr for Severity {
    type Err = ParseSeverityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" | "note" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" | "warning" => Ok(Severity::Medium),
            "high" | "error" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(ParseSeverityError(s.to_string())),
        }
    }
}

/// Where a finding is. Every field is optional; renderers show what is there.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    /// Source file (as given on the command line, relative where possible).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column in `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// JSON pointer inside the document (`/Statement/2/Action/0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Terraform address (`module.x.aws_iam_policy.y`) or resource ARN / id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// AWS account id, for live findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// AWS region, for live findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl Location {
    /// A location in a file.
    #[must_use]
    pub fn file(file: impl Into<String>) -> Self {
        Self { file: Some(file.into()), ..Self::default() }
    }

    /// A location at a resource (ARN, id or Terraform address).
    #[must_use]
    pub fn resource(address: impl Into<String>) -> Self {
        Self { address: Some(address.into()), ..Self::default() }
    }

    /// Builder: set the JSON pointer.
    #[must_use]
    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    /// Builder: set the Terraform address or resource id.
    #[must_use]
    pub fn with_address(mut self, address: impl Into<String>) -> Self {
        self.address = Some(address.into());
        self
    }

    /// Builder: set line and column.
    #[must_use]
    pub fn with_position(mut self, line: u32, column: u32) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Builder: set account and region.
    #[must_use]
    pub fn in_account(mut self, account: Option<String>, region: Option<String>) -> Self {
        self.account = account;
        self.region = region;
        self
    }

    /// One-line rendering: `file:line:col address#pointer`.
    #[must_use]
    pub fn display(&self) -> String {
        let mut out = String::new();
        if let Some(f) = &self.file {
            out.push_str(f);
            if let Some(l) = self.line {
                out.push_str(&format!(":{l}"));
                if let Some(c) = self.column {
                    out.push_str(&format!(":{c}"));
                }
            }
        }
        if let Some(a) = &self.address {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(a);
        }
        if let Some(r) = &self.region {
            if self.file.is_none() {
                out.push_str(&format!(" ({r})"));
            }
        }
        if let Some(p) = &self.pointer {
            if !p.is_empty() {
                out.push('#');
                out.push_str(p);
            }
        }
        out
    }
}

/// One problem found by a rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Rule code (`PL101`, `AU201`).
    pub code: String,
    /// Rule name (`wildcard-action`).
    pub rule: String,
    /// Category from the tool's fixed vocabulary, comparable across tools.
    pub category: String,
    /// Effective severity (after config overrides).
    pub severity: Severity,
    /// What is wrong, naming fields and resources, never data values.
    pub message: String,
    /// Where.
    pub location: Location,
    /// What to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// AWS service the finding belongs to (auditor: `s3`, `kms`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Extra structured facts (matched actions, evidence path, thresholds).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, serde_json::Value>,
    /// Stable identity for baselines and diffs (see [`Finding::fingerprint`]).
    #[serde(default)]
    pub fingerprint: String,
}

impl Finding {
    /// A new finding; `fingerprint` is computed from code, location and message.
    #[must_use]
    pub fn new(
        code: impl Into<String>,
        rule: impl Into<String>,
        category: impl Into<String>,
        severity: Severity,
        message: impl Into<String>,
        location: Location,
    ) -> Self {
        let mut f = Self {
            code: code.into(),
            rule: rule.into(),
            category: category.into(),
            severity,
            message: message.into(),
            location,
            remediation: None,
            service: None,
            evidence: BTreeMap::new(),
            fingerprint: String::new(),
        };
        f.fingerprint = f.compute_fingerprint();
        f
    }

    /// Builder: remediation text.
    #[must_use]
    pub fn with_remediation(mut self, text: impl Into<String>) -> Self {
        self.remediation = Some(text.into());
        self
    }

    /// Builder: service.
    #[must_use]
    pub fn with_service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Builder: one evidence entry.
    #[must_use]
    pub fn with_evidence(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.evidence.insert(key.to_string(), value.into());
        self
    }

    /// The fingerprint identifies "the same problem in the same place" across runs: it hashes
    /// the code, file, address, pointer, account and region, not the line (lines move) nor the
    /// message wording.
    #[must_use]
    pub fn compute_fingerprint(&self) -> String {
        let l = &self.location;
        let mut h = Sha256::new();
        for part in [
            Some(self.code.as_str()),
            l.file.as_deref(),
            l.address.as_deref(),
            l.pointer.as_deref(),
            l.account.as_deref(),
            l.region.as_deref(),
        ] {
            h.update(part.unwrap_or("").as_bytes());
            h.update([0u8]);
        }
        hex::encode(&h.finalize()[..12])
    }

    /// Recompute the fingerprint after the location was changed.
    pub fn refresh_fingerprint(&mut self) {
        self.fingerprint = self.compute_fingerprint();
    }
}

/// Sort findings for stable output: file, line, address, pointer, code.
pub fn sort_findings(findings: &mut [Finding]) {
    // Tools often produce findings already in order (per file, in file order): check first.
    if !findings.is_sorted_by(|a, b| finding_order(a, b).is_le()) {
        findings.sort_by(finding_order);
    }
}

fn finding_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    let ka = (&a.location.file, a.location.line, &a.location.address, &a.location.pointer, &a.code);
    let kb = (&b.location.file, b.location.line, &b.location.address, &b.location.pointer, &b.code);
    ka.cmp(&kb).then_with(|| a.message.cmp(&b.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Info < Severity::Low);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert!("severe".parse::<Severity>().is_err());
    }

    #[test]
    fn fingerprint_ignores_line_and_message_but_not_pointer() {
        let a = Finding::new(
            "PL101",
            "x",
            "c",
            Severity::High,
            "m1",
            Location::file("a.json").with_pointer("/Statement/0"),
        );
        let mut b = a.clone();
        b.message = "m2".into();
        b.location.line = Some(9);
        assert_eq!(a.compute_fingerprint(), b.compute_fingerprint());
        let c = Finding::new(
            "PL101",
            "x",
            "c",
            Severity::High,
            "m1",
            Location::file("a.json").with_pointer("/Statement/1"),
        );
        assert_ne!(a.fingerprint, c.fingerprint);
    }

    #[test]
    fn location_display() {
        let l = Location::file("p.json").with_position(3, 5).with_pointer("/Statement/0/Action");
        assert_eq!(l.display(), "p.json:3:5#/Statement/0/Action");
        let r = Location::resource("arn:aws:s3:::b").in_account(None, Some("ca-central-1".into()));
        assert_eq!(r.display(), "arn:aws:s3:::b (ca-central-1)");
    }
}
