//! AU206 `s3-no-tls-policy`: the bucket policy does not deny requests without TLS.
//!
//! Required: a statement with `Effect: Deny`, principal `*`, action `s3:*` or `*`, resources
//! covering both the bucket and its objects, and `Bool`/`BoolIfExists` `aws:SecureTransport =
//! false`. An `Allow` with `aws:SecureTransport = true` does not count (other statements may
//! still allow plain HTTP).

use serde_json::Value;

use crate::checks::support::need;
use crate::checks::{Res, Settings, Sink};
use crate::inventory::Inventory;

fn as_list(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn get_ci<'v>(m: &'v serde_json::Map<String, Value>, key: &str) -> Option<&'v Value> {
    m.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
}

fn principal_is_everyone(p: Option<&Value>) -> bool {
    match p {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(m)) => m.get("AWS").is_some_and(|a| as_list(Some(a)).contains(&"*")),
        _ => false,
    }
}

fn denies_insecure_transport(cond: Option<&Value>) -> bool {
    let Some(Value::Object(c)) = cond else { return false };
    ["Bool", "BoolIfExists"].iter().any(|op| {
        get_ci(c, op).and_then(Value::as_object).and_then(|m| get_ci(m, "aws:SecureTransport")).is_some_and(|v| match v
        {
            Value::Bool(b) => !b,
            Value::String(s) => s.eq_ignore_ascii_case("false"),
            Value::Array(a) => a
                .iter()
                .any(|x| x == &Value::Bool(false) || x.as_str().is_some_and(|s| s.eq_ignore_ascii_case("false"))),
            _ => false,
        })
    })
}

fn resource_covers(resources: &[&str], bucket: &str) -> (bool, bool) {
    let arn = format!("arn:aws:s3:::{bucket}");
    let objects = format!("{arn}/*");
    let any =
        |want: &str| resources.iter().any(|r| *r == "*" || *r == want || (want == objects && *r == format!("{arn}*")));
    (any(&arn) || resources.contains(&"arn:aws:s3:::*"), any(&objects) || resources.contains(&"arn:aws:s3:::*"))
}

/// Whether the policy document enforces TLS for `bucket`.
#[must_use]
pub fn enforces_tls(doc: &Value, bucket: &str) -> bool {
    let stmts: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => return false,
    };
    let (mut bucket_ok, mut objects_ok) = (false, false);
    for st in stmts {
        if st.get("Effect").and_then(Value::as_str) != Some("Deny") || !principal_is_everyone(st.get("Principal")) {
            continue;
        }
        let actions = as_list(st.get("Action"));
        if !actions.iter().any(|a| *a == "*" || a.eq_ignore_ascii_case("s3:*")) {
            continue;
        }
        if !denies_insecure_transport(st.get("Condition")) {
            continue;
        }
        let (b, o) = resource_covers(&as_list(st.get("Resource")), bucket);
        bucket_ok |= b;
        objects_ok |= o;
    }
    bucket_ok && objects_ok
}

/// Evaluator.
pub fn check(inv: &Inventory, _s: &Settings, sink: &mut Sink<'_>) {
    for b in &inv.buckets {
        let res = Res::bucket(b);
        let Some(policy) = need(sink, &res, "/policy", "the bucket policy", &b.policy) else { continue };
        match policy {
            None => {
                sink.report(
                    &res,
                    "/policy",
                    format!("{} has no bucket policy denying requests without TLS (aws:SecureTransport)", res.label()),
                );
            }
            Some(Value::String(_)) => {
                sink.report(
                    &res,
                    "/policy",
                    format!(
                        "{} has a bucket policy that is not valid JSON, so TLS enforcement cannot be confirmed",
                        res.label()
                    ),
                );
            }
            Some(doc) => {
                if !enforces_tls(doc, &b.name) {
                    sink.report(
                        &res,
                        "/policy",
                        format!("{}'s policy has no Deny statement for `*` on s3:* covering the bucket and its objects when aws:SecureTransport is false", res.label()),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deny(resources: Value, cond: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": resources, "Condition": cond}]})
    }

    #[test]
    fn accepts_the_standard_deny() {
        let d = deny(json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"]), json!({"Bool": {"aws:SecureTransport": "false"}}));
        assert!(enforces_tls(&d, "b"));
        let d = deny(json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"]), json!({"Bool": {"aws:SecureTransport": false}}));
        assert!(enforces_tls(&d, "b"));
    }

    #[test]
    fn rejects_partial_or_allow_forms() {
        assert!(!enforces_tls(
            &deny(json!("arn:aws:s3:::b/*"), json!({"Bool": {"aws:SecureTransport": "false"}})),
            "b"
        ));
        assert!(!enforces_tls(
            &deny(json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"]), json!({"Bool": {"aws:SecureTransport": "true"}})),
            "b"
        ));
        let allow = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]});
        assert!(!enforces_tls(&allow, "b"));
        let other_bucket =
            deny(json!(["arn:aws:s3:::c", "arn:aws:s3:::c/*"]), json!({"Bool": {"aws:SecureTransport": "false"}}));
        assert!(!enforces_tls(&other_bucket, "b"));
        let only_get = json!({"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]});
        assert!(!enforces_tls(&only_get, "b"));
    }
}
