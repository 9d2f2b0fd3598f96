//! Local files and directories: CloudTrail `.json(.gz)`, CloudWatch Logs subscription payloads
//! (`.gz`), and NDJSON (`.ndjson`, `.jsonl`, anything else; gzip allowed).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::cloudtrail;
use crate::cwlogs;
use crate::envelope::{content_id, Envelope, SourceKind};

/// How to read a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// By name: `*.json(.gz)` CloudTrail, other `*.gz` subscription payload if it is one, else NDJSON.
    #[default]
    Auto,
    /// `{"Records":[…]}` CloudTrail file.
    Cloudtrail,
    /// One JSON event per line.
    Ndjson,
    /// One CloudWatch Logs subscription payload (gzip JSON).
    CwlSubscription,
}

/// A file that cannot be read at all (a bad line is not this: it is counted and skipped).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// I/O.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Bad CloudTrail file.
    #[error("{path}: {source}")]
    Trail {
        /// File.
        path: String,
        /// Cause.
        source: cloudtrail::FileError,
    },
    /// Bad subscription payload.
    #[error("{path}: {source}")]
    Subscription {
        /// File.
        path: String,
        /// Cause.
        source: cwlogs::PayloadError,
    },
}

/// A line that could not be parsed: where, and why (never the content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    /// File.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// serde message.
    pub message: String,
}

/// Files under `paths` (directories walked, sorted; hidden files skipped).
#[must_use]
pub fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file() && !e.file_name().to_string_lossy().starts_with('.'))
                .map(walkdir::DirEntry::into_path)
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn resolve(path: &Path, format: InputFormat, text: &[u8]) -> InputFormat {
    if format != InputFormat::Auto {
        return format;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if name.ends_with(".json.gz") || name.ends_with(".json") {
        InputFormat::Cloudtrail
    } else if name.ends_with(".gz") && text.windows(13).take(200).any(|w| w == b"\"messageType\"") {
        InputFormat::CwlSubscription
    } else {
        InputFormat::Ndjson
    }
}

/// Envelope for one NDJSON line: CloudTrail-shaped events keep their metadata.
fn line_envelope(raw: &RawValue) -> Envelope {
    let e = cloudtrail::envelope_from_event(raw);
    if e.event_source.is_some() && e.event_name.is_some() {
        return e;
    }
    let mut f = Envelope::new(SourceKind::File, content_id(raw.get().as_bytes()), e.payload);
    f.event_time = e.event_time;
    f.account = e.account;
    f.region = e.region;
    f
}

/// Read one file into envelopes plus the lines that could not be parsed.
pub fn read_file(path: &Path, format: InputFormat) -> Result<(Vec<Envelope>, Vec<BadLine>), LocalError> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| LocalError::Io { path: p.clone(), source })?;
    cloudtrail::with_gunzipped(&bytes, |text| read_text(path, &p, format, text))
        .map_err(|source| LocalError::Io { path: p.clone(), source })?
}

fn read_text(
    path: &Path,
    p: &str,
    format: InputFormat,
    text: &[u8],
) -> Result<(Vec<Envelope>, Vec<BadLine>), LocalError> {
    let p = p.to_string();
    match resolve(path, format, text) {
        InputFormat::Cloudtrail => {
            let evs = cloudtrail::parse_text(text).map_err(|source| LocalError::Trail { path: p, source })?;
            Ok((evs, Vec::new()))
        }
        InputFormat::CwlSubscription => {
            let evs = cwlogs::decode_subscription(text, None)
                .map_err(|source| LocalError::Subscription { path: p, source })?;
            Ok((evs.unwrap_or_default(), Vec::new()))
        }
        InputFormat::Ndjson | InputFormat::Auto => {
            let mut evs = Vec::new();
            let mut bad = Vec::new();
            for (i, line) in text.split(|b| *b == b'\n').enumerate() {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match serde_json::from_slice::<&RawValue>(line) {
                    Ok(raw) => evs.push(line_envelope(raw)),
                    Err(e) => bad.push(BadLine { path: p.clone(), line: i + 1, message: e.to_string() }),
                }
            }
            Ok((evs, bad))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_all_formats_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let nd = dir.path().join("a.ndjson");
        std::fs::write(&nd, "{\"x\":1}\n\nnot json\n{\"eventID\":\"e\",\"eventSource\":\"s\",\"eventName\":\"n\"}\n")
            .unwrap();
        let (evs, bad) = read_file(&nd, InputFormat::Auto).unwrap();
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].source, SourceKind::File);
        assert_eq!(evs[1].source, SourceKind::Cloudtrail);
        assert_eq!(evs[1].event_id, "e");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 3);
        assert!(bad[0].path.ends_with("a.ndjson"));

        let ct = dir.path().join("sub/t.json.gz");
        std::fs::create_dir_all(ct.parent().unwrap()).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(br#"{"Records":[{"eventID":"1"},{"eventID":"2"}]}"#).unwrap();
        std::fs::write(&ct, gz.finish().unwrap()).unwrap();
        assert_eq!(read_file(&ct, InputFormat::Auto).unwrap().0.len(), 2);

        let broken = dir.path().join("b.json");
        std::fs::write(&broken, "{\"Records\": 5}").unwrap();
        let err = read_file(&broken, InputFormat::Auto).unwrap_err().to_string();
        assert!(err.contains("b.json") && err.contains("line 1"), "{err}");

        let files = expand(&[dir.path().to_path_buf()]);
        assert_eq!(files.len(), 3);
        assert!(read_file(&dir.path().join("missing"), InputFormat::Auto).is_err());
    }
}
