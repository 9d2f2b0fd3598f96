//! Error vocabulary: rejection and warning codes, and the `{code, pointer, message}` triple.
//!
//! Messages name the field (pointer) and the rule; they never contain the offending value.

use serde::Serialize;

macro_rules! codes {
    ($($variant:ident => $text:literal, $title:literal;)*) => {
        /// Rejection and warning codes (`reference/translator-schemas.md` §6.6).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code { $($variant,)* }

        impl Code {
            /// The stable wire spelling, e.g. `SIN_CHECKSUM`.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text,)* }
            }
            /// A short human title (used as the problem+json `title`).
            #[must_use]
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
        }
    };
}

codes! {
    ParseError => "PARSE_ERROR", "Not valid JSON";
    InvalidUtf8 => "INVALID_UTF8", "Not valid UTF-8";
    RecordTooLarge => "RECORD_TOO_LARGE", "Record over the size limit";
    NestingTooDeep => "NESTING_TOO_DEEP", "Nesting beyond the depth limit";
    DuplicateKey => "DUPLICATE_KEY", "Duplicate object key";
    UnsupportedSchemaVersion => "UNSUPPORTED_SCHEMA_VERSION", "Unsupported schema or version";
    RequiredMissing => "REQUIRED_MISSING", "Required field missing";
    TypeMismatch => "TYPE_MISMATCH", "Wrong JSON type";
    FieldTooLong => "FIELD_TOO_LONG", "Field over its length limit";
    InvalidCharacters => "INVALID_CHARACTERS", "Forbidden characters in text";
    EnumValue => "ENUM_VALUE", "Value outside its enumeration";
    FieldFormat => "FIELD_FORMAT", "Value does not match its format";
    SinFormat => "SIN_FORMAT", "SIN is not 9 digits";
    SinChecksum => "SIN_CHECKSUM", "SIN fails the Luhn check";
    SinPrefix => "SIN_PREFIX", "SIN prefix never issued to individuals";
    PostalCodeFormat => "POSTAL_CODE_FORMAT", "Not a Canadian postal code";
    PhoneFormat => "PHONE_FORMAT", "Phone number cannot be normalised";
    EmailFormat => "EMAIL_FORMAT", "E-mail address cannot be normalised";
    DobInvalid => "DOB_INVALID", "Date of birth is not a real date";
    DobInFuture => "DOB_IN_FUTURE", "Date of birth after the application";
    AgeOutOfRange => "AGE_OUT_OF_RANGE", "Applicant age outside 14-120";
    AmountFormat => "AMOUNT_FORMAT", "Money is not a decimal string";
    PrimaryApplicantCount => "PRIMARY_APPLICANT_COUNT", "Not exactly one primary applicant";
    CurrentAddressCount => "CURRENT_ADDRESS_COUNT", "Not exactly one current address";
    DuplicateApplicantRef => "DUPLICATE_APPLICANT_REF", "Applicant reference used twice";
    CorrelationMismatch => "CORRELATION_MISMATCH", "Result does not belong to the application";
    PostalProvinceMismatch => "POSTAL_PROVINCE_MISMATCH", "Postal code not in the province";
    UnderAgeOfMajority => "UNDER_AGE_OF_MAJORITY", "Below the province's age of majority";
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One validation problem: code, JSON pointer (RFC 6901) and a message without the value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub code: Code,
    pub pointer: String,
    pub message: String,
}

/// Why a record could not be translated: every error found in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub errors: Vec<FieldError>,
    /// Byte offset for parse-level problems.
    pub offset: Option<usize>,
}

impl Rejection {
    #[must_use]
    pub fn one(code: Code, pointer: &str, message: impl Into<String>) -> Self {
        Self { errors: vec![FieldError { code, pointer: pointer.to_string(), message: message.into() }], offset: None }
    }

    /// The first error's code (the record's headline code).
    #[must_use]
    pub fn code(&self) -> Code {
        self.errors.first().map_or(Code::ParseError, |e| e.code)
    }

    /// True when the record is not even well-formed JSON (HTTP 400 rather than 422).
    #[must_use]
    pub fn is_parse_level(&self) -> bool {
        matches!(
            self.code(),
            Code::ParseError | Code::InvalidUtf8 | Code::NestingTooDeep | Code::DuplicateKey | Code::RecordTooLarge
        )
    }
}

impl From<crate::json::ParseError> for Rejection {
    fn from(e: crate::json::ParseError) -> Self {
        Self { errors: vec![e.to_field_error()], offset: Some(e.offset) }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{} at {}: {}", e.code, if e.pointer.is_empty() { "/" } else { &e.pointer }, e.message)?;
        }
        Ok(())
    }
}
