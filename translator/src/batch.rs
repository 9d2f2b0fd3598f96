//! `translator batch`: stream NDJSON (or CSV through a column mapping) line by line, translate
//! in parallel while keeping input order, write outputs and dead-letter records.
//!
//! Memory is bounded: lines are capped (`--max-line-bytes`, oversized lines are skipped without
//! being held), work moves in chunks through bounded channels, and at most `max_inflight`
//! chunks exist between the reader and the writer (the reorder buffer included).

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::csvmap::CsvMapping;
use crate::deadletter::{self, DlSource};
use crate::error::{Code, Rejection};
use crate::translate::{Direction, TranslateError, Translator};

/// Default line cap (schemas §6.1: line ≤ 1 MiB in batch).
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// Input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// One JSON record per line.
    Ndjson,
    /// CSV with a header row, mapped to records by `--csv-mapping`.
    Csv,
}

/// Which records this task handles: `index % count == shard`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (i, n) = s.split_once('/').ok_or("expected I/N, e.g. 0/4")?;
        let index: u64 = i.parse().map_err(|_| "I must be a number")?;
        let count: u64 = n.parse().map_err(|_| "N must be a number")?;
        if count == 0 || index >= count {
            return Err("need 0 <= I < N".into());
        }
        Ok(Self { index, count })
    }
}

/// Batch settings (I/O is passed separately).
#[derive(Clone, Debug)]
pub struct BatchOptions {
    pub direction: Direction,
    pub format: InputFormat,
    pub max_line: usize,
    pub workers: usize,
    pub shard: Shard,
    /// Records per work unit.
    pub chunk_records: usize,
    /// Name of the input, recorded in dead letters.
    pub source_name: String,
    pub batch_id: Option<String>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            direction: Direction::Case,
            format: InputFormat::Ndjson,
            max_line: DEFAULT_MAX_LINE,
            workers: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            shard: Shard { index: 0, count: 1 },
            chunk_records: 256,
            source_name: "-".into(),
            batch_id: None,
        }
    }
}

/// Counters printed at the end (`translator.batch-summary/1`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub schema: &'static str,
    pub input: String,
    pub shard: String,
    pub records_read: u64,
    pub records_in_other_shards: u64,
    pub translated: u64,
    pub dead_lettered: u64,
    pub with_warnings: u64,
    pub rejections_by_code: BTreeMap<String, u64>,
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub data_keys_generated: u64,
    pub elapsed_ms: u64,
}

/// Fatal batch errors (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("reading input: {0}")]
    Read(io::Error),
    #[error("writing output: {0}")]
    Write(io::Error),
    #[error("CSV input: {0}")]
    Csv(String),
    #[error("keys: {0}")]
    Crypto(#[from] crate::crypto::CryptoError),
}

/// Progress callback (bytes consumed so far).
pub type Progress = Box<dyn Fn(u64) + Send>;

struct Job {
    line: u64,
    offset: u64,
    /// The record as JSON.
    doc: std::ops::Range<usize>,
    /// The raw input for the dead letter, when it differs from `doc` (CSV rows).
    raw: Option<std::ops::Range<usize>>,
    /// Set when the line was over the cap: (total length, SHA-256 of the whole line).
    oversize: Option<(u64, [u8; 32])>,
    /// A rejection found before translation (CSV row errors).
    pre_rejected: Option<Rejection>,
}

struct Chunk {
    seq: u64,
    data: Vec<u8>,
    jobs: Vec<Job>,
    bytes_read: u64,
}

#[derive(Default)]
struct ChunkResult {
    seq: u64,
    out: Vec<u8>,
    dl: Vec<u8>,
    translated: u64,
    dead: u64,
    warned: u64,
    codes: Vec<Code>,
    bytes_read: u64,
}

/// Reads lines with a cap, never holding more than `cap` bytes of one line.
pub struct LineReader<R> {
    inner: BufReader<R>,
    offset: u64,
    line_no: u64,
}

/// One line read by [`LineReader`].
pub struct LineInfo {
    pub line_no: u64,
    pub offset: u64,
    /// Full length of the line (without the newline).
    pub len: u64,
    /// Over the cap: only the first `cap` bytes are in the buffer; the hash covers the whole line.
    pub oversize_hash: Option<[u8; 32]>,
}

impl<R: Read> LineReader<R> {
    pub fn new(r: R) -> Self {
        Self { inner: BufReader::with_capacity(256 << 10, r), offset: 0, line_no: 0 }
    }

    /// Append the next line (without `\n`/`\r\n`) to `buf`. `None` at end of input.
    pub fn next_line(&mut self, buf: &mut Vec<u8>, cap: usize) -> io::Result<Option<LineInfo>> {
        let start_len = buf.len();
        let start_offset = self.offset;
        let mut len: u64 = 0;
        let mut hasher: Option<Sha256> = None;
        let mut saw_any = false;
        loop {
            let avail = self.inner.fill_buf()?;
            if avail.is_empty() {
                if !saw_any {
                    return Ok(None);
                }
                break;
            }
            saw_any = true;
            let (part, done) = match memchr(avail) {
                Some(i) => (&avail[..i], Some(i + 1)),
                None => (avail, None),
            };
            let room = cap.saturating_sub((buf.len() - start_len).min(cap));
            if let Some(h) = hasher.as_mut() {
                h.update(part);
            } else if part.len() > room {
                let mut h = Sha256::new();
                h.update(&buf[start_len..]);
                h.update(part);
                hasher = Some(h);
                buf.extend_from_slice(&part[..room]);
            } else {
                buf.extend_from_slice(part);
            }
            len += part.len() as u64;
            let consumed = done.unwrap_or(avail.len());
            self.inner.consume(consumed);
            self.offset += consumed as u64;
            if done.is_some() {
                break;
            }
        }
        self.line_no += 1;
        if hasher.is_none() && buf.len() > start_len && buf.last() == Some(&b'\r') {
            buf.pop();
            len -= 1;
        }
        Ok(Some(LineInfo {
            line_no: self.line_no,
            offset: start_offset,
            len,
            oversize_hash: hasher.map(|h| h.finalize().into()),
        }))
    }
}

/// Splits NDJSON into lines inside the caller's chunk buffer: input is read straight into it
/// (no copy out of a reader's buffer) and each line is handed out as a range of it. Lines over
/// the cap are cut at the cap, with the rest of the line hashed while it is skipped (never held).
/// [`BlockLines::carry`] moves the bytes read ahead into the next chunk's buffer.
pub struct BlockLines<R> {
    inner: R,
    block: u64,
    /// `data[pos..]` has been read but not handed out yet.
    pos: usize,
    /// Input offset of `data[pos]`.
    offset: u64,
    line_no: u64,
    eof: bool,
    spill: Vec<u8>,
}

impl<R: Read> BlockLines<R> {
    pub fn new(r: R) -> Self {
        Self::with_block(r, 64 << 10)
    }

    /// With reads of at most `block` bytes.
    pub fn with_block(inner: R, block: usize) -> Self {
        Self { inner, block: block.max(1) as u64, pos: 0, offset: 0, line_no: 0, eof: false, spill: Vec::new() }
    }

    /// The next line (without `\n`/`\r\n`) as a range of `data`, reading into `data` as
    /// needed; `None` at the end of input. A line over `cap` bytes keeps only its first `cap`
    /// bytes (the hash in [`LineInfo`] covers it all), exactly as [`LineReader`] does.
    pub fn next_line(
        &mut self,
        data: &mut Vec<u8>,
        cap: usize,
    ) -> io::Result<Option<(LineInfo, std::ops::Range<usize>)>> {
        let start = self.pos;
        let mut scan = start;
        loop {
            if let Some(k) = memchr(&data[scan..]) {
                let nl = scan + k;
                self.pos = nl + 1;
                return Ok(Some(self.line(data, start, nl, cap)));
            }
            scan = data.len();
            if data.len() - start > cap {
                return self.oversize(data, start, cap).map(Some);
            }
            if self.eof {
                if start == data.len() {
                    return Ok(None);
                }
                self.pos = data.len();
                return Ok(Some(self.line(data, start, data.len(), cap)));
            }
            if (&mut self.inner).take(self.block).read_to_end(data)? == 0 {
                self.eof = true;
            }
        }
    }

    /// A whole line `data[start..end]` (newline excluded).
    fn line(&mut self, data: &[u8], start: usize, end: usize, cap: usize) -> (LineInfo, std::ops::Range<usize>) {
        self.line_no += 1;
        let offset = self.offset;
        self.offset += (end - start) as u64 + 1;
        if end - start > cap {
            let hash: [u8; 32] = Sha256::digest(&data[start..end]).into();
            let info = LineInfo { line_no: self.line_no, offset, len: (end - start) as u64, oversize_hash: Some(hash) };
            return (info, start..start + cap);
        }
        let end = if end > start && data[end - 1] == b'\r' { end - 1 } else { end };
        (LineInfo { line_no: self.line_no, offset, len: (end - start) as u64, oversize_hash: None }, start..end)
    }

    /// The line starting at `data[start..]` is over the cap and not complete: keep `cap` bytes,
    /// hash and skip the rest up to its newline; what follows the newline goes to `data`.
    fn oversize(
        &mut self,
        data: &mut Vec<u8>,
        start: usize,
        cap: usize,
    ) -> io::Result<(LineInfo, std::ops::Range<usize>)> {
        let mut h = Sha256::new();
        h.update(&data[start..]);
        let mut len = (data.len() - start) as u64;
        data.truncate(start + cap);
        loop {
            self.spill.clear();
            let n = (&mut self.inner).take(self.block).read_to_end(&mut self.spill)?;
            if n == 0 {
                self.eof = true;
                break;
            }
            if let Some(k) = memchr(&self.spill) {
                h.update(&self.spill[..k]);
                len += k as u64;
                data.extend_from_slice(&self.spill[k + 1..]);
                break;
            }
            h.update(&self.spill[..]);
            len += n as u64;
        }
        self.line_no += 1;
        let offset = self.offset;
        self.offset += len + 1;
        self.pos = start + cap;
        let info = LineInfo { line_no: self.line_no, offset, len, oversize_hash: Some(h.finalize().into()) };
        Ok((info, start..start + cap))
    }

    /// Move what was read ahead (`from[pos..]`) to the start of `to`, the next chunk's buffer.
    pub fn carry(&mut self, from: &mut Vec<u8>, to: &mut Vec<u8>) {
        to.extend_from_slice(&from[self.pos..]);
        from.truncate(self.pos);
        self.pos = 0;
    }
}

/// Position of the first `\n` (vectorised).
#[inline]
fn memchr(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', b)
}

/// Buffers handed back by the writer and the workers for reuse, so steady state allocates
/// (and page-faults) no new chunk buffers. Bounded: at most `cap` are kept.
struct BufPool {
    free: Mutex<Vec<Vec<u8>>>,
    cap: usize,
}

impl BufPool {
    /// A cleared buffer of at least `min_capacity` (and at least [`POOL_BUF`]) bytes. Buffers
    /// are never grown in place: `realloc` would copy the old contents, which are garbage here.
    fn take(&self, min_capacity: usize) -> Vec<u8> {
        let need = min_capacity.max(POOL_BUF);
        let b = self.free.lock().ok().and_then(|mut f| f.pop());
        match b {
            Some(mut b) if b.capacity() >= need => {
                b.clear();
                b
            }
            _ => Vec::with_capacity(need),
        }
    }

    fn give(&self, b: Vec<u8>) {
        if b.capacity() == 0 {
            return;
        }
        if let Ok(mut f) = self.free.lock() {
            if f.len() < self.cap {
                f.push(b);
            }
        }
    }
}

/// Run a batch: `input` → `out` (+ `dl`). Returns the summary; `Err` means exit 2.
#[allow(clippy::too_many_lines)]
pub fn run(
    translator: &Arc<Translator>,
    opts: &BatchOptions,
    input: Box<dyn Read + Send>,
    csv_mapping: Option<&CsvMapping>,
    out: &mut (dyn Write + Send),
    dl: &mut (dyn Write + Send),
    progress: Option<Progress>,
) -> Result<Summary, BatchError> {
    let started = Instant::now();
    let workers = opts.workers.max(1);
    let max_inflight = workers * 4;
    let (job_tx, job_rx) = sync_channel::<Chunk>(workers * 2);
    let (res_tx, res_rx) = sync_channel::<Result<ChunkResult, BatchError>>(workers * 2);
    let (tok_tx, tok_rx) = sync_channel::<()>(max_inflight);
    for _ in 0..max_inflight {
        let _ = tok_tx.send(());
    }
    let abort = Arc::new(AtomicBool::new(false));
    let job_rx = Arc::new(Mutex::new(job_rx));
    let pool = BufPool { free: Mutex::new(Vec::new()), cap: max_inflight * 3 };
    let pool = &pool;
    let mut summary = Summary {
        schema: "translator.batch-summary/1",
        input: opts.source_name.clone(),
        shard: format!("{}/{}", opts.shard.index, opts.shard.count),
        ..Summary::default()
    };

    std::thread::scope(|scope| -> Result<(), BatchError> {
        // workers
        let mut handles = Vec::new();
        for _ in 0..workers {
            let job_rx = job_rx.clone();
            let res_tx = res_tx.clone();
            let abort = abort.clone();
            let mut session = translator.session();
            let direction = opts.direction;
            let source_name = opts.source_name.clone();
            let batch_id = opts.batch_id.clone();
            handles.push(scope.spawn(move || -> u64 {
                loop {
                    let chunk = {
                        let Ok(rx) = job_rx.lock() else { break };
                        match rx.recv() {
                            Ok(c) => c,
                            Err(_) => break,
                        }
                    };
                    if abort.load(Ordering::Relaxed) {
                        break;
                    }
                    let r = process_chunk(&mut session, direction, &source_name, batch_id.as_deref(), chunk, pool);
                    let failed = r.is_err();
                    if res_tx.send(r).is_err() || failed {
                        break;
                    }
                }
                session.enc.data_keys_generated
            }));
        }
        drop(res_tx);

        // writer
        let writer = scope.spawn(move || -> Result<(Summary, u64), BatchError> {
            let mut pending: BTreeMap<u64, ChunkResult> = BTreeMap::new();
            let mut next = 0u64;
            let mut s = Summary::default();
            let mut first_err = None;
            for r in res_rx {
                match r {
                    Ok(c) => {
                        pending.insert(c.seq, c);
                    }
                    Err(e) => {
                        first_err.get_or_insert(e);
                        break;
                    }
                }
                while let Some(c) = pending.remove(&next) {
                    out.write_all(&c.out).map_err(BatchError::Write)?;
                    dl.write_all(&c.dl).map_err(BatchError::Write)?;
                    s.translated += c.translated;
                    s.dead_lettered += c.dead;
                    s.with_warnings += c.warned;
                    s.bytes_written += (c.out.len() + c.dl.len()) as u64;
                    s.bytes_read += c.bytes_read;
                    pool.give(c.out);
                    pool.give(c.dl);
                    for code in c.codes {
                        *s.rejections_by_code.entry(code.as_str().to_string()).or_default() += 1;
                    }
                    if let Some(p) = &progress {
                        p(s.bytes_read);
                    }
                    next += 1;
                    let _ = tok_tx.send(());
                }
            }
            if let Some(e) = first_err {
                return Err(e);
            }
            out.flush().map_err(BatchError::Write)?;
            dl.flush().map_err(BatchError::Write)?;
            Ok((s, next))
        });

        // reader (this thread)
        let read_result = read_input(opts, input, csv_mapping, &job_tx, &tok_rx, &abort, &mut summary, pool);
        drop(job_tx);
        let writer_result = writer.join();
        abort.store(true, Ordering::Relaxed);
        for h in handles {
            summary.data_keys_generated += h.join().unwrap_or(0);
        }
        let (s, _) = match writer_result {
            Ok(r) => r?,
            Err(_) => return Err(BatchError::Write(io::Error::other("writer thread panicked"))),
        };
        read_result?;
        summary.translated = s.translated;
        summary.dead_lettered = s.dead_lettered;
        summary.with_warnings = s.with_warnings;
        summary.rejections_by_code = s.rejections_by_code;
        summary.bytes_written = s.bytes_written;
        summary.bytes_read = s.bytes_read;
        Ok(())
    })?;
    summary.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(summary)
}

fn send_chunk(chunk: Chunk, job_tx: &SyncSender<Chunk>, tok_rx: &Receiver<()>, abort: &AtomicBool) -> Result<(), ()> {
    if abort.load(Ordering::Relaxed) || tok_rx.recv().is_err() {
        return Err(());
    }
    job_tx.send(chunk).map_err(|_| ())
}

const CHUNK_BYTES: usize = 4 << 20;

/// Smallest buffer the pool hands out: input chunks and their outputs fit without growing
/// (256 records of a few KiB), so buffers are interchangeable between the two uses.
const POOL_BUF: usize = 2 << 20;

#[allow(clippy::too_many_arguments)]
fn read_input(
    opts: &BatchOptions,
    input: Box<dyn Read + Send>,
    csv_mapping: Option<&CsvMapping>,
    job_tx: &SyncSender<Chunk>,
    tok_rx: &Receiver<()>,
    abort: &AtomicBool,
    summary: &mut Summary,
    pool: &BufPool,
) -> Result<(), BatchError> {
    let mut seq = 0u64;
    let jobs_cap = opts.chunk_records.min(4096);
    let mut chunk = Chunk { seq, data: pool.take(CHUNK_BYTES / 4), jobs: Vec::with_capacity(jobs_cap), bytes_read: 0 };
    let flush = |chunk: &mut Chunk, seq: &mut u64| -> bool {
        let full = std::mem::replace(
            chunk,
            Chunk {
                seq: *seq + 1,
                data: pool.take(CHUNK_BYTES / 4),
                jobs: Vec::with_capacity(jobs_cap),
                bytes_read: 0,
            },
        );
        *seq += 1;
        send_chunk(full, job_tx, tok_rx, abort).is_ok()
    };
    match opts.format {
        InputFormat::Ndjson => {
            let mut lr = BlockLines::new(input);
            let mut index = 0u64;
            while let Some((info, range)) = lr.next_line(&mut chunk.data, opts.max_line).map_err(BatchError::Read)? {
                chunk.bytes_read += info.len + 1;
                let blank =
                    info.oversize_hash.is_none() && chunk.data[range.clone()].iter().all(u8::is_ascii_whitespace);
                if !blank {
                    let mine = index % opts.shard.count == opts.shard.index;
                    index += 1;
                    summary.records_read += 1;
                    if mine {
                        chunk.jobs.push(Job {
                            line: info.line_no,
                            offset: info.offset,
                            doc: range,
                            raw: None,
                            oversize: info.oversize_hash.map(|h| (info.len, h)),
                            pre_rejected: None,
                        });
                    } else {
                        summary.records_in_other_shards += 1;
                    }
                }
                // skipped lines count too: the buffer holds them until the chunk is sent
                if chunk.jobs.len() >= opts.chunk_records || chunk.data.len() >= CHUNK_BYTES {
                    let mut next = Chunk {
                        seq: seq + 1,
                        data: pool.take(CHUNK_BYTES / 4),
                        jobs: Vec::with_capacity(jobs_cap),
                        bytes_read: 0,
                    };
                    lr.carry(&mut chunk.data, &mut next.data);
                    let full = std::mem::replace(&mut chunk, next);
                    seq += 1;
                    if send_chunk(full, job_tx, tok_rx, abort).is_err() {
                        return Ok(());
                    }
                }
            }
        }
        InputFormat::Csv => {
            let mapping =
                csv_mapping.ok_or_else(|| BatchError::Csv("--csv-mapping is required for CSV input".into()))?;
            let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(input);
            let headers = rdr.byte_headers().map_err(|e| BatchError::Csv(e.to_string()))?.clone();
            let plan = mapping.plan(&headers).map_err(BatchError::Csv)?;
            let mut rec = csv::ByteRecord::new();
            let mut index = 0u64;
            let mut last_pos = rdr.position().byte();
            loop {
                match rdr.read_byte_record(&mut rec) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) => {
                        if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                            return Err(BatchError::Read(io::Error::other(e.to_string())));
                        }
                        // a malformed row (e.g. invalid UTF-8 is allowed by byte records; this is structural)
                        let line = e.position().map_or(0, csv::Position::line);
                        let start = chunk.data.len();
                        chunk.jobs.push(Job {
                            line,
                            offset: last_pos,
                            doc: start..start,
                            raw: None,
                            oversize: None,
                            pre_rejected: Some(Rejection::one(Code::ParseError, "", "malformed CSV row")),
                        });
                        continue;
                    }
                }
                let pos = rec.position().cloned().unwrap_or_else(csv::Position::new);
                chunk.bytes_read += rdr.position().byte() - last_pos;
                last_pos = rdr.position().byte();
                let mine = index % opts.shard.count == opts.shard.index;
                index += 1;
                summary.records_read += 1;
                if !mine {
                    summary.records_in_other_shards += 1;
                    continue;
                }
                let raw_start = chunk.data.len();
                {
                    let mut w = csv::Writer::from_writer(&mut chunk.data);
                    let _ = w.write_byte_record(&rec);
                    let _ = w.flush();
                }
                let raw_end = chunk.data.len();
                let (doc, pre) = match mapping.to_json(&plan, &rec) {
                    Ok(bytes) => {
                        chunk.data.extend_from_slice(&bytes);
                        (raw_end..chunk.data.len(), None)
                    }
                    Err(rej) => (raw_end..raw_end, Some(rej)),
                };
                chunk.jobs.push(Job {
                    line: pos.line(),
                    offset: pos.byte(),
                    doc,
                    raw: Some(raw_start..raw_end),
                    oversize: None,
                    pre_rejected: pre,
                });
                if (chunk.jobs.len() >= opts.chunk_records || chunk.data.len() >= CHUNK_BYTES)
                    && !flush(&mut chunk, &mut seq)
                {
                    return Ok(());
                }
            }
        }
    }
    if !chunk.jobs.is_empty() || chunk.bytes_read > 0 {
        let _ = flush(&mut chunk, &mut seq);
    }
    Ok(())
}

fn process_chunk(
    session: &mut crate::translate::Session,
    direction: Direction,
    source_name: &str,
    batch_id: Option<&str>,
    chunk: Chunk,
    pool: &BufPool,
) -> Result<ChunkResult, BatchError> {
    let r = ChunkResult {
        seq: chunk.seq,
        out: pool.take(chunk.data.len() * 2),
        bytes_read: chunk.bytes_read,
        ..ChunkResult::default()
    };
    let r = process_jobs(session, direction, source_name, batch_id, &chunk, r);
    pool.give(chunk.data);
    r
}

fn process_jobs(
    session: &mut crate::translate::Session,
    direction: Direction,
    source_name: &str,
    batch_id: Option<&str>,
    chunk: &Chunk,
    mut r: ChunkResult,
) -> Result<ChunkResult, BatchError> {
    for job in &chunk.jobs {
        let doc = &chunk.data[job.doc.clone()];
        let outcome = if let Some(rej) = &job.pre_rejected {
            Err(TranslateError::Rejected(rej.clone()))
        } else if let Some((total, _)) = job.oversize {
            Err(TranslateError::Rejected(Rejection {
                errors: vec![crate::FieldError {
                    code: Code::RecordTooLarge,
                    pointer: String::new(),
                    message: format!("line of {total} bytes is over the line limit"),
                }],
                offset: None,
            }))
        } else {
            // written straight into the chunk's output (nothing is written for a rejection)
            session.translate_into(direction, doc, &mut r.out)
        };
        match outcome {
            Ok(warnings) => {
                r.out.push(b'\n');
                r.translated += 1;
                if warnings > 0 {
                    r.warned += 1;
                }
            }
            Err(TranslateError::Rejected(rej)) => {
                let raw = job.raw.clone().map_or(doc, |rr| &chunk.data[rr]);
                let total = job.oversize.map_or(raw.len() as u64, |(t, _)| t);
                let source = DlSource::Batch {
                    batch_id: batch_id.map(str::to_string),
                    file: source_name.to_string(),
                    line: job.line,
                    byte_offset: job.offset,
                };
                tracing::debug!(
                    message = "Record dead-lettered.",
                    line = job.line,
                    code = %rej.code(),
                    pointer = %rej.errors.first().map(|e| e.pointer.as_str()).unwrap_or_default()
                );
                let line =
                    deadletter::build(&mut session.enc, &source, raw, total, job.oversize.map(|(_, h)| h), &rej)?;
                r.dl.extend_from_slice(&line);
                r.dl.push(b'\n');
                r.dead += 1;
                r.codes.push(rej.code());
            }
            Err(TranslateError::Crypto(e)) => return Err(BatchError::Crypto(e)),
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_reader_caps_long_lines_and_hashes_them_whole() {
        let long = "x".repeat(10_000);
        let input = format!("a\r\n{long}\nb");
        let mut lr = LineReader::new(input.as_bytes());
        let mut buf = Vec::new();
        let l1 = lr.next_line(&mut buf, 100).unwrap().unwrap();
        assert_eq!((&buf[..], l1.line_no, l1.offset, l1.len), (&b"a"[..], 1, 0, 1));
        buf.clear();
        let l2 = lr.next_line(&mut buf, 100).unwrap().unwrap();
        assert_eq!(buf.len(), 100);
        assert_eq!(l2.len, 10_000);
        assert_eq!(l2.oversize_hash, Some(Sha256::digest(long.as_bytes()).into()));
        assert_eq!(l2.offset, 3);
        buf.clear();
        let l3 = lr.next_line(&mut buf, 100).unwrap().unwrap();
        assert_eq!((&buf[..], l3.line_no), (&b"b"[..], 3));
        assert!(lr.next_line(&mut buf, 100).unwrap().is_none());
    }

    /// Every line [`BlockLines`] gives (range contents, number, offset, length, hash) is what
    /// [`LineReader`] gives, whatever the read size, the cap and where chunks are cut.
    #[test]
    fn block_lines_split_like_the_line_reader() {
        let long = "y".repeat(300);
        let inputs = [
            String::new(),
            "\n".to_string(),
            "a".to_string(),
            "a\n".to_string(),
            "a\r\nbb\r\n\r\n\n  \nccc".to_string(),
            format!("{long}\nshort\n{long}\r\n{long}"),
            format!("x\r\n{}\r\n{}\n\r", "z".repeat(99), "w".repeat(100)),
            format!("{}\n{long}{long}\nend\n", "q".repeat(101)),
        ];
        for input in &inputs {
            for cap in [1, 5, 100, 101, 1000] {
                let mut expected = Vec::new();
                let mut lr = LineReader::new(input.as_bytes());
                loop {
                    let mut buf = Vec::new();
                    let Some(info) = lr.next_line(&mut buf, cap).unwrap() else { break };
                    expected.push((buf, info.line_no, info.offset, info.len, info.oversize_hash));
                }
                for block in [1, 2, 3, 7, 64, 1 << 16] {
                    for cut_every in [1, 2, 5, usize::MAX] {
                        let mut bl = BlockLines::with_block(input.as_bytes(), block);
                        let mut data = Vec::new();
                        let mut got = Vec::new();
                        while let Some((info, r)) = bl.next_line(&mut data, cap).unwrap() {
                            got.push((data[r].to_vec(), info.line_no, info.offset, info.len, info.oversize_hash));
                            if got.len() % cut_every == 0 {
                                let mut next = Vec::new();
                                bl.carry(&mut data, &mut next);
                                data = next;
                            }
                        }
                        assert_eq!(got, expected, "input {input:?} cap {cap} block {block} cut {cut_every}");
                    }
                }
            }
        }
    }

    #[test]
    fn newline_search_matches_a_plain_scan() {
        for len in 0..40 {
            for at in 0..=len {
                let mut b: Vec<u8> = (0..len).map(|i| [b'a', 0x0b, 0x8a, 0xff, 0x09][i % 5]).collect();
                if at < len {
                    b[at] = b'\n';
                    if at + 3 < len {
                        b[at + 3] = b'\n';
                    }
                }
                assert_eq!(memchr(&b), b.iter().position(|&c| c == b'\n'), "len {len} at {at}");
            }
        }
    }

    #[test]
    fn shard_parsing() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        assert!("4/4".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }
}
