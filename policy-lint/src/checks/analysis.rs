//! The cross-statement permission analysis the semantic checks share.
//!
//! Computed once per policy ([`Analysis::new`]): for every `Allow` statement, what it grants
//! (its action patterns, matched case-insensitively with IAM wildcard semantics, `NotAction`
//! inverted), on which resources ([`Breadth`]), and under which conditions — split into
//! conditions that constrain *who or what is reached* (organization, account, source ARN,
//! passed-to service, resource tags, `kms:ViaService`, …) and conditions that do not (region,
//! source IP, MFA, time, transport). Unconditional `Deny` statements are subtracted: an action
//! a `Deny` removes from every resource of an `Allow` is not granted by that `Allow`.
//!
//! Queries are cheap: [`Analysis::grants`] matches one action name against the statement
//! patterns (no expansion of the 22k-action catalog); expansion by access level
//! ([`Analysis::expand_statement`]) happens only for checks that list actions.

use std::cell::RefCell;

use crate::catalog::{AccessLevel, Action, Catalog};
use crate::engine::AnalyzeOptions;
use crate::policy::{Condition, Policy, PolicyKind, PrincipalType, Statement};

/// How broad the resources of a statement are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Breadth {
    /// Named resources (or, in a resource policy, the attached resource; symbolic references count
    /// as named).
    Specific,
    /// `*` or an ARN whose resource part is only wildcards (`arn:aws:iam::*:role/*`).
    Wildcard,
    /// `NotResource`: everything except the listed resources.
    NotResource,
}

impl Breadth {
    /// `Wildcard` or `NotResource`.
    #[must_use]
    pub fn is_broad(self) -> bool {
        self != Breadth::Specific
    }

    /// For messages.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Breadth::Specific => "specific resources",
            Breadth::Wildcard => "all resources",
            Breadth::NotResource => "all resources except those listed in NotResource",
        }
    }
}

/// Case-insensitive action patterns of one statement (`Action` or `NotAction`).
#[derive(Clone, Debug)]
pub struct ActionMatcher {
    /// `NotAction`.
    pub negated: bool,
    /// The patterns as written (symbolic ones never match).
    pub patterns: Vec<String>,
    /// Lower-cased patterns without wildcards (exact names), for a hash lookup.
    literals: foldhash::HashSet<String>,
    /// Lower-cased patterns with wildcards.
    wild: Vec<String>,
}

impl ActionMatcher {
    /// A matcher over `patterns` (`NotAction` when `negated`).
    #[must_use]
    pub fn new(negated: bool, patterns: Vec<String>) -> Self {
        let mut literals = foldhash::HashSet::default();
        let mut wild = Vec::new();
        for p in patterns.iter().filter(|p| !is_symbolic(p)) {
            let l = p.to_ascii_lowercase();
            if l.contains(['*', '?']) {
                wild.push(l);
            } else {
                literals.insert(l);
            }
        }
        Self { negated, patterns, literals, wild }
    }

    /// Does the statement cover `action` (`iam:PassRole`)?
    #[must_use]
    pub fn covers(&self, action: &str) -> bool {
        self.covers_lower(&action.to_ascii_lowercase())
    }

    /// [`ActionMatcher::covers`] for an already lower-cased action name.
    #[must_use]
    pub fn covers_lower(&self, action: &str) -> bool {
        let hit = self.literals.contains(action) || self.wild.iter().any(|p| crate::catalog::wildcard_match(p, action));
        hit != self.negated
    }

    /// Does it cover every action (`*`, `*:*`, or `NotAction` of nothing that exists)?
    #[must_use]
    pub fn covers_all(&self, catalog: &Catalog) -> bool {
        if self.negated {
            self.patterns.iter().all(|p| !is_symbolic(p) && catalog.expand(p).is_empty())
        } else {
            self.patterns.iter().any(|p| is_all_actions(p))
        }
    }
}

/// Is `pattern` the all-actions wildcard?
#[must_use]
pub fn is_all_actions(pattern: &str) -> bool {
    pattern == "*" || pattern == "*:*"
}

/// IAM wildcard match of an action pattern, ignoring symbolic (`${...}`) patterns.
#[must_use]
pub fn pattern_matches(pattern: &str, action: &str) -> bool {
    !is_symbolic(pattern) && crate::catalog::wildcard_match(pattern, action)
}

/// A Terraform reference or policy variable kept as-is by the input layer.
#[must_use]
pub fn is_symbolic(s: &str) -> bool {
    s.contains("${")
}

/// One `Allow` statement, analysed.
#[derive(Clone, Debug)]
pub struct AllowInfo {
    /// Position in `Policy::statements`.
    pub index: usize,
    /// Pointer of the statement.
    pub pointer: String,
    /// Pointer of its `Action`/`NotAction`.
    pub action_pointer: String,
    /// Pointer of its `Resource`/`NotResource`, or of the statement (trust policies).
    pub resource_pointer: String,
    /// The action patterns.
    pub actions: ActionMatcher,
    /// Resource breadth.
    pub breadth: Breadth,
    /// The resources as written (empty in trust policies).
    pub resources: Vec<String>,
    /// Condition keys that constrain who or what is reached (as written).
    pub constraining: Vec<String>,
    /// Other condition keys (region, IP, MFA, time, transport…).
    pub loose: Vec<String>,
}

impl AllowInfo {
    /// Has a condition that constrains who or what is reached.
    #[must_use]
    pub fn constrained(&self) -> bool {
        !self.constraining.is_empty()
    }

    /// Has a constraining condition on `key` (case-insensitive; `prefix/` matches tag keys).
    #[must_use]
    pub fn constrained_by(&self, key: &str) -> bool {
        self.constraining.iter().any(|k| k.eq_ignore_ascii_case(key))
    }
}

/// An unconditional `Deny`.
#[derive(Clone, Debug)]
struct DenyInfo {
    actions: ActionMatcher,
    /// `None`: `*` (everything); otherwise the resource patterns.
    resources: Option<Vec<String>>,
}

/// How an action is granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Position of the statement in [`Analysis::allows`].
    pub allow: usize,
    /// Pointer of the statement.
    pub pointer: String,
    /// Resource breadth.
    pub breadth: Breadth,
    /// Whether a constraining condition limits it.
    pub constrained: bool,
}

impl Grant {
    /// Broad resources and no constraining condition.
    #[must_use]
    pub fn is_unconstrained_broad(&self) -> bool {
        self.breadth.is_broad() && !self.constrained
    }

    fn rank(&self) -> u8 {
        u8::from(self.breadth.is_broad()) * 2 + u8::from(!self.constrained)
    }
}

/// The permission analysis of one policy.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Kind of the policy.
    pub kind: PolicyKind,
    /// Every `Allow` statement, in document order.
    pub allows: Vec<AllowInfo>,
    denies: Vec<DenyInfo>,
    /// Accounts considered "ours": the configured account, or the account inferred from the
    /// document (resource ARNs, the key policy's root statement) when none is configured.
    pub home_accounts: Vec<String>,
    /// Trusted accounts from the options.
    pub trusted_accounts: Vec<String>,
    /// [`Analysis::grants`] results by lower-cased action.
    grant_cache: RefCell<foldhash::HashMap<String, Option<Grant>>>,
}

impl Analysis {
    /// Analyse `policy`.
    #[must_use]
    pub fn new(policy: &Policy, catalog: &Catalog, opts: &AnalyzeOptions) -> Analysis {
        let kind = policy.kind;
        let mut allows = Vec::new();
        let mut denies = Vec::new();
        for (i, st) in policy.statements.iter().enumerate() {
            let actions =
                ActionMatcher::new(st.action.negated, st.action.items.iter().map(|s| s.value.clone()).collect());
            if st.is_allow() {
                let (breadth, resources, resource_pointer) = match &st.resource {
                    None => (Breadth::Specific, Vec::new(), st.pointer.clone()),
                    Some(b) => {
                        let res: Vec<String> = b.items.iter().map(|s| s.value.clone()).collect();
                        let breadth = if b.negated {
                            Breadth::NotResource
                        } else if res.iter().any(|r| resource_is_broad(r, kind)) {
                            Breadth::Wildcard
                        } else {
                            Breadth::Specific
                        };
                        (breadth, res, b.pointer.clone())
                    }
                };
                let mut constraining = Vec::new();
                let mut loose = Vec::new();
                for c in &st.conditions {
                    if is_constraining(c) {
                        constraining.push(c.key.clone());
                    } else {
                        loose.push(c.key.clone());
                    }
                }
                allows.push(AllowInfo {
                    index: i,
                    pointer: st.pointer.clone(),
                    action_pointer: st.action.pointer.clone(),
                    resource_pointer,
                    actions,
                    breadth,
                    resources,
                    constraining,
                    loose,
                });
            } else if st.conditions.is_empty() && deny_applies_to_everyone(st) {
                let resources = match &st.resource {
                    None => None,
                    Some(b) if b.negated => continue,
                    Some(b) if b.has_star() => None,
                    Some(b) => Some(b.items.iter().map(|s| s.value.clone()).collect()),
                };
                denies.push(DenyInfo { actions, resources });
            }
        }
        let _ = catalog;
        let home_accounts = home_accounts(policy, opts);
        Analysis {
            kind,
            allows,
            denies,
            home_accounts,
            trusted_accounts: opts.trusted_accounts.clone(),
            grant_cache: RefCell::new(foldhash::HashMap::default()),
        }
    }

    /// Does an unconditional `Deny` remove `action` from everything `allow` grants?
    #[must_use]
    pub fn denied(&self, allow: &AllowInfo, action: &str) -> bool {
        if self.denies.is_empty() {
            return false;
        }
        let action = action.to_ascii_lowercase();
        self.denies.iter().any(|d| {
            d.actions.covers_lower(&action)
                && match &d.resources {
                    None => true,
                    Some(pats) => {
                        allow.breadth == Breadth::Specific
                            && !allow.resources.is_empty()
                            && allow.resources.iter().all(|r| pats.iter().any(|p| resource_covers(p, r)))
                    }
                }
        })
    }

    /// Does statement `allow` grant `action` (after `Deny`)?
    #[must_use]
    pub fn allow_grants(&self, allow: &AllowInfo, action: &str) -> bool {
        allow.actions.covers(action) && !self.denied(allow, action)
    }

    /// The strongest grant of `action` across statements (after `Deny`): broad and
    /// unconstrained beats broad-but-constrained beats specific.
    #[must_use]
    pub fn grants(&self, action: &str) -> Option<Grant> {
        let key = action.to_ascii_lowercase();
        if let Some(hit) = self.grant_cache.borrow().get(&key) {
            return hit.clone();
        }
        let best = self.compute_grant(&key);
        self.grant_cache.borrow_mut().insert(key, best.clone());
        best
    }

    fn compute_grant(&self, action: &str) -> Option<Grant> {
        let mut best: Option<Grant> = None;
        for (pos, a) in self.allows.iter().enumerate() {
            if !self.allow_grants(a, action) {
                continue;
            }
            let g = Grant { allow: pos, pointer: a.pointer.clone(), breadth: a.breadth, constrained: a.constrained() };
            if best.as_ref().is_none_or(|b| g.rank() > b.rank()) {
                best = Some(g);
            }
        }
        best
    }

    /// The first statement granting `action` (after `Deny`) that satisfies `pred`.
    pub fn grant_where(&self, action: &str, pred: impl Fn(&AllowInfo) -> bool) -> Option<&AllowInfo> {
        self.allows.iter().find(|a| pred(a) && self.allow_grants(a, action))
    }

    /// The statement that grants `action` on broad resources with no constraining condition.
    #[must_use]
    pub fn unconstrained_broad(&self, action: &str) -> Option<&AllowInfo> {
        self.grants(action).filter(Grant::is_unconstrained_broad).map(|g| &self.allows[g.allow])
    }

    /// The catalog actions statement `allow` grants (wildcards and `NotAction` expanded, after
    /// `Deny`), optionally only those of the given access levels. In catalog order (service,
    /// then name), no duplicates. Pattern expansions are cached across policies.
    #[must_use]
    pub fn expand_statement<'c>(
        &self,
        catalog: &'c Catalog,
        allow: &AllowInfo,
        levels: Option<&[AccessLevel]>,
    ) -> Vec<&'c Action> {
        let keep = |a: &Action| levels.is_none_or(|l| l.contains(&a.access_level));
        let all = catalog.actions();
        let mut out: Vec<&Action> = if allow.actions.negated {
            all.iter().filter(|a| keep(a) && allow.actions.covers_lower(&a.full_name().to_ascii_lowercase())).collect()
        } else {
            let mut idx: Vec<u32> = Vec::new();
            for p in allow.actions.patterns.iter().filter(|p| !is_symbolic(p)) {
                idx.extend(expand_cached(catalog, p).iter().copied());
            }
            idx.sort_unstable();
            idx.dedup();
            idx.into_iter().filter_map(|i| all.get(i as usize)).filter(|a| keep(a)).collect()
        };
        if !self.denies.is_empty() {
            out.retain(|a| !self.denied(allow, &a.full_name()));
        }
        out
    }

    /// Is `account` (12 digits) outside the home and trusted accounts?
    #[must_use]
    pub fn is_foreign_account(&self, account: &str) -> bool {
        !self.home_accounts.iter().any(|h| h == account) && !self.trusted_accounts.iter().any(|t| t == account)
    }
}

/// `catalog.expand(pattern)` as indices into `catalog.actions()`, cached per catalog and
/// lower-cased pattern for the life of the process (policies repeat the same wildcards).
#[must_use]
pub fn expand_cached(catalog: &Catalog, pattern: &str) -> std::sync::Arc<[u32]> {
    type Cache = std::sync::Mutex<foldhash::HashMap<(usize, usize, String), std::sync::Arc<[u32]>>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let all = catalog.actions();
    let key = (std::ptr::from_ref(catalog) as usize, all.len(), pattern.to_ascii_lowercase());
    let cache = CACHE.get_or_init(Cache::default);
    if let Some(v) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return v;
    }
    let base = all.as_ptr() as usize;
    let size = std::mem::size_of::<Action>().max(1);
    let v: std::sync::Arc<[u32]> = catalog
        .expand(pattern)
        .into_iter()
        .filter_map(|a| {
            let off = (std::ptr::from_ref(a) as usize).checked_sub(base)? / size;
            (off < all.len()).then(|| u32::try_from(off).ok()).flatten()
        })
        .collect();
    if let Ok(mut c) = cache.lock() {
        c.insert(key, v.clone());
    }
    v
}

/// Does a `Deny` statement apply to every principal (identity policies have none)?
fn deny_applies_to_everyone(st: &Statement) -> bool {
    match &st.principal {
        None => true,
        Some(p) => !p.negated && p.is_public(),
    }
}

/// Is a resource entry broad (everything of a type, in any account)?
#[must_use]
pub fn resource_is_broad(r: &str, kind: PolicyKind) -> bool {
    if is_symbolic(r) || kind.is_resource_policy() {
        return false;
    }
    if r == "*" {
        return true;
    }
    let parts: Vec<&str> = r.splitn(6, ':').collect();
    if parts.len() < 6 || !parts[0].eq_ignore_ascii_case("arn") {
        return false;
    }
    let res = parts[5];
    if res.chars().all(|c| matches!(c, '*' | '/' | ':')) {
        return true;
    }
    // `role/*`, `user/*`, `table/*`: every resource of a type (not S3, whose resource part is a
    // bucket name).
    if !parts[2].eq_ignore_ascii_case("s3") {
        if let Some((ty, rest)) = res.split_once(['/', ':']) {
            return !ty.is_empty() && !ty.contains('*') && rest.chars().all(|c| matches!(c, '*' | '/'));
        }
    }
    false
}

/// Does a `Deny` resource pattern cover an `Allow` resource?
fn resource_covers(pattern: &str, resource: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if is_symbolic(pattern) || is_symbolic(resource) {
        return pattern == resource;
    }
    crate::catalog::wildcard_match(pattern, resource)
}

/// Keys that constrain who or what is reached, lower-case. Tag keys (`*/ResourceTag/*`,
/// `aws:PrincipalTag/*`) and encryption-context keys are matched by prefix in
/// [`is_constraining_key`].
const CONSTRAINING_KEYS: &[&str] = &[
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalservicename",
    "aws:userid",
    "aws:username",
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:resourceaccount",
    "aws:resourceorgid",
    "aws:resourceorgpaths",
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:calledvia",
    "aws:calledviafirst",
    "aws:calledvialast",
    "iam:passedtoservice",
    "iam:associatedresourcearn",
    "iam:permissionsboundary",
    "iam:policyarn",
    "kms:viaservice",
    "kms:calleraccount",
    "kms:grantissuer",
    "s3:prefix",
    "s3:resourceaccount",
    "s3:dataccesspointaccount",
    "s3:dataccesspointarn",
    "dynamodb:leadingkeys",
    "secretsmanager:secretid",
    "ecs:cluster",
    "cloudwatch:namespace",
    "lambda:functionarn",
    "ec2:instanceprofile",
    "sts:externalid",
];

/// Is `key` one that constrains who or what is reached?
#[must_use]
pub fn is_constraining_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    CONSTRAINING_KEYS.iter().any(|c| c.eq_ignore_ascii_case(&k))
        || k.contains(":resourcetag/")
        || k.starts_with("aws:principaltag/")
        || k.starts_with("kms:encryptioncontext:")
        || k.starts_with("s3:existingobjecttag/")
}

/// Operators that positively limit a key to the listed values.
fn positive_operator(base: &str) -> bool {
    matches!(base, "StringEquals" | "StringLike" | "StringEqualsIgnoreCase" | "ArnEquals" | "ArnLike" | "IpAddress")
}

/// A value that matches anything (`*`, `**`, `?*`).
#[must_use]
pub fn is_wildcard_only(v: &str) -> bool {
    !v.is_empty() && v.chars().all(|c| matches!(c, '*' | '?'))
}

/// Does condition `c` constrain who or what is reached? Needs a constraining key, a positive
/// operator without `IfExists` (which lets requests without the key through), and at least one
/// non-wildcard value. `ForAllValues` is not constraining (it is true when the key is absent).
#[must_use]
pub fn is_constraining(c: &Condition) -> bool {
    is_constraining_key(&c.key)
        && positive_operator(&c.base)
        && !c.if_exists
        && c.qualifier != Some(crate::policy::SetQualifier::ForAllValues)
        && !c.values.is_empty()
        && c.strings().iter().all(|v| !is_wildcard_only(v))
}

/// Positive, non-`IfExists` conditions of a statement on `key` (case-insensitive) and their
/// values.
pub fn positive_values<'a>(st: &'a Statement, key: &'a str) -> impl Iterator<Item = (&'a Condition, Vec<String>)> + 'a {
    st.conditions_on(key).filter(|c| positive_operator(&c.base) && !c.if_exists).map(|c| (c, c.strings()))
}

/// The 12-digit account of a principal value: `123456789012`, `arn:aws:iam::123456789012:root`,
/// `arn:aws:iam::123456789012:role/x`, `arn:aws:sts::123456789012:assumed-role/x/y`.
#[must_use]
pub fn principal_account(value: &str) -> Option<&str> {
    if is_account_id(value) {
        return Some(value);
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" && is_account_id(parts[4]) {
        return Some(parts[4]);
    }
    None
}

/// Twelve ASCII digits.
#[must_use]
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Is a principal value an account root (`123456789012` or `arn:aws:iam::123456789012:root`)?
#[must_use]
pub fn is_account_root(value: &str) -> bool {
    is_account_id(value)
        || (value.starts_with("arn:") && value.ends_with(":root") && principal_account(value).is_some())
}

/// An `AWS` principal value that matches any account: `*`, `arn:aws:iam::*:root`, `arn:aws:iam::*:role/x`.
#[must_use]
pub fn is_wildcard_principal(value: &str) -> bool {
    if value == "*" {
        return true;
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    parts.len() == 6 && parts[0] == "arn" && parts[4].contains('*')
}

fn home_accounts(policy: &Policy, opts: &AnalyzeOptions) -> Vec<String> {
    if let Some(a) = &opts.account_id {
        return vec![a.clone()];
    }
    let mut out: Vec<String> = Vec::new();
    let mut add = |a: &str| {
        if !out.iter().any(|x| x == a) {
            out.push(a.to_string());
        }
    };
    for st in &policy.statements {
        if let Some(b) = &st.resource {
            for r in &b.items {
                let parts: Vec<&str> = r.value.splitn(6, ':').collect();
                if parts.len() == 6
                    && parts[0] == "arn"
                    && is_account_id(parts[4])
                    && !parts[2].eq_ignore_ascii_case("iam")
                {
                    add(parts[4]);
                }
            }
        }
        // The key policy's default statement: the key's own account root with kms:*.
        if policy.kind == PolicyKind::Key && st.is_allow() && !st.action.negated {
            let all_kms = st.action.items.iter().any(|a| a.value.eq_ignore_ascii_case("kms:*") || a.value == "*");
            if let Some(p) = &st.principal {
                if all_kms && !p.negated {
                    for e in &p.entries {
                        if e.kind == PrincipalType::Aws && is_account_root(&e.value) {
                            if let Some(a) = principal_account(&e.value) {
                                add(a);
                            }
                        }
                    }
                }
            }
        }
    }
    if out.is_empty() && policy.kind.is_resource_policy() {
        // A bucket/queue/topic policy naming principals of exactly one account: that account.
        let mut accts: Vec<&str> = Vec::new();
        for st in &policy.statements {
            if let Some(p) = &st.principal {
                for e in &p.entries {
                    if e.kind == PrincipalType::Aws {
                        if let Some(a) = principal_account(&e.value) {
                            if !accts.contains(&a) {
                                accts.push(a);
                            }
                        }
                    }
                }
            }
        }
        if accts.len() == 1 {
            out.push(accts[0].to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse;
    use serde_json::json;

    fn analyse(doc: serde_json::Value, kind: PolicyKind) -> Analysis {
        let p = parse(&doc, kind).unwrap();
        Analysis::new(&p, Catalog::builtin(), &AnalyzeOptions::default())
    }

    #[test]
    fn wildcards_are_case_insensitive_and_notaction_inverts() {
        let a = analyse(
            json!({"Statement": [
                {"Effect": "Allow", "Action": "IAM:pass*", "Resource": "*"},
                {"Effect": "Allow", "NotAction": "s3:*", "Resource": "arn:aws:s3:::b"}
            ]}),
            PolicyKind::Identity,
        );
        let g = a.grants("iam:PassRole").unwrap();
        assert_eq!((g.breadth, g.constrained, g.allow), (Breadth::Wildcard, false, 0));
        assert!(a.grants("s3:GetObject").is_none());
        assert_eq!(a.grants("ec2:RunInstances").unwrap().breadth, Breadth::Specific);
    }

    #[test]
    fn unconditional_deny_is_subtracted_conditional_is_not() {
        let a = analyse(
            json!({"Statement": [
                {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:CreateAccessKey", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
            ]}),
            PolicyKind::Identity,
        );
        assert!(a.grants("iam:PassRole").is_none());
        assert!(a.grants("iam:CreateAccessKey").is_some());
        let exp = a.expand_statement(Catalog::builtin(), &a.allows[0], None);
        assert!(exp.iter().all(|x| !x.name.eq_ignore_ascii_case("PassRole")));
        assert!(exp.iter().any(|x| x.name.eq_ignore_ascii_case("CreateAccessKey")));
    }

    #[test]
    fn deny_on_specific_resource_only_covers_that_resource() {
        let a = analyse(
            json!({"Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]},
                {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::a/*"}
            ]}),
            PolicyKind::Identity,
        );
        assert!(a.grants("s3:GetObject").is_some());
    }

    #[test]
    fn conditions_are_classified() {
        let a = analyse(
            json!({"Statement": [
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "ca-central-1"}}},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringLike": {"aws:PrincipalOrgID": "*"}}},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEqualsIfExists": {"aws:SourceArn": "arn:aws:x"}}}
            ]}),
            PolicyKind::Identity,
        );
        let c: Vec<bool> = a.allows.iter().map(AllowInfo::constrained).collect();
        assert_eq!(c, [false, true, false, false]);
        assert!(a.unconstrained_broad("iam:PassRole").is_some());
    }

    #[test]
    fn breadth_of_resources() {
        use PolicyKind::{Bucket, Identity};
        assert!(resource_is_broad("*", Identity));
        assert!(!resource_is_broad("*", Bucket));
        assert!(resource_is_broad("arn:aws:iam::*:role/*", Identity));
        assert!(resource_is_broad("arn:aws:iam::111122223333:role/*", Identity));
        assert!(resource_is_broad("arn:aws:s3:::*", Identity));
        assert!(!resource_is_broad("arn:aws:s3:::bucket/*", Identity));
        assert!(!resource_is_broad("arn:aws:iam::111122223333:role/app-*", Identity));
        assert!(!resource_is_broad("${aws_iam_role.x.arn}", Identity));
        assert!(!resource_is_broad("arn:aws:dynamodb:ca-central-1:111122223333:table/cases", Identity));
    }

    #[test]
    fn cached_expansion_matches_the_catalog() {
        let c = Catalog::builtin();
        for p in ["s3:*", "IAM:*AccessKey*", "ec2:Describe*", "kms:Decrypt", "nosuch:*"] {
            let want: Vec<String> = c.expand(p).iter().map(|a| a.full_name()).collect();
            for _ in 0..2 {
                let got: Vec<String> =
                    expand_cached(c, p).iter().map(|&i| c.actions()[i as usize].full_name()).collect();
                let (mut w, mut g) = (want.clone(), got);
                w.sort();
                g.sort();
                assert_eq!(g, w, "{p}");
            }
        }
    }

    #[test]
    fn principals() {
        assert_eq!(principal_account("arn:aws:iam::111122223333:role/x"), Some("111122223333"));
        assert_eq!(principal_account("111122223333"), Some("111122223333"));
        assert_eq!(principal_account("ec2.amazonaws.com"), None);
        assert!(is_account_root("arn:aws:iam::111122223333:root"));
        assert!(!is_account_root("arn:aws:iam::111122223333:role/root"));
        assert!(is_wildcard_principal("arn:aws:iam::*:root"));
        assert!(!is_wildcard_principal("arn:aws:iam::111122223333:root"));
    }

    #[test]
    fn home_account_is_inferred_from_key_policy_root() {
        let a = analyse(
            json!({"Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}
            ]}),
            PolicyKind::Key,
        );
        assert_eq!(a.home_accounts, ["111122223333"]);
        assert!(!a.is_foreign_account("111122223333"));
        assert!(a.is_foreign_account("444455556666"));
    }
}
