//! `auditor.toml`: regions, residency, data-class tag, thresholds, rule selection, severity and
//! parameter overrides, exceptions with reason and expiry.
//!
//! ```toml
//! regions = ["ca-central-1", "ca-west-1"]        # audited regions (live runs)
//! allowed_regions = ["ca-central-1", "ca-west-1"] # data residency
//! assume_roles = ["arn:aws:iam::444455556666:role/auditor"]
//! data_class_tag = "DataClass"
//! pii_max_expiry_days = 2555
//! logs_min_retention_days = 365
//! kms_max_rotation_days = 365
//! unverified_severity = "low"
//! trusted_accounts = ["444455556666"]
//! trusted_org_ids = ["o-abc123"]
//! fail_on = "high"
//! select = ["ALL"]
//! ignore = ["AU204"]
//! baseline = "previous.json"
//!
//! [severity]
//! AU207 = "high"
//!
//! [params.AU210]
//! data_classes = ["logs", "pii"]
//!
//! [[exceptions]]
//! rule = "AU207"
//! resource = "fcm-scratch"
//! reason = "Scratch bucket, no business data; SEC-42"
//! expires = "2027-01-31"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use common::select::{Exception, RuleFilter};
use common::{RuleMeta, Severity};
use serde::Deserialize;

use crate::checks::Settings;

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Regions to audit (live).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Roles to assume, one per extra account (live).
    #[serde(default)]
    pub assume_roles: Vec<String>,
    /// Regions data may live in.
    pub allowed_regions: Option<Vec<String>>,
    /// Tag key of the data class.
    pub data_class_tag: Option<String>,
    /// PII must expire within this many days.
    pub pii_max_expiry_days: Option<u32>,
    /// Logs must be kept at least this many days.
    pub logs_min_retention_days: Option<u32>,
    /// Maximum KMS rotation period.
    pub kms_max_rotation_days: Option<u32>,
    /// Severity of "could not be verified" findings.
    pub unverified_severity: Option<Severity>,
    /// Accounts trusted in key policies.
    #[serde(default)]
    pub trusted_accounts: Vec<String>,
    /// Organizations trusted in key policies.
    #[serde(default)]
    pub trusted_org_ids: Vec<String>,
    /// Default `--fail-on`.
    pub fail_on: Option<Severity>,
    /// Rule selectors to enable (empty = all).
    #[serde(default)]
    pub select: Vec<String>,
    /// Rule selectors to disable.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Severity overrides by selector.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Rule parameter overrides by rule code.
    #[serde(default)]
    pub params: BTreeMap<String, toml::Table>,
    /// Baseline report (relative to the config file).
    pub baseline: Option<PathBuf>,
    /// Accepted findings.
    #[serde(default)]
    pub exceptions: Vec<Exception>,
    /// Where the file was read from (not in the file).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

impl Config {
    /// Read and validate a config file.
    ///
    /// # Errors
    /// Unreadable file, TOML errors (with line and column), invalid exceptions or thresholds.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
        let mut cfg: Config = toml::from_str(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))?;
        common::select::validate_exceptions(&cfg.exceptions).map_err(|e| {
            anyhow::anyhow!("config {}: exceptions[{}] ({}): {}", path.display(), e.index, e.label, e.message)
        })?;
        if cfg.pii_max_expiry_days == Some(0) {
            anyhow::bail!("config {}: `pii_max_expiry_days` must be at least 1", path.display());
        }
        if let Some(b) = &cfg.baseline {
            if b.is_relative() {
                if let Some(dir) = path.parent() {
                    cfg.baseline = Some(dir.join(b));
                }
            }
        }
        cfg.path = Some(path.to_path_buf());
        Ok(cfg)
    }

    /// Check settings, defaults filled in.
    #[must_use]
    pub fn settings(&self) -> Settings {
        let d = Settings::default();
        Settings {
            allowed_regions: self.allowed_regions.clone().unwrap_or(d.allowed_regions),
            data_class_tag: self.data_class_tag.clone().unwrap_or(d.data_class_tag),
            pii_max_expiry_days: self.pii_max_expiry_days.unwrap_or(d.pii_max_expiry_days),
            logs_min_retention_days: self.logs_min_retention_days.unwrap_or(d.logs_min_retention_days),
            kms_max_rotation_days: self.kms_max_rotation_days.unwrap_or(d.kms_max_rotation_days),
            unverified_severity: self.unverified_severity.unwrap_or(d.unverified_severity),
            trusted_accounts: self.trusted_accounts.clone(),
            trusted_org_ids: self.trusted_org_ids.clone(),
        }
    }

    /// Rule filter: config selectors plus command-line ones.
    #[must_use]
    pub fn filter(&self, select: &[String], ignore: &[String]) -> RuleFilter {
        RuleFilter {
            select: if select.is_empty() { self.select.clone() } else { select.to_vec() },
            ignore: self.ignore.iter().chain(ignore).cloned().collect(),
            severity: self.severity.clone(),
        }
    }

    /// Rules with parameter overrides merged in.
    #[must_use]
    pub fn with_params(&self, rules: &[RuleMeta]) -> Vec<RuleMeta> {
        rules
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if let Some(over) = self.params.get(&r.code) {
                    for (k, v) in over {
                        r.params.insert(k.clone(), v.clone());
                    }
                }
                r
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_example_and_applies_defaults() {
        let text = include_str!("config.rs");
        let example: String = text
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").strip_prefix(' ').unwrap_or(l.trim_start_matches("//!")))
            .collect::<Vec<_>>()
            .join("\n");
        let cfg: Config = toml::from_str(&example).unwrap();
        assert_eq!(cfg.exceptions.len(), 1);
        let s = cfg.settings();
        assert_eq!(s.trusted_org_ids, ["o-abc123"]);
        assert_eq!(Config::default().settings(), Settings::default());
    }

    #[test]
    fn rejects_unknown_keys() {
        assert!(toml::from_str::<Config>("pii_max_days = 3").is_err());
    }
}
