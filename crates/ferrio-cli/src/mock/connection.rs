//! One connection: hyper's http1 server on the accepted socket, in a task
//! of its own, with graceful shutdown and a deliberate reset.
//!
//! hyper gets the socket through an `Rc`, so that after a `/reset` the
//! task can take it back whole and close it with `SO_LINGER` 0 — the
//! client then sees a TCP reset rather than a clean close.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use ferrio::compat::hyper::HyperIo;
use ferrio::net::socket2::SockRef;
use ferrio::net::TcpStream;
use ferrio::sync::OwnedSemaphorePermit;
use futures_io::{AsyncRead, AsyncWrite};

use super::handler::{handle, State};

/// The socket shared between hyper and the connection task.
#[derive(Debug)]
struct Shared(Rc<TcpStream>);

impl AsyncRead for Shared {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Shared {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.0).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.0).poll_close(cx)
    }
}

/// Counts a connection open from its accept on, and out however its task
/// ends (it may be cancelled, or dropped unpolled by the loop's shutdown).
pub(crate) struct Open {
    state: Rc<State>,
    /// The `--max-connections` slot, given back on drop.
    _slot: Option<OwnedSemaphorePermit>,
}

impl Open {
    /// Counts a connection just accepted.
    pub(crate) fn new(state: Rc<State>, slot: Option<OwnedSemaphorePermit>) -> Open {
        state.counters.connection_opened();
        state.drained.clear();
        Open { state, _slot: slot }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.state.counters.connection_closed();
        if self.state.counters.open_connections() == 0 {
            self.state.drained.set();
        }
    }
}

/// Serves one accepted connection until the client closes it, the handler
/// aborts it, or shutdown drains it: once the server is closing, hyper
/// finishes the request in flight (for up to the shutdown grace) and
/// closes the connection instead of keeping it alive.
pub(crate) async fn serve(open: Open, stream: TcpStream) {
    let state = open.state.clone();
    let stream = Rc::new(stream);
    let reset = Rc::new(Cell::new(false));
    let service = {
        let state = state.clone();
        let reset = reset.clone();
        hyper::service::service_fn(move |req| handle(state.clone(), reset.clone(), req))
    };
    let mut conn = Box::pin(
        hyper::server::conn::http1::Builder::new()
            .serve_connection(HyperIo::new(Shared(stream.clone())), service),
    );
    let closing = state.closing.wait();
    let mut closing = std::pin::pin!(closing);
    // The connection ends first, or shutdown begins first (`Some(Ok)`),
    // or the task is cancelled (`Some(Err)`: the connection drops at once).
    let closing = poll_fn(|cx| {
        if conn.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        closing.as_mut().poll(cx).map(Some)
    })
    .await;
    if let Some(Ok(())) = closing {
        conn.as_mut().graceful_shutdown();
        let _ = ferrio::timeout(state.config.shutdown_grace, conn.as_mut()).await;
    }
    drop(conn);
    if reset.get() {
        if let Ok(stream) = Rc::try_unwrap(stream) {
            abort(stream);
        }
    }
}

/// Closes `stream` with `SO_LINGER` 0: the kernel sends a RST.
fn abort(stream: TcpStream) {
    let stream = stream.into_std();
    // If the option cannot be set the close is a clean FIN: the client
    // still sees the connection end before any response.
    let _ = SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}
