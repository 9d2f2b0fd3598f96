// Throwaway timing probe (not committed).
use std::time::Instant;
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mut evs: Vec<String> = Vec::new();
    for f in log_shipper::local::expand(&[dir.into()]) {
        let (e, _) = log_shipper::local::read_file(&f, log_shipper::local::InputFormat::Auto).unwrap();
        evs.extend(e.into_iter().map(|e| e.payload.get().to_string()));
    }
    let n = evs.len();
    let bytes: usize = evs.iter().map(|e| e.len()).sum();
    println!("{n} events, {} bytes avg", bytes / n);
    let c = |p: &str| regex::RegexBuilder::new(p).unicode(false).build().unwrap();
    let pats = [
        ("email", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
        ("card", r"\b(?:\d[ \-]?){12,18}\d\b"),
        ("sin", r"\b\d{3}[ \-]?\d{3}[ \-]?\d{3}\b"),
        ("phone", r"(?:\+1[ .\-]?)?\(?\b\d{3}\)?[ .\-]\d{3}[ .\-]\d{4}\b|\+1\d{10}\b"),
        ("field", r#"(?i)"(?:cardnumber|cvv|dateofbirth|dob|newpassword|oldpassword|pan|password|privatekey|secretaccesskey|sessiontoken|sin|socialinsurancenumber)"\s*:"#),
    ];
    let all = c(&pats.iter().map(|(_, p)| format!("(?:{p})")).collect::<Vec<_>>().join("|"));
    let t = Instant::now();
    let k = evs.iter().filter(|e| all.is_match(e)).count();
    println!("combined: {:.2} us/event, {k} hits", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    for (name, p) in pats {
        let r = c(p);
        let t = Instant::now();
        let k = evs.iter().filter(|e| r.is_match(e)).count();
        println!("{name}: {:.2} us/event, {k} hits", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
    for (name, idx) in [("card|sin|phone", vec![1, 2, 3]), ("email|card|sin|phone", vec![0, 1, 2, 3]), ("sin|phone", vec![2, 3]), ("card|phone", vec![1, 3])] {
        let r = c(&idx.iter().map(|&i| format!("(?:{})", pats[i].1)).collect::<Vec<_>>().join("|"));
        let t = Instant::now();
        let k = evs.iter().filter(|e| r.is_match(e)).count();
        println!("{name}: {:.2} us/event, {k} hits", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
    let names: Vec<&str> = vec!["cardnumber","cvv","dateofbirth","dob","newpassword","oldpassword","pan","password","privatekey","secretaccesskey","sessiontoken","sin","socialinsurancenumber"];
    let t = Instant::now();
    let mut k = 0;
    for e in &evs {
        let b = e.as_bytes();
        let mut from = 0;
        let mut hit = false;
        while let Some(p) = e[from..].find(':') {
            let colon = from + p; from = colon + 1;
            if colon == 0 || b[colon - 1] != b'"' { continue; }
            let close = colon - 1;
            for nm in &names { let l = nm.len(); if close >= l + 1 && b[close - l - 1] == b'"' && nm.as_bytes().eq_ignore_ascii_case(&b[close - l..close]) { hit = true; } }
        }
        k += hit as usize;
    }
    println!("keyscan find: {:.2} us/event, {k} hits", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    let red = log_shipper::redact::Redactor::new(&log_shipper::redact::embedded_rules().unwrap(), &[], &[]).unwrap();
    for _ in 0..3 {
        let t = Instant::now();
        let k = evs.iter().filter(|e| red.may_match_raw(e)).count();
        println!("may_match_raw: {:.2} us/event, {k} hits", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
    let t = Instant::now();
    let k = evs.iter().filter(|e| e.contains('@')).count();
    println!("contains @: {:.3} us/event, {k} hits", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    let t = Instant::now();
    let k = evs.iter().filter(|e| e.contains("\\u")).count();
    println!("contains \\u: {:.3} us/event, {k} hits", t.elapsed().as_secs_f64() * 1e6 / n as f64);
}
#[allow(dead_code)]
fn unused() {}
