//! Splitting large kernels across threads: the global thread count, the size threshold, and the pool.
//!
//! The calling thread always takes the first chunk itself; the others go to a rayon pool of
//! `threads - 1` workers (measured against `std::thread::scope`, which pays a thread spawn per chunk:
//! see `simd-bench --threads-overhead`). Chunk boundaries are multiples of 64 elements (so of a cache
//! line for every element type); results never depend on where they fall.

use std::ops::Range;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Bytes of memory traffic (read + written) below which a kernel runs on one thread. Each further
/// thread needs at least this much work. Measured with `simd-bench --threshold` (mul3 f32, 2 threads):
/// the split starts to pay at about 128–256 KiB of traffic per thread.
pub const PAR_MIN_BYTES_PER_THREAD: usize = 256 * 1024;

static NUM_THREADS: AtomicUsize = AtomicUsize::new(0);
static PAR_MIN_BYTES: AtomicUsize = AtomicUsize::new(PAR_MIN_BYTES_PER_THREAD);

/// Overrides [`PAR_MIN_BYTES_PER_THREAD`] (for measuring it).
#[doc(hidden)]
pub fn set_par_min_bytes(bytes: usize) {
    PAR_MIN_BYTES.store(bytes.max(1), Ordering::Relaxed);
}

/// Sets the number of threads large kernels use (`0` restores the default: `OPKIT_NUM_THREADS`, else
/// the available parallelism).
///
/// ```
/// op_kernels::simd::set_num_threads(1);
/// assert_eq!(op_kernels::simd::num_threads(), 1);
/// op_kernels::simd::set_num_threads(0);
/// ```
pub fn set_num_threads(n: usize) {
    NUM_THREADS.store(n, Ordering::Relaxed);
}

/// The number of threads large kernels use.
pub fn num_threads() -> usize {
    match NUM_THREADS.load(Ordering::Relaxed) {
        0 => default_threads(),
        n => n,
    }
}

fn default_threads() -> usize {
    static DEFAULT: OnceLock<usize> = OnceLock::new();
    *DEFAULT.get_or_init(|| {
        std::env::var("OPKIT_NUM_THREADS")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    })
}

/// How chunks after the first are run.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pool {
    /// A persistent rayon pool (the default).
    Rayon,
    /// `std::thread::scope`, a fresh thread per chunk.
    Scoped,
}

static POOL_KIND: AtomicU8 = AtomicU8::new(0);

/// Chooses the pool implementation (for benchmarks).
#[doc(hidden)]
pub fn set_pool(pool: Pool) {
    POOL_KIND.store(pool as u8, Ordering::Relaxed);
}

fn rayon_pool(workers: usize) -> Arc<rayon::ThreadPool> {
    static POOL: Mutex<Option<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(None);
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    match &*guard {
        Some((n, pool)) if *n == workers => pool.clone(),
        _ => {
            let pool = Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(workers)
                    .thread_name(|i| format!("opkit-simd-{i}"))
                    .build()
                    .expect("building the opkit thread pool"),
            );
            *guard = Some((workers, pool.clone()));
            pool
        }
    }
}

/// How many threads `n` items of `bytes_per_item` traffic each deserve.
pub(crate) fn threads_for(n: usize, bytes_per_item: usize) -> usize {
    let by_size = n.saturating_mul(bytes_per_item) / PAR_MIN_BYTES.load(Ordering::Relaxed);
    num_threads().min(by_size).max(1)
}

/// Splits `0..n` into `threads` ranges whose boundaries are multiples of `grain` and runs `f` on each,
/// the first on the calling thread. Panics in `f` propagate.
pub(crate) fn run_chunks(
    n: usize,
    grain: usize,
    threads: usize,
    f: &(dyn Fn(Range<usize>) + Sync),
) {
    let grain = grain.max(1);
    let blocks = n.div_ceil(grain);
    let threads = threads.min(blocks).max(1);
    if threads == 1 {
        return f(0..n);
    }
    let range = |t: usize| {
        (blocks * t / threads * grain).min(n)..(blocks * (t + 1) / threads * grain).min(n)
    };
    if POOL_KIND.load(Ordering::Relaxed) == Pool::Scoped as u8 {
        std::thread::scope(|s| {
            for t in 1..threads {
                s.spawn(move || f(range(t)));
            }
            f(range(0));
        });
    } else {
        rayon_pool(threads - 1).in_place_scope(|s| {
            for t in 1..threads {
                s.spawn(move |_| f(range(t)));
            }
            f(range(0));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn chunks_cover_exactly_once_at_grain_boundaries() {
        for n in [0usize, 1, 63, 64, 65, 1000, 4097] {
            for threads in 1..=5 {
                let seen = Mutex::new(vec![0u8; n]);
                run_chunks(n, 64, threads, &|r: Range<usize>| {
                    assert!(r.start.is_multiple_of(64));
                    let mut s = seen.lock().unwrap();
                    for i in r {
                        s[i] += 1;
                    }
                });
                assert!(seen.into_inner().unwrap().iter().all(|&c| c == 1));
            }
        }
    }
}
