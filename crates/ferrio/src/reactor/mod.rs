//! Readiness from the operating system, through mio.
//!
//! This is the only module that talks to mio and the only one that holds
//! raw file descriptors (STYLE rule 6). It offers the I/O layer a small API:
//!
//! - [`IoSource`]: an owned, non-blocking OS object (socket, pipe end,
//!   pidfd) registered once, edge-triggered, for both directions. Its
//!   `poll_io` runs an operation when the direction is ready and parks the
//!   task's waker otherwise. One engine for every I/O source.
//! - `Driver::watch_fd`: asyncio's `add_reader`/`add_writer` on a descriptor the
//!   caller owns, with level-triggered callbacks.
//! - [`sys`]: the few other system calls the I/O layer needs (`poll(2)`
//!   at timeout 0, `pidfd_open`, resource limits, CPU affinity).
//!
//! # Readiness, edge-triggered
//!
//! mio reports *edges*: a source becomes readable, writable, closed. Each
//! [`ScheduledIo`] keeps the last known readiness per direction. An
//! operation runs while its direction is marked ready; when it returns
//! `WouldBlock` the mark is cleared and the waker parked, and the next edge
//! sets the mark again and wakes it. Readiness starts *set* (optimistic):
//! the first operation tries at once instead of waiting for an event, and
//! a source that is not ready costs one `WouldBlock`. A read (or write)
//! that moves less than asked clears the mark too, without the
//! `WouldBlock`: the buffer was drained (full), as tokio assumes on epoll
//! and kqueue. A reported close or error is final and never cleared that
//! way — its edge will not come again. Readiness is a hint:
//! a stale mark only costs a spurious attempt, so slab keys are reused
//! without generations.
//!
//! # Wake-ups
//!
//! Events are dispatched right after the OS poll, inside [`Reactor::poll`]:
//! readiness bits are set, parked wakers and watch callbacks are collected,
//! and only then — with no borrow of the driver held — are they called. A
//! task waker only queues its task; watch callbacks only queue a loop
//! callback, so no user code runs inside the reactor.

mod driver;
mod scheduled_io;
mod source;
pub(crate) mod sys;
mod watch;

use std::io;
use std::rc::Rc;
use std::time::Duration;

use mio::{Events, Poll, Token, Waker};

pub(crate) use driver::Driver;
pub(crate) use scheduled_io::Direction;
pub(crate) use source::IoSource;

/// The token of the cross-thread waker.
const WAKE_TOKEN: Token = Token(usize::MAX);

pub(crate) struct Reactor {
    poll: Poll,
    events: Events,
    driver: Rc<Driver>,
    /// Reused between polls: what the last events woke.
    woken: Vec<scheduled_io::Wake>,
}

impl Reactor {
    /// A reactor and the waker other threads use to interrupt its poll.
    pub(crate) fn new() -> io::Result<(Reactor, Waker)> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKE_TOKEN)?;
        let driver = Rc::new(Driver::new(poll.registry().try_clone()?));
        Ok((
            Reactor {
                poll,
                events: Events::with_capacity(1024),
                driver,
                woken: Vec::new(),
            },
            waker,
        ))
    }

    /// The registration side, shared with every [`IoSource`] of this loop.
    pub(crate) fn driver(&self) -> &Rc<Driver> {
        &self.driver
    }

    /// Waits up to `timeout` (forever if `None`) for readiness or a
    /// wake-up, then wakes what the events made ready.
    pub(crate) fn poll(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        // The waker's events need no dispatch: the loop drains its remote
        // queue after every poll.
        for event in self.events.iter() {
            if event.token() != WAKE_TOKEN {
                self.driver.dispatch(event, &mut self.woken);
            }
        }
        for wake in self.woken.drain(..) {
            wake.wake();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;
    use std::rc::Rc;

    use super::Direction;

    #[test]
    fn sources_and_watches_deregister() {
        crate::EventLoop::new()
            .unwrap()
            .run_until_complete(async {
                let driver = crate::net::io::driver().unwrap();
                let before = driver.len();
                let listener = crate::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                assert_eq!(driver.len(), before + 1);
                drop(listener);
                assert_eq!(driver.len(), before);

                // One registration for both directions of a watched fd.
                let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
                let fd = a.as_raw_fd();
                assert!(!driver
                    .watch_fd(fd, Direction::Read, Rc::new(|| {}))
                    .unwrap());
                assert!(!driver
                    .watch_fd(fd, Direction::Write, Rc::new(|| {}))
                    .unwrap());
                assert!(driver
                    .watch_fd(fd, Direction::Read, Rc::new(|| {}))
                    .unwrap());
                assert_eq!(driver.len(), before + 1);
                assert!(driver.unwatch_fd(fd, Direction::Read));
                assert_eq!(driver.len(), before + 1);
                assert!(driver.unwatch_fd(fd, Direction::Write));
                assert!(!driver.unwatch_fd(fd, Direction::Write));
                assert_eq!(driver.len(), before);
            })
            .unwrap();
    }
}
