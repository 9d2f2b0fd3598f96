//! Arbitrary bytes as a policy file: JSON parsing, kind detection, the policy parser for every
//! kind, every check, and the pointer → line/column index. Nothing may panic or overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_lint::input::{detect_kind, Locator};
use policy_lint::{analyze_value, policy, AnalyzeOptions, PolicyKind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { return };
    let kind = detect_kind(&value);
    for k in PolicyKind::ALL {
        if let Ok(p) = policy::parse(&value, k) {
            let locator = Locator::json(text);
            for s in &p.statements {
                let _ = locator.locate(&s.pointer);
                let _ = locator.locate(&s.action.pointer);
            }
        }
    }
    let _ = analyze_value(&value, kind, &AnalyzeOptions::default());
});
