//! The mock server driven in-process on ferrio's virtual clock, through a
//! hyper client on ferrio's sockets: every route, the latency to the
//! nanosecond, seeded failures, the rate limit, the connection limit, the
//! counters and the graceful shutdown.

use std::cell::RefCell;
use std::io::Read;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use ferrio::compat::hyper::HyperIo;
use ferrio::net::TcpStream;
use ferrio_cli::mock::{MockConfig, MockServer, RateLimit};
use ferrio_cli::units::DurationRange;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{HeaderMap, Request};

/// One keep-alive client connection.
struct Client {
    sender: SendRequest<Full<Bytes>>,
    driver: ferrio::Task<Result<(), hyper::Error>>,
}

/// A response, read whole.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(HyperIo::new(stream))
            .await
            .unwrap();
        Client {
            sender,
            driver: ferrio::spawn(conn),
        }
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<Reply, hyper::Error> {
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    async fn get(&mut self, path: &str) -> Reply {
        self.try_get(path).await.unwrap()
    }

    async fn try_get(&mut self, path: &str) -> Result<Reply, hyper::Error> {
        self.send(get_request(path)).await
    }

    /// Closes the connection and waits until hyper has.
    async fn close(self) {
        drop(self.sender);
        let _ = self.driver.await;
    }
}

fn get_request(path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header("host", "127.0.0.1")
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// One request on a connection of its own.
async fn get(server: &MockServer, path: &str) -> Reply {
    let mut client = Client::connect(server.local_addr()).await;
    let reply = client.get(path).await;
    client.close().await;
    reply
}

async fn start(config: MockConfig) -> MockServer {
    MockServer::start(config).await.unwrap()
}

/// Waits, a virtual millisecond at a time, until the server has noticed
/// what the client did (a close travels through the loop's reactor).
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        ferrio::sleep(Duration::from_millis(1)).await.unwrap();
    }
    panic!("never happened: {what}");
}

fn fixed(d: Duration) -> DurationRange {
    DurationRange { low: d, high: d }
}

#[ferrio::test]
async fn an_item_is_its_json() {
    let server = start(MockConfig::default()).await;
    let reply = get(&server, "/item/17").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(&reply.body[..], br#"{"id":17,"name":"item 17"}"#);
    assert!(server
        .url("/item/1")
        .ends_with(&format!(":{}/item/1", server.local_addr().port())));
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn status_flaky_redirect_bytes_and_errors() {
    let server = start(MockConfig::default()).await;
    let mut c = Client::connect(server.local_addr()).await;

    let r = c.get("/status/503").await;
    assert_eq!((r.status, r.header("retry-after")), (503, Some("1")));
    assert_eq!(r.json(), serde_json::json!({ "status": 503 }));
    let r = c.get("/status/429").await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    let r = c.get("/status/404").await;
    assert_eq!((r.status, r.header("retry-after")), (404, None));
    assert_eq!(c.get("/status/204").await.status, 204);

    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(c.get("/flaky/2/5").await.status);
        }
        v
    };
    assert_eq!(statuses, [503, 503, 200, 200]);
    // Another (k, id) counts apart.
    assert_eq!(c.get("/flaky/2/6").await.status, 503);
    assert_eq!(c.get("/flaky/0/6").await.status, 200);
    assert_eq!(c.get("/flaky/2/5").await.json()["name"], "item 5");

    let r = c.get("/redirect/2").await;
    assert_eq!((r.status, r.header("location")), (302, Some("/redirect/1")));
    let r = c.get("/redirect/1").await;
    assert_eq!(r.header("location"), Some("/redirect/0"));
    let r = c.get("/redirect/0").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({ "redirects": "done" }));

    let r = c.get("/bytes/1000").await;
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.body.len(), 1000);
    assert_eq!(c.get("/bytes/0").await.body.len(), 0);

    let r = c.get("/nowhere").await;
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].as_str().unwrap().contains("/nowhere"));
    let r = c.get("/item/abc").await;
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().contains("whole number"));
    let r = c
        .send(
            Request::delete("/item/1")
                .header("host", "x")
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
    c.close().await;
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn gzip_and_deflate_bodies_decode_to_the_item() {
    let server = start(MockConfig::default()).await;
    let r = get(&server, "/gzip/3").await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&r.body[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain, r#"{"id":3,"name":"item 3"}"#);

    let r = get(&server, "/deflate/4").await;
    assert_eq!(r.header("content-encoding"), Some("deflate"));
    let mut plain = String::new();
    flate2::read::ZlibDecoder::new(&r.body[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain, r#"{"id":4,"name":"item 4"}"#);
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn echo_describes_the_request() {
    let server = start(MockConfig::default()).await;
    let mut c = Client::connect(server.local_addr()).await;
    let r = c
        .send(
            Request::post("/echo?x=1")
                .header("host", "127.0.0.1")
                .header("x-test", "one")
                .header("x-test", "two")
                .body(Full::new(Bytes::from_static(b"hello \xff")))
                .unwrap(),
        )
        .await
        .unwrap();
    let json = r.json();
    assert_eq!(json["method"], "POST");
    assert_eq!(json["path"], "/echo");
    assert_eq!(json["query"], "x=1");
    assert_eq!(json["headers"]["x-test"], "one, two");
    assert_eq!(json["body"], "hello \u{fffd}");
    c.close().await;
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn reset_ends_the_connection_without_a_response() {
    let server = start(MockConfig::default()).await;
    let mut c = Client::connect(server.local_addr()).await;
    assert!(c.try_get("/reset").await.is_err());
    let _ = c.driver.await;
    // The server goes on.
    assert_eq!(get(&server, "/item/1").await.status, 200);
    let stats = server.stats();
    assert_eq!(stats.by_route["reset"], 1);
    assert_eq!(stats.by_status.get(&200), Some(&1));
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn hang_never_answers() {
    let server = start(MockConfig::default()).await;
    let mut c = Client::connect(server.local_addr()).await;
    let start = ferrio::now();
    let outcome = ferrio::timeout(Duration::from_secs(30), c.try_get("/hang")).await;
    assert!(outcome.is_err(), "/hang answered");
    assert_eq!(ferrio::now() - start, Duration::from_secs(30));
    c.close().await;
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn latency_is_exact_on_the_loop_clock() {
    let server = start(MockConfig {
        latency: fixed(Duration::from_millis(200)),
        ..MockConfig::default()
    })
    .await;
    let mut c = Client::connect(server.local_addr()).await;
    for path in ["/item/1", "/status/500", "/echo"] {
        let start = ferrio::now();
        c.get(path).await;
        assert_eq!(ferrio::now() - start, Duration::from_millis(200), "{path}");
    }
    // /_stats answers at once.
    let start = ferrio::now();
    c.get("/_stats").await;
    assert_eq!(ferrio::now() - start, Duration::ZERO);
    c.close().await;
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn a_latency_range_is_drawn_per_request_and_a_seed_repeats_it() {
    let config = MockConfig {
        latency: DurationRange {
            low: Duration::from_millis(50),
            high: Duration::from_millis(300),
        },
        seed: Some(3),
        ..MockConfig::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = start(config.clone()).await;
        let mut c = Client::connect(server.local_addr()).await;
        let mut latencies = Vec::new();
        for id in 0..10 {
            let start = ferrio::now();
            c.get(&format!("/item/{id}")).await;
            latencies.push(ferrio::now() - start);
        }
        c.close().await;
        server.shutdown().await.unwrap();
        runs.push(latencies);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0]
        .iter()
        .all(|d| (Duration::from_millis(50)..=Duration::from_millis(300)).contains(d)));
    assert!(runs[0].windows(2).any(|w| w[0] != w[1]), "{:?}", runs[0]);
}

#[ferrio::test]
async fn a_slow_body_comes_in_chunks_over_the_latency() {
    let server = start(MockConfig {
        latency: fixed(Duration::from_millis(200)),
        slow_body: true,
        ..MockConfig::default()
    })
    .await;
    let stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(HyperIo::new(stream))
        .await
        .unwrap();
    let driver = ferrio::spawn(conn);
    let start = ferrio::now();
    let response = sender
        .send_request(get_request("/bytes/100"))
        .await
        .unwrap();
    assert_eq!(
        ferrio::now() - start,
        Duration::ZERO,
        "headers go out at once"
    );
    assert_eq!(response.headers()["content-length"], "100");
    let mut body = response.into_body();
    let mut arrivals = Vec::new();
    let mut total = 0;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            total += data.len();
            arrivals.push(ferrio::now() - start);
        }
    }
    assert_eq!(total, 100);
    let ms = |n| Duration::from_millis(n);
    assert_eq!(arrivals, [ms(50), ms(100), ms(150), ms(200)]);
    drop(sender);
    let _ = driver.await;
    server.shutdown().await.unwrap();
}

/// Which of `/item/0..n` fail, one connection, in order.
async fn failures(config: MockConfig, n: u64) -> (Vec<u64>, u64) {
    let server = start(config).await;
    let mut c = Client::connect(server.local_addr()).await;
    let mut failed = Vec::new();
    for id in 0..n {
        let r = c.get(&format!("/item/{id}")).await;
        if r.status != 200 {
            assert_eq!(r.status, 503);
            assert_eq!(r.header("retry-after"), Some("1"));
            assert!(r.json()["error"].as_str().unwrap().contains("--fail-rate"));
            failed.push(id);
        }
    }
    c.close().await;
    let injected = server.stats().injected_failures;
    server.shutdown().await.unwrap();
    (failed, injected)
}

#[ferrio::test]
async fn a_seeded_fail_rate_fails_the_same_requests_every_time() {
    let config = MockConfig {
        fail_rate: 0.2,
        fail_status: 503,
        seed: Some(42),
        ..MockConfig::default()
    };
    let (first, injected) = failures(config.clone(), 200).await;
    let (second, _) = failures(config.clone(), 200).await;
    assert_eq!(first, second);
    assert_eq!(injected, first.len() as u64);
    assert!(
        (20..=60).contains(&first.len()),
        "{} of 200 failed",
        first.len()
    );
    let (other_seed, _) = failures(
        MockConfig {
            seed: Some(43),
            ..config
        },
        200,
    )
    .await;
    assert_ne!(first, other_seed);
    let (none, _) = failures(MockConfig::default(), 50).await;
    assert!(none.is_empty());
}

/// Which of `ids` fail, requested in that order on one connection.
async fn failed_ids(config: MockConfig, ids: impl Iterator<Item = u64>) -> Vec<u64> {
    let server = start(config).await;
    let mut c = Client::connect(server.local_addr()).await;
    let mut failed = Vec::new();
    for id in ids {
        if c.get(&format!("/item/{id}")).await.status != 200 {
            failed.push(id);
        }
    }
    c.close().await;
    server.shutdown().await.unwrap();
    failed.sort_unstable();
    failed
}

#[ferrio::test]
async fn the_failures_of_a_seed_do_not_depend_on_request_order() {
    let config = MockConfig {
        fail_rate: 0.3,
        seed: Some(5),
        ..MockConfig::default()
    };
    let forward = failed_ids(config.clone(), 0..60).await;
    let backward = failed_ids(config, (0..60).rev()).await;
    assert!(!forward.is_empty());
    assert_eq!(forward, backward);
}

#[ferrio::test]
async fn above_the_rate_limit_the_answer_is_429_with_retry_after() {
    let server = start(MockConfig {
        rate_limit: Some(RateLimit {
            per_second: 5.0,
            burst: 5,
        }),
        ..MockConfig::default()
    })
    .await;
    let mut c = Client::connect(server.local_addr()).await;
    for id in 0..5 {
        assert_eq!(c.get(&format!("/item/{id}")).await.status, 200);
    }
    let r = c.get("/item/5").await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    // /_stats is never limited.
    assert_eq!(c.get("/_stats").await.status, 200);
    // One permit every 200 ms.
    ferrio::sleep(Duration::from_millis(200)).await.unwrap();
    assert_eq!(c.get("/item/6").await.status, 200);
    assert_eq!(c.get("/item/7").await.status, 429);
    assert_eq!(server.stats().rate_limited, 2);
    c.close().await;
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn retry_after_rounds_a_long_wait_up_to_whole_seconds() {
    // One request every 2.5 s.
    let server = start(MockConfig {
        rate_limit: Some(RateLimit {
            per_second: 0.4,
            burst: 1,
        }),
        ..MockConfig::default()
    })
    .await;
    let mut c = Client::connect(server.local_addr()).await;
    assert_eq!(c.get("/item/1").await.status, 200);
    let r = c.get("/item/2").await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("3")));
    ferrio::sleep(Duration::from_millis(1000)).await.unwrap();
    assert_eq!(c.get("/item/2").await.header("retry-after"), Some("2"));
    ferrio::sleep(Duration::from_millis(1500)).await.unwrap();
    assert_eq!(c.get("/item/2").await.status, 200);
    c.close().await;
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn max_connections_holds_the_next_connection_until_one_closes() {
    let server = start(MockConfig {
        max_connections: Some(2),
        ..MockConfig::default()
    })
    .await;
    let addr = server.local_addr();
    let mut a = Client::connect(addr).await;
    let mut b = Client::connect(addr).await;
    assert_eq!(a.get("/item/1").await.status, 200);
    assert_eq!(b.get("/item/2").await.status, 200);

    let log = Rc::new(RefCell::new(Vec::new()));
    let third = ferrio::spawn({
        let log = log.clone();
        async move {
            // The kernel completes the handshake (the listen backlog); the
            // server does not accept it until a slot is free.
            let mut c = Client::connect(addr).await;
            let reply = c.get("/item/3").await;
            log.borrow_mut()
                .push(format!("third answered {}", reply.status));
            c.close().await;
        }
    });
    ferrio::sleep(Duration::from_secs(10)).await.unwrap();
    assert!(log.borrow().is_empty(), "{:?}", log.borrow());
    assert_eq!(server.stats().connections, 2);
    assert_eq!(server.stats().open_connections, 2);

    log.borrow_mut().push("a closed".to_string());
    a.close().await;
    third.await.unwrap();
    assert_eq!(*log.borrow(), ["a closed", "third answered 200"]);
    assert_eq!(server.stats().connections, 3);
    b.close().await;
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn stats_count_connections_and_requests() {
    let server = start(MockConfig::default()).await;
    let mut c = Client::connect(server.local_addr()).await;
    for id in 0..5 {
        c.get(&format!("/item/{id}")).await;
    }
    let stats = server.stats();
    assert_eq!((stats.connections, stats.requests), (1, 5));
    assert_eq!(stats.open_connections, 1);
    assert_eq!(stats.by_route["item"], 5);
    assert_eq!(stats.by_status[&200], 5);

    // The same through HTTP; /_stats itself is not counted.
    let json = c.get("/_stats").await.json();
    assert_eq!(json["connections"], 1);
    assert_eq!(json["requests"], 5);
    assert_eq!(json["by_status"]["200"], 5);
    c.get("/status/418").await;
    c.close().await;

    get(&server, "/nowhere").await;
    until("both connections closed", || {
        server.stats().open_connections == 0
    })
    .await;
    let stats = server.stats();
    assert_eq!((stats.connections, stats.requests), (2, 7));
    assert_eq!(stats.by_status[&418], 1);
    assert_eq!(stats.by_route["not_found"], 1);
    assert_eq!(stats.open_connections, 0);
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn shutdown_lets_the_request_in_flight_finish() {
    let server = start(MockConfig {
        latency: fixed(Duration::from_secs(1)),
        ..MockConfig::default()
    })
    .await;
    let addr = server.local_addr();
    let idle = Client::connect(addr).await;
    let in_flight = ferrio::spawn(async move {
        let mut c = Client::connect(addr).await;
        let reply = c.get("/item/9").await;
        (reply.status, ferrio::now())
    });
    ferrio::sleep(Duration::from_millis(100)).await.unwrap();
    let start = ferrio::now();
    server.shutdown().await.unwrap();
    let stopped = ferrio::now();
    let (status, answered) = in_flight.await.unwrap();
    assert_eq!(status, 200);
    assert!(answered <= stopped);
    assert_eq!(stopped - start, Duration::from_millis(900));
    // The idle keep-alive connection was closed, and nothing listens.
    let _ = idle.driver.await;
    assert!(TcpStream::connect(addr).await.is_err());
}

#[ferrio::test]
async fn shutdown_ends_a_hang_and_bounds_a_long_request_by_the_grace() {
    let server = start(MockConfig {
        latency: fixed(Duration::from_secs(60)),
        shutdown_grace: Duration::from_secs(2),
        ..MockConfig::default()
    })
    .await;
    let addr = server.local_addr();
    let hang = ferrio::spawn(async move {
        let mut c = Client::connect(addr).await;
        c.try_get("/hang").await.is_err()
    });
    let slow = ferrio::spawn(async move {
        let mut c = Client::connect(addr).await;
        c.try_get("/item/1").await.is_err()
    });
    ferrio::sleep(Duration::from_millis(10)).await.unwrap();
    let start = ferrio::now();
    server.shutdown().await.unwrap();
    assert_eq!(ferrio::now() - start, Duration::from_secs(2));
    assert!(hang.await.unwrap(), "/hang got a response");
    assert!(slow.await.unwrap(), "the 60 s request was answered");
}

#[ferrio::test]
async fn a_blocking_handler_is_named_in_debug_mode() {
    let handle = ferrio::EventLoop::current();
    let reports = Rc::new(RefCell::new(Vec::new()));
    handle.set_exception_handler(Some({
        let reports = reports.clone();
        move |ctx: &ferrio::event_loop::ExceptionContext| {
            if ctx.kind == ferrio::event_loop::ExceptionKind::SlowPoll {
                let name = ctx.task.as_ref().map(|t| t.name.to_string());
                reports.borrow_mut().push(name.unwrap_or_default());
            }
        }
    }));
    handle.set_slow_callback_duration(Duration::from_millis(50));
    handle.set_debug(true);
    let server = start(MockConfig::default()).await;
    let r = get(&server, "/blocking/120").await;
    assert_eq!(r.json()["blocked_ms"], 120);
    handle.set_debug(false);
    assert!(
        reports
            .borrow()
            .iter()
            .any(|name| name == "mock handler /blocking/120"),
        "{:?}",
        reports.borrow()
    );
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn a_bad_config_or_a_taken_port_is_an_error() {
    let err = MockServer::start(MockConfig {
        fail_rate: 2.0,
        ..MockConfig::default()
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("--fail-rate"));

    let server = start(MockConfig::default()).await;
    let err = MockServer::start(MockConfig {
        port: server.local_addr().port(),
        ..MockConfig::default()
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn a_hang_ends_when_its_client_leaves() {
    let server = start(MockConfig::default()).await;
    let mut c = Client::connect(server.local_addr()).await;
    let gave_up = ferrio::timeout(Duration::from_secs(1), c.try_get("/hang")).await;
    assert!(gave_up.is_err());
    assert_eq!(server.stats().open_connections, 1);
    c.close().await;
    until("the hanging connection closed", || {
        server.stats().open_connections == 0
    })
    .await;
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn head_sends_the_headers_only() {
    let server = start(MockConfig {
        slow_body: true,
        ..MockConfig::default()
    })
    .await;
    let mut c = Client::connect(server.local_addr()).await;
    let r = c
        .send(
            Request::head("/item/17")
                .header("host", "x")
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("26"));
    assert!(r.body.is_empty());
    // The connection is still good for a GET.
    assert_eq!(c.get("/item/17").await.body.len(), 26);
    c.close().await;
    server.shutdown().await.unwrap();
}

#[ferrio::test]
async fn concurrent_clients_see_the_same_seeded_failures() {
    let config = MockConfig {
        fail_rate: 0.25,
        latency: DurationRange {
            low: Duration::from_millis(10),
            high: Duration::from_millis(90),
        },
        seed: Some(11),
        ..MockConfig::default()
    };
    let sequential = failed_ids(config.clone(), 0..100).await;

    let server = start(config).await;
    let addr = server.local_addr();
    let clients: Vec<_> = (0..10u64)
        .map(|k| {
            ferrio::spawn(async move {
                let mut c = Client::connect(addr).await;
                let mut failed = Vec::new();
                for id in (k..100).step_by(10) {
                    if c.get(&format!("/item/{id}")).await.status != 200 {
                        failed.push(id);
                    }
                }
                c.close().await;
                failed
            })
        })
        .collect();
    let mut concurrent = Vec::new();
    for client in clients {
        concurrent.extend(client.await.unwrap());
    }
    concurrent.sort_unstable();
    assert_eq!(concurrent, sequential);
    let stats = server.stats();
    assert_eq!((stats.connections, stats.requests), (10, 100));
    server.shutdown().await.unwrap();
}
