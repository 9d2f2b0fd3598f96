//! For tests that talk to emulated AWS (moto, started by `scripts/moto.sh`).
//!
//! [`endpoint`] returns the emulator URL from `AWS_ENDPOINT_URL`. When it is not set the test
//! is skipped with a message — unless `FCM_GUARD_REQUIRE_EMULATOR=1` (set by `scripts/test.sh`
//! and CI), in which case a missing emulator fails the test instead of hiding it.

/// The emulator endpoint, or `None` if the test should be skipped.
///
/// # Panics
/// When `FCM_GUARD_REQUIRE_EMULATOR=1` and `AWS_ENDPOINT_URL` is unset.
#[must_use]
pub fn endpoint(test: &str) -> Option<String> {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("FCM_GUARD_REQUIRE_EMULATOR").as_deref() != Ok("1"),
                "{test}: AWS_ENDPOINT_URL is not set; run through scripts/test.sh (it starts moto)"
            );
            eprintln!("{test}: skipped, no emulator (run `eval \"$(scripts/moto.sh start)\"` first)");
            None
        }
    }
}

/// The Python interpreter of the test virtualenv (for independent cross-checks), if any.
#[must_use]
pub fn python() -> Option<String> {
    std::env::var("FCM_GUARD_PYTHON").ok().filter(|p| std::path::Path::new(p).exists())
}
