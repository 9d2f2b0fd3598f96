//! The record parser: strict JSON (RFC 8259) into a borrowed tree.
//!
//! The tree lives in an [`Arena`] (one per worker, reset per record): strings and numbers are
//! slices of the input (an escaped string is decoded once into the arena), objects and arrays
//! are slices in the arena. Parsing a record allocates nothing on the heap once the arena has
//! grown to the size of a record, and dropping the tree costs nothing.
//!
//! Why not `serde_json::Value`: the translator must reject duplicate keys (not keep the last),
//! keep numbers exactly as written (integers above 2^53 and decimals are never rounded through
//! `f64`), stop at a nesting limit before recursing further, and report where a problem is as a
//! byte offset and a JSON pointer. serde_json offers these only through global feature flags
//! (`arbitrary_precision`) that would change every other crate's JSON handling in the workspace.
//!
//! The parser never echoes input in its errors: messages name the rule, positions are offsets
//! and pointers.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::error::{Code, FieldError};

/// Where a parsed tree lives: a bump arena, reset between documents.
pub type Arena = bumpalo::Bump;

/// A parsed JSON value borrowing from the input (and the [`Arena`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    /// The number exactly as written (validated JSON number grammar).
    Number(&'a str),
    String(&'a str),
    Array(&'a [Value<'a>]),
    /// Members in input order; keys are unique (duplicates are rejected while parsing).
    Object(&'a [(&'a str, Value<'a>)]),
}

impl<'a> Value<'a> {
    /// The JSON type name used in error messages.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Member `key` of an object.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&'a Value<'a>> {
        match *self {
            Value::Object(m) => m.iter().find(|(k, _)| key_eq(k, key)).map(|(_, v)| v),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Convert to a `serde_json::Value` (numbers that do not fit i64/u64/f64 exactly become strings).
    #[must_use]
    pub fn to_serde(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => {
                if let Ok(i) = n.parse::<i64>() {
                    i.into()
                } else if let Ok(u) = n.parse::<u64>() {
                    u.into()
                } else {
                    serde_json::Value::String(n.to_string())
                }
            }
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Array(a) => serde_json::Value::Array(a.iter().map(Value::to_serde).collect()),
            Value::Object(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.to_string(), v.to_serde())).collect())
            }
        }
    }
}

/// String equality for short keys: length first, then a byte loop (no `memcmp` call).
#[inline]
#[must_use]
pub fn key_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Limits applied while parsing.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Maximum nesting of arrays and objects (the top-level value is depth 1).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_depth: 32 }
    }
}

/// A parse failure: code, JSON pointer of the value being read, byte offset and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub code: Code,
    pub offset: usize,
    pub pointer: String,
    pub message: String,
}

impl ParseError {
    #[must_use]
    pub fn to_field_error(&self) -> FieldError {
        FieldError { code: self.code, pointer: self.pointer.clone(), message: self.message.clone() }
    }
}

/// Parse one JSON document from bytes (UTF-8 is validated first; nothing is replaced) into
/// `arena`.
pub fn parse<'a>(input: &'a [u8], limits: Limits, arena: &'a Arena) -> Result<Value<'a>, ParseError> {
    parse_with(input, limits, arena, &mut Scratch::default())
}

/// Parse one JSON document from text into `arena`.
pub fn parse_str<'a>(text: &'a str, limits: Limits, arena: &'a Arena) -> Result<Value<'a>, ParseError> {
    parse_str_with(text, limits, arena, &mut Scratch::default())
}

/// Working buffers of the parser, kept between documents (one per worker) so that parsing
/// a record does not grow fresh ones each time. Holds no data between calls.
#[derive(Default)]
pub struct Scratch {
    members: Vec<(&'static str, Value<'static>)>,
    items: Vec<Value<'static>>,
    text: String,
    /// Whether the last document parsed was [`is_clean`].
    pub clean: bool,
}

/// An empty `Vec` of another lifetime reusing `v`'s allocation (in-place collection of an
/// emptied vector: nothing is converted, only the capacity is kept).
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// [`parse`] with reused working buffers.
pub fn parse_with<'a>(
    input: &'a [u8],
    limits: Limits,
    arena: &'a Arena,
    scratch: &mut Scratch,
) -> Result<Value<'a>, ParseError> {
    let text = match std::str::from_utf8(input) {
        Ok(t) => t,
        Err(e) => {
            return Err(ParseError {
                code: Code::InvalidUtf8,
                offset: e.valid_up_to(),
                pointer: String::new(),
                message: format!("bytes at offset {} are not valid UTF-8", e.valid_up_to()),
            })
        }
    };
    parse_str_with(text, limits, arena, scratch)
}

fn parse_str_with<'a>(
    text: &'a str,
    limits: Limits,
    arena: &'a Arena,
    scratch: &mut Scratch,
) -> Result<Value<'a>, ParseError> {
    let clean = is_clean(text.as_bytes());
    scratch.clean = clean;
    let mut p = Parser {
        s: text,
        b: text.as_bytes(),
        i: 0,
        clean,
        limits,
        arena,
        members: recycle(std::mem::take(&mut scratch.members)),
        items: recycle(std::mem::take(&mut scratch.items)),
        text: std::mem::take(&mut scratch.text),
    };
    p.ws();
    let r = p.value(1).map_err(|e| e.finish());
    p.ws();
    let trailing = p.i != p.b.len();
    let at = p.i;
    scratch.members = recycle(p.members);
    scratch.items = recycle(p.items);
    scratch.text = p.text;
    let v = r?;
    if trailing {
        return Err(RawError::new(Code::ParseError, at, "unexpected data after the JSON value").finish());
    }
    Ok(v)
}

/// Error under construction: path segments are added while unwinding (no cost on success).
struct RawError {
    code: Code,
    offset: usize,
    rev_path: Vec<String>,
    message: String,
}

impl RawError {
    fn new(code: Code, offset: usize, message: &str) -> Box<Self> {
        Box::new(RawError { code, offset, rev_path: Vec::new(), message: message.to_string() })
    }
    fn finish(self) -> ParseError {
        let mut pointer = String::new();
        for seg in self.rev_path.iter().rev() {
            pointer.push('/');
            pointer.push_str(&escape_pointer(seg));
        }
        let message = format!("{} (byte offset {})", self.message, self.offset);
        ParseError { code: self.code, offset: self.offset, pointer, message }
    }
}

/// Escape a JSON pointer reference token (RFC 6901).
#[must_use]
pub fn escape_pointer(seg: &str) -> Cow<'_, str> {
    if seg.contains(['~', '/']) {
        Cow::Owned(seg.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(seg)
    }
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    /// The whole document is [`is_clean`]: a string ends at the next `"`.
    clean: bool,
    limits: Limits,
    arena: &'a Arena,
    /// Scratch stacks: members and items of the objects and arrays being read are collected
    /// here and copied into an exactly sized slice of the arena when the container closes.
    members: Vec<(&'a str, Value<'a>)>,
    items: Vec<Value<'a>>,
    /// Where an escaped string is decoded before it is copied into the arena.
    text: String,
}

/// No backslash and no control character anywhere in `b`. In such a document (once parsed)
/// every string is the exact text between its quotes, and it, or any part of it, can be
/// written as a JSON string without escaping. One branch-free pass (vectorised).
#[inline]
#[must_use]
pub fn is_clean(b: &[u8]) -> bool {
    b.iter().fold(0u8, |acc, &c| acc | u8::from(c < 0x20) | u8::from(c == b'\\')) == 0
}

/// Index of the first `"` at or after `i` (`b.len()` when there is none). Eight bytes at a
/// time, like [`scan_plain`], with one test instead of three.
#[inline]
fn scan_quote(b: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w8 = [0u8; 8];
        w8.copy_from_slice(chunk);
        let q = u64::from_le_bytes(w8) ^ (LO * u64::from(b'"'));
        let m = q.wrapping_sub(LO) & !q & HI;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    b[i..].iter().position(|&c| c == b'"').map_or(b.len(), |p| p + i)
}

/// Index of the first byte at or after `i` that ends a plain run inside a string: `"`, `\`
/// or a control character (`b.len()` when there is none). Eight bytes at a time.
#[inline]
pub(crate) fn scan_plain(b: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w8 = [0u8; 8];
        w8.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w8);
        let q = w ^ (LO * u64::from(b'"'));
        let bs = w ^ (LO * u64::from(b'\\'));
        // the lowest flagged byte is exact in each test (borrows only run upwards)
        let m = (q.wrapping_sub(LO) & !q) | (bs.wrapping_sub(LO) & !bs) | (w.wrapping_sub(LO * 0x20) & !w);
        let m = m & HI;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    // the last 1-7 bytes
    let n = b.len();
    if i >= n {
        return n;
    }
    if n >= 8 {
        // the last eight bytes, shifted so that byte `i` comes first: the bytes before `i`
        // drop out (a special one there must not borrow into the test), and the zero bytes
        // shifted in at the top are flagged, past the end (hence the `min`)
        let mut w8 = [0u8; 8];
        w8.copy_from_slice(&b[n - 8..]);
        let w = u64::from_le_bytes(w8) >> ((i - (n - 8)) * 8);
        let q = w ^ (LO * u64::from(b'"'));
        let bs = w ^ (LO * u64::from(b'\\'));
        let m = ((q.wrapping_sub(LO) & !q) | (bs.wrapping_sub(LO) & !bs) | (w.wrapping_sub(LO * 0x20) & !w)) & HI;
        return (i + (m.trailing_zeros() / 8) as usize).min(n);
    }
    b[i..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).map_or(n, |p| p + i)
}

type PResult<T> = Result<T, Box<RawError>>;

impl<'a> Parser<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if c == b' ' || c == b'\n' || c == b'\r' || c == b'\t' {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn eof(&self) -> Box<RawError> {
        RawError::new(Code::ParseError, self.i, "unexpected end of input (truncated JSON)")
    }

    fn value(&mut self, depth: usize) -> PResult<Value<'a>> {
        match self.b.get(self.i) {
            None => Err(self.eof()),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(RawError::new(Code::ParseError, self.i, "unexpected character, expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &str, v: Value<'a>) -> PResult<Value<'a>> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else if self.b.len() - self.i < word.len() && word.as_bytes().starts_with(&self.b[self.i..]) {
            Err(self.eof())
        } else {
            Err(RawError::new(Code::ParseError, self.i, "invalid literal"))
        }
    }

    fn number(&mut self) -> PResult<Value<'a>> {
        let start = self.i;
        let b = self.b;
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while matches!(b.get(i), Some(b'0'..=b'9')) {
                    i += 1;
                }
            }
            None => {
                self.i = i;
                return Err(self.eof());
            }
            _ => return Err(RawError::new(Code::ParseError, i, "invalid number")),
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                return Err(RawError::new(Code::ParseError, i, "invalid number: digits expected after '.'"));
            }
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                return Err(RawError::new(Code::ParseError, i, "invalid number: digits expected in exponent"));
            }
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        self.i = i;
        Ok(Value::Number(&self.s[start..i]))
    }

    #[inline(always)]
    fn string(&mut self) -> PResult<&'a str> {
        // at '"'
        self.i += 1;
        let start = self.i;
        let b = self.b;
        if self.clean {
            // no escape or control character anywhere: the string ends at the next quote
            let i = scan_quote(b, start);
            if i == b.len() {
                self.i = i;
                return Err(self.eof());
            }
            self.i = i + 1;
            return Ok(&self.s[start..i]);
        }
        // fast path: no escapes
        let mut i = scan_plain(b, self.i);
        loop {
            match b.get(i) {
                None => {
                    self.i = i;
                    return Err(self.eof());
                }
                Some(b'"') => {
                    self.i = i + 1;
                    return Ok(&self.s[start..i]);
                }
                Some(b'\\') => break,
                Some(&c) if c < 0x20 => {
                    return Err(RawError::new(Code::ParseError, i, "control character in string must be escaped"))
                }
                Some(_) => i += 1,
            }
        }
        let mut out = std::mem::take(&mut self.text);
        out.clear();
        out.push_str(&self.s[start..i]);
        let r = self.unescape(i, &mut out);
        self.text = out;
        r
    }

    /// The rest of a string that has escapes, from `i` (at a `\`), decoded into `out`, then
    /// copied into the arena.
    fn unescape(&mut self, mut i: usize, out: &mut String) -> PResult<&'a str> {
        let b = self.b;
        loop {
            match b.get(i) {
                None => {
                    self.i = i;
                    return Err(self.eof());
                }
                Some(b'"') => {
                    self.i = i + 1;
                    return Ok(self.arena.alloc_str(out));
                }
                Some(b'\\') => {
                    let esc = b.get(i + 1).ok_or_else(|| {
                        self.i = i + 1;
                        self.eof()
                    })?;
                    i += 2;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4(i)?;
                            i += 4;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u') {
                                    let lo = self.hex4(i + 2)?;
                                    if !(0xDC00..0xE000).contains(&lo) {
                                        return Err(RawError::new(Code::ParseError, i, "invalid surrogate pair"));
                                    }
                                    i += 6;
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            match c {
                                Some(c) => out.push(c),
                                None => return Err(RawError::new(Code::ParseError, i, "unpaired surrogate escape")),
                            }
                        }
                        _ => return Err(RawError::new(Code::ParseError, i - 1, "invalid escape sequence")),
                    }
                }
                Some(&c) if c < 0x20 => {
                    return Err(RawError::new(Code::ParseError, i, "control character in string must be escaped"))
                }
                Some(_) => {
                    // copy a run of plain bytes (char boundaries are preserved: we stop only at ASCII)
                    let run = i;
                    i = scan_plain(b, i);
                    out.push_str(&self.s[run..i]);
                }
            }
        }
    }

    fn hex4(&mut self, at: usize) -> PResult<u32> {
        let Some(h) = self.b.get(at..at + 4) else {
            self.i = self.b.len();
            return Err(self.eof());
        };
        let mut v = 0u32;
        for &c in h {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return Err(RawError::new(Code::ParseError, at, "invalid \\u escape")),
            };
            v = v * 16 + u32::from(d);
        }
        Ok(v)
    }

    fn check_depth(&self, depth: usize) -> PResult<()> {
        if depth > self.limits.max_depth {
            let mut e = RawError::new(Code::NestingTooDeep, self.i, "");
            e.message = format!("nesting deeper than {} levels", self.limits.max_depth);
            return Err(e);
        }
        Ok(())
    }

    fn array(&mut self, depth: usize) -> PResult<Value<'a>> {
        self.check_depth(depth)?;
        self.i += 1;
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(Value::Array(&[]));
        }
        let start = self.items.len();
        loop {
            self.ws();
            match self.value(depth + 1) {
                Ok(v) => self.items.push(v),
                Err(mut e) => {
                    e.rev_path.push((self.items.len() - start).to_string());
                    return Err(e);
                }
            }
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    let items: &'a [Value<'a>] = self.arena.alloc_slice_copy(&self.items[start..]);
                    self.items.truncate(start);
                    return Ok(Value::Array(items));
                }
                None => return Err(self.eof()),
                Some(_) => return Err(RawError::new(Code::ParseError, self.i, "expected ',' or ']' in array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> PResult<Value<'a>> {
        self.check_depth(depth)?;
        self.i += 1;
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(Value::Object(&[]));
        }
        let start = self.members.len();
        // one bit per (length, first byte) of the keys seen: a new key is compared with the
        // others only when its bit is already set
        let mut seen = 0u64;
        loop {
            self.ws();
            match self.b.get(self.i) {
                Some(b'"') => {}
                None => return Err(self.eof()),
                Some(_) => return Err(RawError::new(Code::ParseError, self.i, "expected a string key in object")),
            }
            let key_at = self.i;
            let key = self.string()?;
            let bit =
                1u64 << ((key.len().wrapping_mul(7) + usize::from(key.as_bytes().first().copied().unwrap_or(0))) & 63);
            if seen & bit != 0 && self.members[start..].iter().any(|(k, _)| key_eq(k, key)) {
                let mut e = RawError::new(Code::DuplicateKey, key_at, "the same key appears twice in one object");
                e.rev_path.push(key.to_string());
                return Err(e);
            }
            seen |= bit;
            self.ws();
            match self.b.get(self.i) {
                Some(b':') => self.i += 1,
                None => return Err(self.eof()),
                Some(_) => return Err(RawError::new(Code::ParseError, self.i, "expected ':' after object key")),
            }
            self.ws();
            match self.value(depth + 1) {
                Ok(v) => self.members.push((key, v)),
                Err(mut e) => {
                    e.rev_path.push(key.to_string());
                    return Err(e);
                }
            }
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    let members: &'a [(&'a str, Value<'a>)] = self.arena.alloc_slice_copy(&self.members[start..]);
                    self.members.truncate(start);
                    return Ok(Value::Object(members));
                }
                None => return Err(self.eof()),
                Some(_) => return Err(RawError::new(Code::ParseError, self.i, "expected ',' or '}' in object")),
            }
        }
    }
}

/// Append `s` as a JSON string literal (used by hand-written fast paths).
pub fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Value<'static>, ParseError> {
        let arena: &'static Arena = Box::leak(Box::default());
        let s: &'static str = Box::leak(s.to_string().into_boxed_str());
        parse(s.as_bytes(), Limits::default(), arena)
    }

    #[test]
    fn parses_nested_values_and_keeps_big_integers_exact() {
        let v = p(r#"{"a":[1,2.50,-3e2,true,null],"big":12345678901234567891,"s":"x\u00e9\ud83d\ude00\n"}"#).unwrap();
        assert_eq!(v.get("big"), Some(&Value::Number("12345678901234567891")));
        assert_eq!(v.get("s").and_then(Value::as_str), Some("xé😀\n"));
        let Some(Value::Array(a)) = v.get("a") else { panic!("array") };
        assert_eq!(a[1], Value::Number("2.50"));
    }

    #[test]
    fn duplicate_key_is_rejected_with_pointer() {
        let e = p(r#"{"a":{"b":1,"b":2}}"#).unwrap_err();
        assert_eq!(e.code, Code::DuplicateKey);
        assert_eq!(e.pointer, "/a/b");
    }

    #[test]
    fn duplicate_keys_are_found_among_many_keys_whatever_their_length_and_first_byte() {
        // 200 distinct keys share the 64 filter bits: all accepted, in order
        let keys: Vec<String> = (0..200).map(|i| format!("k{i}")).collect();
        let body: Vec<String> = keys.iter().map(|k| format!("\"{k}\":1")).collect();
        let v = p(&format!("{{{}}}", body.join(","))).unwrap();
        let Value::Object(m) = v else { panic!("object") };
        assert_eq!(m.iter().map(|(k, _)| (*k).to_string()).collect::<Vec<_>>(), keys);
        // a repeat of any one of them (escaped or not) is rejected with its pointer
        for dup in ["k0", "k137", "k199"] {
            let doc = format!("{{{},\"{dup}\":2}}", body.join(","));
            let e = p(&doc).unwrap_err();
            assert_eq!((e.code, e.pointer.as_str()), (Code::DuplicateKey, &*format!("/{dup}")));
        }
        let e = p(r#"{"ab":1,"b":2,"\u0061b":3}"#).unwrap_err();
        assert_eq!((e.code, e.pointer.as_str()), (Code::DuplicateKey, "/ab"));
        assert!(p(r#"{"":1,"a":2,"b":3}"#).is_ok());
        assert_eq!(p(r#"{"":1,"":2}"#).unwrap_err().code, Code::DuplicateKey);
    }

    #[test]
    fn truncated_json_is_a_parse_error_with_offset() {
        let e = p(r#"{"a":[1,2"#).unwrap_err();
        assert_eq!(e.code, Code::ParseError);
        assert_eq!(e.offset, 9);
        assert_eq!(e.pointer, "/a");
    }

    #[test]
    fn invalid_utf8_reports_offset() {
        let e = parse(b"{\"a\":\"\xff\"}", Limits::default(), &Arena::new()).unwrap_err();
        assert_eq!(e.code, Code::InvalidUtf8);
        assert_eq!(e.offset, 6);
    }

    #[test]
    fn deep_nesting_stops_at_the_limit() {
        let s = "[".repeat(100_000) + &"]".repeat(100_000);
        let e = p(&s).unwrap_err();
        assert_eq!(e.code, Code::NestingTooDeep);
        assert_eq!(e.pointer.matches('/').count(), 32);
    }

    #[test]
    fn rejects_grammar_errors() {
        for bad in
            ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"a\nb\"", "tru", "nul", "{} x", "\"\\ud800\""]
        {
            assert!(p(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn plain_run_scan_finds_the_first_special_byte() {
        let naive = |b: &[u8], i: usize| {
            b[i..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).map_or(b.len(), |p| p + i)
        };
        let specials = [b'"', b'\\', 0u8, 0x1f, b'\n'];
        let fillers = [b'a', 0x20, 0x7f, 0x80, 0xff, b'!', b'#', b'[', b']', 0x21, 0x5b, 0x5d, 0x60];
        for len in 0..40 {
            for at in 0..=len {
                for &sp in &specials {
                    for &f in &fillers {
                        let mut b = vec![f; len];
                        if at < len {
                            b[at] = sp;
                        }
                        for start in [0, 1, 3].into_iter().filter(|s| *s <= len) {
                            assert_eq!(scan_plain(&b, start), naive(&b, start), "len {len} at {at} sp {sp} f {f}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn pointer_escapes_special_characters() {
        let e = p(r#"{"a/b":{"c~d":[}}"#).unwrap_err();
        assert_eq!(e.pointer, "/a~1b/c~0d/0");
    }

    fn collect_strings<'a>(v: &Value<'a>, out: &mut Vec<&'a str>) {
        match v {
            Value::String(s) => out.push(s),
            Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
            Value::Object(m) => m.iter().for_each(|(k, x)| {
                out.push(k);
                collect_strings(x, out);
            }),
            _ => {}
        }
    }

    proptest::proptest! {
        /// The clean-document fast paths (string end at the next quote; strings written
        /// without escaping) agree with serde_json on documents with and without escapes.
        #[test]
        fn clean_and_escaped_documents_parse_and_write_like_serde_json(
            strings in proptest::collection::vec("[a-z \"\\\\/\u{0}-\u{1f}é😀\u{7f}]{0,12}", 1..6),
            raw_tab in proptest::bool::ANY,
        ) {
            let mut doc = serde_json::to_string(&serde_json::json!({ "k": strings, "o": { "x": strings[0] } })).unwrap();
            if raw_tab {
                doc = doc.replacen(':', ":\t", 1);
            }
            let arena = Arena::new();
            let mut scratch = Scratch::default();
            let v = parse_with(doc.as_bytes(), Limits::default(), &arena, &mut scratch).unwrap();
            proptest::prop_assert_eq!(scratch.clean, is_clean(doc.as_bytes()));
            proptest::prop_assert_eq!(v.to_serde(), serde_json::from_str::<serde_json::Value>(&doc).unwrap());
            let _clean = scratch.clean.then(|| crate::jsonw::CleanInput::new(doc.as_bytes()));
            let mut found = Vec::new();
            collect_strings(&v, &mut found);
            for s in found {
                let mut out = Vec::new();
                crate::jsonw::string(&mut out, s);
                proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(s).unwrap());
            }
        }
    }

    #[test]
    fn truncated_clean_string_is_an_end_of_input_error() {
        let e = p(r#"{"a":"xyz"#).unwrap_err();
        assert_eq!(e.code, Code::ParseError);
        assert!(e.message.contains("truncated"), "{}", e.message);
    }
}
