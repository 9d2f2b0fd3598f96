//! Human-readable table output (comfy-table). Colour only on a terminal without `NO_COLOR`.

use std::io::{self, Write};

use comfy_table::{presets, Cell, ContentArrangement, Table};

use super::Report;

pub(super) fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    if r.findings.is_empty() {
        writeln!(out, "No findings.")?;
    } else if let Some(fw) = &r.group_by_framework {
        let mut groups: std::collections::BTreeMap<String, Vec<&crate::Finding>> = std::collections::BTreeMap::new();
        for f in &r.findings {
            let controls = r.controls_of(f, fw);
            if controls.is_empty() {
                groups.entry("(unmapped)".into()).or_default().push(f);
            }
            for c in controls {
                groups.entry(c).or_default().push(f);
            }
        }
        for (control, fs) in groups {
            writeln!(out, "{fw} {control} ({} findings)", fs.len())?;
            writeln!(out, "{}", findings_table(&fs))?;
        }
    } else {
        let refs: Vec<_> = r.findings.iter().collect();
        writeln!(out, "{}", findings_table(&refs))?;
    }
    if !r.errors.is_empty() {
        writeln!(out, "\nErrors ({}): these inputs were not fully checked", r.errors.len())?;
        for e in &r.errors {
            writeln!(out, "  {}", e.display())?;
        }
    }
    let counts = r.counts();
    let parts: Vec<String> = counts.iter().rev().filter(|(_, n)| **n > 0).map(|(s, n)| format!("{n} {s}")).collect();
    write!(out, "\n{} finding(s)", r.findings.len())?;
    if !parts.is_empty() {
        write!(out, ": {}", parts.join(", "))?;
    }
    if !r.suppressed.is_empty() {
        write!(out, "; {} suppressed", r.suppressed.len())?;
    }
    if !r.errors.is_empty() {
        write!(out, "; {} error(s)", r.errors.len())?;
    }
    if let Some(b) = &r.baseline {
        write!(out, "; baseline: {} new, {} unchanged, {} resolved", b.new.len(), b.unchanged.len(), b.resolved.len())?;
    }
    writeln!(out)
}

fn findings_table(findings: &[&crate::Finding]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if std::env::var_os("NO_COLOR").is_some() || std::env::var_os("COLUMNS").is_none() {
        t.force_no_tty();
    }
    if t.width().is_none() {
        t.set_width(160);
    }
    t.set_header(["Severity", "Rule", "Category", "Location", "Message"]);
    for f in findings {
        t.add_row([
            Cell::new(f.severity.as_str()),
            Cell::new(format!("{} {}", f.code, f.rule)),
            Cell::new(&f.category),
            Cell::new(f.location.display()),
            Cell::new(&f.message),
        ]);
    }
    t
}
