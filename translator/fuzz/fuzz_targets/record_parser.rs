//! Fuzz the record parser and the whole pure core on arbitrary bytes:
//! - nothing panics (parser, validation, normalisation, tokenisation, encryption, assembly);
//! - whatever the strict parser accepts, serde_json accepts too (we are never more lenient),
//!   except numbers beyond f64 range, which JSON allows and serde_json refuses;
//! - every translated output is valid JSON; every rejection has at least one error with a code.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use translator::crypto::{generate_key_file, KeyProvider, LocalKeyProvider};
use translator::json::{parse, Limits};
use translator::translate::TranslateError;
use translator::{Direction, Settings, Translator};

fn translator() -> &'static Arc<Translator> {
    static T: OnceLock<Arc<Translator>> = OnceLock::new();
    T.get_or_init(|| {
        let p: Arc<dyn KeyProvider> = Arc::new(LocalKeyProvider::from_key_file(&generate_key_file("fuzz", "ck-fuzz")).unwrap());
        Translator::new(p, Settings::default())
    })
}

fuzz_target!(|data: &[u8]| {
    let arena = translator::json::Arena::new();
    if let Ok(v) = parse(data, Limits::default(), &arena) {
        // serde_json also rejects numbers whose magnitude overflows f64 (e.g. `1E999`); JSON allows
        // them and this parser keeps numbers as text, so that one difference is expected.
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(data) {
            assert!(e.to_string().contains("number out of range"), "accepted by us, rejected by serde_json: {e}");
        }
        let _ = v.to_serde();
    }
    let mut s = translator().session();
    for dir in [Direction::Inquiry, Direction::Case] {
        match s.translate(dir, data) {
            Ok(out) => {
                assert!(serde_json::from_slice::<serde_json::Value>(&out.json).is_ok());
            }
            Err(TranslateError::Rejected(r)) => assert!(!r.errors.is_empty()),
            Err(TranslateError::Crypto(e)) => panic!("local provider failed: {e}"),
        }
    }
});
