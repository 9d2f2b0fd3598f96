//! The core: one record in, one output out. Application → `consortium.inquiry/1.0` (tokens only)
//! and application (+ `consortium.match/1.0`) → `caseui.case-import/1.0` (PII fields encrypted).
//! Pure and synchronous; the key provider is the only thing it calls.

use std::sync::Arc;

use serde::Serialize;

use crate::crypto::{field_aad, CryptoError, Encryptor, KeyProvider, TokenKey, DEFAULT_DATA_KEY_USES};
use crate::error::{Code, FieldError, Rejection};
use crate::json::{self, Limits, Value};
use crate::model::{self, Applicant, Application, MatchResult};
use crate::normalize;

/// Output direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "service", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Application → consortium.inquiry/1.0 (what leaves for the consortium).
    Inquiry,
    /// Application or {submission, result} pair → caseui.case-import/1.0.
    Case,
}

/// Settings of the core.
#[derive(Clone, Debug)]
pub struct Settings {
    /// JSON nesting limit.
    pub max_depth: usize,
    /// Encryptions under one data key before a new one is generated.
    pub data_key_uses: u32,
    /// `retention.policy` written into case imports.
    pub retention_policy: String,
    /// Days after `opened_at` for `retention.review_after`.
    pub retention_review_days: i32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_depth: 32,
            data_key_uses: DEFAULT_DATA_KEY_USES,
            retention_policy: "fraud-case-7y".to_string(),
            retention_review_days: 2557,
        }
    }
}

/// Why a record produced no output.
#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    /// The record is invalid (dead-letter / 4xx).
    #[error("record rejected: {0}")]
    Rejected(Rejection),
    /// Keys could not be used (the job cannot go on / 5xx).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

impl From<Rejection> for TranslateError {
    fn from(r: Rejection) -> Self {
        Self::Rejected(r)
    }
}

/// Shared, immutable translator state.
pub struct Translator {
    pub provider: Arc<dyn KeyProvider>,
    pub settings: Settings,
}

/// Identifiers of a translated record (safe to log).
#[derive(Clone, Debug, Default)]
pub struct RecordIds {
    pub message_id: String,
    pub member_id: String,
    pub app_ref: String,
}

/// A translated record.
pub struct Output {
    pub json: Vec<u8>,
    pub ids: RecordIds,
    pub warnings: Vec<FieldError>,
}

impl Translator {
    #[must_use]
    pub fn new(provider: Arc<dyn KeyProvider>, settings: Settings) -> Arc<Self> {
        Arc::new(Self { provider, settings })
    }

    /// A per-worker session (owns its data-key cache).
    #[must_use]
    pub fn session(self: &Arc<Self>) -> Session {
        Session { tr: self.clone(), enc: Encryptor::new(self.provider.clone(), self.settings.data_key_uses) }
    }
}

/// Per-thread translation state.
pub struct Session {
    tr: Arc<Translator>,
    pub enc: Encryptor,
}

impl Session {
    /// Translate one record (bytes of one JSON document).
    pub fn translate(&mut self, dir: Direction, input: &[u8]) -> Result<Output, TranslateError> {
        let v = json::parse(input, Limits { max_depth: self.tr.settings.max_depth }).map_err(Rejection::from)?;
        self.translate_value(dir, &v)
    }

    /// Translate an already parsed record (CSV rows arrive this way).
    pub fn translate_value(&mut self, dir: Direction, v: &Value<'_>) -> Result<Output, TranslateError> {
        let (sub, sub_root, res) = match (v.get("submission"), v.get("schema")) {
            (Some(s), None) => (s, "/submission", v.get("result").filter(|r| !matches!(r, Value::Null))),
            _ => (v, "", None),
        };
        let app = model::read_application(sub, sub_root)?;
        let ids = RecordIds {
            message_id: app.message_id.clone(),
            member_id: app.member_id.clone(),
            app_ref: app.app_ref.clone(),
        };
        let json = match dir {
            Direction::Inquiry => {
                let inq = build_inquiry(&app, &self.tr.provider.token_keys().keys);
                serde_json::to_vec(&inq).map_err(|_| CryptoError::Format("serialise"))?
            }
            Direction::Case => {
                let result = match res {
                    Some(r) => Some(model::read_match(r, "/result", &app)?),
                    None => None,
                };
                let case = build_case(&app, result.as_ref(), &self.tr.settings, &mut self.enc)?;
                serde_json::to_vec(&case).map_err(|_| CryptoError::Format("serialise"))?
            }
        };
        Ok(Output { json, ids, warnings: app.warnings })
    }
}

// ------------------------------------------------------------------------------------------
// consortium.inquiry/1.0

#[derive(Serialize)]
pub struct Inquiry<'a> {
    pub schema: &'static str,
    pub message_id: &'a str,
    pub member_id: &'a str,
    pub submitted_at: &'a str,
    pub norm: &'static str,
    pub kid: &'a str,
    pub application: InquiryApplication<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<Rotation<'a>>,
}

/// Tokens under the second key during a rotation (same shapes as the main ones).
#[derive(Serialize)]
pub struct Rotation<'a> {
    pub kid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceTokens>,
    pub applicants: Vec<RotationApplicant<'a>>,
}

#[derive(Serialize)]
pub struct RotationApplicant<'a> {
    pub applicant_ref: &'a str,
    pub keys: Keys,
}

#[derive(Serialize)]
pub struct InquiryApplication<'a> {
    pub app_ref: &'a str,
    pub received_hour: String,
    pub product_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_band: Option<&'static str>,
    pub origin_channel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceTokens>,
    pub applicants: Vec<InquiryApplicant<'a>>,
}

#[derive(Serialize)]
pub struct DeviceTokens {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id_t: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_t: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_net_t: Option<String>,
}

#[derive(Serialize)]
pub struct InquiryApplicant<'a> {
    pub applicant_ref: &'a str,
    pub role: &'a str,
    pub age_band: &'static str,
    pub province: &'a str,
    pub fsa: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residency_status: Option<&'a str>,
    pub keys: Keys,
}

#[derive(Serialize)]
pub struct Keys {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sin: Option<String>,
    pub dob: String,
    pub name_dob: String,
    pub phon_name_dob: String,
    pub family_dob_postal: String,
    pub initial_family_dob: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub name_part_dob: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_name_dob: Vec<String>,
    pub addresses: Vec<AddressKeys>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub employers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub employer_phones: Vec<String>,
    pub bank_accounts: Vec<String>,
    pub id_documents: Vec<String>,
}

#[derive(Serialize)]
pub struct AddressKeys {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub civic_street_postal: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_unit: Option<String>,
    pub postal: String,
}

fn age_band(age: i16) -> &'static str {
    match age {
        ..=17 => "14-17",
        18..=24 => "18-24",
        25..=34 => "25-34",
        35..=44 => "35-44",
        45..=54 => "45-54",
        55..=64 => "55-64",
        _ => "65+",
    }
}

fn amount_band(minor: u64) -> &'static str {
    match minor / 100 {
        0..=999 => "0-999",
        1000..=4999 => "1000-4999",
        5000..=9999 => "5000-9999",
        10000..=24999 => "10000-24999",
        25000..=49999 => "25000-49999",
        50000..=99999 => "50000-99999",
        100_000..=249_999 => "100000-249999",
        250_000..=999_999 => "250000-999999",
        _ => "1000000+",
    }
}

fn ip_net(ip: &str) -> Option<String> {
    match ip.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]))
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
        }
    }
}

fn device_tokens(app: &Application, k: &TokenKey) -> Option<DeviceTokens> {
    let d = app.origin.device.as_ref()?;
    let t = DeviceTokens {
        device_id_t: d.device_id.as_deref().map(|v| k.token("device", v)),
        ip_t: d.ip.as_deref().map(|v| k.token("ip", v)),
        ip_net_t: d.ip.as_deref().and_then(ip_net).map(|v| k.token("ip_net", &v)),
    };
    (t.device_id_t.is_some() || t.ip_t.is_some()).then_some(t)
}

fn keys(a: &Applicant, k: &TokenKey) -> Keys {
    let given = normalize::name_key(&a.name.given);
    let family = normalize::name_key(&a.name.family);
    let dob = a.date_of_birth.to_string();
    let cur = a.current_address();
    let postal = cur.map(|c| c.postal_code.as_str()).unwrap_or_default();
    let initial: String = given.chars().take(1).collect();
    let mut name_part_dob = Vec::new();
    for part in normalize::name_part_keys(&a.name.family) {
        name_part_dob.push(k.token("name_part_dob", &format!("{given}|{part}|{dob}")));
    }
    let other_name_dob = a
        .other_names
        .iter()
        .map(|o| {
            k.token("name_dob", &format!("{}|{}|{dob}", normalize::name_key(&o.given), normalize::name_key(&o.family)))
        })
        .collect();
    let addresses = a
        .addresses
        .iter()
        .map(|ad| {
            let (civic, street) = normalize::address_line(&ad.line1);
            AddressKeys {
                kind: ad.kind,
                civic_street_postal: k.token("civic_street_postal", &format!("{civic}|{street}|{}", ad.postal_code)),
                postal_unit: ad
                    .unit
                    .as_deref()
                    .map(|u| k.token("postal_unit", &format!("{}|{}", ad.postal_code, normalize::fold_upper(u)))),
                postal: k.token("postal", &ad.postal_code),
            }
        })
        .collect();
    let mut emails = Vec::with_capacity(a.emails.len() * 2);
    for e in &a.emails {
        emails.push(k.token("email", &e.email.key));
        if e.email.key_untagged != e.email.key {
            emails.push(k.token("email", &e.email.key_untagged));
        }
    }
    Keys {
        sin: a.sin.as_deref().map(|s| k.token("sin", s)),
        dob: k.token("dob", &dob),
        name_dob: k.token("name_dob", &format!("{given}|{family}|{dob}")),
        phon_name_dob: k
            .token("phon_name_dob", &format!("{}|{}|{dob}", normalize::soundex(&given), normalize::soundex(&family))),
        family_dob_postal: k.token("family_dob_postal", &format!("{family}|{dob}|{postal}")),
        initial_family_dob: k.token("initial_family_dob", &format!("{initial}|{family}|{dob}")),
        name_part_dob,
        other_name_dob,
        addresses,
        phones: a.phones.iter().map(|p| k.token("phone", &p.e164)).collect(),
        emails,
        employers: a
            .employment
            .iter()
            .filter_map(|e| e.employer_name.as_deref())
            .map(|n| k.token("employer", &normalize::employer(n)))
            .collect(),
        employer_phones: a
            .employment
            .iter()
            .filter_map(|e| e.employer_phone.as_deref())
            .map(|p| k.token("phone", p))
            .collect(),
        bank_accounts: a
            .bank_accounts
            .iter()
            .map(|b| k.token("bank_account", &format!("{}|{}|{}", b.institution, b.transit, b.account)))
            .collect(),
        id_documents: a
            .id_documents
            .iter()
            .map(|d| k.token("id_document", &format!("{}|{}|{}", d.kind, d.issuer, d.number)))
            .collect(),
    }
}

/// Build the inquiry for `app` with the token keys (active first; a second one adds `rotation`).
#[must_use]
pub fn build_inquiry<'a>(app: &'a Application, token_keys: &'a [TokenKey]) -> Inquiry<'a> {
    let k = &token_keys[0];
    let hour = app.received.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    let received_hour = format!("{:04}-{:02}-{:02}T{:02}:00Z", hour.year(), hour.month(), hour.day(), hour.hour());
    let applicants = app
        .applicants
        .iter()
        .map(|a| {
            let cur = a.current_address();
            InquiryApplicant {
                applicant_ref: &a.applicant_ref,
                role: a.role,
                age_band: age_band(a.age),
                province: cur.map_or("", |c| c.province),
                fsa: cur.map_or("", |c| &c.postal_code[..3]),
                residency_status: a.residency_status,
                keys: keys(a, k),
            }
        })
        .collect();
    let rotation = token_keys.get(1).map(|k2| Rotation {
        kid: &k2.kid,
        device: device_tokens(app, k2),
        applicants: app
            .applicants
            .iter()
            .map(|a| RotationApplicant { applicant_ref: &a.applicant_ref, keys: keys(a, k2) })
            .collect(),
    });
    Inquiry {
        schema: "consortium.inquiry/1.0",
        message_id: &app.message_id,
        member_id: &app.member_id,
        submitted_at: &app.submitted_at,
        norm: normalize::NORM_VERSION,
        kid: &k.kid,
        application: InquiryApplication {
            app_ref: &app.app_ref,
            received_hour,
            product_type: app.product.product_type,
            amount_band: app.product.amount_minor.map(amount_band),
            origin_channel: app.origin.channel,
            device: device_tokens(app, k),
            applicants,
        },
        rotation,
    }
}

// ------------------------------------------------------------------------------------------
// caseui.case-import/1.0

#[derive(Serialize)]
pub struct CaseImport<'a> {
    pub format: &'static str,
    pub import_id: &'a str,
    pub case: Case<'a>,
}

#[derive(Serialize)]
pub struct Case<'a> {
    pub external_ref: String,
    pub source: Source<'a>,
    pub opened_at: &'a str,
    pub queue: &'static str,
    pub priority: u8,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk<'a>>,
    pub application: CaseApplication<'a>,
    pub subjects: Vec<Subject<'a>>,
    pub alerts: Vec<Alert<'a>>,
    pub notes: Vec<Note<'a>>,
    pub data_quality: &'a [FieldError],
    pub disposition: Option<()>,
    pub retention: Retention<'a>,
}

#[derive(Serialize)]
pub struct Source<'a> {
    pub system: &'static str,
    pub member_id: &'a str,
    pub intake: &'a str,
    pub submission_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_seq: Option<u64>,
}

#[derive(Serialize)]
pub struct Risk<'a> {
    pub provider: &'static str,
    pub result_ref: &'a str,
    pub outcome: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub band: Option<&'a str>,
}

#[derive(Serialize)]
pub struct CaseApplication<'a> {
    pub reference: &'a str,
    pub product_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_variant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_requested_minor: Option<u64>,
    pub currency: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term_months: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<&'a str>,
    pub origin_channel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch_transit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<CaseDevice<'a>>,
}

#[derive(Serialize)]
pub struct CaseDevice<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<&'a str>,
}

#[derive(Serialize)]
pub struct Subject<'a> {
    pub subject_id: &'a str,
    pub role: &'static str,
    pub full_name: String,
    pub name: SubjectName<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<Alias<'a>>,
    pub date_of_birth: String,
    pub age_at_application: i16,
    pub preferred_language: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residency: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national_id: Option<NationalId>,
    pub addresses: Vec<CaseAddress<'a>>,
    pub contacts: Vec<Contact<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub employment: Vec<CaseEmployment<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bank_accounts: Vec<CaseBankAccount<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub id_documents: Vec<CaseIdDocument<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_housing_cost_minor: Option<u64>,
}

#[derive(Serialize)]
pub struct SubjectName<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<&'a str>,
    pub first: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle: Option<&'a str>,
    pub last: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suffix: Option<&'a str>,
}

#[derive(Serialize)]
pub struct Alias<'a> {
    pub kind: &'a str,
    pub full_name: String,
}

#[derive(Serialize)]
pub struct NationalId {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub masked: String,
    pub luhn_valid: bool,
    pub value_enc: String,
}

#[derive(Serialize)]
pub struct CaseAddress<'a> {
    #[serde(rename = "use")]
    pub use_: &'static str,
    pub street: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street2: Option<&'a str>,
    pub city: &'a str,
    pub region: &'a str,
    pub postal_code: &'a str,
    pub country: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub months_at_address: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenure: Option<&'a str>,
}

#[derive(Serialize)]
pub struct Contact<'a> {
    pub channel: &'static str,
    #[serde(rename = "use")]
    pub use_: &'a str,
    pub value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<&'a str>,
}

#[derive(Serialize)]
pub struct CaseEmployment<'a> {
    pub status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occupation: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employer_phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annual_income_minor: Option<u64>,
}

#[derive(Serialize)]
pub struct CaseBankAccount<'a> {
    pub institution: &'a str,
    pub transit: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_type: Option<&'a str>,
    pub account_masked: String,
    pub value_enc: String,
}

#[derive(Serialize)]
pub struct CaseIdDocument<'a> {
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub issuer: &'a str,
    pub number_masked: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<&'a str>,
    pub value_enc: String,
}

#[derive(Serialize)]
pub struct Alert<'a> {
    pub alert_ref: &'a str,
    pub subject_id: &'a str,
    pub rule_code: &'a str,
    pub rule_title: &'a str,
    pub rule_version: &'a str,
    pub severity: &'static str,
    pub score: u64,
    pub matched_fields: &'a [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_quality: Option<f64>,
    pub counterparty: Counterparty<'a>,
    pub status: &'static str,
}

#[derive(Serialize)]
pub struct Counterparty<'a> {
    pub record_ref: &'a str,
    pub contributor: &'a str,
    pub record_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraud_category: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reported_on: Option<&'a str>,
}

#[derive(Serialize)]
pub struct Note<'a> {
    pub author: &'static str,
    pub created_at: &'a str,
    pub text: String,
}

#[derive(Serialize)]
pub struct Retention<'a> {
    pub policy: &'a str,
    pub review_after: String,
}

fn last_n(s: &str, n: usize) -> &str {
    &s[s.len().saturating_sub(n)..]
}

fn months(ym: &str) -> Option<i32> {
    let y: i32 = ym.get(..4)?.parse().ok()?;
    let m: i32 = ym.get(5..7)?.parse().ok()?;
    Some(y * 12 + m)
}

/// Build the case import (encrypting SIN, bank accounts and identity documents).
pub fn build_case<'a>(
    app: &'a Application,
    result: Option<&'a MatchResult>,
    settings: &'a Settings,
    enc: &mut Encryptor,
) -> Result<CaseImport<'a>, CryptoError> {
    let received_ym = app.received_date.year() as i32 * 12 + i32::from(app.received_date.month());
    let mut subjects = Vec::with_capacity(app.applicants.len());
    for (si, a) in app.applicants.iter().enumerate() {
        let base = format!("/case/subjects/{si}");
        let national_id = match &a.sin {
            Some(sin) => {
                let ptr = format!("{base}/national_id/value_enc");
                Some(NationalId {
                    kind: "CA_SIN",
                    masked: format!("***-***-{}", &sin[6..]),
                    luhn_valid: true,
                    value_enc: enc.encrypt(sin.as_bytes(), &field_aad(&app.member_id, &app.app_ref, &ptr))?,
                })
            }
            None => None,
        };
        let mut bank_accounts = Vec::with_capacity(a.bank_accounts.len());
        for (bi, b) in a.bank_accounts.iter().enumerate() {
            let ptr = format!("{base}/bank_accounts/{bi}/value_enc");
            let plain = format!("{}-{}-{}", b.institution, b.transit, b.account);
            bank_accounts.push(CaseBankAccount {
                institution: &b.institution,
                transit: &b.transit,
                account_type: b.kind,
                account_masked: format!("****{}", last_n(&b.account, 4)),
                value_enc: enc.encrypt(plain.as_bytes(), &field_aad(&app.member_id, &app.app_ref, &ptr))?,
            });
        }
        let mut id_documents = Vec::with_capacity(a.id_documents.len());
        for (di, d) in a.id_documents.iter().enumerate() {
            let ptr = format!("{base}/id_documents/{di}/value_enc");
            id_documents.push(CaseIdDocument {
                kind: d.kind,
                issuer: d.issuer,
                number_masked: format!("****{}", last_n(&d.number, 4)),
                expires_on: d.expiry.as_deref(),
                value_enc: enc.encrypt(d.number.as_bytes(), &field_aad(&app.member_id, &app.app_ref, &ptr))?,
            });
        }
        let mut contacts = Vec::with_capacity(a.phones.len() + a.emails.len());
        for p in &a.phones {
            contacts.push(Contact { channel: "PHONE", use_: p.kind, value: &p.e164, extension: p.ext.as_deref() });
        }
        for e in &a.emails {
            contacts.push(Contact { channel: "EMAIL", use_: e.kind, value: &e.email.key, extension: None });
        }
        subjects.push(Subject {
            subject_id: &a.applicant_ref,
            role: if a.role == "PRIMARY" { "PRIMARY_APPLICANT" } else { a.role },
            full_name: a.name.full(),
            name: SubjectName {
                prefix: a.name.title.as_deref(),
                first: &a.name.given,
                middle: a.name.middle.as_deref(),
                last: &a.name.family,
                suffix: a.name.suffix.as_deref(),
            },
            aliases: a
                .other_names
                .iter()
                .map(|o| Alias { kind: o.kind, full_name: format!("{} {}", o.given, o.family) })
                .collect(),
            date_of_birth: a.date_of_birth.to_string(),
            age_at_application: a.age,
            preferred_language: if a.language == Some("FR") { "fr" } else { "en" },
            residency: a.residency_status,
            national_id,
            addresses: a
                .addresses
                .iter()
                .map(|ad| CaseAddress {
                    use_: if ad.kind == "CURRENT" { "HOME" } else { ad.kind },
                    street: &ad.line1,
                    unit: ad.unit.as_deref(),
                    street2: ad.line2.as_deref(),
                    city: &ad.city,
                    region: ad.province,
                    postal_code: &ad.postal_code,
                    country: ad.country,
                    from: ad.since.as_deref(),
                    to: ad.until.as_deref(),
                    months_at_address: ad
                        .since
                        .as_deref()
                        .and_then(months)
                        .map(|since| ad.until.as_deref().and_then(months).unwrap_or(received_ym) - since),
                    tenure: ad.housing,
                })
                .collect(),
            contacts,
            employment: a
                .employment
                .iter()
                .map(|e| CaseEmployment {
                    status: e.status,
                    employer: e.employer_name.as_deref(),
                    occupation: e.occupation.as_deref(),
                    employer_phone: e.employer_phone.as_deref(),
                    since: e.since.as_deref(),
                    annual_income_minor: e.annual_income_minor,
                })
                .collect(),
            bank_accounts,
            id_documents,
            monthly_housing_cost_minor: a.monthly_housing_cost_minor,
        });
    }
    let alerts = result
        .map(|r| {
            r.matches
                .iter()
                .map(|m| Alert {
                    alert_ref: &m.match_id,
                    subject_id: &m.applicant_ref,
                    rule_code: &m.rule_code,
                    rule_title: &m.rule_name,
                    rule_version: &m.rule_version,
                    severity: match m.weight {
                        300.. => "HIGH",
                        150.. => "MEDIUM",
                        _ => "LOW",
                    },
                    score: m.weight,
                    matched_fields: &m.elements,
                    match_quality: m.min_similarity,
                    counterparty: Counterparty {
                        record_ref: &m.record_token,
                        contributor: &m.contributor,
                        record_type: m.record_type,
                        fraud_category: m.fraud_category.as_deref(),
                        reported_on: m.reported_on.as_deref(),
                    },
                    status: "OPEN",
                })
                .collect()
        })
        .unwrap_or_default();
    let notes = result
        .map(|r| {
            vec![Note {
                author: "system:translator",
                created_at: &r.processed_at,
                text: format!(
                    "Consortium result {}: {} rule(s), score {} ({})",
                    r.status,
                    r.matches.len(),
                    r.score.map_or_else(|| "n/a".to_string(), |s| s.to_string()),
                    r.risk_band.unwrap_or("n/a")
                ),
            }]
        })
        .unwrap_or_default();
    let review_after = app
        .received_date
        .checked_add(jiff::Span::new().days(settings.retention_review_days))
        .map_or_else(|_| app.received_date.to_string(), |d| d.to_string());
    Ok(CaseImport {
        format: "caseui.case-import/1.0",
        import_id: &app.message_id,
        case: Case {
            external_ref: format!("{}/{}", app.member_id, app.app_ref),
            source: Source {
                system: "consortium-translator",
                member_id: &app.member_id,
                intake: app.channel,
                submission_id: &app.message_id,
                batch_id: app.batch.as_ref().map(|b| b.batch_id.as_str()),
                record_seq: app.batch.as_ref().and_then(|b| b.record_seq),
            },
            opened_at: &app.received_at,
            queue: match app.product.product_type {
                "CREDIT_CARD" => "APP_FRAUD_CARDS",
                "MORTGAGE" => "APP_FRAUD_MORTGAGE",
                _ => "APP_FRAUD_LENDING",
            },
            priority: match result.and_then(|r| r.risk_band) {
                Some("CRITICAL") => 1,
                Some("HIGH") => 2,
                Some("MEDIUM") => 3,
                _ => 4,
            },
            status: "NEW",
            risk: result.map(|r| Risk {
                provider: "consortium",
                result_ref: &r.message_id,
                outcome: r.status,
                score: r.score,
                band: r.risk_band,
            }),
            application: CaseApplication {
                reference: &app.app_ref,
                product_code: app.product.product_type,
                product_variant: app.product.sub_type.as_deref(),
                amount_requested_minor: app.product.amount_minor,
                currency: "CAD",
                term_months: app.product.term_months,
                purpose: app.product.purpose,
                origin_channel: app.origin.channel,
                branch_transit: app.origin.branch_transit.as_deref(),
                broker_id: app.origin.broker_id.as_deref(),
                device: app.origin.device.as_ref().map(|d| CaseDevice {
                    ip: d.ip.as_deref(),
                    device_id: d.device_id.as_deref(),
                    user_agent: d.user_agent.as_deref(),
                }),
            },
            subjects,
            alerts,
            notes,
            data_quality: &app.warnings,
            disposition: None,
            retention: Retention { policy: &settings.retention_policy, review_after },
        },
    })
}

/// Every `value_enc` in a case import with its pointer (for `translator decrypt`).
#[must_use]
pub fn find_value_enc(v: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(v: &serde_json::Value, ptr: &mut String, out: &mut Vec<(String, String)>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, child) in m {
                    let len = ptr.len();
                    ptr.push('/');
                    ptr.push_str(&json::escape_pointer(k));
                    if k == "value_enc" {
                        if let Some(s) = child.as_str() {
                            out.push((ptr.clone(), s.to_string()));
                        }
                    } else {
                        walk(child, ptr, out);
                    }
                    ptr.truncate(len);
                }
            }
            serde_json::Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    let len = ptr.len();
                    ptr.push('/');
                    ptr.push_str(&i.to_string());
                    walk(child, ptr, out);
                    ptr.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut String::new(), &mut out);
    out
}

/// The schema-level code for an unknown direction of input (used by the HTTP front end).
#[must_use]
pub fn unsupported(pointer: &str) -> Rejection {
    Rejection::one(Code::UnsupportedSchemaVersion, pointer, "unsupported schema")
}
