//! asyncio's `add_reader` / `add_writer` / `remove_reader` /
//! `remove_writer`: callbacks on the readiness of any descriptor.

use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::{Rc, Weak};

use super::io::driver;
use crate::event_loop::Handle;
use crate::reactor::{sys, Direction};

/// One installed callback.
struct Watch {
    callback: RefCell<Box<dyn FnMut()>>,
    /// A call is queued on the loop and has not run yet.
    queued: Cell<bool>,
    fd: RawFd,
    dir: Direction,
    handle: Handle,
}

/// Calls `callback` on the running loop whenever `fd` is readable:
/// asyncio's `loop.add_reader(fd, callback)`.
///
/// Level-triggered, as asyncio gives it: the callback runs once per loop
/// iteration for as long as the descriptor stays readable — read what is
/// there, or remove the reader. A second `add_reader` for the same `fd`
/// replaces the callback. The loop does not own `fd`: call
/// [`remove_reader`] before closing it.
///
/// # Errors
///
/// No running loop, or the poller refused `fd` (`EPERM` for a regular
/// file, which is always ready; `EBADF`).
///
/// ```
/// use std::cell::RefCell;
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use std::rc::Rc;
///
/// ferrio::run(async {
///     let (mut tx, rx) = UnixStream::pair().unwrap();
///     rx.set_nonblocking(true).unwrap();
///     let got = Rc::new(RefCell::new(Vec::new()));
///     let done = ferrio::future::Promise::<(), ()>::new();
///     let (g, d, mut reader) = (got.clone(), done.clone(), rx.try_clone().unwrap());
///     ferrio::net::add_reader(&rx, move || {
///         let mut buf = [0; 64];
///         if let Ok(n) = reader.read(&mut buf) {
///             g.borrow_mut().extend_from_slice(&buf[..n]);
///             let _ = d.set_result(());
///         }
///     })
///     .unwrap();
///     tx.write_all(b"ready").unwrap();
///     done.wait().await.unwrap();
///     assert!(ferrio::net::remove_reader(&rx));
///     assert_eq!(&*got.borrow(), b"ready");
/// })
/// .unwrap();
/// ```
pub fn add_reader(fd: &impl AsRawFd, callback: impl FnMut() + 'static) -> io::Result<()> {
    add(fd.as_raw_fd(), Direction::Read, Box::new(callback))
}

/// Calls `callback` on the running loop whenever `fd` is writable:
/// asyncio's `loop.add_writer(fd, callback)`. Level-triggered like
/// [`add_reader`]: remove the writer once there is nothing left to write.
///
/// # Errors
///
/// As [`add_reader`].
pub fn add_writer(fd: &impl AsRawFd, callback: impl FnMut() + 'static) -> io::Result<()> {
    add(fd.as_raw_fd(), Direction::Write, Box::new(callback))
}

/// Stops watching `fd` for reading: asyncio's `loop.remove_reader(fd)`.
/// Returns whether a reader was installed. A call already queued does not
/// run.
pub fn remove_reader(fd: &impl AsRawFd) -> bool {
    remove(fd.as_raw_fd(), Direction::Read)
}

/// Stops watching `fd` for writing: asyncio's `loop.remove_writer(fd)`.
/// Returns whether a writer was installed.
pub fn remove_writer(fd: &impl AsRawFd) -> bool {
    remove(fd.as_raw_fd(), Direction::Write)
}

fn add(fd: RawFd, dir: Direction, callback: Box<dyn FnMut()>) -> io::Result<()> {
    let driver = driver()?;
    let handle =
        Handle::try_current().ok_or_else(|| io::Error::other(crate::SpawnError::NoRunningLoop))?;
    let watch = Rc::new(Watch {
        callback: RefCell::new(callback),
        queued: Cell::new(false),
        fd,
        dir,
        handle,
    });
    // The driver holds the only strong reference (in `on_edge`); queued
    // calls hold weak ones, so removing the watch cancels them.
    let weak = Rc::downgrade(&watch);
    let on_edge: Rc<dyn Fn()> = {
        let watch = watch.clone();
        Rc::new(move || schedule(&watch))
    };
    drop(watch);
    driver.watch_fd(fd, dir, on_edge)?;
    // Already ready (the edge may have passed before this registration).
    if let Some(watch) = weak.upgrade() {
        if is_ready(fd, dir) {
            schedule(&watch);
        }
    }
    Ok(())
}

fn remove(fd: RawFd, dir: Direction) -> bool {
    match driver() {
        Ok(driver) => driver.unwatch_fd(fd, dir),
        Err(_) => false,
    }
}

fn is_ready(fd: RawFd, dir: Direction) -> bool {
    let (readable, writable) = sys::readiness_now(fd);
    match dir {
        Direction::Read => readable,
        Direction::Write => writable,
    }
}

fn schedule(watch: &Rc<Watch>) {
    if watch.queued.replace(true) {
        return;
    }
    let weak = Rc::downgrade(watch);
    if watch.handle.call_soon(move || run(&weak)).is_err() {
        watch.queued.set(false);
    }
}

fn run(weak: &Weak<Watch>) {
    let Some(watch) = weak.upgrade() else {
        return;
    };
    watch.queued.set(false);
    (watch.callback.borrow_mut())();
    let (fd, dir) = (watch.fd, watch.dir);
    drop(watch);
    // Level-triggered: still ready and still watched → once more next
    // iteration.
    if let Some(watch) = weak.upgrade() {
        if is_ready(fd, dir) {
            schedule(&watch);
        }
    }
}
