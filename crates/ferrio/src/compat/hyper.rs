//! hyper 1 on ferrio: an I/O wrapper and an executor (the `hyper` feature).
//!
//! hyper reads and writes through its own [`rt::Read`](::hyper::rt::Read) and
//! [`rt::Write`](::hyper::rt::Write) traits, while ferrio's streams
//! ([`TcpStream`](crate::net::TcpStream), [`UnixStream`](crate::net::UnixStream),
//! futures-rustls's TLS streams over them, a [`StreamReader`](crate::stream::StreamReader))
//! implement futures-io's `AsyncRead`/`AsyncWrite`. [`HyperIo`] bridges the two.
//! [`HyperExecutor`] is hyper's [`rt::Executor`](::hyper::rt::Executor) on the
//! running loop, for the parts of hyper that spawn background futures
//! (HTTP/2 streams); HTTP/1 needs none, as its connection future is driven by
//! whoever awaits it — typically a task of its own.
//!
//! There is no `rt::Timer`: hyper's `Sleep` must be `Send + Sync`, and a
//! ferrio [`Sleep`](crate::time::Sleep) belongs to its loop's thread.
//!
//! An HTTP/1 server and a client on one loop:
//!
//! ```
//! use ferrio::compat::hyper::HyperIo;
//! use ferrio::net::{TcpListener, TcpStream};
//! use http_body_util::{BodyExt, Full};
//! use hyper::{Request, Response};
//!
//! ferrio::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     let server = ferrio::spawn(async move {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         let service = hyper::service::service_fn(|_req| async {
//!             Ok::<_, hyper::Error>(Response::new(Full::new(&b"hello"[..])))
//!         });
//!         hyper::server::conn::http1::Builder::new()
//!             .serve_connection(HyperIo::new(stream), service)
//!             .await
//!             .unwrap();
//!     });
//!
//!     let stream = TcpStream::connect(addr).await.unwrap();
//!     let (mut sender, conn) = hyper::client::conn::http1::handshake(HyperIo::new(stream))
//!         .await
//!         .unwrap();
//!     let connection = ferrio::spawn(conn);
//!     let request = Request::get("/")
//!         .header("host", "localhost")
//!         .body(Full::new(&b""[..]))
//!         .unwrap();
//!     let response = sender.send_request(request).await.unwrap();
//!     assert_eq!(response.status(), 200);
//!     let body = response.into_body().collect().await.unwrap().to_bytes();
//!     assert_eq!(&body[..], b"hello");
//!
//!     drop(sender); // closes the connection: both sides finish
//!     connection.await.unwrap().unwrap();
//!     server.await.unwrap();
//! })
//! .unwrap();
//! ```

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// The first read's size, and the most one read takes. hyper offers
/// uninitialised memory, which futures-io cannot fill without `unsafe`, so
/// reads go through a zeroed buffer of the wrapper's own that starts at
/// `FIRST_READ` and doubles whenever a read fills it, up to `MAX_READ`: it
/// is zeroed once when it grows, never per read (zeroing a fresh 16 KiB on
/// every poll cost `ferrio fetch` more instructions than all of HTTP).
const FIRST_READ: usize = 2 * 1024;
const MAX_READ: usize = 16 * 1024;

/// A futures-io stream as hyper's `rt::Read` and `rt::Write`.
///
/// Reads go through a buffer of its own, sized to what the stream delivers
/// (2 KiB at first, growing to 16 KiB while reads fill it) and copied into
/// hyper's; writes, vectored writes, flushes go straight to the stream, and
/// hyper's `poll_shutdown` is futures-io's `poll_close`.
///
/// ```
/// use ferrio::compat::hyper::HyperIo;
///
/// fn transport<T>(stream: T) -> impl hyper::rt::Read + hyper::rt::Write
/// where
///     T: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
/// {
///     HyperIo::new(stream)
/// }
/// # let _ = transport::<ferrio::net::TcpStream>;
/// ```
#[derive(Debug)]
pub struct HyperIo<T> {
    io: T,
    /// Zeroed memory reads land in before they are copied to hyper's.
    scratch: Vec<u8>,
}

impl<T> HyperIo<T> {
    /// Wraps `stream`.
    pub fn new(stream: T) -> HyperIo<T> {
        HyperIo {
            io: stream,
            scratch: Vec::new(),
        }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The wrapped stream, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.io
    }
}

impl<T: AsyncRead + Unpin> ::hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ::hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let want = buf.remaining().min(MAX_READ);
        if this.scratch.is_empty() {
            this.scratch.resize(FIRST_READ, 0);
        }
        let len = want.min(this.scratch.len());
        let n = ready!(Pin::new(&mut this.io).poll_read(cx, &mut this.scratch[..len]))?;
        buf.put_slice(&this.scratch[..n]);
        if n == this.scratch.len() && n < MAX_READ {
            // The stream had more than fitted: read more at a time.
            this.scratch.resize((2 * n).min(MAX_READ), 0);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> ::hyper::rt::Write for HyperIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_close(cx)
    }
}

/// hyper's `rt::Executor` on the loop running on the calling thread: each
/// future becomes a detached ferrio task. The futures need not be `Send`.
///
/// # Panics
///
/// `execute` panics, as [`spawn`](crate::spawn) does, if no loop is running
/// on the thread, or it is closing.
///
/// ```
/// use ferrio::compat::hyper::HyperExecutor;
/// use hyper::rt::Executor;
/// use std::rc::Rc;
///
/// ferrio::run(async {
///     let done = Rc::new(ferrio::sync::Event::new());
///     let flag = done.clone();
///     HyperExecutor.execute(async move { flag.set() });
///     done.wait().await.unwrap();
/// })
/// .unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HyperExecutor;

impl<F> ::hyper::rt::Executor<F> for HyperExecutor
where
    F: Future + 'static,
{
    #[track_caller]
    fn execute(&self, future: F) {
        crate::spawn(future).detach();
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    use ::hyper::rt::{Read, ReadBuf};
    use futures_lite::io::Cursor;

    use super::{HyperIo, FIRST_READ, MAX_READ};

    /// Reads `io` to its end through hyper's `Read`, `room` bytes offered
    /// per call; returns the bytes and the scratch size after each read.
    fn read_all(io: &mut HyperIo<Cursor<Vec<u8>>>, room: usize) -> (Vec<u8>, Vec<usize>) {
        let mut cx = Context::from_waker(Waker::noop());
        let (mut got, mut sizes) = (Vec::new(), Vec::new());
        loop {
            let mut mem = vec![0u8; room];
            let mut buf = ReadBuf::new(&mut mem);
            match Pin::new(&mut *io).poll_read(&mut cx, buf.unfilled()) {
                Poll::Ready(Ok(())) => {}
                other => panic!("a cursor is always ready: {other:?}"),
            }
            let filled = buf.filled().len();
            if filled == 0 {
                return (got, sizes);
            }
            got.extend_from_slice(&mem[..filled]);
            sizes.push(io.scratch.len());
        }
    }

    #[test]
    fn reads_deliver_every_byte_and_the_buffer_grows_only_while_reads_fill_it() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut io = HyperIo::new(Cursor::new(data.clone()));
        let (got, sizes) = read_all(&mut io, 64 * 1024);
        assert_eq!(got, data);
        // 2 KiB, 4, 8, then 16 KiB for the rest: it never passes the cap.
        assert_eq!(&sizes[..4], &[4096, 8192, 16384, 16384]);
        assert!(sizes.iter().all(|&s| s <= MAX_READ));
    }

    #[test]
    fn small_reads_keep_the_buffer_small() {
        let mut io = HyperIo::new(Cursor::new(vec![7u8; 300]));
        let (got, sizes) = read_all(&mut io, 64 * 1024);
        assert_eq!(got, vec![7u8; 300]);
        assert_eq!(sizes, vec![FIRST_READ]);
    }

    #[test]
    fn a_read_takes_no_more_than_hyper_offers() {
        let data = vec![1u8; 10_000];
        let mut io = HyperIo::new(Cursor::new(data.clone()));
        let (got, sizes) = read_all(&mut io, 100);
        assert_eq!(got, data);
        // Never filled, so never grown.
        assert!(sizes.iter().all(|&s| s == FIRST_READ));
    }
}
