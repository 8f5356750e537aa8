//! The few samplers the generator needs, written on the raw `next_u32` stream so that exercise
//! content depends only on ChaCha8's output and on this file, never on rand's distribution code
//! (which is not value-stable across rand versions). Changing anything here changes every
//! exercise ever generated: the golden tests in `tests/` fail loudly if it happens.

use rand_chacha::rand_core::Rng;

/// A uniform integer in `0..n` by rejection: draw `v = next_u32()`, reject the top
/// `2^32 mod n` values (so every residue is equally likely), return `v % n`.
/// `n <= 1` returns 0 without drawing, so a knob with a single option consumes nothing.
pub fn below<R: Rng>(rng: &mut R, n: u32) -> u32 {
    if n <= 1 {
        return 0;
    }
    let reject = (u32::MAX % n + 1) % n; // = 2^32 mod n
    let last_accepted = u32::MAX - reject;
    loop {
        let v = rng.next_u32();
        if v <= last_accepted {
            return v % n;
        }
    }
}

/// One of `options`, uniformly: `options[below(len)]`.
pub fn pick<'a, T, R: Rng>(rng: &mut R, options: &'a [T]) -> &'a T {
    let n = u32::try_from(options.len()).expect("invariant: option lists are short");
    &options[below(rng, n) as usize]
}

/// The first `k` steps of a forward Fisher-Yates shuffle: afterwards `items[..k]` is a uniform
/// random `k`-subset of `items` in random order. Step `i` swaps `items[i]` with
/// `items[i + below(len - i)]`. `k = len` shuffles the whole slice.
pub fn shuffle_prefix<T, R: Rng>(rng: &mut R, items: &mut [T], k: usize) {
    let len = items.len();
    for i in 0..k.min(len) {
        let span = u32::try_from(len - i).expect("invariant: matrices are small");
        let j = i + below(rng, span) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that replays fixed words, to test the rejection arithmetic exactly.
    struct Replay(Vec<u32>);

    impl rand_chacha::rand_core::TryRng for Replay {
        type Error = std::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(self.0.remove(0))
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            unimplemented!("the samplers use next_u32 only")
        }
        fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Self::Error> {
            unimplemented!("the samplers use next_u32 only")
        }
    }

    #[test]
    fn below_rejects_the_biased_top_of_the_range() {
        // 2^32 mod 10 = 6: the values u32::MAX - 5 ..= u32::MAX are rejected.
        let mut rng = Replay(vec![u32::MAX, u32::MAX - 5, u32::MAX - 6, 0]);
        assert_eq!(below(&mut rng, 10), (u32::MAX - 6) % 10);
        assert_eq!(rng.0, vec![0], "two rejected, one accepted");
    }

    #[test]
    fn below_accepts_everything_for_powers_of_two() {
        let mut rng = Replay(vec![u32::MAX]);
        assert_eq!(below(&mut rng, 8), 7);
    }

    #[test]
    fn single_option_draws_nothing() {
        let mut rng = Replay(vec![]);
        assert_eq!(below(&mut rng, 1), 0);
        assert_eq!(*pick(&mut rng, &["only"]), "only");
    }

    #[test]
    fn below_is_uniform_over_small_ranges() {
        let mut rng = crate::generate::seed::rng_from_seed_text("uniformity");
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[below(&mut rng, 6) as usize] += 1;
        }
        // Expected 10 000 each; 5 standard deviations is about 456.
        assert!(
            counts.iter().all(|&c| (9_500..=10_500).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn shuffle_prefix_is_a_permutation() {
        let mut rng = crate::generate::seed::rng_from_seed_text("shuffle");
        let mut items: Vec<usize> = (0..25).collect();
        shuffle_prefix(&mut rng, &mut items, 25);
        let mut sorted = items.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..25).collect::<Vec<_>>());
        assert_ne!(items, sorted, "25 items virtually never stay in order");
    }
}
