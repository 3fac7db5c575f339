//! The futures-io (and, with the `tokio` feature, tokio) `AsyncRead` /
//! `AsyncWrite` implementations of the socket types, forwarding to their
//! poll methods, and the stream sockets' shared methods.

/// Implements the I/O traits, forwarding to inherent methods taking `&self`.
///
/// - `impl_async_io!(stream $t)`: for `$t`, `&$t` and the split halves
///   (`ReadHalf<$t>` reads, `WriteHalf<$t>` writes), through `poll_read`,
///   `poll_write`, `poll_write_vectored` and `poll_shutdown`.
/// - `impl_async_io!(datagram $t)`: for `$t` and `&$t`, one datagram per
///   call, through `poll_recv` and `poll_send` (a vectored write sends
///   the first non-empty buffer; shutting down does nothing).
macro_rules! impl_async_io {
    (stream $t:ty) => {
        $crate::net::traits::impl_async_io!(@both $t, poll_read, poll_write, poll_write_vectored, true);
        $crate::net::traits::impl_async_io!(@read $t, $crate::net::ReadHalf<$t>, s => s.get_ref(), poll_read);
        $crate::net::traits::impl_async_io!(@write $t, $crate::net::WriteHalf<$t>, s => s.get_ref(), poll_write, poll_write_vectored, true);
    };
    (datagram $t:ty) => {
        impl $t {
            /// A vectored write sends the first non-empty buffer as one datagram.
            fn poll_send_vectored(
                &self,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.poll_send(cx, $crate::net::traits::first_nonempty(bufs))
            }

            /// Closing a datagram socket's write side does nothing.
            fn poll_shutdown(
                &self,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }
        }

        $crate::net::traits::impl_async_io!(@both $t, poll_recv, poll_send, poll_send_vectored, false);
    };
    (@both $t:ty, $read:ident, $write:ident, $writev:ident, $vectored:literal) => {
        $crate::net::traits::impl_async_io!(@read $t, $t, s => &*s, $read);
        $crate::net::traits::impl_async_io!(@read $t, &$t, s => *s, $read);
        $crate::net::traits::impl_async_io!(@write $t, $t, s => &*s, $write, $writev, $vectored);
        $crate::net::traits::impl_async_io!(@write $t, &$t, s => *s, $write, $writev, $vectored);
    };
    // `$get` turns the pinned `self`, bound to `$s`, into a `&$t`.
    (@read $t:ty, $target:ty, $s:ident => $get:expr, $read:ident) => {
        impl futures_io::AsyncRead for $target {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = self;
                <$t>::$read($get, cx, buf)
            }
        }

        #[cfg(feature = "tokio")]
        impl tokio::io::AsyncRead for $target {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $s = self;
                $crate::net::traits::tokio_read(buf, |b| <$t>::$read($get, cx, b))
            }
        }
    };
    (@write $t:ty, $target:ty, $s:ident => $get:expr, $write:ident, $writev:ident, $vectored:literal) => {
        impl futures_io::AsyncWrite for $target {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = self;
                <$t>::$write($get, cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = self;
                <$t>::$writev($get, cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $s = self;
                <$t>::poll_shutdown($get, cx)
            }
        }

        #[cfg(feature = "tokio")]
        impl tokio::io::AsyncWrite for $target {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = self;
                <$t>::$write($get, cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = self;
                <$t>::$writev($get, cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                $vectored
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $s = self;
                <$t>::poll_shutdown($get, cx)
            }
        }
    };
}

pub(crate) use impl_async_io;

/// The methods every byte-stream socket (`TcpStream`, `UnixStream`)
/// forwards to its `SocketIo` field `io`, and the I/O traits.
macro_rules! impl_stream_socket {
    ($t:ident) => {
        impl $t {
            /// Reads into `buf`; `Ok(0)` at EOF.
            ///
            /// # Errors
            ///
            /// The OS's (`ConnectionReset` when the peer reset), or a cancellation.
            ///
            /// # Cancel safety
            ///
            /// A cancellation point when no data is ready; nothing is lost: no byte
            /// was read.
            pub async fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.io.read(buf).await
            }

            /// Writes some of `buf`, returning how much.
            ///
            /// # Errors
            ///
            /// The OS's (`BrokenPipe`/`ConnectionReset` when the peer is gone), or a
            /// cancellation.
            ///
            /// # Cancel safety
            ///
            /// A cancellation point when the socket buffer is full; no byte was
            /// written then.
            pub async fn write(&self, buf: &[u8]) -> std::io::Result<usize> {
                self.io.write(buf).await
            }

            /// Writes all of `buf`.
            ///
            /// # Errors
            ///
            /// As [`write`](Self::write).
            ///
            /// # Cancel safety
            ///
            /// Not cancel safe: a cancellation may come after part of `buf` was
            /// written, and how much is not reported. Use [`write`](Self::write) in
            /// a loop to know.
            pub async fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
                self.io.write_all(buf).await
            }

            /// Waits until the stream may be readable.
            ///
            /// # Errors
            ///
            /// A cancellation.
            ///
            /// # Cancel safety
            ///
            /// A cancellation point; consumes nothing.
            pub async fn readable(&self) -> std::io::Result<()> {
                self.io.ready($crate::reactor::Direction::Read).await
            }

            /// Waits until the stream may be writable.
            ///
            /// # Errors
            ///
            /// A cancellation.
            ///
            /// # Cancel safety
            ///
            /// A cancellation point; writes nothing.
            pub async fn writable(&self) -> std::io::Result<()> {
                self.io.ready($crate::reactor::Direction::Write).await
            }

            /// Reads what is available now, never waiting.
            ///
            /// Readiness is what the loop last learnt from the OS: bytes that
            /// arrived after a read that drained the socket show up once the loop
            /// has polled again (await [`readable`](Self::readable)).
            ///
            /// # Errors
            ///
            /// `WouldBlock` if nothing is, or the OS's.
            pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.io.try_read(buf)
            }

            /// Writes what fits now, never waiting.
            ///
            /// # Errors
            ///
            /// `WouldBlock` if nothing fits, or the OS's.
            pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
                self.io.try_write(buf)
            }

            /// The poll-level read behind the `AsyncRead` impls.
            ///
            /// # Errors
            ///
            /// As [`read`](Self::read).
            pub fn poll_read(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_read(cx, buf)
            }

            /// The poll-level write behind the `AsyncWrite` impls.
            ///
            /// # Errors
            ///
            /// As [`write`](Self::write).
            pub fn poll_write(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write(cx, buf)
            }

            /// A vectored [`poll_write`](Self::poll_write).
            ///
            /// # Errors
            ///
            /// As [`write`](Self::write).
            pub fn poll_write_vectored(
                &self,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write_vectored(cx, bufs)
            }

            /// Shuts the write direction down (the traits' `close`/`shutdown`).
            ///
            /// # Errors
            ///
            /// As [`shutdown`](Self::shutdown).
            pub fn poll_shutdown(
                &self,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                self.io.poll_shutdown(cx)
            }

            /// Splits into owned halves that can move to different tasks (of this
            /// loop). The connection closes when both are dropped.
            pub fn into_split(self) -> ($crate::net::ReadHalf<$t>, $crate::net::WriteHalf<$t>) {
                $crate::net::split::split(self)
            }
        }

        $crate::net::traits::impl_async_io!(stream $t);
    };
}

pub(crate) use impl_stream_socket;

/// What a datagram socket sends for a vectored write: the first non-empty
/// buffer, as one datagram (futures-io's default for `poll_write_vectored`).
pub(crate) fn first_nonempty<'a>(bufs: &'a [std::io::IoSlice<'_>]) -> &'a [u8] {
    bufs.iter()
        .find(|b| !b.is_empty())
        .map_or(&[][..], |b| &**b)
}

/// Reads into the unfilled part of a tokio `ReadBuf`.
#[cfg(feature = "tokio")]
pub(crate) fn tokio_read(
    buf: &mut tokio::io::ReadBuf<'_>,
    read: impl FnOnce(&mut [u8]) -> std::task::Poll<std::io::Result<usize>>,
) -> std::task::Poll<std::io::Result<()>> {
    let n = std::task::ready!(read(buf.initialize_unfilled()))?;
    buf.advance(n);
    std::task::Poll::Ready(Ok(()))
}
