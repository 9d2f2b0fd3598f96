//! What every check shares: settings, the finding sink, resource identity and data classes.

use common::finding::{Finding, Location, Severity};
use common::rules::RuleMeta;
use serde::{Deserialize, Serialize};

use crate::inventory::{Bucket, Fact, IamRole, KinesisStream, KmsKey, LogGroup, Tags, Trail, UnknownReason};

/// Audit-wide settings (from `auditor.toml`, with defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Regions data may live in.
    pub allowed_regions: Vec<String>,
    /// Tag key holding the data class (`pii`, `logs`).
    pub data_class_tag: String,
    /// PII must expire within this many days.
    pub pii_max_expiry_days: u32,
    /// Logs must be kept at least this many days.
    pub logs_min_retention_days: u32,
    /// Maximum automatic rotation period of a customer managed key.
    pub kms_max_rotation_days: u32,
    /// Severity of "could not be verified" findings (capped at the rule's severity).
    pub unverified_severity: Severity,
    /// Accounts trusted in key policies (besides the key's own account).
    pub trusted_accounts: Vec<String>,
    /// Organization ids trusted via `aws:PrincipalOrgID`.
    pub trusted_org_ids: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allowed_regions: vec!["ca-central-1".into(), "ca-west-1".into()],
            data_class_tag: "DataClass".into(),
            pii_max_expiry_days: 2555,
            logs_min_retention_days: 365,
            kms_max_rotation_days: 365,
            unverified_severity: Severity::Low,
            trusted_accounts: Vec::new(),
            trusted_org_ids: Vec::new(),
        }
    }
}

impl Settings {
    /// Is `region` an allowed region?
    #[must_use]
    pub fn region_allowed(&self, region: &str) -> bool {
        self.allowed_regions.iter().any(|r| r == region)
    }

    /// Data class of a resource from its tags.
    #[must_use]
    pub fn data_class(&self, tags: &Fact<Tags>) -> Fact<DataClass> {
        tags.as_ref().map(|t| match t.get(&self.data_class_tag).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            Some("pii") => DataClass::Pii,
            Some("logs" | "log" | "audit-logs") => DataClass::Logs,
            _ => DataClass::Other,
        })
    }
}

/// Data class of a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataClass {
    /// Personal data of customers: must expire.
    Pii,
    /// Logs and audit evidence: must be kept.
    Logs,
    /// Anything else (or untagged).
    Other,
}

/// Identity of a resource in findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Res {
    /// Service (`s3`, `kms`, `cloudtrail`, `logs`, `kinesis`, `iam`).
    pub service: &'static str,
    /// Kind (`bucket`, `key`, …).
    pub kind: &'static str,
    /// Display id: Terraform address offline, ARN (or name) live.
    pub id: String,
    /// Name (bucket name, key id, …).
    pub name: String,
    /// ARN if known.
    pub arn: Option<String>,
    /// Account.
    pub account: Option<String>,
    /// Region.
    pub region: Option<String>,
}

impl Res {
    fn new(
        service: &'static str,
        kind: &'static str,
        name: &str,
        arn: Option<&String>,
        address: Option<&String>,
        account: Option<&String>,
        region: Option<&str>,
    ) -> Res {
        Res {
            service,
            kind,
            id: address.or(arn).cloned().unwrap_or_else(|| name.to_string()),
            name: name.to_string(),
            arn: arn.cloned(),
            account: account.cloned(),
            region: region.map(str::to_string),
        }
    }

    /// A bucket.
    #[must_use]
    pub fn bucket(b: &Bucket) -> Res {
        Res::new(
            "s3",
            "bucket",
            &b.name,
            b.arn.as_ref(),
            b.address.as_ref(),
            b.account.as_ref(),
            b.region.known().map(String::as_str),
        )
    }

    /// A KMS key.
    #[must_use]
    pub fn key(k: &KmsKey) -> Res {
        Res::new("kms", "key", &k.id, k.arn.as_ref(), k.address.as_ref(), k.account.as_ref(), Some(&k.region))
    }

    /// A trail.
    #[must_use]
    pub fn trail(t: &Trail) -> Res {
        Res::new(
            "cloudtrail",
            "trail",
            &t.name,
            t.arn.as_ref(),
            t.address.as_ref(),
            t.account.as_ref(),
            Some(&t.home_region),
        )
    }

    /// A log group.
    #[must_use]
    pub fn log_group(g: &LogGroup) -> Res {
        Res::new("logs", "log group", &g.name, g.arn.as_ref(), g.address.as_ref(), g.account.as_ref(), Some(&g.region))
    }

    /// A Kinesis stream.
    #[must_use]
    pub fn stream(s: &KinesisStream) -> Res {
        Res::new("kinesis", "stream", &s.name, s.arn.as_ref(), s.address.as_ref(), s.account.as_ref(), Some(&s.region))
    }

    /// An IAM role.
    #[must_use]
    pub fn role(r: &IamRole) -> Res {
        Res::new("iam", "role", &r.name, r.arn.as_ref(), r.address.as_ref(), r.account.as_ref(), None)
    }

    /// Human label: `bucket \`name\``.
    #[must_use]
    pub fn label(&self) -> String {
        format!("{} `{}`", self.kind, self.name)
    }
}

/// Collects one rule's findings.
pub struct Sink<'a> {
    rule: &'a RuleMeta,
    settings: &'a Settings,
    findings: Vec<Finding>,
}

impl<'a> Sink<'a> {
    /// A sink for `rule`.
    #[must_use]
    pub fn new(rule: &'a RuleMeta, settings: &'a Settings) -> Self {
        Sink { rule, settings, findings: Vec::new() }
    }

    /// The rule being evaluated (for its params).
    #[must_use]
    pub fn rule(&self) -> &RuleMeta {
        self.rule
    }

    /// Integer rule parameter.
    #[must_use]
    pub fn param_i64(&self, key: &str, default: i64) -> i64 {
        self.rule.param_i64(key, default)
    }

    /// String-list rule parameter.
    #[must_use]
    pub fn param_strings(&self, key: &str, default: &[&str]) -> Vec<String> {
        if self.rule.params.contains_key(key) {
            self.rule.param_strings(key)
        } else {
            default.iter().map(|s| (*s).to_string()).collect()
        }
    }

    /// Severity parameter, or the rule's severity.
    #[must_use]
    pub fn param_severity(&self, key: &str) -> Severity {
        self.rule.params.get(key).and_then(|v| v.as_str()).and_then(|s| s.parse().ok()).unwrap_or(self.rule.severity)
    }

    /// Report a finding at `pointer` (attribute path inside the resource, e.g. `/encryption`).
    pub fn report(&mut self, res: &Res, pointer: &str, message: impl Into<String>) -> &mut Finding {
        self.report_with(res, pointer, self.rule.severity, message)
    }

    /// Report with an explicit severity.
    pub fn report_with(
        &mut self,
        res: &Res,
        pointer: &str,
        severity: Severity,
        message: impl Into<String>,
    ) -> &mut Finding {
        let loc = Location {
            address: Some(res.id.clone()),
            pointer: Some(pointer.to_string()),
            account: res.account.clone(),
            region: res.region.clone(),
            ..Location::default()
        };
        let mut f = Finding::new(&self.rule.code, &self.rule.name, &self.rule.category, severity, message, loc)
            .with_remediation(self.rule.docs.remediation.trim())
            .with_service(res.service);
        if let Some(arn) = &res.arn {
            if arn != &res.id {
                f = f.with_evidence("arn", arn.as_str());
            }
        }
        self.findings.push(f);
        self.findings.last_mut().expect("invariant: just pushed")
    }

    /// An unknown value that this rule needed. Silent when a collection error already reports
    /// the gap; otherwise a "not verified" finding.
    pub fn unknown(&mut self, res: &Res, pointer: &str, what: &str, reason: UnknownReason) {
        if reason.reported_elsewhere() {
            return;
        }
        let sev = self.settings.unverified_severity.min(self.rule.severity);
        let why = match reason {
            UnknownReason::Computed => "known only after apply",
            UnknownReason::Unsupported => "not available from the API where it was collected",
            _ => "not collected",
        };
        let msg = format!("{} could not be verified: {what} is {why}", res.label());
        self.report_with(res, pointer, sev, msg).evidence.insert("unverified".into(), reason.as_str().into());
    }

    /// The findings.
    #[must_use]
    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

/// Resolve a fact or report it unknown and return `None`.
pub fn need<'f, T>(sink: &mut Sink<'_>, res: &Res, pointer: &str, what: &str, fact: &'f Fact<T>) -> Option<&'f T> {
    match fact {
        Fact::Known(v) => Some(v),
        Fact::Unknown(r) => {
            sink.unknown(res, pointer, what, *r);
            None
        }
    }
}

/// Is this KMS key reference the AWS managed key of a service (`alias/aws/s3`)?
#[must_use]
pub fn is_aws_managed_alias(reference: &str) -> bool {
    reference.starts_with("alias/aws/") || reference.contains(":alias/aws/")
}

/// Account id in an ARN.
#[must_use]
pub fn arn_account(arn: &str) -> Option<&str> {
    let a = arn.split(':').nth(4)?;
    (!a.is_empty()).then_some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_class_and_regions() {
        let s = Settings::default();
        let tags = |v: &str| Fact::Known(Tags::from([("DataClass".to_string(), v.to_string())]));
        assert_eq!(s.data_class(&tags(" PII ")), Fact::Known(DataClass::Pii));
        assert_eq!(s.data_class(&tags("logs")), Fact::Known(DataClass::Logs));
        assert_eq!(s.data_class(&tags("public")), Fact::Known(DataClass::Other));
        assert_eq!(s.data_class(&Fact::computed()), Fact::computed());
        assert!(s.region_allowed("ca-west-1") && !s.region_allowed("us-east-1"));
        assert!(
            is_aws_managed_alias("alias/aws/s3")
                && is_aws_managed_alias("arn:aws:kms:ca-central-1:1:alias/aws/kinesis")
        );
        assert!(!is_aws_managed_alias("alias/fcm-data"));
        assert_eq!(arn_account("arn:aws:kms:ca-central-1:111122223333:key/x"), Some("111122223333"));
        assert_eq!(arn_account("arn:aws:s3:::bucket"), None);
    }
}
