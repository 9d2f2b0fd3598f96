//! One test per bug or surprise found, with where it came from.

use std::path::Path;
use std::sync::Arc;

use translator::crypto::{KeyProvider, LocalKeyProvider};
use translator::json::{parse, Arena, Limits, Value};
use translator::translate::TranslateError;
use translator::{Direction, Settings, Translator};

/// Found by the fuzzer (translator/fuzz): a record holding `1234567E8901234567891`. JSON allows
/// any exponent; serde_json refuses numbers beyond f64 range. The parser keeps the number as
/// text, the record is translated or rejected by schema rules, and nothing panics.
#[test]
fn numbers_beyond_f64_range_are_kept_as_text() {
    let arena = Arena::new();
    let v = parse(b"[1E999,-12345678901234567890123456789]", Limits::default(), &arena).unwrap();
    let Value::Array(a) = &v else { panic!() };
    assert_eq!(a[0], Value::Number("1E999"));
    assert_eq!(v.to_serde(), serde_json::json!(["1E999", "-12345678901234567890123456789"]));

    let p: Arc<dyn KeyProvider> = Arc::new(
        LocalKeyProvider::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test-keys.json")).unwrap(),
    );
    let tr = Translator::new(p, Settings::default());
    let input =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/huge-exponent.json")).unwrap();
    for dir in [Direction::Inquiry, Direction::Case] {
        match tr.session().translate(dir, &input) {
            Ok(o) => assert!(serde_json::from_slice::<serde_json::Value>(&o.json).is_ok()),
            Err(TranslateError::Rejected(r)) => assert!(!r.errors.is_empty()),
            Err(e) => panic!("{e}"),
        }
    }
}
