//! `start_server`, `open_connection` and the writer over real sockets:
//! ports of CPython's `test_streams.py` server and writer cases, plus the
//! faults of issue 11 (slow reader, server closed under its clients, peer
//! reset, limits over TCP).

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;
use std::time::Duration;

use ferrio::stream::{
    self, ReadError, Server, ServerOptions, StreamReader, StreamWriter, WriteError,
};

async fn echo_server() -> Server {
    stream::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            loop {
                match reader.readline().await {
                    Ok(line) if line.is_empty() => break,
                    Ok(line) => {
                        writer.write(&line).unwrap();
                        if writer.drain().await.is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
            writer.close();
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap()
}

// test_start_server
#[ferrio::test]
async fn start_server_echoes_lines() {
    let server = echo_server().await;
    assert!(server.is_serving());
    let addr = server.sockets()[0];
    assert!(addr.ip().is_loopback());
    let (mut reader, writer) = stream::open_connection(addr).await.unwrap();
    writer.write(b"hello world!\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), b"hello world!\n");
    writer.write_eof();
    assert_eq!(reader.read_to_end().await.unwrap(), b"");
    server.close();
    assert!(!server.is_serving());
    server.wait_closed().await.unwrap();
    assert_eq!(server.accepted(), 1);
}

// test_start_unix_server
#[ferrio::test]
async fn start_unix_server_echoes_lines() {
    let dir = std::env::temp_dir().join(format!("ferrio-stream-unix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("echo.sock");
    let server = stream::start_unix_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let line = reader.readline().await.unwrap();
            writer.write(&line).unwrap();
            writer.drain().await.unwrap();
        },
        &path,
    )
    .unwrap();
    assert_eq!(server.unix_sockets(), std::slice::from_ref(&path));
    let (mut reader, writer) = stream::open_unix_connection(&path).await.unwrap();
    writer.write(b"over unix\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), b"over unix\n");
    server.close();
    server.wait_closed().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

// test_open_connection_error / test_open_unix_connection_error
#[ferrio::test]
async fn open_connection_errors() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = stream::open_connection(dead).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    let err = stream::open_unix_connection("/nonexistent/ferrio.sock")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

// test_wait_closed_on_close, test_eof_feed_when_closing_writer
#[ferrio::test]
async fn close_then_wait_closed_and_reader_at_eof() {
    let server = echo_server().await;
    let (mut reader, writer) = stream::open_connection(server.sockets()[0]).await.unwrap();
    writer.write(b"one\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), b"one\n");
    assert!(!writer.is_closing());
    writer.close();
    assert!(writer.is_closing());
    writer.wait_closed().await.unwrap();
    assert!(reader.at_eof());
    assert_eq!(reader.read_to_end().await.unwrap(), b"");
    server.close();
    server.wait_closed().await.unwrap();
}

// test_async_writer_api_exception_after_close
#[ferrio::test]
async fn writing_after_close_is_an_error() {
    let server = echo_server().await;
    let (_reader, writer) = stream::open_connection(server.sockets()[0]).await.unwrap();
    writer.close();
    assert!(matches!(writer.write(b"data"), Err(WriteError::Closed)));
    writer.wait_closed().await.unwrap();
    assert!(matches!(writer.write(b"data"), Err(WriteError::Closed)));
    // write_eof, then write: also closed.
    let (_reader, writer) = stream::open_connection(server.sockets()[0]).await.unwrap();
    writer.write_eof();
    assert!(matches!(writer.write(b"x"), Err(WriteError::Closed)));
    server.close();
    server.wait_closed().await.unwrap();
}

// test_drain_raises: drain against a peer that closed gives an error, not
// an endless loop.
#[ferrio::test]
async fn drain_against_a_closed_peer_fails() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (_reader, writer) = stream::open_connection(addr).await.unwrap();
    let (peer, _) = listener.accept().unwrap();
    drop(peer);
    let mut attempts = 0;
    let err = loop {
        attempts += 1;
        assert!(attempts < 100_000, "drain never failed");
        if let Err(e) = writer.write(b"foo\n") {
            break e;
        }
        if let Err(e) = writer.drain().await {
            break e;
        }
        ferrio::yield_now().await.unwrap();
    };
    let WriteError::Failed(e) = err else {
        panic!("{err:?}")
    };
    assert!(matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
    ));
}

#[ferrio::test]
async fn slow_reader_makes_drain_wait_and_bounds_the_buffer() {
    const CHUNK: usize = 16 * 1024;
    const TOTAL: usize = 8 * 1024 * 1024;
    let (high, low) = (32 * 1024, 8 * 1024);
    let stats = Rc::new(RefCell::new((0usize, 0usize))); // (drains that waited, max buffer after drain)
    let s = stats.clone();
    let server = stream::start_server(
        move |_reader: StreamReader, writer: StreamWriter| {
            let s = s.clone();
            async move {
                writer.set_write_buffer_limits(high, Some(low));
                let chunk: Vec<u8> = (0..CHUNK).map(|i| (i % 256) as u8).collect();
                for _ in 0..TOTAL / CHUNK {
                    writer.write(&chunk).unwrap();
                    let waits = writer.write_buffer_size() > high;
                    writer.drain().await.unwrap();
                    let mut st = s.borrow_mut();
                    if waits {
                        st.0 += 1;
                    }
                    st.1 = st.1.max(writer.write_buffer_size());
                }
                writer.close();
                writer.wait_closed().await.unwrap();
            }
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let (mut reader, _writer) = stream::open_connection(server.sockets()[0]).await.unwrap();
    let mut total = 0;
    let mut buf = vec![0; 4096];
    loop {
        // A slow reader: small reads, yielding between them.
        let n = reader.read_into(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        for (i, b) in buf[..n].iter().enumerate() {
            assert_eq!(*b as usize, (total + i) % CHUNK % 256);
        }
        total += n;
        ferrio::yield_now().await.unwrap();
    }
    assert_eq!(total, TOTAL);
    let (waited, max_after_drain) = *stats.borrow();
    assert!(waited > 0, "drain never had to wait");
    assert!(max_after_drain <= high, "{max_after_drain} > {high}");
    server.close();
    server.wait_closed().await.unwrap();
}

#[ferrio::test]
async fn closing_the_server_cancels_handlers_and_runs_their_cleanup() {
    let cleaned = Rc::new(Cell::new(0));
    let started = Rc::new(Cell::new(0));
    let (c, st) = (cleaned.clone(), started.clone());
    let server = stream::start_server(
        move |mut reader: StreamReader, writer: StreamWriter| {
            let (c, st) = (c.clone(), st.clone());
            async move {
                st.set(st.get() + 1);
                let err = reader.readline().await.unwrap_err();
                assert!(err.is_cancelled());
                // Async cleanup: say goodbye, flush, close.
                ferrio::sleep(Duration::from_millis(10)).await.unwrap();
                writer.write(b"bye\n").unwrap();
                writer.close();
                writer.wait_closed().await.unwrap();
                c.set(c.get() + 1);
                Err::<(), ReadError>(err)
            }
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let addr = server.sockets()[0];
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(stream::open_connection(addr).await.unwrap());
    }
    // (A handler cancelled before it starts never runs, as in asyncio.)
    while started.get() < 5 {
        ferrio::yield_now().await.unwrap();
    }
    assert_eq!(server.connections(), 5);
    server.close();
    server.wait_closed().await.unwrap();
    assert_eq!(cleaned.get(), 5);
    assert_eq!(server.connections(), 0);
    for (mut reader, _) in clients {
        assert_eq!(reader.read_to_end().await.unwrap(), b"bye\n");
    }
    // The listener is closed: new connections are refused.
    let err = stream::open_connection(addr).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
}

#[ferrio::test]
async fn serve_forever_ends_when_cancelled_and_closes() {
    let server = Rc::new(echo_server().await);
    let s = server.clone();
    let serving = ferrio::spawn(async move { s.serve_forever().await.map_err(|_| "cancelled") });
    ferrio::yield_now().await.unwrap();
    assert!(serving.cancel());
    assert_eq!(serving.await.unwrap(), Err("cancelled"));
    assert!(!server.is_serving());
}

#[ferrio::test]
async fn a_reset_fails_the_reader_for_every_later_read() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (mut reader, _writer) = stream::open_connection(addr).await.unwrap();
    let (peer, _) = listener.accept().unwrap();
    use std::io::Write;
    (&peer).write_all(b"partial").unwrap();
    socket2::SockRef::from(&peer)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(peer);
    let err = reader.readexactly(100).await.unwrap_err();
    let ReadError::Failed(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(
        reader.exception().unwrap().kind(),
        io::ErrorKind::ConnectionReset
    );
    assert!(matches!(reader.readline().await, Err(ReadError::Failed(_))));
    assert!(matches!(reader.read(1).await, Err(ReadError::Failed(_))));
}

#[ferrio::test]
async fn readline_past_the_limit_over_tcp_keeps_memory_bounded() {
    let server = ServerOptions::new()
        .start(
            |_reader: StreamReader, writer: StreamWriter| async move {
                // 4 MiB without a newline, then a short line.
                let junk = vec![b'x'; 64 * 1024];
                for _ in 0..64 {
                    writer.write(&junk).unwrap();
                    if writer.drain().await.is_err() {
                        return;
                    }
                }
                writer.write(b"\nshort\n").unwrap();
                let _ = writer.drain().await;
                writer.close();
                let _ = writer.wait_closed().await;
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
    let (mut reader, _w) =
        stream::open_connection_with(server.sockets()[0], &Default::default(), 1024)
            .await
            .unwrap();
    let err = reader.readline().await.unwrap_err();
    let ReadError::LimitOverrun(e) = err else {
        panic!("{err:?}")
    };
    assert!(e.consumed > 1024);
    assert!(
        reader.buffer_capacity() <= 1024 + 256 * 1024,
        "{}",
        reader.buffer_capacity()
    );
    // Skip the rest of the long line with read(), then read the next one.
    let mut skipped = e.consumed;
    loop {
        match reader.readline().await {
            Ok(line) => {
                assert_eq!(line, b"short\n");
                break;
            }
            Err(ReadError::LimitOverrun(e)) => skipped += e.consumed,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(skipped >= 64 * 1024 * 60);
    server.close();
    server.wait_closed().await.unwrap();
}

#[ferrio::test]
async fn readexactly_at_eof_over_tcp() {
    let server = stream::start_server(
        |_r: StreamReader, writer: StreamWriter| async move {
            writer.write(b"12345").unwrap();
            writer.close();
            writer.wait_closed().await.unwrap();
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let (mut reader, _w) = stream::open_connection(server.sockets()[0]).await.unwrap();
    let err = reader.readexactly(10).await.unwrap_err();
    let ReadError::IncompleteRead(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (e.partial.as_slice(), e.expected),
        (&b"12345"[..], Some(10))
    );
    server.close();
    server.wait_closed().await.unwrap();
}

// A server closed before its accept task ever ran, and a writer whose
// flusher is cancelled before it runs, still finish what they started.
#[ferrio::test]
async fn cancelled_before_running_server_and_flusher_do_not_hang() {
    let server = echo_server().await;
    server.close();
    server.wait_closed().await.unwrap();

    // A server that reads and discards everything.
    let server = stream::start_server(
        |mut reader: StreamReader, _writer: StreamWriter| async move {
            let mut buf = vec![0; 65536];
            while let Ok(n) = reader.read_into(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let (_reader, writer) = stream::open_connection(server.sockets()[0]).await.unwrap();
    writer.set_write_buffer_limits(0, Some(0));
    writer.write(&vec![1u8; 8 << 20]).unwrap();
    assert!(writer.write_buffer_size() > 0);
    // The flusher task exists now: cancel it before it ever runs.
    let flushers: Vec<_> = ferrio::task::all()
        .into_iter()
        .filter(|t| &*t.name() == "ferrio.stream.flush")
        .collect();
    assert_eq!(flushers.len(), 1);
    flushers[0].cancel();
    // The bytes still go out.
    writer.drain().await.unwrap();
    assert_eq!(writer.write_buffer_size(), 0);
    writer.close();
    writer.wait_closed().await.unwrap();
    server.close();
    server.wait_closed().await.unwrap();
}

// `write` is no await: it never consumes a pending cancellation, which
// stays for the next await that suspends.
#[ferrio::test]
async fn write_leaves_a_pending_cancellation_for_the_next_await() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (_reader, writer) = stream::open_connection(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (_peer, _) = listener.accept().unwrap();
    ferrio::task::current().unwrap().cancel();
    // Far more than the socket takes: the fast path meets WouldBlock.
    writer.write(&vec![0u8; 16 << 20]).unwrap();
    let err = writer.drain().await.unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
}
