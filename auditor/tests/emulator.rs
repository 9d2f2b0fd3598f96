//! End-to-end against moto (`scripts/moto.sh`): each test seeds its own fresh moto account
//! (STS AssumeRole into `arn:aws:iam::<random>:role/x`, which is also how `--assume-role` is
//! exercised), collects it, and asserts what was collected and what the auditor reports.
//!
//! Skipped without `AWS_ENDPOINT_URL` unless `FCM_GUARD_REQUIRE_EMULATOR=1`.

#![allow(clippy::unwrap_used)]

mod seed {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};

    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use aws_credential_types::Credentials;

    /// A random number (no extra dependency).
    pub fn random() -> u64 {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
        h.finish()
    }

    /// A fresh, isolated moto account: the role ARN to assume and an SDK config with its credentials.
    pub struct Account {
        pub id: String,
        pub role_arn: String,
        pub cfg: SdkConfig,
        pub suffix: String,
    }

    pub async fn fresh_account(endpoint: &str) -> Account {
        let id = format!("{:012}", 100_000_000_000 + random() % 899_999_999_999);
        let role_arn = format!("arn:aws:iam::{id}:role/x");
        let base = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new("ca-central-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .load()
            .await;
        let sts = aws_sdk_sts::Client::new(&base);
        let out = sts.assume_role().role_arn(&role_arn).role_session_name("seed").send().await.unwrap();
        let c = out.credentials().unwrap();
        let creds = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "assumed",
        );
        let cfg = base
            .into_builder()
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(creds))
            .build();
        // moto serves the assumed account's own state.
        let who = aws_sdk_sts::Client::new(&cfg).get_caller_identity().send().await.unwrap();
        assert_eq!(who.account(), Some(id.as_str()));
        Account { id, role_arn, cfg, suffix: format!("{:x}", random() % 0xff_ffff) }
    }

    pub fn in_region(cfg: &SdkConfig, region: &str) -> SdkConfig {
        cfg.clone().into_builder().region(Region::new(region.to_string())).build()
    }

    pub fn s3(cfg: &SdkConfig, region: &str) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&in_region(cfg, region)).force_path_style(true).build(),
        )
    }

    pub async fn bucket(cfg: &SdkConfig, region: &str, name: &str, tags: &[(&str, &str)]) -> aws_sdk_s3::Client {
        use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration, Tag, Tagging};
        let s3 = s3(cfg, region);
        let mut req = s3.create_bucket().bucket(name);
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        req.send().await.unwrap();
        if !tags.is_empty() {
            let mut tagging = Tagging::builder();
            for (k, v) in tags {
                tagging = tagging.tag_set(Tag::builder().key(*k).value(*v).build().unwrap());
            }
            s3.put_bucket_tagging().bucket(name).tagging(tagging.build().unwrap()).send().await.unwrap();
        }
        s3
    }

    pub async fn kms_encrypt(s3: &aws_sdk_s3::Client, bucket: &str, key: Option<&str>, bucket_key: bool) {
        use aws_sdk_s3::types::{
            ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
            ServerSideEncryptionRule,
        };
        let mut d = ServerSideEncryptionByDefault::builder();
        d = match key {
            Some(k) => d.sse_algorithm(ServerSideEncryption::AwsKms).kms_master_key_id(k),
            None => d.sse_algorithm(ServerSideEncryption::Aes256),
        };
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(d.build().unwrap())
            .bucket_key_enabled(bucket_key)
            .build();
        s3.put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder().rules(rule).build().unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    /// SSE-KMS with the AWS managed `aws/s3` key (no key id).
    pub async fn aws_managed_kms(s3: &aws_sdk_s3::Client, bucket: &str) {
        use aws_sdk_s3::types::{
            ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
            ServerSideEncryptionRule,
        };
        let d = ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::AwsKms).build().unwrap();
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(d)
            .bucket_key_enabled(true)
            .build();
        s3.put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder().rules(rule).build().unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    pub async fn block_public(s3: &aws_sdk_s3::Client, bucket: &str) {
        use aws_sdk_s3::types::PublicAccessBlockConfiguration;
        s3.put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    pub async fn tls_only(s3: &aws_sdk_s3::Client, bucket: &str) {
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}
            }]
        });
        s3.put_bucket_policy().bucket(bucket).policy(policy.to_string()).send().await.unwrap();
    }

    pub async fn versioning(s3: &aws_sdk_s3::Client, bucket: &str) {
        use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
        s3.put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
            )
            .send()
            .await
            .unwrap();
    }

    /// A whole-bucket expiry rule, or a transition-only rule when `expire_days` is None.
    pub async fn lifecycle(s3: &aws_sdk_s3::Client, bucket: &str, expire_days: Option<i32>) {
        use aws_sdk_s3::types::{
            BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
            NoncurrentVersionExpiration, Transition, TransitionStorageClass,
        };
        let mut rule = LifecycleRule::builder()
            .id("retention")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build());
        rule = match expire_days {
            Some(d) => rule
                .expiration(LifecycleExpiration::builder().days(d).build())
                .noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(30).build()),
            None => {
                rule.transitions(Transition::builder().days(30).storage_class(TransitionStorageClass::Glacier).build())
            }
        };
        s3.put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder().rules(rule.build().unwrap()).build().unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    /// A symmetric customer managed key with an alias; returns (key id, key ARN).
    pub async fn key(cfg: &SdkConfig, region: &str, alias: &str, rotate: bool) -> (String, String) {
        let kms = aws_sdk_kms::Client::new(&in_region(cfg, region));
        let meta = kms.create_key().description(alias).send().await.unwrap().key_metadata.unwrap();
        kms.create_alias().alias_name(format!("alias/{alias}")).target_key_id(meta.key_id()).send().await.unwrap();
        if rotate {
            kms.enable_key_rotation().key_id(meta.key_id()).send().await.unwrap();
        }
        (meta.key_id().to_string(), meta.arn().unwrap().to_string())
    }
}

use auditor::collect::{collect, CollectOptions};
use auditor::inventory::{Fact, KeyManager, SseAlgorithm, StreamEncryption, UnknownReason, Versioning};

const REGIONS: [&str; 3] = ["ca-central-1", "ca-west-1", "us-east-1"];

fn options(endpoint: &str, role: &str) -> CollectOptions {
    CollectOptions {
        regions: REGIONS.iter().map(ToString::to_string).collect(),
        assume_roles: vec![role.to_string()],
        endpoint_url: Some(endpoint.to_string()),
        ..CollectOptions::default()
    }
}

/// The collector reads every seeded setting back, across three regions, through an assumed role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collects_seeded_account_through_assumed_role() {
    let Some(endpoint) = common::emulator::endpoint("collects_seeded_account_through_assumed_role") else { return };
    let acct = seed::fresh_account(&endpoint).await;
    let cfg = &acct.cfg;
    let sfx = &acct.suffix;

    // Keys: a rotating CMK in ca-central-1, a non-rotating one in ca-west-1, an RSA key, one
    // pending deletion.
    let (good_key, good_key_arn) = seed::key(cfg, "ca-central-1", &format!("data-{sfx}"), true).await;
    let (west_key, _) = seed::key(cfg, "ca-west-1", &format!("west-{sfx}"), false).await;
    let kms = aws_sdk_kms::Client::new(&seed::in_region(cfg, "ca-central-1"));
    let rsa = kms
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Rsa2048)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let doomed = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    kms.schedule_key_deletion().key_id(doomed.key_id()).pending_window_in_days(7).send().await.unwrap();

    // Buckets in three regions.
    let good = format!("pii-good-{sfx}");
    let s3 = seed::bucket(cfg, "ca-central-1", &good, &[("DataClass", "pii")]).await;
    seed::kms_encrypt(&s3, &good, Some(&good_key_arn), true).await;
    seed::block_public(&s3, &good).await;
    seed::tls_only(&s3, &good).await;
    seed::versioning(&s3, &good).await;
    seed::lifecycle(&s3, &good, Some(2555)).await;

    let bare = format!("pii-bare-{sfx}");
    let s3w = seed::bucket(cfg, "ca-west-1", &bare, &[("DataClass", "pii")]).await;
    seed::lifecycle(&s3w, &bare, None).await;

    let us = format!("us-logs-{sfx}");
    let s3e = seed::bucket(cfg, "us-east-1", &us, &[]).await;
    seed::aws_managed_kms(&s3e, &us).await;

    let inv = collect(&options(&endpoint, &acct.role_arn)).await;
    assert!(inv.collection_errors.is_empty(), "{:#?}", inv.collection_errors);
    assert_eq!(inv.accounts.len(), 1);
    assert_eq!(inv.accounts[0].id, acct.id);
    assert_eq!(inv.accounts[0].role_arn.as_deref(), Some(acct.role_arn.as_str()));
    assert_eq!(inv.accounts[0].s3_public_access_block, Fact::Unknown(UnknownReason::Unsupported));
    assert!(inv.buckets.iter().all(|b| b.account.as_deref() == Some(acct.id.as_str())));
    assert_eq!(
        inv.buckets.len(),
        3,
        "only this account's buckets: {:?}",
        inv.buckets.iter().map(|b| &b.name).collect::<Vec<_>>()
    );

    let b = inv.buckets.iter().find(|b| b.name == good).unwrap();
    assert_eq!(b.region, Fact::Known("ca-central-1".to_string()));
    let enc = b.encryption.known().unwrap().as_ref().unwrap();
    assert_eq!(enc.algorithm, Fact::Known(SseAlgorithm::AwsKms));
    assert_eq!(enc.kms_key_id, Fact::Known(Some(good_key_arn.clone())));
    assert_eq!(enc.bucket_key, Fact::Known(true));
    assert!(b.public_access_block.known().unwrap().unwrap().all());
    assert_eq!(b.policy.known().unwrap().as_ref().unwrap()["Statement"][0]["Effect"], "Deny");
    assert_eq!(b.versioning, Fact::Known(Versioning::Enabled));
    let rules = b.lifecycle.known().unwrap();
    assert_eq!(rules.len(), 1);
    assert!(rules[0].enabled && rules[0].whole_bucket);
    assert_eq!(rules[0].expiration_days, Some(2555));
    assert_eq!(rules[0].noncurrent_expiration_days, Some(30));
    assert_eq!(b.tags.known().unwrap().get("DataClass").map(String::as_str), Some("pii"));
    assert_eq!(b.object_lock, Fact::Known(None));
    assert_eq!(b.replication, Fact::Known(vec![]));
    assert_eq!(b.logging, Fact::Known(None));

    let b = inv.buckets.iter().find(|b| b.name == bare).unwrap();
    assert_eq!(b.region, Fact::Known("ca-west-1".to_string()));
    assert_eq!(b.encryption, Fact::Known(None), "moto: no configuration");
    assert_eq!(b.public_access_block, Fact::Known(None));
    assert_eq!(b.policy, Fact::Known(None));
    assert_eq!(b.versioning, Fact::Known(Versioning::Disabled));
    let rules = b.lifecycle.known().unwrap();
    assert_eq!(rules[0].expiration_days, None);
    assert_eq!(rules[0].transitions.len(), 1);

    let b = inv.buckets.iter().find(|b| b.name == us).unwrap();
    assert_eq!(b.region, Fact::Known("us-east-1".to_string()), "empty LocationConstraint");
    let enc = b.encryption.known().unwrap().as_ref().unwrap();
    assert_eq!(enc.algorithm, Fact::Known(SseAlgorithm::AwsKms));
    assert_eq!(enc.kms_key_id, Fact::Known(None), "aws/s3 key");
    assert_eq!(b.tags, Fact::Known(Default::default()));

    // Keys: per region, rotation only where it applies.
    let k = inv.kms_keys.iter().find(|k| k.id == good_key).unwrap();
    assert_eq!(k.region, "ca-central-1");
    assert_eq!(k.manager, Fact::Known(KeyManager::Customer));
    assert_eq!(k.rotation_enabled, Fact::Known(true));
    assert_eq!(k.aliases, vec![format!("alias/data-{sfx}")]);
    assert!(k.policy.known().unwrap().is_some(), "default key policy");
    let k = inv.kms_keys.iter().find(|k| k.id == west_key).unwrap();
    assert_eq!(k.region, "ca-west-1");
    assert_eq!(k.rotation_enabled, Fact::Known(false));
    let k = inv.kms_keys.iter().find(|k| k.id == rsa.key_id()).unwrap();
    assert_eq!(k.key_spec, Fact::Known("RSA_2048".to_string()));
    assert_eq!(k.rotation_enabled, Fact::Unknown(UnknownReason::Unsupported));
    let k = inv.kms_keys.iter().find(|k| k.id == doomed.key_id()).unwrap();
    assert_eq!(k.pending_deletion(), Some(true));
    assert!(k.deletion_date.is_some());
    assert_eq!(inv.kms_keys.len(), 4);
    assert!(inv.trails.is_empty() && inv.log_groups.is_empty() && inv.kinesis_streams.is_empty());
}

/// Trails (deduplicated across regions), log groups, streams and roles with their policies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collects_trails_logs_streams_and_roles() {
    let Some(endpoint) = common::emulator::endpoint("collects_trails_logs_streams_and_roles") else { return };
    let acct = seed::fresh_account(&endpoint).await;
    let cfg = &acct.cfg;
    let sfx = &acct.suffix;
    let (_, key_arn) = seed::key(cfg, "ca-central-1", &format!("logs-{sfx}"), true).await;

    // Trails: a multi-region, validated, encrypted, logging trail; a stopped single-region one.
    let trail_bucket = format!("trail-logs-{sfx}");
    seed::bucket(cfg, "ca-central-1", &trail_bucket, &[("DataClass", "logs")]).await;
    let ct = aws_sdk_cloudtrail::Client::new(&seed::in_region(cfg, "ca-central-1"));
    ct.create_trail()
        .name(format!("org-{sfx}"))
        .s3_bucket_name(&trail_bucket)
        .is_multi_region_trail(true)
        .enable_log_file_validation(true)
        .kms_key_id(&key_arn)
        .send()
        .await
        .unwrap();
    ct.start_logging().name(format!("org-{sfx}")).send().await.unwrap();
    let ctw = aws_sdk_cloudtrail::Client::new(&seed::in_region(cfg, "ca-west-1"));
    ctw.create_trail().name(format!("local-{sfx}")).s3_bucket_name(&trail_bucket).send().await.unwrap();

    // Log groups: retention + KMS; never-expiring; short retention tagged as logs.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&seed::in_region(cfg, "ca-central-1"));
    let kept = format!("/fcm/app-{sfx}");
    logs.create_log_group().log_group_name(&kept).kms_key_id(&key_arn).tags("DataClass", "logs").send().await.unwrap();
    logs.put_retention_policy().log_group_name(&kept).retention_in_days(400).send().await.unwrap();
    let forever = format!("/fcm/forever-{sfx}");
    logs.create_log_group().log_group_name(&forever).send().await.unwrap();
    let logs_e = aws_sdk_cloudwatchlogs::Client::new(&seed::in_region(cfg, "us-east-1"));
    let short = format!("/fcm/short-{sfx}");
    logs_e.create_log_group().log_group_name(&short).tags("DataClass", "logs").send().await.unwrap();
    logs_e.put_retention_policy().log_group_name(&short).retention_in_days(7).send().await.unwrap();

    // Streams: CMK-encrypted; unencrypted; AWS managed key.
    let kin = aws_sdk_kinesis::Client::new(&seed::in_region(cfg, "ca-central-1"));
    let kinw = aws_sdk_kinesis::Client::new(&seed::in_region(cfg, "ca-west-1"));
    let (cmk_stream, plain_stream, managed_stream) =
        (format!("events-{sfx}"), format!("plain-{sfx}"), format!("managed-{sfx}"));
    kin.create_stream().stream_name(&cmk_stream).shard_count(1).send().await.unwrap();
    kin.start_stream_encryption()
        .stream_name(&cmk_stream)
        .encryption_type(aws_sdk_kinesis::types::EncryptionType::Kms)
        .key_id(&key_arn)
        .send()
        .await
        .unwrap();
    kin.add_tags_to_stream().stream_name(&cmk_stream).tags("DataClass", "pii").send().await.unwrap();
    kin.create_stream().stream_name(&plain_stream).shard_count(1).send().await.unwrap();
    kinw.create_stream().stream_name(&managed_stream).shard_count(1).send().await.unwrap();
    kinw.start_stream_encryption()
        .stream_name(&managed_stream)
        .encryption_type(aws_sdk_kinesis::types::EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap();

    // Roles: admin (AWS managed policy), inline wildcard, a customer managed policy in v2.
    let iam = aws_sdk_iam::Client::new(cfg);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for r in ["admin", "wild", "scoped"] {
        iam.create_role().role_name(format!("{r}-{sfx}")).assume_role_policy_document(trust).send().await.unwrap();
    }
    iam.attach_role_policy()
        .role_name(format!("admin-{sfx}"))
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    let wild = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    iam.put_role_policy()
        .role_name(format!("wild-{sfx}"))
        .policy_name("everything-s3")
        .policy_document(wild)
        .send()
        .await
        .unwrap();
    let v1 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let v2 =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:PutRecords","Resource":"*"}]}"#;
    let pol = iam.create_policy().policy_name(format!("shipper-{sfx}")).policy_document(v1).send().await.unwrap();
    let pol_arn = pol.policy().unwrap().arn().unwrap().to_string();
    iam.create_policy_version().policy_arn(&pol_arn).policy_document(v2).set_as_default(true).send().await.unwrap();
    iam.attach_role_policy().role_name(format!("scoped-{sfx}")).policy_arn(&pol_arn).send().await.unwrap();

    let inv = collect(&options(&endpoint, &acct.role_arn)).await;
    assert!(inv.collection_errors.is_empty(), "{:#?}", inv.collection_errors);

    // One entry per trail although the multi-region one shows up in all three regions.
    assert_eq!(inv.trails.len(), 2, "{:#?}", inv.trails);
    let org = inv.trails.iter().find(|t| t.name == format!("org-{sfx}")).unwrap();
    assert_eq!(org.home_region, "ca-central-1");
    assert_eq!(org.multi_region, Fact::Known(true));
    assert_eq!(org.is_logging, Fact::Known(true));
    assert_eq!(org.log_file_validation, Fact::Known(true));
    assert_eq!(org.kms_key_id, Fact::Known(Some(key_arn.clone())));
    assert_eq!(org.s3_bucket, Fact::Known(Some(trail_bucket.clone())));
    let local = inv.trails.iter().find(|t| t.name == format!("local-{sfx}")).unwrap();
    assert_eq!(local.home_region, "ca-west-1");
    assert_eq!(local.multi_region, Fact::Known(false));
    assert_eq!(local.is_logging, Fact::Known(false));
    assert_eq!(local.log_file_validation, Fact::Known(false));
    assert_eq!(local.kms_key_id, Fact::Known(None));

    assert_eq!(inv.log_groups.len(), 3);
    let g = inv.log_groups.iter().find(|g| g.name == kept).unwrap();
    assert_eq!((g.region.as_str(), &g.retention_days), ("ca-central-1", &Fact::Known(Some(400))));
    assert_eq!(g.kms_key_id, Fact::Known(Some(key_arn.clone())));
    assert_eq!(g.tags.known().unwrap().get("DataClass").map(String::as_str), Some("logs"));
    let g = inv.log_groups.iter().find(|g| g.name == forever).unwrap();
    assert_eq!((&g.retention_days, &g.kms_key_id), (&Fact::Known(None), &Fact::Known(None)));
    let g = inv.log_groups.iter().find(|g| g.name == short).unwrap();
    assert_eq!((g.region.as_str(), &g.retention_days), ("us-east-1", &Fact::Known(Some(7))));

    assert_eq!(inv.kinesis_streams.len(), 3);
    let s = inv.kinesis_streams.iter().find(|s| s.name == cmk_stream).unwrap();
    assert_eq!(s.encryption_type, Fact::Known(StreamEncryption::Kms));
    assert_eq!(s.kms_key_id, Fact::Known(Some(key_arn.clone())));
    assert_eq!(s.retention_hours, Fact::Known(24));
    assert_eq!(s.tags.known().unwrap().get("DataClass").map(String::as_str), Some("pii"));
    let s = inv.kinesis_streams.iter().find(|s| s.name == plain_stream).unwrap();
    assert_eq!((&s.encryption_type, &s.kms_key_id), (&Fact::Known(StreamEncryption::None), &Fact::Known(None)));
    let s = inv.kinesis_streams.iter().find(|s| s.name == managed_stream).unwrap();
    assert_eq!((s.region.as_str(), &s.kms_key_id), ("ca-west-1", &Fact::Known(Some("alias/aws/kinesis".into()))));

    assert_eq!(inv.iam_roles.len(), 3, "{:?}", inv.iam_roles.iter().map(|r| &r.name).collect::<Vec<_>>());
    let r = inv.iam_roles.iter().find(|r| r.name == format!("admin-{sfx}")).unwrap();
    assert_eq!(r.trust_policy.known().unwrap()["Statement"][0]["Principal"]["Service"], "ecs-tasks.amazonaws.com");
    let attached = r.attached_policies.known().unwrap();
    assert_eq!(attached[0].name, "AdministratorAccess");
    assert_eq!(attached[0].document.known().unwrap()["Statement"][0]["Action"], "*");
    let r = inv.iam_roles.iter().find(|r| r.name == format!("wild-{sfx}")).unwrap();
    let inline = r.inline_policies.known().unwrap();
    assert_eq!(inline[0].name, "everything-s3");
    assert_eq!(inline[0].document.known().unwrap()["Statement"][0]["Action"], "s3:*", "URL-decoded");
    let r = inv.iam_roles.iter().find(|r| r.name == format!("scoped-{sfx}")).unwrap();
    let attached = r.attached_policies.known().unwrap();
    assert_eq!(attached[0].default_version_id.as_deref(), Some("v2"));
    assert_eq!(
        attached[0].document.known().unwrap()["Statement"][0]["Action"],
        "kinesis:PutRecords",
        "default version only"
    );
}

/// An unreachable endpoint fails fast with one clear collection error (no hang).
#[tokio::test]
async fn unreachable_endpoint_fails_fast() {
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = std::time::Instant::now();
    let inv = collect(&CollectOptions {
        regions: vec!["ca-central-1".into()],
        endpoint_url: Some(format!("http://127.0.0.1:{port}")),
        ..CollectOptions::default()
    })
    .await;
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "took {:?}", started.elapsed());
    assert_eq!(inv.collection_errors.len(), 1, "{:#?}", inv.collection_errors);
    let e = &inv.collection_errors[0];
    assert_eq!((e.service.as_str(), e.operation.as_str()), ("sts", "GetCallerIdentity"));
    // Connection refused; or, without any credentials in the environment, no credentials.
    assert!(["DispatchFailure", "ConstructionFailure"].contains(&e.code.as_str()), "{}", e.code);
    assert!(e.message.contains("cannot start collection"), "{}", e.message);
    assert!(inv.accounts.is_empty() && inv.buckets.is_empty());
}

/// The resources of the exact-findings scenario, seeded in a fresh account. Returns the
/// identifiers (names, key ids) that findings may name, each with its base name (without the
/// random suffix) as the label to compare on.
async fn seed_scenario(acct: &seed::Account) -> Vec<(String, String)> {
    let cfg = &acct.cfg;
    let sfx = &acct.suffix;
    let mut ids = Vec::new();
    let mut id = |raw: String, label: &str| ids.push((raw, label.to_string()));

    // Keys.
    let (good, good_arn) = seed::key(cfg, "ca-central-1", &format!("good-{sfx}"), true).await;
    id(good.clone(), "key-good");
    let (west, _) = seed::key(cfg, "ca-west-1", &format!("west-{sfx}"), false).await;
    id(west, "key-west-no-rotation");
    let (us_key, _) = seed::key(cfg, "us-east-1", &format!("us-{sfx}"), true).await;
    id(us_key, "key-us");
    let kms = aws_sdk_kms::Client::new(&seed::in_region(cfg, "ca-central-1"));
    let doomed = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    kms.schedule_key_deletion().key_id(doomed.key_id()).pending_window_in_days(7).send().await.unwrap();
    id(doomed.key_id().to_string(), "key-pending-deletion");
    let rsa = kms
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Rsa2048)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    id(rsa.key_id().to_string(), "key-rsa");
    let open_policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}]
    });
    let open = kms.create_key().policy(open_policy.to_string()).send().await.unwrap().key_metadata.unwrap();
    kms.enable_key_rotation().key_id(open.key_id()).send().await.unwrap();
    id(open.key_id().to_string(), "key-open-policy");

    // Buckets.
    let name = format!("pii-ok-{sfx}");
    let s3 = seed::bucket(cfg, "ca-central-1", &name, &[("DataClass", "pii")]).await;
    seed::kms_encrypt(&s3, &name, Some(&good_arn), true).await;
    seed::block_public(&s3, &name).await;
    seed::tls_only(&s3, &name).await;
    seed::versioning(&s3, &name).await;
    seed::lifecycle(&s3, &name, Some(2555)).await;
    id(name, "pii-ok");

    // SSE-S3 only, as AWS applies by default today.
    let name = format!("pii-bad-{sfx}");
    let s3 = seed::bucket(cfg, "ca-west-1", &name, &[("DataClass", "pii")]).await;
    seed::kms_encrypt(&s3, &name, None, false).await;
    seed::lifecycle(&s3, &name, None).await;
    id(name, "pii-bad");

    // A legacy bucket without any default encryption configuration (possible before 2023 and
    // in the emulator; a plan cannot express it: no configuration means SSE-S3 there).
    let name = format!("legacy-{sfx}");
    let s3 = seed::bucket(cfg, "ca-central-1", &name, &[]).await;
    seed::block_public(&s3, &name).await;
    seed::tls_only(&s3, &name).await;
    seed::versioning(&s3, &name).await;
    id(name, "legacy");

    let logs_bucket = format!("logs-short-{sfx}");
    let s3 = seed::bucket(cfg, "ca-central-1", &logs_bucket, &[("DataClass", "logs")]).await;
    seed::kms_encrypt(&s3, &logs_bucket, None, false).await;
    seed::block_public(&s3, &logs_bucket).await;
    seed::tls_only(&s3, &logs_bucket).await;
    seed::versioning(&s3, &logs_bucket).await;
    seed::lifecycle(&s3, &logs_bucket, Some(30)).await;
    id(logs_bucket.clone(), "logs-short");

    let name = format!("us-managed-{sfx}");
    let s3 = seed::bucket(cfg, "us-east-1", &name, &[]).await;
    seed::aws_managed_kms(&s3, &name).await;
    seed::block_public(&s3, &name).await;
    seed::tls_only(&s3, &name).await;
    seed::versioning(&s3, &name).await;
    id(name, "us-managed");

    // Trails.
    let ct = aws_sdk_cloudtrail::Client::new(&seed::in_region(cfg, "ca-central-1"));
    let org = format!("org-{sfx}");
    ct.create_trail()
        .name(&org)
        .s3_bucket_name(&logs_bucket)
        .is_multi_region_trail(true)
        .enable_log_file_validation(true)
        .kms_key_id(&good_arn)
        .send()
        .await
        .unwrap();
    ct.start_logging().name(&org).send().await.unwrap();
    id(org, "trail-org");
    let local = format!("local-{sfx}");
    let ctw = aws_sdk_cloudtrail::Client::new(&seed::in_region(cfg, "ca-west-1"));
    ctw.create_trail().name(&local).s3_bucket_name(&logs_bucket).send().await.unwrap();
    id(local, "trail-local");

    // Log groups.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&seed::in_region(cfg, "ca-central-1"));
    let app = format!("/fcm/app-{sfx}");
    logs.create_log_group().log_group_name(&app).kms_key_id(&good_arn).tags("DataClass", "logs").send().await.unwrap();
    logs.put_retention_policy().log_group_name(&app).retention_in_days(400).send().await.unwrap();
    id(app, "lg-app");
    let forever = format!("/fcm/forever-{sfx}");
    logs.create_log_group().log_group_name(&forever).send().await.unwrap();
    id(forever, "lg-forever");
    let logs_e = aws_sdk_cloudwatchlogs::Client::new(&seed::in_region(cfg, "us-east-1"));
    let short = format!("/fcm/short-{sfx}");
    logs_e.create_log_group().log_group_name(&short).tags("DataClass", "logs").send().await.unwrap();
    logs_e.put_retention_policy().log_group_name(&short).retention_in_days(7).send().await.unwrap();
    id(short, "lg-short-us");

    // Streams.
    let kin = aws_sdk_kinesis::Client::new(&seed::in_region(cfg, "ca-central-1"));
    let kinw = aws_sdk_kinesis::Client::new(&seed::in_region(cfg, "ca-west-1"));
    let events = format!("events-{sfx}");
    kin.create_stream().stream_name(&events).shard_count(1).send().await.unwrap();
    kin.start_stream_encryption()
        .stream_name(&events)
        .encryption_type(aws_sdk_kinesis::types::EncryptionType::Kms)
        .key_id(&good_arn)
        .send()
        .await
        .unwrap();
    id(events, "stream-cmk");
    let plain = format!("plain-{sfx}");
    kin.create_stream().stream_name(&plain).shard_count(1).send().await.unwrap();
    id(plain, "stream-plain");
    let managed = format!("managed-{sfx}");
    kinw.create_stream().stream_name(&managed).shard_count(1).send().await.unwrap();
    kinw.start_stream_encryption()
        .stream_name(&managed)
        .encryption_type(aws_sdk_kinesis::types::EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap();
    id(managed, "stream-aws-managed");
    // Roles: AWS managed admin; inline service wildcard; inline privilege escalation
    // (iam:PassRole + ec2:RunInstances); a customer managed policy whose old version was admin
    // but whose default version is scoped (only the default version counts).
    let iam = aws_sdk_iam::Client::new(cfg);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for r in ["admin", "wild", "escalate", "scoped"] {
        let name = format!("role-{r}-{sfx}");
        iam.create_role().role_name(&name).assume_role_policy_document(trust).send().await.unwrap();
        id(name, &format!("role-{r}"));
    }
    iam.attach_role_policy()
        .role_name(format!("role-admin-{sfx}"))
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name(format!("role-wild-{sfx}"))
        .policy_name("s3-everything")
        .policy_document(WILD_POLICY)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name(format!("role-escalate-{sfx}"))
        .policy_name("launch")
        .policy_document(ESCALATE_POLICY)
        .send()
        .await
        .unwrap();
    let pol = iam
        .create_policy()
        .policy_name(format!("shipper-{sfx}"))
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let pol_arn = pol.policy().unwrap().arn().unwrap().to_string();
    iam.create_policy_version()
        .policy_arn(&pol_arn)
        .policy_document(SCOPED_POLICY)
        .set_as_default(true)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy().role_name(format!("role-scoped-{sfx}")).policy_arn(&pol_arn).send().await.unwrap();

    id(acct.id.clone(), "account");
    ids
}

const WILD_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
const ESCALATE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:PassRole","ec2:RunInstances"],"Resource":"*"}]}"#;
const SCOPED_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:PutRecords","Resource":"arn:aws:kinesis:ca-central-1:111122223333:stream/fcm-security-events"}]}"#;

/// (category, label) of every finding of a JSON report; a finding's resource is labelled by the
/// seeded identifier its address ends with (longest match), else by the address itself.
fn labelled(report: &serde_json::Value, ids: &[(String, String)]) -> std::collections::BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let loc = &f["location"];
            let addr = loc["address"].as_str().or_else(|| loc["account"].as_str()).unwrap_or("");
            let label = ids
                .iter()
                .filter(|(raw, _)| addr.ends_with(raw.as_str()) || addr.ends_with(&format!("{raw}:*")))
                .max_by_key(|(raw, _)| raw.len())
                .map_or_else(|| addr.to_string(), |(_, l)| l.clone());
            (f["category"].as_str().unwrap_or("").to_string(), label)
        })
        .collect()
}

fn expected_scenario_findings() -> std::collections::BTreeSet<(String, String)> {
    [
        ("s3-sse-s3-not-kms", "pii-bad"),
        ("s3-no-default-encryption", "legacy"),
        ("s3-public-access-not-blocked", "pii-bad"),
        ("s3-no-tls-policy", "pii-bad"),
        ("s3-versioning-off", "pii-bad"),
        ("s3-no-lifecycle-retention", "pii-bad"),
        ("s3-sse-s3-not-kms", "logs-short"),
        ("s3-log-retention-too-short", "logs-short"),
        ("s3-object-lock-missing", "logs-short"),
        ("s3-kms-not-cmk", "us-managed"),
        ("region-outside-canada", "us-managed"),
        ("kms-rotation-disabled", "key-west-no-rotation"),
        ("kms-pending-deletion", "key-pending-deletion"),
        ("kms-policy-wildcard-principal", "key-open-policy"),
        ("region-outside-canada", "key-us"),
        ("trail-not-multiregion", "trail-local"),
        ("trail-no-log-validation", "trail-local"),
        ("trail-not-encrypted", "trail-local"),
        ("trail-not-logging", "trail-local"),
        ("logs-no-retention", "lg-forever"),
        ("logs-not-encrypted", "lg-forever"),
        ("logs-retention-too-short", "lg-short-us"),
        ("logs-not-encrypted", "lg-short-us"),
        ("region-outside-canada", "lg-short-us"),
        ("kinesis-not-encrypted", "stream-plain"),
        ("kinesis-not-cmk", "stream-aws-managed"),
        ("iam-role-admin", "role-admin"),
        ("iam-role-wildcard-action", "role-wild"),
        ("iam-role-privilege-escalation", "role-escalate"),
    ]
    .iter()
    .map(|(c, l)| ((*c).to_string(), (*l).to_string()))
    .collect()
}

/// The auditor binary over a seeded account in three regions (reached with `--assume-role`)
/// reports exactly the expected findings, and exits 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_reports_exactly_the_seeded_problems() {
    let Some(endpoint) = common::emulator::endpoint("binary_reports_exactly_the_seeded_problems") else { return };
    let acct = seed::fresh_account(&endpoint).await;
    let ids = seed_scenario(&acct).await;

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_auditor"))
        .args(["run", "--regions", "ca-central-1,ca-west-1,us-east-1", "--assume-role", &acct.role_arn])
        .args(["--format", "json", "--no-config", "--endpoint-url", &endpoint])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{stderr}"));
    assert_eq!(out.status.code(), Some(1), "findings at or above high → exit 1\n{stderr}");
    assert_eq!(report["metadata"]["accounts"], serde_json::json!([acct.id]));
    assert_eq!(report["errors"], serde_json::json!([]), "{stderr}");
    let got = labelled(&report, &ids);
    let want = expected_scenario_findings();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing: {missing:#?}\nunexpected: {extra:#?}");
    assert_eq!(report["findings"].as_array().unwrap().len(), want.len(), "one finding per (category, resource)");
}

/// Findings only a live account can have: a key pending deletion (not a plannable state) and a
/// bucket without any default encryption configuration.
const LIVE_ONLY: [(&str, &str); 2] =
    [("kms-pending-deletion", "key-pending-deletion"), ("s3-no-default-encryption", "legacy")];

/// The same resources as a `terraform show -json` plan (tests/fixtures/emulator/scenario-plan.json,
/// resource names = the labels above) give the same findings as the live audit, apart from
/// [`LIVE_ONLY`]. Runs without the emulator.
#[test]
fn plan_of_the_same_resources_gives_the_same_findings() {
    let plan = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/emulator/scenario-plan.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_auditor"))
        .args(["check", "--plan", plan, "--format", "json", "--no-config"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"], serde_json::json!([]), "{stderr}");
    // Label = the Terraform resource name (`aws_s3_bucket.pii_bad` → `pii-bad`).
    let got: std::collections::BTreeSet<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let addr = f["location"]["address"].as_str().unwrap_or("");
            let label = addr.rsplit('.').next().unwrap_or(addr).replace('_', "-");
            (f["category"].as_str().unwrap().to_string(), label)
        })
        .collect();
    let mut want = expected_scenario_findings();
    for (c, l) in LIVE_ONLY {
        assert!(want.remove(&(c.to_string(), l.to_string())), "{c} {l} is in the live expectation");
    }
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing: {missing:#?}\nunexpected: {extra:#?}");
}

/// Several `--assume-role` accounts are collected concurrently into one inventory, each resource
/// attributed to its own account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collects_several_accounts() {
    let Some(endpoint) = common::emulator::endpoint("collects_several_accounts") else { return };
    let a = seed::fresh_account(&endpoint).await;
    let b = seed::fresh_account(&endpoint).await;
    let (ba, bb) = (format!("acct-a-{}", a.suffix), format!("acct-b-{}", b.suffix));
    seed::bucket(&a.cfg, "ca-central-1", &ba, &[]).await;
    seed::bucket(&b.cfg, "ca-west-1", &bb, &[]).await;
    seed::key(&b.cfg, "ca-west-1", &format!("b-{}", b.suffix), true).await;

    let mut opts = options(&endpoint, &a.role_arn);
    opts.assume_roles.push(b.role_arn.clone());
    let inv = collect(&opts).await;
    assert!(inv.collection_errors.is_empty(), "{:#?}", inv.collection_errors);
    let mut ids: Vec<&str> = inv.accounts.iter().map(|x| x.id.as_str()).collect();
    ids.sort_unstable();
    let mut want = vec![a.id.as_str(), b.id.as_str()];
    want.sort_unstable();
    assert_eq!(ids, want);
    let owner = |name: &str| inv.buckets.iter().find(|x| x.name == name).and_then(|x| x.account.clone());
    assert_eq!(owner(&ba), Some(a.id.clone()));
    assert_eq!(owner(&bb), Some(b.id.clone()));
    assert_eq!(inv.buckets.len(), 2);
    assert_eq!(inv.kms_keys.len(), 1);
    assert_eq!(inv.kms_keys[0].account.as_deref(), Some(b.id.as_str()));
}
