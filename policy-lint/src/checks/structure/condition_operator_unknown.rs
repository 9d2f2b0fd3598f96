//! PL402 condition-operator-unknown: a condition operator IAM does not know (`StringEqual`,
//! `ForAllValue:StringEquals`, `NullIfExists`). IAM rejects the policy, or — in tools that
//! pass it through — the condition is dropped from the reviewer's mental model.

use std::collections::HashSet;

use super::OPERATORS;
use crate::engine::Ctx;

/// The canonical spelling of a base operator (case-insensitive lookup).
pub(crate) fn canonical(base: &str) -> Option<&'static str> {
    OPERATORS.iter().copied().find(|o| o.eq_ignore_ascii_case(base))
}

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for st in &ctx.policy.statements {
        for c in &st.conditions {
            if !seen.insert(c.operator_pointer.as_str()) {
                continue;
            }
            let op = c.operator.as_str();
            if c.qualifier.is_none() && op.contains(':') {
                let (q, rest) = op.split_once(':').unwrap_or((op, ""));
                let hint = suggest(rest).map(|b| format!("{}:{b}", suggest_qualifier(q)));
                found.push((
                    c.operator_pointer.clone(),
                    unknown(op, "unknown set qualifier (expected ForAllValues: or ForAnyValue:)", hint),
                ));
                continue;
            }
            let Some(canon) = canonical(&c.base) else {
                let hint = suggest(&c.base).map(|b| rebuild(c, &b));
                found.push((c.operator_pointer.clone(), unknown(op, "unknown condition operator", hint)));
                continue;
            };
            if canon == "Null" && c.if_exists {
                found.push((
                    c.operator_pointer.clone(),
                    format!("`{op}` is not a condition operator: `Null` already tests whether the key exists and takes no `IfExists`"),
                ));
            }
        }
    }
    for (ptr, msg) in found {
        ctx.report(ptr, msg);
    }
}

fn unknown(op: &str, what: &str, hint: Option<String>) -> String {
    match hint {
        Some(h) => format!("`{op}`: {what} (did you mean `{h}`?)"),
        None => format!("`{op}`: {what}"),
    }
}

fn rebuild(c: &crate::policy::Condition, base: &str) -> String {
    let q = match c.qualifier {
        Some(crate::policy::SetQualifier::ForAllValues) => "ForAllValues:",
        Some(crate::policy::SetQualifier::ForAnyValue) => "ForAnyValue:",
        None => "",
    };
    format!("{q}{base}{}", if c.if_exists { "IfExists" } else { "" })
}

fn suggest_qualifier(q: &str) -> &'static str {
    if q.to_ascii_lowercase().contains("all") {
        "ForAllValues"
    } else {
        "ForAnyValue"
    }
}

/// The closest operator to a misspelt one, keeping an `IfExists` suffix typo in view.
fn suggest(word: &str) -> Option<String> {
    if word.len() > 64 {
        return None;
    }
    let (stem, suffix) = match word.to_ascii_lowercase().find("ifexist") {
        Some(i) if i > 0 => (&word[..i], "IfExists"),
        _ => (word, ""),
    };
    if let Some(c) = canonical(stem) {
        return Some(format!("{c}{suffix}"));
    }
    let mut best: Option<(usize, &str)> = None;
    for o in OPERATORS {
        let d = edit_distance(&stem.to_ascii_lowercase(), &o.to_ascii_lowercase());
        if d <= 3 && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, o));
        }
    }
    best.map(|(_, o)| format!("{o}{suffix}"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + usize::from(a[i - 1] != b[j - 1]));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::suggest;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("StringEqual").as_deref(), Some("StringEquals"));
        assert_eq!(suggest("StringEqualsIfExist").as_deref(), Some("StringEqualsIfExists"));
        assert_eq!(suggest("IpAdress").as_deref(), Some("IpAddress"));
        assert_eq!(suggest("Boolean").as_deref(), Some("Bool"));
        assert_eq!(suggest("TotallyDifferentThing"), None);
    }
}
