//! TCP sockets: connect, accept, read/write, half-close, resets, refused
//! and timed-out connects, cancellation, and the virtual clock with real
//! sockets. Servers bind 127.0.0.1 only.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use ferrio::net::{is_cancelled, ConnectOptions, ListenOptions, TcpListener, TcpStream};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

const LOCAL: &str = "127.0.0.1:0";

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind(LOCAL).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connect = ferrio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (server, _) = listener.accept().await.unwrap();
    (connect.await.unwrap(), server)
}

/// A port on which nothing listens (bound, then closed).
fn dead_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind(LOCAL).unwrap();
    l.local_addr().unwrap()
}

/// Closes `stream` with an RST instead of a FIN (`SO_LINGER` 0).
fn reset(stream: TcpStream) {
    let std = stream.into_std();
    socket2::SockRef::from(&std)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(std);
}

#[ferrio::test]
async fn echo_round_trip_and_addresses() {
    let (client, server) = pair().await;
    assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
    assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
    client.write_all(b"hello, ferrio").await.unwrap();
    let mut buf = [0; 32];
    let n = server.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"hello, ferrio");
}

#[ferrio::test]
async fn large_transfer_through_the_futures_io_traits() {
    let (mut client, mut server) = pair().await;
    let data: Vec<u8> = (0..4_000_000u32).map(|i| (i % 251) as u8).collect();
    let expected = data.clone();
    let writer = ferrio::spawn(async move {
        client.write_all(&data).await.unwrap();
        client.close().await.unwrap();
        client
    });
    let mut got = Vec::new();
    server.read_to_end(&mut got).await.unwrap();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected);
    writer.await.unwrap();
}

#[ferrio::test]
async fn half_close_in_both_directions() {
    let (client, server) = pair().await;
    client.write_all(b"request").await.unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    // The server reads the request, then EOF, and can still answer.
    let mut buf = Vec::new();
    let mut chunk = [0; 16];
    loop {
        let n = server.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(buf, b"request");
    server.write_all(b"response").await.unwrap();
    server.shutdown(Shutdown::Write).unwrap();
    let mut answer = Vec::new();
    (&client).read_to_end(&mut answer).await.unwrap();
    assert_eq!(answer, b"response");
    // Shutting down twice is harmless.
    client.shutdown(Shutdown::Write).unwrap();
}

#[ferrio::test]
async fn peer_reset_mid_read_is_a_typed_error() {
    let (client, server) = pair().await;
    let reader = ferrio::spawn(async move {
        let mut buf = [0; 16];
        server.read(&mut buf).await
    });
    ferrio::yield_now().await.unwrap();
    reset(client);
    let err = reader.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
}

#[ferrio::test]
async fn peer_reset_mid_write_is_a_typed_error() {
    let (client, server) = pair().await;
    let writer = ferrio::spawn(async move {
        let chunk = vec![7u8; 64 * 1024];
        let mut sent = 0usize;
        loop {
            match server.write(&chunk).await {
                Ok(n) => sent += n,
                Err(e) => return (sent, e),
            }
        }
    });
    // Let the writer fill the socket buffers, then reset.
    for _ in 0..10 {
        ferrio::yield_now().await.unwrap();
    }
    reset(client);
    let (sent, err) = writer.await.unwrap();
    assert!(sent > 0);
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
        ),
        "{err:?}"
    );
}

#[ferrio::test]
async fn connect_refused() {
    let err = TcpStream::connect(dead_addr()).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    assert!(
        err.to_string().contains("cannot connect to 127.0.0.1"),
        "{err}"
    );
}

#[ferrio::test]
async fn connect_tries_every_address_in_order() {
    let listener = TcpListener::bind(LOCAL).await.unwrap();
    let good = listener.local_addr().unwrap();
    let (dead1, dead2) = (dead_addr(), dead_addr());
    let stream = TcpStream::connect(vec![dead1, good]).await.unwrap();
    assert_eq!(stream.peer_addr().unwrap(), good);
    let err = TcpStream::connect(vec![dead1, dead2]).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    let message = err.to_string();
    assert!(message.contains(&dead1.to_string()) && message.contains(&dead2.to_string()));
}

#[ferrio::test]
async fn connect_times_out_per_attempt_on_a_full_backlog() {
    // A listener that never accepts, with the shortest backlog: once its
    // queue is full the kernel drops further SYNs and connects hang.
    let listener = ListenOptions::new().backlog(0).bind(LOCAL).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = ConnectOptions::new().attempt_timeout(Some(Duration::from_secs(2)));
    let mut held = Vec::new();
    let mut timed_out = None;
    for _ in 0..16 {
        let t0 = ferrio::now();
        match options.connect(addr).await {
            Ok(stream) => held.push(stream),
            Err(e) => {
                timed_out = Some((e, ferrio::now() - t0));
                break;
            }
        }
    }
    let (err, waited) = timed_out.expect("a connect to a full backlog hangs");
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert_eq!(waited, Duration::from_secs(2));
    assert!(held.len() <= 8);
}

#[ferrio::test]
async fn a_cancelled_read_loses_no_bytes() {
    let (client, server) = pair().await;
    let server = std::rc::Rc::new(server);
    let s = server.clone();
    let reader = ferrio::spawn(async move {
        let mut buf = [0; 16];
        s.read(&mut buf).await
    });
    ferrio::yield_now().await.unwrap();
    reader.cancel();
    let err = reader.await.unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    client.write_all(b"kept").await.unwrap();
    let mut buf = [0; 16];
    let n = server.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"kept");
}

#[ferrio::test]
async fn cancellation_comes_as_an_io_error_and_ends_the_task_cancelled() {
    let listener = TcpListener::bind(LOCAL).await.unwrap();
    let acceptor = ferrio::spawn(async move {
        let err = listener.accept().await.unwrap_err();
        assert!(is_cancelled(&err));
        // Returning the error (which holds the Cancelled) ends the task
        // cancelled.
        Err::<(), io::Error>(err)
    });
    ferrio::yield_now().await.unwrap();
    acceptor.cancel();
    assert!(acceptor.await.unwrap_err().is_cancelled());
}

#[ferrio::test]
async fn ready_data_wins_over_a_pending_cancellation() {
    let (client, server) = pair().await;
    client.write_all(b"ready").await.unwrap();
    // Make sure the bytes have arrived before the cancellation.
    server.readable().await.unwrap();
    let me = ferrio::task::current().unwrap();
    me.cancel();
    let mut buf = [0; 8];
    let n = server.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"ready");
    // The request is delivered at the next wait that suspends.
    let err = server.read(&mut buf).await.unwrap_err();
    assert!(is_cancelled(&err));
}

#[ferrio::test]
async fn virtual_clock_waits_for_loopback_io_instead_of_jumping() {
    let (client, server) = pair().await;
    let t0 = ferrio::now();
    let writer = ferrio::spawn(async move {
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        client.write_all(b"late").await.unwrap();
        client
    });
    let mut buf = [0; 8];
    let n = ferrio::timeout(Duration::from_secs(10), server.read(&mut buf))
        .await
        .expect("the read completes before the timeout")
        .unwrap();
    assert_eq!(&buf[..n], b"late");
    assert_eq!(ferrio::now() - t0, Duration::from_secs(1));
    writer.await.unwrap();
}

#[ferrio::test]
async fn timeout_on_a_silent_peer_expires_on_the_virtual_clock() {
    let (_client, server) = pair().await;
    let t0 = ferrio::now();
    let mut buf = [0; 8];
    let out = ferrio::timeout(Duration::from_secs(30), server.read(&mut buf)).await;
    assert!(out.is_err(), "a silent peer sends nothing");
    assert_eq!(ferrio::now() - t0, Duration::from_secs(30));
}

#[ferrio::test]
async fn socket_options() {
    let listener = ListenOptions::new()
        .reuse_port(true)
        .reuse_address(true)
        .backlog(16)
        .bind(LOCAL)
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    // SO_REUSEPORT: a second listener on the same port.
    let second = ListenOptions::new()
        .reuse_port(true)
        .bind(addr)
        .await
        .unwrap();
    assert_eq!(second.local_addr().unwrap(), addr);
    let stream = ConnectOptions::new()
        .nodelay(true)
        .keepalive(Some(Duration::from_secs(60)))
        .connect(addr)
        .await
        .unwrap();
    assert!(stream.nodelay().unwrap());
    assert!(stream.keepalive().unwrap());
    stream.set_nodelay(false).unwrap();
    assert!(!stream.nodelay().unwrap());
    stream.set_keepalive(None).unwrap();
    assert!(!stream.keepalive().unwrap());
    // Without SO_REUSEPORT the port is taken.
    let err = ListenOptions::new()
        .reuse_port(false)
        .bind(addr)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
}

#[ferrio::test]
async fn host_names_are_resolved_off_the_loop() {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let addrs = ferrio::net::lookup_host(("localhost", port)).await.unwrap();
    assert!(addrs.iter().any(|a| a.ip().is_loopback()));
    let stream = ConnectOptions::new()
        .connect(
            addrs
                .iter()
                .copied()
                .filter(|a| a.is_ipv4())
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    assert_eq!(stream.peer_addr().unwrap().port(), port);
    let err = ferrio::net::lookup_host("no-such-host.invalid:80")
        .await
        .unwrap_err();
    assert_ne!(err.kind(), io::ErrorKind::Other, "{err:?}");
}

#[ferrio::test]
async fn owned_halves_move_to_different_tasks_and_reunite() {
    let (client, server) = pair().await;
    let (mut read, mut write) = server.into_split();
    let echo = ferrio::spawn(async move {
        let mut buf = [0; 64];
        let n = read.read(&mut buf).await.unwrap();
        (read, buf[..n].to_vec())
    });
    client.write_all(b"split").await.unwrap();
    let (read, got) = echo.await.unwrap();
    write.write_all(&got).await.unwrap();
    let mut buf = [0; 8];
    let n = client.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"split");
    let server = read.reunite(write).unwrap();
    assert!(server.peer_addr().is_ok());
}

#[test]
fn sockets_need_a_running_loop() {
    let err = TcpStream::from_std(std::net::TcpStream::connect(LOCAL).unwrap_or_else(|_| {
        let l = std::net::TcpListener::bind(LOCAL).unwrap();
        std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap()
    }))
    .unwrap_err();
    assert!(err.to_string().contains("no ferrio event loop"), "{err}");
}
