//! PII redaction with rules kept as data in `rules/log-shipper/*.toml`.
//!
//! Two evaluators:
//! * `pattern` — a regular expression over every string value, with an optional validator
//!   (`luhn`) and digit-count bounds, replaced by the rule's `replacement`;
//! * `field` — the whole value of any field whose name is listed (case-insensitive).
//!
//! Fast path: [`Redactor::redact_payload`] first walks the raw JSON text string by string (no
//! tree, no copies) and asks each string and number what [`Redactor::redact_value`] would ask it.
//! When nothing would change, the payload is shipped unchanged without being parsed into a tree.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use common::rules::{RuleMeta, RuleSet};
use regex::Regex;
use serde_json::value::RawValue;
use serde_json::Value;

include!(concat!(env!("OUT_DIR"), "/rules.rs"));

/// The redaction rules compiled into the binary.
pub fn embedded_rules() -> Result<RuleSet, common::rules::RuleLoadError> {
    RuleSet::from_sources(RULE_FILES.iter().copied())
}

/// A rule that cannot be compiled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedactError {
    /// Bad or missing parameter.
    #[error("redaction rule {code}: {message}")]
    Param {
        /// Rule code.
        code: String,
        /// What is wrong.
        message: String,
    },
    /// Unknown evaluator id.
    #[error("redaction rule {code}: unknown evaluator `{evaluator}` (expected `pattern` or `field`)")]
    Evaluator {
        /// Rule code.
        code: String,
        /// The evaluator named in the file.
        evaluator: String,
    },
}

#[derive(Debug)]
enum Trigger {
    Always,
    Char(char),
    Digits(usize),
}

#[derive(Debug)]
struct PatternRule {
    code: String,
    regex: Regex,
    trigger: Trigger,
    luhn: bool,
    min_digits: usize,
    max_digits: usize,
    /// A match of at most `short_digits` digits passes only when it starts with one of
    /// `short_prefixes` (13-digit card numbers are Visa's and start with 4; a 13-digit
    /// millisecond timestamp starts with 1). Empty: no such condition.
    short_digits: usize,
    short_prefixes: Vec<Vec<u8>>,
    replacement: String,
    /// For the digit patterns shipped in `rules/log-shipper/` (the exact pattern text, compiled
    /// in ASCII mode): every match holds a [digit chain](max_digit_chain) of at least this many
    /// digits, so a string without one cannot match. `None` for any other pattern.
    chain_min: Option<usize>,
}

/// The shipped digit patterns and the shortest digit chain each of their matches contains.
/// Every alternative starts with a digit at an ASCII word boundary (`\b\d`, or the `1` of
/// `\+1\d{10}` right after `+`), and between two consecutive digits of a match there are at
/// most two characters, each one of ` `, `-`, `.`, `)` (`[ \-]?` for cards and SINs,
/// `\)?[ .\-]` for phones).
const KNOWN_DIGIT_PATTERNS: [(&str, usize); 3] = [
    (r"\b(?:\d[ \-]?){12,18}\d\b", 13),
    (r"\b\d{3}[ \-]?\d{3}[ \-]?\d{3}\b", 9),
    (r"(?:\+1[ .\-]?)?\(?\b\d{3}\)?[ .\-]\d{3}[ .\-]\d{4}\b|\+1\d{10}\b", 10),
];

/// The most digits in one chain of `s`: a chain starts at an ASCII digit at an ASCII word
/// boundary (at the start, or after a byte that is not `[0-9A-Za-z_]`) and goes on through
/// digits separated by at most two bytes, each one of ` `, `-`, `.`, `)`. Every match of a
/// [`KNOWN_DIGIT_PATTERNS`] entry lies inside one chain (its first digit starts or continues
/// one, and each next digit continues it), so a chain shorter than the entry's minimum rules
/// the pattern out.
///
/// Counted up to [`CHAIN_CAP`] (longer chains report the cap), enough for every minimum.
fn max_digit_chain(s: &[u8]) -> usize {
    // Before the first digit at a word boundary no chain can start, so the scan starts there
    // (in the same state: no chain, the byte before it not a word byte).
    first_boundary_digit(s).map_or(0, |p| chain_table_scan(&s[p..]))
}

/// Chains are counted up to this many digits: the largest minimum of [`KNOWN_DIGIT_PATTERNS`].
const CHAIN_CAP: usize = 13;
const _: () = {
    let mut i = 0;
    while i < KNOWN_DIGIT_PATTERNS.len() {
        assert!(KNOWN_DIGIT_PATTERNS[i].1 <= CHAIN_CAP);
        i += 1;
    }
};

/// The chain scan as a table-driven state machine (no branches per byte). States: 0 = no chain,
/// previous byte not a word byte (or the start); 1 = no chain, previous byte a word byte;
/// `2 + 3 (k - 1) + g` = a chain of `k` digits (capped) and `g` separators since its last
/// digit. Byte classes: 0 digit, 1 separator (` -.)`), 2 other non-word byte, 3 other word byte.
const CHAIN_STATES: usize = 2 + 3 * CHAIN_CAP;

const fn chain_state(k: usize, g: usize) -> u8 {
    (2 + 3 * (k - 1) + g) as u8
}

static CHAIN_CLASS: [u8; 256] = {
    let mut t = [2u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_digit() {
            0
        } else if matches!(b, b' ' | b'-' | b'.' | b')') {
            1
        } else if b.is_ascii_alphanumeric() || b == b'_' {
            3
        } else {
            2
        };
        c += 1;
    }
    t
};

static CHAIN_NEXT: [[u8; 4]; CHAIN_STATES] = {
    let mut t = [[0u8; 4]; CHAIN_STATES];
    t[0] = [chain_state(1, 0), 0, 0, 1];
    // A digit right after a word byte starts no chain.
    t[1] = [1, 0, 0, 1];
    let mut k = 1;
    while k <= CHAIN_CAP {
        let next_k = if k < CHAIN_CAP { k + 1 } else { CHAIN_CAP };
        let mut g = 0;
        while g < 3 {
            let sep = if g < 2 { chain_state(k, g + 1) } else { 0 };
            t[chain_state(k, g) as usize] = [chain_state(next_k, 0), sep, 0, 1];
            g += 1;
        }
        k += 1;
    }
    t
};

static CHAIN_LEN: [u8; CHAIN_STATES] = {
    let mut t = [0u8; CHAIN_STATES];
    let mut k = 1;
    while k <= CHAIN_CAP {
        let mut g = 0;
        while g < 3 {
            t[chain_state(k, g) as usize] = k as u8;
            g += 1;
        }
        k += 1;
    }
    t
};

fn chain_table_scan(s: &[u8]) -> usize {
    let (mut state, mut best) = (0u8, 0u8);
    for &c in s {
        state = CHAIN_NEXT[usize::from(state)][usize::from(CHAIN_CLASS[usize::from(c)])];
        best = best.max(CHAIN_LEN[usize::from(state)]);
    }
    usize::from(best)
}

const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit of each byte of `x` that lies in `lo..=hi` (ASCII bounds, `hi < 0x7f`).
fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    let y = x & LO7;
    // per byte, no carries (y < 0x80): >= lo, and not > hi, and not a non-ASCII byte
    let ge = (y + LO * u64::from(0x80 - lo)) & HI;
    let gt = (y + LO * u64::from(0x7f - hi)) & HI;
    ge & !gt & !x & HI
}

/// High bit of each ASCII digit byte of `x`, and of each word byte (`[0-9A-Za-z_]`).
fn digit_and_word(x: u64) -> (u64, u64) {
    const LO: u64 = 0x0101_0101_0101_0101;
    let d = in_range(x, b'0', b'9');
    // `| 0x20` folds A-Z onto a-z and moves no other ASCII byte into a-z.
    let letters = in_range(x | (LO * 0x20), b'a', b'z') & !x;
    let z = x ^ (LO * u64::from(b'_'));
    let underscore = !(((z & LO7) + LO7) | z) & HI;
    (d, d | letters | underscore)
}

/// Index of the first ASCII digit at an ASCII word boundary (at the start, or after a byte
/// that is not `[0-9A-Za-z_]`), eight bytes at a time.
fn first_boundary_digit(s: &[u8]) -> Option<usize> {
    let mut prev_word = 0u64;
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let (d, word) = digit_and_word(u64::from_le_bytes(w));
        // The word bit of the byte before each byte (little endian: one byte up).
        let before = (word << 8) | prev_word;
        let starts = d & !before;
        if starts != 0 {
            return Some(at + (starts.trailing_zeros() / 8) as usize);
        }
        prev_word = (word >> 56) & 0x80;
        at += 8;
    }
    let mut prev = prev_word != 0;
    for (i, &c) in chunks.remainder().iter().enumerate() {
        if c.is_ascii_digit() && !prev {
            return Some(at + i);
        }
        prev = c.is_ascii_alphanumeric() || c == b'_';
    }
    None
}

/// [`max_digit_chain`] by a plain scan of every byte, uncapped (the reference in tests).
#[cfg(test)]
fn chain_scan(s: &[u8]) -> usize {
    let (mut best, mut cur) = (0usize, 0usize);
    // Bytes since the last digit of the current chain, while they are all separators.
    let mut gap = 0usize;
    let mut prev_word = false;
    for &c in s {
        if c.is_ascii_digit() {
            if cur > 0 && gap <= 2 {
                cur += 1;
            } else if !prev_word {
                cur = 1;
            } else {
                cur = 0;
            }
            best = best.max(cur);
            gap = 0;
            prev_word = true;
        } else {
            if cur > 0 {
                if matches!(c, b' ' | b'-' | b'.' | b')') {
                    gap += 1;
                    if gap > 2 {
                        cur = 0;
                    }
                } else {
                    cur = 0;
                }
            }
            prev_word = c.is_ascii_alphanumeric() || c == b'_';
        }
    }
    best
}

/// Compiled redaction rules plus per-rule hit counters.
#[derive(Debug)]
pub struct Redactor {
    patterns: Vec<PatternRule>,
    fields: HashSet<String>,
    /// Alternation of every pattern: one call decides for a string whose triggers fired.
    any: Option<Regex>,
    /// Field names by length (lowercase ASCII folding, as `redact_value` compares them).
    keys_by_len: Vec<Vec<Vec<u8>>>,
    /// Per length, a bit per first byte of the names of that length (a 256-bit set).
    key_first: Vec<[u64; 4]>,
    /// Identifies this redactor in the per-thread memo of unchanged strings.
    id: u64,
    /// Strings shorter than this fire no digit trigger, so they are not worth the memo.
    memo_min_len: usize,
    /// Without an always-on rule and without any one-character trigger in the payload, a
    /// string shorter than this (the smallest digit trigger) fires no rule.
    short_len: usize,
    /// Bits (as in `chars`) of the rules with a one-character trigger.
    char_bits: u64,
    field_code: String,
    field_replacement: String,
    hits: Vec<(String, AtomicU64)>,
}

fn param_str<'a>(r: &'a RuleMeta, key: &str) -> Option<&'a str> {
    r.params.get(key).and_then(toml::Value::as_str)
}

fn param_usize(r: &RuleMeta, key: &str, default: usize) -> usize {
    usize::try_from(r.param_i64(key, i64::try_from(default).unwrap_or(i64::MAX))).unwrap_or(default)
}

/// Compile in ASCII mode when the pattern allows it: `\b` and `\d` then run on the fast DFA
/// engines (Unicode word boundaries force the slow ones).
fn compile(pat: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pat).unicode(false).build().or_else(|_| Regex::new(pat))
}

const MEMO_SLOTS: usize = 1024;
const MEMO_MAX_LEN: usize = 96;

thread_local! {
    /// (redactor id, string) pairs known not to change; direct-mapped by a hash of the string.
    static MEMO: std::cell::RefCell<Vec<(u64, String)>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn memo_slot(s: &[u8]) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |w: u64| h = (h ^ w).wrapping_mul(0x0100_0000_01b3).rotate_left(23);
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        mix(u64::from_le_bytes(w));
    }
    // The tail byte by byte: a copy of a variable length would be a `memcpy` call.
    let tail = chunks.remainder();
    if !tail.is_empty() {
        mix(tail.iter().rev().fold(0u64, |w, &c| (w << 8) | u64::from(c)));
    }
    (h ^ (h >> 29)) as usize % MEMO_SLOTS
}

/// The number of flagged bytes of `m`, a word with only the high bit of a byte set or clear:
/// one multiply that adds the bytes (the target has no `popcnt` instruction, so `count_ones`
/// is a dozen instructions).
fn count_flags(m: u64) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    ((m >> 7).wrapping_mul(LO) >> 56) as usize
}

/// ASCII digits in `b`, eight bytes at a time.
fn count_digits(b: &[u8]) -> usize {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut n = 0usize;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        let y = x & LO7;
        // per byte (no carries: y < 0x80): >= '0' and not > '9', and not a non-ASCII byte
        let ge = (y + 0x5050_5050_5050_5050) & HI;
        let gt = (y + 0x4646_4646_4646_4646) & HI;
        n += count_flags(ge & !gt & !x & HI);
    }
    n + chunks.remainder().iter().filter(|c| c.is_ascii_digit()).count()
}

/// [`string_end`](crate::cloudtrail::string_end) of the JSON string at `b[start] == '"'`, and
/// the number of ASCII digits in its raw text up to the first escape (all of them when it has
/// none), eight bytes at a time.
fn string_end_counting(b: &[u8], start: usize) -> Option<(usize, bool, usize)> {
    const LO: u64 = 0x0101_0101_0101_0101;
    let mut i = start + 1;
    let mut digits = 0usize;
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let x = u64::from_le_bytes(w);
        let q = x ^ (LO * u64::from(b'"'));
        let s = x ^ (LO * u64::from(b'\\'));
        // The lowest flagged byte is always a real `"` or `\\`.
        let m = (q.wrapping_sub(LO) & !q & HI) | (s.wrapping_sub(LO) & !s & HI);
        let d = in_range(x, b'0', b'9');
        if m != 0 {
            let p = (m.trailing_zeros() / 8) as usize;
            // Digits of the bytes before it (p < 8).
            digits += count_flags(d & ((1u64 << (8 * p)) - 1));
            if b[i + p] == b'"' {
                return Some((i + p + 1, false, digits));
            }
            return crate::cloudtrail::string_end(b, i + p - 1).map(|(end, _)| (end, true, digits));
        }
        digits += count_flags(d);
        i += 8;
    }
    let p = crate::cloudtrail::find_quote_or_backslash(b, i)?;
    digits += b[i..p].iter().filter(|c| c.is_ascii_digit()).count();
    if b[p] == b'"' {
        return Some((p + 1, false, digits));
    }
    crate::cloudtrail::string_end(b, p - 1).map(|(end, _)| (end, true, digits))
}

/// The Luhn checksum (cards, SINs).
#[must_use]
pub fn luhn_valid(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(*d);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

impl Redactor {
    /// Compile the rules of `rules` except the codes in `disabled`; `extra_fields` extends the
    /// `field` rule's list.
    pub fn new(rules: &RuleSet, disabled: &[String], extra_fields: &[String]) -> Result<Self, RedactError> {
        let mut patterns = Vec::new();
        let mut fields = HashSet::new();
        let mut field_code = String::from("LS105");
        let mut field_replacement = String::from("[REDACTED:field]");
        let mut hits = Vec::new();
        for r in rules.rules() {
            if disabled.iter().any(|d| d.eq_ignore_ascii_case(&r.code) || d.eq_ignore_ascii_case(&r.name)) {
                continue;
            }
            let perr = |message: String| RedactError::Param { code: r.code.clone(), message };
            match r.evaluator.as_str() {
                "pattern" => {
                    let pat = param_str(r, "pattern").ok_or_else(|| perr("missing `pattern`".into()))?;
                    let regex = compile(pat).map_err(|e| perr(format!("invalid `pattern`: {e}")))?;
                    let ascii = regex::RegexBuilder::new(pat).unicode(false).build().is_ok();
                    let chain_min = KNOWN_DIGIT_PATTERNS
                        .iter()
                        .find(|(known, _)| ascii && *known == pat)
                        .map(|&(_, n)| n);
                    let trigger = match param_str(r, "trigger") {
                        None | Some("") => Trigger::Always,
                        Some(t) if t.starts_with("digits:") => Trigger::Digits(
                            t["digits:".len()..].parse().map_err(|_| perr(format!("invalid `trigger` {t:?}")))?,
                        ),
                        Some(t) if t.chars().count() == 1 => Trigger::Char(t.chars().next().unwrap_or('@')),
                        Some(t) => return Err(perr(format!("invalid `trigger` {t:?}"))),
                    };
                    let luhn = match param_str(r, "validator") {
                        None => false,
                        Some("luhn") => true,
                        Some(v) => return Err(perr(format!("unknown `validator` {v:?} (expected `luhn`)"))),
                    };
                    patterns.push(PatternRule {
                        code: r.code.clone(),
                        regex,
                        trigger,
                        luhn,
                        min_digits: param_usize(r, "min_digits", 0),
                        max_digits: param_usize(r, "max_digits", usize::MAX),
                        short_digits: param_usize(r, "short_digits", 0),
                        short_prefixes: r
                            .param_strings("short_prefixes")
                            .iter()
                            .map(|p| p.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect())
                            .collect(),
                        replacement: param_str(r, "replacement").unwrap_or("[REDACTED]").to_string(),
                        chain_min,
                    });
                }
                "field" => {
                    for f in r.param_strings("fields") {
                        fields.insert(f.to_ascii_lowercase());
                    }
                    field_code = r.code.clone();
                    if let Some(rep) = param_str(r, "replacement") {
                        field_replacement = rep.to_string();
                    }
                }
                other => return Err(RedactError::Evaluator { code: r.code.clone(), evaluator: other.to_string() }),
            }
            hits.push((r.code.clone(), AtomicU64::new(0)));
        }
        for f in extra_fields {
            fields.insert(f.to_ascii_lowercase());
        }
        let alts: Vec<String> = patterns.iter().map(|p| format!("(?:{})", p.regex.as_str())).collect();
        let any = if alts.is_empty() {
            None
        } else {
            Some(
                compile(&alts.join("|"))
                    .map_err(|e| RedactError::Param { code: "combined".into(), message: e.to_string() })?,
            )
        };
        let mut keys_by_len: Vec<Vec<Vec<u8>>> = vec![Vec::new(); fields.iter().map(String::len).max().unwrap_or(0) + 1];
        for f in &fields {
            keys_by_len[f.len()].push(f.as_bytes().to_vec());
        }
        let key_first: Vec<[u64; 4]> = keys_by_len
            .iter()
            .map(|names| {
                let mut bits = [0u64; 4];
                for c in names.iter().filter_map(|n| n.first()) {
                    bits[usize::from(c >> 6)] |= 1 << (c & 63);
                }
                bits
            })
            .collect();
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let memo_min_len = patterns
            .iter()
            .map(|p| match p.trigger {
                Trigger::Digits(n) => n,
                _ => 0,
            })
            .min()
            .unwrap_or(0);
        // An always-on rule fires on any string: then no string is short enough.
        let short_len = patterns
            .iter()
            .filter_map(|p| match p.trigger {
                Trigger::Digits(n) => Some(n),
                Trigger::Always => Some(0),
                Trigger::Char(_) => None,
            })
            .min()
            .unwrap_or(usize::MAX);
        let char_bits = patterns.iter().enumerate().fold(0u64, |bits, (i, p)| match p.trigger {
            Trigger::Char(_) => bits | (1 << i.min(63)),
            _ => bits,
        });
        Ok(Self {
            patterns,
            fields,
            any,
            keys_by_len,
            key_first,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            memo_min_len,
            short_len,
            char_bits,
            field_code,
            field_replacement,
            hits,
        })
    }

    /// Hits per rule code since start.
    #[must_use]
    pub fn hits(&self) -> Vec<(String, u64)> {
        self.hits.iter().map(|(c, n)| (c.clone(), n.load(Ordering::Relaxed))).collect()
    }

    fn hit(&self, code: &str) {
        if let Some((_, n)) = self.hits.iter().find(|(c, _)| c == code) {
            n.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn triggered(rule: &PatternRule, s: &str) -> bool {
        match rule.trigger {
            Trigger::Always => true,
            Trigger::Char(c) => s.contains(c),
            Trigger::Digits(n) => count_digits(s.as_bytes()) >= n,
        }
    }

    /// Does `m` (a regex match) pass the rule's validator?
    fn accept(rule: &PatternRule, m: &str) -> bool {
        if !rule.luhn && rule.min_digits == 0 && rule.max_digits == usize::MAX {
            return true;
        }
        let digits: Vec<u8> = m.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
        if digits.len() < rule.min_digits || digits.len() > rule.max_digits {
            return false;
        }
        if digits.len() <= rule.short_digits
            && !rule.short_prefixes.is_empty()
            && !rule.short_prefixes.iter().any(|p| digits.starts_with(p))
        {
            return false;
        }
        !rule.luhn || luhn_valid(&digits)
    }

    /// Redact one string; `None` when nothing matched.
    #[must_use]
    pub fn redact_str(&self, s: &str) -> Option<String> {
        let mut cur: Option<String> = None;
        // The digit chain of the current text (reset whenever a rule rewrites it).
        let mut chain = None;
        for rule in &self.patterns {
            let text = cur.as_deref().unwrap_or(s);
            // A rule whose pattern cannot match (its digit chain is too short) changes nothing.
            if !Self::triggered(rule, text) || !Self::chain_allows(rule, text, &mut chain) {
                continue;
            }
            let mut out = String::new();
            let mut last = 0;
            let mut changed = false;
            for m in rule.regex.find_iter(text) {
                if Self::accept(rule, m.as_str()) {
                    if !changed {
                        out.reserve(text.len() + rule.replacement.len());
                    }
                    out.push_str(&text[last..m.start()]);
                    out.push_str(&rule.replacement);
                    last = m.end();
                    changed = true;
                    self.hit(&rule.code);
                }
            }
            if changed {
                out.push_str(&text[last..]);
                cur = Some(out);
                chain = None;
            }
        }
        cur
    }

    /// Redact a JSON tree in place; returns the number of replacements.
    pub fn redact_value(&self, v: &mut Value) -> usize {
        match v {
            Value::String(s) => match self.redact_str(s) {
                Some(r) => {
                    *s = r;
                    1
                }
                None => 0,
            },
            Value::Array(a) => a.iter_mut().map(|x| self.redact_value(x)).sum(),
            Value::Object(o) => {
                let mut n = 0;
                for (k, x) in o.iter_mut() {
                    if !self.fields.is_empty() && self.key_is_sensitive(k, false) {
                        if x != &Value::String(self.field_replacement.clone()) {
                            *x = Value::String(self.field_replacement.clone());
                            self.hit(&self.field_code);
                            n += 1;
                        }
                    } else {
                        n += self.redact_value(x);
                    }
                }
                n
            }
            Value::Number(num) => {
                // Card numbers and SINs logged as JSON numbers.
                let text = num.to_string();
                match self.redact_str(&text) {
                    Some(r) => {
                        *v = Value::String(r);
                        1
                    }
                    None => 0,
                }
            }
            Value::Bool(_) | Value::Null => 0,
        }
    }

    /// Could `rule` match `s` at all? `false` only when its digit chain rules it out (see
    /// [`max_digit_chain`]); `chain` caches the chain length for the other rules.
    fn chain_allows(rule: &PatternRule, s: &str, chain: &mut Option<usize>) -> bool {
        rule.chain_min.is_none_or(|n| *chain.get_or_insert_with(|| max_digit_chain(s.as_bytes())) >= n)
    }

    /// The cheap half of [`str_would_change`](Self::str_would_change): does any rule's
    /// trigger fire (and, with `prefilter`, its digit chain allow a match)? `chars` says which
    /// one-character triggers occur anywhere in the payload (bit per rule).
    fn may_fire(&self, s: &str, chars: u64, prefilter: bool) -> bool {
        // Fewer bytes than the smallest digit trigger means fewer digits, and no one-character
        // trigger (and no always-on rule) can fire: the loop below would say no.
        if s.len() < self.short_len && chars & self.char_bits == 0 {
            return false;
        }
        let mut digits = None;
        let mut chain = None;
        self.patterns.iter().enumerate().any(|(i, rule)| {
            let fired = match rule.trigger {
                Trigger::Always => true,
                Trigger::Char(c) => chars & (1 << i.min(63)) != 0 && s.contains(c),
                Trigger::Digits(n) => *digits.get_or_insert_with(|| count_digits(s.as_bytes())) >= n,
            };
            fired && (!prefilter || Self::chain_allows(rule, s, &mut chain))
        })
    }

    /// A first answer of [`may_fire`](Self::may_fire) that needs no loop over the rules: with
    /// no one-character trigger present (`quiet`: `chars & char_bits == 0`), a rule fires only
    /// on at least `short_len` ASCII digits (an always-on rule makes `short_len` zero). `true`
    /// means `may_fire` says no; `false` means ask it.
    fn skips(&self, s: &str, quiet: bool) -> bool {
        quiet && (s.len() < self.short_len || count_digits(s.as_bytes()) < self.short_len)
    }

    /// The exact half: the combined regex, then each triggered rule with its validator.
    fn confirm(&self, s: &str, prefilter: bool) -> bool {
        if !self.any.as_ref().is_some_and(|r| r.is_match(s)) {
            return false;
        }
        let mut chain = None;
        self.patterns.iter().any(|rule| {
            Self::triggered(rule, s)
                && (!prefilter || Self::chain_allows(rule, s, &mut chain))
                && rule.regex.find_iter(s).any(|m| Self::accept(rule, m.as_str()))
        })
    }

    /// Would [`redact_str`](Self::redact_str) change `s`? The same triggers, patterns and
    /// validators, without counting hits or building the result. `chars` says which
    /// one-character triggers occur anywhere in the payload (bit per rule). The digit-chain
    /// prefilter only skips rules that cannot match, so the answer is the same without it
    /// (a property test compares both).
    fn str_would_change(&self, s: &str, chars: u64) -> bool {
        self.may_fire(s, chars, true) && self.confirm(s, true)
    }

    /// [`str_would_change`](Self::str_would_change) behind a small per-thread memo of short
    /// strings known to stay unchanged (account ids, ARNs, role and bucket names, event times
    /// repeat in nearly every event), asked before anything else. Exact: the memo holds the
    /// whole string and this redactor's id, and the answer depends on the string alone as
    /// long as `chars` holds the bit of every one-character trigger that occurs in `s` (true
    /// for the walk, where `chars` comes from the payload around `s`): `may_fire` fires a
    /// one-character rule only for a character in `s`, and `confirm` does not look at `chars`.
    fn str_would_change_memo(&self, s: &str, chars: u64) -> bool {
        if s.len() > MEMO_MAX_LEN || s.len() < self.memo_min_len {
            return self.may_fire(s, chars, true) && self.confirm(s, true);
        }
        let slot = memo_slot(s.as_bytes());
        let known = MEMO.with(|m| m.borrow().get(slot).is_some_and(|(id, t)| *id == self.id && t.as_str() == s));
        if known {
            return false;
        }
        let change = self.may_fire(s, chars, true) && self.confirm(s, true);
        if !change {
            MEMO.with(|m| {
                let mut m = m.borrow_mut();
                if m.is_empty() {
                    m.resize(MEMO_SLOTS, (0, String::new()));
                }
                let e = &mut m[slot];
                e.0 = self.id;
                e.1.clear();
                e.1.push_str(s);
            });
        }
        change
    }

    /// Is this object key (raw text between the quotes, or a decoded key with `escaped` false)
    /// one whose value LS105 replaces? The names are stored ASCII-lowercased, so comparing them
    /// ASCII-case-insensitively is the same as looking up the key's ASCII-lowercased form.
    fn key_is_sensitive(&self, raw_key: &str, escaped: bool) -> bool {
        if escaped {
            let decoded: Option<String> = serde_json::from_str(&format!("\"{raw_key}\"")).ok();
            return decoded.is_none_or(|k| self.fields.contains(&k.to_ascii_lowercase()));
        }
        // First the (lowercased) first byte against those of the names of this length.
        if let (Some(&c), Some(first)) = (raw_key.as_bytes().first(), self.key_first.get(raw_key.len())) {
            let c = c.to_ascii_lowercase();
            if first[usize::from(c >> 6)] & (1 << (c & 63)) == 0 {
                return false;
            }
        }
        self.keys_by_len.get(raw_key.len()).is_some_and(|names| {
            names.iter().any(|n| n.eq_ignore_ascii_case(raw_key.as_bytes()))
        })
    }

    /// Could redaction change anything in this raw JSON text? Walks it once: every string value
    /// and number gets the question [`redact_value`](Self::redact_value) would ask it, every key
    /// the field-name question. Conservative: `\u` escapes anywhere take the slow path.
    #[must_use]
    pub fn may_match_raw(&self, raw: &str) -> bool {
        // A byte search first: most payloads hold no backslash at all.
        if raw.as_bytes().contains(&b'\\') && raw.contains("\\u") {
            return true;
        }
        let b = raw.as_bytes();
        let mut chars = 0u64;
        for (i, rule) in self.patterns.iter().enumerate() {
            if matches!(rule.trigger, Trigger::Char(c) if raw.contains(c)) {
                chars |= 1 << i.min(63);
            }
        }
        let quiet = chars & self.char_bits == 0;
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'"' => {
                    let Some((end, escaped, digits)) = string_end_counting(b, i) else { return true };
                    let content = &raw[i + 1..end - 1];
                    let mut j = end;
                    while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\n' | b'\r') {
                        j += 1;
                    }
                    let change = if b.get(j) == Some(&b':') {
                        self.key_is_sensitive(content, escaped)
                    } else if escaped {
                        serde_json::from_str::<String>(&raw[i..end]).map_or(true, |s| self.str_would_change(&s, chars))
                    } else {
                        // Unescaped: `digits` are the content's. See `skips`.
                        !(quiet && digits < self.short_len) && self.str_would_change_memo(content, chars)
                    };
                    if change {
                        return true;
                    }
                    i = end;
                }
                b'-' | b'0'..=b'9' => {
                    let start = i;
                    while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                        i += 1;
                    }
                    let tok = &raw[start..i];
                    // Integers print as written; floats and huge integers are re-printed by
                    // serde_json first, as `redact_value` sees them.
                    let change = if tok.len() > 19 || tok.bytes().any(|c| matches!(c, b'.' | b'e' | b'E')) {
                        serde_json::from_str::<serde_json::Number>(tok)
                            .map_or(true, |n| self.str_would_change(&n.to_string(), chars))
                    } else {
                        !self.skips(tok, quiet) && self.str_would_change(tok, chars)
                    };
                    if change {
                        return true;
                    }
                }
                _ => i += 1,
            }
        }
        false
    }

    /// Redact a raw JSON payload: unchanged (no parse) when no rule can fire.
    pub fn redact_payload(&self, raw: Box<RawValue>) -> Result<(Box<RawValue>, usize), serde_json::Error> {
        Ok(self.redacted(raw.get())?.unwrap_or((raw, 0)))
    }

    /// The redacted payload of this JSON text and the number of replacements, or `None` when
    /// nothing changes (then the payload ships as it is).
    pub fn redacted(&self, raw: &str) -> Result<Option<(Box<RawValue>, usize)>, serde_json::Error> {
        if !self.may_match_raw(raw) {
            return Ok(None);
        }
        let mut v: Value = serde_json::from_str(raw)?;
        let n = self.redact_value(&mut v);
        if n == 0 {
            return Ok(None);
        }
        Ok(Some((serde_json::value::to_raw_value(&v)?, n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new(&embedded_rules().unwrap(), &[], &[]).unwrap()
    }

    fn apply(r: &Redactor, json: &str) -> String {
        let raw = RawValue::from_string(json.to_string()).unwrap();
        r.redact_payload(raw).unwrap().0.get().to_string()
    }

    #[test]
    fn flag_count_is_count_ones() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x = x.rotate_left(13).wrapping_mul(0x0100_0000_01b3) ^ 0x5555;
            let m = x & HI;
            assert_eq!(count_flags(m), m.count_ones() as usize);
        }
        assert_eq!(count_flags(HI), 8);
        assert_eq!(count_flags(0), 0);
    }

    #[test]
    fn digit_count_and_memo_slots() {
        for t in ["", "1", "abc123def4567890", "0123456789:/@`é9九", "\u{7f}0\u{80}9", "999999999999999999999999"] {
            assert_eq!(count_digits(t.as_bytes()), t.bytes().filter(u8::is_ascii_digit).count(), "{t}");
        }
        assert!(memo_slot(b"123456789012") < MEMO_SLOTS);
        // The memo is per redactor: a string clean for one rule set is not clean for another.
        let rules = embedded_rules().unwrap();
        let no_sin = Redactor::new(&rules, &["LS103".into()], &[]).unwrap();
        let all = redactor();
        let json = r#"{"m":"046 454 286"}"#;
        assert_eq!(apply(&no_sin, json), json);
        assert!(apply(&all, json).contains("[REDACTED:sin]"));
        assert_eq!(apply(&no_sin, json), json);
    }

    #[test]
    fn luhn() {
        let d = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<_>>();
        assert!(luhn_valid(&d("4111111111111111")));
        assert!(!luhn_valid(&d("4111111111111112")));
        assert!(luhn_valid(&d("046454286")));
        assert!(!luhn_valid(&[]));
    }

    #[test]
    fn thirteen_digit_runs_are_cards_only_when_they_start_with_4() {
        let d = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<_>>();
        let r = redactor();
        // A CloudWatch Logs event time in milliseconds that passes the Luhn check is no card.
        assert!(luhn_valid(&d("1764700000003")) && luhn_valid(&d("4222222222222")));
        let (out, n) = r
            .redacted(r#"{"timestamp":1764700000003,"message":"card 4222222222222 at 1764700000003"}"#)
            .unwrap()
            .expect("the 13-digit Visa number is redacted");
        assert_eq!(n, 1, "{}", out.get());
        assert!(out.get().contains(r#""timestamp":1764700000003"#), "{}", out.get());
        assert!(out.get().contains("card [REDACTED:card] at 1764700000003"), "{}", out.get());
        assert!(r.redacted(r#"{"timestamp":1764700000003}"#).unwrap().is_none());
        assert!(!r.str_would_change("at 1764700000003", 0));
        // Longer runs keep the plain Luhn check whatever their first digit.
        assert!(r.str_would_change("card 5555 5555 5555 4444", 0));
        assert!(r.str_would_change("card 378282246310005", 0));
    }

    /// The docs examples of every rule file are executed: bad fires and loses its PII, good is
    /// left byte-for-byte unchanged.
    #[test]
    fn rule_docs_examples_hold() {
        let rules = embedded_rules().unwrap();
        assert_eq!(rules.rules().len(), 5);
        for rule in rules.rules() {
            let only: Vec<String> =
                rules.rules().iter().filter(|r| r.code != rule.code).map(|r| r.code.clone()).collect();
            let r = Redactor::new(&rules, &only, &[]).unwrap();
            let bad = rule.docs.example_bad.trim();
            let good = rule.docs.example_good.trim();
            let out = apply(&r, bad);
            assert_ne!(out, bad, "{}: example_bad not redacted", rule.code);
            let replacement = rule.params.get("replacement").and_then(|v| v.as_str()).unwrap();
            assert!(out.contains(replacement), "{}: {out}", rule.code);
            assert!(r.hits().iter().any(|(c, n)| c == &rule.code && *n > 0));
            assert_eq!(apply(&r, good), good, "{}: example_good changed", rule.code);
        }
    }

    #[test]
    fn redacts_all_kinds_and_keeps_structure() {
        let r = redactor();
        let out = apply(
            &r,
            r#"{"a":"mail bob@example.com","n":[4111111111111111,"4111-1111-1111-1111"],
                "Password":{"x":1},"sin":"x","phone":"514-555-0199","acct":"123456789012"}"#,
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["a"], "mail [REDACTED:email]");
        assert_eq!(v["n"][0], "[REDACTED:card]");
        assert_eq!(v["n"][1], "[REDACTED:card]");
        assert_eq!(v["Password"], "[REDACTED:field]");
        assert_eq!(v["phone"], "[REDACTED:phone]");
        assert_eq!(v["acct"], "123456789012");
        assert!(!out.contains("bob@"));
    }

    #[test]
    fn escaped_pii_is_found() {
        let r = redactor();
        let out = apply(&r, r#"{"m":"bob\u0040example.com"}"#);
        assert!(out.contains("[REDACTED:email]"), "{out}");
    }

    #[test]
    fn disabled_rules_and_extra_fields() {
        let rules = embedded_rules().unwrap();
        let r = Redactor::new(&rules, &["email-address".into()], &["caseNote".into()]).unwrap();
        let out = apply(&r, r#"{"m":"bob@example.com","CaseNote":"anything"}"#);
        assert!(out.contains("bob@example.com"));
        assert!(out.contains("[REDACTED:field]"));
    }

    impl Redactor {
        /// `redact_str` without the digit-chain prefilter: every triggered rule's regex runs.
        fn redact_str_reference(&self, s: &str) -> Option<String> {
            let mut cur: Option<String> = None;
            for rule in &self.patterns {
                let text = cur.as_deref().unwrap_or(s);
                if !Self::triggered(rule, text) {
                    continue;
                }
                let mut out = String::new();
                let mut last = 0;
                let mut changed = false;
                for m in rule.regex.find_iter(text) {
                    if Self::accept(rule, m.as_str()) {
                        out.push_str(&text[last..m.start()]);
                        out.push_str(&rule.replacement);
                        last = m.end();
                        changed = true;
                    }
                }
                if changed {
                    out.push_str(&text[last..]);
                    cur = Some(out);
                }
            }
            cur
        }

        /// `may_fire` as it was written first: every rule's trigger, no shortcut, no prefilter.
        fn may_fire_reference(&self, s: &str, chars: u64) -> bool {
            self.patterns.iter().enumerate().any(|(i, rule)| match rule.trigger {
                Trigger::Always => true,
                Trigger::Char(c) => chars & (1 << i.min(63)) != 0 && s.contains(c),
                Trigger::Digits(n) => s.bytes().filter(u8::is_ascii_digit).count() >= n,
            })
        }
    }

    /// A rule without a trigger runs on every string, short ones included.
    #[test]
    fn rule_without_trigger_sees_short_strings() {
        let text = r#"code = "LS198"
name = "word"
category = "redaction"
severity = "high"
evaluator = "pattern"
summary = "s"
[params]
pattern = "hush"
replacement = "[REDACTED:hush]"
[docs]
what_it_does = "a"
why_bad = "b"
remediation = "c"
"#;
        let rules = RuleSet::from_sources([("LS198-word.toml", text)]).unwrap();
        let r = Redactor::new(&rules, &[], &[]).unwrap();
        assert_eq!(r.short_len, 0);
        assert!(r.str_would_change("hush", 0));
        assert_eq!(apply(&r, r#"{"m":"hush"}"#), r#"{"m":"[REDACTED:hush]"}"#);
        // The shipped rules: short strings without `@` in the payload are skipped.
        let shipped = redactor();
        assert_eq!(shipped.short_len, 9);
        assert!(!shipped.may_fire("a@b.ca", 0, true));
        assert!(shipped.may_fire("a@b.ca", u64::MAX, true));
    }

    #[test]
    fn bad_rule_params_are_errors() {
        let text = r#"code = "LS199"
name = "x"
category = "redaction"
severity = "high"
evaluator = "pattern"
summary = "s"
[params]
pattern = "("
[docs]
what_it_does = "a"
why_bad = "b"
remediation = "c"
"#;
        let rules = RuleSet::from_sources([("LS199-x.toml", text)]).unwrap();
        let err = Redactor::new(&rules, &[], &[]).unwrap_err().to_string();
        assert!(err.contains("LS199") && err.contains("pattern"), "{err}");
    }

    /// The reference: always parse and redact the tree (no raw-text shortcut).
    fn apply_full(r: &Redactor, json: &str) -> String {
        let mut v: Value = serde_json::from_str(json).unwrap();
        if r.redact_value(&mut v) == 0 {
            return json.to_string();
        }
        serde_json::to_string(&v).unwrap()
    }

    #[test]
    fn pii_after_an_escape_or_in_a_float_is_found() {
        let r = redactor();
        for json in [
            r#"{"m":"line1\n4111 1111 1111 1111"}"#,
            r#"{"m":"a\t046 454 286"}"#,
            r#"{"m":"x\r(514) 555-0199"}"#,
            r#"{"m":"x\\(514) 555-0199"}"#,
            r#"{"n":4.111111111111111e15}"#,
            r#"{"a":[{"b":{"Password" : 1}}]}"#,
            r#"{"pass\"word":1, "x\"y":"jane@example.ca"}"#,
        ] {
            let out = apply(&r, json);
            assert_eq!(out, apply_full(&r, json), "{json}");
            assert!(out.contains("[REDACTED:"), "{json} -> {out}");
        }
        for json in [r#"{"m":"case 046454287","account":"123456789012","k":123456789012}"#, r#"{"sin":"[REDACTED:field]"}"#] {
            assert!(!r.may_match_raw(json) || apply(&r, json) == json, "{json}");
        }
        assert!(!r.may_match_raw(r#"{"account":"123456789012","arn":"arn:aws:iam::123456789012:role/x","n":[1,2.5,-3e2]}"#));
    }

    #[test]
    fn digit_chains() {
        for (text, want) in [
            ("", 0),
            ("123456789", 9),
            ("a123456789", 0),
            ("_123", 0),
            ("é123", 3),
            ("x 046 454 286 y", 9),
            ("(514) 555-0199", 10),
            ("514).555", 6),
            ("514).-555", 3),
            ("514 - 555", 3),
            ("2026-11-23T19:05:00Z", 8),
            ("arn:aws:iam::123456789012:role/x", 12),
            ("AROA123456789012:task-5", 1),
            ("+15145550199", 11),
            ("4111 1111 1111 1111 111", CHAIN_CAP),
            ("1:2", 1),
            ("12a34", 2),
        ] {
            assert_eq!(max_digit_chain(text.as_bytes()), want, "{text}");
        }
        // The prefilter is active for each shipped digit rule (and only those).
        let r = redactor();
        let mins: Vec<_> = r.patterns.iter().map(|p| (p.code.as_str(), p.chain_min)).collect();
        assert_eq!(mins, [("LS101", None), ("LS102", Some(13)), ("LS103", Some(9)), ("LS104", Some(10))]);
        // Strings the prefilter rules out, and PII it must let through.
        for clean in ["2026-11-23T19:05:00Z", "ASIA1234567890123456", "cases/00001234/document-3.pdf"] {
            assert!(!r.may_fire(clean, 0, true), "{clean}");
            assert!(r.may_fire(clean, 0, false), "{clean}");
        }
        for pii in ["card 4111 1111 1111 1111", "sin 046-454-286", "(514) 555-0199", "+15145550199"] {
            assert!(r.str_would_change(pii, 0), "{pii}");
        }
    }

    proptest::proptest! {
        /// The raw-text shortcut never skips a redaction: the output equals parsing and
        /// redacting every payload, for text built from the pieces the rules care about.
        #[test]
        fn shortcut_agrees_with_the_full_path(parts in proptest::collection::vec(proptest::sample::select(vec![
            "4111", "1111", "0000", "046", "454", "286", "514", "555", "0199", "5", "12", "123456789012",
            " ", "-", ".", "(", ")", "+1", "+", "a", "Z", "_", "x9", "@", "jane.doe", "example.ca", "@ex.co",
            "\\n", "\\t", "\\\"", "\\\\", "/", ":", ",", "é", "sin", "Password"]), 0..24),
            key in proptest::sample::select(vec!["m", "note", "sin", "n", "PASSWORD"]),
            num in proptest::sample::select(vec!["1", "4111111111111111", "4.111111111111111e15", "-046454286", "1e5", "123456789012345678901"])) {
            let r = redactor();
            let body: String = parts.concat();
            for json in [
                format!(r#"{{"{key}":"{body}","k":{{"v":["{body}",{num}]}}}}"#),
                format!(r#"{{"{body}":{num},"x":["{key}"]}}"#),
            ] {
                if serde_json::from_str::<Value>(&json).is_ok() {
                    let out = apply(&r, &json);
                    let full = apply_full(&r, &json);
                    proptest::prop_assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), serde_json::from_str::<Value>(&full).unwrap(), "{}", json);
                }
            }
        }

        /// Whatever the input, redaction never panics, keeps valid JSON, and no valid card
        /// number survives.
        #[test]
        fn never_leaks_cards(prefix in "[a-z ]{0,20}", card in proptest::sample::select(vec![
            "4111111111111111", "5500 0000 0000 0004", "3400-0000-0000-009", "6011000000000004"])) {
            let r = redactor();
            let json = serde_json::json!({ "m": format!("{prefix} {card} end") }).to_string();
            let out = apply(&r, &json);
            let v: Value = serde_json::from_str(&out).unwrap();
            proptest::prop_assert!(!v["m"].as_str().unwrap().contains(card));
        }

        /// The quick skip of the walk only skips strings `may_fire` turns down, for every rule
        /// set (an always-on rule included) and trigger state.
        #[test]
        fn skip_only_what_may_fire_turns_down(s in "[0-9 .()+\\-a_:/Té@x]{0,30}",
            disabled in proptest::sample::select(vec![vec![], vec!["LS102"], vec!["LS103"], vec!["LS101", "LS103", "LS104"], vec!["LS102", "LS103", "LS104"]]),
            chars in proptest::sample::select(vec![0u64, 1, u64::MAX]), always in proptest::bool::ANY) {
            let disabled: Vec<String> = disabled.into_iter().map(str::to_string).collect();
            let mut sources: Vec<(String, String)> = RULE_FILES.iter().map(|(n, t)| ((*n).to_string(), (*t).to_string())).collect();
            if always {
                sources.push(("LS197-x.toml".into(), "code = \"LS197\"\nname = \"x\"\ncategory = \"redaction\"\nseverity = \"high\"\nevaluator = \"pattern\"\nsummary = \"s\"\n[params]\npattern = \"a_\"\n[docs]\nwhat_it_does = \"a\"\nwhy_bad = \"b\"\nremediation = \"c\"\n".into()));
            }
            let rules = RuleSet::from_sources(sources.iter().map(|(n, t)| (n.as_str(), t.as_str()))).unwrap();
            let r = Redactor::new(&rules, &disabled, &[]).unwrap();
            let quiet = chars & r.char_bits == 0;
            if r.skips(&s, quiet) {
                proptest::prop_assert!(!r.may_fire(&s, chars, false), "{:?}", s);
                proptest::prop_assert!(!r.may_fire(&s, chars, true), "{:?}", s);
            }
        }

        /// The counting string scan ends where `string_end` does, and counts the digits of the
        /// raw text before the first escape.
        #[test]
        fn counting_string_end_is_string_end(body in "[0-9a\"\\\\é ]{0,40}", tail in "[,:}0-9\"]{0,10}") {
            let text = format!("\"{body}{tail}");
            let b = text.as_bytes();
            let want = crate::cloudtrail::string_end(b, 0);
            let got = string_end_counting(b, 0);
            proptest::prop_assert_eq!(got.map(|(e, x, _)| (e, x)), want, "{:?}", text);
            if let Some((end, _, digits)) = got {
                let upto = b[1..end].iter().position(|&c| c == b'\\').map_or(end - 1, |p| p + 1);
                proptest::prop_assert_eq!(digits, count_digits(&b[1..upto]), "{:?}", text);
            }
        }

        /// The first-byte filter before the name comparison changes no answer.
        #[test]
        fn key_filter_is_the_plain_lookup(key in "[a-zA-Z_é0-9]{0,22}", extra in "[a-zA-Zé]{0,6}") {
            let r = Redactor::new(&embedded_rules().unwrap(), &[], &[extra.clone(), "".into()]).unwrap();
            for k in [key.clone(), extra.to_uppercase(), "SIN".into(), "dateOFbirth".into(), "".into()] {
                proptest::prop_assert_eq!(r.key_is_sensitive(&k, false), r.fields.contains(&k.to_ascii_lowercase()), "{:?}", k);
            }
        }

        /// Skipping to the first digit at a word boundary changes no chain length.
        #[test]
        fn digit_chain_skip_is_exact(s in "[0-9 .()+\\-a_:/TéZz@`{\\[]{0,40}") {
            proptest::prop_assert_eq!(max_digit_chain(s.as_bytes()), chain_scan(s.as_bytes()).min(CHAIN_CAP), "{:?}", s);
            proptest::prop_assert_eq!(chain_table_scan(s.as_bytes()), chain_scan(s.as_bytes()).min(CHAIN_CAP), "{:?}", s);
            let first = s.bytes().enumerate().position(|(i, c)| {
                c.is_ascii_digit() && (i == 0 || !(s.as_bytes()[i - 1].is_ascii_alphanumeric() || s.as_bytes()[i - 1] == b'_'))
            });
            proptest::prop_assert_eq!(first_boundary_digit(s.as_bytes()), first, "{:?}", s);
        }

    /// Every match of a shipped digit pattern lies inside a digit chain at least as long as
        /// the pattern's minimum, so the prefilter never rules out a string the regex matches.
        #[test]
        fn digit_chain_bounds_every_match(s in "[0-9 .()+\\-a_:/Té@]{0,40}", parts in proptest::collection::vec(
            proptest::sample::select(vec!["4111", "1111", "046", "454", "286", "514", "555", "0199", "1", "0",
                "123456789012", " ", "-", ".", "(", ")", "+1", "+", "a", "_", ":", "é", "T", "--", ") "]), 0..20)) {
            let r = redactor();
            for text in [s.clone(), parts.concat()] {
                for rule in r.patterns.iter() {
                    if let Some(n) = rule.chain_min {
                        if rule.regex.is_match(&text) {
                            proptest::prop_assert!(max_digit_chain(text.as_bytes()) >= n, "{} {:?}", rule.code, text);
                        }
                    }
                }
            }
        }

        /// The decision with the prefilter is the decision without it (the regex run on every
        /// string whose triggers fire), for every rule set.
        #[test]
        fn prefilter_keeps_the_decision(s in "[0-9 .()+\\-a_:/Té@x]{0,48}", parts in proptest::collection::vec(
            proptest::sample::select(vec!["4111", "1111", "0000", "046", "454", "286", "514", "555", "0199", "5",
                "12", "123456789012", " ", "-", ".", "(", ")", "+1", "+", "a", "Z", "_", ":", "/", "é", "@",
                "jane.doe", "example.ca", "2026-11-23T19:05:00Z", "AROA", "cases/"]), 0..24),
            disabled in proptest::sample::select(vec![vec![], vec!["LS102"], vec!["LS103"], vec!["LS104"], vec!["LS101", "LS103"]])) {
            let disabled: Vec<String> = disabled.into_iter().map(str::to_string).collect();
            let r = Redactor::new(&embedded_rules().unwrap(), &disabled, &[]).unwrap();
            for text in [s.clone(), parts.concat()] {
                let reference = r.may_fire(&text, u64::MAX, false) && r.confirm(&text, false);
                proptest::prop_assert_eq!(r.str_would_change(&text, u64::MAX), reference, "{:?}", text);
                proptest::prop_assert_eq!(r.str_would_change_memo(&text, u64::MAX), reference, "{:?}", text);
                proptest::prop_assert_eq!(r.redact_str(&text).is_some(), reference, "{:?}", text);
                proptest::prop_assert_eq!(r.redact_str(&text), r.redact_str_reference(&text), "{:?}", text);
                // `chars` as the walk computes it: a character's bit is set whenever the string
                // (part of the payload) holds it, and clear without any in the payload.
                let chars = if text.contains('@') { u64::MAX } else { 0 };
                let plain = r.may_fire_reference(&text, chars) && r.confirm(&text, false);
                proptest::prop_assert_eq!(r.str_would_change(&text, chars), plain, "{:?}", text);
                proptest::prop_assert_eq!(r.str_would_change_memo(&text, chars), plain, "{:?}", text);
            }
        }
    }
}
