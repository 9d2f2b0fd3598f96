//! Order-preserving parallel map over a slice (scoped std threads; no runtime).
//!
//! Work is handed out in small chunks from a shared counter, so one slow item (a large plan, a
//! policy with many findings) does not leave the other cores idle; the calling thread works too.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Items taken at a time by a worker.
const CHUNK: usize = 4;

/// Cores to use (asked once: the answer costs a few file reads on Linux).
fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
}

/// `items.iter().map(f)` on up to `available_parallelism` threads, in order.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads();
    // Small inputs are not worth a thread.
    let workers = threads.min(items.len().div_ceil(CHUNK * 4));
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done: Vec<(usize, Vec<R>)> = Vec::new();
        loop {
            let start = next.fetch_add(CHUNK, Ordering::Relaxed);
            if start >= items.len() {
                return done;
            }
            let end = (start + CHUNK).min(items.len());
            done.push((start, items[start..end].iter().map(&f).collect()));
        }
    };
    let mut parts: Vec<(usize, Vec<R>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..workers).map(|_| s.spawn(work)).collect();
        let mut parts = work();
        for h in handles {
            match h.join() {
                Ok(v) => parts.extend(v),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        parts
    });
    parts.sort_unstable_by_key(|(start, _)| *start);
    let mut out = Vec::with_capacity(items.len());
    for (_, v) in parts {
        out.extend(v);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_on_any_size() {
        for n in [0usize, 1, 15, 16, 17, 31, 32, 33, 1000, 1001] {
            let items: Vec<usize> = (0..n).collect();
            let out = super::map(&items, |i| i * 3);
            assert_eq!(out, (0..n).map(|i| i * 3).collect::<Vec<_>>(), "n = {n}");
        }
    }

    #[test]
    fn uneven_work_keeps_order() {
        // Items of very different cost: the result is still in input order.
        let items: Vec<u64> = (0..200).map(|i| if i % 37 == 0 { 200_000 } else { 10 }).collect();
        let out = super::map(&items, |&n| (0..n).fold(0u64, |a, b| a.wrapping_add(b)));
        let want: Vec<u64> = items.iter().map(|&n| (0..n).fold(0u64, |a, b| a.wrapping_add(b))).collect();
        assert_eq!(out, want);
    }
}
