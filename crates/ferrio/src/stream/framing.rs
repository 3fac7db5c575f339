//! The separator search of `readuntil`, as asyncio defines it: among
//! several separators the match that *ends* first wins (on a tie, the
//! shortest separator), and the limit is checked against where the search
//! got to, so memory stays bounded while the separator is missing.

/// What a search of the buffer found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// A separator at `start..end`.
    Found { start: usize, end: usize },
    /// No separator; the next search may start at `offset` (a separator
    /// cannot end before it).
    NotFound { offset: usize },
}

/// Sorts the separators by length (stable, as asyncio's `sorted`).
pub(crate) fn sorted<'a>(separators: &[&'a [u8]]) -> Vec<&'a [u8]> {
    let mut seps = separators.to_vec();
    seps.sort_by_key(|s| s.len());
    seps
}

/// Searches `buf` from `offset` for the separators, sorted by length.
pub(crate) fn scan(buf: &[u8], offset: usize, seps: &[&[u8]]) -> Scan {
    let mut best: Option<(usize, usize)> = None;
    for sep in seps {
        if let Some(start) = find(&buf[offset.min(buf.len())..], sep) {
            let start = start + offset;
            let end = start + sep.len();
            if best.is_none_or(|(_, e)| end < e) {
                best = Some((start, end));
            }
        }
    }
    match best {
        Some((start, end)) => Scan::Found { start, end },
        None => {
            let max = seps.last().map_or(1, |s| s.len());
            Scan::NotFound {
                offset: (buf.len() + 1).saturating_sub(max),
            }
        }
    }
}

/// The first occurrence of `needle` in `haystack`.
#[inline]
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [] => Some(0),
        [b] => haystack.iter().position(|x| x == b),
        [first, rest @ ..] => {
            let mut from = 0;
            while let Some(i) = haystack[from..].iter().position(|x| x == first) {
                let at = from + i;
                if haystack[at + 1..].starts_with(rest) {
                    return Some(at);
                }
                from = at + 1;
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_end_wins_then_shortest() {
        let seps = sorted(&[b"DEF", b"BCDE"]);
        assert_eq!(scan(b"ABCDEFG", 0, &seps), Scan::Found { start: 1, end: 5 });
        let seps = sorted(&[b"aa", b"a"]);
        assert_eq!(scan(b"xaa", 0, &seps), Scan::Found { start: 1, end: 2 });
    }

    #[test]
    fn not_found_offset_never_underflows() {
        let seps = sorted(&[b"A", b"long sep"]);
        assert_eq!(scan(b"data", 0, &seps), Scan::NotFound { offset: 0 });
        assert_eq!(find(b"abcabd", b"abd"), Some(3));
        assert_eq!(find(b"ab", b"abc"), None);
    }
}
