//! The futures-io (and, with the `tokio` feature, tokio) `AsyncRead` /
//! `AsyncWrite` implementations of the stream types, forwarding to their
//! `poll_read` / `poll_write` / `poll_shutdown` methods.

/// Implements the I/O traits for `$t`, `&$t` and its split halves
/// (`ReadHalf<$t>` reads, `WriteHalf<$t>` writes), where `$t` has
/// `poll_read(&self, ..)`, `poll_write(&self, ..)`,
/// `poll_write_vectored(&self, ..)` and `poll_shutdown(&self, ..)`.
macro_rules! impl_async_io {
    ($t:ty) => {
        $crate::net::traits::impl_async_io!(@read $t, $t, s => &*s);
        $crate::net::traits::impl_async_io!(@read $t, &$t, s => *s);
        $crate::net::traits::impl_async_io!(@read $t, $crate::net::ReadHalf<$t>, s => s.get_ref());
        $crate::net::traits::impl_async_io!(@write $t, $t, s => &*s);
        $crate::net::traits::impl_async_io!(@write $t, &$t, s => *s);
        $crate::net::traits::impl_async_io!(@write $t, $crate::net::WriteHalf<$t>, s => s.get_ref());
    };
    // `$get` turns the pinned `self`, bound to `$s`, into a `&$t`.
    (@read $t:ty, $target:ty, $s:ident => $get:expr) => {
        impl futures_io::AsyncRead for $target {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = self;
                <$t>::poll_read($get, cx, buf)
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
                $crate::net::traits::tokio_read(buf, |b| <$t>::poll_read($get, cx, b))
            }
        }
    };
    (@write $t:ty, $target:ty, $s:ident => $get:expr) => {
        impl futures_io::AsyncWrite for $target {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = self;
                <$t>::poll_write($get, cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = self;
                <$t>::poll_write_vectored($get, cx, bufs)
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
                <$t>::poll_write($get, cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = self;
                <$t>::poll_write_vectored($get, cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
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
