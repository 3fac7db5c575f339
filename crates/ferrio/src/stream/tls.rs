//! TLS for streams (feature `tls`, on by default): rustls with the ring
//! provider through futures-rustls — asyncio's `ssl=` arguments.
//!
//! - [`open_connection_tls`]: connect and handshake (asyncio's
//!   `open_connection(host, port, ssl=ctx, server_hostname=..)`);
//! - [`ServerOptions::tls`](super::ServerOptions::tls): a server whose
//!   connections handshake before the handler runs;
//! - [`start_tls`] / [`start_tls_server`]: upgrade an open stream in place
//!   (asyncio's `StreamWriter.start_tls`).
//!
//! Configurations are rustls's own ([`rustls`] is re-exported);
//! [`client_config`] gives one that trusts Mozilla's roots
//! (webpki-roots, no system store needed).

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;

use futures_rustls::{TlsAcceptor, TlsConnector};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ServerConfig};

use super::reader::{StreamReader, DEFAULT_LIMIT};
use super::server::{ServerOptions, Upgrade};
use super::transport::{Exclusive, SharedIo, Transport};
use super::writer::StreamWriter;
use crate::net::{ConnectOptions, ToSocketAddrs};

/// rustls, whose `ClientConfig` and `ServerConfig` the TLS functions take.
pub use rustls;

/// The ring crypto provider that every configuration here uses.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration trusting Mozilla's root certificates (from
/// webpki-roots), with the ring provider and rustls's safe defaults.
///
/// ```
/// let config = ferrio::stream::tls::client_config();
/// assert!(config.alpn_protocols.is_empty());
/// ```
pub fn client_config() -> Arc<ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    Arc::new(
        ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports rustls's default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn server_name(name: &str) -> io::Result<ServerName<'static>> {
    ServerName::try_from(name.to_owned()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a valid TLS server name: {e}"),
        )
    })
}

fn tls_error(e: io::Error) -> io::Error {
    if crate::net::is_cancelled(&e) {
        return e;
    }
    io::Error::new(e.kind(), format!("TLS handshake failed: {e}"))
}

/// Connects to `addr`, handshakes as a client for `server_name` (checked
/// against the server's certificate), and returns the stream pair:
/// asyncio's `open_connection(host, port, ssl=config,
/// server_hostname=server_name)`.
///
/// # Errors
///
/// Connection errors as [`open_connection`](super::open_connection);
/// `InvalidInput` for a bad server name; the handshake's error (`InvalidData`
/// for a certificate that does not verify).
///
/// # Cancel safety
///
/// A cancellation point; a cancelled connect or handshake closes the
/// socket.
pub async fn open_connection_tls(
    addr: impl ToSocketAddrs,
    server_name: &str,
    config: Arc<ClientConfig>,
) -> io::Result<(StreamReader, StreamWriter)> {
    let name = self::server_name(server_name)?;
    let tcp = ConnectOptions::new().nodelay(true).connect(addr).await?;
    let peer = tcp.peer_addr().ok().map(|a: SocketAddr| a.to_string());
    let io = SharedIo {
        transport: Rc::new(super::transport::Direct(tcp)),
        prefix: Vec::new(),
    };
    let tls = TlsConnector::from(config)
        .connect(name, io)
        .await
        .map_err(tls_error)?;
    Ok(super::connection::pair(
        Rc::new(Exclusive(RefCell::new(tls))),
        peer,
        DEFAULT_LIMIT,
    ))
}

impl ServerOptions {
    /// Serves TLS: each connection handshakes with `config` before the
    /// handler runs (a failed handshake closes the connection and runs no
    /// handler).
    pub fn tls(mut self, config: Arc<ServerConfig>) -> ServerOptions {
        let acceptor = TlsAcceptor::from(config);
        let upgrade: Upgrade = Rc::new(move |transport: Rc<dyn Transport>| {
            let accept = acceptor.accept(SharedIo {
                transport,
                prefix: Vec::new(),
            });
            Box::pin(async move {
                let tls = accept.await.map_err(tls_error)?;
                Ok(Rc::new(Exclusive(RefCell::new(tls))) as Rc<dyn Transport>)
            })
        });
        self.upgrade = Some(upgrade);
        self
    }
}

/// Upgrades an open stream to TLS as the client, in place: asyncio's
/// `writer.start_tls(sslcontext, server_hostname=..)`. What was written
/// is flushed first; bytes the reader had already buffered are handed to
/// the handshake.
///
/// # Errors
///
/// The handshake's error (the connection is closed then); `NotConnected`
/// for a closed stream; `InvalidInput` for a reader and writer of different
/// connections.
///
/// # Cancel safety
///
/// Not cancel safe: a cancelled handshake leaves the connection closed.
pub async fn start_tls(
    reader: &mut StreamReader,
    writer: &StreamWriter,
    server_name: &str,
    config: Arc<ClientConfig>,
) -> io::Result<()> {
    let name = self::server_name(server_name)?;
    let io = take_for_upgrade(reader, writer).await?;
    let conn = writer.conn().clone();
    match TlsConnector::from(config).connect(name, io).await {
        Ok(tls) => {
            conn.replace(Rc::new(Exclusive(RefCell::new(tls))));
            Ok(())
        }
        Err(e) => {
            conn.release();
            Err(tls_error(e))
        }
    }
}

/// Upgrades an open stream to TLS as the server, in place (the server
/// side of [`start_tls`]).
///
/// # Errors
///
/// As [`start_tls`].
///
/// # Cancel safety
///
/// As [`start_tls`].
pub async fn start_tls_server(
    reader: &mut StreamReader,
    writer: &StreamWriter,
    config: Arc<ServerConfig>,
) -> io::Result<()> {
    let io = take_for_upgrade(reader, writer).await?;
    let conn = writer.conn().clone();
    match TlsAcceptor::from(config).accept(io).await {
        Ok(tls) => {
            conn.replace(Rc::new(Exclusive(RefCell::new(tls))));
            Ok(())
        }
        Err(e) => {
            conn.release();
            Err(tls_error(e))
        }
    }
}

/// Flushes the writer and takes the plain transport out of the
/// connection, with the reader's buffered bytes.
async fn take_for_upgrade(
    reader: &mut StreamReader,
    writer: &StreamWriter,
) -> io::Result<SharedIo> {
    if !reader.same_conn(writer.conn()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the reader and the writer belong to different connections",
        ));
    }
    writer.flush_all().await.map_err(io::Error::from)?;
    let prefix = reader.take_buffered();
    let transport = writer
        .conn()
        .take()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "the stream is closed"))?;
    Ok(SharedIo { transport, prefix })
}
