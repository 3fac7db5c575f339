//! [`MockBody`]: a response body sent at once, or in chunks with a pause on
//! the loop clock before each (`--slow-body`).

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use super::config::{SLOW_BODY_CHUNKS, SLOW_BODY_DEFAULT_PAUSE};

/// A response body: its chunks, sent one by one, each after `pause`.
pub(crate) struct MockBody {
    chunks: VecDeque<Bytes>,
    remaining: u64,
    pause: Duration,
    sleep: Option<Pin<Box<ferrio::time::Sleep>>>,
}

impl MockBody {
    /// The whole body in one frame.
    pub(crate) fn full(bytes: impl Into<Bytes>) -> MockBody {
        let bytes = bytes.into();
        let remaining = bytes.len() as u64;
        let chunks = if bytes.is_empty() {
            VecDeque::new()
        } else {
            VecDeque::from([bytes])
        };
        MockBody {
            chunks,
            remaining,
            pause: Duration::ZERO,
            sleep: None,
        }
    }

    /// `bytes` in [`SLOW_BODY_CHUNKS`] chunks (fewer for a shorter body)
    /// spread over `over`: a pause of `over / chunks` before each, or
    /// [`SLOW_BODY_DEFAULT_PAUSE`] when `over` is zero.
    pub(crate) fn slow(bytes: impl Into<Bytes>, over: Duration) -> MockBody {
        let bytes = bytes.into();
        let remaining = bytes.len() as u64;
        let count = SLOW_BODY_CHUNKS.min(bytes.len()).max(1);
        let size = bytes.len().div_ceil(count).max(1);
        let chunks: VecDeque<Bytes> = (0..bytes.len())
            .step_by(size)
            .map(|start| bytes.slice(start..(start + size).min(bytes.len())))
            .collect();
        let pause = if over.is_zero() {
            SLOW_BODY_DEFAULT_PAUSE
        } else {
            over / chunks.len().max(1) as u32
        };
        MockBody {
            chunks,
            remaining,
            pause,
            sleep: None,
        }
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if self.chunks.is_empty() {
            return Poll::Ready(None);
        }
        if !self.pause.is_zero() {
            let pause = self.pause;
            let sleep = self
                .sleep
                .get_or_insert_with(|| Box::pin(ferrio::sleep(pause)));
            let slept = ready!(sleep.as_mut().poll(cx));
            self.sleep = None;
            if let Err(cancelled) = slept {
                return Poll::Ready(Some(Err(io::Error::other(cancelled))));
            }
        }
        let chunk = self.chunks.pop_front().unwrap_or_default();
        self.remaining -= chunk.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_body_is_cut_into_chunks_that_add_up() {
        let body = MockBody::slow(
            Bytes::from_static(b"0123456789"),
            Duration::from_millis(200),
        );
        assert_eq!(body.chunks.len(), 4);
        assert_eq!(body.pause, Duration::from_millis(50));
        let joined: Vec<u8> = body.chunks.iter().flat_map(|c| c.to_vec()).collect();
        assert_eq!(joined, b"0123456789");
        assert_eq!(body.size_hint().exact(), Some(10));
    }

    #[test]
    fn a_short_slow_body_has_fewer_chunks() {
        let body = MockBody::slow(Bytes::from_static(b"ab"), Duration::ZERO);
        assert_eq!(body.chunks.len(), 2);
        assert_eq!(body.pause, SLOW_BODY_DEFAULT_PAUSE);
        assert!(MockBody::slow(Bytes::new(), Duration::ZERO).is_end_stream());
    }

    #[test]
    fn a_full_body_is_one_chunk() {
        let body = MockBody::full(&b"hello"[..]);
        assert_eq!(body.chunks.len(), 1);
        assert!(MockBody::full(Bytes::new()).is_end_stream());
    }
}
