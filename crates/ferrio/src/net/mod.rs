//! Sockets: TCP, UDP and Unix-domain, on the loop's reactor — the
//! transports under asyncio's streams, with Rust's I/O traits.
//!
//! Every socket belongs to the loop that created it (create it inside
//! `ferrio::run`). The stream types implement futures-io's `AsyncRead` /
//! `AsyncWrite` — and tokio's with the `tokio` feature — so hyper,
//! futures-rustls, async-tungstenite and tokio-util codecs run on them.
//! Host names are resolved on the blocking pool ([`lookup_host`]); socket
//! options go through socket2 ([`ListenOptions`], [`ConnectOptions`]).
//!
//! # Cancellation
//!
//! Every wait on a socket is a cancellation point. `io::Result` cannot
//! hold a [`Cancelled`](crate::Cancelled) as such, so it comes as an
//! `io::Error` of kind `Other` carrying it: test with [`is_cancelled`],
//! take it out with [`into_cancelled`]. Keep the error (return it, or wrap
//! it) and the task ends cancelled. A cancellation is delivered only when
//! the operation would wait: an operation that can complete does, so no
//! byte read or written is lost to it.
//!
//! Also here: asyncio's loop-level I/O, [`add_reader`] / [`add_writer`] on
//! any descriptor and the [`sock_recv`] family on std sockets.

mod accept;
mod addr;
mod fd_watch;
pub(crate) mod io;
mod options;
mod sock;
mod socket_io;
pub(crate) mod split;
mod tcp_listener;
pub(crate) mod tcp_stream;
pub(crate) mod traits;
mod udp;
mod unix_datagram;
mod unix_listener;
mod unix_stream;

pub use accept::{accept_error_kind, AcceptErrorKind};
pub use addr::{lookup_host, ToSocketAddrs};
pub use fd_watch::{add_reader, add_writer, remove_reader, remove_writer};
pub use io::{into_cancelled, is_cancelled};
pub use options::{ConnectOptions, ListenOptions, DEFAULT_BACKLOG};
pub use sock::{sock_accept, sock_connect, sock_recv, sock_sendall};
pub use split::{ReadHalf, ReuniteError, WriteHalf};
pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
pub use unix_datagram::UnixDatagram;
pub use unix_listener::UnixListener;
pub use unix_stream::UnixStream;

/// socket2, whose `Socket` [`sock_connect`] takes.
pub use socket2;
