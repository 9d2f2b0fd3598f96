//! IAM, once per account: ListRoles; per role the inline policies (ListRolePolicies,
//! GetRolePolicy) and the attached managed policies (ListAttachedRolePolicies); then each distinct
//! managed policy once (GetPolicy, GetPolicyVersion of the default version). Documents are
//! URL-decoded when encoded.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;

use super::{policy_document, tags, Run, Scope, Service};
use crate::inventory::{AttachedPolicy, CollectionError, Fact, IamRole, InlinePolicy, Inventory, UnknownReason};

/// Every role of the account with its effective policies.
pub(crate) async fn collect(run: &Run, iam: &aws_sdk_iam::Client, account: &str) -> Inventory {
    let mut inv = Inventory::default();
    let scope = Scope::new(Service::Iam, account, None);
    let mut roles = Vec::new();
    let mut pages = iam.list_roles().into_paginator().send();
    while let Some(page) = run.send(Service::Iam, pages.next()).await {
        match page {
            Ok(page) => roles.extend(page.roles().iter().cloned()),
            Err(e) => {
                scope.fail(&mut inv.collection_errors, "ListRoles", None, &e);
                break;
            }
        }
    }

    let mut results = futures::stream::iter(roles)
        .map(|role| {
            let scope = scope.clone();
            async move { role_policies(run, iam, &scope, role).await }
        })
        .buffer_unordered(run.fan_out());
    let mut collected = Vec::new();
    while let Some((role, mut errors)) = results.next().await {
        collected.push(role);
        inv.collection_errors.append(&mut errors);
    }
    drop(results);

    // Each managed policy once, however many roles use it.
    let arns: BTreeSet<String> = collected
        .iter()
        .filter_map(|r| r.attached_policies.known())
        .flat_map(|ps| ps.iter().map(|p| p.arn.clone()))
        .collect();
    let mut docs = futures::stream::iter(arns)
        .map(|arn| {
            let scope = scope.clone();
            async move {
                let mut errors = Vec::new();
                let res = managed_policy(run, iam, &scope, &arn, &mut errors).await;
                (arn, res, errors)
            }
        })
        .buffer_unordered(run.fan_out());
    let mut managed: BTreeMap<String, (Option<String>, Fact<serde_json::Value>)> = BTreeMap::new();
    while let Some((arn, res, mut errors)) = docs.next().await {
        managed.insert(arn, res);
        inv.collection_errors.append(&mut errors);
    }
    for role in &mut collected {
        if let Fact::Known(ps) = &mut role.attached_policies {
            for p in ps.iter_mut() {
                if let Some((version, doc)) = managed.get(&p.arn) {
                    p.default_version_id.clone_from(version);
                    p.document = doc.clone();
                }
            }
        }
    }
    inv.iam_roles = collected;
    inv
}

async fn role_policies(
    run: &Run,
    iam: &aws_sdk_iam::Client,
    scope: &Scope,
    role: aws_sdk_iam::types::Role,
) -> (IamRole, Vec<CollectionError>) {
    let mut errors = Vec::new();
    let name = role.role_name().to_string();
    let mut out = IamRole {
        name: name.clone(),
        arn: Some(role.arn().to_string()),
        path: Some(role.path().to_string()),
        account: Some(scope.account.clone()),
        address: None,
        trust_policy: role
            .assume_role_policy_document()
            .map_or(Fact::Unknown(UnknownReason::NotCollected), |d| Fact::Known(policy_document(d))),
        inline_policies: Fact::default(),
        attached_policies: Fact::default(),
        // ListRoles does not return tags; no check reads role tags.
        tags: if role.tags().is_empty() {
            Fact::Unknown(UnknownReason::NotCollected)
        } else {
            Fact::Known(tags(role.tags().iter().map(|t| (t.key(), t.value()))))
        },
    };

    let (inline, attached) =
        tokio::join!(inline_policies(run, iam, scope, &name), attached_policies(run, iam, scope, &name));
    let (inline, mut e1) = inline;
    let (attached, mut e2) = attached;
    out.inline_policies = inline;
    out.attached_policies = attached;
    errors.append(&mut e1);
    errors.append(&mut e2);
    (out, errors)
}

async fn inline_policies(
    run: &Run,
    iam: &aws_sdk_iam::Client,
    scope: &Scope,
    role: &str,
) -> (Fact<Vec<InlinePolicy>>, Vec<CollectionError>) {
    let mut errors = Vec::new();
    let mut names = Vec::new();
    let mut pages = iam.list_role_policies().role_name(role).into_paginator().send();
    while let Some(page) = run.send(Service::Iam, pages.next()).await {
        match page {
            Ok(page) => names.extend(page.policy_names().iter().cloned()),
            Err(e) => {
                let reason = scope.fail(&mut errors, "ListRolePolicies", Some(role), &e);
                return (Fact::Unknown(reason), errors);
            }
        }
    }
    let mut policies = Vec::with_capacity(names.len());
    for policy in names {
        let res = run.send(Service::Iam, iam.get_role_policy().role_name(role).policy_name(&policy).send()).await;
        let document = match res {
            Ok(out) => Fact::Known(policy_document(out.policy_document())),
            Err(e) => Fact::Unknown(scope.fail(&mut errors, "GetRolePolicy", Some(&format!("{role}/{policy}")), &e)),
        };
        policies.push(InlinePolicy { name: policy, document });
    }
    (Fact::Known(policies), errors)
}

async fn attached_policies(
    run: &Run,
    iam: &aws_sdk_iam::Client,
    scope: &Scope,
    role: &str,
) -> (Fact<Vec<AttachedPolicy>>, Vec<CollectionError>) {
    let mut errors = Vec::new();
    let mut policies = Vec::new();
    let mut pages = iam.list_attached_role_policies().role_name(role).into_paginator().send();
    while let Some(page) = run.send(Service::Iam, pages.next()).await {
        match page {
            Ok(page) => policies.extend(page.attached_policies().iter().filter_map(|p| {
                p.policy_arn().map(|arn| AttachedPolicy {
                    arn: arn.to_string(),
                    name: p.policy_name().unwrap_or_default().to_string(),
                    default_version_id: None,
                    document: Fact::default(),
                })
            })),
            Err(e) => {
                let reason = scope.fail(&mut errors, "ListAttachedRolePolicies", Some(role), &e);
                return (Fact::Unknown(reason), errors);
            }
        }
    }
    (Fact::Known(policies), errors)
}

async fn managed_policy(
    run: &Run,
    iam: &aws_sdk_iam::Client,
    scope: &Scope,
    arn: &str,
    errors: &mut Vec<CollectionError>,
) -> (Option<String>, Fact<serde_json::Value>) {
    let version = match run.send(Service::Iam, iam.get_policy().policy_arn(arn).send()).await {
        Ok(out) => out.policy().and_then(|p| p.default_version_id()).map(ToString::to_string),
        Err(e) => return (None, Fact::Unknown(scope.fail(errors, "GetPolicy", Some(arn), &e))),
    };
    let Some(version) = version else {
        return (None, Fact::Unknown(UnknownReason::NotCollected));
    };
    let res = run.send(Service::Iam, iam.get_policy_version().policy_arn(arn).version_id(&version).send()).await;
    let doc = match res {
        Ok(out) => out
            .policy_version()
            .and_then(|v| v.document())
            .map_or(Fact::Unknown(UnknownReason::NotCollected), |d| Fact::Known(policy_document(d))),
        Err(e) => Fact::Unknown(scope.fail(errors, "GetPolicyVersion", Some(arn), &e)),
    };
    (Some(version), doc)
}
