//! The order in which the runtimes take their turns: every run visits
//! every runtime once, and the starting runtime rotates from run to run,
//! so that no runtime always runs first (cold caches, turbo) or last
//! (a machine warmed by the others).

/// The order of `items` for run number `run` (from 0): `items` rotated
/// left by `run` places.
pub fn rotated<T: Clone>(items: &[T], run: usize) -> Vec<T> {
    if items.is_empty() {
        return Vec::new();
    }
    let k = run % items.len();
    items[k..].iter().chain(&items[..k]).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_zero_keeps_the_order() {
        assert_eq!(rotated(&["a", "b", "c"], 0), ["a", "b", "c"]);
    }

    #[test]
    fn each_run_starts_one_later_and_wraps() {
        let items = ["a", "b", "c"];
        assert_eq!(rotated(&items, 1), ["b", "c", "a"]);
        assert_eq!(rotated(&items, 2), ["c", "a", "b"]);
        assert_eq!(rotated(&items, 3), ["a", "b", "c"]);
    }

    #[test]
    fn every_item_leads_once_in_len_runs() {
        let items = [1, 2, 3, 4];
        let firsts: Vec<i32> = (0..4).map(|r| rotated(&items, r)[0]).collect();
        assert_eq!(firsts, [1, 2, 3, 4]);
        for r in 0..4 {
            let mut sorted = rotated(&items, r);
            sorted.sort();
            assert_eq!(sorted, items);
        }
    }

    #[test]
    fn empty_stays_empty() {
        assert!(rotated::<u8>(&[], 3).is_empty());
    }
}
