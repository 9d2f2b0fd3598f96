//! JUnit XML for Jenkins: one test suite per input (file or resource), one failing test case
//! per finding, one passing case per input without findings, and an error case per tool error.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{escape_xml as x, Report};

pub(super) fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut suites: BTreeMap<String, Vec<&crate::Finding>> = BTreeMap::new();
    for f in &r.findings {
        let key = f.location.file.clone().or_else(|| f.location.address.clone()).unwrap_or_else(|| "(account)".into());
        suites.entry(key).or_default().push(f);
    }
    if let Some(scanned) = r.metadata.get("inputs").and_then(|v| v.as_array()) {
        for s in scanned.iter().filter_map(|s| s.as_str()) {
            suites.entry(s.to_string()).or_default();
        }
    }
    let failures = r.findings.len();
    let errors = r.errors.len();
    let tests = suites.values().map(|v| v.len().max(1)).sum::<usize>() + errors;
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<testsuites name="{}" tests="{tests}" failures="{failures}" errors="{errors}">"#, x(&r.tool))?;
    for (name, fs) in &suites {
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}" errors="0">"#,
            x(name),
            fs.len().max(1),
            fs.len()
        )?;
        if fs.is_empty() {
            writeln!(out, r#"    <testcase classname="{}" name="all rules"/>"#, x(name))?;
        }
        for f in fs {
            let where_ = f.location.pointer.clone().or_else(|| f.location.address.clone()).unwrap_or_default();
            writeln!(
                out,
                r#"    <testcase classname="{}" name="{} {} {}">"#,
                x(name),
                x(&f.code),
                x(&f.rule),
                x(&where_)
            )?;
            let mut body = format!("{}\nlocation: {}\ncategory: {}", f.message, f.location.display(), f.category);
            if let Some(rem) = &f.remediation {
                body.push_str(&format!("\nremediation: {rem}"));
            }
            writeln!(
                out,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                x(&f.message),
                f.severity,
                x(&body)
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    if !r.errors.is_empty() {
        writeln!(out, r#"  <testsuite name="errors" tests="{errors}" failures="0" errors="{errors}">"#)?;
        for e in &r.errors {
            writeln!(out, r#"    <testcase classname="{}" name="{}">"#, x(&e.source), x(&e.kind))?;
            writeln!(out, r#"      <error message="{}">{}</error>"#, x(&e.message), x(&e.display()))?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::super::Format;

    #[test]
    fn junit_counts_and_escapes() {
        let mut buf = Vec::new();
        sample().render(Format::Junit, &mut buf).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert!(s.contains(r#"<testsuites name="policy-lint" tests="3" failures="2" errors="1">"#), "{s}");
        assert!(s.contains("&lt;incl. writes&gt;"));
        assert!(!s.contains("<incl."));
    }
}
