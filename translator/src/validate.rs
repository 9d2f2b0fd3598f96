//! Reading typed values out of a parsed record while collecting every error with its JSON
//! pointer. Pointers are built only when an error is reported.

use std::borrow::Cow;

use crate::error::{Code, FieldError};
use crate::json::{escape_pointer, Value};
use crate::normalize;

/// A JSON pointer as a stack-allocated list (rendered only on error).
#[derive(Clone, Copy)]
pub struct Ptr<'p> {
    parent: Option<&'p Ptr<'p>>,
    seg: Seg<'p>,
}

#[derive(Clone, Copy)]
enum Seg<'p> {
    Root(&'p str),
    Key(&'p str),
    Idx(usize),
}

impl<'p> Ptr<'p> {
    /// The document root (or a fixed prefix such as `/submission`).
    #[must_use]
    pub fn root(prefix: &'p str) -> Self {
        Ptr { parent: None, seg: Seg::Root(prefix) }
    }
    #[must_use]
    pub fn key(&'p self, k: &'p str) -> Ptr<'p> {
        Ptr { parent: Some(self), seg: Seg::Key(k) }
    }
    #[must_use]
    pub fn idx(&'p self, i: usize) -> Ptr<'p> {
        Ptr { parent: Some(self), seg: Seg::Idx(i) }
    }
    /// Render as an RFC 6901 pointer.
    #[must_use]
    pub fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            segs.push(p.seg);
            cur = p.parent;
        }
        let mut out = String::new();
        for s in segs.iter().rev() {
            match s {
                Seg::Root(prefix) => out.push_str(prefix),
                Seg::Key(k) => {
                    out.push('/');
                    out.push_str(&escape_pointer(k));
                }
                Seg::Idx(i) => {
                    out.push('/');
                    out.push_str(&i.to_string());
                }
            }
        }
        out
    }
}

/// Collected errors and warnings for one record.
#[derive(Default, Debug)]
pub struct Cx {
    pub errors: Vec<FieldError>,
    pub warnings: Vec<FieldError>,
}

pub type Members<'v, 'a> = &'v [(&'a str, Value<'a>)];

impl Cx {
    pub fn err(&mut self, code: Code, p: &Ptr<'_>, message: impl Into<String>) {
        self.errors.push(FieldError { code, pointer: p.render(), message: message.into() });
    }
    pub fn warn(&mut self, code: Code, p: &Ptr<'_>, message: impl Into<String>) {
        self.warnings.push(FieldError { code, pointer: p.render(), message: message.into() });
    }

    fn type_err(&mut self, p: &Ptr<'_>, want: &str, got: &Value<'_>) {
        self.err(Code::TypeMismatch, p, format!("expected {want}, found {}", got.type_name()));
    }

    fn missing(&mut self, p: &Ptr<'_>) {
        self.err(Code::RequiredMissing, p, "required field is missing");
    }

    /// A member (null counts as absent).
    #[must_use]
    pub fn get<'v, 'a>(o: Members<'v, 'a>, k: &str) -> Option<&'v Value<'a>> {
        o.iter().find(|(key, _)| crate::json::key_eq(key, k)).map(|(_, v)| v).filter(|v| !matches!(v, Value::Null))
    }

    /// An object member.
    pub fn object<'v, 'a>(
        &mut self,
        o: Members<'v, 'a>,
        k: &str,
        p: &Ptr<'_>,
        required: bool,
    ) -> Option<Members<'v, 'a>> {
        match Self::get(o, k) {
            None => {
                if required {
                    self.missing(p);
                }
                None
            }
            Some(Value::Object(m)) => Some(*m),
            Some(v) => {
                self.type_err(p, "an object", v);
                None
            }
        }
    }

    /// An array member with item-count bounds.
    pub fn array<'v, 'a>(
        &mut self,
        o: Members<'v, 'a>,
        k: &str,
        p: &Ptr<'_>,
        min: usize,
        max: usize,
    ) -> Option<&'v [Value<'a>]> {
        match Self::get(o, k) {
            None => {
                if min > 0 {
                    self.missing(p);
                }
                None
            }
            Some(Value::Array(a)) => {
                if a.len() < min {
                    self.err(Code::RequiredMissing, p, format!("at least {min} item(s) required"));
                } else if a.len() > max {
                    self.err(Code::FieldTooLong, p, format!("at most {max} item(s) allowed"));
                    return Some(&a[..max]);
                }
                Some(a)
            }
            Some(v) => {
                self.type_err(p, "an array", v);
                None
            }
        }
    }

    /// Item `i` of an array as an object.
    pub fn item<'v, 'a>(&mut self, v: &'v Value<'a>, p: &Ptr<'_>) -> Option<Members<'v, 'a>> {
        match v {
            Value::Object(m) => Some(*m),
            other => {
                self.type_err(p, "an object", other);
                None
            }
        }
    }

    /// A text member: type-checked, normalised (NFC, trim, whitespace), length-checked in characters.
    pub fn text<'v>(
        &mut self,
        o: Members<'v, '_>,
        k: &str,
        p: &Ptr<'_>,
        required: bool,
        max: usize,
    ) -> Option<Cow<'v, str>> {
        match Self::get(o, k) {
            None => {
                if required {
                    self.missing(p);
                }
                None
            }
            Some(Value::String(s)) => self.text_value(s, p, required, max),
            Some(v) => {
                self.type_err(p, "a string", v);
                None
            }
        }
    }

    /// Normalise a text value already known to be a string.
    pub fn text_value<'s>(&mut self, s: &'s str, p: &Ptr<'_>, required: bool, max: usize) -> Option<Cow<'s, str>> {
        match normalize::text(s) {
            Err(code) => {
                self.err(code, p, "control, bidirectional-override or zero-width characters are not allowed");
                None
            }
            Ok(t) if t.is_empty() => {
                if required {
                    self.err(Code::RequiredMissing, p, "required field is empty");
                }
                None
            }
            Ok(t) => {
                if t.len() > max && t.chars().count() > max {
                    self.err(Code::FieldTooLong, p, format!("longer than {max} characters"));
                    None
                } else {
                    Some(t)
                }
            }
        }
    }

    /// A raw string member (no normalisation; for identifiers checked by format afterwards).
    pub fn raw_str<'v>(&mut self, o: Members<'v, '_>, k: &str, p: &Ptr<'_>, required: bool) -> Option<&'v str> {
        match Self::get(o, k) {
            None => {
                if required {
                    self.missing(p);
                }
                None
            }
            Some(Value::String(s)) => {
                if normalize::has_forbidden_char(s) {
                    self.err(
                        Code::InvalidCharacters,
                        p,
                        "control, bidirectional-override or zero-width characters are not allowed",
                    );
                    return None;
                }
                Some(*s)
            }
            Some(v) => {
                self.type_err(p, "a string", v);
                None
            }
        }
    }

    /// An enumerated string member.
    pub fn enumeration(
        &mut self,
        o: Members<'_, '_>,
        k: &str,
        p: &Ptr<'_>,
        required: bool,
        allowed: &'static [&'static str],
    ) -> Option<&'static str> {
        let s = self.raw_str(o, k, p, required)?;
        if let Some(a) = allowed.iter().find(|a| crate::json::key_eq(a, s)) {
            Some(a)
        } else {
            self.err(Code::EnumValue, p, format!("must be one of {}", allowed.join(", ")));
            None
        }
    }

    /// An integer member within bounds (exact: parsed from the literal, never through f64).
    pub fn integer(
        &mut self,
        o: Members<'_, '_>,
        k: &str,
        p: &Ptr<'_>,
        required: bool,
        min: u64,
        max: u64,
    ) -> Option<u64> {
        match Self::get(o, k) {
            None => {
                if required {
                    self.missing(p);
                }
                None
            }
            Some(Value::Number(n)) => match n.parse::<u64>() {
                Ok(v) if (min..=max).contains(&v) => Some(v),
                Ok(_) => {
                    self.err(Code::FieldFormat, p, format!("must be an integer from {min} to {max}"));
                    None
                }
                Err(_) => {
                    if n.bytes().all(|b| b.is_ascii_digit()) {
                        self.err(Code::FieldFormat, p, format!("must be an integer from {min} to {max}"));
                    } else {
                        self.err(Code::TypeMismatch, p, "expected an integer, found a non-integer number");
                    }
                    None
                }
            },
            Some(v) => {
                self.type_err(p, "an integer", v);
                None
            }
        }
    }

    /// A number member (score, similarity): kept as written after grammar validation.
    pub fn number(&mut self, o: Members<'_, '_>, k: &str, p: &Ptr<'_>, required: bool) -> Option<f64> {
        match Self::get(o, k) {
            None => {
                if required {
                    self.missing(p);
                }
                None
            }
            Some(Value::Number(n)) => n.parse::<f64>().ok(),
            Some(v) => {
                self.type_err(p, "a number", v);
                None
            }
        }
    }

    /// Money `{amount: "123.45", currency: "CAD"}` as integer minor units (exact, no float).
    pub fn money(&mut self, o: Members<'_, '_>, k: &str, p: &Ptr<'_>) -> Option<u64> {
        let m = self.object(o, k, p, false)?;
        let pa = p.key("amount");
        let pc = p.key("currency");
        let amount = match Self::get(m, "amount") {
            None => {
                self.missing(&pa);
                None
            }
            Some(Value::String(s)) => {
                let r = parse_amount(s);
                if r.is_none() {
                    self.err(Code::AmountFormat, &pa, "must be a decimal string with at most 12 digits and 2 decimals");
                }
                r
            }
            Some(v) => {
                self.type_err(&pa, "a decimal string", v);
                None
            }
        };
        self.enumeration(m, "currency", &pc, true, &["CAD"])?;
        amount
    }
}

/// `^\d{1,12}(\.\d{2})?$` → minor units.
#[must_use]
pub fn parse_amount(s: &str) -> Option<u64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() || int.len() > 12 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cents = match frac {
        None => 0,
        Some(f) if f.len() == 2 && f.bytes().all(|b| b.is_ascii_digit()) => f.parse::<u64>().ok()?,
        Some(_) => return None,
    };
    int.parse::<u64>().ok()?.checked_mul(100)?.checked_add(cents)
}

/// 8-4-4-4-12 hexadecimal UUID.
#[must_use]
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter()
            .enumerate()
            .all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { *c == b'-' } else { c.is_ascii_hexdigit() })
}

/// `YYYY-MM-DD` as a real calendar date.
pub fn parse_date(s: &str) -> Result<jiff::civil::Date, Code> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(Code::FieldFormat);
    }
    let num = |r: std::ops::Range<usize>| -> Result<i16, Code> {
        let part = &s[r];
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse::<i16>().map_err(|_| Code::FieldFormat)
        } else {
            Err(Code::FieldFormat)
        }
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let m = i8::try_from(m).map_err(|_| Code::FieldFormat)?;
    let d = i8::try_from(d).map_err(|_| Code::FieldFormat)?;
    jiff::civil::Date::new(y, m, d).map_err(|_| Code::DobInvalid)
}

/// `YYYY-MM`.
#[must_use]
pub fn is_year_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..].iter().all(u8::is_ascii_digit)
        && matches!(s[5..].parse::<u8>(), Ok(1..=12))
}

/// RFC 3339 timestamp.
pub fn parse_timestamp(s: &str) -> Option<jiff::Timestamp> {
    if s.len() < 20 || s.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    s.parse::<jiff::Timestamp>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_minor_units() {
        assert_eq!(parse_amount("12.34"), Some(1234));
        assert_eq!(parse_amount("999999999999.99"), Some(99_999_999_999_999));
        assert_eq!(parse_amount("1.5"), None);
        assert_eq!(parse_amount("-1.00"), None);
        assert_eq!(parse_amount("1e3"), None);
    }

    #[test]
    fn dates_and_pointers() {
        assert!(parse_date("2024-02-29").is_ok());
        assert_eq!(parse_date("2023-02-29"), Err(Code::DobInvalid));
        assert_eq!(parse_date("2023-2-01"), Err(Code::FieldFormat));
        assert!(is_year_month("2020-12") && !is_year_month("2020-13"));
        assert!(is_uuid("123e4567-e89b-42d3-a456-426614174000") && !is_uuid("123"));
        let root = Ptr::root("/submission");
        let a = root.key("a/b");
        let i = a.idx(3);
        assert_eq!(i.render(), "/submission/a~1b/3");
        assert!(parse_timestamp("2025-06-01T10:00:00Z").is_some());
        assert!(parse_timestamp("2025-06-01").is_none());
    }
}
