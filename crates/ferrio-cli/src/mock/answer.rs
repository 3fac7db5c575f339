//! [`Answer`]: a response before it is sent — status, headers and the whole
//! body — and the builders of the mock's JSON bodies. Pure: no I/O, no
//! clock, so unit-tested here.

use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::json;

use super::body::MockBody;

/// A response to send.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
}

impl Answer {
    /// `value` as a JSON body.
    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Answer {
        Answer {
            status,
            headers: vec![(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body: Bytes::from(value.to_string()),
        }
    }

    /// `{"error": message, "status": status}`; 429 and 503 carry
    /// `Retry-After: 1`.
    pub(crate) fn error(status: u16, message: &str) -> Answer {
        Answer::json(status, &json!({ "error": message, "status": status })).retry_after_if_busy(1)
    }

    /// The item: `{"id":id,"name":"item {id}"}`.
    pub(crate) fn item(id: u64) -> Answer {
        Answer::json(200, &item_json(id))
    }

    /// `/status/{code}`: `{"status":code}` (no body for 204 and 304).
    pub(crate) fn status(code: u16) -> Answer {
        let answer = if matches!(code, 204 | 304) {
            Answer {
                status: code,
                headers: Vec::new(),
                body: Bytes::new(),
            }
        } else {
            Answer::json(code, &json!({ "status": code }))
        };
        answer.retry_after_if_busy(1)
    }

    /// `/redirect/{n}`.
    pub(crate) fn redirect(n: u32) -> Answer {
        if n == 0 {
            return Answer::json(200, &json!({ "redirects": "done" }));
        }
        let next = format!("/redirect/{}", n - 1);
        Answer::json(302, &json!({ "redirect": next })).with(header::LOCATION, &next)
    }

    /// `n` zero bytes, `application/octet-stream`.
    pub(crate) fn bytes(n: u64) -> Answer {
        Answer {
            status: 200,
            headers: vec![(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            )],
            body: Bytes::from(vec![0u8; usize::try_from(n).unwrap_or(usize::MAX)]),
        }
    }

    /// The item compressed: `gzip` or `deflate` (zlib), with its
    /// `Content-Encoding`.
    pub(crate) fn compressed(id: u64, encoding: Encoding) -> Answer {
        let plain = item_json(id).to_string();
        let level = flate2::Compression::default();
        let body = match encoding {
            Encoding::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
                e.write_all(plain.as_bytes()).and_then(|()| e.finish())
            }
            Encoding::Deflate => {
                let mut e = flate2::write::ZlibEncoder::new(Vec::new(), level);
                e.write_all(plain.as_bytes()).and_then(|()| e.finish())
            }
        }
        // Writing to a Vec cannot fail.
        .unwrap_or_default();
        Answer {
            status: 200,
            headers: vec![
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (
                    header::CONTENT_ENCODING,
                    HeaderValue::from_static(encoding.name()),
                ),
            ],
            body: Bytes::from(body),
        }
    }

    /// 429 from the rate limit, `Retry-After: secs`.
    pub(crate) fn rate_limited(secs: u64) -> Answer {
        Answer::json(
            429,
            &json!({
                "error": format!("rate limited: retry after {secs} s"),
                "status": 429,
            }),
        )
        .with(header::RETRY_AFTER, &secs.to_string())
    }

    /// Adds a header (`value` must be visible ASCII, as every value here is).
    pub(crate) fn with(mut self, name: HeaderName, value: &str) -> Answer {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    fn retry_after_if_busy(self, secs: u64) -> Answer {
        if matches!(self.status, 429 | 503) {
            self.with(header::RETRY_AFTER, &secs.to_string())
        } else {
            self
        }
    }

    /// The hyper response: the body at once, or in slow chunks over
    /// `slow` (`Some` for `--slow-body`). For a `HEAD` request hyper sends
    /// the headers only (with the body's `Content-Length`), at once.
    pub(crate) fn into_response(self, head: bool, slow: Option<Duration>) -> Response<MockBody> {
        let body = match slow {
            Some(over) if !head && !self.body.is_empty() => MockBody::slow(self.body, over),
            _ => MockBody::full(self.body),
        };
        let mut response = Response::new(body);
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        response
    }
}

/// A compression of `/gzip` and `/deflate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Gzip,
    Deflate,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
        }
    }
}

fn item_json(id: u64) -> serde_json::Value {
    json!({ "id": id, "name": format!("item {id}") })
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn header<'a>(a: &'a Answer, name: &HeaderName) -> Option<&'a str> {
        a.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.to_str().ok())
    }

    #[test]
    fn an_item_is_json() {
        let a = Answer::item(17);
        assert_eq!(a.status, 200);
        assert_eq!(&a.body[..], br#"{"id":17,"name":"item 17"}"#);
    }

    #[test]
    fn busy_statuses_carry_retry_after() {
        assert_eq!(
            header(&Answer::status(503), &header::RETRY_AFTER),
            Some("1")
        );
        assert_eq!(
            header(&Answer::status(429), &header::RETRY_AFTER),
            Some("1")
        );
        assert_eq!(header(&Answer::status(500), &header::RETRY_AFTER), None);
        assert_eq!(
            header(&Answer::rate_limited(3), &header::RETRY_AFTER),
            Some("3")
        );
        assert!(Answer::status(204).body.is_empty());
    }

    #[test]
    fn redirects_count_down() {
        let a = Answer::redirect(2);
        assert_eq!(a.status, 302);
        assert_eq!(header(&a, &header::LOCATION), Some("/redirect/1"));
        assert_eq!(&Answer::redirect(0).body[..], br#"{"redirects":"done"}"#);
    }

    #[test]
    fn compressed_items_decompress_to_the_item() {
        let gz = Answer::compressed(5, Encoding::Gzip);
        assert_eq!(header(&gz, &header::CONTENT_ENCODING), Some("gzip"));
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&gz.body[..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, r#"{"id":5,"name":"item 5"}"#);
        let z = Answer::compressed(5, Encoding::Deflate);
        let mut plain = String::new();
        flate2::read::ZlibDecoder::new(&z.body[..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, r#"{"id":5,"name":"item 5"}"#);
    }
}
