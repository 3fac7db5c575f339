//! [`IoSource`]: an owned OS object registered with a loop's reactor.

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::driver::Driver;
use super::scheduled_io::{Direction, ScheduledIo};

/// A non-blocking OS object (socket, pipe end, pidfd) registered with one
/// loop's reactor for both directions. Deregistered on drop, before the
/// object is closed.
///
/// Operations take `&self`, so a reader and a writer may share a source
/// (through an `Rc`): each direction parks its own waker.
pub(crate) struct IoSource<T: AsRawFd> {
    io: Option<T>,
    sched: Rc<ScheduledIo>,
    key: usize,
    driver: Rc<Driver>,
}

impl<T: AsRawFd> IoSource<T> {
    /// Registers `io`, which must already be in non-blocking mode.
    pub(crate) fn new(driver: &Rc<Driver>, io: T) -> io::Result<IoSource<T>> {
        let (key, sched) = driver.register(io.as_raw_fd())?;
        Ok(IoSource {
            io: Some(io),
            sched,
            key,
            driver: driver.clone(),
        })
    }

    #[inline]
    pub(crate) fn get_ref(&self) -> &T {
        self.io.as_ref().expect("IoSource used after into_inner")
    }

    /// Deregisters and gives the object back.
    pub(crate) fn into_inner(mut self) -> T {
        let io = self.io.take().expect("IoSource used after into_inner");
        self.driver.deregister(self.key, io.as_raw_fd());
        io
    }

    /// Runs `op` while `dir` is ready, until it gives something other than
    /// `WouldBlock` (retrying `Interrupted`); parks the task's waker and
    /// returns `Pending` once the direction is not ready.
    #[inline]
    pub(crate) fn poll_io<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            if !self.sched.is_ready(dir) {
                self.sched.park(dir, cx.waker());
                return Poll::Pending;
            }
            self.driver.note_activity();
            match op(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.sched.clear_ready(dir),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return Poll::Ready(r),
            }
        }
    }

    /// Runs `op` once if `dir` may be ready; `WouldBlock` otherwise. Never
    /// parks a waker.
    pub(crate) fn try_io<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        if !self.sched.is_ready(dir) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.driver.note_activity();
        loop {
            match op(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.sched.clear_ready(dir);
                    return Err(e);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }

    /// Ready once `dir` may be ready (an attempt may still `WouldBlock`).
    pub(crate) fn poll_ready(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<()> {
        if self.sched.is_ready(dir) {
            Poll::Ready(())
        } else {
            self.sched.park(dir, cx.waker());
            Poll::Pending
        }
    }

    /// Forgets the readiness of `dir` (after an operation outside
    /// [`poll_io`](Self::poll_io) saw `WouldBlock`).
    pub(crate) fn clear_ready(&self, dir: Direction) {
        self.sched.clear_ready(dir);
    }

    /// Forgets the plain readiness of `dir` after a partial read or write
    /// (the buffer is drained or full); a reported close or error stays.
    #[inline]
    pub(crate) fn clear_ready_hint(&self, dir: Direction) {
        self.sched.clear_ready_hint(dir);
    }
}

impl<T: AsRawFd> Drop for IoSource<T> {
    fn drop(&mut self) {
        if let Some(io) = &self.io {
            self.driver.deregister(self.key, io.as_raw_fd());
        }
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for IoSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoSource")
            .field("io", &self.io)
            .field("readable", &self.sched.is_ready(Direction::Read))
            .field("writable", &self.sched.is_ready(Direction::Write))
            .finish()
    }
}
