//! Stage timings of the `ship --format records` hot path on CloudTrail files (not a test).
//!
//!     python3 bench/log-shipper/gen_cloudtrail.py 20000 /tmp/trail
//!     cargo bench -p log-shipper --bench hotpath -- /tmp/trail
//!
//! Single thread; each stage runs on the output of the one before and is timed alone.

use std::sync::Arc;
use std::time::Instant;

use log_shipper::cloudtrail;
use log_shipper::filter::Filter;
use log_shipper::kpl;
use log_shipper::pipeline::{PartitionKey, Transformer};
use log_shipper::redact::{embedded_rules, Redactor};

fn main() {
    let dir = std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_else(|| "/tmp/ls-trail".into());
    let files: Vec<Vec<u8>> =
        log_shipper::local::expand(&[dir.into()]).iter().map(|p| std::fs::read(p).expect("read")).collect();
    let redactor = Arc::new(Redactor::new(&embedded_rules().expect("rules"), &[], &[]).expect("redactor"));
    let t = Transformer { filter: Filter::default(), redactor: redactor.clone(), partition_key: PartitionKey::EventId };
    let time = |name: &str, n: usize, f: &mut dyn FnMut() -> usize| {
        let start = Instant::now();
        let x = f();
        let s = start.elapsed().as_secs_f64();
        println!("{name:<28} {:>8.1} ms  {:>7.0} ns/event  ({x})", s * 1e3, s * 1e9 / n as f64);
    };
    let mut events = Vec::new();
    time("gunzip", 1, &mut || {
        files.iter().map(|f| cloudtrail::with_gunzipped(f, |t| t.len()).expect("gzip")).sum()
    });
    time("parse_file (gunzip incl.)", 1, &mut || {
        events = files.iter().flat_map(|f| cloudtrail::parse_file(f).expect("parse")).collect();
        events.len()
    });
    let n = events.len();
    println!("{n} events");
    time("may_match_raw", n, &mut || events.iter().filter(|e| redactor.may_match_raw(e.payload.get())).count());
    time("to_json", n, &mut || events.iter().map(|e| e.to_json().len()).sum());
    let mut subs = Vec::new();
    time("Transformer::apply", n, &mut || {
        subs = events.drain(..).filter_map(|e| t.apply(e)).collect();
        subs.len()
    });
    let mut aggs: Vec<Vec<u8>> = Vec::new();
    time("kpl push + finish", n, &mut || {
        let mut b = kpl::Builder::new();
        for (pk, data, _) in &subs {
            if b.size_with(pk, data.len()) > 51_200 {
                aggs.push(std::mem::take(&mut b).finish());
            }
            b.push(pk, data.clone());
        }
        aggs.push(b.finish());
        aggs.len()
    });
    time("md5 of the aggregates", n, &mut || {
        use md5::Digest;
        aggs.iter().map(|a| usize::from(md5::Md5::digest(a)[0])).sum()
    });
    time("base64 of the aggregates", n, &mut || {
        use base64::Engine;
        let mut out = String::new();
        aggs.iter()
            .map(|a| {
                out.clear();
                base64::engine::general_purpose::STANDARD.encode_string(a, &mut out);
                out.len()
            })
            .sum()
    });
}
