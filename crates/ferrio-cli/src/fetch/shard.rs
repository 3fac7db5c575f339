//! `--shard K/N`: the K-th of N deterministic slices of the input.
//!
//! A URL belongs to slice `fnv1a(url) % N + 1`. The hash is FNV-1a (64
//! bits), fixed by its specification, so every machine running one shard
//! agrees on the split without a coordinator or a shared list, and the N
//! slices partition the input exactly.

use std::str::FromStr;

use crate::error::CliError;

/// FNV-1a, 64 bits, of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// One slice of N: `index` runs from 1 to `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Slice `index` (from 1) of `count`.
    ///
    /// # Errors
    ///
    /// [`CliError::Usage`] unless `1 <= index <= count`.
    pub fn new(index: u64, count: u64) -> Result<Shard, CliError> {
        if count == 0 || index == 0 || index > count {
            return Err(CliError::Usage(format!(
                "--shard {index}/{count}: K/N needs 1 <= K <= N (e.g. --shard 1/4 … --shard 4/4)"
            )));
        }
        Ok(Shard { index, count })
    }

    /// The slice number, from 1.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The number of slices.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether `url` belongs to this slice.
    pub fn contains(&self, url: &str) -> bool {
        fnv1a(url.as_bytes()) % self.count + 1 == self.index
    }
}

impl FromStr for Shard {
    type Err = CliError;

    fn from_str(text: &str) -> Result<Shard, CliError> {
        let bad = || {
            CliError::Usage(format!(
                "--shard '{text}' is not K/N: write e.g. --shard 2/8 for the 2nd of 8 slices"
            ))
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_its_specification() {
        // Reference values of FNV-1a 64.
        assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn shards_partition_the_input_exactly() {
        let mut rng = fastrand::Rng::with_seed(13);
        for n in 1..=9u64 {
            let shards: Vec<Shard> = (1..=n).map(|k| Shard::new(k, n).unwrap()).collect();
            let mut sizes = vec![0usize; n as usize];
            for i in 0..3000 {
                let url = format!("http://h{}/item/{i}?q={}", rng.u8(..), rng.u32(..));
                let owners: Vec<_> = shards.iter().filter(|s| s.contains(&url)).collect();
                assert_eq!(owners.len(), 1, "{url} in {owners:?}");
                sizes[owners[0].index() as usize - 1] += 1;
                // Deterministic: the same answer every time.
                assert!(owners[0].contains(&url));
            }
            // Roughly balanced: no slice under half its share.
            for size in sizes {
                assert!(size * 2 * n as usize >= 3000, "n={n}: {size}");
            }
        }
    }

    proptest::proptest! {
        /// Any URLs, any N: each URL is in exactly one of the N slices,
        /// and asking again gives the same answer.
        #[test]
        fn any_urls_partition_into_exactly_one_slice(
            urls in proptest::collection::vec(".{0,80}", 1..60),
            n in 1u64..20,
        ) {
            let shards: Vec<Shard> = (1..=n).map(|k| Shard::new(k, n).unwrap()).collect();
            for url in &urls {
                let owners: Vec<u64> = shards.iter().filter(|s| s.contains(url)).map(|s| s.index()).collect();
                proptest::prop_assert_eq!(owners.len(), 1);
                proptest::prop_assert!(shards[owners[0] as usize - 1].contains(url));
            }
        }

        /// K/N parses back to the same slice, and only 1 <= K <= N parses.
        #[test]
        fn k_of_n_parses_exactly_when_valid(k in 0u64..30, n in 0u64..30) {
            let parsed = format!("{k}/{n}").parse::<Shard>();
            proptest::prop_assert_eq!(parsed.is_ok(), 1 <= k && k <= n);
            if let Ok(shard) = parsed {
                proptest::prop_assert_eq!((shard.index(), shard.count()), (k, n));
            }
        }
    }

    #[test]
    fn bad_shards_are_usage_errors() {
        assert_eq!("2/8".parse::<Shard>().unwrap(), Shard::new(2, 8).unwrap());
        for bad in ["0/4", "5/4", "1/0", "x/4", "1", "1/4/2", "-1/4", ""] {
            match bad.parse::<Shard>() {
                Err(CliError::Usage(m)) => assert!(m.contains("--shard"), "{m}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
