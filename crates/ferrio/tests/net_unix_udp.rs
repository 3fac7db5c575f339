//! Unix-domain streams and datagrams, and UDP on 127.0.0.1.

use std::io;
use std::net::Shutdown;
use std::path::PathBuf;

use ferrio::net::{UdpSocket, UnixDatagram, UnixListener, UnixStream};
use futures_lite::AsyncReadExt;

/// A fresh directory for socket files, removed by the guard.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("ferrio-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[ferrio::test]
async fn unix_listener_accepts_and_streams_echo() {
    let dir = TempDir::new("unix-echo");
    let path = dir.0.join("s.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let p = path.clone();
    let client = ferrio::spawn(async move {
        let stream = UnixStream::connect(&p).await.unwrap();
        stream.write_all(b"over unix").await.unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        (&stream).read_to_end(&mut back).await.unwrap();
        back
    });
    let (server, _) = listener.accept().await.unwrap();
    let mut got = Vec::new();
    (&server).read_to_end(&mut got).await.unwrap();
    server.write_all(&got).await.unwrap();
    drop(server);
    assert_eq!(client.await.unwrap(), b"over unix");
    // Binding an existing path fails.
    assert_eq!(
        UnixListener::bind(&path).unwrap_err().kind(),
        io::ErrorKind::AddrInUse
    );
}

#[ferrio::test]
async fn unix_connect_to_nothing_fails() {
    let dir = TempDir::new("unix-none");
    let err = UnixStream::connect(dir.0.join("absent.sock"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[ferrio::test]
async fn unix_pair_and_datagrams_keep_boundaries() {
    let (a, b) = UnixStream::pair().unwrap();
    a.write_all(b"x").await.unwrap();
    let mut one = [0; 1];
    b.read(&mut one).await.unwrap();
    assert_eq!(&one, b"x");

    let (a, b) = UnixDatagram::pair().unwrap();
    a.send(b"first").await.unwrap();
    a.send(b"second").await.unwrap();
    let mut buf = [0; 32];
    let n = b.recv(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"first");
    let n = b.recv(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"second");

    let dir = TempDir::new("unix-dgram");
    let path = dir.0.join("d.sock");
    let bound = UnixDatagram::bind(&path).unwrap();
    let sender = UnixDatagram::unbound().unwrap();
    sender.send_to(b"to a path", &path).await.unwrap();
    let (n, _) = bound.recv_from(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"to a path");
}

#[ferrio::test]
async fn udp_send_to_recv_from_and_connected() {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let recv = ferrio::spawn(async move {
        let mut buf = [0; 64];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        (b, buf[..n].to_vec(), from)
    });
    ferrio::yield_now().await.unwrap();
    a.send_to(b"datagram", b_addr).await.unwrap();
    let (b, got, from) = recv.await.unwrap();
    assert_eq!((got.as_slice(), from), (&b"datagram"[..], a_addr));

    a.connect(b_addr).await.unwrap();
    b.connect(a_addr).await.unwrap();
    assert_eq!(a.peer_addr().unwrap(), b_addr);
    a.send(b"ping").await.unwrap();
    let mut buf = [0; 8];
    let n = b.recv(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"ping");
}

#[ferrio::test]
async fn a_cancelled_recv_takes_no_datagram() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let b = std::rc::Rc::new(b);
    let b2 = b.clone();
    let waiter = ferrio::spawn(async move {
        let mut buf = [0; 8];
        b2.recv(&mut buf).await
    });
    ferrio::yield_now().await.unwrap();
    waiter.cancel();
    assert!(waiter.await.unwrap_err().is_cancelled());
    a.send(b"kept").await.unwrap();
    let mut buf = [0; 8];
    let n = b.recv(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"kept");
}

#[ferrio::test]
async fn connected_datagram_sockets_speak_futures_io_one_datagram_per_call() {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let (mut a, mut b) = UnixDatagram::pair().unwrap();
    a.write_all(b"one").await.unwrap();
    a.write_all(b"two").await.unwrap();
    let mut buf = [0; 16];
    let n = b.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"one");
    let n = b.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"two");

    let mut x = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut y = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    x.connect(y.local_addr().unwrap()).await.unwrap();
    y.connect(x.local_addr().unwrap()).await.unwrap();
    x.write_all(b"datagram").await.unwrap();
    let n = y.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"datagram");
}

#[ferrio::test]
async fn unix_try_read_and_try_write_never_wait() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut buf = [0u8; 8];
    // Nothing sent yet: WouldBlock, and nothing consumed.
    assert_eq!(
        b.try_read(&mut buf).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    assert_eq!(a.try_write(b"ping").unwrap(), 4);
    b.readable().await.unwrap();
    assert_eq!(b.try_read(&mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"ping");
}
