//! Command-line interface (clap derive). Kept dumb: `run.rs` turns it into a validated run.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use common::report::Format;
use common::telemetry::LogFormat;
use common::Severity;

const AFTER_HELP: &str = "\
Examples:
  auditor run                                        audit the current account (regions from auditor.toml)
  auditor run --regions ca-central-1,ca-west-1 --assume-role arn:aws:iam::444455556666:role/auditor \\
              --format html --output audit.html       several accounts, HTML report for the security team
  auditor collect --out inventory.json               collect only; `auditor check --inventory` judges it later
  auditor check --inventory inventory.json --baseline last-night.json   new / resolved / unchanged findings
  terraform show -json tfplan > plan.json && auditor check --plan plan.json --format sarif
  auditor check --plan plan.json --framework pci-dss-v4                  findings grouped by PCI DSS requirement
  auditor rules                                      list every rule with its compliance mappings
  auditor rule AU203                                 explain one rule, with examples and remediation

Configuration: auditor.toml (found upward from the working directory, or --config): regions,
allowed_regions, data_class_tag, pii_max_expiry_days, logs_min_retention_days, select/ignore,
severity overrides, exceptions with reason and expiry. See the README.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above --fail-on; 2 the audit is
incomplete (collection errors, unreadable input, invalid configuration). 2 wins over 1.";

/// Nightly compliance audit of the AWS accounts (live through the AWS SDK, or offline on a Terraform plan).
#[derive(Debug, Parser)]
#[command(name = "auditor", version, after_help = AFTER_HELP)]
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
    /// Collect the accounts through the AWS SDK and check them (collect + check).
    Run(RunArgs),
    /// Collect only: write the inventory JSON.
    Collect(CollectArgs),
    /// Check an inventory JSON or a `terraform show -json` plan/state, offline.
    Check(CheckArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Explain one rule: what, why, examples, remediation, compliance mappings.
    Rule(RuleArgs),
}

/// Where and how to collect.
#[derive(Debug, Args, Clone, Default)]
pub struct AwsArgs {
    /// Regions to audit (comma-separated or repeated). Default: `regions` from the config, else
    /// ca-central-1,ca-west-1. S3 buckets are listed in every region regardless.
    #[arg(long, value_delimiter = ',')]
    pub regions: Vec<String>,
    /// Role to assume in another account (repeatable; each role = one audited account).
    #[arg(long = "assume-role", value_name = "ARN")]
    pub assume_role: Vec<String>,
    /// Named AWS profile.
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Endpoint override (emulators); `AWS_ENDPOINT_URL` is honoured too.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Maximum API requests in flight.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Requests-per-second cap per service, `service=rate` (repeatable), e.g. `s3=50`.
    #[arg(long = "max-rps", value_name = "SERVICE=RATE")]
    pub max_rps: Vec<String>,
}

/// Report options shared by `run` and `check`.
#[derive(Debug, Args, Clone, Default)]
pub struct ReportArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Group findings by the controls of a compliance framework (table and HTML).
    #[arg(long, value_enum)]
    pub framework: Option<Framework>,
    /// Previous JSON report: show new, resolved and unchanged findings; only new ones fail.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Lowest severity that fails the run (exit 1). Default: `fail_on` from the config, else high.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Only these rules (codes, prefixes, names or categories; comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Never these rules.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Configuration file (default: auditor.toml found upward from the working directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any auditor.toml.
    #[arg(long)]
    pub no_config: bool,
    /// Load rule files from this directory instead of the built-in ones (development).
    #[arg(long, value_name = "DIR")]
    pub rules_dir: Option<PathBuf>,
    /// Also write the inventory that was checked to FILE (JSON).
    #[arg(long, value_name = "FILE")]
    pub save_inventory: Option<PathBuf>,
}

/// Compliance frameworks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Framework {
    /// PCI DSS v4.0 requirements.
    #[value(name = "pci-dss-v4")]
    PciDssV4,
    /// CIS AWS Foundations Benchmark v4.
    #[value(name = "cis-aws")]
    CisAws,
    /// AWS Security Hub Foundational Security Best Practices.
    #[value(name = "security-hub")]
    SecurityHub,
}

impl Framework {
    /// Id used in rule files and reports.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Framework::PciDssV4 => "pci-dss-v4",
            Framework::CisAws => "cis-aws",
            Framework::SecurityHub => "security-hub",
        }
    }
}

/// `run` arguments.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `collect` arguments.
#[derive(Debug, Args)]
pub struct CollectArgs {
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Inventory JSON output file (`-` = stdout).
    #[arg(long, value_name = "FILE", default_value = "-")]
    pub out: PathBuf,
    /// Configuration file (for `regions` and `assume_roles`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any auditor.toml.
    #[arg(long)]
    pub no_config: bool,
}

/// `check` arguments.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["inventory", "plan"])))]
pub struct CheckArgs {
    /// Inventory JSON written by `auditor collect` (or `run --save-inventory`).
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// `terraform show -json` output of a plan or a state.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `rules` arguments.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `table` or `json`.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `rule` arguments.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Rule code (`AU203`) or name (`s3-kms-not-cmk`).
    pub rule: String,
    /// Markdown instead of plain text.
    #[arg(long)]
    pub markdown: bool,
}
