//! An HTTPS server for the tests: a self-signed certificate for
//! `localhost` (rcgen), hyper over ferrio's TLS streams, and a client
//! configuration that trusts it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use ferrio::stream::tls::{provider, rustls};
use ferrio::stream::{ServerOptions, StreamReader, StreamWriter};
use ferrio_cli::fetch::StreamPairIo;
use http_body_util::Full;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Serves `secure {path}` over HTTPS on the running loop; returns its
/// address and a client configuration trusting its certificate.
pub async fn https_server() -> (
    SocketAddr,
    Arc<rustls::ClientConfig>,
    ferrio::stream::Server,
) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    serve(certified).await
}

/// An HTTPS server on a thread of its own (for child processes), and its
/// certificate as PEM.
pub fn https_thread() -> (SocketAddr, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let pem = certified.cert.pem();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runner = ferrio::Runner::builder()
            .handle_sigint(false)
            .build()
            .unwrap();
        let _ = runner.run(async move {
            let (addr, _, _server) = serve(certified).await;
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
    certified: rcgen::CertifiedKey<rcgen::KeyPair>,
) -> (
    SocketAddr,
    Arc<rustls::ClientConfig>,
    ferrio::stream::Server,
) {
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let server_config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server = ServerOptions::new()
        .tls(Arc::new(server_config))
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
    (server.sockets()[0], Arc::new(client), server)
}
