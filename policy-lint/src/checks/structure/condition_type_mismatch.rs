//! PL403 condition-type-mismatch: an operator of one type on a key of another (`StringEquals`
//! on `aws:SecureTransport`, `Bool` on `aws:SourceIp`, `NumericLessThan` on a date), or values
//! the operator cannot read (`Bool` with `"yes"`, `IpAddress` with `10.0.0.0/33`,
//! `NumericLessThan` with `"ten"`, `DateGreaterThan` with `"yesterday"`, `ArnLike` with an account
//! id). IAM either rejects the policy or the condition never matches.
//!
//! String operators on ARN keys are accepted (AWS's own examples use `StringEquals` with
//! `aws:SourceArn`); ARN operators are the better choice but not a mistake.

use std::net::IpAddr;

use serde_json::Value;

use super::condition_operator_unknown::canonical;
use super::{as_bool, is_symbolic, op_family, OpFamily};
use crate::engine::Ctx;
use crate::policy::Condition;

/// The operator family a key type calls for.
fn key_family(t: &str) -> Option<OpFamily> {
    let base = t.strip_prefix("ArrayOf").unwrap_or(t);
    Some(match base.to_ascii_lowercase().as_str() {
        "string" => OpFamily::String,
        "arn" => OpFamily::Arn,
        "bool" | "boolean" => OpFamily::Bool,
        "numeric" | "integer" | "long" => OpFamily::Numeric,
        "date" => OpFamily::Date,
        "ipaddress" => OpFamily::Ip,
        "binary" => OpFamily::Binary,
        _ => return None,
    })
}

fn compatible(op: OpFamily, key: OpFamily) -> bool {
    use OpFamily as F;
    match op {
        F::Null => true,
        F::String => matches!(key, F::String | F::Arn),
        F::Arn => matches!(key, F::Arn | F::String),
        F::Numeric => matches!(key, F::Numeric | F::Date),
        F::Date => key == F::Date,
        F::Bool => key == F::Bool,
        F::Ip => key == F::Ip,
        F::Binary => key == F::Binary,
    }
}

fn family_name(f: OpFamily) -> &'static str {
    match f {
        OpFamily::String => "String",
        OpFamily::Numeric => "Numeric",
        OpFamily::Date => "Date",
        OpFamily::Bool => "Bool",
        OpFamily::Binary => "Binary",
        OpFamily::Ip => "IP address",
        OpFamily::Arn => "ARN",
        OpFamily::Null => "Null",
    }
}

fn operators_for(f: OpFamily) -> &'static str {
    match f {
        OpFamily::String => "String operators (StringEquals, StringLike, …)",
        OpFamily::Numeric => "Numeric operators (NumericLessThan, …)",
        OpFamily::Date => "Date operators (DateGreaterThan, …)",
        OpFamily::Bool => "Bool",
        OpFamily::Binary => "BinaryEquals",
        OpFamily::Ip => "IpAddress / NotIpAddress",
        OpFamily::Arn => "ARN operators (ArnEquals, ArnLike, …)",
        OpFamily::Null => "Null",
    }
}

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let catalog = ctx.catalog;
    let mut found = Vec::new();
    for st in &ctx.policy.statements {
        for c in &st.conditions {
            let Some(op) = canonical(&c.base).and_then(op_family) else { continue };
            if is_symbolic(&c.key) {
                continue;
            }
            if let Some(t) = catalog.condition_key_type(&c.key) {
                if let Some(kf) = key_family(t) {
                    if !compatible(op, kf) {
                        found.push((
                            c.pointer.clone(),
                            format!(
                                "`{}` compares {} values but `{}` is of type {t}: use {}",
                                c.operator,
                                family_name(op),
                                c.key,
                                operators_for(kf)
                            ),
                        ));
                        continue;
                    }
                }
            }
            if let Some((ptr, why)) = bad_value(op, c) {
                found.push((ptr, format!("`{}` on `{}`: {why}", c.operator, c.key)));
            }
        }
    }
    for (ptr, msg) in found {
        ctx.report(ptr, msg);
    }
}

/// The first value the operator cannot read, with the reason. Only malformed IP ranges are
/// quoted (network ranges, not personal data); other values are described, not echoed.
fn bad_value(op: OpFamily, c: &Condition) -> Option<(String, String)> {
    for v in &c.values {
        if v.value.as_str().is_some_and(is_symbolic) {
            continue;
        }
        let why = match op {
            OpFamily::Bool | OpFamily::Null => {
                as_bool(&v.value).is_none().then(|| "the value must be true or false".to_string())
            }
            OpFamily::Ip => match &v.value {
                Value::String(s) if ip_or_cidr_ok(s) => None,
                Value::String(s) => Some(format!("`{s}` is not an IP address or CIDR block")),
                _ => Some("the value must be an IP address or CIDR block string".into()),
            },
            OpFamily::Numeric => match &v.value {
                Value::Number(_) => None,
                Value::String(s) if s.trim().parse::<f64>().is_ok_and(f64::is_finite) => None,
                _ => Some("the value is not a number".into()),
            },
            OpFamily::Date => match &v.value {
                Value::Number(n) if n.is_i64() || n.is_u64() => None,
                Value::String(s) if date_ok(s) => None,
                _ => Some("the value is not a date (ISO 8601 like 2026-01-31T00:00:00Z, or epoch seconds)".into()),
            },
            OpFamily::Arn => match &v.value {
                Value::String(s) if s.starts_with("arn:") || s.bytes().all(|b| b == b'*' || b == b'?') => None,
                _ => Some("the value is not an ARN (`arn:partition:service:region:account:resource`)".into()),
            },
            OpFamily::String | OpFamily::Binary => None,
        };
        if let Some(w) = why {
            return Some((v.pointer.clone(), w));
        }
    }
    None
}

fn ip_or_cidr_ok(s: &str) -> bool {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let Ok(ip) = addr.parse::<IpAddr>() else { return false };
    match len {
        None => true,
        Some(l) => {
            let max = if ip.is_ipv4() { 32 } else { 128 };
            l.parse::<u8>().is_ok_and(|n| n <= max) && !l.starts_with('+')
        }
    }
}

fn date_ok(s: &str) -> bool {
    let s = s.trim();
    if s.parse::<i64>().is_ok() {
        return true;
    }
    s.parse::<jiff::Timestamp>().is_ok()
        || s.parse::<jiff::civil::DateTime>().is_ok()
        || s.parse::<jiff::civil::Date>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips() {
        assert!(ip_or_cidr_ok("10.0.0.0/8") && ip_or_cidr_ok("203.0.113.7") && ip_or_cidr_ok("2001:db8::/32"));
        assert!(!ip_or_cidr_ok("10.0.0.0/33") && !ip_or_cidr_ok("10.0.0/8") && !ip_or_cidr_ok("2001:db8::/129"));
        assert!(!ip_or_cidr_ok("my-office") && !ip_or_cidr_ok("10.0.0.0/"));
    }

    #[test]
    fn dates() {
        assert!(date_ok("2026-01-31T00:00:00Z") && date_ok("2026-01-31") && date_ok("1700000000"));
        assert!(date_ok("2026-01-31T00:00:00+01:00"));
        assert!(!date_ok("yesterday") && !date_ok("2026-13-01"));
    }
}
