//! Arbitrary text as a `.tf` file: HCL parsing, policy extraction (data sources, jsonencode,
//! heredocs, references), inline ignores, and every check over what was extracted. Nothing may
//! panic or overflow.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use policy_lint::input::{terraform, Content, InputOptions, Loaded};
use policy_lint::{analyze_value, AnalyzeOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut out = Loaded::default();
    // A directory that does not exist: `file(...)` references fail cleanly instead of reading the host.
    let opts = InputOptions { max_file_bytes: 1 << 20, ..InputOptions::default() };
    terraform::load_sources(Path::new("/nonexistent/policy-lint-fuzz"), &[("fuzz.tf".into(), text.into())], &opts, &mut out);
    for d in &out.documents {
        if let Content::Policy { value, locator } = &d.content {
            let _ = locator.locate("/Statement/0/Action/0");
            let _ = analyze_value(value, d.kind, &AnalyzeOptions::default());
        }
    }
});
