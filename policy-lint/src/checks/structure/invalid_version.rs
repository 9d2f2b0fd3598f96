//! PL305 invalid-version: `Version` missing (IAM then applies 2008-10-17), not one of the two
//! versions IAM accepts, or 2008-10-17 in a policy that uses policy variables (which that
//! version does not substitute).

use super::is_symbolic;
use crate::engine::Ctx;
use crate::policy::Policy;

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let msg = match &ctx.policy.version {
        None => Some((
            String::new(),
            "the policy has no `Version`: IAM applies 2008-10-17, in which policy variables are literal text; \
             set \"Version\": \"2012-10-17\""
                .to_string(),
        )),
        Some(v) if is_symbolic(&v.value) || v.value == "2012-10-17" => None,
        Some(v) if v.value == "2008-10-17" => uses_policy_variables(ctx.policy).map(|where_| {
            (
                v.pointer.clone(),
                format!(
                    "Version 2008-10-17 does not substitute policy variables, so {where_} is compared literally; \
                     use 2012-10-17"
                ),
            )
        }),
        Some(v) => Some((
            v.pointer.clone(),
            format!("`{}` is not a policy version: IAM accepts only 2012-10-17 (and the legacy 2008-10-17)", v.value),
        )),
    };
    if let Some((ptr, m)) = msg {
        ctx.report(ptr, m);
    }
}

/// A policy variable (`${aws:username}`, `${saml:sub}`, `${*}`) — unlike a Terraform reference
/// (`${var.x}`), it has a colon or is one of the special characters.
fn is_policy_variable(s: &str) -> bool {
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else { return false };
        let inner = &after[..end];
        if inner.contains(':') || matches!(inner, "*" | "?" | "$") {
            return true;
        }
        rest = &after[end..];
    }
    false
}

fn uses_policy_variables(p: &Policy) -> Option<String> {
    for st in &p.statements {
        for it in st.resource.iter().flat_map(|b| &b.items) {
            if is_policy_variable(&it.value) {
                return Some(format!("`{}`", it.value));
            }
        }
        for c in &st.conditions {
            for v in &c.values {
                if v.value.as_str().is_some_and(is_policy_variable) {
                    return Some(format!("the value of condition key `{}`", c.key));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn policy_variables_are_not_terraform_references() {
        assert!(super::is_policy_variable("arn:aws:s3:::b/${aws:username}/*"));
        assert!(super::is_policy_variable("${*}"));
        assert!(!super::is_policy_variable("${var.bucket_arn}/*"));
        assert!(!super::is_policy_variable("${aws_s3_bucket.b.arn}"));
    }
}
