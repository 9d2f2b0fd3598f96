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
            Transition, TransitionStorageClass,
        };
        let mut rule = LifecycleRule::builder()
            .id("retention")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build());
        rule = match expire_days {
            Some(d) => rule.expiration(LifecycleExpiration::builder().days(d).build()),
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
    let _ = StreamEncryption::None;
}
