//! Addresses: what `connect` and `bind` accept, and name resolution on the
//! blocking pool (never a blocking `getaddrinfo` on the loop).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::blocking::BlockingError;

/// What names one or more socket addresses: a [`SocketAddr`], an
/// `(ip, port)` pair, a `(host, port)` pair, a `"host:port"` string, or a
/// list of addresses. Host names are resolved with
/// [`lookup_host`], on the loop's blocking pool.
///
/// Sealed: implemented for the types above only.
pub trait ToSocketAddrs: sealed::Sealed {}

mod sealed {
    use super::Request;

    pub trait Sealed {
        fn request(self) -> Request;
    }
}

/// Either addresses known already, or a name to resolve.
#[doc(hidden)]
#[derive(Debug)]
pub enum Request {
    Ready(Vec<SocketAddr>),
    Lookup(String, u16),
    LookupHostPort(String),
}

macro_rules! ready_addr {
    ($($t:ty),*) => {$(
        impl ToSocketAddrs for $t {}
        impl sealed::Sealed for $t {
            fn request(self) -> Request {
                Request::Ready(vec![SocketAddr::from(self)])
            }
        }
    )*};
}

ready_addr!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl ToSocketAddrs for &SocketAddr {}
impl sealed::Sealed for &SocketAddr {
    fn request(self) -> Request {
        Request::Ready(vec![*self])
    }
}

impl ToSocketAddrs for &[SocketAddr] {}
impl sealed::Sealed for &[SocketAddr] {
    fn request(self) -> Request {
        Request::Ready(self.to_vec())
    }
}

impl ToSocketAddrs for Vec<SocketAddr> {}
impl sealed::Sealed for Vec<SocketAddr> {
    fn request(self) -> Request {
        Request::Ready(self)
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::Sealed for (&str, u16) {
    fn request(self) -> Request {
        host_port(self.0, self.1)
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::Sealed for (String, u16) {
    fn request(self) -> Request {
        host_port(&self.0, self.1)
    }
}

impl ToSocketAddrs for &str {}
impl sealed::Sealed for &str {
    fn request(self) -> Request {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Request::Ready(vec![addr]),
            Err(_) => Request::LookupHostPort(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl sealed::Sealed for String {
    fn request(self) -> Request {
        self.as_str().request()
    }
}

impl ToSocketAddrs for &String {}
impl sealed::Sealed for &String {
    fn request(self) -> Request {
        self.as_str().request()
    }
}

fn host_port(host: &str, port: u16) -> Request {
    // A literal address needs no resolver ("::1" or "[::1]").
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(ip) => Request::Ready(vec![SocketAddr::new(ip, port)]),
        Err(_) => Request::Lookup(host.to_owned(), port),
    }
}

/// Resolves `addr` to socket addresses, in the resolver's order: asyncio's
/// `loop.getaddrinfo`. Literal addresses are returned at once; a host name
/// is looked up with the system resolver on the loop's blocking pool, so
/// the loop keeps running meanwhile.
///
/// # Errors
///
/// The resolver's error (`"no such host"` and the like), an error if the
/// name resolves to nothing, or a cancellation (see
/// [`is_cancelled`](super::is_cancelled)).
///
/// # Cancel safety
///
/// A cancellation point while a look-up runs; the look-up itself finishes
/// on its thread and its result is dropped.
///
/// ```
/// ferrio::run(async {
///     let addrs = ferrio::net::lookup_host(("127.0.0.1", 80)).await.unwrap();
///     assert_eq!(addrs, ["127.0.0.1:80".parse().unwrap()]);
/// })
/// .unwrap();
/// ```
pub async fn lookup_host(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    use std::net::ToSocketAddrs as _;
    let addrs = match sealed::Sealed::request(addr) {
        Request::Ready(addrs) => addrs,
        Request::Lookup(host, port) => {
            offload(move || {
                (host.as_str(), port)
                    .to_socket_addrs()
                    .map(|a| a.collect::<Vec<_>>())
            })
            .await?
        }
        Request::LookupHostPort(s) => {
            offload(move || s.to_socket_addrs().map(|a| a.collect::<Vec<_>>())).await?
        }
    };
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to nothing; check the host name",
        ));
    }
    Ok(addrs)
}

async fn offload(
    f: impl FnOnce() -> io::Result<Vec<SocketAddr>> + Send + 'static,
) -> io::Result<Vec<SocketAddr>> {
    match crate::blocking::to_thread(f).await {
        Ok(result) => result,
        Err(BlockingError::Cancelled(c)) => Err(super::io::cancelled_error(c)),
        Err(e) => Err(io::Error::other(e)),
    }
}
