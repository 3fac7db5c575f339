//! [`ReadBuffer`]: the reader's bytes, read in place.
//!
//! Data lives in `data[start..end]`. The vector is kept fully initialised
//! up to its length, so reading from the transport into `data[end..]`
//! needs no zeroing; consumed space at the front is reclaimed by moving
//! the rest down when more room is needed.

/// How much room a read from the transport gets at least: small, so that
/// ten thousand idle connections cost little; the buffer doubles when the
/// data a read waits for does not fit.
pub(crate) const MIN_ROOM: usize = 8 * 1024;

#[derive(Default)]
pub(crate) struct ReadBuffer {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuffer {
    #[inline]
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Drops the first `n` bytes.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.len());
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Removes and returns the first `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Vec<u8> {
        let out = self.data[self.start..self.start + n].to_vec();
        self.consume(n);
        out
    }

    /// Removes and returns everything.
    pub(crate) fn take_all(&mut self) -> Vec<u8> {
        self.take(self.len())
    }

    pub(crate) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Appends `bytes` (fed data).
    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        self.spare(bytes.len())[..bytes.len()].copy_from_slice(bytes);
        self.commit(bytes.len());
    }

    /// Room for at least `min` more bytes past the data, moving the data
    /// to the front or doubling the buffer if needed.
    pub(crate) fn spare(&mut self, min: usize) -> &mut [u8] {
        if self.data.len() - self.end < min {
            // Reclaim the consumed front first.
            if self.start > 0 {
                self.data.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.data.len() - self.end < min {
                let want = (self.end + min).max(self.data.len() * 2);
                self.data.resize(want, 0);
            }
        }
        &mut self.data[self.end..]
    }

    /// Marks `n` bytes of [`spare`](Self::spare) as data.
    #[inline]
    pub(crate) fn commit(&mut self, n: usize) {
        self.end += n;
        debug_assert!(self.end <= self.data.len());
    }

    /// The memory held, for tests of the limit.
    pub(crate) fn capacity(&self) -> usize {
        self.data.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumes_and_reclaims_the_front() {
        let mut b = ReadBuffer::default();
        b.extend(b"hello world");
        assert_eq!(b.take(6), b"hello ");
        assert_eq!(b.as_slice(), b"world");
        let cap = b.capacity();
        // Filling the rest reclaims the consumed front instead of growing.
        let room = cap - 5;
        b.spare(room);
        assert_eq!(b.capacity(), cap);
        assert_eq!(b.as_slice(), b"world");
        b.consume(5);
        assert!(b.is_empty());
    }
}
