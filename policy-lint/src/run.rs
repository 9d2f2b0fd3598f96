//! The driver: configuration, inputs, checks, suppression, report, exit status.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use common::report::{Format, Report, ToolError};
use common::rules::RuleSet;
use common::select::{self, Baseline, Suppressed};
use common::{ExitStatus, Finding, Location, RuleMeta, Severity};

use crate::catalog::Catalog;
use crate::cli::{CatalogArgs, CheckArgs, Cli, Command, RuleArgs, RulesArgs};
use crate::config::Config;
use crate::engine::{self, AnalyzeOptions};
use crate::input::{self, Content, InputOptions};

/// Evaluator id of the input-level rule for policies unknown until apply.
pub const COMPUTED_UNKNOWN_EVALUATOR: &str = "input_computed_unknown";

/// Run the CLI.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    common::telemetry::init(cli.log_format, common::telemetry::level(cli.verbose, cli.quiet));
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Rules(args) => rules(&args),
        Command::Rule(args) => rule(&args),
        Command::Catalog(args) => catalog(&args),
    }
}

fn load_rules(dir: Option<&Path>) -> Result<RuleSet> {
    match dir {
        Some(d) => RuleSet::load_dir(d).with_context(|| format!("loading rules from {}", d.display())),
        None => Ok(engine::builtin_rules().clone()),
    }
}

fn write_out(output: Option<&Path>, render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    match output {
        Some(p) => {
            let mut f =
                std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?);
            render(&mut f).with_context(|| format!("writing {}", p.display()))?;
            f.flush()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            render(&mut lock).context("writing report to stdout")?;
            lock.flush().context("writing report to stdout")?;
        }
    }
    Ok(())
}

/// Rule metadata with config parameter overrides merged in.
fn with_params(rules: &[RuleMeta], cfg: &Config) -> Vec<RuleMeta> {
    rules
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(over) = cfg.params.get(&r.code) {
                for (k, v) in over {
                    r.params.insert(k.clone(), v.clone());
                }
            }
            r
        })
        .collect()
}

fn check(args: &CheckArgs) -> Result<ExitStatus> {
    let cfg = if args.no_config {
        Config::default()
    } else {
        match common::config::resolve(args.config.as_deref(), "policy-lint") {
            Some(p) => Config::load(&p)?,
            None => Config::default(),
        }
    };
    let all_rules = load_rules(args.rules_dir.as_deref())?;
    let filter = cfg.filter(&args.select, &args.ignore);
    let unknown = filter.unknown_selectors(all_rules.rules());
    if !unknown.is_empty() {
        anyhow::bail!("unknown rule selector(s): {} (see `policy-lint rules`)", unknown.join(", "));
    }
    let enabled: Vec<RuleMeta> =
        with_params(all_rules.rules(), &cfg).into_iter().filter(|r| filter.enabled(r)).collect();
    let fail_on = args.fail_on.or(cfg.fail_on).unwrap_or(Severity::High);

    let custom_catalog;
    let catalog: &Catalog = match &args.catalog {
        Some(p) => {
            custom_catalog = Catalog::load(p).with_context(|| format!("loading catalog {}", p.display()))?;
            &custom_catalog
        }
        None => Catalog::builtin(),
    };

    let mut opts = AnalyzeOptions::default();
    let regions =
        if args.allowed_regions.is_empty() { cfg.allowed_regions.clone() } else { args.allowed_regions.clone() };
    if !regions.is_empty() {
        opts.allowed_regions = regions;
    }
    opts.residency = cfg.residency.unwrap_or(true);
    opts.account_id = args.account_id.clone().or_else(|| cfg.account_id.clone());
    opts.trusted_accounts = cfg.trusted_accounts.iter().chain(&args.trusted_accounts).cloned().collect();
    opts.trusted_org_ids = cfg.trusted_org_ids.clone();

    let unknown_rule = enabled.iter().find(|r| r.evaluator == COMPUTED_UNKNOWN_EVALUATOR);
    // Documents are independent: each is linted on the core that loaded it, as soon as it is
    // loaded, keeping their order.
    let loaded = input::load_map(
        &args.paths,
        &InputOptions { policy_type: args.policy_type, ..InputOptions::default() },
        &|doc| lint_document(doc, catalog, &enabled, &opts, unknown_rule),
    );
    let mut errors: Vec<ToolError> = loaded.errors;
    let mut findings: Vec<Finding> = Vec::new();
    let mut suppressed: Vec<Suppressed> = Vec::new();
    let mut diagnostics: Vec<Finding> = Vec::new();
    let documents = loaded.results.len();
    for o in loaded.results {
        errors.extend(o.error);
        findings.extend(o.findings);
        suppressed.extend(o.suppressed);
        diagnostics.extend(o.diagnostics);
    }

    let today = jiff::ZonedDateTime::now().date();
    let cfg_file = cfg.path.as_ref().map(|p| p.display().to_string());
    let applied = select::apply(findings, &filter, &cfg.exceptions, today, cfg_file.as_deref());
    let mut findings = applied.findings;
    suppressed.extend(applied.suppressed);
    diagnostics.extend(applied.diagnostics);

    let baseline_path = args.baseline.clone().or_else(|| cfg.baseline.clone());
    let mut baseline_diff = None;
    if let Some(bp) = baseline_path {
        let base = Baseline::load(&bp)?;
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

    let failing = select::failing(&findings, fail_on, &enabled).len();
    let mut report = Report {
        tool: "policy-lint".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        findings,
        suppressed,
        errors,
        baseline: baseline_diff,
        rules: enabled,
        fail_on,
        ..Report::default()
    };
    let h = catalog.header();
    report.metadata.insert(
        "catalog".into(),
        serde_json::json!({ "source": h.source, "version": h.source_version, "generated_at": h.generated_at, "actions": h.actions }),
    );
    report.metadata.insert("inputs".into(), serde_json::json!(loaded.inputs));
    report.metadata.insert("policies".into(), serde_json::json!(documents));
    write_out(args.output.as_deref(), |w| report.render(args.format, w))?;
    if !report.errors.is_empty() {
        for e in &report.errors {
            tracing::error!(message = "Input not checked.", error = %e.display());
        }
    }
    let mut status = ExitStatus::Clean;
    if failing > 0 {
        status = ExitStatus::Findings;
    }
    if !report.errors.is_empty() {
        status = status.combine(ExitStatus::Error);
    }
    // The report can hold tens of thousands of findings and the process ends next: freeing them
    // one by one is wasted work.
    std::mem::forget(report);
    Ok(status)
}

fn rules(args: &RulesArgs) -> Result<ExitStatus> {
    let set = engine::builtin_rules();
    write_out(None, |w| match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, set.rules())?;
            writeln!(w)
        }
        _ => {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED).force_no_tty();
            t.set_header(["Code", "Name", "Category", "Severity", "Status", "Summary"]);
            for r in set.rules() {
                let status = match r.status {
                    common::rules::Status::Stable => "stable",
                    common::rules::Status::Preview => "preview",
                };
                t.add_row([r.code.as_str(), &r.name, &r.category, r.severity.as_str(), status, &r.summary]);
            }
            writeln!(w, "{t}")?;
            writeln!(w, "{} rules. `policy-lint rule CODE` explains one.", set.rules().len())
        }
    })?;
    Ok(ExitStatus::Clean)
}

fn rule(args: &RuleArgs) -> Result<ExitStatus> {
    let set = engine::builtin_rules();
    let Some(r) = set.get(&args.rule) else {
        anyhow::bail!("no rule `{}` (see `policy-lint rules`)", args.rule);
    };
    write_out(None, |w| match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, r)?;
            writeln!(w)
        }
        _ => write!(w, "{}", r.help_text()),
    })?;
    Ok(ExitStatus::Clean)
}

fn catalog(args: &CatalogArgs) -> Result<ExitStatus> {
    let custom;
    let cat: &Catalog = match &args.catalog {
        Some(p) => {
            custom = Catalog::load(p).with_context(|| format!("loading catalog {}", p.display()))?;
            &custom
        }
        None => Catalog::builtin(),
    };
    let h = cat.header();
    write_out(None, |w| {
        if args.patterns.is_empty() {
            writeln!(w, "source: {} {}\ngenerated: {}", h.source, h.source_version, h.generated_at)?;
            writeln!(
                w,
                "services: {}\nactions: {}\nresource types: {}\ncondition keys: {}",
                h.services, h.actions, h.resource_types, h.condition_keys
            )?;
        }
        for p in &args.patterns {
            let found = cat.expand(p);
            if found.is_empty() {
                match cat.suggest_action(p) {
                    Some(s) => writeln!(w, "{p}: no such action (did you mean {s}?)")?,
                    None => writeln!(w, "{p}: no such action")?,
                }
            }
            for a in found {
                writeln!(w, "{}\t{:?}", a.full_name(), a.access_level)?;
            }
        }
        Ok(())
    })?;
    Ok(ExitStatus::Clean)
}

/// What linting one document gave.
#[derive(Default)]
struct DocOutcome {
    findings: Vec<Finding>,
    error: Option<ToolError>,
    suppressed: Vec<Suppressed>,
    diagnostics: Vec<Finding>,
}

fn lint_document(
    doc: &input::Document,
    catalog: &Catalog,
    enabled: &[RuleMeta],
    opts: &AnalyzeOptions,
    unknown_rule: Option<&RuleMeta>,
) -> DocOutcome {
    let mut out = DocOutcome::default();
    let base = Location { file: Some(doc.file.clone()), address: doc.address.clone(), ..Location::default() };
    let mut doc_findings = match &doc.content {
        Content::Unknown { reason, line } => match unknown_rule {
            Some(r) => {
                let mut loc = base.clone();
                loc.line = *line;
                vec![Finding::new(
                    &r.code,
                    &r.name,
                    &r.category,
                    r.severity,
                    format!("policy not analysable: {reason}"),
                    loc,
                )
                .with_remediation(r.docs.remediation.trim())]
            }
            None => vec![],
        },
        Content::Policy { value, locator } => match crate::policy::parse(value, doc.kind) {
            Err(e) => {
                let mut te = ToolError::new(&doc.file, "policy", e.message.clone());
                if let Some((l, c)) = locator.locate(&e.pointer) {
                    te.line = Some(l);
                    te.column = Some(c);
                }
                te.pointer = Some(e.pointer.clone());
                if let Some(a) = &doc.address {
                    te.source = format!("{} ({a})", doc.file);
                }
                return DocOutcome { error: Some(te), ..DocOutcome::default() };
            }
            Ok(policy) => {
                let mut fs = engine::run(&policy, catalog, enabled, opts);
                for f in &mut fs {
                    let pointer = f.location.pointer.take();
                    let mut loc = base.clone();
                    if let Some(p) = &pointer {
                        if let Some((l, c)) = locator.locate(p) {
                            loc.line = Some(l);
                            loc.column = Some(c);
                        }
                    }
                    loc.pointer = pointer;
                    f.location = loc;
                    f.evidence.insert("policy_type".into(), doc.kind.as_str().into());
                    f.refresh_fingerprint();
                }
                fs
            }
        },
    };
    // Inline `policy-lint:ignore` comments (Terraform) apply to their document.
    let mut used = vec![false; doc.inline_ignores.len()];
    doc_findings.retain(|f| {
        let hit = doc
            .inline_ignores
            .iter()
            .position(|ig| ig.rule.eq_ignore_ascii_case(&f.code) || ig.rule.eq_ignore_ascii_case(&f.rule));
        match hit {
            Some(i) if !doc.inline_ignores[i].reason.trim().is_empty() => {
                used[i] = true;
                out.suppressed.push(Suppressed {
                    finding: f.clone(),
                    by: "inline".into(),
                    reason: doc.inline_ignores[i].reason.clone(),
                });
                false
            }
            _ => true,
        }
    });
    for (i, ig) in doc.inline_ignores.iter().enumerate() {
        let loc = Location {
            file: Some(doc.file.clone()),
            line: Some(ig.line),
            address: doc.address.clone(),
            ..Location::default()
        };
        if ig.reason.trim().is_empty() {
            out.diagnostics.push(Finding::new(
                "X003",
                "ignore-without-reason",
                "ignore-without-reason",
                Severity::High,
                format!("`policy-lint:ignore {}` needs a reason=\"...\"; the finding is not suppressed", ig.rule),
                loc,
            ));
        } else if !used[i] {
            out.diagnostics.push(Finding::new(
                "X002",
                "unused-exception",
                "unused-exception",
                Severity::Low,
                format!("`policy-lint:ignore {}` suppresses nothing; remove it", ig.rule),
                loc,
            ));
        }
    }
    // Sorted here, on the worker's core, so the final sort of the whole report finds them in order.
    common::finding::sort_findings(&mut doc_findings);
    out.findings = doc_findings;
    out
}
