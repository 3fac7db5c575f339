//! Shared test code: the mock server in-process with a sampling monitor
//! (library tests, virtual clock), `ferrio serve-mock` as a child
//! ([`mock_process`]), running the binary ([`cli`]), and a listener that
//! never completes a connection.
#![allow(dead_code)]

pub mod cli;
pub mod mock_process;
#[cfg(feature = "tls")]
pub mod tls;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ferrio_cli::mock::{MockConfig, MockServer};
use ferrio_cli::units::DurationRange;

/// The mock server on the running loop, with every answer delayed by
/// `latency` (loop time).
pub async fn mock(latency: Duration) -> Rc<MockServer> {
    let config = MockConfig {
        latency: DurationRange {
            low: latency,
            high: latency,
        },
        seed: Some(1),
        ..MockConfig::default()
    };
    Rc::new(
        MockServer::start(config)
            .await
            .expect("the mock server starts"),
    )
}

/// One look at a server's counters.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Loop time since the monitor started.
    pub at: Duration,
    /// Requests received so far.
    pub requests: u64,
    /// Requests received and not yet answered.
    pub in_flight: u64,
}

/// Samples a server's counters every millisecond of loop time, until
/// dropped: what the server saw, over time, without instrumenting it.
pub struct Monitor {
    samples: Rc<RefCell<Vec<Sample>>>,
    task: ferrio::Task<()>,
}

impl Monitor {
    pub fn start(server: &Rc<MockServer>) -> Monitor {
        let samples = Rc::new(RefCell::new(Vec::new()));
        let (server, into) = (server.clone(), samples.clone());
        let start = ferrio::now();
        let task = ferrio::spawn(async move {
            loop {
                let stats = server.stats();
                let answered: u64 = stats.by_status.values().sum();
                into.borrow_mut().push(Sample {
                    at: ferrio::now() - start,
                    requests: stats.requests,
                    in_flight: stats.requests - answered,
                });
                if ferrio::sleep(Duration::from_millis(1)).await.is_err() {
                    return;
                }
            }
        });
        Monitor { samples, task }
    }

    pub fn samples(&self) -> Vec<Sample> {
        self.samples.borrow().clone()
    }

    /// The most requests seen in flight at once.
    pub fn max_in_flight(&self) -> u64 {
        self.samples
            .borrow()
            .iter()
            .map(|s| s.in_flight)
            .max()
            .unwrap_or(0)
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.task.cancel();
    }
}

/// A listener whose accept queue is full, so a new connection is never
/// completed (the kernel drops its SYNs): what --connect-timeout is for.
/// `None` if this system completes connections anyway.
pub fn full_listener() -> Option<(
    ferrio::net::socket2::Socket,
    Vec<std::net::TcpStream>,
    std::net::SocketAddr,
)> {
    use ferrio::net::socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut held = Vec::new();
    for _ in 0..8 {
        match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300)) {
            Ok(stream) => held.push(stream),
            Err(_) => return Some((socket, held, addr)),
        }
    }
    None
}
