//! StreamReader conformance, ported case by case from CPython 3.13's
//! `Lib/test/test_asyncio/test_streams.py` (`StreamTests`). Each test names
//! the CPython test it mirrors. `stream._buffer` is `reader.buffered()`;
//! `loop.call_soon(feed)` is feeding from the main task while the read
//! runs in a spawned task.

use std::io;

use ferrio::stream::{IncompleteRead, ReadError, StreamReader};

const DATA: &[u8] = b"line1\nline2\nline3\n";

fn fed(limit: Option<usize>) -> StreamReader {
    match limit {
        Some(l) => StreamReader::with_limit(l).unwrap(),
        None => StreamReader::new(),
    }
}

/// Runs `read` on `reader` in a task, lets it start waiting, then runs
/// `feed`; returns the read's result and the reader.
async fn read_while_feeding<T: 'static>(
    mut reader: StreamReader,
    read: impl for<'a> FnOnce(
            &'a mut StreamReader,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>
        + 'static,
    feed: impl FnOnce(&ferrio::stream::StreamFeeder),
) -> (T, StreamReader) {
    let feeder = reader.feeder();
    let task = ferrio::spawn(async move {
        let out = read(&mut reader).await;
        (out, reader)
    });
    ferrio::yield_now().await.unwrap();
    ferrio::yield_now().await.unwrap();
    feed(&feeder);
    task.await.unwrap()
}

// test_feed_empty_data / test_feed_nonempty_data
#[ferrio::test]
async fn feed_data() {
    let r = fed(None);
    r.feeder().feed_data(b"").unwrap();
    assert_eq!(r.buffered(), b"");
    r.feeder().feed_data(DATA).unwrap();
    assert_eq!(r.buffered(), DATA);
}

// test_read_zero
#[ferrio::test]
async fn read_zero() {
    let mut r = fed(None);
    r.feeder().feed_data(DATA).unwrap();
    assert_eq!(r.read(0).await.unwrap(), b"");
    assert_eq!(r.buffered(), DATA);
}

// test_read
#[ferrio::test]
async fn read_waits_for_data() {
    let (data, r) = read_while_feeding(
        fed(None),
        |r| Box::pin(r.read(30)),
        |f| f.feed_data(DATA).unwrap(),
    )
    .await;
    assert_eq!(data.unwrap(), DATA);
    assert_eq!(r.buffered(), b"");
}

// test_read_line_breaks
#[ferrio::test]
async fn read_without_line_breaks() {
    let mut r = fed(None);
    r.feeder().feed_data(b"line1").unwrap();
    r.feeder().feed_data(b"line2").unwrap();
    assert_eq!(r.read(5).await.unwrap(), b"line1");
    assert_eq!(r.buffered(), b"line2");
}

// test_read_eof
#[ferrio::test]
async fn read_stops_at_eof() {
    let (data, r) =
        read_while_feeding(fed(None), |r| Box::pin(r.read(1024)), |f| f.feed_eof()).await;
    assert_eq!(data.unwrap(), b"");
    assert_eq!(r.buffered(), b"");
}

// test_read_until_eof
#[ferrio::test]
async fn read_to_end() {
    let (data, r) = read_while_feeding(
        fed(None),
        |r| Box::pin(r.read_to_end()),
        |f| {
            f.feed_data(b"chunk1\n").unwrap();
            f.feed_data(b"chunk2").unwrap();
            f.feed_eof();
        },
    )
    .await;
    assert_eq!(data.unwrap(), b"chunk1\nchunk2");
    assert_eq!(r.buffered(), b"");
}

// test_read_exception
#[ferrio::test]
async fn read_exception() {
    let mut r = fed(None);
    r.feeder().feed_data(b"line\n").unwrap();
    assert_eq!(r.read(2).await.unwrap(), b"li");
    r.set_exception(io::Error::new(io::ErrorKind::InvalidData, "bad"));
    let err = r.read(2).await.unwrap_err();
    assert!(matches!(&err, ReadError::Failed(e) if e.kind() == io::ErrorKind::InvalidData));
}

// test_invalid_limit
#[test]
fn invalid_limit() {
    let err = StreamReader::with_limit(0).unwrap_err();
    assert!(err.to_string().contains("limit"));
}

// test_read_limit
#[ferrio::test]
async fn read_is_not_bound_by_the_limit() {
    let mut r = fed(Some(3));
    r.feeder().feed_data(b"chunk").unwrap();
    assert_eq!(r.read(5).await.unwrap(), b"chunk");
    assert_eq!(r.buffered(), b"");
}

// test_readline
#[ferrio::test]
async fn readline_waits_for_the_newline() {
    let r = fed(None);
    r.feeder().feed_data(b"chunk1 ").unwrap();
    let (line, r) = read_while_feeding(
        r,
        |r| Box::pin(r.readline()),
        |f| {
            f.feed_data(b"chunk2 ").unwrap();
            f.feed_data(b"chunk3 ").unwrap();
            f.feed_data(b"\n chunk4").unwrap();
        },
    )
    .await;
    assert_eq!(line.unwrap(), b"chunk1 chunk2 chunk3 \n");
    assert_eq!(r.buffered(), b" chunk4");
}

// test_readline_limit_with_existing_data
#[ferrio::test]
async fn readline_limit_with_existing_data() {
    let mut r = fed(Some(3));
    r.feeder().feed_data(b"li").unwrap();
    r.feeder().feed_data(b"ne1\nline2\n").unwrap();
    assert!(matches!(
        r.readline().await,
        Err(ReadError::LimitOverrun(_))
    ));
    // The remaining data after the error.
    assert_eq!(r.buffered(), b"line2\n");

    let mut r = fed(Some(3));
    r.feeder().feed_data(b"li").unwrap();
    r.feeder().feed_data(b"ne1").unwrap();
    r.feeder().feed_data(b"li").unwrap();
    assert!(matches!(
        r.readline().await,
        Err(ReadError::LimitOverrun(_))
    ));
    // No newline: the whole buffer was consumed.
    assert_eq!(r.buffered(), b"");
}

// test_at_eof
#[ferrio::test]
async fn at_eof() {
    let mut r = fed(None);
    assert!(!r.at_eof());
    r.feeder().feed_data(b"some data\n").unwrap();
    assert!(!r.at_eof());
    r.readline().await.unwrap();
    assert!(!r.at_eof());
    r.feeder().feed_data(b"some data\n").unwrap();
    r.feeder().feed_eof();
    r.readline().await.unwrap();
    assert!(r.at_eof());
}

// test_readline_limit
#[ferrio::test]
async fn readline_limit() {
    let (out, r) = read_while_feeding(
        fed(Some(7)),
        |r| Box::pin(r.readline()),
        |f| {
            f.feed_data(b"chunk1").unwrap();
            f.feed_data(b"chunk2").unwrap();
            f.feed_data(b"chunk3\n").unwrap();
            f.feed_eof();
        },
    )
    .await;
    assert!(matches!(out, Err(ReadError::LimitOverrun(_))));
    assert_eq!(r.buffered(), b"");

    let (out, r) = read_while_feeding(
        fed(Some(7)),
        |r| Box::pin(r.readline()),
        |f| {
            f.feed_data(b"chunk1").unwrap();
            f.feed_data(b"chunk2\n").unwrap();
            f.feed_data(b"chunk3\n").unwrap();
            f.feed_eof();
        },
    )
    .await;
    assert!(matches!(out, Err(ReadError::LimitOverrun(_))));
    assert_eq!(r.buffered(), b"chunk3\n");

    // The limit is strict.
    let mut r = fed(Some(7));
    r.feeder().feed_data(b"1234567\n").unwrap();
    assert_eq!(r.readline().await.unwrap(), b"1234567\n");
    assert_eq!(r.buffered(), b"");
    r.feeder().feed_data(b"12345678\n").unwrap();
    assert!(matches!(
        r.readline().await,
        Err(ReadError::LimitOverrun(_))
    ));
    assert_eq!(r.buffered(), b"");
    r.feeder().feed_data(b"12345678").unwrap();
    assert!(matches!(
        r.readline().await,
        Err(ReadError::LimitOverrun(_))
    ));
    assert_eq!(r.buffered(), b"");
}

// test_readline_nolimit_nowait
#[ferrio::test]
async fn readline_with_the_data_already_there() {
    let mut r = fed(None);
    r.feeder().feed_data(&DATA[..6]).unwrap();
    r.feeder().feed_data(&DATA[6..]).unwrap();
    assert_eq!(r.readline().await.unwrap(), b"line1\n");
    assert_eq!(r.buffered(), b"line2\nline3\n");
}

// test_readline_eof / test_readline_empty_eof
#[ferrio::test]
async fn readline_at_eof() {
    let mut r = fed(None);
    r.feeder().feed_data(b"some data").unwrap();
    r.feeder().feed_eof();
    assert_eq!(r.readline().await.unwrap(), b"some data");
    let mut r = fed(None);
    r.feeder().feed_eof();
    assert_eq!(r.readline().await.unwrap(), b"");
}

// test_readline_read_byte_count
#[ferrio::test]
async fn readline_then_read() {
    let mut r = fed(None);
    r.feeder().feed_data(DATA).unwrap();
    r.readline().await.unwrap();
    assert_eq!(r.read(7).await.unwrap(), b"line2\nl");
    assert_eq!(r.buffered(), b"ine3\n");
}

// test_readline_exception
#[ferrio::test]
async fn readline_exception() {
    let mut r = fed(None);
    r.feeder().feed_data(b"line\n").unwrap();
    assert_eq!(r.readline().await.unwrap(), b"line\n");
    r.set_exception(io::Error::other("boom"));
    assert!(matches!(r.readline().await, Err(ReadError::Failed(_))));
    assert_eq!(r.buffered(), b"");
}

// test_readuntil_separator
#[ferrio::test]
async fn readuntil_rejects_empty_separators() {
    let mut r = fed(None);
    assert!(matches!(
        r.readuntil(b"").await,
        Err(ReadError::InvalidSeparator)
    ));
    assert!(matches!(
        r.readuntil_any(&[b""]).await,
        Err(ReadError::InvalidSeparator)
    ));
    let none: [&[u8]; 0] = [];
    assert!(matches!(
        r.readuntil_any(&none).await,
        Err(ReadError::InvalidSeparator)
    ));
}

// test_readuntil_multi_chunks
#[ferrio::test]
async fn readuntil_multi_chunks() {
    let mut r = fed(None);
    r.feeder().feed_data(b"lineAAA").unwrap();
    assert_eq!(r.readuntil(b"AAA").await.unwrap(), b"lineAAA");
    assert_eq!(r.buffered(), b"");
    r.feeder().feed_data(b"lineAAA").unwrap();
    assert_eq!(r.readuntil(b"AAA").await.unwrap(), b"lineAAA");
    assert_eq!(r.buffered(), b"");
    r.feeder().feed_data(b"lineAAAxxx").unwrap();
    assert_eq!(r.readuntil(b"AAA").await.unwrap(), b"lineAAA");
    assert_eq!(r.buffered(), b"xxx");
}

// test_readuntil_multi_chunks_1: separators straddling feeds.
#[ferrio::test]
async fn readuntil_separator_straddles_chunks() {
    let mut r = fed(None);
    let f = r.feeder();
    for chunks in [
        &[&b"QWEaa"[..], b"XYaa", b"a"][..],
        &[b"QWEaa", b"XYa", b"aa"],
    ] {
        for c in chunks {
            f.feed_data(c).unwrap();
        }
        assert_eq!(r.readuntil(b"aaa").await.unwrap(), b"QWEaaXYaaa");
        assert_eq!(r.buffered(), b"");
    }
    f.feed_data(b"aaa").unwrap();
    assert_eq!(r.readuntil(b"aaa").await.unwrap(), b"aaa");
    f.feed_data(b"Xaaa").unwrap();
    assert_eq!(r.readuntil(b"aaa").await.unwrap(), b"Xaaa");
    for c in [&b"XXX"[..], b"a", b"a", b"a"] {
        f.feed_data(c).unwrap();
    }
    assert_eq!(r.readuntil(b"aaa").await.unwrap(), b"XXXaaa");
    assert_eq!(r.buffered(), b"");
}

// test_readuntil_eof
#[ferrio::test]
async fn readuntil_eof_gives_the_partial_bytes() {
    let mut r = fed(None);
    r.feeder().feed_data(b"some dataAA").unwrap();
    r.feeder().feed_eof();
    let err = r.readuntil(b"AAA").await.unwrap_err();
    let ReadError::IncompleteRead(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        e,
        IncompleteRead {
            partial: b"some dataAA".to_vec(),
            expected: None
        }
    );
    assert!(e.to_string().contains("undefined expected bytes"));
    assert_eq!(r.buffered(), b"");
}

// test_readuntil_limit_found_sep
#[ferrio::test]
async fn readuntil_limit_keeps_the_data() {
    let mut r = fed(Some(3));
    r.feeder().feed_data(b"some dataAA").unwrap();
    let err = r.readuntil(b"AAA").await.unwrap_err();
    let ReadError::LimitOverrun(e) = err else {
        panic!("{err:?}")
    };
    assert!(!e.separator_found);
    assert!(e.to_string().contains("not found"));
    assert_eq!(r.buffered(), b"some dataAA");
    r.feeder().feed_data(b"A").unwrap();
    let ReadError::LimitOverrun(e) = r.readuntil(b"AAA").await.unwrap_err() else {
        panic!()
    };
    assert!(e.separator_found);
    assert_eq!(e.consumed, 9);
    assert!(e.to_string().contains("is found"));
    assert_eq!(r.buffered(), b"some dataAAA");
}

// test_readuntil_multi_separator
#[ferrio::test]
async fn readuntil_several_separators() {
    let mut r = fed(None);
    r.feeder().feed_data(b"line 1\nline 2\r").unwrap();
    assert_eq!(r.readuntil_any(&[b"\r", b"\n"]).await.unwrap(), b"line 1\n");
    assert_eq!(r.readuntil_any(&[b"\r", b"\n"]).await.unwrap(), b"line 2\r");
    assert_eq!(r.buffered(), b"");
    // The first end position matches, even if that is a longer match.
    r.feeder().feed_data(b"ABCDEFG").unwrap();
    assert_eq!(
        r.readuntil_any(&[&b"DEF"[..], b"BCDE"]).await.unwrap(),
        b"ABCDE"
    );
    assert_eq!(r.buffered(), b"FG");
}

// test_readuntil_multi_separator_limit
#[ferrio::test]
async fn readuntil_several_separators_limit() {
    let mut r = fed(Some(3));
    r.feeder().feed_data(b"some dataA").unwrap();
    let ReadError::LimitOverrun(e) = r
        .readuntil_any(&[&b"A"[..], b"ome dataA"])
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert!(e.separator_found);
    assert_eq!(r.buffered(), b"some dataA");
}

// test_readuntil_multi_separator_negative_offset
#[ferrio::test]
async fn readuntil_offset_never_goes_negative() {
    let r = fed(None);
    r.feeder().feed_data(b"data").unwrap();
    let (out, r) = read_while_feeding(
        r,
        |r| {
            const SEPS: [&[u8]; 2] = [b"A", b"long sep"];
            Box::pin(r.readuntil_any(&SEPS))
        },
        |f| {
            f.feed_data(b"Z").unwrap();
            f.feed_data(b"Aaaa").unwrap();
        },
    )
    .await;
    assert_eq!(out.unwrap(), b"dataZA");
    assert_eq!(r.buffered(), b"aaa");
}

// test_readuntil_bytearray
#[ferrio::test]
async fn readuntil_accepts_any_byte_container() {
    let mut r = fed(None);
    r.feeder().feed_data(b"some data\r\n").unwrap();
    assert_eq!(
        r.readuntil(vec![b'\r', b'\n']).await.unwrap(),
        b"some data\r\n"
    );
    assert_eq!(r.buffered(), b"");
}

// test_readexactly_zero_or_less
#[ferrio::test]
async fn readexactly_zero() {
    let mut r = fed(None);
    r.feeder().feed_data(DATA).unwrap();
    assert_eq!(r.readexactly(0).await.unwrap(), b"");
    assert_eq!(r.buffered(), DATA);
}

// test_readexactly
#[ferrio::test]
async fn readexactly_waits_for_all() {
    let n = 2 * DATA.len();
    let (out, r) = read_while_feeding(
        fed(None),
        move |r| Box::pin(r.readexactly(n)),
        |f| {
            f.feed_data(DATA).unwrap();
            f.feed_data(DATA).unwrap();
            f.feed_data(DATA).unwrap();
        },
    )
    .await;
    assert_eq!(out.unwrap(), [DATA, DATA].concat());
    assert_eq!(r.buffered(), DATA);
}

// test_readexactly_limit
#[ferrio::test]
async fn readexactly_is_not_bound_by_the_limit() {
    let mut r = fed(Some(3));
    r.feeder().feed_data(b"chunk").unwrap();
    assert_eq!(r.readexactly(5).await.unwrap(), b"chunk");
    assert_eq!(r.buffered(), b"");
}

// test_readexactly_eof
#[ferrio::test]
async fn readexactly_at_eof_gives_incomplete_read() {
    let n = 2 * DATA.len();
    let (out, r) = read_while_feeding(
        fed(None),
        move |r| Box::pin(r.readexactly(n)),
        |f| {
            f.feed_data(DATA).unwrap();
            f.feed_eof();
        },
    )
    .await;
    let ReadError::IncompleteRead(e) = out.unwrap_err() else {
        panic!()
    };
    assert_eq!(e.partial, DATA);
    assert_eq!(e.expected, Some(n));
    assert_eq!(
        e.to_string(),
        "18 bytes read on a total of 36 expected bytes"
    );
    assert_eq!(r.buffered(), b"");
}

// test_readexactly_exception
#[ferrio::test]
async fn readexactly_exception() {
    let mut r = fed(None);
    r.feeder().feed_data(b"line\n").unwrap();
    assert_eq!(r.readexactly(2).await.unwrap(), b"li");
    r.set_exception(io::Error::other("boom"));
    assert!(matches!(r.readexactly(2).await, Err(ReadError::Failed(_))));
}

// test_exception
#[ferrio::test]
async fn exception_is_kept() {
    let r = fed(None);
    assert!(r.exception().is_none());
    r.set_exception(io::Error::new(io::ErrorKind::InvalidData, "x"));
    assert_eq!(r.exception().unwrap().kind(), io::ErrorKind::InvalidData);
}

// test_exception_waiter: set_exception fails the pending read.
#[ferrio::test]
async fn exception_fails_the_waiting_read() {
    let (out, _r) = read_while_feeding(
        fed(None),
        |r| Box::pin(r.readline()),
        |f| f.set_exception(io::Error::other("boom")),
    )
    .await;
    assert!(matches!(out, Err(ReadError::Failed(_))));
}

// test_exception_cancel: a cancelled waiter, then set_exception.
#[ferrio::test]
async fn exception_after_a_cancelled_read() {
    let mut reader = fed(None);
    let feeder = reader.feeder();
    let task = ferrio::spawn(async move {
        // Swallow the cancellation (keep only whether it came), so the task
        // hands the reader back.
        let out = reader.readline().await.map_err(|e| e.is_cancelled());
        (out, reader)
    });
    ferrio::yield_now().await.unwrap();
    task.cancel();
    let (out, mut reader) = task.await.unwrap();
    assert!(out.unwrap_err(), "the read was cancelled");
    feeder.set_exception(io::Error::other("message"));
    assert!(matches!(reader.readline().await, Err(ReadError::Failed(_))));
}

// Not in CPython: a cancelled readexactly loses nothing.
#[ferrio::test]
async fn cancelled_readexactly_keeps_the_bytes() {
    let mut reader = fed(None);
    let feeder = reader.feeder();
    feeder.feed_data(b"abc").unwrap();
    let task = ferrio::spawn(async move {
        let out = reader.readexactly(6).await.map_err(|e| e.is_cancelled());
        (out, reader)
    });
    ferrio::yield_now().await.unwrap();
    task.cancel();
    let (out, mut reader) = task.await.unwrap();
    assert!(out.unwrap_err(), "the read was cancelled");
    assert_eq!(reader.buffered(), b"abc");
    feeder.feed_data(b"def").unwrap();
    assert_eq!(reader.readexactly(6).await.unwrap(), b"abcdef");
}

// Not in CPython: feeding after EOF is refused, not silently dropped.
#[ferrio::test]
async fn feeding_after_eof_is_an_error() {
    let r = fed(None);
    r.feeder().feed_eof();
    assert!(r.feeder().feed_data(b"late").is_err());
}
