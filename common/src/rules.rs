//! Rules as data: one TOML file per rule under `rules/<tool>/<CODE>-<name>.toml`.
//!
//! The files are compiled into each binary (see the tool's `build.rs`) and can be overridden
//! with `--rules-dir` during development. The file schema is documented in `rules/README.md`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Severity;

/// Lifecycle of a rule: preview rules report but never fail a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Reported and counted.
    #[default]
    Stable,
    /// Reported, never fails a run.
    Preview,
}

/// Prose documentation of a rule, shown by `<tool> rule CODE` and in SARIF help.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDocs {
    /// What the rule looks for.
    pub what_it_does: String,
    /// Why that is a problem.
    pub why_bad: String,
    /// Legitimate exceptions and known false positives.
    #[serde(default)]
    pub known_problems: String,
    /// An input the rule fires on (executed by tests).
    #[serde(default)]
    pub example_bad: String,
    /// An input the rule is silent on (executed by tests).
    #[serde(default)]
    pub example_good: String,
    /// Kind of input the examples are (tool-specific: `identity`, `bucket`, `inventory`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example_kind: Option<String>,
    /// How to fix it, in words.
    pub remediation: String,
    /// How to fix it in Terraform.
    #[serde(default)]
    pub remediation_terraform: String,
    /// Further reading.
    #[serde(default)]
    pub references: Vec<String>,
}

/// Mappings to compliance frameworks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compliance {
    /// PCI DSS v4.0 requirement ids (`3.5.1`).
    #[serde(default)]
    pub pci_dss_v4: Vec<String>,
    /// CIS AWS Foundations Benchmark v4 control ids (`3.1`).
    #[serde(default)]
    pub cis_aws: Vec<String>,
    /// AWS Security Hub (FSBP) control ids (`S3.5`).
    #[serde(default)]
    pub security_hub: Vec<String>,
}

impl Compliance {
    /// `(framework id, control ids)` pairs, in a fixed order.
    #[must_use]
    pub fn frameworks(&self) -> [(&'static str, &[String]); 3] {
        [("pci-dss-v4", &self.pci_dss_v4), ("cis-aws", &self.cis_aws), ("security-hub", &self.security_hub)]
    }

    /// Controls of one framework by its id (`pci-dss-v4`, `cis-aws`, `security-hub`).
    #[must_use]
    pub fn controls(&self, framework: &str) -> Option<&[String]> {
        self.frameworks().into_iter().find(|(id, _)| *id == framework).map(|(_, c)| c)
    }
}

/// Frameworks known to [`Compliance::controls`].
pub const FRAMEWORKS: [&str; 3] = ["pci-dss-v4", "cis-aws", "security-hub"];

/// One rule's metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    /// Code: tool prefix and three digits (`PL101`).
    pub code: String,
    /// Kebab-case name of the problem (`wildcard-action`).
    pub name: String,
    /// Category from the tool's fixed vocabulary.
    pub category: String,
    /// Default severity.
    pub severity: Severity,
    /// Stable or preview.
    #[serde(default)]
    pub status: Status,
    /// Version that introduced the rule.
    #[serde(default)]
    pub since: String,
    /// Id of the evaluator in the tool's registry.
    pub evaluator: String,
    /// AWS service (auditor rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// One-line summary.
    pub summary: String,
    /// Evaluator parameters, overridable in config.
    #[serde(default)]
    pub params: toml::Table,
    /// Documentation.
    pub docs: RuleDocs,
    /// Compliance mappings.
    #[serde(default)]
    pub compliance: Compliance,
}

impl RuleMeta {
    /// Plain-text help: summary, docs and remediation (SARIF `help.text`, `rule CODE`).
    #[must_use]
    pub fn help_text(&self) -> String {
        let d = &self.docs;
        let mut s = format!(
            "{} {} ({}, {})\n\n{}\n\nWhat it does\n  {}\n\nWhy it matters\n  {}\n",
            self.code,
            self.name,
            self.category,
            self.severity,
            self.summary,
            d.what_it_does.trim(),
            d.why_bad.trim()
        );
        if !d.known_problems.trim().is_empty() {
            s.push_str(&format!("\nKnown problems\n  {}\n", d.known_problems.trim()));
        }
        if !d.example_bad.trim().is_empty() {
            s.push_str(&format!("\nExample (fires)\n{}\n", indent(d.example_bad.trim())));
        }
        if !d.example_good.trim().is_empty() {
            s.push_str(&format!("\nExample (passes)\n{}\n", indent(d.example_good.trim())));
        }
        s.push_str(&format!("\nRemediation\n  {}\n", d.remediation.trim()));
        if !d.remediation_terraform.trim().is_empty() {
            s.push_str(&format!("\nTerraform\n{}\n", indent(d.remediation_terraform.trim())));
        }
        let maps: Vec<String> = self
            .compliance
            .frameworks()
            .iter()
            .filter(|(_, c)| !c.is_empty())
            .map(|(f, c)| format!("{f}: {}", c.join(", ")))
            .collect();
        if !maps.is_empty() {
            s.push_str(&format!("\nCompliance\n  {}\n", maps.join("\n  ")));
        }
        if !d.references.is_empty() {
            s.push_str(&format!("\nReferences\n  {}\n", d.references.join("\n  ")));
        }
        s
    }

    /// Markdown help for SARIF `help.markdown`.
    #[must_use]
    pub fn help_markdown(&self) -> String {
        let d = &self.docs;
        let mut s = format!(
            "**{} {}** — {}\n\n{}\n\n**Why it matters.** {}\n",
            self.code,
            self.name,
            self.summary,
            d.what_it_does.trim(),
            d.why_bad.trim()
        );
        if !d.example_bad.trim().is_empty() {
            s.push_str(&format!("\nFires on:\n\n```\n{}\n```\n", d.example_bad.trim()));
        }
        if !d.example_good.trim().is_empty() {
            s.push_str(&format!("\nPasses:\n\n```\n{}\n```\n", d.example_good.trim()));
        }
        s.push_str(&format!("\n**Remediation.** {}\n", d.remediation.trim()));
        if !d.remediation_terraform.trim().is_empty() {
            s.push_str(&format!("\n```hcl\n{}\n```\n", d.remediation_terraform.trim()));
        }
        s
    }

    /// Read a parameter, falling back to `default` when absent or of another type.
    #[must_use]
    pub fn param_i64(&self, key: &str, default: i64) -> i64 {
        self.params.get(key).and_then(toml::Value::as_integer).unwrap_or(default)
    }

    /// Read a string-list parameter.
    #[must_use]
    pub fn param_strings(&self, key: &str) -> Vec<String> {
        self.params
            .get(key)
            .and_then(toml::Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}

/// Why the rule files could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuleLoadError {
    /// A rule file is not valid TOML or misses a field.
    #[error("rule file {file}: {message}")]
    Parse {
        /// File name.
        file: String,
        /// Parser message.
        message: String,
    },
    /// File name does not match `<code>-<name>.toml`.
    #[error("rule file {file}: file name must be `{expected}`")]
    FileName {
        /// File name.
        file: String,
        /// Expected file name.
        expected: String,
    },
    /// Two rules share a code or a name.
    #[error("rule {0} is defined twice")]
    Duplicate(String),
    /// Reading a rules directory failed.
    #[error("reading rules directory {dir}: {source}")]
    Io {
        /// Directory.
        dir: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// All rules of one tool, sorted by code.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    rules: Vec<RuleMeta>,
    by_code: BTreeMap<String, usize>,
}

impl RuleSet {
    /// Parse `(file name, TOML text)` pairs, checking names and uniqueness.
    pub fn from_sources<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, RuleLoadError> {
        let mut rules = Vec::new();
        for (file, text) in files {
            let meta: RuleMeta = toml::from_str(text)
                .map_err(|e| RuleLoadError::Parse { file: file.to_string(), message: e.to_string() })?;
            let expected = format!("{}-{}.toml", meta.code, meta.name);
            let base = Path::new(file).file_name().and_then(|s| s.to_str()).unwrap_or(file);
            if base != expected {
                return Err(RuleLoadError::FileName { file: file.to_string(), expected });
            }
            rules.push(meta);
        }
        rules.sort_by(|a, b| a.code.cmp(&b.code));
        let mut by_code = BTreeMap::new();
        let mut names = std::collections::BTreeSet::new();
        for (i, r) in rules.iter().enumerate() {
            if by_code.insert(r.code.clone(), i).is_some() {
                return Err(RuleLoadError::Duplicate(r.code.clone()));
            }
            if !names.insert(r.name.clone()) {
                return Err(RuleLoadError::Duplicate(r.name.clone()));
            }
        }
        Ok(Self { rules, by_code })
    }

    /// Load every `*.toml` in a directory (the `--rules-dir` override).
    pub fn load_dir(dir: &Path) -> Result<Self, RuleLoadError> {
        let io = |source| RuleLoadError::Io { dir: dir.display().to_string(), source };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().and_then(|e| e.to_str()) == Some("toml") {
                let text = std::fs::read_to_string(&path).map_err(io)?;
                files.push((path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string(), text));
            }
        }
        Self::from_sources(files.iter().map(|(a, b)| (a.as_str(), b.as_str())))
    }

    /// All rules, sorted by code.
    #[must_use]
    pub fn rules(&self) -> &[RuleMeta] {
        &self.rules
    }

    /// Look up by code (`PL101`) or name (`wildcard-action`), case-insensitively.
    #[must_use]
    pub fn get(&self, code_or_name: &str) -> Option<&RuleMeta> {
        let up = code_or_name.to_ascii_uppercase();
        if let Some(&i) = self.by_code.get(&up) {
            return Some(&self.rules[i]);
        }
        self.rules.iter().find(|r| r.name.eq_ignore_ascii_case(code_or_name))
    }

    /// Look up by evaluator id.
    #[must_use]
    pub fn by_evaluator(&self, evaluator: &str) -> Option<&RuleMeta> {
        self.rules.iter().find(|r| r.evaluator == evaluator)
    }

    /// Look up by category.
    #[must_use]
    pub fn by_category(&self, category: &str) -> Option<&RuleMeta> {
        self.rules.iter().find(|r| r.category == category)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = r#"
code = "PL101"
name = "wildcard-action"
category = "wildcard-action"
severity = "high"
evaluator = "wildcard_action"
summary = "Allow with a wildcard action"
[params]
max = 3
[docs]
what_it_does = "w"
why_bad = "y"
remediation = "r"
[compliance]
pci_dss_v4 = ["7.2.1"]
"#;

    #[test]
    fn loads_and_looks_up() {
        let set = RuleSet::from_sources([("PL101-wildcard-action.toml", RULE)]).unwrap();
        let r = set.get("pl101").unwrap();
        assert_eq!(r.name, "wildcard-action");
        assert_eq!(set.get("wildcard-action").unwrap().code, "PL101");
        assert_eq!(r.param_i64("max", 0), 3);
        assert_eq!(r.compliance.controls("pci-dss-v4").unwrap(), ["7.2.1"]);
        assert!(r.help_text().contains("Remediation"));
    }

    #[test]
    fn rejects_wrong_file_name_and_duplicates() {
        let e = RuleSet::from_sources([("PL102-x.toml", RULE)]).unwrap_err();
        assert!(e.to_string().contains("PL101-wildcard-action.toml"), "{e}");
        let e = RuleSet::from_sources([("PL101-wildcard-action.toml", RULE), ("a/PL101-wildcard-action.toml", RULE)])
            .unwrap_err();
        assert!(matches!(e, RuleLoadError::Duplicate(_)));
    }

    #[test]
    fn unknown_fields_are_errors() {
        let bad = RULE.replace("summary =", "sumary =");
        let e = RuleSet::from_sources([("PL101-wildcard-action.toml", bad.as_str())]).unwrap_err();
        assert!(e.to_string().contains("PL101-wildcard-action.toml"));
    }
}
