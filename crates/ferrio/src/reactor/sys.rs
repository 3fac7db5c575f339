//! The system calls of the I/O layer that are not readiness: a level
//! check, pidfd, resource limits, CPU affinity, the main-thread test.

#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};

use rustix::event::{PollFd, PollFlags};

/// Whether `fd` is readable and writable right now (`poll(2)` with a zero
/// timeout): the level behind the edges the reactor reports. A hang-up or
/// an error counts as both, as an attempt will not block.
pub(crate) fn readiness_now(fd: RawFd) -> (bool, bool) {
    // SAFETY: `fd` is a descriptor the caller registered with
    // `add_reader`/`add_writer` and, by that API's contract, keeps open
    // until it removes the watch; the borrow lasts for this call only.
    // Were it closed anyway, poll(2) reports POLLNVAL: no memory is touched.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let mut fds = [PollFd::new(&borrowed, PollFlags::IN | PollFlags::OUT)];
    let zero = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    match rustix::event::poll(&mut fds, Some(&zero)) {
        Ok(_) => {
            let r = fds[0].revents();
            let broken = r.intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL);
            (
                broken || r.contains(PollFlags::IN),
                broken || r.contains(PollFlags::OUT),
            )
        }
        Err(_) => (false, false),
    }
}

/// A pidfd for the child `pid` (Linux 5.3 and later): readable once the
/// child has exited. `Unsupported` where the kernel lacks it.
pub(crate) fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    #[cfg(target_os = "linux")]
    {
        let pid = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::NONBLOCK).map_err(|e| {
            if e == rustix::io::Errno::NOSYS {
                io::Error::from(io::ErrorKind::Unsupported)
            } else {
                io::Error::from(e)
            }
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// Puts `fd` (a pipe end) in non-blocking mode.
pub(crate) fn set_nonblocking(fd: impl AsFd) -> io::Result<()> {
    rustix::io::ioctl_fionbio(fd, true)?;
    Ok(())
}

/// Checks that `sig` names a signal that can be sent.
pub(crate) fn check_signal(sig: i32) -> io::Result<rustix::process::Signal> {
    rustix::process::Signal::from_named_raw(sig).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{sig} is not a signal to send"),
        )
    })
}

/// Sends signal `sig` to process `pid`.
pub(crate) fn send_signal(pid: u32, sig: i32) -> io::Result<()> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    rustix::process::kill_process(pid, check_signal(sig)?)?;
    Ok(())
}

/// Pins the calling thread to CPU `cpu`.
pub(crate) fn pin_to_cpu(cpu: usize) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let mut set = rustix::thread::CpuSet::new();
        set.set(cpu);
        rustix::thread::sched_setaffinity(None, &set)?;
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = cpu;
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// Whether the calling thread is the process's main thread.
pub(crate) fn is_main_thread() -> bool {
    #[cfg(target_os = "linux")]
    {
        rustix::thread::gettid() == rustix::process::getpid()
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}
