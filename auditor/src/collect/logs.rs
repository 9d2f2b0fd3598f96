//! CloudWatch Logs per region: DescribeLogGroups (retention, KMS key), tags with
//! ListTagsForResource (falling back to the older ListTagsLogGroup where the newer API is not
//! available).

use futures::StreamExt;

use super::{Run, Scope, Service};
use crate::inventory::{CollectionError, Fact, Inventory, LogGroup, Tags};

/// Every log group of the region.
pub(crate) async fn collect(
    run: &Run,
    logs: &aws_sdk_cloudwatchlogs::Client,
    account: &str,
    region: &str,
) -> Inventory {
    let mut inv = Inventory::default();
    let scope = Scope::new(Service::Logs, account, Some(region));
    let mut groups = Vec::new();
    let mut pages = logs.describe_log_groups().into_paginator().send();
    while let Some(page) = run.send(Service::Logs, pages.next()).await {
        match page {
            Ok(page) => groups.extend(page.log_groups().iter().cloned()),
            Err(e) => {
                scope.fail(&mut inv.collection_errors, "DescribeLogGroups", None, &e);
                break;
            }
        }
    }
    let mut results = futures::stream::iter(groups)
        .map(|g| {
            let scope = scope.clone();
            async move { group(run, logs, &scope, g).await }
        })
        .buffer_unordered(run.fan_out());
    while let Some((g, mut errors)) = results.next().await {
        inv.log_groups.push(g);
        inv.collection_errors.append(&mut errors);
    }
    inv
}

async fn group(
    run: &Run,
    logs: &aws_sdk_cloudwatchlogs::Client,
    scope: &Scope,
    g: aws_sdk_cloudwatchlogs::types::LogGroup,
) -> (LogGroup, Vec<CollectionError>) {
    let mut errors = Vec::new();
    let name = g.log_group_name().unwrap_or_default().to_string();
    // `arn` ends in `:*`; `logGroupArn` (newer) does not. Tag APIs want the latter.
    let arn =
        g.log_group_arn().map(ToString::to_string).or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()));
    let tags = match &arn {
        Some(arn) => match run.send(Service::Logs, logs.list_tags_for_resource().resource_arn(arn).send()).await {
            Ok(out) => Fact::Known(
                out.tags().map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default(),
            ),
            Err(e) if matches!(common::aws::classify(&e), common::aws::ErrorClass::AccessDenied) => {
                Fact::Unknown(scope.fail(&mut errors, "ListTagsForResource", Some(&name), &e))
            }
            Err(_) => legacy_tags(run, logs, scope, &name, &mut errors).await,
        },
        None => legacy_tags(run, logs, scope, &name, &mut errors).await,
    };
    let out = LogGroup {
        arn,
        region: scope.region.clone().unwrap_or_default(),
        account: Some(scope.account.clone()),
        address: None,
        retention_days: Fact::Known(g.retention_in_days().and_then(|d| u32::try_from(d).ok())),
        kms_key_id: Fact::Known(g.kms_key_id().filter(|k| !k.is_empty()).map(ToString::to_string)),
        log_group_class: g.log_group_class().map(|c| c.as_str().to_string()),
        tags,
        name,
    };
    (out, errors)
}

#[allow(deprecated)]
async fn legacy_tags(
    run: &Run,
    logs: &aws_sdk_cloudwatchlogs::Client,
    scope: &Scope,
    name: &str,
    errors: &mut Vec<CollectionError>,
) -> Fact<Tags> {
    match run.send(Service::Logs, logs.list_tags_log_group().log_group_name(name).send()).await {
        Ok(out) => {
            Fact::Known(out.tags().map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default())
        }
        Err(e) => Fact::Unknown(scope.fail(errors, "ListTagsLogGroup", Some(name), &e)),
    }
}
