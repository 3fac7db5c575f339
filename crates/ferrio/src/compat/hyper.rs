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

/// Size of the stack buffer a read goes through: hyper offers uninitialised
/// memory, and filling it in place would take `unsafe`.
const READ_CHUNK: usize = 16 * 1024;

/// A futures-io stream as hyper's `rt::Read` and `rt::Write`.
///
/// Reads go through a 16 KiB stack buffer (at most one buffer per poll);
/// writes, vectored writes, flushes go straight to the stream, and hyper's
/// `poll_shutdown` is futures-io's `poll_close`.
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
pub struct HyperIo<T>(pub T);

impl<T> HyperIo<T> {
    /// Wraps `stream`.
    pub fn new(stream: T) -> HyperIo<T> {
        HyperIo(stream)
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &T {
        &self.0
    }

    /// The wrapped stream, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.0
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: AsyncRead + Unpin> ::hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ::hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let mut chunk = [0u8; READ_CHUNK];
        let want = buf.remaining().min(READ_CHUNK);
        let n = ready!(Pin::new(&mut self.0).poll_read(cx, &mut chunk[..want]))?;
        buf.put_slice(&chunk[..n]);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> ::hyper::rt::Write for HyperIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
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
