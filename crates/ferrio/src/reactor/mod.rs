//! Readiness from the operating system, through mio.
//!
//! This is the only module that talks to mio. For now the reactor carries
//! the cross-thread waker; I/O sources register here when the I/O layer
//! lands.

use std::io;
use std::time::Duration;

use mio::{Events, Poll, Token, Waker};

/// The token of the cross-thread waker.
const WAKE_TOKEN: Token = Token(usize::MAX);

pub(crate) struct Reactor {
    poll: Poll,
    events: Events,
}

impl Reactor {
    /// A reactor and the waker other threads use to interrupt its poll.
    pub(crate) fn new() -> io::Result<(Reactor, Waker)> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKE_TOKEN)?;
        Ok((
            Reactor {
                poll,
                events: Events::with_capacity(256),
            },
            waker,
        ))
    }

    /// Waits up to `timeout` (forever if `None`) for readiness or a wake-up.
    pub(crate) fn poll(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(e),
        }
        // Only the waker is registered so far: its events need no dispatch,
        // the loop drains its remote queue after every poll.
    }
}
