//! Batch behaviour with broken lines mixed in: each gives exactly one dead-letter record with
//! code and pointer, in input order; the rest is translated in order.

use std::path::Path;
use std::sync::Arc;

use translator::batch::{self, BatchOptions, InputFormat, Shard};
use translator::crypto::{self, KeyProvider, LocalKeyProvider};
use translator::{deadletter, Direction, Settings, Translator};

fn provider() -> Arc<dyn KeyProvider> {
    Arc::new(
        LocalKeyProvider::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test-keys.json")).unwrap(),
    )
}

fn base() -> serde_json::Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/application-case/input.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn good(i: usize) -> String {
    let mut v = base();
    v["application"]["app_ref"] = format!("APP-OK-{i:06}").into();
    v["message_id"] = format!("00000000-0000-4000-8000-{i:012}").into();
    serde_json::to_string(&v).unwrap()
}

fn with(f: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v = base();
    f(&mut v);
    serde_json::to_string(&v).unwrap()
}

/// (line bytes, expected code, expected pointer)
fn broken() -> Vec<(Vec<u8>, &'static str, &'static str)> {
    let ok = good(999_999);
    let mut invalid_utf8 = ok.clone().into_bytes();
    let at = invalid_utf8.len() / 2;
    invalid_utf8[at] = 0xFF;
    let huge = with(|v| v["application"]["applicants"][0]["name"]["given"] = "x".repeat(10 << 20).into());
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let dup = ok.replacen("\"member_id\":\"M0042\"", "\"member_id\":\"M0042\",\"member_id\":\"M0043\"", 1);
    vec![
        (ok.as_bytes()[..ok.len() / 3].to_vec(), "PARSE_ERROR", "*"),
        (invalid_utf8, "INVALID_UTF8", ""),
        (huge.into_bytes(), "RECORD_TOO_LARGE", ""),
        (deep.into_bytes(), "NESTING_TOO_DEEP", Box::leak("/0".repeat(32).into_boxed_str())),
        (dup.into_bytes(), "DUPLICATE_KEY", "/member_id"),
        (
            with(|v| v["application"]["applicants"][0]["name"]["given"] = 42.into()).into_bytes(),
            "TYPE_MISMATCH",
            "/application/applicants/0/name/given",
        ),
        (
            with(|v| v["application"]["product"]["requested_amount"]["amount"] = serde_json::json!(15000.5))
                .into_bytes(),
            "TYPE_MISMATCH",
            "/application/product/requested_amount/amount",
        ),
        (
            with(|v| v["application"]["applicants"][0]["sin"] = "130 692 545".into()).into_bytes(),
            "SIN_CHECKSUM",
            "/application/applicants/0/sin",
        ),
        (
            with(|v| v["application"]["applicants"][0]["addresses"][0]["postal_code"] = "D3G 1P1".into()).into_bytes(),
            "POSTAL_CODE_FORMAT",
            "/application/applicants/0/addresses/0/postal_code",
        ),
        (
            with(|v| v["application"]["applicants"][0]["date_of_birth"] = "2030-01-01".into()).into_bytes(),
            "DOB_IN_FUTURE",
            "/application/applicants/0/date_of_birth",
        ),
        (
            with(|v| {
                v["application"].as_object_mut().unwrap().remove("app_ref");
            })
            .into_bytes(),
            "REQUIRED_MISSING",
            "/application/app_ref",
        ),
        (
            with(|v| v["schema"] = "consortium.application/2.0".into()).into_bytes(),
            "UNSUPPORTED_SCHEMA_VERSION",
            "/schema",
        ),
    ]
}

fn run(input: Vec<u8>, workers: usize, chunk: usize, shard: Shard) -> (batch::Summary, Vec<u8>, Vec<u8>) {
    let tr = Translator::new(provider(), Settings::default());
    let opts = BatchOptions {
        direction: Direction::Case,
        format: InputFormat::Ndjson,
        workers,
        chunk_records: chunk,
        shard,
        source_name: "test.ndjson".into(),
        ..BatchOptions::default()
    };
    let mut out = Vec::new();
    let mut dl = Vec::new();
    let s = batch::run(&tr, &opts, Box::new(std::io::Cursor::new(input)), None, &mut out, &mut dl, None).unwrap();
    (s, out, dl)
}

#[test]
fn broken_lines_each_give_one_dead_letter_and_the_rest_goes_on_in_order() {
    let broken = broken();
    let mut input = Vec::new();
    let mut expected_refs = Vec::new();
    let mut expected_dl = Vec::new();
    let mut line = 0u64;
    let mut gi = 0;
    for (b, code, ptr) in &broken {
        for _ in 0..3 {
            input.extend_from_slice(good(gi).as_bytes());
            input.push(b'\n');
            expected_refs.push(format!("APP-OK-{gi:06}"));
            gi += 1;
            line += 1;
        }
        input.extend_from_slice(b);
        input.push(b'\n');
        line += 1;
        expected_dl.push((line, *code, *ptr, b.clone()));
    }
    input.extend_from_slice(b"\n   \n"); // blank lines are not records
    for (workers, chunk) in [(1, 256), (3, 2)] {
        let (summary, out, dl) = run(input.clone(), workers, chunk, Shard { index: 0, count: 1 });
        assert_eq!(summary.translated as usize, expected_refs.len());
        assert_eq!(summary.dead_lettered as usize, broken.len());
        assert_eq!(summary.records_read as usize, expected_refs.len() + broken.len());
        let refs: Vec<String> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["case"]["application"]["reference"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(refs, expected_refs, "outputs in input order (workers={workers})");
        let dls: Vec<serde_json::Value> =
            String::from_utf8(dl).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(dls.len(), expected_dl.len());
        let p = provider();
        for (d, (line, code, ptr, raw)) in dls.iter().zip(&expected_dl) {
            assert_eq!(d["schema"], "translator.dead-letter/1.0");
            assert_eq!(d["source"]["line"], *line);
            assert_eq!(d["errors"][0]["code"], *code, "line {line}");
            if *ptr != "*" {
                assert_eq!(d["errors"][0]["pointer"], *ptr, "line {line}");
            }
            assert!(
                d["error_offset"].is_u64() || !matches!(*code, "PARSE_ERROR" | "INVALID_UTF8"),
                "line {line}: offset"
            );
            // no PII in the clear: the message never contains the rejected value
            let text = d.to_string();
            assert!(!text.contains("130 692 545") && !text.contains("D3G 1P1") && !text.contains("Amélie"));
            // the payload decrypts back to the input (capped at 1 MiB)
            let hash = d["input_sha256"].as_str().unwrap();
            let pt = crypto::decrypt(p.as_ref(), d["input_enc"].as_str().unwrap(), &deadletter::aad(hash)).unwrap();
            let cap = raw.len().min(deadletter::INPUT_CAP);
            assert_eq!(&pt[..], &raw[..cap], "line {line}");
            assert_eq!(d["input_bytes"], raw.len());
            assert_eq!(d["input_truncated"].as_bool().unwrap_or(false), raw.len() > cap);
        }
        assert_eq!(summary.rejections_by_code.values().sum::<u64>(), broken.len() as u64);
    }
}

#[test]
fn shards_partition_the_input() {
    let input: Vec<u8> = (0..50).flat_map(|i| format!("{}\n", good(i)).into_bytes()).collect();
    let mut all = Vec::new();
    for i in 0..3 {
        let (s, out, _) = run(input.clone(), 2, 4, Shard { index: i, count: 3 });
        assert_eq!(s.records_read, 50);
        assert_eq!(s.translated + s.records_in_other_shards, 50);
        for l in String::from_utf8(out).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            all.push(v["case"]["application"]["reference"].as_str().unwrap().to_string());
        }
    }
    all.sort();
    let want: Vec<String> = (0..50).map(|i| format!("APP-OK-{i:06}")).collect();
    assert_eq!(all, want);
}

#[test]
fn rerun_gives_the_same_records_apart_from_fresh_ciphertexts() {
    let input: Vec<u8> = (0..20).flat_map(|i| format!("{}\n", good(i)).into_bytes()).collect();
    let strip = |out: Vec<u8>| -> Vec<serde_json::Value> {
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                for (ptr, _) in translator::translate::find_value_enc(&v.clone()) {
                    *v.pointer_mut(&ptr).unwrap() = serde_json::Value::Null;
                }
                v
            })
            .collect()
    };
    let a = strip(run(input.clone(), 2, 3, Shard { index: 0, count: 1 }).1);
    let b = strip(run(input, 1, 256, Shard { index: 0, count: 1 }).1);
    assert_eq!(a, b);
}

#[test]
fn csv_rows_are_mapped_validated_and_dead_lettered_like_ndjson() {
    let mapping: translator::csvmap::CsvMapping = toml::from_str(
        r#"
        [constants]
        "/schema" = "consortium.application/1.0"
        "/member_id" = "M0042"
        "/channel" = "ONLINE"
        "/application/product/type" = "CREDIT_CARD"
        "/application/origin/channel" = "WEB"
        "/application/applicants/0/role" = "PRIMARY"
        "/application/applicants/0/addresses/0/type" = "CURRENT"
        "/application/applicants/0/addresses/0/province" = "ON"
        [columns]
        id = "/message_id"
        submitted = "/submitted_at"
        app_ref = "/application/app_ref"
        received = "/application/received_at"
        party = "/application/applicants/0/applicant_ref"
        given = "/application/applicants/0/name/given"
        family = "/application/applicants/0/name/family"
        dob = "/application/applicants/0/date_of_birth"
        sin = "/application/applicants/0/sin"
        street = "/application/applicants/0/addresses/0/line1"
        city = "/application/applicants/0/addresses/0/city"
        postal = "/application/applicants/0/addresses/0/postal_code"
        term = { pointer = "/application/product/term_months", type = "integer" }
        "#,
    )
    .unwrap();
    let csv = "id,submitted,app_ref,received,party,given,family,dob,sin,street,city,postal,term\n\
        00000000-0000-4000-8000-000000000001,2025-06-01T10:00:00Z,A1,2025-06-01T09:59:00Z,P1,Ana,Roy,1980-01-02,130692544,1 King St W,Toronto,M5H 1A1,12\n\
        00000000-0000-4000-8000-000000000002,2025-06-01T10:00:00Z,A2,2025-06-01T09:59:00Z,P2,Ana,Roy,1980-01-02,130692545,1 King St W,Toronto,M5H 1A1,12\n\
        00000000-0000-4000-8000-000000000003,2025-06-01T10:00:00Z,A3,2025-06-01T09:59:00Z,P3,Ana,Roy,1980-01-02,,1 King St W,Toronto,M5H 1A1,\n";
    let tr = Translator::new(provider(), Settings::default());
    let opts = BatchOptions {
        format: InputFormat::Csv,
        workers: 2,
        source_name: "rows.csv".into(),
        ..BatchOptions::default()
    };
    let (mut out, mut dl) = (Vec::new(), Vec::new());
    let s = batch::run(
        &tr,
        &opts,
        Box::new(std::io::Cursor::new(csv.as_bytes().to_vec())),
        Some(&mapping),
        &mut out,
        &mut dl,
        None,
    )
    .unwrap();
    assert_eq!((s.translated, s.dead_lettered), (2, 1));
    let d: serde_json::Value = serde_json::from_slice(dl.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(d["errors"][0]["code"], "SIN_CHECKSUM");
    assert_eq!(d["source"]["line"], 3);
    let refs: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["case"]["external_ref"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(refs, ["M0042/A1", "M0042/A3"]);
}
