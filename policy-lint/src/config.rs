//! `policy-lint.toml`: rule selection, severity overrides, residency and trust settings,
//! exceptions with reason and expiry, and a baseline file.
//!
//! ```toml
//! fail_on = "medium"
//! select = ["ALL"]
//! ignore = ["PL104"]
//! allowed_regions = ["ca-central-1", "ca-west-1"]
//! account_id = "111122223333"
//! trusted_accounts = ["444455556666"]
//! trusted_org_ids = ["o-abc123"]
//! baseline = "policy-lint-baseline.json"
//!
//! [severity]
//! PL101 = "critical"
//!
//! [params.PL501]          # rule parameter overrides, by code
//! global_services = ["iam", "sts", "organizations"]
//!
//! [[exceptions]]
//! rule = "PL201"
//! resource = "module.ci.aws_iam_role.deployer"
//! reason = "Deployer role must pass task roles; reviewed in SEC-123"
//! expires = "2027-03-31"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use common::select::{Exception, RuleFilter};
use common::Severity;
use serde::Deserialize;

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
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
    /// Regions data may live in.
    #[serde(default)]
    pub allowed_regions: Vec<String>,
    /// Turn the residency rule off entirely (`false`).
    pub residency: Option<bool>,
    /// The account that owns the policies.
    pub account_id: Option<String>,
    /// Accounts trusted for cross-account access.
    #[serde(default)]
    pub trusted_accounts: Vec<String>,
    /// Organizations trusted via aws:PrincipalOrgID.
    #[serde(default)]
    pub trusted_org_ids: Vec<String>,
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
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
        let mut cfg: Config = toml::from_str(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))?;
        common::select::validate_exceptions(&cfg.exceptions)
            .map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))?;
        if let Some(b) = &cfg.baseline {
            if b.is_relative() {
                cfg.baseline = Some(path.parent().unwrap_or(Path::new(".")).join(b));
            }
        }
        cfg.path = Some(path.to_path_buf());
        Ok(cfg)
    }

    /// The rule filter from the file, extended by command-line selectors.
    #[must_use]
    pub fn filter(&self, select: &[String], ignore: &[String]) -> RuleFilter {
        let mut f =
            RuleFilter { select: self.select.clone(), ignore: self.ignore.clone(), severity: self.severity.clone() };
        if !select.is_empty() {
            f.select = select.to_vec();
        }
        f.ignore.extend(ignore.iter().cloned());
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_example_and_rejects_typos() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("policy-lint.toml");
        let doc = include_str!("config.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("//! "))
            .skip_while(|l| !l.starts_with("```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("```"))
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(&p, &doc).unwrap();
        let cfg = Config::load(&p).unwrap();
        assert_eq!(cfg.fail_on, Some(Severity::Medium));
        assert_eq!(cfg.exceptions.len(), 1);
        assert_eq!(cfg.baseline.as_deref(), Some(dir.path().join("policy-lint-baseline.json").as_path()));
        std::fs::write(&p, "fail_onn = \"high\"\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("fail_onn") && e.contains("policy-lint.toml"), "{e}");
        std::fs::write(&p, "[[exceptions]]\nrule = \"PL1\"\nreason = \"\"\nexpires = \"2027-01-01\"\n").unwrap();
        assert!(Config::load(&p).unwrap_err().to_string().contains("reason"));
    }
}
