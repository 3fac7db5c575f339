//! [`Client`]: one HTTP/1.1 exchange through hyper on ferrio's sockets,
//! with the keep-alive pool, bounded redirects and gzip/deflate decoding.

use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::http::uri::{Parts as UriParts, PathAndQuery};
use hyper::http::{Method, Request, StatusCode, Uri};

use super::config::FetchConfig;
use super::decode::decode;
use super::error::{ErrorKind, FetchError};
use super::pool::{Conn, Origin, Pool};

/// An answer, its body read whole and decoded.
#[derive(Debug, Clone)]
pub struct Response {
    /// The final status (after redirects).
    pub status: StatusCode,
    /// The decoded body.
    pub body: Bytes,
    /// Redirects followed.
    pub redirects: u32,
    /// Whether the final exchange reused a kept-alive connection.
    pub reused: bool,
    /// The `Retry-After` delay, if the server sent one in seconds.
    pub retry_after: Option<Duration>,
}

/// Connections opened, and requests that reused one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Connections opened.
    pub opened: u64,
    /// Exchanges that ran on a kept-alive connection.
    pub reused: u64,
}

/// An HTTP/1.1 client: the request part of a [`FetchConfig`] (method,
/// headers, body, redirects, connect timeout) and a keep-alive pool per
/// origin. Cheap to clone (clones share the pool).
#[derive(Clone)]
pub struct Client {
    inner: Rc<Inner>,
}

struct Inner {
    method: Method,
    headers: HeaderMap,
    body: Bytes,
    max_redirects: u32,
    connect_timeout: Option<Duration>,
    pool: Pool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("method", &self.inner.method)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client sending `config`'s request.
    pub fn new(config: &FetchConfig) -> Client {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("ferrio/", env!("CARGO_PKG_VERSION"))),
        );
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate"),
        );
        let mut replaced = Vec::new();
        for (name, value) in &config.headers {
            if !replaced.contains(name) {
                headers.remove(name);
                replaced.push(name.clone());
            }
            headers.append(name.clone(), value.clone());
        }
        Client {
            inner: Rc::new(Inner {
                method: config.method.clone(),
                headers,
                body: config.body.clone().unwrap_or_default(),
                max_redirects: config.max_redirects,
                connect_timeout: config.connect_timeout,
                pool: Pool::new(
                    #[cfg(feature = "tls")]
                    config.tls.clone(),
                ),
            }),
        }
    }

    /// Connections opened and reused so far.
    pub fn stats(&self) -> ClientStats {
        ClientStats {
            opened: self.inner.pool.opened.get(),
            reused: self.inner.pool.reused.get(),
        }
    }

    /// Sends the request to `url`, follows redirects, reads and decodes
    /// the body. Any status is an `Ok` answer here; the caller decides.
    ///
    /// # Errors
    ///
    /// A [`FetchError`] for a connection, protocol, redirect or decoding
    /// failure.
    ///
    /// # Cancel safety
    ///
    /// Cancelling (or dropping) it closes the connection it was using.
    pub async fn fetch(&self, url: &str) -> Result<Response, FetchError> {
        let mut uri: Uri = url
            .parse()
            .map_err(|e| FetchError::new(ErrorKind::MalformedUrl, format!("'{url}': {e}")))?;
        let mut method = self.inner.method.clone();
        let mut body = self.inner.body.clone();
        let mut redirects = 0;
        loop {
            let mut exchange = self.exchange(&uri, &method, body.clone()).await?;
            let status = exchange.status;
            if !status.is_redirection() || status == StatusCode::NOT_MODIFIED {
                let mut response = exchange.into_response();
                response.redirects = redirects;
                return Ok(response);
            }
            let location = exchange.location.take().ok_or_else(|| {
                FetchError::new(
                    ErrorKind::TooManyRedirects,
                    format!("{status} from {uri} without a Location"),
                )
            })?;
            if redirects >= self.inner.max_redirects {
                return Err(FetchError::new(
                    ErrorKind::TooManyRedirects,
                    format!(
                        "more than {} redirects (last to {location}); raise --max-redirects",
                        self.inner.max_redirects
                    ),
                ));
            }
            uri = resolve(&uri, &location)?;
            redirects += 1;
            let see_other = status == StatusCode::SEE_OTHER;
            let post_moved = matches!(status.as_u16(), 301 | 302) && method == Method::POST;
            if see_other || post_moved {
                method = Method::GET;
                body = Bytes::new();
            }
        }
    }

    /// One request and its answer, on a pooled or a new connection.
    async fn exchange(
        &self,
        uri: &Uri,
        method: &Method,
        body: Bytes,
    ) -> Result<Exchange, FetchError> {
        let origin = Origin::of(uri)?;
        let pool = &self.inner.pool;
        let (mut conn, mut reused) = match pool.checkout(&origin).await {
            Some(conn) => (conn, true),
            None => (
                pool.connect(&origin, self.inner.connect_timeout).await?,
                false,
            ),
        };
        let response = loop {
            let request = self.request(uri, &origin, method, body.clone())?;
            match conn.sender.send_request(request).await {
                Ok(response) => break response,
                // A kept-alive connection the server had just closed: the
                // request was not sent (canceled), or the server closed it
                // as it came (incomplete; then only an idempotent request
                // may go again): once more, on a new connection.
                Err(e)
                    if reused
                        && (e.is_canceled()
                            || (e.is_incomplete_message() && method.is_idempotent())) =>
                {
                    conn = pool.connect(&origin, self.inner.connect_timeout).await?;
                    reused = false;
                }
                Err(e) => return Err(hyper_error(&e)),
            }
        };
        if reused {
            pool.reused.set(pool.reused.get() + 1);
        }
        let (parts, incoming) = response.into_parts();
        let raw = incoming
            .collect()
            .await
            .map_err(|e| hyper_error(&e))?
            .to_bytes();
        let keep_alive = !parts
            .headers
            .get(header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        give_back(pool, origin, conn, keep_alive);
        let body = decode(parts.headers.get(header::CONTENT_ENCODING), raw)?;
        Ok(Exchange {
            status: parts.status,
            body,
            reused,
            retry_after: parts
                .headers
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs),
            location: parts
                .headers
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        })
    }

    fn request(
        &self,
        uri: &Uri,
        origin: &Origin,
        method: &Method,
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, FetchError> {
        // The request target, origin-form: the parsed path and query as
        // they are (a shared buffer, not parsed again).
        let mut target = UriParts::default();
        target.path_and_query = Some(
            uri.path_and_query()
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/")),
        );
        let mut request = Uri::from_parts(target)
            .map_err(|e| e.to_string())
            .and_then(|target| {
                Request::builder()
                    .method(method.clone())
                    .uri(target)
                    .body(Full::new(body))
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| FetchError::new(ErrorKind::MalformedUrl, format!("'{uri}': {e}")))?;
        *request.headers_mut() = self.inner.headers.clone();
        if !request.headers().contains_key(header::HOST) {
            let default_port = if origin.https { 443 } else { 80 };
            let host = match uri.authority() {
                Some(a) if a.port_u16().is_none_or(|p| p != default_port) => a.as_str().to_string(),
                Some(a) => a.host().to_string(),
                None => origin.host.clone(),
            };
            let value = HeaderValue::from_str(&host).map_err(|_| {
                FetchError::new(ErrorKind::MalformedUrl, format!("bad host in '{uri}'"))
            })?;
            request.headers_mut().insert(header::HOST, value);
        }
        Ok(request)
    }
}

/// The answer of one exchange, before redirects are decided.
struct Exchange {
    status: StatusCode,
    body: Bytes,
    reused: bool,
    retry_after: Option<Duration>,
    location: Option<String>,
}

impl Exchange {
    fn into_response(self) -> Response {
        Response {
            status: self.status,
            body: self.body,
            redirects: 0,
            reused: self.reused,
            retry_after: self.retry_after,
        }
    }
}

fn give_back(pool: &Pool, origin: Origin, conn: Conn, keep_alive: bool) {
    if keep_alive {
        pool.checkin(origin, conn);
    }
}

fn hyper_error(e: &hyper::Error) -> FetchError {
    use std::error::Error as _;
    let mut message = e.to_string();
    let mut source = e.source();
    let mut reset = false;
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            reset |= matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            );
        }
        source = s.source();
    }
    let kind = if e.is_incomplete_message() || e.is_canceled() || e.is_closed() || reset {
        ErrorKind::ConnectionReset
    } else if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Protocol
    };
    FetchError::new(kind, message)
}

/// `location` relative to `base`.
fn resolve(base: &Uri, location: &str) -> Result<Uri, FetchError> {
    let bad = || {
        FetchError::new(
            ErrorKind::TooManyRedirects,
            format!("bad Location '{location}' from {base}"),
        )
    };
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map_or("", |a| a.as_str());
    let absolute = if location.contains("://") {
        location.to_string()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let path = base.path();
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        format!("{scheme}://{authority}{dir}{location}")
    };
    let uri: Uri = absolute.parse().map_err(|_| bad())?;
    Origin::of(&uri).map_err(|_| bad())?;
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_against_the_base() {
        let base: Uri = "http://h:8/a/b?q=1".parse().unwrap();
        assert_eq!(resolve(&base, "/x").unwrap(), "http://h:8/x");
        assert_eq!(resolve(&base, "c").unwrap(), "http://h:8/a/c");
        assert_eq!(resolve(&base, "//o:9/y").unwrap(), "http://o:9/y");
        assert_eq!(resolve(&base, "https://o/z").unwrap(), "https://o/z");
        assert!(matches!(
            resolve(&base, "ftp://o/z"),
            Err(FetchError {
                kind: ErrorKind::TooManyRedirects,
                ..
            })
        ));
    }

    #[test]
    fn user_headers_replace_the_defaults() {
        let (name, value) = super::super::config::parse_header("Accept: application/json").unwrap();
        let client = Client::new(&FetchConfig {
            headers: vec![(name, value)],
            ..FetchConfig::default()
        });
        let accept: Vec<_> = client
            .inner
            .headers
            .get_all(header::ACCEPT)
            .iter()
            .collect();
        assert_eq!(accept, ["application/json"]);
        assert!(client.inner.headers.contains_key(header::ACCEPT_ENCODING));
    }
}
