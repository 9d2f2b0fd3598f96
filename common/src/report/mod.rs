//! Report renderers shared by every tool: `table`, `json`, `sarif`, `junit`, `html`.
//!
//! A [`Report`] is plain data; each renderer writes it to any `io::Write`. Reports go to
//! stdout, logs to stderr, so `tool --format json | jq` always works.

mod html;
mod jsonpar;
mod junit;
mod sarif;
mod table;

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Severity};
use crate::rules::RuleMeta;
use crate::select::{BaselineDiff, Suppressed};

/// Version of the JSON report schema. Bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Human-readable table (comfy-table); respects `NO_COLOR`.
    #[default]
    Table,
    /// Stable, versioned JSON (`schema_version`).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// JUnit XML, for Jenkins and other CI test reports.
    Junit,
    /// One self-contained HTML file (no external assets).
    Html,
}

/// Something the tool could not do (a file it could not parse, an API it could not call).
/// Errors make the run exit 2; they are reported next to the findings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolError {
    /// What was being processed (file, service/region, resource).
    pub source: String,
    /// Kind of error (`parse`, `io`, `collection`, ...).
    pub kind: String,
    /// Message, naming position and field, never data values.
    pub message: String,
    /// 1-based line, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// JSON pointer, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

impl ToolError {
    /// A new error.
    #[must_use]
    pub fn new(source: impl Into<String>, kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            kind: kind.into(),
            message: message.into(),
            line: None,
            column: None,
            pointer: None,
        }
    }

    /// One-line rendering: `source:line:col: message`.
    #[must_use]
    pub fn display(&self) -> String {
        let mut s = self.source.clone();
        if let Some(l) = self.line {
            s.push_str(&format!(":{l}"));
            if let Some(c) = self.column {
                s.push_str(&format!(":{c}"));
            }
        }
        if let Some(p) = &self.pointer {
            s.push_str(&format!(" at {p}"));
        }
        format!("{s}: {}: {}", self.kind, self.message)
    }
}

/// Everything a run produced.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Report {
    /// Tool name (`policy-lint`).
    pub tool: String,
    /// Tool version.
    pub version: String,
    /// Facts about the run (catalog header, regions, accounts, inputs scanned).
    #[serde(default)]
    pub metadata: BTreeMap<String, serde_json::Value>,
    /// Findings that count.
    pub findings: Vec<Finding>,
    /// Findings silenced by exceptions, inline comments or the baseline.
    #[serde(default)]
    pub suppressed: Vec<Suppressed>,
    /// What the tool could not do.
    #[serde(default)]
    pub errors: Vec<ToolError>,
    /// Comparison with `--baseline`, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineDiff>,
    /// Rules that were run (metadata for SARIF/HTML); not serialized into JSON.
    #[serde(skip)]
    pub rules: Vec<RuleMeta>,
    /// Threshold that makes the run fail; used by summaries.
    #[serde(skip)]
    pub fail_on: Severity,
    /// Framework to group by in table/HTML output (`pci-dss-v4`).
    #[serde(skip)]
    pub group_by_framework: Option<String>,
}

impl Report {
    /// Count findings per severity (all five keys present).
    #[must_use]
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut m: BTreeMap<&'static str, usize> = Severity::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        for f in &self.findings {
            *m.entry(f.severity.as_str()).or_default() += 1;
        }
        m
    }

    /// Rule metadata for a finding's code.
    #[must_use]
    pub fn rule(&self, code: &str) -> Option<&RuleMeta> {
        self.rules.iter().find(|r| r.code == code)
    }

    /// Framework controls a finding maps to, as `framework:control` strings.
    #[must_use]
    pub fn controls_of(&self, f: &Finding, framework: &str) -> Vec<String> {
        self.rule(&f.code).and_then(|r| r.compliance.controls(framework)).map(<[String]>::to_vec).unwrap_or_default()
    }

    /// Render in the given format.
    pub fn render(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Table => table::render(self, out),
            Format::Json => self.render_json(out),
            Format::Sarif => sarif::render(self, out),
            Format::Junit => junit::render(self, out),
            Format::Html => html::render(self, out),
        }
    }

    /// The JSON document (`schema_version` 1).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.json_doc()).unwrap_or(serde_json::Value::Null)
    }

    /// The JSON document as borrowed data: rendered straight to the writer, with no
    /// intermediate `Value` tree (reports can hold tens of thousands of findings).
    fn json_doc(&self) -> JsonDoc<'_> {
        JsonDoc {
            schema_version: SCHEMA_VERSION,
            tool: JsonTool { name: &self.tool, version: &self.version },
            metadata: &self.metadata,
            summary: JsonSummary {
                findings: self.findings.len(),
                by_severity: self.counts(),
                suppressed: self.suppressed.len(),
                errors: self.errors.len(),
                fail_on: self.fail_on.as_str(),
            },
            findings: &self.findings,
            suppressed: &self.suppressed,
            errors: &self.errors,
            baseline: self.baseline.as_ref().map(|b| JsonBaseline {
                new: b.new.len(),
                unchanged: b.unchanged.len(),
                resolved: b.resolved.len(),
                new_fingerprints: &b.new,
                resolved_findings: &b.resolved,
            }),
        }
    }

    fn render_json(&self, out: &mut dyn Write) -> io::Result<()> {
        // The findings are rendered on every core and spliced into the rest of the document.
        jsonpar::write_with_findings(out, &self.findings, |buf| {
            let mut doc = self.json_doc();
            doc.findings = &[];
            serde_json::to_writer_pretty(&mut *buf, &doc).map_err(io::Error::from)
        })?;
        writeln!(out)
    }
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema_version: u32,
    tool: JsonTool<'a>,
    metadata: &'a BTreeMap<String, serde_json::Value>,
    summary: JsonSummary,
    findings: &'a [Finding],
    suppressed: &'a [Suppressed],
    errors: &'a [ToolError],
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<JsonBaseline<'a>>,
}

#[derive(Serialize)]
struct JsonTool<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct JsonSummary {
    findings: usize,
    by_severity: BTreeMap<&'static str, usize>,
    suppressed: usize,
    errors: usize,
    fail_on: &'static str,
}

#[derive(Serialize)]
struct JsonBaseline<'a> {
    new: usize,
    unchanged: usize,
    resolved: usize,
    new_fingerprints: &'a [String],
    resolved_findings: &'a [Finding],
}

/// Escape text for XML and HTML.
pub(crate) fn escape_xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {}
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::finding::Location;
    use crate::rules::RuleSet;

    pub(crate) fn sample() -> Report {
        let rule = r#"
code = "PL101"
name = "wildcard-action"
category = "wildcard-action"
severity = "high"
evaluator = "wildcard_action"
summary = "Allow statement grants every action of a service"
[docs]
what_it_does = "Flags `s3:*`."
why_bad = "Grants more than needed."
remediation = "List the actions."
example_bad = '{"Effect":"Allow","Action":"s3:*","Resource":"*"}'
[compliance]
pci_dss_v4 = ["7.2.1"]
cis_aws = ["1.16"]
"#;
        let rules = RuleSet::from_sources([("PL101-wildcard-action.toml", rule)]).unwrap();
        let f1 = Finding::new(
            "PL101",
            "wildcard-action",
            "wildcard-action",
            Severity::High,
            "Action `s3:*` allows all 100 actions of s3 <incl. writes>",
            Location::file("policies/a.json").with_position(4, 7).with_pointer("/Statement/0/Action"),
        )
        .with_remediation("List the actions.")
        .with_service("s3");
        let f2 = Finding::new(
            "PL101",
            "wildcard-action",
            "wildcard-action",
            Severity::Medium,
            "Action `kms:*`",
            Location::resource("aws_iam_policy.x").with_pointer("/Statement/1"),
        );
        Report {
            tool: "policy-lint".into(),
            version: "0.1.0".into(),
            metadata: BTreeMap::from([("catalog".to_string(), serde_json::json!("iam-data@1"))]),
            findings: vec![f1, f2],
            suppressed: vec![],
            errors: vec![ToolError {
                line: Some(3),
                column: Some(1),
                ..ToolError::new("bad.json", "parse", "expected `,` or `}`")
            }],
            baseline: None,
            rules: rules.rules().to_vec(),
            fail_on: Severity::High,
            group_by_framework: None,
        }
    }

    #[test]
    fn json_is_versioned_and_counts() {
        let v = sample().to_json();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["summary"]["by_severity"]["high"], 1);
        assert_eq!(v["summary"]["by_severity"]["medium"], 1);
        assert_eq!(v["summary"]["errors"], 1);
        assert_eq!(v["findings"][0]["location"]["pointer"], "/Statement/0/Action");
    }

    #[test]
    fn every_format_renders() {
        for fmt in [Format::Table, Format::Json, Format::Sarif, Format::Junit, Format::Html] {
            let mut buf = Vec::new();
            sample().render(fmt, &mut buf).unwrap();
            let s = String::from_utf8(buf).unwrap();
            assert!(s.contains("PL101"), "{fmt:?} output lacks the rule code");
        }
    }

    #[test]
    fn json_is_byte_identical_to_serde_pretty_at_any_size() {
        // The findings are rendered in parallel and spliced in: the bytes must be exactly those
        // of serde_json's pretty printer on the whole document, for empty, small and large
        // reports, with nested and empty evidence.
        let base = sample();
        for n in [0usize, 1, 2, 1023, 1024, 1025, 5000] {
            let mut r = sample();
            r.findings = (0..n)
                .map(|i| {
                    let mut f = base.findings[i % 2].clone();
                    f.message = format!("finding {i} with \"quotes\" and a\nnewline");
                    if i % 3 == 0 {
                        f.evidence.insert("actions".into(), serde_json::json!(["s3:GetObject", "s3:PutObject"]));
                        f.evidence.insert("nested".into(), serde_json::json!({"a": [], "b": {}, "c": [{"d": 1}]}));
                    }
                    f
                })
                .collect();
            let mut ours = Vec::new();
            r.render(Format::Json, &mut ours).unwrap();
            let mut want = serde_json::to_vec_pretty(&r.json_doc()).unwrap();
            want.push(b'\n');
            assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(want).unwrap(), "n = {n}");
        }
    }
}
