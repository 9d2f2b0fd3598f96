//! AU303 `kms-policy-wildcard-principal`: a key policy `Allow` statement with principal `*`
//! that is not limited to the key's own (or a trusted) account or organization by a condition
//! (`kms:CallerAccount`, `aws:PrincipalAccount`, `aws:SourceAccount`, `aws:PrincipalOrgID`,
//! or `aws:PrincipalArn` within trusted accounts). `kms:ViaService` alone does not limit who
//! calls. The key policy is also judged with policy-lint (PL417 `kms-wildcard-grant`: `kms:*` or
//! key administration granted to principals other than the account root; PL411 public principals).

use serde_json::Value;

use crate::checks::support::{arn_account, need};
use crate::checks::{Res, Settings, Sink};
use crate::inventory::Inventory;

fn list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

fn wildcard_principal(p: Option<&Value>) -> bool {
    match p {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(m)) => m.get("AWS").is_some_and(|a| list(a).iter().any(|x| x == "*")),
        _ => false,
    }
}

/// Does the condition block pin the caller to trusted accounts or organizations?
fn limited(cond: Option<&Value>, accounts: &[String], orgs: &[String]) -> bool {
    let Some(Value::Object(ops)) = cond else { return false };
    for (op, body) in ops {
        let opl = op.to_ascii_lowercase();
        if !(opl.starts_with("stringequals")
            || opl.starts_with("arnequals")
            || opl.starts_with("arnlike")
            || opl.starts_with("stringlike"))
            || opl.starts_with("forallvalues")
        {
            continue;
        }
        let Some(body) = body.as_object() else { continue };
        for (key, vals) in body {
            let k = key.to_ascii_lowercase();
            let vals = list(vals);
            if vals.is_empty() || vals.iter().any(|v| v.contains('*') && !k.ends_with("principalarn")) {
                continue;
            }
            let ok = match k.as_str() {
                "kms:calleraccount" | "aws:principalaccount" | "aws:sourceaccount" => {
                    vals.iter().all(|v| accounts.contains(v))
                }
                "aws:principalorgid" => !orgs.is_empty() && vals.iter().all(|v| orgs.contains(v)),
                "aws:principalarn" => {
                    vals.iter().all(|v| arn_account(v).is_some_and(|a| accounts.iter().any(|x| x == a)))
                }
                _ => false,
            };
            if ok {
                return true;
            }
        }
    }
    false
}

/// Pointers of statements that grant `*` without an account/org limit.
#[must_use]
pub fn offending_statements(doc: &Value, accounts: &[String], orgs: &[String]) -> Vec<String> {
    let stmts: Vec<(String, &Value)> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().enumerate().map(|(i, s)| (format!("/Statement/{i}"), s)).collect(),
        Some(v @ Value::Object(_)) => vec![("/Statement".to_string(), v)],
        _ => Vec::new(),
    };
    stmts
        .into_iter()
        .filter(|(_, s)| {
            s.get("Effect").and_then(Value::as_str) == Some("Allow")
                && wildcard_principal(s.get("Principal"))
                && !limited(s.get("Condition"), accounts, orgs)
        })
        .map(|(p, _)| p)
        .collect()
}

/// Statement pointer (`/Statement/3`) of a finding pointer (`/Statement/3/Principal/AWS`).
fn statement_of(pointer: &str) -> String {
    let mut parts = pointer.split('/').skip(1);
    match (parts.next(), parts.next()) {
        (Some("Statement"), Some(n)) if n.parse::<usize>().is_ok() => format!("/Statement/{n}"),
        (Some("Statement"), _) => "/Statement".to_string(),
        _ => pointer.to_string(),
    }
}

/// Evaluator.
pub fn check(inv: &Inventory, s: &Settings, sink: &mut Sink<'_>) {
    for k in &inv.kms_keys {
        let res = Res::key(k);
        let Some(policy) = need(sink, &res, "/policy", "the key policy", &k.policy) else { continue };
        let Some(doc) = policy else { continue };
        if doc.is_string() {
            sink.report(
                &res,
                "/policy",
                format!("{}'s key policy is not valid JSON and cannot be judged", res.label()),
            );
            continue;
        }
        let own = k.account.as_deref().or_else(|| k.arn.as_deref().and_then(arn_account)).map(str::to_string);
        let mut accounts = s.trusted_accounts.clone();
        accounts.extend(own.clone());
        let mut reported = std::collections::BTreeSet::new();
        for ptr in offending_statements(doc, &accounts, &s.trusted_org_ids) {
            let f = sink.report(
                &res,
                &format!("/policy{ptr}"),
                format!("{}'s key policy allows principal `*` without limiting the caller to a trusted account or organization", res.label()),
            );
            f.evidence.insert("statement".into(), ptr.clone().into());
            reported.insert(ptr);
        }
        // policy-lint's key-policy analysis: `kms:*` or key administration granted to principals
        // other than the account root, and public principals it recognises.
        let opts = policy_lint::AnalyzeOptions {
            account_id: own,
            trusted_accounts: s.trusted_accounts.clone(),
            trusted_org_ids: s.trusted_org_ids.clone(),
            allowed_regions: s.allowed_regions.clone(),
            residency: false,
        };
        match policy_lint::analyze_value(doc, policy_lint::PolicyKind::Key, &opts) {
            Ok(findings) => {
                for pf in
                    findings.iter().filter(|f| f.category == "kms-wildcard-grant" || f.category == "public-principal")
                {
                    let ptr = statement_of(pf.location.pointer.as_deref().unwrap_or("/Statement"));
                    if !reported.insert(ptr.clone()) {
                        continue;
                    }
                    let f = sink.report(
                        &res,
                        &format!("/policy{ptr}"),
                        format!("{}'s key policy: {}", res.label(), pf.message),
                    );
                    f.evidence.insert("statement".into(), ptr.into());
                    f.evidence.insert("policy_lint_rule".into(), pf.code.as_str().into());
                }
            }
            Err(e) => {
                let f = sink.report(
                    &res,
                    "/policy",
                    format!("{}'s key policy could not be analysed: {}", res.label(), e.message),
                );
                f.evidence.insert("pointer".into(), e.pointer.into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn acct() -> Vec<String> {
        vec!["111122223333".into()]
    }

    #[test]
    fn caller_account_limit_is_fine() {
        let d = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt"], "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "s3.ca-central-1.amazonaws.com"}}}]});
        assert!(offending_statements(&d, &acct(), &[]).is_empty());
    }

    #[test]
    fn wildcard_without_or_with_foreign_account_is_flagged() {
        let open = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]});
        assert_eq!(offending_statements(&open, &acct(), &[]), ["/Statement/0"]);
        let foreign = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": ["111122223333", "999988887777"]}}}]});
        assert_eq!(offending_statements(&foreign, &acct(), &[]), ["/Statement/0"]);
        let via_only = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": "s3.ca-central-1.amazonaws.com"}}}]});
        assert_eq!(offending_statements(&via_only, &acct(), &[]), ["/Statement/0"]);
    }

    #[test]
    fn root_principal_is_not_wildcard() {
        let d = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]});
        assert!(offending_statements(&d, &acct(), &[]).is_empty());
    }
}
