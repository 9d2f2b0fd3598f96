//! S3: ListBuckets once per account, GetBucketLocation per bucket, then the bucket's settings
//! through a client of its own region. "Not configured" answers map to absent values.

use aws_sdk_s3::types::{
    BucketVersioningStatus, ExpirationStatus, LifecycleRule as SdkLifecycleRule, ObjectLockEnabled,
    ObjectLockRetentionMode, ReplicationRuleStatus, ServerSideEncryption,
};
use futures::StreamExt;

use super::{fact_or, is_code, tags, ClientFactory, Clients, Run, Scope, Service};
use crate::inventory::{
    Bucket, BucketEncryption, CollectionError, Fact, Inventory, LifecycleRule, LockMode, LoggingTarget, ObjectLock,
    PublicAccessBlock, ReplicationDestination, SseAlgorithm, Transition, UnknownReason, Versioning,
};

const NO_ENCRYPTION: &[&str] = &["ServerSideEncryptionConfigurationNotFoundError"];
const NO_PAB: &[&str] = &["NoSuchPublicAccessBlockConfiguration"];
const NO_POLICY: &[&str] = &["NoSuchBucketPolicy"];
const NO_LIFECYCLE: &[&str] = &["NoSuchLifecycleConfiguration"];
const NO_LOCK: &[&str] = &["ObjectLockConfigurationNotFoundError"];
const NO_TAGS: &[&str] = &["NoSuchTagSet"];
const NO_REPLICATION: &[&str] = &["ReplicationConfigurationNotFoundError"];
const GONE: &[&str] = &["NoSuchBucket"];

/// The region of a `LocationConstraint`: empty or absent is us-east-1, `EU` is eu-west-1.
#[must_use]
pub(crate) fn location_region(constraint: Option<&str>) -> String {
    match constraint.map(str::trim) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(r) => r.to_string(),
    }
}

/// Account-level Block Public Access (S3 Control), or why it is unknown.
pub(crate) async fn account_public_access_block(
    run: &Run,
    clients: &Clients,
    account: &str,
) -> (Fact<Option<PublicAccessBlock>>, Vec<CollectionError>) {
    let mut errors = Vec::new();
    let Some(control) = &clients.s3control else {
        return (Fact::Unknown(UnknownReason::Unsupported), errors);
    };
    let scope = Scope::new(Service::S3, account, None);
    let res = run.send(Service::S3, control.get_public_access_block().account_id(account).send()).await;
    let fact = match res {
        Ok(out) => Fact::Known(out.public_access_block_configuration().map(|c| PublicAccessBlock {
            block_public_acls: c.block_public_acls().unwrap_or(false),
            ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
            block_public_policy: c.block_public_policy().unwrap_or(false),
            restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
        })),
        Err(e) if is_code(&e, NO_PAB) => Fact::Known(None),
        Err(e) => Fact::Unknown(scope.fail(&mut errors, "GetPublicAccessBlock", Some(account), &e)),
    };
    (fact, errors)
}

/// Every bucket of the account with its settings.
pub(crate) async fn collect(run: &Run, factory: &ClientFactory, account: &str) -> Inventory {
    let mut inv = Inventory::default();
    let scope = Scope::new(Service::S3, account, None);
    // ListBuckets and GetBucketLocation work from any region; us-east-1 is S3's home.
    let global = factory.get("us-east-1").s3;
    let mut names = Vec::new();
    let mut pages = global.list_buckets().into_paginator().send();
    while let Some(page) = run.send(Service::S3, pages.next()).await {
        match page {
            Ok(page) => names.extend(page.buckets().iter().filter_map(|b| b.name().map(ToString::to_string))),
            Err(e) => {
                scope.fail(&mut inv.collection_errors, "ListBuckets", None, &e);
                break;
            }
        }
    }
    tracing::debug!(message = "Listed buckets.", account, count = names.len());
    let mut results = futures::stream::iter(names)
        .map(|name| {
            let global = global.clone();
            let scope = scope.clone();
            async move { bucket(run, factory, &global, &scope, name).await }
        })
        .buffer_unordered(run.fan_out());
    while let Some((b, mut errors)) = results.next().await {
        inv.buckets.extend(b);
        inv.collection_errors.append(&mut errors);
    }
    inv
}

async fn bucket(
    run: &Run,
    factory: &ClientFactory,
    global: &aws_sdk_s3::Client,
    account_scope: &Scope,
    name: String,
) -> (Option<Bucket>, Vec<CollectionError>) {
    let mut errors = Vec::new();
    let location = run.send(Service::S3, global.get_bucket_location().bucket(&name).send()).await;
    let region = match location {
        Ok(out) => location_region(out.location_constraint().map(aws_sdk_s3::types::BucketLocationConstraint::as_str)),
        // Deleted between the listing and now: it no longer exists.
        Err(e) if is_code(&e, GONE) => return (None, errors),
        Err(e) => {
            let reason = account_scope.fail(&mut errors, "GetBucketLocation", Some(&name), &e);
            let b = Bucket {
                arn: Some(format!("arn:aws:s3:::{name}")),
                account: Some(account_scope.account.clone()),
                region: Fact::Unknown(reason),
                tags: Fact::Unknown(reason),
                encryption: Fact::Unknown(reason),
                public_access_block: Fact::Unknown(reason),
                policy: Fact::Unknown(reason),
                versioning: Fact::Unknown(reason),
                lifecycle: Fact::Unknown(reason),
                object_lock: Fact::Unknown(reason),
                replication: Fact::Unknown(reason),
                logging: Fact::Unknown(reason),
                name,
                ..Bucket::default()
            };
            return (Some(b), errors);
        }
    };
    let s3 = factory.get(&region).s3;
    let scope = Scope::new(Service::S3, &account_scope.account, Some(&region));
    let n = name.as_str();
    let (enc, pab, pol, ver, lc, lock, repl, logg, tag) = tokio::join!(
        run.send(Service::S3, s3.get_bucket_encryption().bucket(n).send()),
        run.send(Service::S3, s3.get_public_access_block().bucket(n).send()),
        run.send(Service::S3, s3.get_bucket_policy().bucket(n).send()),
        run.send(Service::S3, s3.get_bucket_versioning().bucket(n).send()),
        run.send(Service::S3, s3.get_bucket_lifecycle_configuration().bucket(n).send()),
        run.send(Service::S3, s3.get_object_lock_configuration().bucket(n).send()),
        run.send(Service::S3, s3.get_bucket_replication().bucket(n).send()),
        run.send(Service::S3, s3.get_bucket_logging().bucket(n).send()),
        run.send(Service::S3, s3.get_bucket_tagging().bucket(n).send()),
    );
    let e = &mut errors;
    let encryption = match enc {
        Err(err) if is_code(&err, NO_ENCRYPTION) => Fact::Known(None),
        r => fact_or(&scope, e, "GetBucketEncryption", n, r).map(|out| {
            let rule = out.server_side_encryption_configuration().and_then(|c| c.rules().first());
            let default = rule.and_then(|r| r.apply_server_side_encryption_by_default());
            default.map(|d| BucketEncryption {
                algorithm: Fact::Known(match d.sse_algorithm() {
                    ServerSideEncryption::Aes256 => SseAlgorithm::Aes256,
                    ServerSideEncryption::AwsKms => SseAlgorithm::AwsKms,
                    ServerSideEncryption::AwsKmsDsse => SseAlgorithm::AwsKmsDsse,
                    other => SseAlgorithm::parse(other.as_str()).unwrap_or(SseAlgorithm::None),
                }),
                kms_key_id: Fact::Known(d.kms_master_key_id().filter(|k| !k.is_empty()).map(ToString::to_string)),
                bucket_key: Fact::Known(
                    rule.and_then(aws_sdk_s3::types::ServerSideEncryptionRule::bucket_key_enabled).unwrap_or(false),
                ),
            })
        }),
    };
    let public_access_block = match pab {
        Err(err) if is_code(&err, NO_PAB) => Fact::Known(None),
        r => fact_or(&scope, e, "GetPublicAccessBlock", n, r).map(|out| {
            out.public_access_block_configuration().map(|c| PublicAccessBlock {
                block_public_acls: c.block_public_acls().unwrap_or(false),
                ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                block_public_policy: c.block_public_policy().unwrap_or(false),
                restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
            })
        }),
    };
    let policy = match pol {
        Err(err) if is_code(&err, NO_POLICY) => Fact::Known(None),
        r => fact_or(&scope, e, "GetBucketPolicy", n, r).map(|out| {
            out.policy()
                .map(|text| serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string())))
        }),
    };
    let versioning = fact_or(&scope, e, "GetBucketVersioning", n, ver).map(|out| match out.status() {
        Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
        Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
        _ => Versioning::Disabled,
    });
    let lifecycle = match lc {
        Err(err) if is_code(&err, NO_LIFECYCLE) => Fact::Known(Vec::new()),
        r => fact_or(&scope, e, "GetBucketLifecycleConfiguration", n, r)
            .map(|out| out.rules().iter().map(lifecycle_rule).collect()),
    };
    let object_lock = match lock {
        Err(err) if is_code(&err, NO_LOCK) => Fact::Known(None),
        r => fact_or(&scope, e, "GetObjectLockConfiguration", n, r).map(|out| {
            out.object_lock_configuration()
                .filter(|c| c.object_lock_enabled() == Some(&ObjectLockEnabled::Enabled))
                .map(|c| {
                    let retention = c.rule().and_then(|r| r.default_retention());
                    ObjectLock {
                        enabled: true,
                        mode: retention.and_then(|d| d.mode()).and_then(|m| match m {
                            ObjectLockRetentionMode::Compliance => Some(LockMode::Compliance),
                            ObjectLockRetentionMode::Governance => Some(LockMode::Governance),
                            _ => None,
                        }),
                        days: retention.and_then(|d| d.days()).and_then(|d| u32::try_from(d).ok()).filter(|d| *d > 0),
                        years: retention.and_then(|d| d.years()).and_then(|y| u32::try_from(y).ok()).filter(|y| *y > 0),
                    }
                })
        }),
    };
    let replication = match repl {
        Err(err) if is_code(&err, NO_REPLICATION) => Fact::Known(Vec::new()),
        r => fact_or(&scope, e, "GetBucketReplication", n, r).map(|out| {
            out.replication_configuration()
                .map(|c| {
                    c.rules()
                        .iter()
                        .filter_map(|rule| {
                            rule.destination().map(|d| ReplicationDestination {
                                bucket_arn: d.bucket().to_string(),
                                region: Fact::Unknown(UnknownReason::NotCollected),
                                enabled: rule.status() == &ReplicationRuleStatus::Enabled,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default()
        }),
    };
    let logging = fact_or(&scope, e, "GetBucketLogging", n, logg).map(|out| {
        out.logging_enabled().map(|l| LoggingTarget {
            bucket: l.target_bucket().to_string(),
            prefix: Some(l.target_prefix().to_string()).filter(|p| !p.is_empty()),
        })
    });
    let tags = match tag {
        Err(err) if is_code(&err, NO_TAGS) => Fact::Known(crate::inventory::Tags::new()),
        r => fact_or(&scope, e, "GetBucketTagging", n, r)
            .map(|out| tags(out.tag_set().iter().map(|t| (t.key(), t.value())))),
    };
    let b = Bucket {
        arn: Some(format!("arn:aws:s3:::{name}")),
        region: Fact::Known(region),
        account: Some(account_scope.account.clone()),
        address: None,
        tags,
        encryption,
        public_access_block,
        policy,
        versioning,
        lifecycle,
        object_lock,
        replication,
        logging,
        name,
    };
    (Some(b), errors)
}

#[allow(deprecated)] // the legacy top-level `Prefix` still scopes old rules
fn lifecycle_rule(r: &SdkLifecycleRule) -> LifecycleRule {
    let mut scope = Vec::new();
    let legacy_prefix = r.prefix().filter(|p| !p.is_empty());
    if let Some(p) = legacy_prefix {
        scope.push(format!("prefix={p}"));
    }
    if let Some(f) = r.filter() {
        if let Some(p) = f.prefix().filter(|p| !p.is_empty()) {
            scope.push(format!("prefix={p}"));
        }
        if let Some(t) = f.tag() {
            scope.push(format!("tag={}", t.key()));
        }
        if f.object_size_greater_than().is_some() || f.object_size_less_than().is_some() {
            scope.push("object-size".to_string());
        }
        if let Some(and) = f.and() {
            if let Some(p) = and.prefix().filter(|p| !p.is_empty()) {
                scope.push(format!("prefix={p}"));
            }
            for t in and.tags() {
                scope.push(format!("tag={}", t.key()));
            }
            if and.object_size_greater_than().is_some() || and.object_size_less_than().is_some() {
                scope.push("object-size".to_string());
            }
        }
    }
    let days = |d: Option<i32>| d.and_then(|d| u32::try_from(d).ok());
    LifecycleRule {
        id: r.id().map(ToString::to_string),
        enabled: r.status() == &ExpirationStatus::Enabled,
        whole_bucket: scope.is_empty(),
        scope: (!scope.is_empty()).then(|| scope.join(",")),
        expiration_days: days(r.expiration().and_then(aws_sdk_s3::types::LifecycleExpiration::days)),
        expiration_date: r.expiration().and_then(|x| x.date()).map(ToString::to_string),
        noncurrent_expiration_days: days(
            r.noncurrent_version_expiration().and_then(aws_sdk_s3::types::NoncurrentVersionExpiration::noncurrent_days),
        ),
        transitions: r
            .transitions()
            .iter()
            .map(|t| Transition {
                days: days(t.days()),
                storage_class: t.storage_class().map(|c| c.as_str().to_string()).unwrap_or_default(),
            })
            .collect(),
    }
}

/// Replication destinations in the same inventory get the destination bucket's region.
pub(crate) fn fill_replication_regions(buckets: &mut [Bucket]) {
    let regions: std::collections::HashMap<String, Fact<String>> =
        buckets.iter().map(|b| (format!("arn:aws:s3:::{}", b.name), b.region.clone())).collect();
    for b in buckets.iter_mut() {
        if let Fact::Known(dests) = &mut b.replication {
            for d in dests.iter_mut() {
                if let Some(r) = regions.get(&d.bucket_arn) {
                    d.region = r.clone();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_constraints() {
        assert_eq!(location_region(None), "us-east-1");
        assert_eq!(location_region(Some("")), "us-east-1");
        assert_eq!(location_region(Some("EU")), "eu-west-1");
        assert_eq!(location_region(Some("ca-west-1")), "ca-west-1");
    }

    #[test]
    fn lifecycle_scope_and_expiry() {
        use aws_sdk_s3::types::{LifecycleExpiration, LifecycleRuleFilter, Transition as T, TransitionStorageClass};
        let whole = SdkLifecycleRule::builder()
            .id("expire")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .expiration(LifecycleExpiration::builder().days(2555).build())
            .build()
            .unwrap();
        let r = lifecycle_rule(&whole);
        assert!(r.enabled && r.whole_bucket);
        assert_eq!(r.expiration_days, Some(2555));
        let partial = SdkLifecycleRule::builder()
            .status(ExpirationStatus::Disabled)
            .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
            .transitions(T::builder().days(30).storage_class(TransitionStorageClass::Glacier).build())
            .build()
            .unwrap();
        let r = lifecycle_rule(&partial);
        assert!(!r.enabled && !r.whole_bucket);
        assert_eq!(r.scope.as_deref(), Some("prefix=tmp/"));
        assert_eq!(r.expiration_days, None);
        assert_eq!(r.transitions[0].days, Some(30));
        assert_eq!(r.transitions[0].storage_class, "GLACIER");
    }

    #[test]
    fn replication_regions_are_joined() {
        let mut buckets = vec![
            Bucket {
                name: "src".into(),
                region: Fact::Known("ca-central-1".into()),
                replication: Fact::Known(vec![
                    ReplicationDestination {
                        bucket_arn: "arn:aws:s3:::dst".into(),
                        region: Fact::default(),
                        enabled: true,
                    },
                    ReplicationDestination {
                        bucket_arn: "arn:aws:s3:::elsewhere".into(),
                        region: Fact::default(),
                        enabled: true,
                    },
                ]),
                ..Bucket::default()
            },
            Bucket { name: "dst".into(), region: Fact::Known("us-east-1".into()), ..Bucket::default() },
        ];
        fill_replication_regions(&mut buckets);
        let Fact::Known(d) = &buckets[0].replication else { panic!() };
        assert_eq!(d[0].region, Fact::Known("us-east-1".into()));
        assert_eq!(d[1].region, Fact::Unknown(UnknownReason::NotCollected));
    }
}
