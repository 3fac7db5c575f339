//! A TLS client: asyncio's `open_connection(host, port, ssl=...)`, on
//! rustls with the ring provider.
//!
//! ```sh
//! cargo run --example tls_client                       # against a local TLS server it starts
//! cargo run --example tls_client -- example.com 443    # a real host (Mozilla's roots)
//! ```

use std::sync::Arc;

use ferrio::stream::tls::{client_config, provider, rustls};
use ferrio::stream::{self, ServerOptions, StreamReader, StreamWriter};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A throwaway certificate for `localhost`, and configurations using it.
fn local_configs() -> (Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let server = rustls::ServerConfig::builder_with_provider(provider())
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
    (Arc::new(server), Arc::new(client))
}

#[ferrio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (host, port, config, _server) = match (args.next(), args.next()) {
        (Some(host), Some(port)) => (host, port.parse::<u16>().unwrap(), client_config(), None),
        _ => {
            let (server_config, client) = local_configs();
            let server = ServerOptions::new()
                .tls(server_config)
                .start(
                    |mut r: StreamReader, w: StreamWriter| async move {
                        let request = r.readuntil(b"\r\n\r\n").await.unwrap_or_default();
                        let body = format!("you sent {} bytes over TLS", request.len());
                        let response = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        w.write(response.as_bytes()).unwrap();
                        w.close();
                        let _ = w.wait_closed().await;
                    },
                    "127.0.0.1:0",
                )
                .await
                .unwrap();
            let port = server.sockets()[0].port();
            println!("(started a local TLS server on port {port})");
            ("localhost".to_owned(), port, client, Some(server))
        }
    };
    let (mut reader, writer) = stream::open_connection_tls((host.as_str(), port), &host, config)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {host}:{port}: {e}"));
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    writer.write(request.as_bytes()).unwrap();
    writer.drain().await.unwrap();
    let status = reader.readline().await.unwrap();
    print!("{}", String::from_utf8_lossy(&status));
    let rest = reader.read_to_end().await.unwrap();
    println!("({} more bytes)", rest.len());
}
