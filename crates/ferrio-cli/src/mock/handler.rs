//! The request handler: a [`Route`] and the server's state in, a response
//! (or a deliberate abort of the connection) out.
//!
//! Order for every request but `/_stats`: count it, refuse it with 429 if
//! the rate limit says so (at once, no latency), wait the latency drawn
//! for it (spread over the body with `--slow-body`), then answer.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde_json::json;

use super::answer::{Answer, Encoding};
use super::body::MockBody;
use super::config::MockConfig;
use super::faults::{Faults, Limit};
use super::routes::Route;
use super::stats::Counters;

/// The largest request body `/echo` reads.
pub(crate) const MAX_ECHO_BODY: usize = 16 * 1024 * 1024;

/// What every connection of one server shares.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) config: MockConfig,
    pub(crate) faults: Faults,
    pub(crate) limit: Option<Limit>,
    pub(crate) counters: Counters,
    /// Requests seen per `(k, id)` of `/flaky/{k}/{id}`.
    flaky: RefCell<HashMap<(u32, u64), u32>>,
    /// Set when the server shuts down: `/hang` gives up, connections drain.
    pub(crate) closing: ferrio::sync::Event,
    /// Set while no connection is open.
    pub(crate) drained: ferrio::sync::Event,
}

impl State {
    pub(crate) fn new(config: MockConfig) -> State {
        State {
            faults: Faults::new(&config),
            limit: config.rate_limit.map(Limit::new),
            config,
            counters: Counters::default(),
            flaky: RefCell::new(HashMap::new()),
            closing: ferrio::sync::Event::new(),
            drained: {
                let drained = ferrio::sync::Event::new();
                drained.set();
                drained
            },
        }
    }
}

/// Why the handler ends the connection without a response. hyper closes a
/// connection whose service fails, and writes nothing for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Abort {
    /// `/reset`: the connection task resets the socket.
    Reset,
    /// `/hang` until the server shut down.
    Shutdown,
    /// The connection's task was cancelled.
    Cancelled,
}

impl fmt::Display for Abort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Abort::Reset => "connection reset on purpose (/reset)",
            Abort::Shutdown => "the server shut down",
            Abort::Cancelled => "cancelled",
        })
    }
}

impl std::error::Error for Abort {}

/// Handles one request of a connection; sets `reset` for `/reset`.
pub(crate) async fn handle(
    state: Rc<State>,
    reset: Rc<Cell<bool>>,
    req: Request<Incoming>,
) -> Result<Response<MockBody>, Abort> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = Route::parse(&path);
    if route == Route::Stats {
        return Ok(stats(&state).into_response(method == Method::HEAD, None));
    }
    state.counters.request(route.name());
    let outcome = respond(&state, &reset, route, req).await;
    let status = match &outcome {
        Ok(response) => {
            let status = response.status().as_u16();
            state.counters.response(status);
            status.to_string()
        }
        Err(abort) => format!("no response ({abort})"),
    };
    if state.config.verbose {
        eprintln!("{method} {path} -> {status}");
    }
    outcome
}

async fn respond(
    state: &State,
    reset: &Cell<bool>,
    route: Route,
    req: Request<Incoming>,
) -> Result<Response<MockBody>, Abort> {
    let head = req.method() == Method::HEAD;
    let allowed = route.any_method() || req.method() == Method::GET || head;
    if !allowed {
        let message = format!(
            "{} is not allowed on {}: use GET",
            req.method(),
            req.uri().path()
        );
        return Ok(Answer::error(405, &message)
            .with(hyper::header::ALLOW, "GET, HEAD")
            .into_response(head, None));
    }
    if let Some(limit) = &state.limit {
        if let Err(secs) = limit.check() {
            state.counters.rate_limited();
            return Ok(Answer::rate_limited(secs).into_response(head, None));
        }
    }
    let draw = state.faults.draw(req.uri().path());
    let slow = state.config.slow_body.then_some(draw.latency);
    if slow.is_none() && !draw.latency.is_zero() {
        ferrio::sleep(draw.latency)
            .await
            .map_err(|_| Abort::Cancelled)?;
    }
    let answer = match route {
        Route::Item(id) if draw.fail => {
            state.counters.injected_failure();
            Answer::error(
                state.config.fail_status,
                &format!("injected failure for item {id} (--fail-rate)"),
            )
        }
        Route::Item(id) => Answer::item(id),
        Route::Status(code) => Answer::status(code),
        Route::Flaky { failures, id } => flaky(state, failures, id),
        Route::Redirect(n) => Answer::redirect(n),
        Route::Reset => {
            reset.set(true);
            return Err(Abort::Reset);
        }
        Route::Hang => {
            let _ = state.closing.wait().await;
            return Err(Abort::Shutdown);
        }
        Route::Bytes(n) => Answer::bytes(n),
        Route::Gzip(id) => Answer::compressed(id, Encoding::Gzip),
        Route::Deflate(id) => Answer::compressed(id, Encoding::Deflate),
        Route::Blocking(ms) => blocking(ms).await?,
        Route::Echo => echo(req).await,
        Route::BadRequest(message) => Answer::error(400, &message),
        Route::NotFound => Answer::error(
            404,
            &format!(
                "no route for {} {}: see `ferrio serve-mock --help` for the paths",
                req.method(),
                req.uri().path()
            ),
        ),
        // Answered before the rate limit and the latency, by `handle`.
        Route::Stats => stats(state),
    };
    Ok(answer.into_response(head, slow))
}

/// `/_stats`: the counters as JSON.
fn stats(state: &State) -> Answer {
    let snapshot = serde_json::to_value(state.counters.snapshot()).unwrap_or_default();
    Answer::json(200, &snapshot)
}

/// `/flaky/{k}/{id}`: 503 for the first `k` requests of this `(k, id)`.
fn flaky(state: &State, failures: u32, id: u64) -> Answer {
    let seen = {
        let mut counts = state.flaky.borrow_mut();
        let count = counts.entry((failures, id)).or_insert(0);
        *count = count.saturating_add(1);
        *count
    };
    if seen <= failures {
        Answer::error(
            503,
            &format!("flaky: failure {seen} of {failures} for item {id}"),
        )
    } else {
        Answer::item(id)
    }
}

/// `/blocking/{ms}`: blocks the loop thread for `ms` on purpose, in a task
/// of its own whose name debug mode's slow-task report shows.
async fn blocking(ms: u64) -> Result<Answer, Abort> {
    let task = ferrio::task::Builder::new()
        .name(format!("mock handler /blocking/{ms}"))
        .spawn(async move {
            // The lesson of the demo: a blocking call hidden in a
            // coroutine stalls every other task on the loop.
            std::thread::sleep(Duration::from_millis(ms));
        })
        .map_err(|_| Abort::Cancelled)?;
    task.await.map_err(|_| Abort::Cancelled)?;
    Ok(Answer::json(200, &json!({ "blocked_ms": ms })))
}

/// `/echo`: the request as JSON.
async fn echo(req: Request<Incoming>) -> Answer {
    let (parts, body) = req.into_parts();
    let mut headers = serde_json::Map::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match headers.get_mut(name.as_str()) {
            Some(serde_json::Value::String(seen)) => {
                seen.push_str(", ");
                seen.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_owned(), value.into());
            }
        }
    }
    let body = match Limited::new(body, MAX_ECHO_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let status = if e.is::<http_body_util::LengthLimitError>() {
                413
            } else {
                400
            };
            return Answer::error(
                status,
                &format!(
                    "/echo could not read the body ({e}); it reads at most {MAX_ECHO_BODY} bytes"
                ),
            );
        }
    };
    Answer::json(
        200,
        &json!({
            "method": parts.method.as_str(),
            "path": parts.uri.path(),
            "query": parts.uri.query(),
            "headers": headers,
            "body": String::from_utf8_lossy(&body),
        }),
    )
}
