//! HTTP contract of `translator serve`, driven in-process through the router.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use translator::crypto::{KeyProvider, LocalKeyProvider};
use translator::serve::{router, AppState, ServeOptions};
use translator::{Settings, Translator};

fn state() -> Arc<AppState> {
    let p: Arc<dyn KeyProvider> = Arc::new(
        LocalKeyProvider::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test-keys.json")).unwrap(),
    );
    AppState::new(
        Translator::new(p, Settings::default()),
        ServeOptions { body_limit: 64 << 10, ..ServeOptions::default() },
    )
}

fn golden(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name).join("input.json"))
        .unwrap()
}

async fn call(
    s: &Arc<AppState>,
    method: &str,
    uri: &str,
    ct: Option<&str>,
    body: impl Into<Body>,
) -> (StatusCode, String, String, Vec<(String, String)>) {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(ct) = ct {
        b = b.header("content-type", ct);
    }
    let resp = router(s.clone()).oneshot(b.body(body.into()).unwrap()).await.unwrap();
    let status = resp.status();
    let headers: Vec<(String, String)> =
        resp.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
    let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, ctype, String::from_utf8_lossy(&bytes).to_string(), headers)
}

#[tokio::test]
async fn inquiry_ok_then_idempotent_replay_then_conflict() {
    let s = state();
    let body = golden("application-inquiry");
    let (st, ct, out, _) = call(&s, "POST", "/v1/inquiries", Some("application/json"), body.clone()).await;
    assert_eq!(st, StatusCode::OK, "{out}");
    assert_eq!(ct, "application/json");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], "consortium.inquiry/1.0");
    assert_eq!(v["kid"], "ck-test-01");
    // same message_id and body: same response, marked as a replay
    let (st2, _, out2, h2) =
        call(&s, "POST", "/v1/inquiries", Some("application/json; charset=utf-8"), body.clone()).await;
    assert_eq!(st2, StatusCode::OK);
    assert_eq!(out2, out);
    assert!(h2.iter().any(|(k, v)| k == "idempotent-replay" && v == "true"));
    // same message_id, different body: conflict
    let changed = body.replace("APP-2025-00000042", "APP-2025-00000043");
    let (st3, ct3, out3, _) = call(&s, "POST", "/v1/inquiries", Some("application/json"), changed).await;
    assert_eq!(st3, StatusCode::CONFLICT, "{out3}");
    assert_eq!(ct3, "application/problem+json");
}

#[tokio::test]
async fn cases_from_a_pair_carry_alerts() {
    let s = state();
    let (st, _, out, _) = call(&s, "POST", "/v1/cases", Some("application/json"), golden("pair-case-match")).await;
    assert_eq!(st, StatusCode::OK, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["case"]["priority"], 1);
    assert_eq!(v["case"]["alerts"].as_array().unwrap().len(), 2);
    assert!(v["case"]["subjects"][0]["national_id"]["value_enc"].as_str().unwrap().starts_with("kms1:"));
}

#[tokio::test]
async fn problems_for_parse_size_media_type_and_validation() {
    let s = state();
    // 400: not JSON
    let (st, ct, out, _) = call(&s, "POST", "/v1/inquiries", Some("application/json"), "{\"schema\": ").await;
    assert_eq!((st, ct.as_str()), (StatusCode::BAD_REQUEST, "application/problem+json"), "{out}");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(p["status"], 400);
    assert_eq!(p["errors"][0]["code"], "PARSE_ERROR");
    // 400: duplicate key
    let dup = golden("application-inquiry").replacen(
        "\"member_id\": \"M0042\"",
        "\"member_id\": \"M0042\", \"member_id\": \"M0042\"",
        1,
    );
    let (st, _, out, _) = call(&s, "POST", "/v1/inquiries", Some("application/json"), dup).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(out.contains("DUPLICATE_KEY") && out.contains("/member_id"));
    // 413: over the body limit
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(70 << 10));
    let (st, ct, _, _) = call(&s, "POST", "/v1/inquiries", Some("application/json"), big).await;
    assert_eq!((st, ct.as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "application/problem+json"));
    // 415: wrong media type
    let (st, ct, _, _) = call(&s, "POST", "/v1/inquiries", Some("text/plain"), golden("application-inquiry")).await;
    assert_eq!((st, ct.as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "application/problem+json"));
    let (st, _, _, _) = call(&s, "POST", "/v1/inquiries", None, golden("application-inquiry")).await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // 422: every validation error with its pointer, never the value
    let bad = golden("application-inquiry")
        .replace("130 692 544", "130 692 545")
        .replace("h3g1p1", "D3G 1P1")
        .replace("3f6c1c1e-8a0b-4c7e-9d2a-1b2c3d4e5f60", "3f6c1c1e-8a0b-4c7e-9d2a-1b2c3d4e5f61");
    let (st, ct, out, _) = call(&s, "POST", "/v1/inquiries", Some("application/json"), bad).await;
    assert_eq!((st, ct.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "application/problem+json"), "{out}");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    let errs: Vec<(String, String)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["code"].as_str().unwrap().to_string(), e["pointer"].as_str().unwrap().to_string()))
        .collect();
    assert!(errs.contains(&("SIN_CHECKSUM".into(), "/application/applicants/0/sin".into())), "{errs:?}");
    assert!(errs.contains(&("POSTAL_CODE_FORMAT".into(), "/application/applicants/0/addresses/0/postal_code".into())));
    assert!(!out.contains("130 692 545") && !out.contains("D3G"), "problem body echoes a value: {out}");
    // unsupported major version
    let v2 = golden("application-inquiry").replace("consortium.application/1.2", "consortium.application/2.0");
    let (st, _, out, _) = call(&s, "POST", "/v1/inquiries", Some("application/json"), v2).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(out.contains("UNSUPPORTED_SCHEMA_VERSION") && out.contains("\"/schema\""));
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let s = state();
    assert_eq!(call(&s, "GET", "/healthz", None, Body::empty()).await.0, StatusCode::OK);
    assert_eq!(call(&s, "GET", "/readyz", None, Body::empty()).await.0, StatusCode::OK);
    let _ = call(&s, "POST", "/v1/inquiries", Some("application/json"), golden("application-inquiry")).await;
    let _ = call(&s, "POST", "/v1/inquiries", Some("application/json"), "[").await;
    let (st, ct, m, _) = call(&s, "GET", "/metrics", None, Body::empty()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(ct.starts_with("text/plain"));
    assert!(m.contains("translator_events_total{event=\"request\",route=\"inquiries\",status=\"200\"} 1"), "{m}");
    assert!(m.contains("translator_events_total{event=\"rejected\",code=\"PARSE_ERROR\"} 1"));
    assert!(m.contains("translator_request_duration_seconds_count 2"));
    s.set_ready(false);
    assert_eq!(call(&s, "GET", "/readyz", None, Body::empty()).await.0, StatusCode::SERVICE_UNAVAILABLE);
}
