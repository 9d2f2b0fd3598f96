//! A small compact-JSON writer for the hot outputs (inquiries and case imports).
//!
//! It writes exactly what `serde_json::to_vec` writes for the same data (same escaping: `\"`,
//! `\\`, `\b \f \n \r \t`, other C0 controls as `\u00xx`, nothing else escaped; same number
//! formatting), without going through `io::Write` and the serde data model, and copies runs of
//! plain bytes at once. Keys are static identifiers and are written as they are. Tests compare
//! it with serde_json.

use std::cell::Cell;

thread_local! {
    /// Address range of the record being translated when it is [`crate::json::is_clean`]
    /// (empty otherwise): strings that lie inside it need no escaping.
    static CLEAN_INPUT: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// While alive, strings that are slices of `input` are copied without looking for
/// characters to escape. Only for a document that [`crate::json::is_clean`] accepted and that
/// was parsed: its strings are then the plain text between their quotes.
pub struct CleanInput(());

impl CleanInput {
    #[must_use]
    pub fn new(input: &[u8]) -> Self {
        debug_assert!(crate::json::is_clean(input));
        let lo = input.as_ptr() as usize;
        CLEAN_INPUT.with(|c| c.set((lo, lo + input.len())));
        CleanInput(())
    }
}

impl Drop for CleanInput {
    fn drop(&mut self) {
        CLEAN_INPUT.with(|c| c.set((0, 0)));
    }
}

/// Append `s` as a JSON string literal.
#[inline]
pub fn string(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    let at = b.as_ptr() as usize;
    let (lo, hi) = CLEAN_INPUT.with(Cell::get);
    if at >= lo && at + b.len() <= hi && lo != hi {
        debug_assert_eq!(crate::json::scan_plain(b, 0), b.len());
        out.reserve(b.len() + 2);
        out.push(b'"');
        out.extend_from_slice(b);
        out.push(b'"');
        return;
    }
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut start = 0;
    loop {
        let i = crate::json::scan_plain(b, start);
        out.extend_from_slice(&b[start..i]);
        let Some(&c) = b.get(i) else { break };
        start = i + 1;
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            c => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(c >> 4)], HEX[usize::from(c & 0xF)]]);
            }
        }
    }
    out.push(b'"');
}

/// `v` in decimal, written at the end of `buf`.
#[inline]
pub fn decimal(buf: &mut [u8; 20], mut v: u64) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or_default()
}

/// Append an unsigned integer.
#[inline]
pub fn u64(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 20];
    out.extend_from_slice(decimal(&mut buf, v).as_bytes());
}

/// Append a signed integer.
#[inline]
pub fn i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    u64(out, v.unsigned_abs());
}

/// Append a float as serde_json does (shortest round-trip form; `null` when not finite).
pub fn f64(out: &mut Vec<u8>, v: f64) {
    if serde_json::to_writer(&mut *out, &v).is_err() {
        out.extend_from_slice(b"null");
    }
}

/// An object being written; members are added with the typed methods, then [`Obj::end`].
pub struct Obj<'b> {
    out: &'b mut Vec<u8>,
    first: bool,
}

impl<'b> Obj<'b> {
    #[inline]
    pub fn new(out: &'b mut Vec<u8>) -> Self {
        out.push(b'{');
        Obj { out, first: true }
    }

    /// Write `"key":` (keys are plain identifiers: nothing to escape).
    #[inline]
    pub fn key(&mut self, k: &str) -> &mut Vec<u8> {
        if self.first {
            self.first = false;
        } else {
            self.out.push(b',');
        }
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    #[inline]
    pub fn str(&mut self, k: &str, v: &str) {
        string(self.key(k), v);
    }

    #[inline]
    pub fn opt_str(&mut self, k: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.str(k, v);
        }
    }

    #[inline]
    pub fn u64(&mut self, k: &str, v: u64) {
        u64(self.key(k), v);
    }

    #[inline]
    pub fn opt_u64(&mut self, k: &str, v: Option<u64>) {
        if let Some(v) = v {
            self.u64(k, v);
        }
    }

    #[inline]
    pub fn i64(&mut self, k: &str, v: i64) {
        i64(self.key(k), v);
    }

    #[inline]
    pub fn bool(&mut self, k: &str, v: bool) {
        self.key(k).extend_from_slice(if v { b"true" } else { b"false" });
    }

    #[inline]
    pub fn null(&mut self, k: &str) {
        self.key(k).extend_from_slice(b"null");
    }

    /// A nested object member.
    #[inline]
    pub fn obj(&mut self, k: &str) -> Obj<'_> {
        Obj::new(self.key(k))
    }

    /// A nested array member.
    #[inline]
    pub fn arr(&mut self, k: &str) -> Arr<'_> {
        Arr::new(self.key(k))
    }

    /// An array of strings.
    pub fn strs<S: AsRef<str>>(&mut self, k: &str, items: &[S]) {
        let mut a = self.arr(k);
        for s in items {
            a.str(s.as_ref());
        }
        a.end();
    }

    #[inline]
    pub fn end(self) {
        self.out.push(b'}');
    }
}

/// An array being written.
pub struct Arr<'b> {
    out: &'b mut Vec<u8>,
    first: bool,
}

impl<'b> Arr<'b> {
    #[inline]
    pub fn new(out: &'b mut Vec<u8>) -> Self {
        out.push(b'[');
        Arr { out, first: true }
    }

    /// Position for the next element (writes the separator).
    #[inline]
    pub fn item(&mut self) -> &mut Vec<u8> {
        if self.first {
            self.first = false;
        } else {
            self.out.push(b',');
        }
        self.out
    }

    #[inline]
    pub fn str(&mut self, v: &str) {
        string(self.item(), v);
    }

    #[inline]
    pub fn obj(&mut self) -> Obj<'_> {
        Obj::new(self.item())
    }

    #[inline]
    pub fn end(self) {
        self.out.push(b']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_like_serde_json() {
        let mut all = String::new();
        for c in 0u8..0x80 {
            all.push(char::from(c));
        }
        for s in [all.as_str(), "", "plain", "é😀\u{2028}\u{7f}", "a\"b\\c/d", "\u{1}x\u{1f}"] {
            let mut out = Vec::new();
            string(&mut out, s);
            assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn numbers_are_written_like_serde_json() {
        for v in [0u64, 1, 9, 10, 99, 12345, u64::MAX] {
            let mut out = Vec::new();
            u64(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap(), v.to_string());
        }
        for v in [0i64, -1, 17, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            i64(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap(), v.to_string());
        }
        for v in [0.0f64, 1.0, 0.95, 1e-7, 123.456, f64::NAN] {
            let mut out = Vec::new();
            f64(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&v).unwrap());
        }
    }

    #[test]
    fn objects_and_arrays_nest() {
        let mut out = Vec::new();
        let mut o = Obj::new(&mut out);
        o.str("a", "x");
        o.opt_str("skip", None);
        {
            let mut a = o.arr("b");
            a.str("1");
            let mut inner = a.obj();
            inner.u64("n", 2);
            inner.null("z");
            inner.end();
            a.end();
        }
        o.bool("t", true);
        o.end();
        assert_eq!(String::from_utf8(out).unwrap(), r#"{"a":"x","b":["1",{"n":2,"z":null}],"t":true}"#);
    }
}
