//! Checkpoints: what has been delivered, per source, saved only after delivery.
//!
//! Local files are written durably: temp file, `fsync`, atomic rename, `fsync` of the directory.
//! The S3 store (module `aws`) writes the same JSON document as one object.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cloudtrail::key_timestamp;
use crate::cwlogs::PollState;
use crate::cwlstream::StreamState;

/// Listing state of one S3 prefix: every key ≤ `watermark` is done; keys after it that are done
/// are in `recent` until they leave the overlap window (late files with a smaller key are still
/// picked up inside the window).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixState {
    /// `StartAfter` for ListObjectsV2.
    pub watermark: Option<String>,
    /// Done keys after the watermark.
    pub recent: BTreeSet<String>,
}

/// Minutes since an arbitrary epoch for a `YYYYMMDDTHHMM` stamp (ordering only).
fn stamp_minutes(s: &str) -> Option<i64> {
    let n = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<i64>().ok());
    let (y, mo, d, h, mi) = (n(0..4)?, n(4..6)?, n(6..8)?, n(9..11)?, n(11..13)?);
    let date = jiff::civil::date(i16::try_from(y).ok()?, i8::try_from(mo).ok()?, i8::try_from(d).ok()?);
    let days = i64::from(date.since(jiff::civil::date(2000, 1, 1)).ok()?.get_days());
    Some(days * 1440 + h * 60 + mi)
}

impl PrefixState {
    /// Has this key been delivered?
    #[must_use]
    pub fn done(&self, key: &str) -> bool {
        self.watermark.as_deref().is_some_and(|w| key <= w) || self.recent.contains(key)
    }

    /// Mark a key delivered; keys older than `overlap_minutes` behind the newest leave the set.
    pub fn complete(&mut self, key: &str, overlap_minutes: i64) {
        self.recent.insert(key.to_string());
        let newest = self.recent.iter().filter_map(|k| key_timestamp(k).and_then(stamp_minutes)).max();
        let Some(newest) = newest else { return };
        while let Some(first) = self.recent.first().cloned() {
            let old = key_timestamp(&first).and_then(stamp_minutes).is_none_or(|m| m < newest - overlap_minutes);
            if !old {
                break;
            }
            self.recent.remove(&first);
            self.watermark = Some(first);
        }
    }
}

/// The whole checkpoint document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Format version.
    pub version: u32,
    /// `s3://bucket/prefix` → listing state.
    #[serde(default)]
    pub s3: BTreeMap<String, PrefixState>,
    /// Log group → poll state.
    #[serde(default)]
    pub cloudwatch: BTreeMap<String, PollState>,
    /// Local files fully delivered: path → size.
    #[serde(default)]
    pub files: BTreeMap<String, u64>,
    /// Kinesis streams of CloudWatch Logs subscription records (stream as configured) → shards.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kinesis: BTreeMap<String, StreamState>,
}

/// A checkpoint that cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// I/O.
    #[error("checkpoint {path}: {source}")]
    Io {
        /// Path or URI.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Not a checkpoint document.
    #[error("checkpoint {path}: line {line} column {column}: {message}")]
    Parse {
        /// Path or URI.
        path: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// Message.
        message: String,
    },
    /// S3.
    #[error("checkpoint {uri}: {message}")]
    Remote {
        /// URI.
        uri: String,
        /// Message.
        message: String,
    },
}

impl State {
    /// Parse a document (`path` names it in errors).
    pub fn parse(path: &str, bytes: &[u8]) -> Result<Self, CheckpointError> {
        serde_json::from_slice(bytes).map_err(|e| CheckpointError::Parse {
            path: path.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    /// Serialise.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = self.clone();
        s.version = 1;
        serde_json::to_vec_pretty(&s).unwrap_or_default()
    }
}

/// Durable local checkpoint file.
#[derive(Clone, Debug)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// Store at `path`.
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    fn io(&self, source: std::io::Error) -> CheckpointError {
        CheckpointError::Io { path: self.path.display().to_string(), source }
    }

    /// Load; a missing file is an empty state.
    pub fn load(&self) -> Result<State, CheckpointError> {
        match std::fs::read(&self.path) {
            Ok(b) => State::parse(&self.path.display().to_string(), &b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Save: write a temp file, fsync, rename over the old one, fsync the directory.
    pub fn save(&self, state: &State) -> Result<(), CheckpointError> {
        let dir = self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        let tmp = dir.join(format!(".{}.tmp", self.path.file_name().and_then(|n| n.to_str()).unwrap_or("checkpoint")));
        {
            let mut f = std::fs::File::create(&tmp).map_err(|e| self.io(e))?;
            f.write_all(&state.to_bytes()).map_err(|e| self.io(e))?;
            f.sync_all().map_err(|e| self.io(e))?;
        }
        std::fs::rename(&tmp, &self.path).map_err(|e| self.io(e))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ts: &str, u: &str) -> String {
        format!("AWSLogs/1/CloudTrail/ca-central-1/2026/11/23/1_CloudTrail_ca-central-1_{ts}Z_{u}.json.gz")
    }

    #[test]
    fn prefix_state_window() {
        let mut s = PrefixState::default();
        let a = key("20261123T1000", "b");
        let b = key("20261123T1005", "a");
        let late = key("20261123T1000", "a"); // same minute as `a`, sorts before it, arrives later
        s.complete(&a, 15);
        s.complete(&b, 15);
        assert!(s.done(&a) && s.done(&b));
        assert!(!s.done(&late), "a late key inside the window is not skipped");
        assert_eq!(s.watermark, None);
        s.complete(&key("20261123T1030", "c"), 15);
        assert_eq!(s.watermark.as_deref(), Some(b.as_str()));
        assert!(s.done(&a));
        assert_eq!(s.recent.len(), 1);
    }

    #[test]
    fn file_store_roundtrip_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("sub/cp.json"));
        assert_eq!(store.load().unwrap(), State::default());
        let mut st = State::default();
        st.files.insert("/x".into(), 3);
        st.cloudwatch.insert("/g".into(), PollState { high_water_ms: 9, recent: [("e".to_string(), 9)].into() });
        store.save(&st).unwrap();
        let back = store.load().unwrap();
        assert_eq!(back.files, st.files);
        assert_eq!(back.cloudwatch, st.cloudwatch);
        assert_eq!(back.version, 1);
        std::fs::write(dir.path().join("bad.json"), "{\n  \"s3\": 5\n}").unwrap();
        let err = FileStore::new(dir.path().join("bad.json")).load().unwrap_err().to_string();
        assert!(err.contains("bad.json") && err.contains("line 2"), "{err}");
    }
}
