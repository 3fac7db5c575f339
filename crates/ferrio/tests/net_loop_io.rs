//! asyncio's loop-level I/O: `add_reader`/`add_writer` (level-triggered)
//! and the `sock_*` family on std sockets.
//!
//! Mirrors CPython's `test_asyncio/test_selector_events.py` /
//! `test_events.py` `test_add_reader`, `test_remove_reader`,
//! `test_add_writer`, `test_sock_client_ops`, `test_sock_accept`.

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;

use ferrio::future::Promise;
use ferrio::net::{add_reader, add_writer, remove_reader, remove_writer};

fn nonblocking_pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

// test_events.py: test_add_reader / test_remove_reader — and the level
// behaviour: the callback runs on every iteration while data remains.
#[ferrio::test]
async fn add_reader_is_level_triggered() {
    let (mut tx, rx) = nonblocking_pair();
    let calls = Rc::new(Cell::new(0u32));
    let got = Rc::new(RefCell::new(Vec::new()));
    let done = Promise::<(), ()>::new();
    let (c, g, d) = (calls.clone(), got.clone(), done.clone());
    let mut reader = rx.try_clone().unwrap();
    add_reader(&rx, move || {
        c.set(c.get() + 1);
        // Read one byte per call: the rest keeps the fd readable.
        let mut one = [0; 1];
        match reader.read(&mut one) {
            Ok(1) => {
                g.borrow_mut().push(one[0]);
                if g.borrow().len() == 3 {
                    let _ = d.set_result(());
                }
            }
            other => panic!("unexpected read {other:?}"),
        }
    })
    .unwrap();
    tx.write_all(b"abc").unwrap();
    done.wait().await.unwrap();
    assert_eq!(&*got.borrow(), b"abc");
    assert_eq!(calls.get(), 3, "one call per byte, no call once drained");
    assert!(remove_reader(&rx));
    assert!(!remove_reader(&rx), "a second remove finds nothing");
    // Removed: new data calls nothing.
    tx.write_all(b"d").unwrap();
    for _ in 0..5 {
        ferrio::yield_now().await.unwrap();
    }
    assert_eq!(calls.get(), 3);
}

#[ferrio::test]
async fn add_writer_runs_while_writable_and_shares_the_fd_with_a_reader() {
    let (a, mut b) = nonblocking_pair();
    let writes = Rc::new(Cell::new(0u32));
    let w = writes.clone();
    let mut out = a.try_clone().unwrap();
    let fd = a.as_raw_fd();
    add_writer(&a, move || {
        w.set(w.get() + 1);
        out.write_all(b"w").unwrap();
        if w.get() == 4 {
            assert!(remove_writer(&fd));
        }
    })
    .unwrap();
    // A reader on the same fd.
    let read = Promise::<(), ()>::new();
    let r = read.clone();
    add_reader(&a, move || {
        let _ = r.set_result(());
    })
    .unwrap();
    for _ in 0..10 {
        ferrio::yield_now().await.unwrap();
    }
    assert_eq!(writes.get(), 4);
    let mut buf = [0; 8];
    assert_eq!(b.read(&mut buf).unwrap(), 4);
    b.write_all(b"r").unwrap();
    read.wait().await.unwrap();
    assert!(remove_reader(&a));
    assert!(!remove_writer(&a));
}

#[ferrio::test]
async fn add_reader_twice_replaces_the_callback() {
    let (mut tx, rx) = nonblocking_pair();
    let log = Rc::new(RefCell::new(Vec::new()));
    let done = Promise::<(), ()>::new();
    let l = log.clone();
    add_reader(&rx, move || l.borrow_mut().push("first")).unwrap();
    let (l, d) = (log.clone(), done.clone());
    let mut reader = rx.try_clone().unwrap();
    add_reader(&rx, move || {
        let mut buf = [0; 8];
        let _ = reader.read(&mut buf);
        l.borrow_mut().push("second");
        let _ = d.set_result(());
    })
    .unwrap();
    tx.write_all(b"x").unwrap();
    done.wait().await.unwrap();
    assert!(remove_reader(&rx));
    assert_eq!(&*log.borrow(), &["second"]);
}

#[ferrio::test]
async fn sock_ops_on_std_sockets() {
    // test_sock_client_ops / test_sock_accept
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let client = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    client.set_nonblocking(true).unwrap();
    let accept = ferrio::spawn(async move {
        let (stream, _) = ferrio::net::sock_accept(&listener).await.unwrap();
        stream
    });
    ferrio::net::sock_connect(&client, addr).await.unwrap();
    let server = accept.await.unwrap();
    server.set_nonblocking(true).unwrap();
    let client: std::net::TcpStream = client.into();
    let data = vec![9u8; 1 << 20];
    let send = ferrio::spawn(async move {
        ferrio::net::sock_sendall(&client, &data).await.unwrap();
        client
    });
    let mut total = 0;
    let mut buf = vec![0; 65536];
    while total < 1 << 20 {
        let n = ferrio::net::sock_recv(&server, &mut buf).await.unwrap();
        assert!(buf[..n].iter().all(|&b| b == 9));
        total += n;
    }
    assert_eq!(total, 1 << 20);
    send.await.unwrap();
}

#[ferrio::test]
async fn sock_ops_refuse_blocking_sockets() {
    let (a, _b) = UnixStream::pair().unwrap();
    let mut buf = [0; 4];
    let err = ferrio::net::sock_recv(&a, &mut buf).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("non-blocking"));
}
