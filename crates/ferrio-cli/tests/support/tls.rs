//! An HTTPS server for the tests: a self-signed certificate for
//! `localhost` (rcgen, through the runtime's own test helper), hyper over
//! ferrio's TLS streams, and a client configuration that trusts it.
#![allow(dead_code)]

#[path = "../../../ferrio/tests/support/tls_certs.rs"]
mod tls_certs;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use ferrio::stream::tls::rustls;
use ferrio::stream::{ServerOptions, StreamReader, StreamWriter};
use ferrio_cli::fetch::StreamPairIo;
use http_body_util::Full;
use tls_certs::Configs;

/// Serves `secure {path}` over HTTPS on the running loop; returns its
/// address and a client configuration trusting its certificate.
pub async fn https_server() -> (
    SocketAddr,
    Arc<rustls::ClientConfig>,
    ferrio::stream::Server,
) {
    serve(tls_certs::configs()).await
}

/// An HTTPS server on a thread of its own (for child processes), and its
/// certificate as PEM.
pub fn https_thread() -> (SocketAddr, String) {
    let configs = tls_certs::configs();
    let pem = configs.cert_pem.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runner = ferrio::Runner::builder()
            .handle_sigint(false)
            .build()
            .unwrap();
        let _ = runner.run(async move {
            let (addr, _, _server) = serve(configs).await;
            tx.send(addr).unwrap();
            std::future::pending::<()>().await;
        });
    });
    let addr = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the HTTPS server starts");
    (addr, pem)
}

async fn serve(
    configs: Configs,
) -> (
    SocketAddr,
    Arc<rustls::ClientConfig>,
    ferrio::stream::Server,
) {
    let server = ServerOptions::new()
        .tls(configs.server)
        .start(
            |reader: StreamReader, writer: StreamWriter| async move {
                let service = hyper::service::service_fn(
                    |req: hyper::Request<hyper::body::Incoming>| async move {
                        let body = format!("secure {}", req.uri().path());
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            Bytes::from(body),
                        )))
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(StreamPairIo::new(reader, writer), service)
                    .await;
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
    (server.sockets()[0], configs.client, server)
}
