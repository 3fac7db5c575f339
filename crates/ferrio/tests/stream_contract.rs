//! One stream contract, run on every transport (STYLE rule 12, like trio's
//! `check_two_way_stream`): TCP, Unix sockets, any futures-io stream
//! through `from_io`, and TLS (with the `tls` feature).

#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;

use ferrio::stream::{self, ReadError, StreamReader, StreamWriter, WriteError};

#[cfg(feature = "tls")]
#[path = "support/tls_certs.rs"]
mod tls_certs;

pub type Pair = (StreamReader, StreamWriter);
pub type Open = Pin<Box<dyn Future<Output = (Pair, Pair)>>>;

/// The contract: what every transport must do, asserted on two
/// connected ends `a` and `b`.
pub async fn contract(open: impl Fn() -> Open) {
    // 1. Lines both ways.
    let ((mut ar, aw), (mut br, bw)) = open().await;
    aw.write(b"ping\n").unwrap();
    assert_eq!(br.readline().await.unwrap(), b"ping\n");
    bw.write(b"pong\n").unwrap();
    assert_eq!(ar.readline().await.unwrap(), b"pong\n");

    // 2. A large transfer both ways at once, with drain: nothing lost,
    // nothing reordered, no deadlock.
    const N: usize = 2 * 1024 * 1024;
    let payload = |seed: u8| (0..N).map(move |i| (i as u8).wrapping_mul(31).wrapping_add(seed));
    let send = |w: StreamWriter, seed: u8| async move {
        let data: Vec<u8> = payload(seed).collect();
        for chunk in data.chunks(50_000) {
            w.write(chunk).unwrap();
            w.drain().await.unwrap();
        }
        w
    };
    let sa = ferrio::spawn(send(aw, 1));
    let sb = ferrio::spawn(send(bw, 2));
    let got_b = br.readexactly(N).await.unwrap();
    let got_a = ar.readexactly(N).await.unwrap();
    assert!(got_b.iter().copied().eq(payload(1)));
    assert!(got_a.iter().copied().eq(payload(2)));
    let (aw, bw) = (sa.await.unwrap(), sb.await.unwrap());

    // 3. Half-close: a sends EOF, b reads it and can still answer.
    aw.write(b"last words").unwrap();
    aw.write_eof();
    assert!(matches!(aw.write(b"more"), Err(WriteError::Closed)));
    assert_eq!(br.read_to_end().await.unwrap(), b"last words");
    assert!(br.at_eof());
    bw.write(b"answer\n").unwrap();
    bw.drain().await.unwrap();
    assert_eq!(ar.readline().await.unwrap(), b"answer\n");

    // 4. Close: the peer sees EOF; incomplete reads report what came.
    bw.write(b"tail").unwrap();
    bw.close();
    bw.wait_closed().await.unwrap();
    let err = ar.readexactly(10).await.unwrap_err();
    let ReadError::IncompleteRead(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.partial, b"tail");
    assert!(ar.at_eof());
    aw.close();
    aw.wait_closed().await.unwrap();
}

/// Two ends over TCP on 127.0.0.1.
pub fn tcp() -> Open {
    Box::pin(async {
        let listener = ferrio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = ferrio::spawn(async move { stream::open_connection(addr).await.unwrap() });
        let (server, _) = listener.accept().await.unwrap();
        (client.await.unwrap(), stream::from_tcp(server))
    })
}

/// Two ends over a Unix socket pair.
pub fn unix() -> Open {
    Box::pin(async {
        let (a, b) = ferrio::net::UnixStream::pair().unwrap();
        (stream::from_unix(a), stream::from_unix(b))
    })
}

/// Two ends over a generic futures-io stream (`from_io`).
pub fn generic() -> Open {
    Box::pin(async {
        let (a, b) = ferrio::net::UnixStream::pair().unwrap();
        (stream::from_io(a, 1 << 16), stream::from_io(b, 1 << 16))
    })
}

#[ferrio::test]
async fn contract_on_tcp() {
    contract(tcp).await;
}

#[ferrio::test]
async fn contract_on_unix_sockets() {
    contract(unix).await;
}

#[ferrio::test]
async fn contract_on_any_futures_io_stream() {
    contract(generic).await;
}

/// Two ends over TLS (rustls, ring) on 127.0.0.1.
#[cfg(feature = "tls")]
pub fn tls() -> Open {
    Box::pin(async {
        let configs = tls_certs::configs();
        let listener = ferrio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = ferrio::spawn(async move {
            stream::open_connection_tls(addr, "localhost", configs.client)
                .await
                .unwrap()
        });
        let (server, _) = listener.accept().await.unwrap();
        let (mut reader, writer) = stream::from_tcp(server);
        stream::start_tls_server(&mut reader, &writer, configs.server)
            .await
            .unwrap();
        (client.await.unwrap(), (reader, writer))
    })
}

#[cfg(feature = "tls")]
#[ferrio::test]
async fn contract_on_tls() {
    contract(tls).await;
}
