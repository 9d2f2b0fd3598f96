//! CloudTrail: DescribeTrails in every audited region (multi-region trails show up as shadow
//! copies everywhere; they are deduplicated by ARN), then GetTrailStatus and ListTags once per
//! trail, in the trail's home region.

use std::collections::BTreeMap;

use futures::StreamExt;

use super::{fact_or, ClientFactory, Run, Scope, Service};
use crate::inventory::{CollectionError, Fact, Inventory, Tags, Trail};

/// What DescribeTrails returned in one region.
#[derive(Debug, Default)]
pub(crate) struct Described {
    trails: Vec<aws_sdk_cloudtrail::types::Trail>,
    region: String,
    errors: Vec<CollectionError>,
}

pub(crate) async fn describe(run: &Run, ct: &aws_sdk_cloudtrail::Client, account: &str, region: &str) -> Described {
    let mut d = Described { region: region.to_string(), ..Described::default() };
    let scope = Scope::new(Service::CloudTrail, account, Some(region));
    match run.send(Service::CloudTrail, ct.describe_trails().include_shadow_trails(true).send()).await {
        Ok(out) => d.trails = out.trail_list().to_vec(),
        Err(e) => {
            scope.fail(&mut d.errors, "DescribeTrails", None, &e);
        }
    }
    d
}

/// Deduplicate by ARN and read status and tags of each trail.
pub(crate) async fn finish(run: &Run, factory: &ClientFactory, account: &str, described: Vec<Described>) -> Inventory {
    let mut inv = Inventory::default();
    let mut unique: BTreeMap<String, aws_sdk_cloudtrail::types::Trail> = BTreeMap::new();
    for d in described {
        inv.collection_errors.extend(d.errors);
        for t in d.trails {
            let home = t.home_region().unwrap_or(&d.region).to_string();
            let id =
                t.trail_arn().map_or_else(|| format!("{home}/{}", t.name().unwrap_or_default()), ToString::to_string);
            unique.entry(id).or_insert(t);
        }
    }
    let mut results = futures::stream::iter(unique.into_values())
        .map(|t| async move { trail(run, factory, account, t).await })
        .buffer_unordered(run.fan_out());
    while let Some((t, mut errors)) = results.next().await {
        inv.trails.push(t);
        inv.collection_errors.append(&mut errors);
    }
    inv
}

async fn trail(
    run: &Run,
    factory: &ClientFactory,
    account: &str,
    t: aws_sdk_cloudtrail::types::Trail,
) -> (Trail, Vec<CollectionError>) {
    let mut errors = Vec::new();
    let home = t.home_region().unwrap_or("us-east-1").to_string();
    let ct = factory.get(&home).cloudtrail;
    let scope = Scope::new(Service::CloudTrail, account, Some(&home));
    let name = t.name().unwrap_or_default().to_string();
    let id = t.trail_arn().unwrap_or(&name).to_string();
    let (status, tags) = tokio::join!(
        run.send(Service::CloudTrail, ct.get_trail_status().name(&id).send()),
        trail_tags(run, &ct, t.trail_arn()),
    );
    let status = fact_or(&scope, &mut errors, "GetTrailStatus", &id, status);
    let tags = match tags {
        Ok(tags) => tags,
        Err(e) => Fact::Unknown(scope.fail(&mut errors, "ListTags", Some(&id), &e)),
    };
    let out = Trail {
        name,
        arn: t.trail_arn().map(ToString::to_string),
        home_region: home,
        account: Some(account.to_string()),
        address: None,
        multi_region: Fact::Known(t.is_multi_region_trail().unwrap_or(false)),
        organization: Fact::Known(t.is_organization_trail().unwrap_or(false)),
        is_logging: status.as_ref().map(|s| s.is_logging().unwrap_or(false)),
        latest_delivery_error: status
            .as_ref()
            .map(|s| s.latest_delivery_error().filter(|e| !e.is_empty()).map(ToString::to_string)),
        log_file_validation: Fact::Known(t.log_file_validation_enabled().unwrap_or(false)),
        kms_key_id: Fact::Known(t.kms_key_id().filter(|k| !k.is_empty()).map(ToString::to_string)),
        s3_bucket: Fact::Known(t.s3_bucket_name().filter(|b| !b.is_empty()).map(ToString::to_string)),
        cloudwatch_logs_group_arn: Fact::Known(
            t.cloud_watch_logs_log_group_arn().filter(|a| !a.is_empty()).map(ToString::to_string),
        ),
        tags,
    };
    (out, errors)
}

async fn trail_tags(
    run: &Run,
    ct: &aws_sdk_cloudtrail::Client,
    arn: Option<&str>,
) -> Result<
    Fact<Tags>,
    aws_smithy_runtime_api::client::result::SdkError<
        aws_sdk_cloudtrail::operation::list_tags::ListTagsError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
> {
    let Some(arn) = arn else {
        return Ok(Fact::Unknown(crate::inventory::UnknownReason::NotCollected));
    };
    let mut tags = Tags::new();
    let mut pages = ct.list_tags().resource_id_list(arn).into_paginator().send();
    while let Some(page) = run.send(Service::CloudTrail, pages.next()).await {
        for r in page?.resource_tag_list() {
            for t in r.tags_list() {
                tags.insert(t.key().to_string(), t.value().unwrap_or_default().to_string());
            }
        }
    }
    Ok(Fact::Known(tags))
}
