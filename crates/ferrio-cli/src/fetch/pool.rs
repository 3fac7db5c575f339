//! Connections: opening them (TCP, or TLS with the `tls` feature), the
//! hyper handshake, and the keep-alive pool of idle ones per origin.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use ferrio::compat::hyper::HyperIo;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;

use super::error::{ErrorKind, FetchError};

/// Where a connection goes: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub(crate) https: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Origin {
    pub(crate) fn of(uri: &hyper::http::Uri) -> Result<Origin, FetchError> {
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => {
                return Err(FetchError::new(
                    ErrorKind::MalformedUrl,
                    format!("'{uri}' is not an http or https URL"),
                ))
            }
        };
        let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(|| {
            FetchError::new(ErrorKind::MalformedUrl, format!("'{uri}' has no host"))
        })?;
        // An IPv6 literal comes bracketed; the socket wants it bare.
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok(Origin { https, host, port })
    }
}

/// A connection's request half, and the task driving it. Dropping it
/// closes the connection (the driver is aborted), so a connection given
/// up mid-request — a timeout, a cancellation — is never reused.
pub(crate) struct Conn {
    pub(crate) sender: SendRequest<Full<Bytes>>,
    driver: ferrio::Task<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

#[cfg(feature = "tls")]
type TlsConfig = Option<std::sync::Arc<ferrio::stream::tls::rustls::ClientConfig>>;

/// The idle connections per origin, and the counts of connections opened
/// and requests that reused one.
pub(crate) struct Pool {
    idle: RefCell<HashMap<Origin, Vec<Conn>>>,
    pub(crate) opened: Cell<u64>,
    pub(crate) reused: Cell<u64>,
    #[cfg(feature = "tls")]
    tls: TlsConfig,
}

impl Pool {
    /// An empty pool (`tls`: the configuration for https, `None` for
    /// Mozilla's roots).
    pub(crate) fn new(#[cfg(feature = "tls")] tls: TlsConfig) -> Pool {
        Pool {
            idle: RefCell::default(),
            opened: Cell::new(0),
            reused: Cell::new(0),
            #[cfg(feature = "tls")]
            tls,
        }
    }

    /// An idle connection to `origin` that is still open and ready.
    pub(crate) async fn checkout(&self, origin: &Origin) -> Option<Conn> {
        loop {
            let mut conn = {
                let mut idle = self.idle.borrow_mut();
                let list = idle.get_mut(origin)?;
                let conn = list.pop();
                if list.is_empty() {
                    idle.remove(origin);
                }
                conn?
            };
            if conn.sender.is_closed() {
                continue;
            }
            // Ready once the previous exchange is fully done; an error
            // means the server closed it meanwhile.
            if conn.sender.ready().await.is_ok() {
                return Some(conn);
            }
        }
    }

    /// Puts a connection whose exchange finished back for reuse.
    pub(crate) fn checkin(&self, origin: Origin, conn: Conn) {
        if conn.sender.is_closed() {
            return;
        }
        self.idle.borrow_mut().entry(origin).or_default().push(conn);
    }

    /// Opens a new connection to `origin`, within `limit`.
    pub(crate) async fn connect(
        &self,
        origin: &Origin,
        limit: Option<Duration>,
    ) -> Result<Conn, FetchError> {
        let open = self.open(origin);
        let conn = match limit {
            None => open.await?,
            Some(limit) => {
                let deadline = ferrio::now() + limit;
                let timed_out = || {
                    FetchError::new(
                        ErrorKind::ConnectTimeout,
                        format!(
                            "no connection to {}:{} within {limit:?} (raise --connect-timeout?)",
                            origin.host, origin.port
                        ),
                    )
                };
                match ferrio::timeout(limit, open).await {
                    Ok(Ok(conn)) => conn,
                    // The expiry cancelled the connect, which reports
                    // that as its own error.
                    Ok(Err(_)) if ferrio::now() >= deadline => return Err(timed_out()),
                    Ok(Err(e)) => return Err(e),
                    Err(_) => return Err(timed_out()),
                }
            }
        };
        self.opened.set(self.opened.get() + 1);
        Ok(conn)
    }
}

fn connect_error(origin: &Origin, e: std::io::Error) -> FetchError {
    let kind = match e.kind() {
        std::io::ErrorKind::InvalidData => ErrorKind::Tls,
        _ if e.to_string().contains("TLS") => ErrorKind::Tls,
        _ => ErrorKind::Connect,
    };
    FetchError::new(
        kind,
        format!("cannot connect to {}:{}: {e}", origin.host, origin.port),
    )
}

impl Pool {
    async fn open(&self, origin: &Origin) -> Result<Conn, FetchError> {
        if origin.https {
            #[cfg(feature = "tls")]
            return open_tls(origin, self.tls.clone()).await;
            #[cfg(not(feature = "tls"))]
            return open_tls(origin).await;
        }
        open_plain(origin).await
    }
}

async fn open_plain(origin: &Origin) -> Result<Conn, FetchError> {
    let stream = ferrio::net::ConnectOptions::new()
        .nodelay(true)
        .connect((origin.host.as_str(), origin.port))
        .await
        .map_err(|e| connect_error(origin, e))?;
    handshake(HyperIo::new(stream)).await
}

async fn handshake<T>(io: T) -> Result<Conn, FetchError>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| FetchError::new(ErrorKind::Protocol, format!("HTTP handshake failed: {e}")))?;
    let driver = ferrio::spawn(async move {
        // Its errors reach the request that was running; nothing to add.
        let _ = connection.await;
    });
    Ok(Conn { sender, driver })
}

#[cfg(feature = "tls")]
async fn open_tls(origin: &Origin, config: TlsConfig) -> Result<Conn, FetchError> {
    thread_local! {
        static ROOTS: std::sync::Arc<ferrio::stream::tls::rustls::ClientConfig> =
            ferrio::stream::tls::client_config();
    }
    let config = config.unwrap_or_else(|| ROOTS.with(|c| c.clone()));
    let (reader, writer) = ferrio::stream::open_connection_tls(
        (origin.host.as_str(), origin.port),
        &origin.host,
        config,
    )
    .await
    .map_err(|e| connect_error(origin, e))?;
    handshake(super::stream_io::StreamPairIo::new(reader, writer)).await
}

#[cfg(not(feature = "tls"))]
async fn open_tls(origin: &Origin) -> Result<Conn, FetchError> {
    Err(FetchError::new(
        ErrorKind::Tls,
        format!(
            "https://{}: this ferrio was built without the tls feature; rebuild with --features tls",
            origin.host
        ),
    ))
}
