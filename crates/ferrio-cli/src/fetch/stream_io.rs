//! [`StreamPairIo`]: hyper's I/O over ferrio's high-level stream pair,
//! which is what TLS connections come as.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll};

use ferrio::compat::hyper::HyperIo;
use ferrio::stream::{StreamReader, StreamWriter, WriteError};

type Drain = Pin<Box<dyn Future<Output = Result<(), WriteError>>>>;

/// A ferrio stream pair (a [`StreamReader`] and its [`StreamWriter`], as
/// `open_connection_tls` or a TLS server's handler get them) as one hyper
/// transport, for a client or a server. Reads are [`HyperIo`]'s, from the
/// reader; writes go to the writer's buffer (held back while it is above its
/// high-water mark); a flush waits for it to drain; a shutdown closes it.
pub struct StreamPairIo {
    reader: HyperIo<StreamReader>,
    writer: Rc<StreamWriter>,
    drain: Option<Drain>,
}

impl std::fmt::Debug for StreamPairIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamPairIo")
            .field("peer", &self.writer.peer())
            .finish_non_exhaustive()
    }
}

impl StreamPairIo {
    /// The pair as one transport.
    pub fn new(reader: StreamReader, writer: StreamWriter) -> StreamPairIo {
        StreamPairIo {
            reader: HyperIo::new(reader),
            writer: Rc::new(writer),
            drain: None,
        }
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let drain = self.drain.get_or_insert_with(|| {
            let writer = self.writer.clone();
            Box::pin(async move { writer.drain().await })
        });
        let result = ready!(drain.as_mut().poll(cx));
        self.drain = None;
        Poll::Ready(result.map_err(|e| io::Error::new(io::ErrorKind::BrokenPipe, e.to_string())))
    }
}

impl hyper::rt::Read for StreamPairIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        hyper::rt::Read::poll_read(Pin::new(&mut self.reader), cx, buf)
    }
}

impl hyper::rt::Write for StreamPairIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let (high, _) = self.writer.write_buffer_limits();
        if self.writer.write_buffer_size() > high {
            ready!(self.poll_drain(cx))?;
        }
        self.writer
            .write(buf)
            .map_err(|e| io::Error::new(io::ErrorKind::BrokenPipe, e.to_string()))?;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_drain(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.writer.close();
        Poll::Ready(Ok(()))
    }
}
