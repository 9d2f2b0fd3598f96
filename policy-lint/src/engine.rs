//! Runs the checks over one parsed policy.
//!
//! A check is a plain function over a [`Ctx`]: it reads the policy, the IAM catalog and the
//! options, and reports findings at the narrowest JSON pointer. The engine fills in rule code,
//! name, category, severity and remediation from the rule file, so checks only say *where* and
//! *what*. Findings leave the engine with a pointer only; the driver adds file, line and
//! Terraform address.

use std::cell::OnceCell;

use common::{Finding, Location, RuleMeta, RuleSet};

use crate::catalog::Catalog;
use crate::checks::analysis::Analysis;
use crate::policy::Policy;

/// Options that change what the checks consider safe.
#[derive(Clone, Debug)]
pub struct AnalyzeOptions {
    /// The account that owns the policy, if known (its own principals are not cross-account).
    pub account_id: Option<String>,
    /// Accounts trusted for cross-account access.
    pub trusted_accounts: Vec<String>,
    /// Organization ids trusted via `aws:PrincipalOrgID`.
    pub trusted_org_ids: Vec<String>,
    /// Regions data may live in (residency); default `ca-central-1`, `ca-west-1`.
    pub allowed_regions: Vec<String>,
    /// Check data residency at all.
    pub residency: bool,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        Self {
            account_id: None,
            trusted_accounts: Vec::new(),
            trusted_org_ids: Vec::new(),
            allowed_regions: vec!["ca-central-1".into(), "ca-west-1".into()],
            residency: true,
        }
    }
}

/// What a check sees.
pub struct Ctx<'a> {
    /// The policy under analysis.
    pub policy: &'a Policy,
    /// The IAM action catalog.
    pub catalog: &'a Catalog,
    /// Options.
    pub opts: &'a AnalyzeOptions,
    /// The rule being evaluated (params already merged with config overrides).
    pub rule: &'a RuleMeta,
    findings: &'a mut Vec<Finding>,
    analysis: &'a OnceCell<Analysis>,
}

impl Ctx<'_> {
    /// Report a finding of the current rule at `pointer`. Returns it for adding evidence.
    pub fn report(&mut self, pointer: impl Into<String>, message: impl Into<String>) -> &mut Finding {
        let r = self.rule;
        let mut f = Finding::new(
            r.code.clone(),
            r.name.clone(),
            r.category.clone(),
            r.severity,
            message,
            Location::default().with_pointer(pointer),
        )
        .with_remediation(r.docs.remediation.trim().to_string());
        if let Some(svc) = &r.service {
            f.service = Some(svc.clone());
        }
        self.findings.push(f);
        self.findings.last_mut().expect("invariant: just pushed")
    }

    /// The cross-statement permission analysis of this policy (computed once, shared by checks).
    pub fn analysis(&self) -> &Analysis {
        self.analysis.get_or_init(|| Analysis::new(self.policy, self.catalog, self.opts))
    }
}

/// A check function.
pub type CheckFn = fn(&mut Ctx<'_>);

/// Run every rule of `rules` that has an evaluator in the registry over `policy`.
#[must_use]
pub fn run(policy: &Policy, catalog: &Catalog, rules: &[RuleMeta], opts: &AnalyzeOptions) -> Vec<Finding> {
    let mut findings = Vec::new();
    let analysis = OnceCell::new();
    for rule in rules {
        let Some(check) = crate::checks::lookup(&rule.evaluator) else { continue };
        let mut ctx = Ctx { policy, catalog, opts, rule, findings: &mut findings, analysis: &analysis };
        check(&mut ctx);
    }
    findings
}

/// The built-in rules of policy-lint (compiled from `rules/policy-lint/*.toml`).
///
/// # Panics
/// If the embedded rule files are invalid — a build-time invariant checked by the test suite.
#[must_use]
pub fn builtin_rules() -> &'static RuleSet {
    static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        RuleSet::from_sources(crate::RULE_FILES.iter().copied()).expect("invariant: embedded rule files are valid")
    })
}
