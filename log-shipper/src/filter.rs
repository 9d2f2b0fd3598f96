//! Include and exclude filters over envelope attributes, with `*` wildcards.
//!
//! An event is shipped when it matches at least one include rule (or there are none) and no
//! exclude rule. A rule matches when the attribute exists and equals one of its values.

use serde::{Deserialize, Serialize};

use crate::envelope::{Envelope, Field};

/// One filter rule: `field = "event_name"`, `values = ["Describe*", "List*"]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FilterRule {
    /// Attribute to test.
    pub field: Field,
    /// Values; `*` matches any run of characters.
    pub values: Vec<String>,
}

/// Include and exclude rules.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Ship only events matching one of these (all when empty).
    #[serde(default)]
    pub include: Vec<FilterRule>,
    /// Drop events matching one of these.
    #[serde(default)]
    pub exclude: Vec<FilterRule>,
}

/// `*`-wildcard match.
#[must_use]
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    let first = parts[0];
    if !rest.starts_with(first) {
        return false;
    }
    rest = &rest[first.len()..];
    let last = parts[parts.len() - 1];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

impl FilterRule {
    fn matches(&self, e: &Envelope) -> bool {
        e.attribute(self.field).is_some_and(|v| self.values.iter().any(|p| glob_match(p, v)))
    }
}

impl Filter {
    /// Should this event be shipped?
    #[must_use]
    pub fn keep(&self, e: &Envelope) -> bool {
        (self.include.is_empty() || self.include.iter().any(|r| r.matches(e)))
            && !self.exclude.iter().any(|r| r.matches(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::SourceKind;
    use serde_json::value::RawValue;

    #[test]
    fn globs() {
        assert!(glob_match("Describe*", "DescribeInstances"));
        assert!(glob_match("*", ""));
        assert!(glob_match("kms.*.com", "kms.amazonaws.com"));
        assert!(!glob_match("Get*", "PutObject"));
        assert!(glob_match("a*a", "aa"));
        assert!(!glob_match("a*a", "a"));
        assert!(glob_match("exact", "exact"));
    }

    #[test]
    fn include_and_exclude() {
        let f: Filter = toml::from_str(
            r#"
            [[include]]
            field = "source"
            values = ["cloudtrail"]
            [[exclude]]
            field = "event_name"
            values = ["Describe*", "List*"]
            "#,
        )
        .unwrap();
        let mut e = Envelope::new(SourceKind::Cloudtrail, "1".into(), RawValue::from_string("{}".into()).unwrap());
        e.event_name = Some("PutObject".into());
        assert!(f.keep(&e));
        e.event_name = Some("ListBuckets".into());
        assert!(!f.keep(&e));
        e.source = SourceKind::Cloudwatch;
        e.event_name = None;
        assert!(!f.keep(&e));
        assert!(Filter::default().keep(&e));
        assert!(toml::from_str::<Filter>("[[include]]\nfield = \"nope\"\nvalues = []").is_err());
    }
}
