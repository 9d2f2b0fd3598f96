//! SARIF 2.1.0 for GitHub code scanning: rule metadata with help text, `security-severity`,
//! physical locations (file, line, column) and logical locations (Terraform address / ARN).

use std::io::{self, Write};

use serde_json::{json, Value};

use super::Report;

pub(super) fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_sarif(r))?;
    writeln!(out)
}

/// The SARIF log as JSON.
pub(crate) fn to_sarif(r: &Report) -> Value {
    let rules: Vec<Value> = r
        .rules
        .iter()
        .map(|m| {
            let mut tags = vec![m.category.clone(), "security".to_string()];
            for (fw, controls) in m.compliance.frameworks() {
                tags.extend(controls.iter().map(|c| format!("{fw}/{c}")));
            }
            let help_uri = m.docs.references.first().cloned();
            let mut rule = json!({
                "id": m.code,
                "name": m.name,
                "shortDescription": { "text": m.summary },
                "fullDescription": { "text": m.docs.what_it_does.trim() },
                "help": { "text": m.help_text(), "markdown": m.help_markdown() },
                "defaultConfiguration": { "level": m.severity.sarif_level() },
                "properties": {
                    "category": m.category,
                    "severity": m.severity.as_str(),
                    "security-severity": m.severity.security_score(),
                    "tags": tags,
                    "precision": "high",
                },
            });
            if let Some(u) = help_uri {
                rule["helpUri"] = json!(u);
            }
            rule
        })
        .collect();
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let l = &f.location;
            let mut result = json!({
                "ruleId": f.code,
                "level": f.severity.sarif_level(),
                "message": { "text": match &f.remediation { Some(rem) => format!("{} Remediation: {rem}", f.message), None => f.message.clone() } },
                "partialFingerprints": { "fcmGuardFingerprint/v1": f.fingerprint },
                "properties": { "category": f.category, "severity": f.severity.as_str(), "pointer": l.pointer, "security-severity": f.severity.security_score() },
            });
            if let Some(i) = r.rules.iter().position(|m| m.code == f.code) {
                result["ruleIndex"] = json!(i);
            }
            let mut loc = json!({});
            if let Some(file) = &l.file {
                let mut region = json!({ "startLine": l.line.unwrap_or(1) });
                if let Some(c) = l.column {
                    region["startColumn"] = json!(c);
                }
                loc["physicalLocation"] = json!({
                    "artifactLocation": { "uri": file.replace('\\', "/"), "uriBaseId": "%SRCROOT%" },
                    "region": region,
                });
            }
            let logical = l.address.clone().or_else(|| l.pointer.clone());
            if let Some(name) = logical {
                loc["logicalLocations"] = json!([{ "fullyQualifiedName": name, "kind": if l.address.is_some() { "resource" } else { "member" } }]);
            }
            result["locations"] = json!([loc]);
            result
        })
        .collect();
    let notifications: Vec<Value> = r
        .errors
        .iter()
        .map(|e| json!({ "level": "error", "message": { "text": e.display() }, "descriptor": { "id": e.kind } }))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": r.tool,
                "version": r.version,
                "semanticVersion": r.version,
                "informationUri": "https://github.com/fcm-guard/fcm-guard",
                "rules": rules,
                "properties": r.metadata,
            }},
            "invocations": [{ "executionSuccessful": r.errors.is_empty(), "toolExecutionNotifications": notifications }],
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn sarif_has_rules_results_and_locations() {
        let v = to_sarif(&sample());
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "PL101");
        assert_eq!(run["tool"]["driver"]["rules"][0]["properties"]["security-severity"], "8.0");
        assert!(run["tool"]["driver"]["rules"][0]["help"]["text"].as_str().unwrap().contains("Remediation"));
        let res = &run["results"][0];
        assert_eq!(res["ruleIndex"], 0);
        assert_eq!(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "policies/a.json");
        assert_eq!(res["locations"][0]["physicalLocation"]["region"]["startLine"], 4);
        assert_eq!(run["results"][1]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], "aws_iam_policy.x");
        assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    }
}
