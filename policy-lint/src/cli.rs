//! Command-line interface (clap derive). Kept dumb: `run.rs` turns it into a validated run.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use common::report::Format;
use common::telemetry::LogFormat;
use common::Severity;

use crate::policy::PolicyKind;

const AFTER_HELP: &str = "\
Examples:
  policy-lint check policies/ terraform/           lint JSON policies and Terraform source
  terraform show -json tfplan > plan.json && policy-lint check plan.json
  policy-lint check --format sarif --output policy-lint.sarif .   for GitHub code scanning
  cat key-policy.json | policy-lint check --policy-type key -
  policy-lint rules                                list every rule
  policy-lint rule PL201                           explain one rule, with examples and remediation

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above --fail-on; 2 an input could not be
read or parsed, or the configuration is invalid (2 wins over 1).";

/// Least-privilege gate for IAM policies: JSON, Terraform source and `terraform show -json` plans.
#[derive(Debug, Parser)]
#[command(name = "policy-lint", version, long_version = crate::catalog::long_version(), after_help = AFTER_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// More logging on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Less logging on stderr.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub quiet: u8,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint policy files, directories, Terraform source and plans (`-` reads stdin).
    Check(CheckArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Explain one rule: what, why, examples, remediation, compliance mappings.
    Rule(RuleArgs),
    /// Look up actions in the IAM catalog (wildcards expanded), or show the catalog header.
    Catalog(CatalogArgs),
}

/// `check` arguments.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to lint; `-` reads one policy from stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Fail (exit 1) on findings at or above this severity [default: config `fail_on`, else high].
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Treat every JSON policy as this type instead of detecting it.
    #[arg(long, value_name = "TYPE", value_parser = parse_kind)]
    pub policy_type: Option<PolicyKind>,
    /// Only these rules (codes, code prefixes like PL2, names or categories; comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Never these rules (same syntax as --select).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Configuration file [default: policy-lint.toml found upward from the working directory].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any policy-lint.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Previous JSON report: findings already in it are reported as unchanged and do not fail.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Use this IAM catalog file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// Regions data may live in (residency rule) [default: ca-central-1,ca-west-1].
    #[arg(long, value_delimiter = ',', value_name = "REGIONS")]
    pub allowed_regions: Vec<String>,
    /// The account the policies belong to (its own principals are not cross-account).
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// Accounts trusted for cross-account access (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub trusted_accounts: Vec<String>,
    /// Load rule files from this directory instead of the built-in ones (rule development).
    #[arg(long, value_name = "DIR", hide = true)]
    pub rules_dir: Option<PathBuf>,
}

/// `rules` arguments.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format (table or json).
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `rule` arguments.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Rule code or name (`PL101`, `wildcard-action`).
    pub rule: String,
    /// Output format (table = text, or json).
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `catalog` arguments.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Action patterns to expand (`s3:Get*`, `iam:*AccessKey*`); none shows the header.
    pub patterns: Vec<String>,
    /// Use this catalog file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
}

fn parse_kind(s: &str) -> Result<PolicyKind, String> {
    s.parse()
}
