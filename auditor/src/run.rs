//! The driver: configuration, input (live collection, inventory file or plan), checks,
//! suppression, baseline, report, exit status.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use common::report::{Format, Report, ToolError};
use common::rules::RuleSet;
use common::select::{self, Baseline, Suppressed};
use common::{ExitStatus, Finding, RuleMeta, Severity};

use crate::checks::{self, Settings};
use crate::cli::{AwsArgs, CheckArgs, Cli, CollectArgs, Command, ReportArgs, RuleArgs, RulesArgs, RunArgs};
use crate::config::Config;
use crate::inventory::Inventory;

/// Run the CLI.
///
/// # Errors
/// Invalid configuration or arguments, or a report that cannot be written (exit 2).
pub fn run(cli: Cli) -> Result<ExitStatus> {
    common::telemetry::init(cli.log_format, common::telemetry::level(cli.verbose, cli.quiet));
    match cli.command {
        Command::Run(args) => run_live(&args),
        Command::Collect(args) => collect_only(&args),
        Command::Check(args) => check(&args),
        Command::Rules(args) => rules(&args),
        Command::Rule(args) => rule(&args),
    }
}

fn load_config(explicit: Option<&Path>, none: bool) -> Result<Config> {
    if none {
        return Ok(Config::default());
    }
    match common::config::resolve(explicit, "auditor") {
        Some(p) => Config::load(&p),
        None => Ok(Config::default()),
    }
}

fn write_out(output: Option<&Path>, render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    match output.filter(|p| p.as_os_str() != "-") {
        Some(p) => {
            let mut f =
                std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?);
            render(&mut f).with_context(|| format!("writing {}", p.display()))?;
            f.flush()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            render(&mut lock).context("writing to stdout")?;
            lock.flush().context("writing to stdout")?;
        }
    }
    Ok(())
}

fn collect_options(aws: &AwsArgs, cfg: &Config) -> Result<crate::collect::CollectOptions> {
    let mut opts = crate::collect::CollectOptions {
        regions: if aws.regions.is_empty() { cfg.regions.clone() } else { aws.regions.clone() },
        assume_roles: if aws.assume_role.is_empty() { cfg.assume_roles.clone() } else { aws.assume_role.clone() },
        profile: aws.profile.clone(),
        endpoint_url: aws.endpoint_url.clone(),
        concurrency: aws.concurrency.max(1),
        ..crate::collect::CollectOptions::default()
    };
    for spec in &aws.max_rps {
        let (svc, rate) = spec.split_once('=').with_context(|| format!("--max-rps `{spec}`: expected SERVICE=RATE"))?;
        let service = crate::collect::Service::parse(svc.trim()).with_context(|| {
            format!("--max-rps `{spec}`: unknown service `{svc}` (s3, kms, iam, sts, cloudtrail, logs, kinesis)")
        })?;
        let rate: f64 = rate
            .trim()
            .parse()
            .ok()
            .filter(|r: &f64| *r > 0.0)
            .with_context(|| format!("--max-rps `{spec}`: rate must be a positive number"))?;
        opts.max_rps.insert(service, rate);
    }
    Ok(opts)
}

fn collect_live(aws: &AwsArgs, cfg: &Config) -> Result<Inventory> {
    let opts = collect_options(aws, cfg)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    Ok(rt.block_on(crate::collect::collect(&opts)))
}

fn collect_only(args: &CollectArgs) -> Result<ExitStatus> {
    let cfg = load_config(args.config.as_deref(), args.no_config)?;
    let inv = collect_live(&args.aws, &cfg)?;
    write_out(Some(&args.out), |w| {
        serde_json::to_writer_pretty(&mut *w, &inv)?;
        writeln!(w)
    })?;
    for e in &inv.collection_errors {
        tracing::error!(message = "Not collected.", service = %e.service, operation = %e.operation, region = e.region.as_deref().unwrap_or("-"), code = %e.code);
    }
    Ok(if inv.collection_errors.is_empty() { ExitStatus::Clean } else { ExitStatus::Error })
}

fn run_live(args: &RunArgs) -> Result<ExitStatus> {
    let cfg = load_config(args.report.config.as_deref(), args.report.no_config)?;
    let inv = collect_live(&args.aws, &cfg)?;
    audit(Ok(inv), &args.report, &cfg)
}

fn check(args: &CheckArgs) -> Result<ExitStatus> {
    let cfg = load_config(args.report.config.as_deref(), args.report.no_config)?;
    let input = if let Some(p) = &args.inventory {
        load_inventory(p)
    } else if let Some(p) = &args.plan {
        crate::plan::load(p)
    } else {
        anyhow::bail!("give --inventory FILE or --plan FILE");
    };
    audit(input, &args.report, &cfg)
}

/// Read an inventory JSON file; errors name the file, line and column.
///
/// # Errors
/// Unreadable or invalid file, as a [`ToolError`].
pub fn load_inventory(path: &Path) -> std::result::Result<Inventory, ToolError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ToolError::new(&file, "io", format!("cannot read: {e}")))?;
    serde_json::from_str::<Inventory>(&text).map_err(|e| {
        let mut te = ToolError::new(&file, "parse", format!("not an auditor inventory: {e}"));
        te.line = u32::try_from(e.line()).ok().filter(|l| *l > 0);
        te.column = u32::try_from(e.column()).ok().filter(|c| *c > 0);
        te
    })
}

/// Load the rules (built-in or `--rules-dir`).
fn load_rules(dir: Option<&Path>) -> Result<RuleSet> {
    match dir {
        Some(d) => RuleSet::load_dir(d).with_context(|| format!("loading rules from {}", d.display())),
        None => Ok(crate::builtin_rules()),
    }
}

/// Everything `audit` computes, before rendering (used by tests and the CLI).
pub struct Audit {
    /// The report.
    pub report: Report,
    /// Exit status.
    pub status: ExitStatus,
}

/// Check an inventory with rules, settings and report options; no I/O except the baseline.
///
/// # Errors
/// Unknown rule selectors or an unreadable baseline.
pub fn evaluate(
    input: std::result::Result<Inventory, ToolError>,
    args: &ReportArgs,
    cfg: &Config,
    all_rules: &RuleSet,
) -> Result<Audit> {
    let settings: Settings = cfg.settings();
    let filter = cfg.filter(&args.select, &args.ignore);
    let unknown = filter.unknown_selectors(all_rules.rules());
    if !unknown.is_empty() {
        anyhow::bail!("unknown rule selector(s): {} (see `auditor rules`)", unknown.join(", "));
    }
    let enabled: Vec<RuleMeta> = cfg.with_params(all_rules.rules()).into_iter().filter(|r| filter.enabled(r)).collect();
    let fail_on = args.fail_on.or(cfg.fail_on).unwrap_or(Severity::High);

    let mut errors: Vec<ToolError> = Vec::new();
    let mut metadata = std::collections::BTreeMap::new();
    let findings: Vec<Finding> = match &input {
        Ok(inv) => {
            for e in &inv.collection_errors {
                let scope =
                    [Some(e.service.as_str()), e.account.as_deref(), e.region.as_deref(), e.resource.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join("/");
                errors.push(ToolError::new(
                    scope,
                    "collection",
                    format!("{} failed: {}: {}", e.operation, e.code, e.message),
                ));
            }
            metadata.insert("source".into(), serde_json::to_value(&inv.source).unwrap_or_default());
            metadata.insert("accounts".into(), inv.accounts.iter().map(|a| a.id.clone()).collect::<Vec<_>>().into());
            metadata.insert("regions".into(), inv.regions.clone().into());
            metadata.insert(
                "resources".into(),
                serde_json::json!({
                    "buckets": inv.buckets.len(), "kms_keys": inv.kms_keys.len(), "trails": inv.trails.len(),
                    "log_groups": inv.log_groups.len(), "kinesis_streams": inv.kinesis_streams.len(), "iam_roles": inv.iam_roles.len(),
                }),
            );
            if !inv.computed.is_empty() {
                metadata.insert("computed_values".into(), inv.computed.len().into());
            }
            checks::run_all(inv, &settings, &enabled)
        }
        Err(e) => {
            errors.push(e.clone());
            Vec::new()
        }
    };
    metadata.insert("settings".into(), serde_json::to_value(&settings).unwrap_or_default());

    let today = jiff::ZonedDateTime::now().date();
    let cfg_file = cfg.path.as_ref().map(|p| p.display().to_string());
    let applied = select::apply(findings, &filter, &cfg.exceptions, today, cfg_file.as_deref());
    let mut findings = applied.findings;
    let mut suppressed: Vec<Suppressed> = applied.suppressed;
    let diagnostics = applied.diagnostics;

    let mut baseline_diff = None;
    if let Some(bp) = args.baseline.clone().or_else(|| cfg.baseline.clone()) {
        let base = Baseline::load(&bp).map_err(|e| anyhow::anyhow!("baseline {}: {}", e.file, e.message))?;
        baseline_diff = Some(base.diff(&findings));
        let (known, new): (Vec<_>, Vec<_>) = findings.into_iter().partition(|f| base.contains(f));
        suppressed.extend(known.into_iter().map(|f| Suppressed {
            finding: f,
            by: "baseline".into(),
            reason: "in baseline".into(),
        }));
        findings = new;
    }
    findings.extend(diagnostics);
    common::finding::sort_findings(&mut findings);

    if let Some(fw) = args.framework {
        let titles = framework_titles(fw.id());
        let mut groups: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
        for f in &findings {
            let controls =
                enabled.iter().find(|r| r.code == f.code).and_then(|r| r.compliance.controls(fw.id())).unwrap_or(&[]);
            if controls.is_empty() {
                groups.entry("(unmapped)".into()).or_default().push(f.fingerprint.clone());
            }
            for c in controls {
                groups.entry(c.clone()).or_default().push(f.fingerprint.clone());
            }
        }
        let controls: serde_json::Map<String, serde_json::Value> = groups
            .into_iter()
            .map(|(c, fps)| {
                let title = titles.get(&c).cloned().unwrap_or_default();
                (c, serde_json::json!({ "title": title, "findings": fps }))
            })
            .collect();
        metadata.insert("framework".into(), serde_json::json!({ "id": fw.id(), "controls": controls }));
    }

    let failing = select::failing(&findings, fail_on, &enabled).len();
    let mut status = if failing > 0 { ExitStatus::Findings } else { ExitStatus::Clean };
    if !errors.is_empty() {
        status = status.combine(ExitStatus::Error);
    }
    let report = Report {
        tool: "auditor".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        metadata,
        findings,
        suppressed,
        errors,
        baseline: baseline_diff,
        rules: enabled,
        fail_on,
        group_by_framework: args.framework.map(|f| f.id().to_string()),
    };
    Ok(Audit { report, status })
}

fn audit(input: std::result::Result<Inventory, ToolError>, args: &ReportArgs, cfg: &Config) -> Result<ExitStatus> {
    if let (Some(path), Ok(inv)) = (&args.save_inventory, &input) {
        write_out(Some(path), |w| {
            serde_json::to_writer_pretty(&mut *w, inv)?;
            writeln!(w)
        })?;
    }
    let all_rules = load_rules(args.rules_dir.as_deref())?;
    let Audit { report, status } = evaluate(input, args, cfg, &all_rules)?;
    write_out(args.output.as_deref(), |w| report.render(args.format, w))?;
    for e in &report.errors {
        tracing::error!(message = "Not audited.", error = %e.display());
    }
    Ok(status)
}

fn rules(args: &RulesArgs) -> Result<ExitStatus> {
    let set = crate::builtin_rules();
    write_out(None, |w| match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, set.rules())?;
            writeln!(w)
        }
        _ => {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED).force_no_tty();
            t.set_header([
                "Code",
                "Category",
                "Severity",
                "Service",
                "PCI DSS v4",
                "CIS AWS",
                "Security Hub",
                "Summary",
            ]);
            for r in set.rules() {
                t.add_row([
                    r.code.as_str(),
                    &r.category,
                    r.severity.as_str(),
                    r.service.as_deref().unwrap_or("-"),
                    &r.compliance.pci_dss_v4.join(", "),
                    &r.compliance.cis_aws.join(", "),
                    &r.compliance.security_hub.join(", "),
                    &r.summary,
                ]);
            }
            writeln!(w, "{t}")?;
            writeln!(w, "{} rules. `auditor rule CODE` explains one.", set.rules().len())
        }
    })?;
    Ok(ExitStatus::Clean)
}

fn rule(args: &RuleArgs) -> Result<ExitStatus> {
    let set = crate::builtin_rules();
    let Some(r) = set.get(&args.rule) else {
        anyhow::bail!("no rule `{}` (see `auditor rules`)", args.rule);
    };
    write_out(
        None,
        |w| if args.markdown { write!(w, "{}", r.help_markdown()) } else { write!(w, "{}", r.help_text()) },
    )?;
    Ok(ExitStatus::Clean)
}

/// Control titles of a framework (`rules/frameworks/<id>.toml`, compiled in).
fn framework_titles(id: &str) -> std::collections::BTreeMap<String, String> {
    let text = match id {
        "pci-dss-v4" => include_str!("../../rules/frameworks/pci-dss-v4.toml"),
        "cis-aws" => include_str!("../../rules/frameworks/cis-aws.toml"),
        "security-hub" => include_str!("../../rules/frameworks/security-hub.toml"),
        _ => return std::collections::BTreeMap::new(),
    };
    let doc: toml::Table = toml::from_str(text).unwrap_or_default();
    doc.get("controls")
        .and_then(|c| c.as_table())
        .map(|t| {
            t.iter()
                .map(|(k, v)| (k.clone(), v.get("title").and_then(|t| t.as_str()).unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}
