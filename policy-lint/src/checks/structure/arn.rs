//! ARN shape and matching: does a policy's resource ARN (with IAM `*`/`?` wildcards) overlap an
//! ARN format of the catalog (with `${Placeholder}` variables)?
//!
//! Matching works on the language intersection of two patterns, so `arn:aws:s3:::*/*` against
//! the bucket format `arn:${Partition}:s3:::${BucketName}` is a mismatch (a bucket name has no
//! `/`), while `arn:aws:s3:::logs-*` against the same format matches. A placeholder directly
//! followed by `/` in the format, and `${BucketName}` anywhere, stand for one path segment
//! (no `/`); any other placeholder stands for any text — lenient on purpose: a mismatch is reported only when no reading of
//! the format can match.

/// Known AWS partitions.
pub const PARTITIONS: &[&str] =
    &["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];

/// The six parts of an ARN (`arn:partition:service:region:account:resource`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArnParts<'a> {
    /// `aws`, `aws-cn`, …
    pub partition: &'a str,
    /// `s3`, `iam`, …
    pub service: &'a str,
    /// Region or empty.
    pub region: &'a str,
    /// Account id, `aws`, or empty.
    pub account: &'a str,
    /// Everything after the fifth colon.
    pub resource: &'a str,
}

/// Split an ARN into its parts; `None` if it does not start with `arn:` or has fewer than six parts.
#[must_use]
pub fn split(arn: &str) -> Option<ArnParts<'_>> {
    let mut it = arn.splitn(6, ':');
    let head = it.next()?;
    if !head.eq_ignore_ascii_case("arn") {
        return None;
    }
    Some(ArnParts {
        partition: it.next()?,
        service: it.next()?,
        region: it.next()?,
        account: it.next()?,
        resource: it.next()?,
    })
}

/// Placeholders that never contain `/`, wherever they stand (an S3 bucket name is the case
/// that matters: `s3:ListBucket` on `arn:aws:s3:::bucket/*` is the classic mismatch).
const NO_SLASH: &[&str] = &["BucketName", "Partition", "Region", "Account"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Lit(u8),
    /// `?`: exactly one character.
    One,
    /// `*` or a free placeholder: any text.
    Any,
    /// A placeholder followed by `/`: any text without `/`.
    Seg,
}

fn pattern_tokens(s: &str) -> Vec<Tok> {
    s.bytes()
        .map(|b| match b {
            b'*' => Tok::Any,
            b'?' => Tok::One,
            other => Tok::Lit(other.to_ascii_lowercase()),
        })
        .collect()
}

fn format_tokens(s: &str) -> Vec<Tok> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
            if let Some(end) = s[i..].find('}') {
                let next = b.get(i + end + 1);
                let name = &s[i + 2..i + end];
                let segment = next == Some(&b'/') || NO_SLASH.iter().any(|n| n.eq_ignore_ascii_case(name));
                out.push(if segment { Tok::Seg } else { Tok::Any });
                i += end + 1;
                continue;
            }
        }
        out.push(Tok::Lit(b[i].to_ascii_lowercase()));
        i += 1;
    }
    out
}

/// Is there a string both token sequences accept? Product-automaton reachability, O(n·m).
fn intersects(a: &[Tok], b: &[Tok]) -> bool {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > 1 << 20 {
        return true; // absurdly long input: do not judge (and do not spend the memory)
    }
    let w = m + 1;
    let mut seen = vec![false; (n + 1) * w];
    seen[0] = true;
    for i in 0..=n {
        for j in 0..=m {
            if !seen[i * w + j] {
                continue;
            }
            if i == n && j == m {
                return true;
            }
            let mut mark = |ii: usize, jj: usize| seen[ii * w + jj] = true;
            // Empty moves.
            if i < n && a[i] == Tok::Any {
                mark(i + 1, j);
            }
            if j < m && matches!(b[j], Tok::Any | Tok::Seg) {
                mark(i, j + 1);
            }
            if i < n && j < m {
                match (a[i], b[j]) {
                    (Tok::Lit(x), Tok::Lit(y)) if x == y => mark(i + 1, j + 1),
                    (Tok::Lit(_) | Tok::One, Tok::One) | (Tok::One, Tok::Lit(_)) => mark(i + 1, j + 1),
                    (Tok::Lit(x), Tok::Seg) if x != b'/' => mark(i + 1, j),
                    (Tok::Lit(_) | Tok::One, Tok::Any) | (Tok::One, Tok::Seg) => mark(i + 1, j),
                    (Tok::Any, Tok::Lit(_) | Tok::One) => mark(i, j + 1),
                    (Tok::Any, Tok::Seg) => {
                        // A run in `a` may swallow the whole segment.
                        mark(i, j + 1);
                    }
                    _ => {}
                }
            }
        }
    }
    false
}

/// Can the policy resource `arn` (wildcards allowed) name a resource of ARN `format`?
#[must_use]
pub fn matches_format(arn: &str, format: &str) -> bool {
    let (Some(r), Some(f)) = (split(arn), split(format)) else {
        // Not comparable part by part (`arn:aws:*`): a run of wildcards can match anything.
        return intersects(&pattern_tokens(arn), &format_tokens(format));
    };
    // Fast path: different literal services never match (most pairs in a statement).
    let literal = |x: &str| !x.contains(['*', '?', '$']);
    if literal(r.service) && literal(f.service) && !r.service.eq_ignore_ascii_case(f.service) {
        return false;
    }
    let part = |p: &str, q: &str| {
        if literal(p) && literal(q) {
            p.eq_ignore_ascii_case(q)
        } else {
            intersects(&pattern_tokens(p), &format_tokens(q))
        }
    };
    part(r.service, f.service) && part(r.region, f.region) && part(r.account, f.account) && part(r.resource, f.resource)
}

/// Does a region look like one (`ca-central-1`, `us-gov-west-1`, `eu-isoe-west-1`)?
#[must_use]
pub fn region_shape_ok(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts.last().is_some_and(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Does an account field look like one: 12 digits, `aws` (AWS managed), or empty?
#[must_use]
pub fn account_shape_ok(account: &str) -> bool {
    account.is_empty() || account == "aws" || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUCKET: &str = "arn:${Partition}:s3:::${BucketName}";
    const OBJECT: &str = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
    const ROLE: &str = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
    const FUNCTION: &str = "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}";
    const LOG_GROUP: &str = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}";

    #[test]
    fn buckets_and_objects() {
        assert!(matches_format("arn:aws:s3:::my-bucket", BUCKET));
        assert!(!matches_format("arn:aws:s3:::my-bucket", OBJECT));
        assert!(!matches_format("arn:aws:s3:::my-bucket/*", BUCKET));
        assert!(matches_format("arn:aws:s3:::my-bucket/*", OBJECT));
        assert!(matches_format("arn:aws:s3:::my-bucket/a/b/c.txt", OBJECT));
        assert!(matches_format("arn:aws:s3:::my-*", BUCKET));
        assert!(matches_format("arn:aws:s3:::my-*", OBJECT), "`*` may include the slash");
        assert!(!matches_format("arn:aws:s3:ca-central-1::my-bucket", BUCKET));
        assert!(!matches_format("arn:aws:s3:::*/*", BUCKET));
        assert!(matches_format("arn:aws:s3:::*", BUCKET));
        assert!(matches_format("arn:aws:S3:::My-Bucket", BUCKET));
    }

    #[test]
    fn other_services() {
        assert!(matches_format("arn:aws:iam::123456789012:role/app/deployer", ROLE));
        assert!(matches_format("arn:aws:iam::*:role/*", ROLE));
        assert!(!matches_format("arn:aws:iam::123456789012:user/alice", ROLE));
        assert!(matches_format("arn:aws:lambda:ca-central-1:123456789012:function:f:live", FUNCTION));
        assert!(!matches_format("arn:aws:lambda:ca-central-1:123456789012:layer:l", FUNCTION));
        assert!(matches_format("arn:aws:logs:ca-central-1:123456789012:log-group:/aws/ecs/app:*", LOG_GROUP));
        assert!(!matches_format("arn:aws:kms:ca-central-1:123456789012:key/k", ROLE));
        assert!(matches_format("arn:aws:*", ROLE));
        assert!(matches_format("arn:aws:iam::123456789012:role/a?c", ROLE));
        let huge = format!("arn:aws:s3:::{}", "x/".repeat(1 << 20));
        assert!(matches_format(&huge, BUCKET), "huge inputs are not judged");
    }

    #[test]
    fn shapes() {
        assert!(
            region_shape_ok("ca-central-1") && region_shape_ok("us-gov-west-1") && region_shape_ok("eu-isoe-west-1")
        );
        assert!(!region_shape_ok("canada") && !region_shape_ok("ca-central") && !region_shape_ok("CA-central-1"));
        assert!(account_shape_ok("123456789012") && account_shape_ok("aws") && account_shape_ok(""));
        assert!(!account_shape_ok("12345") && !account_shape_ok("my-account"));
        assert_eq!(split("arn:aws:s3:::b/k:x").unwrap().resource, "b/k:x");
        assert!(split("arn:aws:s3").is_none() && split("s3:::b").is_none());
    }
}
