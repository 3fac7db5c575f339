//! `ferrio::compat::hyper`: hyper's http1 client and server on ferrio's
//! `TcpStream` through `HyperIo`, and `HyperExecutor` running hyper's
//! background futures as ferrio tasks. No executor or timer is needed for
//! http1: the connection futures are spawned as ferrio tasks (they need not
//! be `Send`).

use std::cell::Cell;
use std::rc::Rc;

use ferrio::compat::hyper::{HyperExecutor, HyperIo};
use ferrio::net::{TcpListener, TcpStream};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};

async fn handle(req: Request<Incoming>) -> Result<Response<Full<&'static [u8]>>, hyper::Error> {
    match req.uri().path() {
        "/hello" => Ok(Response::new(Full::new(&b"hello world"[..]))),
        "/echo" => {
            let body = req.into_body().collect().await?.to_bytes();
            let leaked: &'static [u8] = Box::leak(body.to_vec().into_boxed_slice());
            Ok(Response::new(Full::new(leaked)))
        }
        _ => Ok(Response::builder()
            .status(404)
            .body(Full::new(&b""[..]))
            .unwrap()),
    }
}

#[ferrio::test]
async fn hyper_http1_client_and_server_run_on_ferrio() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = ferrio::spawn(async move {
        for _ in 0..2 {
            let (stream, _) = listener.accept().await.unwrap();
            ferrio::spawn(async move {
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(HyperIo::new(stream), hyper::service::service_fn(handle))
                    .await
                    .unwrap();
            })
            .detach();
        }
    });

    // Two requests on one keep-alive connection.
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(HyperIo::new(stream))
        .await
        .unwrap();
    let driver = ferrio::spawn(conn);
    let response = sender
        .send_request(
            Request::get("/hello")
                .header("host", "localhost")
                .body(Full::new(&b""[..]))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"hello world");

    let payload: &'static [u8] = Box::leak(vec![b'z'; 300_000].into_boxed_slice());
    let response = sender
        .send_request(
            Request::post("/echo")
                .header("host", "localhost")
                .body(Full::new(payload))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), payload.len());
    assert!(body.iter().all(|&b| b == b'z'));
    drop(sender);
    driver.await.unwrap().unwrap();

    // A second connection: a 404.
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(HyperIo::new(stream))
        .await
        .unwrap();
    let driver = ferrio::spawn(conn);
    let response = sender
        .send_request(
            Request::get("/missing")
                .header("host", "localhost")
                .body(Full::new(&b""[..]))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    drop(sender);
    driver.await.unwrap().unwrap();
    server.await.unwrap();
}

#[ferrio::test]
async fn hyper_executor_runs_non_send_futures_as_loop_tasks() {
    use hyper::rt::Executor;

    let ran = Rc::new(Cell::new(0));
    let done = Rc::new(ferrio::sync::Event::new());
    let (count, flag) = (ran.clone(), done.clone());
    HyperExecutor.execute(async move {
        count.set(count.get() + 1);
        flag.set();
    });
    // Spawned, not run inline: the future runs when this task yields.
    assert_eq!(ran.get(), 0);
    done.wait().await.unwrap();
    assert_eq!(ran.get(), 1);
}
