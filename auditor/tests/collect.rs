//! The collectors against faults the emulator cannot produce (aws-smithy-mocks): throttling
//! then success, throttling that never ends, AccessDenied on one service while the others are
//! collected, pagination across pages, and the per-service request-rate cap.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use auditor::collect::{collect_with, ClientFactory, Clients, CollectOptions, Service};
use auditor::inventory::{Fact, UnknownReason, Versioning};
use aws_config::retry::RetryConfig;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::error::ErrorMetadata;

const ACCOUNT: &str = "111122223333";

/// Rules per service; each list is tried in order before the "empty account" defaults.
#[derive(Default)]
struct Rules {
    s3: Vec<Rule>,
    kms: Vec<Rule>,
    iam: Vec<Rule>,
    cloudtrail: Vec<Rule>,
    logs: Vec<Rule>,
    kinesis: Vec<Rule>,
}

fn retry() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(4).with_initial_backoff(Duration::from_millis(1))
}

fn err(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(format!("{code} (mocked)")).build()
}

/// A factory whose clients answer with `rules`, else as an empty account.
fn factory(mut r: Rules) -> ClientFactory {
    use aws_sdk_cloudtrail::operation::describe_trails::DescribeTrailsOutput;
    use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
    use aws_sdk_iam::operation::list_roles::ListRolesOutput;
    use aws_sdk_kinesis::operation::list_streams::ListStreamsOutput;
    use aws_sdk_kms::operation::list_keys::ListKeysOutput;
    use aws_sdk_s3::operation::list_buckets::ListBucketsOutput;
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;

    r.s3.push(mock!(aws_sdk_s3::Client::list_buckets).then_output(|| ListBucketsOutput::builder().build()));
    r.kms.push(mock!(aws_sdk_kms::Client::list_keys).then_output(|| ListKeysOutput::builder().build()));
    r.iam.push(
        mock!(aws_sdk_iam::Client::list_roles)
            .then_output(|| ListRolesOutput::builder().set_roles(Some(vec![])).build().unwrap()),
    );
    r.cloudtrail.push(
        mock!(aws_sdk_cloudtrail::Client::describe_trails).then_output(|| DescribeTrailsOutput::builder().build()),
    );
    r.logs.push(
        mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
            .then_output(|| DescribeLogGroupsOutput::builder().build()),
    );
    r.kinesis.push(mock!(aws_sdk_kinesis::Client::list_streams).then_output(|| {
        ListStreamsOutput::builder().set_stream_names(Some(vec![])).has_more_streams(false).build().unwrap()
    }));
    let sts = vec![mock!(aws_sdk_sts::Client::get_caller_identity)
        .then_output(|| GetCallerIdentityOutput::builder().account(ACCOUNT).build())];

    let clients = Clients {
        s3: mock_client!(aws_sdk_s3, RuleMode::MatchAny, r.s3.iter(), |c| c.retry_config(retry())),
        s3control: None,
        kms: mock_client!(aws_sdk_kms, RuleMode::MatchAny, r.kms.iter(), |c| c.retry_config(retry())),
        iam: mock_client!(aws_sdk_iam, RuleMode::MatchAny, r.iam.iter(), |c| c.retry_config(retry())),
        sts: mock_client!(aws_sdk_sts, RuleMode::MatchAny, sts.iter(), |c| c.retry_config(retry())),
        cloudtrail: mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, r.cloudtrail.iter(), |c| c
            .retry_config(retry())),
        logs: mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, r.logs.iter(), |c| c.retry_config(retry())),
        kinesis: mock_client!(aws_sdk_kinesis, RuleMode::MatchAny, r.kinesis.iter(), |c| c.retry_config(retry())),
    };
    ClientFactory::new(move |_region| clients.clone())
}

fn one_region() -> CollectOptions {
    CollectOptions { regions: vec!["ca-central-1".into()], ..CollectOptions::default() }
}

/// Rules for one customer managed key `k1` (after ListKeys).
fn key_rules() -> Vec<Rule> {
    use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
    use aws_sdk_kms::operation::get_key_policy::GetKeyPolicyOutput;
    use aws_sdk_kms::operation::get_key_rotation_status::GetKeyRotationStatusOutput;
    use aws_sdk_kms::operation::list_aliases::ListAliasesOutput;
    use aws_sdk_kms::operation::list_resource_tags::ListResourceTagsOutput;
    use aws_sdk_kms::types::{AliasListEntry, KeyManagerType, KeyMetadata, KeySpec, KeyState, Tag};
    vec![
        mock!(aws_sdk_kms::Client::list_aliases).then_output(|| {
            ListAliasesOutput::builder()
                .aliases(AliasListEntry::builder().alias_name("alias/data").target_key_id("k1").build())
                .aliases(AliasListEntry::builder().alias_name("alias/aws/s3").build())
                .build()
        }),
        mock!(aws_sdk_kms::Client::describe_key).then_output(|| {
            DescribeKeyOutput::builder()
                .key_metadata(
                    KeyMetadata::builder()
                        .key_id("k1")
                        .arn(format!("arn:aws:kms:ca-central-1:{ACCOUNT}:key/k1"))
                        .key_manager(KeyManagerType::Customer)
                        .key_spec(KeySpec::SymmetricDefault)
                        .key_state(KeyState::Enabled)
                        .build()
                        .unwrap(),
                )
                .build()
        }),
        mock!(aws_sdk_kms::Client::get_key_rotation_status).then_output(|| {
            GetKeyRotationStatusOutput::builder().key_rotation_enabled(true).rotation_period_in_days(365).build()
        }),
        mock!(aws_sdk_kms::Client::get_key_policy)
            .match_requests(|r| r.policy_name() == Some("default"))
            .then_output(|| GetKeyPolicyOutput::builder().policy(r#"{"Version":"2012-10-17","Statement":[]}"#).build()),
        mock!(aws_sdk_kms::Client::list_resource_tags).then_output(|| {
            ListResourceTagsOutput::builder()
                .tags(Tag::builder().tag_key("DataClass").tag_value("pii").build().unwrap())
                .build()
        }),
    ]
}

/// One bucket `b1` in ca-central-1 with versioning on and nothing else configured.
fn bucket_rules() -> Vec<Rule> {
    use aws_sdk_s3::operation::get_bucket_encryption::GetBucketEncryptionError;
    use aws_sdk_s3::operation::get_bucket_lifecycle_configuration::GetBucketLifecycleConfigurationError;
    use aws_sdk_s3::operation::get_bucket_location::GetBucketLocationOutput;
    use aws_sdk_s3::operation::get_bucket_logging::GetBucketLoggingOutput;
    use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyError;
    use aws_sdk_s3::operation::get_bucket_replication::GetBucketReplicationError;
    use aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingError;
    use aws_sdk_s3::operation::get_bucket_versioning::GetBucketVersioningOutput;
    use aws_sdk_s3::operation::get_object_lock_configuration::GetObjectLockConfigurationError;
    use aws_sdk_s3::operation::get_public_access_block::GetPublicAccessBlockError;
    use aws_sdk_s3::operation::list_buckets::ListBucketsOutput;
    use aws_sdk_s3::types::{Bucket, BucketLocationConstraint, BucketVersioningStatus};
    vec![
        mock!(aws_sdk_s3::Client::list_buckets)
            .then_output(|| ListBucketsOutput::builder().buckets(Bucket::builder().name("b1").build()).build()),
        mock!(aws_sdk_s3::Client::get_bucket_location).then_output(|| {
            GetBucketLocationOutput::builder().location_constraint(BucketLocationConstraint::CaCentral1).build()
        }),
        mock!(aws_sdk_s3::Client::get_bucket_encryption)
            .then_error(|| GetBucketEncryptionError::generic(err("ServerSideEncryptionConfigurationNotFoundError"))),
        mock!(aws_sdk_s3::Client::get_public_access_block)
            .then_error(|| GetPublicAccessBlockError::generic(err("NoSuchPublicAccessBlockConfiguration"))),
        mock!(aws_sdk_s3::Client::get_bucket_policy)
            .then_error(|| GetBucketPolicyError::generic(err("NoSuchBucketPolicy"))),
        mock!(aws_sdk_s3::Client::get_bucket_versioning)
            .then_output(|| GetBucketVersioningOutput::builder().status(BucketVersioningStatus::Enabled).build()),
        mock!(aws_sdk_s3::Client::get_bucket_lifecycle_configuration)
            .then_error(|| GetBucketLifecycleConfigurationError::generic(err("NoSuchLifecycleConfiguration"))),
        mock!(aws_sdk_s3::Client::get_object_lock_configuration)
            .then_error(|| GetObjectLockConfigurationError::generic(err("ObjectLockConfigurationNotFoundError"))),
        mock!(aws_sdk_s3::Client::get_bucket_replication)
            .then_error(|| GetBucketReplicationError::generic(err("ReplicationConfigurationNotFoundError"))),
        mock!(aws_sdk_s3::Client::get_bucket_logging).then_output(|| GetBucketLoggingOutput::builder().build()),
        mock!(aws_sdk_s3::Client::get_bucket_tagging)
            .then_error(|| GetBucketTaggingError::generic(err("NoSuchTagSet"))),
    ]
}

#[tokio::test]
async fn throttled_calls_are_retried_then_collected() {
    use aws_sdk_kms::operation::list_keys::{ListKeysError, ListKeysOutput};
    use aws_sdk_kms::types::KeyListEntry;
    let list_keys = mock!(aws_sdk_kms::Client::list_keys)
        .sequence()
        .error(|| ListKeysError::generic(err("ThrottlingException")))
        .times(2)
        .output(|| ListKeysOutput::builder().keys(KeyListEntry::builder().key_id("k1").build()).build())
        .build();
    let mut kms = vec![list_keys.clone()];
    kms.extend(key_rules());
    let inv = collect_with(&factory(Rules { kms, ..Rules::default() }), &one_region()).await;

    assert!(inv.collection_errors.is_empty(), "{:#?}", inv.collection_errors);
    assert_eq!(list_keys.num_calls(), 3, "two throttled attempts, then success");
    assert_eq!(inv.kms_keys.len(), 1);
    let k = &inv.kms_keys[0];
    assert_eq!(k.account.as_deref(), Some(ACCOUNT));
    assert_eq!(k.rotation_enabled, Fact::Known(true));
    assert_eq!(k.rotation_period_days, Fact::Known(Some(365)));
    assert_eq!(k.aliases, vec!["alias/data"], "aliases without a target key are ignored");
    assert_eq!(k.tags.known().unwrap().get("DataClass").map(String::as_str), Some("pii"));
    assert_eq!(k.policy, Fact::Known(Some(serde_json::json!({"Version": "2012-10-17", "Statement": []}))));
}

#[tokio::test]
async fn endless_throttling_becomes_a_collection_error() {
    use aws_sdk_cloudtrail::operation::describe_trails::DescribeTrailsError;
    let trails = mock!(aws_sdk_cloudtrail::Client::describe_trails)
        .then_error(|| DescribeTrailsError::generic(err("ThrottlingException")));
    let inv = collect_with(
        &factory(Rules { cloudtrail: vec![trails.clone()], s3: bucket_rules(), ..Rules::default() }),
        &one_region(),
    )
    .await;
    assert_eq!(trails.num_calls(), 4, "max attempts");
    assert_eq!(inv.collection_errors.len(), 1, "{:#?}", inv.collection_errors);
    let e = &inv.collection_errors[0];
    assert_eq!(
        (e.service.as_str(), e.operation.as_str(), e.code.as_str(), e.region.as_deref(), e.account.as_deref()),
        ("cloudtrail", "DescribeTrails", "ThrottlingException", Some("ca-central-1"), Some(ACCOUNT))
    );
    assert_eq!(inv.buckets.len(), 1, "other services still collected");
}

#[tokio::test]
async fn access_denied_on_one_service_is_recorded_and_the_rest_collected() {
    use aws_sdk_kms::operation::list_keys::ListKeysError;
    let denied =
        mock!(aws_sdk_kms::Client::list_keys).then_error(|| ListKeysError::generic(err("AccessDeniedException")));
    let inv = collect_with(
        &factory(Rules { kms: vec![denied.clone()], s3: bucket_rules(), ..Rules::default() }),
        &CollectOptions { regions: vec!["ca-central-1".into(), "ca-west-1".into()], ..CollectOptions::default() },
    )
    .await;
    assert_eq!(denied.num_calls(), 2, "one per region, not retried");
    let summary: Vec<_> = inv
        .collection_errors
        .iter()
        .map(|e| (e.service.as_str(), e.region.as_deref().unwrap_or("-"), e.operation.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("kms", "ca-central-1", "ListKeys", "AccessDeniedException"),
            ("kms", "ca-west-1", "ListKeys", "AccessDeniedException"),
        ]
    );
    assert!(inv.collection_errors[0].message.contains("AccessDeniedException"));

    // S3 went on: "not configured" answers are absent values, not errors.
    assert_eq!(inv.buckets.len(), 1);
    let b = &inv.buckets[0];
    assert_eq!(b.region, Fact::Known("ca-central-1".into()));
    assert_eq!(b.encryption, Fact::Known(None));
    assert_eq!(b.public_access_block, Fact::Known(None));
    assert_eq!(b.policy, Fact::Known(None));
    assert_eq!(b.versioning, Fact::Known(Versioning::Enabled));
    assert_eq!(b.lifecycle, Fact::Known(vec![]));
    assert_eq!(b.object_lock, Fact::Known(None));
    assert_eq!(b.replication, Fact::Known(vec![]));
    assert_eq!(b.logging, Fact::Known(None));
    assert_eq!(b.tags, Fact::Known(Default::default()));
    assert_eq!(inv.accounts[0].s3_public_access_block, Fact::Unknown(UnknownReason::Unsupported));
}

#[tokio::test]
async fn denied_bucket_setting_is_unknown_with_its_resource_named() {
    use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyError;
    let mut s3 =
        vec![mock!(aws_sdk_s3::Client::get_bucket_policy)
            .then_error(|| GetBucketPolicyError::generic(err("AccessDenied")))];
    s3.extend(bucket_rules());
    let inv = collect_with(&factory(Rules { s3, ..Rules::default() }), &one_region()).await;
    let b = &inv.buckets[0];
    assert_eq!(b.policy, Fact::Unknown(UnknownReason::AccessDenied));
    assert_eq!(b.versioning, Fact::Known(Versioning::Enabled), "the other settings are known");
    assert_eq!(inv.collection_errors.len(), 1);
    let e = &inv.collection_errors[0];
    assert_eq!(
        (e.operation.as_str(), e.resource.as_deref(), e.code.as_str()),
        ("GetBucketPolicy", Some("b1"), "AccessDenied")
    );
}

#[tokio::test]
async fn every_page_is_collected() {
    use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
    use aws_sdk_cloudwatchlogs::operation::list_tags_for_resource::ListTagsForResourceOutput;
    use aws_sdk_cloudwatchlogs::types::LogGroup;
    use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
    use aws_sdk_iam::operation::list_role_policies::ListRolePoliciesOutput;
    use aws_sdk_iam::operation::list_roles::ListRolesOutput;
    use aws_sdk_iam::types::Role;
    use aws_smithy_types::DateTime;

    let role = |name: &str| {
        Role::builder()
            .role_name(name)
            .role_id(name)
            .arn(format!("arn:aws:iam::{ACCOUNT}:role/{name}"))
            .path("/")
            .create_date(DateTime::from_secs(0))
            .build()
            .unwrap()
    };
    let (r1, r2, r3) = (role("r1"), role("r2"), role("r3"));
    let roles_p1 =
        mock!(aws_sdk_iam::Client::list_roles).match_requests(|r| r.marker().is_none()).then_output(move || {
            ListRolesOutput::builder()
                .roles(r1.clone())
                .roles(r2.clone())
                .is_truncated(true)
                .marker("m1")
                .build()
                .unwrap()
        });
    let roles_p2 = mock!(aws_sdk_iam::Client::list_roles)
        .match_requests(|r| r.marker() == Some("m1"))
        .then_output(move || ListRolesOutput::builder().roles(r3.clone()).is_truncated(false).build().unwrap());
    let inline = mock!(aws_sdk_iam::Client::list_role_policies)
        .then_output(|| ListRolePoliciesOutput::builder().set_policy_names(Some(vec![])).build().unwrap());
    let attached = mock!(aws_sdk_iam::Client::list_attached_role_policies)
        .then_output(|| ListAttachedRolePoliciesOutput::builder().build());

    let group = |n: &str| {
        LogGroup::builder()
            .log_group_name(n)
            .log_group_arn(format!("arn:aws:logs:ca-central-1:{ACCOUNT}:log-group:{n}"))
            .build()
    };
    let (g1, g2) = (group("/a"), group("/b"));
    let logs_p1 = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
        .match_requests(|r| r.next_token().is_none())
        .then_output(move || DescribeLogGroupsOutput::builder().log_groups(g1.clone()).next_token("t1").build());
    let logs_p2 = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
        .match_requests(|r| r.next_token() == Some("t1"))
        .then_output(move || DescribeLogGroupsOutput::builder().log_groups(g2.clone()).build());
    let tags = mock!(aws_sdk_cloudwatchlogs::Client::list_tags_for_resource)
        .then_output(|| ListTagsForResourceOutput::builder().tags("DataClass", "logs").build());

    let inv = collect_with(
        &factory(Rules {
            iam: vec![roles_p1.clone(), roles_p2.clone(), inline, attached],
            logs: vec![logs_p1.clone(), logs_p2.clone(), tags.clone()],
            ..Rules::default()
        }),
        &one_region(),
    )
    .await;
    assert!(inv.collection_errors.is_empty(), "{:#?}", inv.collection_errors);
    assert_eq!((roles_p1.num_calls(), roles_p2.num_calls()), (1, 1));
    assert_eq!(inv.iam_roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), vec!["r1", "r2", "r3"]);
    assert!(inv.iam_roles.iter().all(|r| r.inline_policies == Fact::Known(vec![])));
    assert_eq!((logs_p1.num_calls(), logs_p2.num_calls()), (1, 1));
    assert_eq!(inv.log_groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), vec!["/a", "/b"]);
    assert_eq!(tags.num_calls(), 2);
    assert_eq!(inv.log_groups[0].retention_days, Fact::Known(None), "never expires");
    assert_eq!(inv.log_groups[0].tags.known().unwrap().get("DataClass").map(String::as_str), Some("logs"));
}

/// With a cap of 20 requests/s on S3, 1 ListBuckets + 10 calls for each of 5 buckets (51
/// requests) cannot finish in less than about 2.4 s; KMS, uncapped, is not slowed. Virtual time.
#[tokio::test(start_paused = true)]
async fn request_rate_cap_paces_one_service() {
    use aws_sdk_s3::operation::list_buckets::ListBucketsOutput;
    use aws_sdk_s3::types::Bucket;
    let mut s3 = vec![mock!(aws_sdk_s3::Client::list_buckets).then_output(|| {
        let mut out = ListBucketsOutput::builder();
        for i in 0..5 {
            out = out.buckets(Bucket::builder().name(format!("b{i}")).build());
        }
        out.build()
    })];
    s3.extend(bucket_rules().into_iter().skip(1));
    let opts = CollectOptions {
        regions: vec!["ca-central-1".into()],
        max_rps: [(Service::S3, 20.0)].into_iter().collect(),
        ..CollectOptions::default()
    };
    let start = tokio::time::Instant::now();
    let inv = collect_with(&factory(Rules { s3, ..Rules::default() }), &opts).await;
    let elapsed = start.elapsed();
    assert!(inv.collection_errors.is_empty(), "{:#?}", inv.collection_errors);
    assert_eq!(inv.buckets.len(), 5);
    // 51 requests, 2 of burst, at 20/s: at least 49/20 = 2.45 s.
    assert!(elapsed >= Duration::from_millis(2400), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}
