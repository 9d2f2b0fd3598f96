//! Kinesis per region: ListStreams, then per stream DescribeStreamSummary and ListTagsForStream.

use aws_sdk_kinesis::types::EncryptionType;
use futures::StreamExt;

use super::{fact_or, Run, Scope, Service};
use crate::inventory::{CollectionError, Fact, Inventory, KinesisStream, StreamEncryption, Tags, UnknownReason};

/// Every stream of the region.
pub(crate) async fn collect(run: &Run, kinesis: &aws_sdk_kinesis::Client, account: &str, region: &str) -> Inventory {
    let mut inv = Inventory::default();
    let scope = Scope::new(Service::Kinesis, account, Some(region));
    let mut names = Vec::new();
    let mut pages = kinesis.list_streams().into_paginator().send();
    while let Some(page) = run.send(Service::Kinesis, pages.next()).await {
        match page {
            Ok(page) => names.extend(page.stream_names().iter().cloned()),
            Err(e) => {
                scope.fail(&mut inv.collection_errors, "ListStreams", None, &e);
                break;
            }
        }
    }
    names.sort();
    names.dedup();
    let mut results = futures::stream::iter(names)
        .map(|name| {
            let scope = scope.clone();
            async move { stream(run, kinesis, &scope, name).await }
        })
        .buffer_unordered(run.fan_out());
    while let Some((s, mut errors)) = results.next().await {
        inv.kinesis_streams.extend(s);
        inv.collection_errors.append(&mut errors);
    }
    inv
}

async fn stream(
    run: &Run,
    kinesis: &aws_sdk_kinesis::Client,
    scope: &Scope,
    name: String,
) -> (Option<KinesisStream>, Vec<CollectionError>) {
    let mut errors = Vec::new();
    let (summary, tags) = tokio::join!(
        run.send(Service::Kinesis, kinesis.describe_stream_summary().stream_name(&name).send()),
        stream_tags(run, kinesis, &name),
    );
    if let Err(e) = &summary {
        if super::is_code(e, &["ResourceNotFoundException"]) {
            return (None, errors); // deleted since the listing
        }
    }
    let summary = fact_or(scope, &mut errors, "DescribeStreamSummary", &name, summary);
    let tags = match tags {
        Ok(t) => Fact::Known(t),
        Err(e) => Fact::Unknown(scope.fail(&mut errors, "ListTagsForStream", Some(&name), &e)),
    };
    let d = summary.as_ref().map(|s| s.stream_description_summary().cloned());
    let mut out = KinesisStream {
        name: name.clone(),
        region: scope.region.clone().unwrap_or_default(),
        account: Some(scope.account.clone()),
        tags,
        ..KinesisStream::default()
    };
    match d {
        Fact::Known(Some(d)) => {
            out.arn = Some(d.stream_arn().to_string()).filter(|a| !a.is_empty());
            out.encryption_type = Fact::Known(match d.encryption_type() {
                Some(EncryptionType::Kms) => StreamEncryption::Kms,
                _ => StreamEncryption::None,
            });
            out.kms_key_id = Fact::Known(d.key_id().filter(|k| !k.is_empty()).map(ToString::to_string));
            out.retention_hours = u32::try_from(d.retention_period_hours())
                .map_or(Fact::Unknown(UnknownReason::NotCollected), Fact::Known);
        }
        Fact::Known(None) => {}
        Fact::Unknown(r) => {
            out.encryption_type = Fact::Unknown(r);
            out.kms_key_id = Fact::Unknown(r);
            out.retention_hours = Fact::Unknown(r);
        }
    }
    (Some(out), errors)
}

/// ListTagsForStream has no paginator: follow `HasMoreTags` with `ExclusiveStartTagKey`.
async fn stream_tags(
    run: &Run,
    kinesis: &aws_sdk_kinesis::Client,
    name: &str,
) -> Result<
    Tags,
    aws_smithy_runtime_api::client::result::SdkError<
        aws_sdk_kinesis::operation::list_tags_for_stream::ListTagsForStreamError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
> {
    let mut tags = Tags::new();
    let mut start: Option<String> = None;
    loop {
        let req = kinesis.list_tags_for_stream().stream_name(name).set_exclusive_start_tag_key(start.clone());
        let out = run.send(Service::Kinesis, req.send()).await?;
        for t in out.tags() {
            tags.insert(t.key().to_string(), t.value().unwrap_or_default().to_string());
        }
        let last = out.tags().last().map(|t| t.key().to_string());
        if !out.has_more_tags() || last.is_none() || last == start {
            break;
        }
        start = last;
    }
    Ok(tags)
}
