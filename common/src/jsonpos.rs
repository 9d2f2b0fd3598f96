//! Positions of JSON values: maps JSON pointers (`/Statement/0/Action`) to 1-based line and
//! column in the source text, so findings on JSON files point at the exact spot.
//!
//! The scanner is iterative (no recursion: deep nesting cannot overflow the stack) and
//! tolerant: on malformed text it returns what it found so far. Use it on text that
//! `serde_json` already accepted.

use std::collections::HashMap;

/// 1-based line and column of a byte offset (column counted in characters).
#[must_use]
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(col).unwrap_or(u32::MAX))
}

/// Escape one reference token of a JSON pointer (RFC 6901).
#[must_use]
pub fn escape_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

enum Frame {
    Object { key: Option<String> },
    Array { index: usize },
}

/// Pointer → (line, column) for every value in the document.
#[derive(Debug, Default, Clone)]
pub struct PositionIndex {
    map: HashMap<String, (u32, u32)>,
}

impl PositionIndex {
    /// Scan `text` once.
    #[must_use]
    pub fn new(text: &str) -> Self {
        let mut map = HashMap::new();
        // Offsets arrive in increasing order: track line and column incrementally so that
        // indexing stays linear in the size of the text (large or minified files).
        let bytes = text.as_bytes();
        let (mut at, mut line, mut col) = (0usize, 1usize, 1usize);
        scan(text, |ptr, off| {
            let off = off.min(bytes.len());
            let pos = if off >= at {
                let seg = &bytes[at..off];
                match seg.iter().rposition(|&b| b == b'\n') {
                    Some(nl) => {
                        line += seg.iter().filter(|&&b| b == b'\n').count();
                        col = 1 + seg[nl + 1..].iter().filter(|&&b| (b & 0xC0) != 0x80).count();
                    }
                    None => col += seg.iter().filter(|&&b| (b & 0xC0) != 0x80).count(),
                }
                at = off;
                (u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(col).unwrap_or(u32::MAX))
            } else {
                line_col(text, off)
            };
            map.entry(ptr.to_string()).or_insert(pos);
        });
        Self { map }
    }

    /// Position of the value at `pointer`, or of its nearest ancestor that exists.
    #[must_use]
    pub fn get(&self, pointer: &str) -> Option<(u32, u32)> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.map.get(p) {
                return Some(*pos);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }
}

/// Values deeper than this are not indexed (serde_json refuses more than 128 levels anyway).
const MAX_DEPTH: usize = 256;

/// The current pointer, kept incrementally so every step is O(token length).
#[derive(Default)]
struct Ptr {
    text: String,
    starts: Vec<usize>,
}

impl Ptr {
    fn push(&mut self, tok: &str) {
        self.starts.push(self.text.len());
        if self.starts.len() <= MAX_DEPTH {
            self.text.push('/');
            self.text.push_str(tok);
        }
    }
    fn pop(&mut self) {
        if let Some(s) = self.starts.pop() {
            self.text.truncate(s.min(self.text.len()));
        }
    }
    fn replace_last(&mut self, tok: &str) {
        self.pop();
        self.push(tok);
    }
    fn depth_ok(&self) -> bool {
        self.starts.len() <= MAX_DEPTH
    }
}

/// Calls `visit(pointer, byte_offset)` for the start of every value.
fn scan(text: &str, mut visit: impl FnMut(&str, usize)) {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut path = Ptr::default();
    let mut i = 0;
    let mut expect_key = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\n' | b'\r' | b'\t' | b',' | b':' => {
                if c == b',' {
                    match stack.last_mut() {
                        Some(Frame::Array { index }) => {
                            *index += 1;
                            path.replace_last(&index.to_string());
                        }
                        Some(Frame::Object { key }) => {
                            *key = None;
                            expect_key = true;
                        }
                        None => {}
                    }
                }
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                let mut s = Vec::new();
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        s.push(b[i]);
                        i += 1;
                    }
                    s.push(b[i]);
                    i += 1;
                }
                i += 1;
                if expect_key {
                    let raw = String::from_utf8_lossy(&s).into_owned();
                    let key: String = serde_json::from_str(&format!("\"{raw}\"")).unwrap_or(raw);
                    let tok = escape_token(&key);
                    if let Some(Frame::Object { key: k }) = stack.last_mut() {
                        *k = Some(String::new());
                    }
                    path.push(&tok);
                    expect_key = false;
                } else {
                    if path.depth_ok() {
                        visit(&path.text, start);
                    }
                    pop_key(&mut stack, &mut path);
                }
            }
            b'{' | b'[' => {
                if path.depth_ok() {
                    visit(&path.text, i);
                }
                if c == b'{' {
                    stack.push(Frame::Object { key: None });
                    expect_key = true;
                } else {
                    stack.push(Frame::Array { index: 0 });
                    path.push("0");
                }
                i += 1;
                // empty containers
                let mut j = i;
                while j < b.len() && matches!(b[j], b' ' | b'\n' | b'\r' | b'\t') {
                    j += 1;
                }
                if j < b.len() && (b[j] == b']' || b[j] == b'}') {
                    if c == b'[' {
                        path.pop();
                    }
                    stack.pop();
                    expect_key = false;
                    i = j + 1;
                    pop_key(&mut stack, &mut path);
                }
            }
            b'}' | b']' => {
                if c == b']' {
                    path.pop();
                }
                stack.pop();
                expect_key = false;
                i += 1;
                pop_key(&mut stack, &mut path);
            }
            _ => {
                if path.depth_ok() {
                    visit(&path.text, i);
                }
                while i < b.len() && !matches!(b[i], b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                    i += 1;
                }
                pop_key(&mut stack, &mut path);
            }
        }
    }
}

/// After a value inside an object, drop its key from the path.
fn pop_key(stack: &mut [Frame], path: &mut Ptr) {
    if let Some(Frame::Object { key }) = stack.last_mut() {
        if key.take().is_some() {
            path.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:*\"], \"Resource\": \"*\"},\n    {\"a/b\": {}, \"Effect\": \"Deny\", \"x\": [], \"n\": 12}\n  ]\n}";

    #[test]
    fn finds_nested_values() {
        let idx = PositionIndex::new(DOC);
        assert_eq!(idx.get(""), Some((1, 1)));
        assert_eq!(idx.get("/Version"), Some((2, 14)));
        assert_eq!(idx.get("/Statement/0"), Some((4, 5)));
        assert_eq!(idx.get("/Statement/0/Action/1"), Some((4, 52)));
        assert_eq!(idx.get("/Statement/1/a~1b"), Some((5, 13)));
        assert_eq!(idx.get("/Statement/1/Effect"), Some((5, 27)));
        assert_eq!(idx.get("/Statement/1/n"), Some((5, 49)));
        // missing child falls back to its parent
        assert_eq!(idx.get("/Statement/1/Nope"), Some((5, 5)));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = "[".repeat(200_000) + &"]".repeat(200_000);
        let idx = PositionIndex::new(&deep);
        assert_eq!(idx.get(""), Some((1, 1)));
    }

    #[test]
    fn line_col_counts_chars() {
        assert_eq!(line_col("ab\ncé\nx", 7), (3, 1));
        assert_eq!(line_col("ab\ncéz", 6), (2, 3));
    }
}
