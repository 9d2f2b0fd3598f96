//! The normalised inventory: plain serde data describing the audited resources.
//!
//! Two producers build it — the live collector (`collect/`, AWS SDK) and the plan reader
//! (`plan.rs`, `terraform show -json`) — and the checks (`checks/`) only ever read it.
//!
//! # Unknown values
//!
//! Every attribute that a producer may fail to learn is a [`Fact<T>`]: either the known value,
//! or [`Fact::Unknown`] with a [`UnknownReason`] (not collected, access denied, API error,
//! unsupported, or computed — known only after `terraform apply`). In JSON a known fact is the
//! plain value and an unknown one is `{"$unknown": "<reason>"}`; a missing field reads as
//! `not-collected`. Checks never treat an unknown value as compliant: they either skip it because
//! a `collection_errors` entry already reports the gap, or report it as not verifiable.
//!
//! Inside a known fact, `Option::None` has a meaning of its own, documented on each field (for
//! example `retention_days: Known(None)` means "never expires", `encryption: Known(None)` means
//! "no default encryption configured").

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// Version of the inventory JSON schema.
pub const SCHEMA_VERSION: u32 = 1;

/// Tags of a resource.
pub type Tags = BTreeMap<String, String>;

/// Why a value is not known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownReason {
    /// The producer did not try to learn it (field absent from the input).
    NotCollected,
    /// The API call was denied (a `collection_errors` entry says which).
    AccessDenied,
    /// The API call failed otherwise (a `collection_errors` entry says which).
    Error,
    /// The API or attribute is not available where it was collected (e.g. an emulator gap).
    Unsupported,
    /// Known only after apply (Terraform plan `after_unknown`).
    Computed,
}

impl UnknownReason {
    /// Kebab-case name as in the JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            UnknownReason::NotCollected => "not-collected",
            UnknownReason::AccessDenied => "access-denied",
            UnknownReason::Error => "error",
            UnknownReason::Unsupported => "unsupported",
            UnknownReason::Computed => "computed",
        }
    }

    /// Whether a collection error already reports this gap (so a check need not repeat it).
    #[must_use]
    pub fn reported_elsewhere(self) -> bool {
        matches!(self, UnknownReason::AccessDenied | UnknownReason::Error)
    }
}

impl fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value that is either known or unknown for a stated reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact<T> {
    /// The value.
    Known(T),
    /// Not known, and why.
    Unknown(UnknownReason),
}

impl<T> Default for Fact<T> {
    fn default() -> Self {
        Fact::Unknown(UnknownReason::NotCollected)
    }
}

impl<T> From<T> for Fact<T> {
    fn from(v: T) -> Self {
        Fact::Known(v)
    }
}

impl<T> Fact<T> {
    /// The value if known.
    #[must_use]
    pub fn known(&self) -> Option<&T> {
        match self {
            Fact::Known(v) => Some(v),
            Fact::Unknown(_) => None,
        }
    }

    /// The reason if unknown.
    #[must_use]
    pub fn unknown_reason(&self) -> Option<UnknownReason> {
        match self {
            Fact::Known(_) => None,
            Fact::Unknown(r) => Some(*r),
        }
    }

    /// Whether the value is known.
    #[must_use]
    pub fn is_known(&self) -> bool {
        matches!(self, Fact::Known(_))
    }

    /// Map a known value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fact<U> {
        match self {
            Fact::Known(v) => Fact::Known(f(v)),
            Fact::Unknown(r) => Fact::Unknown(r),
        }
    }

    /// Borrowing view.
    pub fn as_ref(&self) -> Fact<&T> {
        match self {
            Fact::Known(v) => Fact::Known(v),
            Fact::Unknown(r) => Fact::Unknown(*r),
        }
    }

    /// Shorthand for `Fact::Unknown(UnknownReason::Computed)`.
    #[must_use]
    pub fn computed() -> Self {
        Fact::Unknown(UnknownReason::Computed)
    }
}

impl<T: Serialize> Serialize for Fact<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Fact::Known(v) => v.serialize(serializer),
            Fact::Unknown(r) => {
                let mut m = serializer.serialize_map(Some(1))?;
                m.serialize_entry("$unknown", r)?;
                m.end()
            }
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Fact<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(deserializer)?;
        if let serde_json::Value::Object(m) = &v {
            if m.len() == 1 {
                if let Some(r) = m.get("$unknown") {
                    let reason = UnknownReason::deserialize(r).map_err(de::Error::custom)?;
                    return Ok(Fact::Unknown(reason));
                }
            }
        }
        T::deserialize(v).map(Fact::Known).map_err(de::Error::custom)
    }
}

/// Where an inventory came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// Collected from AWS APIs.
    #[default]
    Live,
    /// Read from a `terraform show -json` plan.
    Plan,
    /// Read from a `terraform show -json` state.
    State,
}

/// Provenance of the inventory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Live, plan or state.
    #[serde(default)]
    pub kind: SourceKind,
    /// Input file (plan/state), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// RFC 3339 time of collection, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
}

/// The whole audited estate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// [`SCHEMA_VERSION`].
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Provenance.
    #[serde(default)]
    pub source: Source,
    /// Accounts audited.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Regions audited (union over accounts).
    #[serde(default)]
    pub regions: Vec<String>,
    /// S3 buckets.
    #[serde(default)]
    pub buckets: Vec<Bucket>,
    /// KMS keys (customer and AWS managed).
    #[serde(default)]
    pub kms_keys: Vec<KmsKey>,
    /// CloudTrail trails, one entry per trail ARN (shadow copies removed).
    #[serde(default)]
    pub trails: Vec<Trail>,
    /// CloudWatch Logs log groups.
    #[serde(default)]
    pub log_groups: Vec<LogGroup>,
    /// Kinesis data streams.
    #[serde(default)]
    pub kinesis_streams: Vec<KinesisStream>,
    /// IAM roles.
    #[serde(default)]
    pub iam_roles: Vec<IamRole>,
    /// JSON pointers (into this inventory) of values known only after apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub computed: Vec<String>,
    /// What could not be collected.
    #[serde(default)]
    pub collection_errors: Vec<CollectionError>,
}

fn schema_version() -> u32 {
    SCHEMA_VERSION
}

impl Default for Inventory {
    fn default() -> Self {
        Inventory {
            schema_version: SCHEMA_VERSION,
            source: Source::default(),
            accounts: Vec::new(),
            regions: Vec::new(),
            buckets: Vec::new(),
            kms_keys: Vec::new(),
            trails: Vec::new(),
            log_groups: Vec::new(),
            kinesis_streams: Vec::new(),
            iam_roles: Vec::new(),
            computed: Vec::new(),
            collection_errors: Vec::new(),
        }
    }
}

/// An audited account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// 12-digit account id.
    pub id: String,
    /// Regions audited in this account.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Role assumed to reach the account, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Account-level S3 Block Public Access. `Known(None)` = not configured.
    #[serde(default)]
    pub s3_public_access_block: Fact<Option<PublicAccessBlock>>,
}

/// Common identity of a resource, for findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceRef<'a> {
    /// Display id (ARN when known, else name).
    pub id: String,
    /// Terraform address (offline only).
    pub address: Option<&'a str>,
    /// Account id.
    pub account: Option<&'a str>,
    /// Region.
    pub region: Option<&'a str>,
}

/// S3 Block Public Access settings (bucket or account level).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    /// BlockPublicAcls.
    #[serde(default)]
    pub block_public_acls: bool,
    /// IgnorePublicAcls.
    #[serde(default)]
    pub ignore_public_acls: bool,
    /// BlockPublicPolicy.
    #[serde(default)]
    pub block_public_policy: bool,
    /// RestrictPublicBuckets.
    #[serde(default)]
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// All four settings on.
    #[must_use]
    pub fn all(self) -> bool {
        self.block_public_acls && self.ignore_public_acls && self.block_public_policy && self.restrict_public_buckets
    }

    /// Effective settings: a setting is on if on at either level.
    #[must_use]
    pub fn or(self, other: PublicAccessBlock) -> PublicAccessBlock {
        PublicAccessBlock {
            block_public_acls: self.block_public_acls || other.block_public_acls,
            ignore_public_acls: self.ignore_public_acls || other.ignore_public_acls,
            block_public_policy: self.block_public_policy || other.block_public_policy,
            restrict_public_buckets: self.restrict_public_buckets || other.restrict_public_buckets,
        }
    }
}

/// Default encryption algorithm of a bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SseAlgorithm {
    /// SSE-S3.
    #[serde(rename = "AES256")]
    Aes256,
    /// SSE-KMS.
    #[serde(rename = "aws:kms")]
    AwsKms,
    /// DSSE-KMS.
    #[serde(rename = "aws:kms:dsse")]
    AwsKmsDsse,
    /// No default encryption configured (legacy buckets, emulators).
    #[serde(rename = "none")]
    None,
}

impl SseAlgorithm {
    /// Parse the S3 API value; `None` for an unrecognised value.
    #[must_use]
    pub fn parse(s: &str) -> Option<SseAlgorithm> {
        match s {
            "AES256" => Some(SseAlgorithm::Aes256),
            "aws:kms" => Some(SseAlgorithm::AwsKms),
            "aws:kms:dsse" => Some(SseAlgorithm::AwsKmsDsse),
            "none" | "" => Some(SseAlgorithm::None),
            _ => None,
        }
    }

    /// Whether the algorithm uses KMS.
    #[must_use]
    pub fn is_kms(self) -> bool {
        matches!(self, SseAlgorithm::AwsKms | SseAlgorithm::AwsKmsDsse)
    }
}

/// Bucket default encryption.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketEncryption {
    /// Algorithm (`none` when no configuration exists).
    pub algorithm: Fact<SseAlgorithm>,
    /// KMS key id/ARN/alias. `Known(None)` with `aws:kms` = the AWS managed `aws/s3` key.
    #[serde(default)]
    pub kms_key_id: Fact<Option<String>>,
    /// Bucket Key enabled.
    #[serde(default)]
    pub bucket_key: Fact<bool>,
}

impl Default for BucketEncryption {
    fn default() -> Self {
        BucketEncryption {
            algorithm: Fact::Known(SseAlgorithm::None),
            kms_key_id: Fact::Known(None),
            bucket_key: Fact::Known(false),
        }
    }
}

/// Versioning status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Versioning {
    /// Enabled.
    Enabled,
    /// Suspended (counts as off).
    Suspended,
    /// Never enabled.
    Disabled,
}

/// A lifecycle transition.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// Days after creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Target storage class.
    #[serde(default)]
    pub storage_class: String,
}

/// A lifecycle rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleRule {
    /// Rule id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Status = Enabled.
    #[serde(default)]
    pub enabled: bool,
    /// The rule applies to every object (no prefix, no tag or size filter).
    #[serde(default)]
    pub whole_bucket: bool,
    /// Human description of the filter when not whole-bucket (e.g. `prefix=tmp/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Current-version expiration in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_days: Option<u32>,
    /// Current-version expiration at a fixed date (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
    /// Noncurrent-version expiration in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noncurrent_expiration_days: Option<u32>,
    /// Transitions (do not delete anything).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<Transition>,
}

/// Object Lock retention mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LockMode {
    /// GOVERNANCE.
    Governance,
    /// COMPLIANCE.
    Compliance,
}

/// Object Lock configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectLock {
    /// ObjectLockEnabled = Enabled.
    #[serde(default)]
    pub enabled: bool,
    /// Default retention mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<LockMode>,
    /// Default retention days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Default retention years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years: Option<u32>,
}

impl ObjectLock {
    /// Default retention in days (years × 365), if any.
    #[must_use]
    pub fn retention_days(&self) -> Option<u32> {
        match (self.days, self.years) {
            (Some(d), _) if d > 0 => Some(d),
            (_, Some(y)) if y > 0 => Some(y.saturating_mul(365)),
            _ => None,
        }
    }
}

/// A replication destination.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationDestination {
    /// Destination bucket ARN.
    pub bucket_arn: String,
    /// Destination region.
    #[serde(default)]
    pub region: Fact<String>,
    /// Replication rule enabled.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// Server access logging target.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggingTarget {
    /// Target bucket.
    pub bucket: String,
    /// Target prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// An S3 bucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Bucket name.
    pub name: String,
    /// ARN (`arn:aws:s3:::name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Region (from GetBucketLocation, or the provider).
    #[serde(default)]
    pub region: Fact<String>,
    /// Owning account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Terraform address (offline only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Fact<Tags>,
    /// Default encryption. `Known(None)` = no configuration.
    #[serde(default)]
    pub encryption: Fact<Option<BucketEncryption>>,
    /// Bucket-level Block Public Access. `Known(None)` = not configured.
    #[serde(default)]
    pub public_access_block: Fact<Option<PublicAccessBlock>>,
    /// Bucket policy; `Known(None)` = no policy. A JSON string value means the text did not parse.
    #[serde(default)]
    pub policy: Fact<Option<serde_json::Value>>,
    /// Versioning status.
    #[serde(default)]
    pub versioning: Fact<Versioning>,
    /// Lifecycle rules; `Known(vec![])` = no lifecycle configuration.
    #[serde(default)]
    pub lifecycle: Fact<Vec<LifecycleRule>>,
    /// Object Lock; `Known(None)` = not enabled.
    #[serde(default)]
    pub object_lock: Fact<Option<ObjectLock>>,
    /// Replication destinations; `Known(vec![])` = none.
    #[serde(default)]
    pub replication: Fact<Vec<ReplicationDestination>>,
    /// Server access logging; `Known(None)` = off.
    #[serde(default)]
    pub logging: Fact<Option<LoggingTarget>>,
}

/// Who manages a KMS key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum KeyManager {
    /// AWS managed (`aws/s3`, …).
    Aws,
    /// Customer managed.
    Customer,
}

/// A KMS key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KmsKey {
    /// Key id (UUID, or `mrk-…`).
    pub id: String,
    /// Key ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Region.
    pub region: String,
    /// Owning account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Terraform address (offline only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// KeyManager.
    #[serde(default)]
    pub manager: Fact<KeyManager>,
    /// KeySpec (`SYMMETRIC_DEFAULT`, `RSA_2048`, `HMAC_256`, …).
    #[serde(default)]
    pub key_spec: Fact<String>,
    /// KeyUsage (`ENCRYPT_DECRYPT`, `SIGN_VERIFY`, `GENERATE_VERIFY_MAC`, …).
    #[serde(default)]
    pub key_usage: Fact<String>,
    /// Origin (`AWS_KMS`, `EXTERNAL`, `AWS_CLOUDHSM`, `EXTERNAL_KEY_STORE`).
    #[serde(default)]
    pub origin: Fact<String>,
    /// KeyState (`Enabled`, `Disabled`, `PendingDeletion`, `PendingReplicaDeletion`, …).
    #[serde(default)]
    pub state: Fact<String>,
    /// DeletionDate (RFC 3339) when pending deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<String>,
    /// Automatic rotation enabled.
    #[serde(default)]
    pub rotation_enabled: Fact<bool>,
    /// Rotation period in days, when rotation is enabled.
    #[serde(default)]
    pub rotation_period_days: Fact<Option<u32>>,
    /// Multi-Region key.
    #[serde(default)]
    pub multi_region: Fact<bool>,
    /// Regions of the primary and replicas other than `region`.
    #[serde(default)]
    pub replica_regions: Fact<Vec<String>>,
    /// Aliases (`alias/name`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Key policy (`default`). A JSON string value means the text did not parse.
    #[serde(default)]
    pub policy: Fact<Option<serde_json::Value>>,
    /// Tags.
    #[serde(default)]
    pub tags: Fact<Tags>,
}

impl KmsKey {
    /// Whether the key is pending deletion (or pending replica deletion).
    #[must_use]
    pub fn pending_deletion(&self) -> Option<bool> {
        self.state.known().map(|s| s == "PendingDeletion" || s == "PendingReplicaDeletion")
    }
}

/// A CloudTrail trail.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trail {
    /// Trail name.
    pub name: String,
    /// Trail ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Home region.
    pub home_region: String,
    /// Owning account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Terraform address (offline only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// IsMultiRegionTrail.
    #[serde(default)]
    pub multi_region: Fact<bool>,
    /// IsOrganizationTrail.
    #[serde(default)]
    pub organization: Fact<bool>,
    /// GetTrailStatus IsLogging (plan: `enable_logging`).
    #[serde(default)]
    pub is_logging: Fact<bool>,
    /// LogFileValidationEnabled.
    #[serde(default)]
    pub log_file_validation: Fact<bool>,
    /// KmsKeyId; `Known(None)` = not encrypted with KMS.
    #[serde(default)]
    pub kms_key_id: Fact<Option<String>>,
    /// S3 bucket receiving the logs.
    #[serde(default)]
    pub s3_bucket: Fact<Option<String>>,
    /// CloudWatch Logs log group ARN.
    #[serde(default)]
    pub cloudwatch_logs_group_arn: Fact<Option<String>>,
    /// LatestDeliveryError (empty/None = none).
    #[serde(default)]
    pub latest_delivery_error: Fact<Option<String>>,
    /// Tags.
    #[serde(default)]
    pub tags: Fact<Tags>,
}

/// A CloudWatch Logs log group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LogGroup {
    /// Name.
    pub name: String,
    /// ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Region.
    pub region: String,
    /// Owning account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Terraform address (offline only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// retentionInDays; `Known(None)` = never expires.
    #[serde(default)]
    pub retention_days: Fact<Option<u32>>,
    /// kmsKeyId; `Known(None)` = service-managed encryption only.
    #[serde(default)]
    pub kms_key_id: Fact<Option<String>>,
    /// logGroupClass (`STANDARD`, `INFREQUENT_ACCESS`), if reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_group_class: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Fact<Tags>,
}

/// Kinesis stream encryption type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum StreamEncryption {
    /// NONE.
    None,
    /// KMS.
    Kms,
}

/// A Kinesis data stream.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KinesisStream {
    /// Name.
    pub name: String,
    /// ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Region.
    pub region: String,
    /// Owning account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Terraform address (offline only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// EncryptionType.
    #[serde(default)]
    pub encryption_type: Fact<StreamEncryption>,
    /// KeyId (ARN, id or alias such as `alias/aws/kinesis`).
    #[serde(default)]
    pub kms_key_id: Fact<Option<String>>,
    /// RetentionPeriodHours.
    #[serde(default)]
    pub retention_hours: Fact<u32>,
    /// Tags.
    #[serde(default)]
    pub tags: Fact<Tags>,
}

/// An inline role policy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InlinePolicy {
    /// Policy name.
    pub name: String,
    /// Decoded policy document.
    #[serde(default)]
    pub document: Fact<serde_json::Value>,
}

/// A managed policy attached to a role.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AttachedPolicy {
    /// Policy ARN.
    pub arn: String,
    /// Policy name.
    #[serde(default)]
    pub name: String,
    /// Default version id (`v3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_version_id: Option<String>,
    /// Decoded document of the default version.
    #[serde(default)]
    pub document: Fact<serde_json::Value>,
}

/// An IAM role.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IamRole {
    /// Role name.
    pub name: String,
    /// Role ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Path (`/service-role/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Owning account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Terraform address (offline only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Trust (assume-role) policy, decoded.
    #[serde(default)]
    pub trust_policy: Fact<serde_json::Value>,
    /// Inline policies.
    #[serde(default)]
    pub inline_policies: Fact<Vec<InlinePolicy>>,
    /// Attached managed policies.
    #[serde(default)]
    pub attached_policies: Fact<Vec<AttachedPolicy>>,
    /// Tags.
    #[serde(default)]
    pub tags: Fact<Tags>,
}

/// Something the collector could not learn.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionError {
    /// Service (`s3`, `kms`, `iam`, `cloudtrail`, `logs`, `kinesis`, `sts`).
    pub service: String,
    /// Region (None for global services).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// API operation (`GetBucketPolicy`).
    pub operation: String,
    /// Resource concerned, if any (bucket name, key id, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Error code (`AccessDenied`, `Throttling`, `Timeout`, …).
    pub code: String,
    /// Error message (never contains customer data).
    pub message: String,
}

impl Inventory {
    /// Parse an inventory from JSON text.
    ///
    /// # Errors
    /// When the text is not an inventory; the error names the line and column.
    pub fn from_json(text: &str) -> Result<Inventory, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Find a KMS key by id, ARN or alias (`alias/x`, or alias ARN), preferring `region` for
    /// bare ids and aliases.
    #[must_use]
    pub fn find_key(&self, reference: &str, region: Option<&str>) -> Option<&KmsKey> {
        let r = reference.trim();
        // Alias ARN: arn:aws:kms:region:acct:alias/name
        let (alias, alias_region) = if let Some(idx) = r.find(":alias/") {
            let region = r.split(':').nth(3).filter(|s| !s.is_empty());
            (Some(&r[idx + 1..]), region)
        } else if r.starts_with("alias/") {
            (Some(r), None)
        } else {
            (None, None)
        };
        if let Some(alias) = alias {
            let want_region = alias_region.or(region);
            let mut candidates = self.kms_keys.iter().filter(|k| k.aliases.iter().any(|a| a == alias));
            let all: Vec<&KmsKey> = candidates.by_ref().collect();
            return all
                .iter()
                .find(|k| want_region.is_none_or(|w| k.region == w))
                .or_else(|| if want_region.is_none() { all.first() } else { None })
                .copied();
        }
        if r.starts_with("arn:") {
            if let Some(k) = self.kms_keys.iter().find(|k| k.arn.as_deref() == Some(r)) {
                return Some(k);
            }
            // Compare by id + region when the stored key has no ARN.
            let region_of = r.split(':').nth(3);
            let id = r.rsplit('/').next().unwrap_or(r);
            return self.kms_keys.iter().find(|k| k.id == id && region_of.is_none_or(|rg| k.region == rg));
        }
        let same_region = self.kms_keys.iter().find(|k| k.id == r && region.is_none_or(|w| k.region == w));
        same_region.or_else(|| self.kms_keys.iter().find(|k| k.id == r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fact_round_trips_known_and_unknown() {
        let b = Bucket {
            name: "b".into(),
            region: Fact::Known("ca-central-1".into()),
            encryption: Fact::Known(None),
            policy: Fact::Unknown(UnknownReason::AccessDenied),
            logging: Fact::computed(),
            ..Bucket::default()
        };
        let text = serde_json::to_string(&b).unwrap();
        assert!(text.contains(r#""policy":{"$unknown":"access-denied"}"#), "{text}");
        assert!(text.contains(r#""encryption":null"#), "{text}");
        assert!(text.contains(r#""versioning":{"$unknown":"not-collected"}"#), "{text}");
        let back: Bucket = serde_json::from_str(&text).unwrap();
        assert_eq!(back, b);
    }

    #[test]
    fn missing_fields_are_not_collected_not_compliant() {
        let b: Bucket = serde_json::from_str(r#"{"name":"x"}"#).unwrap();
        assert_eq!(b.encryption, Fact::Unknown(UnknownReason::NotCollected));
        assert_eq!(b.versioning, Fact::Unknown(UnknownReason::NotCollected));
    }

    #[test]
    fn bad_reason_is_an_error() {
        let e = serde_json::from_str::<Bucket>(r#"{"name":"x","versioning":{"$unknown":"bogus"}}"#).unwrap_err();
        assert!(e.to_string().contains("bogus"), "{e}");
    }

    #[test]
    fn find_key_by_alias_arn_and_id() {
        let inv = Inventory {
            kms_keys: vec![
                KmsKey {
                    id: "k1".into(),
                    arn: Some("arn:aws:kms:ca-central-1:111122223333:key/k1".into()),
                    region: "ca-central-1".into(),
                    aliases: vec!["alias/data".into()],
                    ..KmsKey::default()
                },
                KmsKey {
                    id: "k2".into(),
                    region: "ca-west-1".into(),
                    aliases: vec!["alias/data".into()],
                    ..KmsKey::default()
                },
            ],
            ..Inventory::default()
        };
        assert_eq!(inv.find_key("alias/data", Some("ca-west-1")).unwrap().id, "k2");
        assert_eq!(inv.find_key("arn:aws:kms:ca-central-1:111122223333:alias/data", None).unwrap().id, "k1");
        assert_eq!(inv.find_key("arn:aws:kms:ca-central-1:111122223333:key/k1", None).unwrap().id, "k1");
        assert_eq!(inv.find_key("arn:aws:kms:ca-west-1:111122223333:key/k2", None).unwrap().id, "k2");
        assert_eq!(inv.find_key("k2", None).unwrap().id, "k2");
        assert!(inv.find_key("alias/nope", None).is_none());
    }
}
