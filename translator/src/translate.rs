//! The core: one record in, one output out. Application → `consortium.inquiry/1.0` (tokens only)
//! and application (+ `consortium.match/1.0`) → `caseui.case-import/1.0` (PII fields encrypted).
//! Pure and synchronous; the key provider is the only thing it calls.

use std::sync::Arc;

use serde::Serialize;

use crate::crypto::{field_aad_into, CryptoError, Encryptor, KeyProvider, Token, TokenKey, DEFAULT_DATA_KEY_USES};
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
        Session {
            tr: self.clone(),
            enc: Encryptor::new(self.provider.clone(), self.settings.data_key_uses),
            scratch: json::Scratch::default(),
            arena: json::Arena::new(),
        }
    }
}

/// An arena that grew past this (a huge record) is replaced rather than kept for the next.
const ARENA_KEEP: usize = 4 << 20;

/// Per-thread translation state.
pub struct Session {
    tr: Arc<Translator>,
    pub enc: Encryptor,
    scratch: json::Scratch,
    /// Holds the parsed tree of the record being translated (reset per record).
    arena: json::Arena,
}

impl Session {
    fn reset_arena(&mut self) {
        if self.arena.allocated_bytes() > ARENA_KEEP {
            self.arena = json::Arena::new();
        } else {
            self.arena.reset();
        }
    }

    /// Translate one record (bytes of one JSON document).
    pub fn translate(&mut self, dir: Direction, input: &[u8]) -> Result<Output, TranslateError> {
        self.reset_arena();
        let limits = Limits { max_depth: self.tr.settings.max_depth };
        let v = json::parse_with(input, limits, &self.arena, &mut self.scratch).map_err(Rejection::from)?;
        let _clean = self.scratch.clean.then(|| crate::jsonw::CleanInput::new(input));
        let mut json = Vec::with_capacity(4096);
        let app = translate_value_into(&self.tr, &mut self.enc, dir, &v, &mut json)?;
        Ok(output(json, app))
    }

    /// Translate an already parsed record (CSV rows arrive this way).
    pub fn translate_value(&mut self, dir: Direction, v: &Value<'_>) -> Result<Output, TranslateError> {
        let mut json = Vec::with_capacity(4096);
        let app = translate_value_into(&self.tr, &mut self.enc, dir, v, &mut json)?;
        Ok(output(json, app))
    }

    /// Translate one record, appending its JSON to `out` (nothing is appended when it is
    /// rejected). Returns the number of data-quality warnings. The batch path: no per-record
    /// output buffer.
    pub fn translate_into(&mut self, dir: Direction, input: &[u8], out: &mut Vec<u8>) -> Result<usize, TranslateError> {
        self.reset_arena();
        let limits = Limits { max_depth: self.tr.settings.max_depth };
        let v = json::parse_with(input, limits, &self.arena, &mut self.scratch).map_err(Rejection::from)?;
        let _clean = self.scratch.clean.then(|| crate::jsonw::CleanInput::new(input));
        let app = translate_value_into(&self.tr, &mut self.enc, dir, &v, out)?;
        Ok(app.warnings.len())
    }
}

fn output(json: Vec<u8>, app: Application<'_>) -> Output {
    let ids = RecordIds {
        message_id: app.message_id.into_owned(),
        member_id: app.member_id.into_owned(),
        app_ref: app.app_ref.into_owned(),
    };
    Output { json, ids, warnings: app.warnings }
}

/// Validate `v`, write the output to `out` and give back the application read.
fn translate_value_into<'v>(
    tr: &Translator,
    enc: &mut Encryptor,
    dir: Direction,
    v: &'v Value<'_>,
    out: &mut Vec<u8>,
) -> Result<Application<'v>, TranslateError> {
    let (sub, sub_root, res) = match (v.get("submission"), v.get("schema")) {
        (Some(s), None) => (s, "/submission", v.get("result").filter(|r| !matches!(r, Value::Null))),
        _ => (v, "", None),
    };
    let app = model::read_application(sub, sub_root)?;
    match dir {
        Direction::Inquiry => {
            build_inquiry(&app, &tr.provider.token_keys().keys).write_json(out);
        }
        Direction::Case => {
            let result = match res {
                Some(r) => Some(model::read_match(r, "/result", &app)?),
                None => None,
            };
            build_case(&app, result.as_ref(), &tr.settings, enc)?.write_json(out);
        }
    }
    Ok(app)
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
    pub device_id_t: Option<Token>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_t: Option<Token>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_net_t: Option<Token>,
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
    pub sin: Option<Token>,
    pub dob: Token,
    pub name_dob: Token,
    pub phon_name_dob: Token,
    pub family_dob_postal: Token,
    pub initial_family_dob: Token,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub name_part_dob: Vec<Token>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_name_dob: Vec<Token>,
    pub addresses: Vec<AddressKeys>,
    pub phones: Vec<Token>,
    pub emails: Vec<Token>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub employers: Vec<Token>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub employer_phones: Vec<Token>,
    pub bank_accounts: Vec<Token>,
    pub id_documents: Vec<Token>,
}

#[derive(Serialize)]
pub struct AddressKeys {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub civic_street_postal: Token,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_unit: Option<Token>,
    pub postal: Token,
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
        device_id_t: d.device_id.as_deref().map(|v| k.token_parts("device", &[v])),
        ip_t: d.ip.as_deref().map(|v| k.token_parts("ip", &[v])),
        ip_net_t: d.ip.as_deref().and_then(ip_net).map(|v| k.token_parts("ip_net", &[&v])),
    };
    (t.device_id_t.is_some() || t.ip_t.is_some()).then_some(t)
}

fn keys(a: &Applicant, k: &TokenKey) -> Keys {
    let given = normalize::name_key(&a.name.given);
    let family = normalize::name_key(&a.name.family);
    let dob = date_string(a.date_of_birth);
    let cur = a.current_address();
    let postal = cur.map(|c| &*c.postal_code).unwrap_or_default();
    let initial = &given[..given.chars().next().map_or(0, char::len_utf8)];
    let name_part_dob = normalize::name_part_keys(&a.name.family)
        .iter()
        .map(|part| k.token_parts("name_part_dob", &[&given, "|", part, "|", &dob]))
        .collect();
    let other_name_dob = a
        .other_names
        .iter()
        .map(|o| {
            let (g, f) = (normalize::name_key(&o.given), normalize::name_key(&o.family));
            k.token_parts("name_dob", &[&g, "|", &f, "|", &dob])
        })
        .collect();
    let addresses = a
        .addresses
        .iter()
        .map(|ad| {
            let (civic, street) = normalize::address_line(&ad.line1);
            AddressKeys {
                kind: ad.kind,
                civic_street_postal: k
                    .token_parts("civic_street_postal", &[&civic, "|", &street, "|", &ad.postal_code]),
                postal_unit: ad
                    .unit
                    .as_deref()
                    .map(|u| k.token_parts("postal_unit", &[&ad.postal_code, "|", &normalize::fold_upper(u)])),
                postal: k.token_parts("postal", &[&ad.postal_code]),
            }
        })
        .collect();
    let mut emails = Vec::with_capacity(a.emails.len() * 2);
    for e in &a.emails {
        emails.push(k.token_parts("email", &[&e.email.key]));
        if e.email.key_untagged != e.email.key {
            emails.push(k.token_parts("email", &[&e.email.key_untagged]));
        }
    }
    Keys {
        sin: a.sin.as_deref().map(|s| k.token_parts("sin", &[s])),
        dob: k.token_parts("dob", &[&dob]),
        name_dob: k.token_parts("name_dob", &[&given, "|", &family, "|", &dob]),
        phon_name_dob: k
            .token_parts("phon_name_dob", &[&normalize::soundex(&given), "|", &normalize::soundex(&family), "|", &dob]),
        family_dob_postal: k.token_parts("family_dob_postal", &[&family, "|", &dob, "|", postal]),
        initial_family_dob: k.token_parts("initial_family_dob", &[initial, "|", &family, "|", &dob]),
        name_part_dob,
        other_name_dob,
        addresses,
        phones: a.phones.iter().map(|p| k.token_parts("phone", &[&p.e164])).collect(),
        emails,
        employers: a
            .employment
            .iter()
            .filter_map(|e| e.employer_name.as_deref())
            .map(|n| k.token_parts("employer", &[&normalize::employer(n)]))
            .collect(),
        employer_phones: a
            .employment
            .iter()
            .filter_map(|e| e.employer_phone.as_deref())
            .map(|p| k.token_parts("phone", &[p]))
            .collect(),
        bank_accounts: a
            .bank_accounts
            .iter()
            .map(|b| k.token_parts("bank_account", &[&b.institution, "|", &b.transit, "|", &b.account]))
            .collect(),
        id_documents: a
            .id_documents
            .iter()
            .map(|d| k.token_parts("id_document", &[d.kind, "|", d.issuer, "|", &d.number]))
            .collect(),
    }
}

/// Build the inquiry for `app` with the token keys (active first; a second one adds `rotation`).
#[must_use]
pub fn build_inquiry<'a>(app: &'a Application<'_>, token_keys: &'a [TokenKey]) -> Inquiry<'a> {
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

/// Append every part to `s`.
fn push_all(s: &mut String, parts: &[&str]) {
    for p in parts {
        s.push_str(p);
    }
}

/// `YYYY-MM-DD`, as `Date`'s `Display` writes it (which is used outside years 0 to 9999).
fn date_string(d: jiff::civil::Date) -> String {
    let y = d.year();
    if !(0..=9999).contains(&y) {
        return d.to_string();
    }
    let y = y.unsigned_abs();
    let (m, day) = (d.month().unsigned_abs(), d.day().unsigned_abs());
    let b = [
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + m / 10,
        b'0' + m % 10,
        b'-',
        b'0' + day / 10,
        b'0' + day % 10,
    ];
    String::from_utf8_lossy(&b).into_owned()
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
    app: &'a Application<'_>,
    result: Option<&'a MatchResult<'_>>,
    settings: &'a Settings,
    enc: &mut Encryptor,
) -> Result<CaseImport<'a>, CryptoError> {
    let received_ym = app.received_date.year() as i32 * 12 + i32::from(app.received_date.month());
    let mut subjects = Vec::with_capacity(app.applicants.len());
    // reused per field: the value's pointer, its AAD and (bank accounts) the plaintext
    let mut ptr = String::with_capacity(64);
    let mut aad = Vec::with_capacity(128);
    let mut plain = String::with_capacity(32);
    let mut num = [0u8; 20];
    for (si, a) in app.applicants.iter().enumerate() {
        let national_id = match &a.sin {
            Some(sin) => {
                ptr.clear();
                push_all(
                    &mut ptr,
                    &["/case/subjects/", crate::jsonw::decimal(&mut num, si as u64), "/national_id/value_enc"],
                );
                field_aad_into(&mut aad, &app.member_id, &app.app_ref, &ptr);
                Some(NationalId {
                    kind: "CA_SIN",
                    masked: ["***-***-", &sin[6..]].concat(),
                    luhn_valid: true,
                    value_enc: enc.encrypt(sin.as_bytes(), &aad)?,
                })
            }
            None => None,
        };
        let mut bank_accounts = Vec::with_capacity(a.bank_accounts.len());
        for (bi, b) in a.bank_accounts.iter().enumerate() {
            ptr.clear();
            push_all(&mut ptr, &["/case/subjects/", crate::jsonw::decimal(&mut num, si as u64), "/bank_accounts/"]);
            push_all(&mut ptr, &[crate::jsonw::decimal(&mut num, bi as u64), "/value_enc"]);
            field_aad_into(&mut aad, &app.member_id, &app.app_ref, &ptr);
            plain.clear();
            push_all(&mut plain, &[&b.institution, "-", &b.transit, "-", &b.account]);
            bank_accounts.push(CaseBankAccount {
                institution: &b.institution,
                transit: &b.transit,
                account_type: b.kind,
                account_masked: ["****", last_n(&b.account, 4)].concat(),
                value_enc: enc.encrypt(plain.as_bytes(), &aad)?,
            });
        }
        let mut id_documents = Vec::with_capacity(a.id_documents.len());
        for (di, d) in a.id_documents.iter().enumerate() {
            ptr.clear();
            push_all(&mut ptr, &["/case/subjects/", crate::jsonw::decimal(&mut num, si as u64), "/id_documents/"]);
            push_all(&mut ptr, &[crate::jsonw::decimal(&mut num, di as u64), "/value_enc"]);
            field_aad_into(&mut aad, &app.member_id, &app.app_ref, &ptr);
            id_documents.push(CaseIdDocument {
                kind: d.kind,
                issuer: d.issuer,
                number_masked: ["****", last_n(&d.number, 4)].concat(),
                expires_on: d.expiry.as_deref(),
                value_enc: enc.encrypt(d.number.as_bytes(), &aad)?,
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
            date_of_birth: date_string(a.date_of_birth),
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
        .map_or_else(|_| date_string(app.received_date), date_string);
    Ok(CaseImport {
        format: "caseui.case-import/1.0",
        import_id: &app.message_id,
        case: Case {
            external_ref: [&*app.member_id, "/", &*app.app_ref].concat(),
            source: Source {
                system: "consortium-translator",
                member_id: &app.member_id,
                intake: app.channel,
                submission_id: &app.message_id,
                batch_id: app.batch.as_ref().map(|b| &*b.batch_id),
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

// ------------------------------------------------------------------------------------------
// output: the same JSON as `serde_json::to_vec` of the structs above (tested), written directly

use crate::jsonw::{self, Obj};

impl Inquiry<'_> {
    /// Append the compact JSON of this inquiry (byte-identical to `serde_json::to_vec`).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.str("schema", self.schema);
        o.str("message_id", self.message_id);
        o.str("member_id", self.member_id);
        o.str("submitted_at", self.submitted_at);
        o.str("norm", self.norm);
        o.str("kid", self.kid);
        {
            let a = &self.application;
            let mut ao = o.obj("application");
            ao.str("app_ref", a.app_ref);
            ao.str("received_hour", &a.received_hour);
            ao.str("product_type", a.product_type);
            ao.opt_str("amount_band", a.amount_band);
            ao.str("origin_channel", a.origin_channel);
            if let Some(d) = &a.device {
                d.write_json(ao.key("device"));
            }
            let mut list = ao.arr("applicants");
            for ap in &a.applicants {
                let mut po = list.obj();
                po.str("applicant_ref", ap.applicant_ref);
                po.str("role", ap.role);
                po.str("age_band", ap.age_band);
                po.str("province", ap.province);
                po.str("fsa", ap.fsa);
                po.opt_str("residency_status", ap.residency_status);
                ap.keys.write_json(po.key("keys"));
                po.end();
            }
            list.end();
            ao.end();
        }
        if let Some(r) = &self.rotation {
            let mut ro = o.obj("rotation");
            ro.str("kid", r.kid);
            if let Some(d) = &r.device {
                d.write_json(ro.key("device"));
            }
            let mut list = ro.arr("applicants");
            for ap in &r.applicants {
                let mut po = list.obj();
                po.str("applicant_ref", ap.applicant_ref);
                ap.keys.write_json(po.key("keys"));
                po.end();
            }
            list.end();
            ro.end();
        }
        o.end();
    }
}

impl DeviceTokens {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.opt_str("device_id_t", self.device_id_t.as_ref().map(Token::as_str));
        o.opt_str("ip_t", self.ip_t.as_ref().map(Token::as_str));
        o.opt_str("ip_net_t", self.ip_net_t.as_ref().map(Token::as_str));
        o.end();
    }
}

impl Keys {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.opt_str("sin", self.sin.as_ref().map(Token::as_str));
        o.str("dob", self.dob.as_str());
        o.str("name_dob", self.name_dob.as_str());
        o.str("phon_name_dob", self.phon_name_dob.as_str());
        o.str("family_dob_postal", self.family_dob_postal.as_str());
        o.str("initial_family_dob", self.initial_family_dob.as_str());
        if !self.name_part_dob.is_empty() {
            o.strs("name_part_dob", &self.name_part_dob);
        }
        if !self.other_name_dob.is_empty() {
            o.strs("other_name_dob", &self.other_name_dob);
        }
        {
            let mut list = o.arr("addresses");
            for a in &self.addresses {
                let mut ao = list.obj();
                ao.str("type", a.kind);
                ao.str("civic_street_postal", a.civic_street_postal.as_str());
                ao.opt_str("postal_unit", a.postal_unit.as_ref().map(Token::as_str));
                ao.str("postal", a.postal.as_str());
                ao.end();
            }
            list.end();
        }
        o.strs("phones", &self.phones);
        o.strs("emails", &self.emails);
        if !self.employers.is_empty() {
            o.strs("employers", &self.employers);
        }
        if !self.employer_phones.is_empty() {
            o.strs("employer_phones", &self.employer_phones);
        }
        o.strs("bank_accounts", &self.bank_accounts);
        o.strs("id_documents", &self.id_documents);
        o.end();
    }
}

impl CaseImport<'_> {
    /// Append the compact JSON of this case import (byte-identical to `serde_json::to_vec`).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.str("format", self.format);
        o.str("import_id", self.import_id);
        self.case.write_json(o.key("case"));
        o.end();
    }
}

impl Case<'_> {
    #[allow(clippy::too_many_lines)]
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.str("external_ref", &self.external_ref);
        {
            let s = &self.source;
            let mut so = o.obj("source");
            so.str("system", s.system);
            so.str("member_id", s.member_id);
            so.str("intake", s.intake);
            so.str("submission_id", s.submission_id);
            so.opt_str("batch_id", s.batch_id);
            so.opt_u64("record_seq", s.record_seq);
            so.end();
        }
        o.str("opened_at", self.opened_at);
        o.str("queue", self.queue);
        o.u64("priority", u64::from(self.priority));
        o.str("status", self.status);
        if let Some(r) = &self.risk {
            let mut ro = o.obj("risk");
            ro.str("provider", r.provider);
            ro.str("result_ref", r.result_ref);
            ro.str("outcome", r.outcome);
            ro.opt_u64("score", r.score);
            ro.opt_str("band", r.band);
            ro.end();
        }
        {
            let a = &self.application;
            let mut ao = o.obj("application");
            ao.str("reference", a.reference);
            ao.str("product_code", a.product_code);
            ao.opt_str("product_variant", a.product_variant);
            ao.opt_u64("amount_requested_minor", a.amount_requested_minor);
            ao.str("currency", a.currency);
            ao.opt_u64("term_months", a.term_months);
            ao.opt_str("purpose", a.purpose);
            ao.str("origin_channel", a.origin_channel);
            ao.opt_str("branch_transit", a.branch_transit);
            ao.opt_str("broker_id", a.broker_id);
            if let Some(d) = &a.device {
                let mut d_o = ao.obj("device");
                d_o.opt_str("ip", d.ip);
                d_o.opt_str("device_id", d.device_id);
                d_o.opt_str("user_agent", d.user_agent);
                d_o.end();
            }
            ao.end();
        }
        {
            let mut list = o.arr("subjects");
            for s in &self.subjects {
                s.write_json(list.item());
            }
            list.end();
        }
        {
            let mut list = o.arr("alerts");
            for a in &self.alerts {
                let mut ao = list.obj();
                ao.str("alert_ref", a.alert_ref);
                ao.str("subject_id", a.subject_id);
                ao.str("rule_code", a.rule_code);
                ao.str("rule_title", a.rule_title);
                ao.str("rule_version", a.rule_version);
                ao.str("severity", a.severity);
                ao.u64("score", a.score);
                ao.strs("matched_fields", a.matched_fields);
                if let Some(q) = a.match_quality {
                    jsonw::f64(ao.key("match_quality"), q);
                }
                {
                    let c = &a.counterparty;
                    let mut co = ao.obj("counterparty");
                    co.str("record_ref", c.record_ref);
                    co.str("contributor", c.contributor);
                    co.str("record_type", c.record_type);
                    co.opt_str("fraud_category", c.fraud_category);
                    co.opt_str("reported_on", c.reported_on);
                    co.end();
                }
                ao.str("status", a.status);
                ao.end();
            }
            list.end();
        }
        {
            let mut list = o.arr("notes");
            for n in &self.notes {
                let mut no = list.obj();
                no.str("author", n.author);
                no.str("created_at", n.created_at);
                no.str("text", &n.text);
                no.end();
            }
            list.end();
        }
        {
            let mut list = o.arr("data_quality");
            for e in self.data_quality {
                let mut eo = list.obj();
                eo.str("code", e.code.as_str());
                eo.str("pointer", &e.pointer);
                eo.str("message", &e.message);
                eo.end();
            }
            list.end();
        }
        // `Option<()>` serialises as null whether or not it is set
        o.null("disposition");
        {
            let mut ro = o.obj("retention");
            ro.str("policy", self.retention.policy);
            ro.str("review_after", &self.retention.review_after);
            ro.end();
        }
        o.end();
    }
}

impl Subject<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.str("subject_id", self.subject_id);
        o.str("role", self.role);
        o.str("full_name", &self.full_name);
        {
            let n = &self.name;
            let mut no = o.obj("name");
            no.opt_str("prefix", n.prefix);
            no.str("first", n.first);
            no.opt_str("middle", n.middle);
            no.str("last", n.last);
            no.opt_str("suffix", n.suffix);
            no.end();
        }
        if !self.aliases.is_empty() {
            let mut list = o.arr("aliases");
            for a in &self.aliases {
                let mut ao = list.obj();
                ao.str("kind", a.kind);
                ao.str("full_name", &a.full_name);
                ao.end();
            }
            list.end();
        }
        o.str("date_of_birth", &self.date_of_birth);
        o.i64("age_at_application", i64::from(self.age_at_application));
        o.str("preferred_language", self.preferred_language);
        o.opt_str("residency", self.residency);
        if let Some(n) = &self.national_id {
            let mut no = o.obj("national_id");
            no.str("type", n.kind);
            no.str("masked", &n.masked);
            no.bool("luhn_valid", n.luhn_valid);
            no.str("value_enc", &n.value_enc);
            no.end();
        }
        {
            let mut list = o.arr("addresses");
            for a in &self.addresses {
                let mut ao = list.obj();
                ao.str("use", a.use_);
                ao.str("street", a.street);
                ao.opt_str("unit", a.unit);
                ao.opt_str("street2", a.street2);
                ao.str("city", a.city);
                ao.str("region", a.region);
                ao.str("postal_code", a.postal_code);
                ao.str("country", a.country);
                ao.opt_str("from", a.from);
                ao.opt_str("to", a.to);
                if let Some(m) = a.months_at_address {
                    ao.i64("months_at_address", i64::from(m));
                }
                ao.opt_str("tenure", a.tenure);
                ao.end();
            }
            list.end();
        }
        {
            let mut list = o.arr("contacts");
            for c in &self.contacts {
                let mut co = list.obj();
                co.str("channel", c.channel);
                co.str("use", c.use_);
                co.str("value", c.value);
                co.opt_str("extension", c.extension);
                co.end();
            }
            list.end();
        }
        if !self.employment.is_empty() {
            let mut list = o.arr("employment");
            for e in &self.employment {
                let mut eo = list.obj();
                eo.str("status", e.status);
                eo.opt_str("employer", e.employer);
                eo.opt_str("occupation", e.occupation);
                eo.opt_str("employer_phone", e.employer_phone);
                eo.opt_str("since", e.since);
                eo.opt_u64("annual_income_minor", e.annual_income_minor);
                eo.end();
            }
            list.end();
        }
        if !self.bank_accounts.is_empty() {
            let mut list = o.arr("bank_accounts");
            for b in &self.bank_accounts {
                let mut bo = list.obj();
                bo.str("institution", b.institution);
                bo.str("transit", b.transit);
                bo.opt_str("account_type", b.account_type);
                bo.str("account_masked", &b.account_masked);
                bo.str("value_enc", &b.value_enc);
                bo.end();
            }
            list.end();
        }
        if !self.id_documents.is_empty() {
            let mut list = o.arr("id_documents");
            for d in &self.id_documents {
                let mut d_o = list.obj();
                d_o.str("type", d.kind);
                d_o.str("issuer", d.issuer);
                d_o.str("number_masked", &d.number_masked);
                d_o.opt_str("expires_on", d.expires_on);
                d_o.str("value_enc", &d.value_enc);
                d_o.end();
            }
            list.end();
        }
        o.opt_u64("monthly_housing_cost_minor", self.monthly_housing_cost_minor);
        o.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::LocalKeyProvider;

    #[test]
    fn date_text_matches_display() {
        for (y, m, d) in [
            (0, 1, 1),
            (7, 2, 3),
            (999, 12, 31),
            (1969, 5, 23),
            (2024, 2, 29),
            (9999, 12, 31),
            (-1, 1, 1),
            (-9999, 6, 30),
        ] {
            let date = jiff::civil::date(y, m, d);
            assert_eq!(date_string(date), date.to_string(), "{y}-{m}-{d}");
        }
    }

    fn golden(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name).join("input.json"),
        )
        .unwrap()
    }

    fn provider(keys: &str) -> Arc<dyn KeyProvider> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(keys);
        Arc::new(LocalKeyProvider::load(&p).unwrap())
    }

    /// Inputs covering every optional member, plus strings that need escaping.
    fn inputs() -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> =
            ["application-case", "application-inquiry", "pair-case-match", "rotation-inquiry"].map(golden).to_vec();
        let mut pair: serde_json::Value = serde_json::from_slice(&golden("pair-case-match")).unwrap();
        pair["submission"]["application"]["origin"]["device"]["user_agent"] = "a \"quoted\" \\ back/slash é😀".into();
        pair["submission"]["application"]["applicants"][0]["name"]["given"] = "O\"Brien\\".into();
        v.push(serde_json::to_vec(&pair).unwrap());
        let mut app: serde_json::Value = serde_json::from_slice(&golden("application-case")).unwrap();
        app["application"]["origin"].as_object_mut().unwrap().remove("device");
        v.push(serde_json::to_vec(&app).unwrap());
        v
    }

    #[test]
    fn hand_written_output_is_byte_identical_to_serde_json() {
        let settings = Settings::default();
        for keys in ["test-keys.json", "test-keys-rotation.json"] {
            let p = provider(keys);
            let mut enc = Encryptor::new(p.clone(), 10);
            for input in inputs() {
                let arena = json::Arena::new();
                let v = json::parse(&input, Limits::default(), &arena).unwrap();
                let (sub, root, res) = match (v.get("submission"), v.get("schema")) {
                    (Some(s), None) => (s, "/submission", v.get("result")),
                    _ => (&v, "", None),
                };
                let app = model::read_application(sub, root).unwrap();
                let inq = build_inquiry(&app, &p.token_keys().keys);
                let mut mine = Vec::new();
                inq.write_json(&mut mine);
                assert_eq!(String::from_utf8(mine).unwrap(), serde_json::to_string(&inq).unwrap());
                let result = res.map(|r| model::read_match(r, "/result", &app).unwrap());
                let case = build_case(&app, result.as_ref(), &settings, &mut enc).unwrap();
                let mut mine = Vec::new();
                case.write_json(&mut mine);
                assert_eq!(String::from_utf8(mine).unwrap(), serde_json::to_string(&case).unwrap());
            }
        }
    }
}
