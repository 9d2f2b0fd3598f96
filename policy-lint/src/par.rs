//! Order-preserving parallel map over a slice (scoped std threads; no runtime).

/// `items.iter().map(f)` on up to `available_parallelism` threads, in order.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    // Small inputs are not worth a thread.
    let chunks = threads.min(items.len() / 32).max(1);
    if chunks == 1 {
        return items.iter().map(f).collect();
    }
    let size = items.len().div_ceil(chunks);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> =
            items.chunks(size).map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<R>>())).collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_on_any_size() {
        for n in [0usize, 1, 31, 32, 33, 1000, 1001] {
            let items: Vec<usize> = (0..n).collect();
            let out = super::map(&items, |i| i * 3);
            assert_eq!(out, (0..n).map(|i| i * 3).collect::<Vec<_>>(), "n = {n}");
        }
    }
}
