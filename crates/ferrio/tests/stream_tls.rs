//! TLS streams: `open_connection_tls` against a TLS `start_server`, a
//! certificate that does not verify, and `start_tls` on an open stream
//! (CPython's `test_streams.py` `test_start_tls`). Certificates from rcgen.

#![cfg(feature = "tls")]

#[path = "support/tls_certs.rs"]
mod tls_certs;

use std::io;

use ferrio::stream::{self, ServerOptions, StreamReader, StreamWriter};

#[ferrio::test]
async fn tls_client_and_server_exchange_lines() {
    let configs = tls_certs::configs();
    let server = ServerOptions::new()
        .tls(configs.server.clone())
        .start(
            |mut reader: StreamReader, writer: StreamWriter| async move {
                let line = reader.readline().await.unwrap();
                writer.write(b"secure: ").unwrap();
                writer.write(&line).unwrap();
                writer.close();
                writer.wait_closed().await.unwrap();
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
    let (mut reader, writer) =
        stream::open_connection_tls(server.sockets()[0], "localhost", configs.client.clone())
            .await
            .unwrap();
    writer.write(b"hello\n").unwrap();
    writer.drain().await.unwrap();
    assert_eq!(reader.read_to_end().await.unwrap(), b"secure: hello\n");
    server.close();
    server.wait_closed().await.unwrap();
}

#[ferrio::test]
async fn a_certificate_that_does_not_verify_fails_the_handshake() {
    let configs = tls_certs::configs();
    let server = ServerOptions::new()
        .tls(configs.server.clone())
        .start(|_r: StreamReader, _w: StreamWriter| async {}, "127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.sockets()[0];
    // Mozilla's roots do not include our self-signed certificate.
    let err = stream::open_connection_tls(addr, "localhost", stream::tls::client_config())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    assert!(err.to_string().contains("TLS handshake failed"), "{err}");
    // The right root but the wrong name.
    let err = stream::open_connection_tls(addr, "example.com", configs.client.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    let err = stream::open_connection_tls(addr, "not a name!", configs.client.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    server.close();
    server.wait_closed().await.unwrap();
}

// test_start_tls: a plaintext exchange, then an upgrade in place.
#[ferrio::test]
async fn start_tls_upgrades_an_open_stream() {
    let configs = tls_certs::configs();
    let server_config = configs.server.clone();
    let server = stream::start_server(
        move |mut reader: StreamReader, writer: StreamWriter| {
            let config = server_config.clone();
            async move {
                assert_eq!(reader.readline().await.unwrap(), b"STARTTLS\n");
                writer.write(b"OK\n").unwrap();
                writer.drain().await.unwrap();
                stream::start_tls_server(&mut reader, &writer, config)
                    .await
                    .unwrap();
                let line = reader.readline().await.unwrap();
                writer.write(&line).unwrap();
                writer.close();
                writer.wait_closed().await.unwrap();
            }
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let (mut reader, writer) = stream::open_connection(server.sockets()[0]).await.unwrap();
    writer.write(b"STARTTLS\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), b"OK\n");
    stream::start_tls(&mut reader, &writer, "localhost", configs.client.clone())
        .await
        .unwrap();
    writer.write(b"encrypted now\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), b"encrypted now\n");
    assert_eq!(reader.read_to_end().await.unwrap(), b"");
    server.close();
    server.wait_closed().await.unwrap();
}
