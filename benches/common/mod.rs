//! A plain benchmark harness shared by the `cargo bench` targets: warm up, time batches of
//! calls, report the median (machines here are shared and noisy, so medians, not means).

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Median time per call of `f`, over `samples` batches of `batch` calls after a warm-up.
pub(crate) fn median_per_call<T>(
    samples: usize,
    batch: usize,
    mut f: impl FnMut() -> T,
) -> Duration {
    for _ in 0..batch {
        black_box(f());
    }
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                black_box(f());
            }
            start.elapsed() / batch as u32
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Prints one result line: name and median time per call.
pub(crate) fn report(name: &str, median: Duration) {
    println!("{name:<48} median {:>10.2} us", median.as_secs_f64() * 1e6);
}
