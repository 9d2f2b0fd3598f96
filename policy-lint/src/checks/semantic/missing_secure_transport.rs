//! `missing-secure-transport`: a bucket policy without an effective `Deny` of requests with
//! `aws:SecureTransport = false` for every principal, every S3 action, the bucket and its
//! objects.

use crate::checks::analysis::is_symbolic;
use crate::engine::Ctx;
use crate::policy::{PolicyKind, Statement};

/// `(bucket, object-level?)` of a resource: `arn:aws:s3:::b` → (b, false), `arn:aws:s3:::b/*`
/// → (b, true); symbolic `${aws_s3_bucket.x.arn}/*` → (`${aws_s3_bucket.x.arn}`, true).
fn bucket_of(r: &str) -> Option<(String, bool)> {
    if let Some(rest) = r.strip_prefix("arn:aws:s3:::").or_else(|| r.strip_prefix("arn:aws-us-gov:s3:::")) {
        let (b, obj) = match rest.split_once('/') {
            Some((b, _)) => (b, true),
            None => (rest, false),
        };
        return (!b.is_empty() && !b.contains(['*', '?'])).then(|| (b.to_string(), obj));
    }
    if is_symbolic(r) {
        let end = r.rfind('}')? + 1;
        let (b, rest) = r.split_at(end);
        return Some((b.to_string(), rest.starts_with('/')));
    }
    None
}

fn covers(patterns: &[String], bucket: &str, object: bool) -> bool {
    let target = if object { format!("{bucket}/*") } else { bucket.to_string() };
    patterns.iter().any(|p| {
        if p == "*" {
            return true;
        }
        match bucket_of(p) {
            Some((b, o)) if is_symbolic(&b) || is_symbolic(bucket) => {
                b == bucket && o == object && (!o || p.ends_with("/*"))
            }
            _ => {
                let full = if is_symbolic(bucket) { target.clone() } else { format!("arn:aws:s3:::{target}") };
                crate::catalog::wildcard_match(p, &full)
            }
        }
    })
}

/// A `Deny` that refuses plain HTTP for everyone and every S3 action.
fn is_tls_deny(st: &Statement) -> bool {
    if st.is_allow() || st.action.negated {
        return false;
    }
    let everyone = st.principal.as_ref().is_some_and(|p| !p.negated && p.is_public());
    let all_s3 = st.action.items.iter().any(|a| {
        let v = a.value.to_ascii_lowercase();
        v == "s3:*" || v == "*" || v == "*:*"
    });
    let cond = !st.conditions.is_empty()
        && st.conditions.iter().all(|c| {
            c.key.eq_ignore_ascii_case("aws:SecureTransport")
                && c.base == "Bool"
                && c.qualifier.is_none()
                && c.strings().iter().all(|v| v.eq_ignore_ascii_case("false"))
        });
    everyone && all_s3 && cond && st.resource.as_ref().is_some_and(|r| !r.negated)
}

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    if ctx.policy.kind != PolicyKind::Bucket {
        return;
    }
    let mut buckets: Vec<String> = Vec::new();
    for st in &ctx.policy.statements {
        for r in st.resource.iter().flat_map(|b| b.items.iter()) {
            if let Some((b, _)) = bucket_of(&r.value) {
                if !buckets.contains(&b) {
                    buckets.push(b);
                }
            }
        }
    }
    let denies: Vec<&Statement> = ctx.policy.statements.iter().filter(|s| is_tls_deny(s)).collect();
    let mut hits: Vec<(String, String)> = Vec::new();
    if denies.is_empty() {
        let near = ctx.policy.statements.iter().find(|s| {
            !s.is_allow() && s.conditions.iter().any(|c| c.key.to_ascii_lowercase().contains("securetransp"))
        });
        let msg = match near {
            Some(s) => format!(
                "the bucket policy has no effective Deny of insecure transport: {} mentions aws:SecureTransport but must deny s3:* for Principal \"*\" with Bool aws:SecureTransport = false and no other condition",
                s.label()
            ),
            None => "the bucket policy has no Deny of requests without TLS (Bool aws:SecureTransport = false for Principal \"*\" and s3:*)".to_string(),
        };
        hits.push((near.map_or_else(|| "/Statement".to_string(), |s| s.pointer.clone()), msg));
    } else {
        let patterns: Vec<String> = denies
            .iter()
            .flat_map(|s| s.resource.iter().flat_map(|b| b.items.iter().map(|i| i.value.clone())))
            .collect();
        let mut missing = Vec::new();
        for b in &buckets {
            for obj in [false, true] {
                if !covers(&patterns, b, obj) {
                    missing.push(if obj { format!("{b}/*") } else { b.clone() });
                }
            }
        }
        if !missing.is_empty() {
            let ptr = denies[0].resource.as_ref().map_or_else(|| denies[0].pointer.clone(), |r| r.pointer.clone());
            hits.push((
                ptr,
                format!(
                    "the TLS-only Deny ({}) does not cover {}: requests without TLS are still allowed there",
                    denies[0].label(),
                    missing.join(", ")
                ),
            ));
        }
    }
    for (ptr, msg) in hits {
        ctx.report(ptr, msg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_coverage() {
        assert_eq!(bucket_of("arn:aws:s3:::b/*"), Some(("b".into(), true)));
        assert_eq!(bucket_of("arn:aws:s3:::b"), Some(("b".into(), false)));
        assert_eq!(bucket_of("${aws_s3_bucket.x.arn}/*"), Some(("${aws_s3_bucket.x.arn}".into(), true)));
        assert_eq!(bucket_of("*"), None);
        let pats = vec!["arn:aws:s3:::b".to_string(), "arn:aws:s3:::b/*".to_string()];
        assert!(covers(&pats, "b", false) && covers(&pats, "b", true));
        assert!(!covers(&pats[..1], "b", true));
        let sym = vec!["${aws_s3_bucket.x.arn}".to_string(), "${aws_s3_bucket.x.arn}/*".to_string()];
        assert!(covers(&sym, "${aws_s3_bucket.x.arn}", true) && covers(&sym, "${aws_s3_bucket.x.arn}", false));
        assert!(covers(&["arn:aws:s3:::b*".to_string()], "b", true));
    }
}
