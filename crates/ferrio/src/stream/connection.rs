//! Opening streams: asyncio's `open_connection` and
//! `open_unix_connection`, and streams over any transport.

use std::cell::RefCell;
use std::io;
use std::path::Path;
use std::rc::Rc;

use futures_io::{AsyncRead, AsyncWrite};

use super::reader::{StreamReader, DEFAULT_LIMIT};
use super::transport::{Conn, Direct, Exclusive, Transport};
use super::writer::StreamWriter;
use crate::net::{ConnectOptions, TcpStream, ToSocketAddrs, UnixStream};

/// Connects to `addr` and returns the stream pair: asyncio's
/// `open_connection(host, port)`. Every resolved address is tried in
/// order; `TCP_NODELAY` is set, as asyncio does. The reader's limit is
/// 64 KiB.
///
/// # Errors
///
/// As [`TcpStream::connect`].
///
/// # Cancel safety
///
/// A cancellation point; a cancelled connect opens nothing.
///
/// ```
/// use ferrio::stream;
///
/// ferrio::run(async {
///     let err = stream::open_connection("127.0.0.1:1").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
/// })
/// .unwrap();
/// ```
pub async fn open_connection(addr: impl ToSocketAddrs) -> io::Result<(StreamReader, StreamWriter)> {
    open_connection_with(addr, &ConnectOptions::new(), DEFAULT_LIMIT).await
}

/// [`open_connection`] with connect options (a time limit per address,
/// keep-alive) and a reader limit.
///
/// # Errors
///
/// As [`TcpStream::connect`].
///
/// # Cancel safety
///
/// As [`open_connection`].
pub async fn open_connection_with(
    addr: impl ToSocketAddrs,
    options: &ConnectOptions,
    limit: usize,
) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = options.clone().nodelay(true).connect(addr).await?;
    Ok(from_tcp_with(stream, limit))
}

/// Connects to the Unix socket at `path`: asyncio's
/// `open_unix_connection(path)`.
///
/// # Errors
///
/// As [`UnixStream::connect`].
///
/// # Cancel safety
///
/// A cancellation point; a cancelled connect opens nothing.
pub async fn open_unix_connection(
    path: impl AsRef<Path>,
) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = UnixStream::connect(path).await?;
    Ok(from_unix(stream))
}

/// The stream pair over a connected TCP stream (64 KiB limit).
pub fn from_tcp(stream: TcpStream) -> (StreamReader, StreamWriter) {
    from_tcp_with(stream, DEFAULT_LIMIT)
}

/// The stream pair over a connected TCP stream, with a reader limit.
pub fn from_tcp_with(stream: TcpStream, limit: usize) -> (StreamReader, StreamWriter) {
    let peer = stream.peer_addr().ok().map(|a| a.to_string());
    pair(Rc::new(Direct(stream)), peer, limit)
}

/// The stream pair over a connected Unix stream (64 KiB limit).
pub fn from_unix(stream: UnixStream) -> (StreamReader, StreamWriter) {
    let peer = stream
        .peer_addr()
        .ok()
        .and_then(|a| a.as_pathname().map(|p| p.display().to_string()));
    pair(Rc::new(Direct(stream)), peer, DEFAULT_LIMIT)
}

/// The stream pair over any futures-io byte stream (a TLS stream, an
/// in-memory pipe, a subprocess's pipes joined), with a reader limit.
pub fn from_io<T>(io: T, limit: usize) -> (StreamReader, StreamWriter)
where
    T: AsyncRead + AsyncWrite + Unpin + 'static,
{
    pair(Rc::new(Exclusive(RefCell::new(io))), None, limit)
}

pub(crate) fn pair(
    transport: Rc<dyn Transport>,
    peer: Option<String>,
    limit: usize,
) -> (StreamReader, StreamWriter) {
    let conn = Conn::new(transport, peer);
    (
        StreamReader::from_conn(conn.clone(), limit),
        StreamWriter::new(conn),
    )
}
