//! CloudTrail log files and S3 event notifications (pure parsing).

use std::borrow::Cow;
use std::io::Read;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::envelope::{content_id, Envelope, Payload, SourceKind};

/// What an S3 key is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// A CloudTrail log file (`…/CloudTrail/…json.gz`).
    Log,
    /// A digest file (`…/CloudTrail-Digest/…`): not events.
    Digest,
    /// An Insights file (`…/CloudTrail-Insight/…`).
    Insight,
    /// Anything else.
    Other,
}

/// Classify an object key.
#[must_use]
pub fn classify_key(key: &str) -> KeyKind {
    if key.contains("/CloudTrail-Digest/") {
        KeyKind::Digest
    } else if key.contains("/CloudTrail-Insight/") {
        KeyKind::Insight
    } else if key.contains("/CloudTrail/") && (key.ends_with(".json.gz") || key.ends_with(".json")) {
        KeyKind::Log
    } else {
        KeyKind::Other
    }
}

/// The delivery timestamp in a CloudTrail key (`…_20261123T1905Z_…`) as `YYYYMMDDTHHMM`.
#[must_use]
pub fn key_timestamp(key: &str) -> Option<&str> {
    let name = key.rsplit('/').next()?;
    name.split('_').find(|p| p.len() == 14 && p.ends_with('Z') && p.as_bytes().get(8) == Some(&b'T')).map(|p| &p[..13])
}

/// A file that cannot be read as CloudTrail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// gzip stream broken.
    #[error("gzip: {0}")]
    Gzip(std::io::Error),
    /// Not `{"Records":[…]}` (line/column of the JSON error).
    #[error("JSON at line {line} column {column}: {message} (expected {{\"Records\":[...]}})")]
    Json {
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// serde message (no content).
        message: String,
    },
}

#[derive(Deserialize)]
struct TrailFile<'a> {
    #[serde(rename = "Records", borrow)]
    records: Vec<&'a RawValue>,
}

#[derive(Deserialize, Default, Debug, PartialEq)]
#[allow(non_snake_case)]
struct Meta<'a> {
    #[serde(borrow, default)]
    eventID: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    eventTime: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    awsRegion: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    recipientAccountId: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    eventSource: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    eventName: Option<Cow<'a, str>>,
}

/// Gunzip if the bytes are gzip, else return them.
pub fn maybe_gunzip(bytes: &[u8]) -> Result<Cow<'_, [u8]>, std::io::Error> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        gunzip_into(bytes, &mut out)?;
        Ok(Cow::Owned(out))
    } else {
        Ok(Cow::Borrowed(bytes))
    }
}

/// Position of the first `"` or `\\` at or after `from` (eight bytes at a time).
pub(crate) fn find_quote_or_backslash(b: &[u8], mut from: usize) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while from + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[from..from + 8]);
        let x = u64::from_le_bytes(w);
        let q = x ^ (LO * u64::from(b'"'));
        let s = x ^ (LO * u64::from(b'\\'));
        // The lowest flagged byte is always a real zero byte of q or s.
        let m = (q.wrapping_sub(LO) & !q & HI) | (s.wrapping_sub(LO) & !s & HI);
        if m != 0 {
            return Some(from + (m.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    b[from.min(b.len())..].iter().position(|&c| c == b'"' || c == b'\\').map(|p| from + p)
}

/// End (index after the closing quote) of the JSON string starting at `b[start] == '"'`, and
/// whether it holds escapes. `b` is valid JSON.
pub(crate) fn string_end(b: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut i = start + 1;
    let mut escaped = false;
    loop {
        let p = find_quote_or_backslash(b, i)?;
        if b[p] == b'"' {
            return Some((p + 1, escaped));
        }
        escaped = true;
        i = p + 2;
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\n' | b'\r' | b'\t') {
        i += 1;
    }
    i
}

/// End of the JSON value starting at `b[i]` (valid JSON).
fn value_end(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match *b.get(i)? {
            b'"' => i = string_end(b, i)?.0,
            b'{' | b'[' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
                i += 1;
            }
            b',' if depth == 0 => return Some(i),
            _ => i += 1,
        }
        if depth == 0 && matches!(b.get(i), Some(b',' | b'}' | b']') | None) {
            return Some(i);
        }
    }
}

/// The metadata fields of one event in a single pass over its top-level members, without
/// building a tree; `None` asks for the serde path (a key with escapes, a non-string value, a
/// duplicate: whatever the fast path does not model), so the result is always serde's.
fn meta_fast(raw: &str) -> Option<Option<Meta<'_>>> {
    let b = raw.as_bytes();
    let mut m = Meta::default();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return Some(None);
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return Some(Some(m));
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (kend, kesc) = string_end(b, i)?;
        if kesc {
            return None;
        }
        let key = &raw[i + 1..kend - 1];
        i = skip_ws(b, kend);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let slot = match key {
            "eventID" => Some(&mut m.eventID),
            "eventTime" => Some(&mut m.eventTime),
            "awsRegion" => Some(&mut m.awsRegion),
            "recipientAccountId" => Some(&mut m.recipientAccountId),
            "eventSource" => Some(&mut m.eventSource),
            "eventName" => Some(&mut m.eventName),
            _ => None,
        };
        match slot {
            Some(slot) => {
                if slot.is_some() {
                    return None;
                }
                if b.get(i) == Some(&b'"') {
                    let (vend, vesc) = string_end(b, i)?;
                    *slot = Some(if vesc {
                        Cow::Owned(serde_json::from_str::<String>(&raw[i..vend]).ok()?)
                    } else {
                        Cow::Borrowed(&raw[i + 1..vend - 1])
                    });
                    i = vend;
                } else {
                    // null, a number, an object…: serde decides.
                    return None;
                }
            }
            None => i = value_end(b, i)?,
        }
        i = skip_ws(b, i);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Some(Some(m)),
            _ => return None,
        }
    }
}

/// Envelope for one CloudTrail event (raw JSON text).
pub fn envelope_from_event(raw: &RawValue) -> Envelope {
    let text = raw.get();
    envelope_from_parts(text, meta_fast(text).unwrap_or_else(|| serde_json::from_str(text).ok()))
}

/// Envelope for one event: `text` is one checked JSON value, `meta` its metadata.
fn envelope_from_parts(text: &str, meta: Option<Meta<'_>>) -> Envelope {
    let id = meta
        .as_ref()
        .and_then(|m| m.eventID.as_deref())
        .map_or_else(|| content_id(text.as_bytes()), str::to_string);
    let mut e = Envelope::new(SourceKind::Cloudtrail, id, Payload::from_checked(text));
    if let Some(m) = meta {
        e.account = m.recipientAccountId.map(Cow::into_owned);
        e.region = m.awsRegion.map(Cow::into_owned);
        e.event_time = m.eventTime.map(Cow::into_owned);
        e.event_source = m.eventSource.map(Cow::into_owned);
        e.event_name = m.eventName.map(Cow::into_owned);
    }
    e
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Position of the first `"`, `\\` or control character (below 0x20) at or after `from`,
/// eight bytes at a time.
fn find_string_special(b: &[u8], mut from: usize) -> Option<usize> {
    while from + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[from..from + 8]);
        let x = u64::from_le_bytes(w);
        let q = x ^ (LO * u64::from(b'"'));
        let s = x ^ (LO * u64::from(b'\\'));
        // Each term flags its bytes exactly up to its lowest flag (borrows only run upwards),
        // so the lowest flag of all is a real `"`, `\\` or control byte.
        let m = ((q.wrapping_sub(LO) & !q) | (s.wrapping_sub(LO) & !s) | (x.wrapping_sub(LO * 0x20) & !x)) & HI;
        if m != 0 {
            return Some(from + (m.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    b[from.min(b.len())..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).map(|p| from + p)
}

/// End (after the closing quote) of the JSON string at `b[i] == '"'` and whether it holds
/// escapes, checked the way serde_json checks a string it skips: no control characters, and
/// only the escapes JSON has (`\\u` with four hex digits). `None` if it is not such a string.
fn checked_string_end(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        let p = find_string_special(b, j)?;
        match b[p] {
            b'"' => return Some((p + 1, escaped)),
            b'\\' => {
                escaped = true;
                match *b.get(p + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j = p + 2,
                    b'u' if b.get(p + 2..p + 6)?.iter().all(u8::is_ascii_hexdigit) => j = p + 6,
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
}

fn skip_digits(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// End of the JSON number at `b[i]`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn checked_number_end(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match *b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = skip_digits(b, i + 1),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let end = skip_digits(b, i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = skip_digits(b, i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

/// After `{` or `,` in an object: the member's key at `b[i]`, then `:`. Returns where its value
/// starts (after whitespace).
fn checked_key(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let (end, _) = checked_string_end(b, i)?;
    let i = skip_ws(b, end);
    if b.get(i) != Some(&b':') {
        return None;
    }
    Some(skip_ws(b, i + 1))
}

/// Deepest nesting [`checked_value_end`] follows (deeper values take the serde path).
const MAX_CHECKED_DEPTH: u32 = 128;

/// End of the JSON value at `b[i]` (not whitespace), checked as serde_json checks a value it
/// skips; `None` if it is not exactly one valid value there (or nests deeper than
/// [`MAX_CHECKED_DEPTH`]). UTF-8 is the caller's to check.
fn checked_value_end(b: &[u8], mut i: usize) -> Option<usize> {
    // One bit per open container, 1 for an object; `depth` of them.
    let mut stack = 0u128;
    let mut depth = 0u32;
    loop {
        match *b.get(i)? {
            b'"' => i = checked_string_end(b, i)?.0,
            c @ (b'{' | b'[') => {
                let object = c == b'{';
                if depth == MAX_CHECKED_DEPTH {
                    return None;
                }
                i = skip_ws(b, i + 1);
                if b.get(i) == Some(if object { &b'}' } else { &b']' }) {
                    i += 1;
                } else {
                    stack = (stack << 1) | u128::from(object);
                    depth += 1;
                    if object {
                        i = checked_key(b, i)?;
                    }
                    continue;
                }
            }
            b't' if b[i..].starts_with(b"true") => i += 4,
            b'f' if b[i..].starts_with(b"false") => i += 5,
            b'n' if b[i..].starts_with(b"null") => i += 4,
            b'-' | b'0'..=b'9' => i = checked_number_end(b, i)?,
            _ => return None,
        }
        // A value ended at `i`: close containers until one goes on.
        loop {
            if depth == 0 {
                return Some(i);
            }
            i = skip_ws(b, i);
            let object = stack & 1 == 1;
            match *b.get(i)? {
                b',' => {
                    i = skip_ws(b, i + 1);
                    if object {
                        i = checked_key(b, i)?;
                    }
                    break;
                }
                b'}' if object => {}
                b']' if !object => {}
                _ => return None,
            }
            i += 1;
            stack >>= 1;
            depth -= 1;
        }
    }
}

/// One record at `b[i]` (not whitespace): its end, checked like [`checked_value_end`], and its
/// metadata as [`meta_fast`] finds it, from the same pass over its top-level members.
fn checked_record<'a>(s: &'a str, i: usize) -> Option<(usize, Option<Option<Meta<'a>>>)> {
    let b = s.as_bytes();
    if b.get(i) != Some(&b'{') {
        return Some((checked_value_end(b, i)?, Some(None)));
    }
    let mut m = Meta::default();
    // meta_fast would give up (an escaped key, a duplicate, a value that is not a string):
    // serde decides, the rest of the record is only checked.
    let mut serde = false;
    let mut j = skip_ws(b, i + 1);
    if b.get(j) == Some(&b'}') {
        return Some((j + 1, Some(Some(m))));
    }
    loop {
        if b.get(j) != Some(&b'"') {
            return None;
        }
        let (kend, kesc) = checked_string_end(b, j)?;
        let key = &s[j + 1..kend - 1];
        j = skip_ws(b, kend);
        if b.get(j) != Some(&b':') {
            return None;
        }
        j = skip_ws(b, j + 1);
        serde |= kesc;
        let slot = match key {
            _ if serde => None,
            "eventID" => Some(&mut m.eventID),
            "eventTime" => Some(&mut m.eventTime),
            "awsRegion" => Some(&mut m.awsRegion),
            "recipientAccountId" => Some(&mut m.recipientAccountId),
            "eventSource" => Some(&mut m.eventSource),
            "eventName" => Some(&mut m.eventName),
            _ => None,
        };
        match slot {
            Some(slot) if slot.is_none() && b.get(j) == Some(&b'"') => {
                let (vend, vesc) = checked_string_end(b, j)?;
                if vesc {
                    match serde_json::from_str::<String>(&s[j..vend]) {
                        Ok(v) => *slot = Some(Cow::Owned(v)),
                        Err(_) => serde = true,
                    }
                } else {
                    *slot = Some(Cow::Borrowed(&s[j + 1..vend - 1]));
                }
                j = vend;
            }
            Some(_) => {
                serde = true;
                j = checked_value_end(b, j)?;
            }
            None => j = checked_value_end(b, j)?,
        }
        j = skip_ws(b, j);
        match b.get(j) {
            Some(b',') => j = skip_ws(b, j + 1),
            Some(b'}') => return Some((j + 1, if serde { None } else { Some(Some(m)) })),
            _ => return None,
        }
    }
}

/// The envelopes of a `{"Records":[…]}` file in one pass over its text, which checks it is
/// JSON the way serde_json does and finds each record's metadata on the way. `None` for any
/// text this pass does not take (not UTF-8, not JSON, a key besides `Records`, an escaped
/// key…): then serde parses the file, so the events and the errors are always serde's.
fn split_records(text: &[u8]) -> Option<Vec<Envelope>> {
    let s = std::str::from_utf8(text).ok()?;
    let b = text;
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if !b[i..].starts_with(b"\"Records\"") {
        return None;
    }
    i = skip_ws(b, i + "\"Records\"".len());
    if b.get(i) != Some(&b':') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut out = Vec::new();
    if b.get(i) == Some(&b']') {
        i += 1;
    } else {
        loop {
            let (end, meta) = checked_record(s, i)?;
            let text = &s[i..end];
            out.push(envelope_from_parts(text, meta.unwrap_or_else(|| serde_json::from_str(text).ok())));
            i = skip_ws(b, end);
            match b.get(i)? {
                b',' => i = skip_ws(b, i + 1),
                b']' => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    i = skip_ws(b, i);
    if b.get(i) != Some(&b'}') {
        return None;
    }
    (skip_ws(b, i + 1) == b.len()).then_some(out)
}

thread_local! {
    /// Gunzip output kept per thread: the envelopes own copies of their events, so the text of
    /// one file is not needed after it is parsed, and the next file reuses its pages.
    static GUNZIP_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Run `f` on the bytes, gunzipped first if they are gzip (into this thread's kept buffer).
pub fn with_gunzipped<R>(bytes: &[u8], f: impl FnOnce(&[u8]) -> R) -> Result<R, std::io::Error> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(f(bytes));
    }
    let mut buf = GUNZIP_BUF.with(|b| std::mem::take(&mut *b.borrow_mut()));
    let out = gunzip_into_filled(bytes, &mut buf).map(|n| f(&buf[..n]));
    // Keep ordinary sizes only: one huge file should not pin its memory in every thread.
    if buf.len() <= 64 << 20 {
        GUNZIP_BUF.with(|b| *b.borrow_mut() = buf);
    }
    out
}

/// Gunzip `bytes` into the front of `buf`, returning the length; the same bytes as
/// [`gunzip_into`]. `buf` stays filled (initialised) to its length, so reading into it needs no
/// zeroing of fresh capacity (as `read_to_end` does) when it is kept for the next file.
fn gunzip_into_filled(bytes: &[u8], buf: &mut Vec<u8>) -> Result<usize, std::io::Error> {
    let want = gunzip_capacity(bytes);
    if buf.len() < want {
        buf.resize(want, 0);
    }
    let mut d = flate2::read::MultiGzDecoder::new(bytes);
    let mut n = 0;
    loop {
        if n == buf.len() {
            buf.resize(buf.len().saturating_mul(2).max(1 << 16), 0);
        }
        match d.read(&mut buf[n..]) {
            Ok(0) => return Ok(n),
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Parse a CloudTrail file (gzip or plain) into envelopes.
pub fn parse_file(bytes: &[u8]) -> Result<Vec<Envelope>, FileError> {
    with_gunzipped(bytes, parse_text).map_err(FileError::Gzip)?
}

fn gunzip_into(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), std::io::Error> {
    let want = gunzip_capacity(bytes);
    out.reserve(want.saturating_sub(out.len()));
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(out).map(|_| ())
}

/// Output capacity for gunzipping `bytes`: the trailer's ISIZE is the uncompressed size
/// (mod 2^32) of a one-member file, so sized from it the output is not regrown and copied.
/// Only a hint, capped against a forged trailer; a larger output still grows as needed.
fn gunzip_capacity(bytes: &[u8]) -> usize {
    let isize = bytes.len().checked_sub(4).map_or(0, |at| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&bytes[at..]);
        u32::from_le_bytes(w) as usize
    });
    isize.clamp(bytes.len().saturating_mul(8), bytes.len().saturating_mul(64).max(1 << 16)) + 1
}

/// Parse the (plain) text of a CloudTrail file into envelopes.
pub(crate) fn parse_text(text: &[u8]) -> Result<Vec<Envelope>, FileError> {
    split_records(text).map_or_else(|| parse_text_serde(text), Ok)
}

/// [`parse_text`] by serde alone (any file; the reference for [`split_records`]).
fn parse_text_serde(text: &[u8]) -> Result<Vec<Envelope>, FileError> {
    let file: TrailFile<'_> = serde_json::from_slice(text).map_err(|e| FileError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    Ok(file.records.into_iter().map(envelope_from_event).collect())
}

/// One object named by a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRef {
    /// Bucket.
    pub bucket: String,
    /// Key, URL-decoded.
    pub key: String,
    /// Size, if given.
    pub size: Option<u64>,
}

/// What an SQS message body means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notification {
    /// `s3:TestEvent` sent when notifications are configured: delete it.
    Test,
    /// New objects.
    Objects(Vec<ObjectRef>),
}

/// A message body that is not an S3 notification.
#[derive(Debug, thiserror::Error)]
#[error("SQS message is not an S3 event notification: {0}")]
pub struct NotificationError(pub String);

/// Percent-decode an S3 notification key (`+` is a space).
#[must_use]
pub fn decode_key(key: &str) -> String {
    let plus = key.replace('+', " ");
    percent_encoding::percent_decode_str(&plus).decode_utf8_lossy().into_owned()
}

/// Parse an SQS body: S3 notification, SNS envelope around one, or `s3:TestEvent`.
pub fn parse_notification(body: &str) -> Result<Notification, NotificationError> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| NotificationError(format!("JSON: {e}")))?;
    // SNS fan-out: the S3 JSON is a string in `Message`.
    if v.get("Type").and_then(|t| t.as_str()) == Some("Notification") {
        if let Some(inner) = v.get("Message").and_then(|m| m.as_str()) {
            return parse_notification(inner);
        }
    }
    if v.get("Event").and_then(|e| e.as_str()) == Some("s3:TestEvent") {
        return Ok(Notification::Test);
    }
    let records =
        v.get("Records").and_then(|r| r.as_array()).ok_or_else(|| NotificationError("no /Records array".into()))?;
    let mut out = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let version = r.get("eventVersion").and_then(|x| x.as_str()).unwrap_or("");
        let name = r.get("eventName").and_then(|x| x.as_str()).unwrap_or("");
        if !version.starts_with("2.") || !name.starts_with("ObjectCreated") {
            continue;
        }
        let bucket = r.pointer("/s3/bucket/name").and_then(|x| x.as_str());
        let key = r.pointer("/s3/object/key").and_then(|x| x.as_str());
        let (Some(bucket), Some(key)) = (bucket, key) else {
            return Err(NotificationError(format!("/Records/{i}/s3 lacks bucket/name or object/key")));
        };
        out.push(ObjectRef {
            bucket: bucket.to_string(),
            key: decode_key(key),
            size: r.pointer("/s3/object/size").and_then(serde_json::Value::as_u64),
        });
    }
    Ok(Notification::Objects(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    pub(crate) fn gz(text: &str) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn keys() {
        let k = "AWSLogs/123456789012/CloudTrail/ca-central-1/2026/11/23/123456789012_CloudTrail_ca-central-1_20261123T1905Z_abcdefgh12345678.json.gz";
        assert_eq!(classify_key(k), KeyKind::Log);
        assert_eq!(key_timestamp(k), Some("20261123T1905"));
        assert_eq!(classify_key("AWSLogs/1/CloudTrail-Digest/ca-central-1/2026/11/23/x.json.gz"), KeyKind::Digest);
        assert_eq!(classify_key("AWSLogs/1/CloudTrail-Insight/ca-central-1/x.json.gz"), KeyKind::Insight);
        assert_eq!(classify_key("other/file.txt"), KeyKind::Other);
    }

    #[test]
    fn gunzip_into_a_kept_buffer() {
        let mut buf = Vec::new();
        for text in ["x".repeat(200_000), String::new(), "abc".into(), "y".repeat(70_000)] {
            let gz = gz(&text);
            let mut want = Vec::new();
            gunzip_into(&gz, &mut want).unwrap();
            let n = gunzip_into_filled(&gz, &mut buf).unwrap();
            assert_eq!(&buf[..n], &want[..]);
            assert_eq!(with_gunzipped(&gz, <[u8]>::to_vec).unwrap(), want);
        }
        // Two members (MultiGzDecoder), and a broken stream.
        let mut two = gz("first ");
        two.extend(gz("second"));
        assert_eq!(with_gunzipped(&two, <[u8]>::to_vec).unwrap(), b"first second");
        assert!(gunzip_into_filled(&[0x1f, 0x8b, 0, 1], &mut buf).is_err());
    }

    #[test]
    fn parses_gzip_file() {
        let body = r#"{"Records":[{"eventID":"e1","eventTime":"2026-11-23T19:00:00Z","awsRegion":"ca-central-1","recipientAccountId":"123456789012","eventSource":"s3.amazonaws.com","eventName":"GetObject"},{"eventName":"X"}]}"#;
        let evs = parse_file(&gz(body)).unwrap();
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].event_id, "e1");
        assert_eq!(evs[0].account.as_deref(), Some("123456789012"));
        assert_eq!(evs[0].event_name.as_deref(), Some("GetObject"));
        assert_eq!(evs[1].event_id.len(), 32);
        assert!(parse_file(&gz(r#"{"Records":[]}"#)).unwrap().is_empty());
        let err = parse_file(b"{\"Records\": [1,").unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
        assert!(matches!(parse_file(&[0x1f, 0x8b, 0, 1]), Err(FileError::Gzip(_))));
    }

    #[test]
    fn fast_metadata_pass_agrees_with_serde() {
        let cases = [
            r#"{"eventID":"e1","eventTime":"2026-11-23T19:00:00Z","awsRegion":"ca-central-1","recipientAccountId":"123456789012","eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#,
            r#" { "userIdentity" : {"arn":"a\"}b","x":[1,{"eventID":"inner"}]}, "eventID" : "e\u0032" , "n": -1.5e3, "t": true, "z": null, "eventName":"A\"B"} "#,
            r#"{"eventID":null,"eventName":"X"}"#,
            r#"{"eventID":5}"#,
            r#"{"eventID":"a","eventID":"b"}"#,
            r#"{"e\u0076entID":"a"}"#,
            r#"{}"#,
            r#"[1,2]"#,
            r#""text""#,
            r#"{"requestParameters":{"policy":"{\"Statement\":[]}"},"eventSource":"iam.amazonaws.com","arr":[[],[{}],"]"]}"#,
        ];
        for c in cases {
            let serde: Option<Meta<'_>> = serde_json::from_str(c).ok();
            let fast = meta_fast(c).unwrap_or_else(|| serde_json::from_str(c).ok());
            assert_eq!(fast, serde, "{c}");
        }
        let text = "ab\"cdefghij\\klmnop\"";
        for from in 0..text.len() {
            let want = text.as_bytes()[from..].iter().position(|&c| c == b'"' || c == b'\\').map(|p| p + from);
            assert_eq!(find_quote_or_backslash(text.as_bytes(), from), want);
        }
    }

    /// What an envelope ships and what the filters see.
    fn shipped(evs: &[Envelope]) -> Vec<(Vec<u8>, Option<String>, Option<String>)> {
        evs.iter().map(|e| (e.to_json(), e.event_source.clone(), e.event_name.clone())).collect()
    }

    fn trail_file(records: &[Vec<(&str, &str)>], plain: &[&str], ws: &str, extra: &str) -> String {
        let mut recs: Vec<String> = records
            .iter()
            .map(|members| {
                let m: Vec<String> = members.iter().map(|(k, v)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}")).collect();
                format!("{{{}}}", m.join(","))
            })
            .collect();
        recs.extend(plain.iter().map(|p| (*p).to_string()));
        format!("{ws}{{{ws}\"Records\"{ws}:{ws}[{ws}{}{ws}]{extra}{ws}}}{ws}", recs.join(&format!("{ws},{ws}")))
    }

    proptest::proptest! {
        /// The one-pass split gives serde's events whenever it takes a file, and it takes every
        /// well-formed `{"Records":[…]}` file.
        #[test]
        fn one_pass_split_is_serde(
            records in proptest::collection::vec(proptest::collection::vec((
                proptest::sample::select(vec!["eventID", "eventTime", "awsRegion", "recipientAccountId",
                    "eventSource", "eventName", "e\\u0076entID", "x", "userIdentity", "", "eventName\\n"]),
                proptest::sample::select(vec!["\"a\"", "\"e\\u0032\"", "\"\\ud800\"", "\"\\uDC00x\"", "null", "5",
                    "-0.5e3", "0", "1E+2", "{}", "[]", "{\"eventID\":\"in\"}", "[1,{\"a\":[true,false,null]}]",
                    "\"é\"", "\"\\n\\/\\b\"", "\"x\\\"y\"", "\"2026-11-23T19:05:00Z\"", "[[[[]]],{\"b\":{}}]"])), 0..6), 0..4),
            plain in proptest::collection::vec(proptest::sample::select(vec!["1", "\"s\"", "[]", "{}", "null", "[{\"eventID\":\"x\"}]"]), 0..2),
            ws in proptest::sample::select(vec!["", " ", "\n\t ", "\r\n"]),
            extra in proptest::sample::select(vec!["", ",\"Other\":1", ",\"Records\":[]"]),
            edit in proptest::option::of((0usize..400, proptest::sample::select(vec![
                "", ",", "}", "]", "[", "{", "\"", "\\", "\u{1}", " ", "0", "-", ".", "e", ":", "\\u12", "nul", "\u{7f}"]), 0usize..3)),
            bad_utf8 in proptest::option::of(0usize..400)) {
            let text = trail_file(&records, &plain, ws, extra);
            let mut bytes = text.clone().into_bytes();
            if let Some((at, with, cut)) = edit {
                let at = at % (bytes.len() + 1);
                let end = (at + cut).min(bytes.len());
                bytes.splice(at..end, with.bytes());
            }
            if let Some(at) = bad_utf8 {
                let at = at % (bytes.len() + 1);
                bytes.insert(at, 0xff);
            }
            let serde = parse_text_serde(&bytes);
            match split_records(&bytes) {
                Some(fast) => {
                    let serde = serde.expect("serde takes what the one-pass split takes");
                    proptest::prop_assert_eq!(shipped(&fast), shipped(&serde), "{:?}", String::from_utf8_lossy(&bytes));
                }
                None => proptest::prop_assert!(
                    edit.is_some() || bad_utf8.is_some() || !extra.is_empty() || serde.is_err(),
                    "well-formed file not taken: {}", text
                ),
            }
            // Whatever the path, parse_text is serde's answer.
            match (parse_text(&bytes), parse_text_serde(&bytes)) {
                (Ok(a), Ok(b)) => proptest::prop_assert_eq!(shipped(&a), shipped(&b)),
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => proptest::prop_assert!(false, "{:?} vs {:?}", a.map(|v| v.len()), b.map(|v| v.len())),
            }
        }

        /// The checked string scan finds the first `"`, `\\` or control byte.
        #[test]
        fn string_special_scan(s in proptest::collection::vec(proptest::sample::select(vec![
            b'a', b'"', b'\\', 0u8, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0xff, 0x5b, 0x5d, 0xa2, 0xdc]), 0..40), from in 0usize..40) {
            let from = from.min(s.len());
            let want = s[from..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).map(|p| p + from);
            proptest::prop_assert_eq!(find_string_special(&s, from), want);
        }
    }

    #[test]
    fn notifications() {
        let s3 = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"AWSLogs%2F1%2FCloudTrail%2Fa+b.json.gz","size":10}}},{"eventVersion":"2.1","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"x"}}}]}"#;
        let n = parse_notification(s3).unwrap();
        assert_eq!(
            n,
            Notification::Objects(vec![ObjectRef {
                bucket: "b".into(),
                key: "AWSLogs/1/CloudTrail/a b.json.gz".into(),
                size: Some(10)
            }])
        );
        let sns = serde_json::json!({"Type": "Notification", "Message": s3}).to_string();
        assert_eq!(parse_notification(&sns).unwrap(), n);
        assert_eq!(
            parse_notification(r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}"#).unwrap(),
            Notification::Test
        );
        assert!(parse_notification("nope").is_err());
        assert!(parse_notification("{}").is_err());
    }
}
