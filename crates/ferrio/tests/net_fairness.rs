//! A task whose socket never runs dry still shares the loop and can still
//! be cancelled: after a bounded number of I/O operations completed in one
//! poll, the next one suspends the task (a forced yield, as tokio's
//! cooperative budget; asyncio gets the same from its transports, which
//! feed a bounded buffer from the loop).

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

use ferrio::net::{TcpListener, TcpStream, UnixStream};

/// A connected pair whose reading end has `bytes` waiting.
fn filled_pair(bytes: usize) -> (UnixStream, UnixStream) {
    let (reader, mut writer) = std::os::unix::net::UnixStream::pair().unwrap();
    writer.write_all(&vec![7u8; bytes]).unwrap();
    (
        UnixStream::from_std(reader).unwrap(),
        UnixStream::from_std(writer).unwrap(),
    )
}

#[ferrio::test]
async fn a_reader_that_never_runs_dry_lets_other_tasks_run() {
    const READS: usize = 10_000;
    let (reader, _writer) = filled_pair(READS);
    let ticks = Rc::new(Cell::new(0u32));
    let t = ticks.clone();
    let ticker = ferrio::spawn(async move {
        loop {
            t.set(t.get() + 1);
            ferrio::yield_now().await?;
        }
        #[allow(unreachable_code)]
        Ok::<(), ferrio::Cancelled>(())
    });
    let mut byte = [0u8; 1];
    let before = ticks.get();
    for _ in 0..READS {
        assert_eq!(reader.read(&mut byte).await.unwrap(), 1);
    }
    let ran = ticks.get() - before;
    // Every read found data at once; without the budget the ticker would
    // not have run at all. With it, it runs at least once per 128 reads.
    assert!(
        ran >= (READS / 128) as u32 - 1,
        "the ticker ran {ran} times"
    );
    ticker.cancel();
    assert!(ticker.await.unwrap_err().is_cancelled());
}

#[ferrio::test]
async fn a_reader_that_never_runs_dry_can_be_cancelled() {
    const BUFFERED: usize = 64 * 1024;
    let (reader, writer) = filled_pair(BUFFERED);
    let read = Rc::new(Cell::new(0usize));
    let r = read.clone();
    let task = ferrio::spawn(async move {
        let mut byte = [0u8; 1];
        loop {
            match reader.read(&mut byte).await {
                Ok(n) => r.set(r.get() + n),
                Err(e) => return Err(ferrio::net::into_cancelled(e).unwrap()),
            }
        }
        #[allow(unreachable_code)]
        Ok::<(), ferrio::Cancelled>(())
    });
    ferrio::yield_now().await.unwrap();
    task.cancel();
    let err = task.await.unwrap_err();
    assert!(err.is_cancelled());
    // The cancellation arrived at the forced suspension, long before the
    // buffered data ran out, and every byte read was counted.
    let n = read.get();
    assert!(n > 0 && n < 1_000, "read {n} bytes before the cancellation");
    drop(writer);
}

#[ferrio::test]
async fn a_writer_to_a_fast_reader_lets_other_tasks_run() {
    // TCP, whose send buffer coalesces small writes (a Unix socket spends
    // a buffer per write and would fill up).
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connecting = ferrio::spawn(async move { TcpStream::connect(addr).await });
    let (b, _) = listener.accept().await.unwrap();
    let a = connecting.await.unwrap().unwrap();
    let ticks = Rc::new(Cell::new(0u32));
    let t = ticks.clone();
    let ticker = ferrio::spawn(async move {
        loop {
            t.set(t.get() + 1);
            ferrio::yield_now().await?;
        }
        #[allow(unreachable_code)]
        Ok::<(), ferrio::Cancelled>(())
    });
    // 1,000 one-byte writes fit in the socket buffer: none would suspend.
    let before = ticks.get();
    for _ in 0..1_000 {
        assert_eq!(a.write(b"x").await.unwrap(), 1);
    }
    let ran = ticks.get() - before;
    assert!(ran >= 1_000 / 128 - 1, "the ticker ran {ran} times");
    let mut got = vec![0u8; 1_000];
    let mut filled = 0;
    while filled < got.len() {
        filled += b.read(&mut got[filled..]).await.unwrap();
    }
    assert!(got.iter().all(|&c| c == b'x'), "nothing written was lost");
    ticker.cancel();
    assert!(ticker.await.unwrap_err().is_cancelled());
}
