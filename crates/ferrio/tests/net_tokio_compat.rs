//! With the `tokio` feature, ferrio's sockets implement tokio's
//! `AsyncRead`/`AsyncWrite`: a tokio-util codec (`LinesCodec` over
//! `Framed`) runs on a ferrio `TcpStream` unchanged. Run with
//! `cargo test -p ferrio --features tokio --test net_tokio_compat`.

use std::future::poll_fn;
use std::pin::Pin;

use ferrio::net::{TcpListener, TcpStream};
use futures_core::Stream;
use futures_sink::Sink;
use tokio_util::codec::{Framed, LinesCodec};

async fn send(framed: &mut Framed<TcpStream, LinesCodec>, line: &str) {
    poll_fn(|cx| Sink::<String>::poll_ready(Pin::new(&mut *framed), cx))
        .await
        .unwrap();
    Sink::<String>::start_send(Pin::new(&mut *framed), line.to_owned()).unwrap();
    poll_fn(|cx| Sink::<String>::poll_flush(Pin::new(&mut *framed), cx))
        .await
        .unwrap();
}

async fn next(framed: &mut Framed<TcpStream, LinesCodec>) -> Option<String> {
    poll_fn(|cx| Pin::new(&mut *framed).poll_next(cx))
        .await
        .map(Result::unwrap)
}

#[ferrio::test]
async fn a_tokio_util_codec_runs_on_ferrio() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = ferrio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut framed = Framed::new(stream, LinesCodec::new());
        while let Some(line) = next(&mut framed).await {
            send(&mut framed, &line.to_uppercase()).await;
        }
    });
    let mut client = Framed::new(TcpStream::connect(addr).await.unwrap(), LinesCodec::new());
    for word in ["tokio", "codecs", "on", "ferrio"] {
        send(&mut client, word).await;
        assert_eq!(next(&mut client).await.unwrap(), word.to_uppercase());
    }
    drop(client);
    server.await.unwrap();
}

#[ferrio::test]
async fn split_halves_carry_tokio_codecs_too() {
    use tokio_util::codec::{FramedRead, FramedWrite};

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = ferrio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, write) = stream.into_split();
        let mut lines = FramedRead::new(read, LinesCodec::new());
        let mut out = FramedWrite::new(write, LinesCodec::new());
        let mut seen = 0;
        while let Some(line) = poll_fn(|cx| Pin::new(&mut lines).poll_next(cx)).await {
            let line = line.unwrap();
            seen += 1;
            poll_fn(|cx| Sink::<String>::poll_ready(Pin::new(&mut out), cx))
                .await
                .unwrap();
            Sink::<String>::start_send(Pin::new(&mut out), format!("{seen}:{line}")).unwrap();
            poll_fn(|cx| Sink::<String>::poll_flush(Pin::new(&mut out), cx))
                .await
                .unwrap();
        }
        // tokio's shutdown on the write half half-closes the socket.
        poll_fn(|cx| Sink::<String>::poll_close(Pin::new(&mut out), cx))
            .await
            .unwrap();
        seen
    });
    let mut client = Framed::new(TcpStream::connect(addr).await.unwrap(), LinesCodec::new());
    for word in ["read", "half", "write", "half"] {
        send(&mut client, word).await;
    }
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(next(&mut client).await.unwrap());
    }
    assert_eq!(got, ["1:read", "2:half", "3:write", "4:half"]);
    poll_fn(|cx| Sink::<String>::poll_close(Pin::new(&mut client), cx))
        .await
        .unwrap();
    assert_eq!(server.await.unwrap(), 4);
    // The server's close reached the client as EOF.
    assert_eq!(next(&mut client).await, None);
}

#[ferrio::test]
async fn connected_datagram_sockets_speak_tokio_one_datagram_per_call() {
    use ferrio::net::UdpSocket;
    use std::io::IoSlice;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    a.connect(b.local_addr().unwrap()).await.unwrap();
    b.connect(a.local_addr().unwrap()).await.unwrap();
    assert_eq!(a.write(b"one").await.unwrap(), 3);
    // A vectored write sends the first non-empty buffer only, as one datagram.
    let sent = a
        .write_vectored(&[IoSlice::new(b""), IoSlice::new(b"two"), IoSlice::new(b"x")])
        .await
        .unwrap();
    assert_eq!(sent, 3);
    let mut buf = [0u8; 16];
    let n = b.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"one");
    let n = b.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"two");
    // Shutting down a datagram socket does nothing: it still sends.
    a.shutdown().await.unwrap();
    a.write_all(b"three").await.unwrap();
    let n = b.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"three");
}
