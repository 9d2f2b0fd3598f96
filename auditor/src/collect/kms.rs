//! KMS per region: ListKeys, ListAliases, then per key DescribeKey, GetKeyRotationStatus (only
//! for symmetric customer managed keys that are not pending deletion), GetKeyPolicy (`default`)
//! and ListResourceTags.

use std::collections::HashMap;

use aws_sdk_kms::types::{KeyManagerType, KeySpec, KeyState, MultiRegionKey};
use futures::StreamExt;

use super::{fact_or, Run, Scope, Service};
use crate::inventory::{CollectionError, Fact, Inventory, KeyManager, KmsKey, Tags, UnknownReason};

/// Every key of the region.
pub(crate) async fn collect(run: &Run, kms: &aws_sdk_kms::Client, account: &str, region: &str) -> Inventory {
    let mut inv = Inventory::default();
    let scope = Scope::new(Service::Kms, account, Some(region));

    let mut ids = Vec::new();
    let mut pages = kms.list_keys().into_paginator().send();
    while let Some(page) = run.send(Service::Kms, pages.next()).await {
        match page {
            Ok(page) => ids.extend(page.keys().iter().filter_map(|k| k.key_id().map(ToString::to_string))),
            Err(e) => {
                scope.fail(&mut inv.collection_errors, "ListKeys", None, &e);
                break;
            }
        }
    }
    if ids.is_empty() {
        return inv;
    }

    // Aliases by target key (aliases of AWS managed keys that do not exist yet have no target).
    let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
    let mut pages = kms.list_aliases().into_paginator().send();
    while let Some(page) = run.send(Service::Kms, pages.next()).await {
        match page {
            Ok(page) => {
                for a in page.aliases() {
                    if let (Some(name), Some(target)) = (a.alias_name(), a.target_key_id()) {
                        aliases.entry(target.to_string()).or_default().push(name.to_string());
                    }
                }
            }
            Err(e) => {
                scope.fail(&mut inv.collection_errors, "ListAliases", None, &e);
                break;
            }
        }
    }

    let mut results = futures::stream::iter(ids)
        .map(|id| {
            let scope = scope.clone();
            let mut names = aliases.get(&id).cloned().unwrap_or_default();
            names.sort();
            async move { key(run, kms, &scope, id, names).await }
        })
        .buffer_unordered(run.fan_out());
    while let Some((k, mut errors)) = results.next().await {
        inv.kms_keys.push(k);
        inv.collection_errors.append(&mut errors);
    }
    inv
}

async fn key(
    run: &Run,
    kms: &aws_sdk_kms::Client,
    scope: &Scope,
    id: String,
    aliases: Vec<String>,
) -> (KmsKey, Vec<CollectionError>) {
    let mut errors = Vec::new();
    let region = scope.region.clone().unwrap_or_default();
    let mut key = KmsKey {
        id: id.clone(),
        region: region.clone(),
        account: Some(scope.account.clone()),
        aliases,
        ..KmsKey::default()
    };
    let (described, policy, tags) = tokio::join!(
        run.send(Service::Kms, kms.describe_key().key_id(&id).send()),
        run.send(Service::Kms, kms.get_key_policy().key_id(&id).policy_name("default").send()),
        resource_tags(run, kms, &id),
    );
    key.policy = fact_or(scope, &mut errors, "GetKeyPolicy", &id, policy).map(|out| {
        out.policy().map(|text| serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.into())))
    });
    key.tags = match tags {
        Ok(t) => Fact::Known(t),
        Err(err) => Fact::Unknown(scope.fail(&mut errors, "ListResourceTags", Some(&id), &err)),
    };
    let meta = match described {
        Ok(out) => out.key_metadata().cloned(),
        Err(err) => {
            let reason = scope.fail(&mut errors, "DescribeKey", Some(&id), &err);
            key.manager = Fact::Unknown(reason);
            key.key_spec = Fact::Unknown(reason);
            key.key_usage = Fact::Unknown(reason);
            key.origin = Fact::Unknown(reason);
            key.state = Fact::Unknown(reason);
            key.rotation_enabled = Fact::Unknown(reason);
            key.rotation_period_days = Fact::Unknown(reason);
            key.multi_region = Fact::Unknown(reason);
            key.replica_regions = Fact::Unknown(reason);
            return (key, errors);
        }
    };
    let Some(meta) = meta else {
        return (key, errors);
    };
    key.arn = meta.arn().map(ToString::to_string);
    let manager = match meta.key_manager() {
        Some(KeyManagerType::Aws) => Some(KeyManager::Aws),
        Some(KeyManagerType::Customer) => Some(KeyManager::Customer),
        _ => None,
    };
    key.manager = manager.map_or(Fact::Unknown(UnknownReason::Unsupported), Fact::Known);
    let spec = meta.key_spec().map(|s| s.as_str().to_string());
    key.key_spec = spec.clone().map_or(Fact::Unknown(UnknownReason::Unsupported), Fact::Known);
    key.key_usage =
        meta.key_usage().map_or(Fact::Unknown(UnknownReason::Unsupported), |u| Fact::Known(u.as_str().into()));
    key.origin = meta.origin().map_or(Fact::Unknown(UnknownReason::Unsupported), |o| Fact::Known(o.as_str().into()));
    key.state = meta.key_state().map_or(Fact::Unknown(UnknownReason::Unsupported), |s| Fact::Known(s.as_str().into()));
    key.deletion_date = meta.deletion_date().map(ToString::to_string);
    // The emulator omits MultiRegion; AWS always sends it. Absent = single-Region.
    key.multi_region = Fact::Known(meta.multi_region().unwrap_or(false));
    key.replica_regions = Fact::Known(
        meta.multi_region_configuration()
            .map(|c| {
                let mut regions: Vec<String> = c
                    .primary_key()
                    .into_iter()
                    .chain(c.replica_keys())
                    .filter_map(MultiRegionKey::region)
                    .filter(|r| *r != region)
                    .map(ToString::to_string)
                    .collect();
                regions.sort();
                regions.dedup();
                regions
            })
            .unwrap_or_default(),
    );

    // Rotation applies to symmetric customer managed keys only; AWS refuses the call for
    // asymmetric/HMAC keys and for keys pending deletion (the emulator does not).
    let symmetric = meta.key_spec() == Some(&KeySpec::SymmetricDefault);
    let pending = matches!(meta.key_state(), Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion));
    if symmetric && manager == Some(KeyManager::Customer) && !pending {
        let res = run.send(Service::Kms, kms.get_key_rotation_status().key_id(&id).send()).await;
        match fact_or(scope, &mut errors, "GetKeyRotationStatus", &id, res) {
            Fact::Known(out) => {
                key.rotation_enabled = Fact::Known(out.key_rotation_enabled());
                key.rotation_period_days = Fact::Known(
                    out.rotation_period_in_days()
                        .and_then(|d| u32::try_from(d).ok())
                        .filter(|_| out.key_rotation_enabled()),
                );
            }
            Fact::Unknown(r) => {
                key.rotation_enabled = Fact::Unknown(r);
                key.rotation_period_days = Fact::Unknown(r);
            }
        }
    } else {
        key.rotation_enabled = Fact::Unknown(UnknownReason::Unsupported);
        key.rotation_period_days = Fact::Unknown(UnknownReason::Unsupported);
    }
    (key, errors)
}

async fn resource_tags(
    run: &Run,
    kms: &aws_sdk_kms::Client,
    id: &str,
) -> Result<
    Tags,
    aws_smithy_runtime_api::client::result::SdkError<
        aws_sdk_kms::operation::list_resource_tags::ListResourceTagsError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
> {
    let mut tags = Tags::new();
    let mut pages = kms.list_resource_tags().key_id(id).into_paginator().send();
    while let Some(page) = run.send(Service::Kms, pages.next()).await {
        for t in page?.tags() {
            tags.insert(t.tag_key().to_string(), t.tag_value().to_string());
        }
    }
    Ok(tags)
}
