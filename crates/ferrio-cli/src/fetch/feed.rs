//! [`Feed`]: the URL source read off the loop. A reader thread pulls the
//! source line by line into a bounded channel; a pump task takes what is
//! there (up to [`CHUNK`] lines, waiting for at least one) through
//! `ferrio::to_thread` and puts it into a bounded ferrio queue; requests
//! take their URL from the queue. A slow source never blocks the loop —
//! the requests in flight finish while it waits — and at most about
//! 2 × [`READ_AHEAD`] + [`CHUNK`] lines are held, whatever its size.

use std::rc::Rc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use ferrio::queue::Queue;

use super::input::UrlLine;
use super::interrupt::StopHandle;

/// Lines read ahead of the requests, at most.
pub const READ_AHEAD: usize = 1024;
/// Lines read per trip to the worker thread.
pub const CHUNK: usize = 256;

/// The receiving end: a queue the pump fills and shuts when the source
/// ends (or the run stops).
#[derive(Clone)]
pub(crate) struct Feed {
    queue: Rc<Queue<UrlLine>>,
}

impl Feed {
    /// Starts pumping `source`; the task ends with the source.
    pub(crate) fn start<I>(
        source: I,
        read_ahead: usize,
        stop: StopHandle,
    ) -> (Feed, ferrio::Task<()>)
    where
        I: Iterator<Item = UrlLine> + Send + 'static,
    {
        let queue = Rc::new(Queue::new(read_ahead));
        let fill = queue.clone();
        let (tx, rx) = mpsc::sync_channel(read_ahead);
        // Detached: it ends with the source, or at its next line once the
        // run is over (the receiver is gone).
        std::thread::spawn(move || {
            for line in source {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let pump = ferrio::spawn(async move {
            let mut rx = rx;
            while !stop.is_stopped() {
                let Ok((back, chunk, ended)) = ferrio::to_thread(move || take_chunk(rx)).await
                else {
                    break;
                };
                rx = back;
                for line in chunk {
                    if fill.put(line).await.is_err() {
                        fill.shutdown();
                        return;
                    }
                }
                if ended {
                    break;
                }
            }
            fill.shutdown();
        });
        (Feed { queue }, pump)
    }

    /// Whether a line may still come.
    pub(crate) fn has_more(&self) -> bool {
        !(self.queue.is_shut_down() && self.queue.empty())
    }

    /// The next line; `None` once the source is done (or on cancellation).
    pub(crate) async fn next(&self) -> Option<UrlLine> {
        self.queue.get().await.ok()
    }
}

/// How long a trip to the worker waits for a line before it comes back
/// empty (so the pump sees a stop even while the source is silent).
const POLL: Duration = Duration::from_millis(100);

/// The lines waiting in `rx` (at least one, unless the wait timed out or
/// the source ended), at most [`CHUNK`]; and whether the source ended.
fn take_chunk(rx: Receiver<UrlLine>) -> (Receiver<UrlLine>, Vec<UrlLine>, bool) {
    let mut chunk = Vec::new();
    match rx.recv_timeout(POLL) {
        Ok(line) => chunk.push(line),
        Err(RecvTimeoutError::Timeout) => return (rx, chunk, false),
        Err(RecvTimeoutError::Disconnected) => return (rx, chunk, true),
    }
    while chunk.len() < CHUNK {
        match rx.try_recv() {
            Ok(line) => chunk.push(line),
            Err(mpsc::TryRecvError::Empty) => break,
            Err(mpsc::TryRecvError::Disconnected) => return (rx, chunk, true),
        }
    }
    (rx, chunk, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[ferrio::test]
    async fn every_line_comes_through_in_order_and_then_the_end() {
        let lines: Vec<UrlLine> = (1..=3000)
            .map(|i| UrlLine::parse(i, &format!("http://h/{i}")))
            .collect();
        let (feed, pump) = Feed::start(lines.clone().into_iter(), 100, StopHandle::new());
        let mut got = Vec::new();
        while let Some(line) = feed.next().await {
            // Bounded read-ahead: the queue never holds more than its size.
            assert!(feed.queue.qsize() <= 100);
            got.push(line);
        }
        assert_eq!(got, lines);
        assert!(!feed.has_more());
        pump.await.unwrap();
    }

    #[ferrio::test]
    async fn a_stop_ends_the_pump() {
        let stop = StopHandle::new();
        stop.stop();
        let lines = (1..=10).map(|i| UrlLine::parse(i, "http://h/"));
        let (feed, pump) = Feed::start(lines, 4, stop);
        pump.await.unwrap();
        assert!(feed.next().await.is_none());
    }
}
