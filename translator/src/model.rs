//! Typed, validated and normalised models of `consortium.application/1.x` and
//! `consortium.match/1.0`. Reading a record collects every error (never stops at the first),
//! and unknown fields are ignored and never copied into outputs.

use std::borrow::Cow;

use jiff::civil::Date;

use crate::error::{Code, FieldError, Rejection};
use crate::json::Value;
use crate::normalize;
use crate::validate::{is_uuid, is_year_month, parse_date, parse_timestamp, Cx, Members, Ptr};

pub const PROVINCES: &[&str] = &["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"];
const PRODUCT_TYPES: &[&str] =
    &["CREDIT_CARD", "LINE_OF_CREDIT", "PERSONAL_LOAN", "AUTO_LOAN", "MORTGAGE", "OVERDRAFT"];
const PURPOSES: &[&str] = &["DEBT_CONSOLIDATION", "VEHICLE", "HOME", "RENOVATION", "OTHER"];
const ORIGIN_CHANNELS: &[&str] = &["WEB", "MOBILE", "BRANCH", "BROKER", "CALL_CENTRE", "MAIL"];
const ROLES: &[&str] = &["PRIMARY", "CO_APPLICANT", "GUARANTOR"];
const OTHER_NAME_TYPES: &[&str] = &["PREVIOUS", "MAIDEN", "ALIAS"];
const LANGUAGES: &[&str] = &["EN", "FR"];
const RESIDENCY: &[&str] = &["CITIZEN", "PERMANENT_RESIDENT", "TEMPORARY_RESIDENT", "OTHER"];
const ADDRESS_TYPES: &[&str] = &["CURRENT", "PREVIOUS", "MAILING"];
const HOUSING: &[&str] = &["OWN", "RENT", "WITH_PARENTS", "OTHER"];
const PHONE_TYPES: &[&str] = &["MOBILE", "HOME", "WORK"];
const EMAIL_TYPES: &[&str] = &["PERSONAL", "WORK"];
const EMPLOYMENT_STATUS: &[&str] =
    &["EMPLOYED", "SELF_EMPLOYED", "RETIRED", "STUDENT", "UNEMPLOYED", "HOMEMAKER", "OTHER"];
const ACCOUNT_TYPES: &[&str] = &["CHEQUING", "SAVINGS"];
const ID_DOC_TYPES: &[&str] = &["DRIVERS_LICENCE", "PASSPORT", "PR_CARD"];
const ID_ISSUERS: &[&str] = &["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT", "CAN"];
const COUNTRIES: &[&str] = &["CA"];

/// Text in a model: borrowed from the parsed record when it needs no change, owned when
/// normalisation changed it.
pub type Text<'a> = Cow<'a, str>;

/// Supported schema families and their major version.
pub const APPLICATION_SCHEMA: &str = "consortium.application";
pub const MATCH_SCHEMA: &str = "consortium.match";

/// A validated, normalised application.
#[derive(Clone, Debug)]
pub struct Application<'a> {
    pub schema: Text<'a>,
    pub message_id: Text<'a>,
    pub member_id: Text<'a>,
    pub submitted_at: Text<'a>,
    pub channel: &'static str,
    pub batch: Option<BatchInfo<'a>>,
    pub app_ref: Text<'a>,
    pub received_at: Text<'a>,
    pub received: jiff::Timestamp,
    pub received_date: Date,
    pub product: Product<'a>,
    pub origin: Origin<'a>,
    pub applicants: Vec<Applicant<'a>>,
    /// Data-quality warnings (translated anyway).
    pub warnings: Vec<FieldError>,
}

#[derive(Clone, Debug)]
pub struct BatchInfo<'a> {
    pub batch_id: Text<'a>,
    pub file_name: Option<Text<'a>>,
    pub record_seq: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Product<'a> {
    pub product_type: &'static str,
    pub sub_type: Option<Text<'a>>,
    pub amount_minor: Option<u64>,
    pub term_months: Option<u64>,
    pub purpose: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct Origin<'a> {
    pub channel: &'static str,
    pub branch_transit: Option<Text<'a>>,
    pub broker_id: Option<Text<'a>>,
    pub device: Option<Device<'a>>,
}

#[derive(Clone, Debug)]
pub struct Device<'a> {
    pub ip: Option<Text<'a>>,
    pub device_id: Option<Text<'a>>,
    pub user_agent: Option<Text<'a>>,
}

#[derive(Clone, Debug)]
pub struct Name<'a> {
    pub title: Option<Text<'a>>,
    pub given: Text<'a>,
    pub middle: Option<Text<'a>>,
    pub family: Text<'a>,
    pub suffix: Option<Text<'a>>,
}

impl Name<'_> {
    /// given + middle + family + suffix joined by a space (NFC).
    #[must_use]
    pub fn full(&self) -> String {
        let mut s = String::with_capacity(64);
        s.push_str(&self.given);
        for part in [self.middle.as_deref(), Some(&*self.family), self.suffix.as_deref()].into_iter().flatten() {
            s.push(' ');
            s.push_str(part);
        }
        s
    }
}

#[derive(Clone, Debug)]
pub struct OtherName<'a> {
    pub kind: &'static str,
    pub given: Text<'a>,
    pub family: Text<'a>,
}

#[derive(Clone, Debug)]
pub struct Address<'a> {
    pub kind: &'static str,
    pub line1: Text<'a>,
    pub line2: Option<Text<'a>>,
    pub unit: Option<Text<'a>>,
    pub city: Text<'a>,
    pub province: &'static str,
    pub postal_code: Text<'a>,
    pub country: &'static str,
    pub since: Option<Text<'a>>,
    pub until: Option<Text<'a>>,
    pub housing: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct Phone<'a> {
    pub kind: &'static str,
    pub e164: Text<'a>,
    pub ext: Option<Text<'a>>,
}

#[derive(Clone, Debug)]
pub struct EmailAddress {
    pub kind: &'static str,
    pub email: normalize::Email,
}

#[derive(Clone, Debug)]
pub struct Employment<'a> {
    pub status: &'static str,
    pub employer_name: Option<Text<'a>>,
    pub occupation: Option<Text<'a>>,
    pub employer_phone: Option<Text<'a>>,
    pub since: Option<Text<'a>>,
    pub annual_income_minor: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct BankAccount<'a> {
    pub institution: Text<'a>,
    pub transit: Text<'a>,
    pub account: Text<'a>,
    pub kind: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct IdDocument<'a> {
    pub kind: &'static str,
    pub number: Text<'a>,
    pub issuer: &'static str,
    pub expiry: Option<Text<'a>>,
}

#[derive(Clone, Debug)]
pub struct Applicant<'a> {
    pub applicant_ref: Text<'a>,
    pub role: &'static str,
    pub name: Name<'a>,
    pub other_names: Vec<OtherName<'a>>,
    pub date_of_birth: Date,
    pub age: i16,
    pub sin: Option<Text<'a>>,
    pub language: Option<&'static str>,
    pub residency_status: Option<&'static str>,
    pub addresses: Vec<Address<'a>>,
    pub phones: Vec<Phone<'a>>,
    pub emails: Vec<EmailAddress>,
    pub employment: Vec<Employment<'a>>,
    pub bank_accounts: Vec<BankAccount<'a>>,
    pub id_documents: Vec<IdDocument<'a>>,
    pub monthly_housing_cost_minor: Option<u64>,
}

impl<'a> Applicant<'a> {
    #[must_use]
    pub fn current_address(&self) -> Option<&Address<'a>> {
        self.addresses.iter().find(|a| a.kind == "CURRENT")
    }
}

/// Check `schema`: family and major version. Returns the minor version.
fn check_schema(cx: &mut Cx, o: Members<'_, '_>, p: &Ptr<'_>, key: &str, family: &str, major: u32) -> Option<u32> {
    let ps = p.key(key);
    let s = cx.raw_str(o, key, &ps, true)?;
    let ok = s.strip_prefix(family).and_then(|r| r.strip_prefix('/')).and_then(|v| v.split_once('.')).and_then(
        |(maj, min)| {
            let valid = |d: &str| !d.is_empty() && d.len() <= 6 && d.bytes().all(|b| b.is_ascii_digit());
            (valid(maj) && valid(min)).then(|| (maj.parse::<u32>().ok(), min.parse::<u32>().ok()))
        },
    );
    match ok {
        Some((Some(m), Some(minor))) if m == major => Some(minor),
        _ => {
            cx.err(Code::UnsupportedSchemaVersion, &ps, format!("only {family}/{major}.x is supported"));
            None
        }
    }
}

fn digits_field<'v>(
    cx: &mut Cx,
    o: Members<'v, '_>,
    k: &str,
    p: &Ptr<'_>,
    req: bool,
    min: usize,
    max: usize,
) -> Option<Text<'v>> {
    let s = cx.raw_str(o, k, p, req)?;
    if s.len() >= min && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit()) {
        Some(Cow::Borrowed(s))
    } else {
        let n = if min == max { format!("{min}") } else { format!("{min}-{max}") };
        cx.err(Code::FieldFormat, p, format!("must be {n} digits"));
        None
    }
}

fn year_month<'v>(cx: &mut Cx, o: Members<'v, '_>, k: &str, p: &Ptr<'_>) -> Option<Text<'v>> {
    let s = cx.raw_str(o, k, p, false)?;
    if is_year_month(s) {
        Some(Cow::Borrowed(s))
    } else {
        cx.err(Code::FieldFormat, p, "must be YYYY-MM");
        None
    }
}

fn timestamp<'v>(cx: &mut Cx, o: Members<'v, '_>, k: &str, p: &Ptr<'_>) -> Option<(Text<'v>, jiff::Timestamp)> {
    let s = cx.raw_str(o, k, p, true)?;
    match parse_timestamp(s) {
        Some(t) => Some((Cow::Borrowed(s), t)),
        None => {
            cx.err(Code::FieldFormat, p, "must be an RFC 3339 timestamp");
            None
        }
    }
}

/// Read an application from a parsed record whose root is at `root` (e.g. `""` or `/submission`).
pub fn read_application<'v>(v: &'v Value<'_>, root: &str) -> Result<Application<'v>, Rejection> {
    let mut cx = Cx::default();
    let p = Ptr::root(root);
    let Value::Object(o) = v else {
        return Err(Rejection::one(Code::TypeMismatch, root, format!("expected an object, found {}", v.type_name())));
    };
    if check_schema(&mut cx, o, &p, "schema", APPLICATION_SCHEMA, 1).is_none() {
        return Err(Rejection { errors: cx.errors, offset: None });
    }
    let app = application(&mut cx, o, &p);
    match app {
        Some(mut a) if cx.errors.is_empty() => {
            a.warnings = cx.warnings;
            Ok(a)
        }
        _ => {
            if cx.errors.is_empty() {
                cx.err(Code::RequiredMissing, &p, "record is incomplete");
            }
            Err(Rejection { errors: cx.errors, offset: None })
        }
    }
}

fn application<'v>(cx: &mut Cx, o: Members<'v, '_>, p: &Ptr<'_>) -> Option<Application<'v>> {
    let schema = Cow::Borrowed(Cx::get(o, "schema").and_then(Value::as_str).unwrap_or_default());
    let pm = p.key("message_id");
    let message_id = cx.raw_str(o, "message_id", &pm, true).and_then(|s| {
        if is_uuid(s) {
            Some(lower_ascii(s))
        } else {
            cx.err(Code::FieldFormat, &pm, "must be a UUID");
            None
        }
    });
    let pmem = p.key("member_id");
    let member_id = cx.raw_str(o, "member_id", &pmem, true).and_then(|s| {
        let b = s.as_bytes();
        if b.len() == 5 && b[0] == b'M' && b[1..].iter().all(u8::is_ascii_digit) {
            Some(Cow::Borrowed(s))
        } else {
            cx.err(Code::FieldFormat, &pmem, "must match ^M[0-9]{4}$");
            None
        }
    });
    let submitted_at = timestamp(cx, o, "submitted_at", &p.key("submitted_at"));
    let channel = cx.enumeration(o, "channel", &p.key("channel"), true, &["ONLINE", "BATCH"]);
    let pb = p.key("batch");
    let batch = cx.object(o, "batch", &pb, channel == Some("BATCH")).and_then(|b| {
        let batch_id = cx.text(b, "batch_id", &pb.key("batch_id"), true, 64);
        let file_name = cx.text(b, "file_name", &pb.key("file_name"), false, 256);
        let record_seq = cx.integer(b, "record_seq", &pb.key("record_seq"), false, 0, u64::MAX);
        Some(BatchInfo { batch_id: batch_id?, file_name, record_seq })
    });
    let pa = p.key("application");
    let a = cx.object(o, "application", &pa, true)?;
    let app_ref = cx.text(a, "app_ref", &pa.key("app_ref"), true, 64);
    let received = timestamp(cx, a, "received_at", &pa.key("received_at"));
    let received_date = received.as_ref().map(|(_, t)| t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date());

    let pp = pa.key("product");
    let product = cx.object(a, "product", &pp, true).and_then(|pr| {
        let product_type = cx.enumeration(pr, "type", &pp.key("type"), true, PRODUCT_TYPES);
        let sub_type = cx.text(pr, "sub_type", &pp.key("sub_type"), false, 64);
        let amount_minor = cx.money(pr, "requested_amount", &pp.key("requested_amount"));
        let term_months = cx.integer(pr, "term_months", &pp.key("term_months"), false, 1, 600);
        let purpose = cx.enumeration(pr, "purpose", &pp.key("purpose"), false, PURPOSES);
        Some(Product { product_type: product_type?, sub_type, amount_minor, term_months, purpose })
    });

    let po = pa.key("origin");
    let origin = cx.object(a, "origin", &po, true).and_then(|or| {
        let channel = cx.enumeration(or, "channel", &po.key("channel"), true, ORIGIN_CHANNELS);
        let branch_transit = digits_field(cx, or, "branch_transit", &po.key("branch_transit"), false, 5, 5);
        let broker_id = cx.text(or, "broker_id", &po.key("broker_id"), false, 64);
        let pd = po.key("device");
        let device = cx.object(or, "device", &pd, false).map(|d| Device {
            ip: cx.raw_str(d, "ip", &pd.key("ip"), false).and_then(|s| match s.parse::<std::net::IpAddr>() {
                // an IPv4 address that parses is already in canonical form (four decimal
                // octets, no leading zeros: the parser accepts nothing else)
                Ok(std::net::IpAddr::V4(_)) => Some(Cow::Borrowed(s)),
                Ok(ip) => Some(Cow::Owned(ip.to_string())),
                Err(_) => {
                    cx.err(Code::FieldFormat, &pd.key("ip"), "must be an IPv4 or IPv6 address");
                    None
                }
            }),
            device_id: cx.text(d, "device_id", &pd.key("device_id"), false, 128).map(|s| {
                if s.is_ascii() {
                    lower_ascii_cow(s)
                } else {
                    Cow::Owned(s.to_lowercase())
                }
            }),
            user_agent: cx.text(d, "user_agent", &pd.key("user_agent"), false, 512),
        });
        Some(Origin { channel: channel?, branch_transit, broker_id, device })
    });

    let pap = pa.key("applicants");
    let mut applicants = Vec::new();
    if let Some(list) = cx.array(a, "applicants", &pap, 1, 4) {
        for (i, item) in list.iter().enumerate() {
            let pi = pap.idx(i);
            if let Some(m) = cx.item(item, &pi) {
                if let Some(ap) = applicant(cx, m, &pi, received_date) {
                    applicants.push(ap);
                }
            }
        }
        let primaries = list.iter().filter(|v| v.get("role").and_then(Value::as_str) == Some("PRIMARY")).count();
        if primaries != 1 {
            cx.err(
                Code::PrimaryApplicantCount,
                &pap,
                format!("exactly one PRIMARY applicant required, found {primaries}"),
            );
        }
        for (i, v) in list.iter().enumerate() {
            let r = v.get("applicant_ref").and_then(Value::as_str);
            if r.is_some() && list[..i].iter().any(|w| w.get("applicant_ref").and_then(Value::as_str) == r) {
                let pi = pap.idx(i);
                cx.err(
                    Code::DuplicateApplicantRef,
                    &pi.key("applicant_ref"),
                    "applicant_ref already used in this application",
                );
            }
        }
    }
    let (received_at, received) = received?;
    Some(Application {
        schema,
        message_id: message_id?,
        member_id: member_id?,
        submitted_at: submitted_at?.0,
        channel: channel?,
        batch,
        app_ref: app_ref?,
        received_at,
        received,
        received_date: received_date?,
        product: product?,
        origin: origin?,
        applicants,
        warnings: Vec::new(),
    })
}

/// `s` lower-cased (ASCII), borrowed when it has no upper-case letter.
fn lower_ascii(s: &str) -> Text<'_> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// [`lower_ascii`] of a text that may already be owned.
fn lower_ascii_cow(s: Text<'_>) -> Text<'_> {
    match s {
        Cow::Borrowed(b) => lower_ascii(b),
        Cow::Owned(mut o) => {
            o.make_ascii_lowercase();
            Cow::Owned(o)
        }
    }
}

fn years_between(from: Date, to: Date) -> i16 {
    let mut y = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        y -= 1;
    }
    y
}

#[allow(clippy::too_many_lines)]
fn applicant<'v>(cx: &mut Cx, m: Members<'v, '_>, p: &Ptr<'_>, received: Option<Date>) -> Option<Applicant<'v>> {
    let applicant_ref = cx.text(m, "applicant_ref", &p.key("applicant_ref"), true, 64);
    let role = cx.enumeration(m, "role", &p.key("role"), true, ROLES);
    let pn = p.key("name");
    let name = cx.object(m, "name", &pn, true).and_then(|n| {
        let mut title = cx.text(n, "title", &pn.key("title"), false, 100);
        let mut given = cx.text(n, "given", &pn.key("given"), true, 100);
        let middle = cx.text(n, "middle", &pn.key("middle"), false, 100);
        let mut family = cx.text(n, "family", &pn.key("family"), true, 100);
        let mut suffix = cx.text(n, "suffix", &pn.key("suffix"), false, 100);
        // titles and suffixes typed into the name fields move to their own fields
        if let Some(g) = given.as_mut() {
            if let Some((first, rest)) = g.split_once(' ') {
                if title.is_none() && normalize::is_title(first) {
                    title = Some(Cow::Owned(first.to_string()));
                    *g = Cow::Owned(rest.to_string());
                }
            }
        }
        if let Some(f) = family.as_mut() {
            if let Some((rest, last)) = f.rsplit_once(' ') {
                if suffix.is_none() && normalize::is_suffix(last) {
                    suffix = Some(Cow::Owned(last.to_string()));
                    *f = Cow::Owned(rest.to_string());
                }
            }
        }
        Some(Name { title, given: given?, middle, family: family?, suffix })
    });
    let mut other_names = Vec::new();
    let pon = p.key("other_names");
    if let Some(list) = cx.array(m, "other_names", &pon, 0, 10) {
        for (i, item) in list.iter().enumerate() {
            let pi = pon.idx(i);
            if let Some(o) = cx.item(item, &pi) {
                let kind = cx.enumeration(o, "type", &pi.key("type"), true, OTHER_NAME_TYPES);
                let given = cx.text(o, "given", &pi.key("given"), true, 100);
                let family = cx.text(o, "family", &pi.key("family"), true, 100);
                if let (Some(kind), Some(given), Some(family)) = (kind, given, family) {
                    other_names.push(OtherName { kind, given, family });
                }
            }
        }
    }
    let pdob = p.key("date_of_birth");
    let mut age = 0;
    let dob = cx.raw_str(m, "date_of_birth", &pdob, true).and_then(|s| match parse_date(s) {
        Ok(d) => Some(d),
        Err(_) => {
            cx.err(Code::DobInvalid, &pdob, "must be a real calendar date YYYY-MM-DD");
            None
        }
    });
    let dob = dob.and_then(|d| {
        let r = received?;
        if d > r {
            cx.err(Code::DobInFuture, &pdob, "date of birth is after the application date");
            return None;
        }
        age = years_between(d, r);
        if !(14..=120).contains(&age) {
            cx.err(Code::AgeOutOfRange, &pdob, "applicant age must be between 14 and 120");
            return None;
        }
        Some(d)
    });
    let psin = p.key("sin");
    let sin = cx.raw_str(m, "sin", &psin, false).and_then(|s| match normalize::sin(s) {
        Ok(d) => Some(if d == s { Cow::Borrowed(s) } else { Cow::Owned(d) }),
        Err(code) => {
            let msg = match code {
                Code::SinChecksum => "SIN fails the Luhn check",
                Code::SinPrefix => "SIN first digit 0 or 8 is never issued to individuals",
                _ => "SIN must be 9 digits (spaces and hyphens allowed)",
            };
            cx.err(code, &psin, msg);
            None
        }
    });
    let language = cx.enumeration(m, "language", &p.key("language"), false, LANGUAGES);
    let residency_status = cx.enumeration(m, "residency_status", &p.key("residency_status"), false, RESIDENCY);

    let pad = p.key("addresses");
    let mut addresses = Vec::new();
    if let Some(list) = cx.array(m, "addresses", &pad, 1, 10) {
        let mut current = 0;
        for (i, item) in list.iter().enumerate() {
            let pi = pad.idx(i);
            if item.get("type").and_then(Value::as_str) == Some("CURRENT") {
                current += 1;
            }
            if let Some(o) = cx.item(item, &pi) {
                if let Some(a) = address(cx, o, &pi) {
                    addresses.push(a);
                }
            }
        }
        if current != 1 {
            cx.err(Code::CurrentAddressCount, &pad, format!("exactly one CURRENT address required, found {current}"));
        }
    }

    let pph = p.key("phones");
    let mut phones = Vec::new();
    if let Some(list) = cx.array(m, "phones", &pph, 0, 6) {
        for (i, item) in list.iter().enumerate() {
            let pi = pph.idx(i);
            if let Some(o) = cx.item(item, &pi) {
                let kind = cx.enumeration(o, "type", &pi.key("type"), true, PHONE_TYPES);
                let e164 = phone(cx, o, "number", &pi.key("number"), true);
                let ext = digits_field(cx, o, "ext", &pi.key("ext"), false, 1, 8);
                if let (Some(kind), Some(e164)) = (kind, e164) {
                    phones.push(Phone { kind, e164, ext });
                }
            }
        }
    }
    let pem = p.key("emails");
    let mut emails = Vec::new();
    if let Some(list) = cx.array(m, "emails", &pem, 0, 4) {
        for (i, item) in list.iter().enumerate() {
            let pi = pem.idx(i);
            if let Some(o) = cx.item(item, &pi) {
                let kind = cx.enumeration(o, "type", &pi.key("type"), true, EMAIL_TYPES);
                let pa = pi.key("address");
                let email = cx.text(o, "address", &pa, true, 254).and_then(|s| match normalize::email(&s) {
                    Ok(e) => Some(e),
                    Err(code) => {
                        cx.err(code, &pa, "not a valid e-mail address");
                        None
                    }
                });
                if let (Some(kind), Some(email)) = (kind, email) {
                    emails.push(EmailAddress { kind, email });
                }
            }
        }
    }
    let pemp = p.key("employment");
    let mut employment = Vec::new();
    if let Some(list) = cx.array(m, "employment", &pemp, 0, 5) {
        for (i, item) in list.iter().enumerate() {
            let pi = pemp.idx(i);
            if let Some(o) = cx.item(item, &pi) {
                let status = cx.enumeration(o, "status", &pi.key("status"), true, EMPLOYMENT_STATUS);
                let employer_name = cx.text(o, "employer_name", &pi.key("employer_name"), false, 256);
                let occupation = cx.text(o, "occupation", &pi.key("occupation"), false, 128);
                let employer_phone = phone(cx, o, "employer_phone", &pi.key("employer_phone"), false);
                let since = year_month(cx, o, "since", &pi.key("since"));
                let annual_income_minor = cx.money(o, "annual_income", &pi.key("annual_income"));
                if let Some(status) = status {
                    employment.push(Employment {
                        status,
                        employer_name,
                        occupation,
                        employer_phone,
                        since,
                        annual_income_minor,
                    });
                }
            }
        }
    }
    let pba = p.key("bank_accounts");
    let mut bank_accounts = Vec::new();
    if let Some(list) = cx.array(m, "bank_accounts", &pba, 0, 4) {
        for (i, item) in list.iter().enumerate() {
            let pi = pba.idx(i);
            if let Some(o) = cx.item(item, &pi) {
                let institution = digits_field(cx, o, "institution", &pi.key("institution"), true, 3, 3);
                let transit = digits_field(cx, o, "transit", &pi.key("transit"), true, 5, 5);
                let account = digits_field(cx, o, "account", &pi.key("account"), true, 7, 12);
                let kind = cx.enumeration(o, "type", &pi.key("type"), false, ACCOUNT_TYPES);
                if let (Some(institution), Some(transit), Some(account)) = (institution, transit, account) {
                    bank_accounts.push(BankAccount { institution, transit, account, kind });
                }
            }
        }
    }
    let pid = p.key("id_documents");
    let mut id_documents = Vec::new();
    if let Some(list) = cx.array(m, "id_documents", &pid, 0, 4) {
        for (i, item) in list.iter().enumerate() {
            let pi = pid.idx(i);
            if let Some(o) = cx.item(item, &pi) {
                let kind = cx.enumeration(o, "type", &pi.key("type"), true, ID_DOC_TYPES);
                let pnum = pi.key("number");
                let number = cx.text(o, "number", &pnum, true, 32).and_then(|s| {
                    let n: String =
                        s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
                    if n.len() >= 4 && !s.chars().any(|c| !c.is_ascii_alphanumeric() && c != ' ' && c != '-') {
                        Some(if n == s { s } else { Cow::Owned(n) })
                    } else {
                        cx.err(Code::FieldFormat, &pnum, "must be 4-32 letters and digits");
                        None
                    }
                });
                let issuer = cx.enumeration(o, "issuer", &pi.key("issuer"), true, ID_ISSUERS);
                let pe = pi.key("expiry");
                let expiry = cx.raw_str(o, "expiry", &pe, false).and_then(|s| {
                    if parse_date(s).is_ok() {
                        Some(Cow::Borrowed(s))
                    } else {
                        cx.err(Code::FieldFormat, &pe, "must be a date YYYY-MM-DD");
                        None
                    }
                });
                if let (Some(kind), Some(number), Some(issuer)) = (kind, number, issuer) {
                    id_documents.push(IdDocument { kind, number, issuer, expiry });
                }
            }
        }
    }
    let pf = p.key("financials");
    let monthly_housing_cost_minor = cx
        .object(m, "financials", &pf, false)
        .and_then(|f| cx.money(f, "monthly_housing_cost", &pf.key("monthly_housing_cost")));

    let ap = Applicant {
        applicant_ref: applicant_ref?,
        role: role?,
        name: name?,
        other_names,
        date_of_birth: dob?,
        age,
        sin,
        language,
        residency_status,
        addresses,
        phones,
        emails,
        employment,
        bank_accounts,
        id_documents,
        monthly_housing_cost_minor,
    };
    // data-quality warnings
    for (i, a) in ap.addresses.iter().enumerate() {
        let first = a.postal_code.chars().next().unwrap_or(' ');
        if !normalize::postal_provinces(first).contains(&a.province) {
            let pa = pad.idx(i);
            cx.warn(
                Code::PostalProvinceMismatch,
                &pa.key("postal_code"),
                "postal code's first letter does not belong to the province",
            );
        }
    }
    if let Some(cur) = ap.current_address() {
        if u32::try_from(ap.age).unwrap_or(0) < normalize::age_of_majority(cur.province) {
            cx.warn(Code::UnderAgeOfMajority, &pdob, "applicant is below the age of majority of the province");
        }
    }
    Some(ap)
}

fn phone<'v>(cx: &mut Cx, o: Members<'v, '_>, k: &str, p: &Ptr<'_>, req: bool) -> Option<Text<'v>> {
    let s = cx.raw_str(o, k, p, req)?;
    match normalize::phone(s) {
        Ok(e) => Some(if e == s { Cow::Borrowed(s) } else { Cow::Owned(e) }),
        Err(code) => {
            cx.err(code, p, "not a NANP phone number (10 digits, or 11 with a leading 1)");
            None
        }
    }
}

fn address<'v>(cx: &mut Cx, o: Members<'v, '_>, p: &Ptr<'_>) -> Option<Address<'v>> {
    let kind = cx.enumeration(o, "type", &p.key("type"), true, ADDRESS_TYPES);
    let line1 = cx.text(o, "line1", &p.key("line1"), true, 256);
    let line2 = cx.text(o, "line2", &p.key("line2"), false, 256);
    let unit = cx.text(o, "unit", &p.key("unit"), false, 16);
    let city = cx.text(o, "city", &p.key("city"), true, 100);
    let province = cx.enumeration(o, "province", &p.key("province"), true, PROVINCES);
    let pp = p.key("postal_code");
    let postal_code = cx.raw_str(o, "postal_code", &pp, true).and_then(|s| match normalize::postal_code(s) {
        Ok(pc) => Some(if pc == s { Cow::Borrowed(s) } else { Cow::Owned(pc) }),
        Err(code) => {
            cx.err(code, &pp, "not a Canadian postal code (A1A 1A1; no D F I O Q U, no W or Z first)");
            None
        }
    });
    let country = if Cx::get(o, "country").is_some() {
        cx.enumeration(o, "country", &p.key("country"), false, COUNTRIES)
    } else {
        Some("CA")
    };
    let since = year_month(cx, o, "since", &p.key("since"));
    let until = year_month(cx, o, "until", &p.key("until"));
    let housing = cx.enumeration(o, "housing", &p.key("housing"), false, HOUSING);
    Some(Address {
        kind: kind?,
        line1: line1?,
        line2,
        unit,
        city: city?,
        province: province?,
        postal_code: postal_code?,
        country: country?,
        since,
        until,
        housing,
    })
}

// ------------------------------------------------------------------------------------------
// consortium.match/1.0

#[derive(Clone, Debug)]
pub struct MatchResult<'a> {
    pub message_id: Text<'a>,
    pub in_reply_to: Text<'a>,
    pub member_id: Text<'a>,
    pub app_ref: Text<'a>,
    pub processed_at: Text<'a>,
    pub status: &'static str,
    pub score: Option<u64>,
    pub risk_band: Option<&'static str>,
    pub matches: Vec<Match<'a>>,
}

#[derive(Clone, Debug)]
pub struct Match<'a> {
    pub match_id: Text<'a>,
    pub applicant_ref: Text<'a>,
    pub rule_code: Text<'a>,
    pub rule_name: Text<'a>,
    pub rule_version: Text<'a>,
    pub weight: u64,
    pub record_token: Text<'a>,
    pub contributor: Text<'a>,
    pub record_type: &'static str,
    pub fraud_category: Option<Text<'a>>,
    pub reported_on: Option<Text<'a>>,
    pub elements: Vec<&'static str>,
    pub min_similarity: Option<f64>,
}

const ELEMENTS: &[&str] = &[
    "SIN",
    "DOB",
    "NAME",
    "ADDRESS",
    "PHONE",
    "EMAIL",
    "EMPLOYER",
    "EMPLOYER_PHONE",
    "BANK_ACCOUNT",
    "ID_DOCUMENT",
    "DEVICE",
    "IP",
];

/// Read a match result at `root` and check it belongs to `app` (`CORRELATION_MISMATCH`).
pub fn read_match<'v>(v: &'v Value<'_>, root: &str, app: &Application<'_>) -> Result<MatchResult<'v>, Rejection> {
    let mut cx = Cx::default();
    let p = Ptr::root(root);
    let Value::Object(o) = v else {
        return Err(Rejection::one(Code::TypeMismatch, root, format!("expected an object, found {}", v.type_name())));
    };
    if check_schema(&mut cx, o, &p, "schema", MATCH_SCHEMA, 1).is_none() {
        return Err(Rejection { errors: cx.errors, offset: None });
    }
    let r = match_result(&mut cx, o, &p, app);
    match r {
        Some(r) if cx.errors.is_empty() => Ok(r),
        _ => {
            if cx.errors.is_empty() {
                cx.err(Code::RequiredMissing, &p, "record is incomplete");
            }
            Err(Rejection { errors: cx.errors, offset: None })
        }
    }
}

fn match_result<'v>(cx: &mut Cx, o: Members<'v, '_>, p: &Ptr<'_>, app: &Application<'_>) -> Option<MatchResult<'v>> {
    let message_id = cx.text(o, "message_id", &p.key("message_id"), true, 64);
    let pr = p.key("in_reply_to");
    let in_reply_to = cx.text(o, "in_reply_to", &pr, true, 64);
    if in_reply_to.as_deref().is_some_and(|r| !r.eq_ignore_ascii_case(&app.message_id)) {
        cx.err(Code::CorrelationMismatch, &pr, "does not match the submission's message_id");
    }
    let pmem = p.key("member_id");
    let member_id = cx.text(o, "member_id", &pmem, true, 16);
    if member_id.as_deref().is_some_and(|m| m != app.member_id) {
        cx.err(Code::CorrelationMismatch, &pmem, "does not match the submission's member_id");
    }
    let pref = p.key("app_ref");
    let app_ref = cx.text(o, "app_ref", &pref, true, 64);
    if app_ref.as_deref().is_some_and(|m| m != app.app_ref) {
        cx.err(Code::CorrelationMismatch, &pref, "does not match the submission's app_ref");
    }
    let processed_at = timestamp(cx, o, "processed_at", &p.key("processed_at"));
    let status = cx.enumeration(o, "status", &p.key("status"), true, &["NO_MATCH", "MATCH", "ERROR"]);
    let scored = status != Some("ERROR");
    let score = cx.integer(o, "score", &p.key("score"), scored, 0, 1000);
    let risk_band = cx.enumeration(o, "risk_band", &p.key("risk_band"), scored, &["LOW", "MEDIUM", "HIGH", "CRITICAL"]);
    let pm = p.key("matches");
    let mut matches = Vec::new();
    if let Some(list) = cx.array(o, "matches", &pm, 0, 1000) {
        for (i, item) in list.iter().enumerate() {
            let pi = pm.idx(i);
            let Some(mo) = cx.item(item, &pi) else { continue };
            let match_id = cx.text(mo, "match_id", &pi.key("match_id"), true, 64);
            let pa = pi.key("applicant_ref");
            let applicant_ref = cx.text(mo, "applicant_ref", &pa, true, 64);
            if applicant_ref.as_deref().is_some_and(|r| !app.applicants.iter().any(|a| a.applicant_ref == r)) {
                cx.err(Code::CorrelationMismatch, &pa, "applicant_ref is not in the submission");
            }
            let prule = pi.key("rule");
            let rule = cx.object(mo, "rule", &prule, true).and_then(|r| {
                let pc = prule.key("code");
                let code = cx.raw_str(r, "code", &pc, true).and_then(|c| {
                    let b = c.as_bytes();
                    if b.len() == 4 && b[0] == b'R' && b[1..].iter().all(u8::is_ascii_digit) {
                        Some(Cow::Borrowed(c))
                    } else {
                        cx.err(Code::FieldFormat, &pc, "must match ^R[0-9]{3}$");
                        None
                    }
                });
                let name = cx.text(r, "name", &prule.key("name"), true, 256);
                let version = cx.text(r, "version", &prule.key("version"), true, 32);
                let weight = cx.integer(r, "weight", &prule.key("weight"), true, 0, 1000);
                Some((code?, name?, version?, weight?))
            });
            let pmr = pi.key("matched_record");
            let record = cx.object(mo, "matched_record", &pmr, true).and_then(|r| {
                let token = cx.text(r, "record_token", &pmr.key("record_token"), true, 128);
                let contributor = cx.text(r, "contributor", &pmr.key("contributor"), true, 32);
                let record_type = cx.enumeration(
                    r,
                    "record_type",
                    &pmr.key("record_type"),
                    true,
                    &["CONFIRMED_FRAUD", "SUSPECTED_FRAUD", "APPLICATION", "WATCHLIST"],
                );
                let category = cx.text(r, "fraud_category", &pmr.key("fraud_category"), false, 64);
                let pro = pmr.key("reported_on");
                let reported_on = cx.raw_str(r, "reported_on", &pro, false).and_then(|s| {
                    if parse_date(s).is_ok() {
                        Some(Cow::Borrowed(s))
                    } else {
                        cx.err(Code::FieldFormat, &pro, "must be a date YYYY-MM-DD");
                        None
                    }
                });
                Some((token?, contributor?, record_type?, category, reported_on))
            });
            let pe = pi.key("elements");
            let mut elements = Vec::new();
            let mut min_similarity: Option<f64> = None;
            if let Some(list) = cx.array(mo, "elements", &pe, 0, 32) {
                for (j, e) in list.iter().enumerate() {
                    let pj = pe.idx(j);
                    let Some(eo) = cx.item(e, &pj) else { continue };
                    if let Some(el) = cx.enumeration(eo, "element", &pj.key("element"), true, ELEMENTS) {
                        elements.push(el);
                    }
                    cx.enumeration(
                        eo,
                        "comparison",
                        &pj.key("comparison"),
                        true,
                        &["EXACT", "FUZZY", "PHONETIC", "DIFFERENT"],
                    );
                    let ps = pj.key("similarity");
                    if let Some(s) = cx.number(eo, "similarity", &ps, true) {
                        if (0.0..=1.0).contains(&s) {
                            min_similarity = Some(min_similarity.map_or(s, |m: f64| m.min(s)));
                        } else {
                            cx.err(Code::FieldFormat, &ps, "must be between 0 and 1");
                        }
                    }
                }
            }
            if let (
                Some(match_id),
                Some(applicant_ref),
                Some((rule_code, rule_name, rule_version, weight)),
                Some(rec),
            ) = (match_id, applicant_ref, rule, record)
            {
                matches.push(Match {
                    match_id,
                    applicant_ref,
                    rule_code,
                    rule_name,
                    rule_version,
                    weight,
                    record_token: rec.0,
                    contributor: rec.1,
                    record_type: rec.2,
                    fraud_category: rec.3,
                    reported_on: rec.4,
                    elements,
                    min_similarity,
                });
            }
        }
    }
    Some(MatchResult {
        message_id: message_id?,
        in_reply_to: in_reply_to?,
        member_id: member_id?,
        app_ref: app_ref?,
        processed_at: processed_at?.0,
        status: status?,
        score,
        risk_band,
        matches,
    })
}

#[cfg(test)]
mod tests {
    /// `ip` borrows an IPv4 address as written: that is only right if every string the
    /// parser accepts is already what it would print.
    #[test]
    fn ipv4_addresses_that_parse_are_canonical() {
        for s in ["0.0.0.0", "192.0.2.174", "255.255.255.255", "10.0.0.1", "1.22.133.4"] {
            let ip: std::net::Ipv4Addr = s.parse().unwrap();
            assert_eq!(ip.to_string(), s);
        }
        for octets in [[0u8, 0, 0, 0], [1, 2, 3, 4], [9, 10, 99, 100], [200, 255, 0, 7]] {
            let s = std::net::Ipv4Addr::from(octets).to_string();
            assert_eq!(s.parse::<std::net::IpAddr>().unwrap().to_string(), s);
        }
        for s in ["01.2.3.4", "1.2.3.04", "1.2.3", "1.2.3.4.5", " 1.2.3.4", "1.2.3.4 ", "+1.2.3.4", "256.1.1.1"] {
            assert!(s.parse::<std::net::IpAddr>().is_err(), "{s}");
        }
    }
}
