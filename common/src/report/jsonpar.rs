//! The JSON report's `findings` array rendered on every core.
//!
//! Reports can hold tens of thousands of findings, and rendering them is most of the work of
//! writing the report. The document is rendered once with an empty `findings` list; the
//! findings are rendered in chunks on scoped threads with a formatter that starts two levels
//! deep, and spliced in. The bytes are exactly those of `serde_json::to_writer_pretty` on the
//! whole document (a test checks this).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

use crate::finding::Finding;

/// Below this many findings one thread renders them.
const PARALLEL_MIN: usize = 1024;

/// Findings rendered by one thread at a time.
const CHUNK: usize = 2048;

/// The empty `findings` member as `to_writer_pretty` writes it at the top level. Keys of nested
/// objects are indented further, and newlines inside strings are escaped, so it is unique.
const EMPTY_MEMBER: &[u8] = b"\n  \"findings\": []";

/// Writes `doc` (rendered with an empty findings list by `render_empty`) with `findings` spliced in.
pub(super) fn write_with_findings(
    out: &mut dyn Write,
    findings: &[Finding],
    render_empty: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
) -> io::Result<()> {
    let mut doc = Vec::new();
    render_empty(&mut doc)?;
    let Some(at) = find(&doc, EMPTY_MEMBER) else {
        return Err(io::Error::other("JSON report: findings member not found"));
    };
    let open = at + EMPTY_MEMBER.len() - 1; // the `]` of `[]`
    out.write_all(&doc[..open])?;
    if !findings.is_empty() {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        if threads == 1 || findings.len() < PARALLEL_MIN {
            out.write_all(&render_chunk(findings, true)?)?;
        } else {
            // Windows of `threads` chunks: rendered together, written in order, so memory
            // stays bounded by the window, not the report.
            let mut first = true;
            for window in findings.chunks(threads * CHUNK) {
                let parts: Vec<io::Result<Vec<u8>>> = std::thread::scope(|s| {
                    let handles: Vec<_> = window
                        .chunks(CHUNK)
                        .enumerate()
                        .map(|(i, c)| s.spawn(move || render_chunk(c, first && i == 0)))
                        .collect();
                    handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
                });
                for part in parts {
                    out.write_all(&part?)?;
                }
                first = false;
            }
        }
        out.write_all(b"\n  ")?;
    }
    out.write_all(&doc[open..])
}

/// The array elements of `findings`, each on its own lines at depth 2, comma-separated.
fn render_chunk(findings: &[Finding], first: bool) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(findings.len() * 1024);
    for (i, f) in findings.iter().enumerate() {
        buf.extend_from_slice(if first && i == 0 { b"\n    " } else { b",\n    " });
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, Nested::new(2));
        f.serialize(&mut ser)?;
    }
    Ok(buf)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `serde_json::ser::PrettyFormatter` (two-space indent) starting `depth` levels deep.
struct Nested {
    indent: usize,
    has_value: bool,
}

impl Nested {
    fn new(depth: usize) -> Self {
        Self { indent: depth, has_value: false }
    }

    fn newline_indent<W: ?Sized + Write>(&self, w: &mut W, first: bool) -> io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        for _ in 0..self.indent {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.indent += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn value_done(&mut self) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.indent -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            for _ in 0..self.indent {
                w.write_all(b"  ")?;
            }
        }
        w.write_all(bracket)
    }
}

impl Formatter for Nested {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline_indent(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.value_done()
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline_indent(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.value_done()
    }
}
