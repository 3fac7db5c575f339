//! The mock's URL surface: a request path parsed into a [`Route`].
//!
//! Parsing is pure (no I/O, no state), so every route and every malformed
//! path is unit-tested here; [`super::handler`] decides what each route
//! answers.

/// The largest body `/bytes/{n}` sends: larger `n` are capped to it.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The longest `/blocking/{ms}` blocks the loop thread, in milliseconds.
pub const MAX_BLOCKING_MS: u64 = 10_000;

/// Where a request goes, by path. The query string is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/item/{id}`: `{"id":id,"name":"item {id}"}`.
    Item(u64),
    /// `/status/{code}`: that status, `{"status":code}`.
    Status(u16),
    /// `/flaky/{k}/{id}`: 503 for the first `k` requests of `(k, id)`, then an item.
    Flaky {
        /// How many requests fail first.
        failures: u32,
        /// The item.
        id: u64,
    },
    /// `/redirect/{n}`: a 302 to `/redirect/{n-1}`, or done at 0.
    Redirect(u32),
    /// `/reset`: the connection is reset, no response.
    Reset,
    /// `/hang`: no response, ever (until the client leaves or shutdown).
    Hang,
    /// `/bytes/{n}`: `n` bytes (capped to [`MAX_BYTES`]).
    Bytes(u64),
    /// `/gzip/{id}`: the item, gzip-compressed.
    Gzip(u64),
    /// `/deflate/{id}`: the item, deflate-compressed (zlib format).
    Deflate(u64),
    /// `/blocking/{ms}`: blocks the loop thread for `ms` ms, then answers.
    Blocking(u64),
    /// `/echo`: the request, described as JSON.
    Echo,
    /// `/_stats`: the server's counters.
    Stats,
    /// A well-formed route with a bad parameter: 400 with this message.
    BadRequest(String),
    /// Nothing here: 404.
    NotFound,
}

impl Route {
    /// Parses a request path (without the query string).
    pub fn parse(path: &str) -> Route {
        let path = path.split('?').next().unwrap_or("");
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segments.as_slice() {
            ["item", id] => number(id, "item id").map_or_else(bad, Route::Item),
            ["status", code] => match code.parse::<u16>() {
                Ok(code @ 200..=599) => Route::Status(code),
                _ => bad(format!(
                    "'/status/{code}': the status must be a number from 200 to 599"
                )),
            },
            ["flaky", k, id] => match (number(k, "failure count"), number(id, "item id")) {
                (Ok(k), Ok(id)) => match u32::try_from(k) {
                    Ok(failures) => Route::Flaky { failures, id },
                    Err(_) => bad(format!("'/flaky/{k}/{id}': the failure count is too large")),
                },
                (Err(e), _) | (_, Err(e)) => bad(e),
            },
            ["redirect", n] => match number(n, "redirect count").map(u32::try_from) {
                Ok(Ok(n)) => Route::Redirect(n),
                Ok(Err(_)) => bad(format!("'/redirect/{n}': the redirect count is too large")),
                Err(e) => bad(e),
            },
            ["reset"] => Route::Reset,
            ["hang"] => Route::Hang,
            ["bytes", n] => {
                number(n, "byte count").map_or_else(bad, |n| Route::Bytes(n.min(MAX_BYTES)))
            }
            ["gzip", id] => number(id, "item id").map_or_else(bad, Route::Gzip),
            ["deflate", id] => number(id, "item id").map_or_else(bad, Route::Deflate),
            ["blocking", ms] => match number(ms, "duration in ms") {
                Ok(ms) if ms <= MAX_BLOCKING_MS => Route::Blocking(ms),
                Ok(_) => bad(format!(
                    "'/blocking/{ms}': block for at most {MAX_BLOCKING_MS} ms"
                )),
                Err(e) => bad(e),
            },
            ["echo"] => Route::Echo,
            ["_stats"] => Route::Stats,
            _ => Route::NotFound,
        }
    }

    /// A short name for the route, the key of the `by_route` counters.
    pub fn name(&self) -> &'static str {
        match self {
            Route::Item(_) => "item",
            Route::Status(_) => "status",
            Route::Flaky { .. } => "flaky",
            Route::Redirect(_) => "redirect",
            Route::Reset => "reset",
            Route::Hang => "hang",
            Route::Bytes(_) => "bytes",
            Route::Gzip(_) => "gzip",
            Route::Deflate(_) => "deflate",
            Route::Blocking(_) => "blocking",
            Route::Echo => "echo",
            Route::Stats => "_stats",
            Route::BadRequest(_) => "bad_request",
            Route::NotFound => "not_found",
        }
    }

    /// Whether the route answers any method (only `/echo`); the others
    /// answer `GET` and `HEAD`, and 405 to anything else.
    pub fn any_method(&self) -> bool {
        matches!(self, Route::Echo | Route::NotFound | Route::BadRequest(_))
    }
}

fn bad(message: String) -> Route {
    Route::BadRequest(message)
}

/// A decimal path parameter.
fn number(text: &str, what: &str) -> Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "'{text}' is not a {what}: write a whole number, e.g. 17"
        ));
    }
    text.parse()
        .map_err(|_| format!("'{text}' is too large for a {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_parses() {
        assert_eq!(Route::parse("/item/17"), Route::Item(17));
        assert_eq!(Route::parse("/item/17?x=1"), Route::Item(17));
        assert_eq!(Route::parse("/status/503"), Route::Status(503));
        assert_eq!(
            Route::parse("/flaky/2/9"),
            Route::Flaky { failures: 2, id: 9 }
        );
        assert_eq!(Route::parse("/redirect/3"), Route::Redirect(3));
        assert_eq!(Route::parse("/reset"), Route::Reset);
        assert_eq!(Route::parse("/hang"), Route::Hang);
        assert_eq!(Route::parse("/bytes/10"), Route::Bytes(10));
        assert_eq!(Route::parse("/gzip/4"), Route::Gzip(4));
        assert_eq!(Route::parse("/deflate/4"), Route::Deflate(4));
        assert_eq!(Route::parse("/blocking/150"), Route::Blocking(150));
        assert_eq!(Route::parse("/echo"), Route::Echo);
        assert_eq!(Route::parse("/_stats"), Route::Stats);
    }

    #[test]
    fn bytes_are_capped() {
        assert_eq!(Route::parse("/bytes/999999999999"), Route::Bytes(MAX_BYTES));
    }

    #[test]
    fn bad_parameters_are_400s_that_say_why() {
        for path in [
            "/item/abc",
            "/item/-1",
            "/item/",
            "/status/99",
            "/status/600",
            "/status/x",
            "/flaky/a/1",
            "/flaky/99999999999/1",
            "/redirect/99999999999",
            "/blocking/10001",
            "/item/99999999999999999999999",
        ] {
            match Route::parse(path) {
                Route::BadRequest(message) => assert!(!message.is_empty(), "{path}"),
                other => panic!("{path} parsed as {other:?}"),
            }
        }
    }

    #[test]
    fn unknown_paths_are_404s() {
        for path in [
            "/",
            "",
            "/items/1",
            "/item/1/2",
            "/echo/x",
            "/stats",
            "/reset/1",
        ] {
            assert_eq!(Route::parse(path), Route::NotFound, "{path}");
        }
    }

    #[test]
    fn only_echo_takes_any_method() {
        assert!(Route::Echo.any_method());
        assert!(!Route::Item(1).any_method());
        assert!(!Route::Stats.any_method());
    }
}
