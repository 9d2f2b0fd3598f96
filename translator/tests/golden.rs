//! Golden translations: `tests/golden/<case>/input.json` → `expected.json` (synthetic data).
//! The directory name ends with the direction (`-inquiry` / `-case`); `rotation-*` cases use
//! the two-key rotation fixture. `value_enc` fields are random by design (fresh nonces and data
//! keys), so they are compared after decrypting them back to the expected plaintext, recorded
//! in the golden file as `"<enc:PLAINTEXT>"`.
//! Regenerate with `UPDATE_GOLDEN=1 cargo test -p translator --test golden` and review the diff.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use translator::crypto::{self, KeyProvider, LocalKeyProvider};
use translator::translate::find_value_enc;
use translator::{Direction, Settings, Translator};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn run_case(dir: &Path) {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let direction = if name.ends_with("-inquiry") { Direction::Inquiry } else { Direction::Case };
    let keys = if name.starts_with("rotation-") { "test-keys-rotation.json" } else { "test-keys.json" };
    let provider: Arc<dyn KeyProvider> = Arc::new(LocalKeyProvider::load(&fixture(keys)).unwrap());
    let tr = Translator::new(provider.clone(), Settings::default());
    let input = std::fs::read(dir.join("input.json")).unwrap();
    let out = tr.session().translate(direction, &input).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut actual: serde_json::Value = serde_json::from_slice(&out.json).unwrap();
    // decrypt every value_enc and replace it by its plaintext marker
    let (member, app_ref) = match actual.pointer("/case/external_ref").and_then(|v| v.as_str()) {
        Some(r) => {
            let (m, a) = r.split_once('/').unwrap();
            (m.to_string(), a.to_string())
        }
        None => (String::new(), String::new()),
    };
    for (ptr, enc) in find_value_enc(&actual.clone()) {
        let pt = crypto::decrypt(provider.as_ref(), &enc, &crypto::field_aad(&member, &app_ref, &ptr))
            .unwrap_or_else(|e| panic!("{name}: {ptr}: {e}"));
        *actual.pointer_mut(&ptr).unwrap() = format!("<enc:{}>", String::from_utf8(pt.to_vec()).unwrap()).into();
    }
    let expected_path = dir.join("expected.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, serde_json::to_string_pretty(&actual).unwrap() + "\n").unwrap();
        return;
    }
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&expected_path).unwrap_or_else(|_| panic!("{name}: expected.json missing")),
    )
    .unwrap();
    assert_eq!(actual, expected, "{name}: output differs from expected.json");
}

#[test]
fn golden_translations() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut dirs: Vec<_> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    assert!(dirs.len() >= 4);
    for d in dirs {
        run_case(&d);
    }
}

#[test]
fn outputs_never_contain_clear_identifiers() {
    let provider: Arc<dyn KeyProvider> = Arc::new(LocalKeyProvider::load(&fixture("test-keys.json")).unwrap());
    let tr = Translator::new(provider, Settings::default());
    let input =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/pair-case-match/input.json")).unwrap();
    let inquiry = String::from_utf8(tr.session().translate(Direction::Inquiry, &input).unwrap().json).unwrap();
    let case = String::from_utf8(tr.session().translate(Direction::Case, &input).unwrap().json).unwrap();
    for secret in ["130692544", "130 692 544", "0012345678", "C620415039005", "s-00000000deadbeef", "never copied"] {
        assert!(!case.contains(secret), "case import leaks {secret}");
        assert!(!inquiry.contains(secret), "inquiry leaks {secret}");
    }
    // the inquiry carries no clear name, date of birth, phone, e-mail or address
    for clear in ["Amélie", "Tremblay", "1990-03-15", "5145550142", "example.com", "Sainte-Catherine", "203.0.113.45"]
    {
        assert!(!inquiry.contains(clear), "inquiry leaks {clear}");
    }
}

/// Token values computed independently with Python's `hmac` module over the test key:
/// `base64url(HMAC-SHA-256(key, tag || 0x1F || value)[:16])`.
#[test]
fn tokens_match_an_independent_hmac_implementation() {
    let provider = LocalKeyProvider::load(&fixture("test-keys.json")).unwrap();
    let k = provider.token_keys().active();
    assert_eq!(k.token("sin", "130692544"), "unnrZoamljl0KydvMCM4Yg");
    assert_eq!(k.token("name_dob", "AMELIE|COTETREMBLAY|1990-03-15"), "YdAErUXR26s_x-xykUJ4Eg");
    assert_eq!(k.token("email", "amelie.cote+banque@example.com"), "jjh3eSMPw7hjtuupCtVSLg");
    assert_eq!(k.token("email", "amelie.cote@example.com"), "hxfp8_5MGkZMZ3KOc0RcFw");
    assert_eq!(k.token("phone", "+15145550142"), "OoECHccaljzbp5baMlb9Nw");
    assert_eq!(k.token("civic_street_postal", "1234|RUE STE CATHERINE O|H3G 1P1"), "7x7o1SEBayeO4pafr8bOIg");
    // and the golden inquiry carries exactly these
    let golden = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/application-inquiry/expected.json"),
    )
    .unwrap();
    for t in ["unnrZoamljl0KydvMCM4Yg", "YdAErUXR26s_x-xykUJ4Eg", "hxfp8_5MGkZMZ3KOc0RcFw", "7x7o1SEBayeO4pafr8bOIg"] {
        assert!(golden.contains(t));
    }
}
