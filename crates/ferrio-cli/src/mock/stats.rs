//! The server's counters and [`MockStats`], their snapshot (also served as
//! JSON at `/_stats`).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use serde::Serialize;

/// A snapshot of the mock server's counters. Requests to `/_stats` itself
/// are not counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MockStats {
    /// Requests received (answered or not: `/reset` and `/hang` count).
    pub requests: u64,
    /// TCP connections accepted in all.
    pub connections: u64,
    /// TCP connections open now.
    pub open_connections: u64,
    /// Responses sent, by status code.
    pub by_status: BTreeMap<u16, u64>,
    /// Requests received, by route (`item`, `status`, `flaky`, …,
    /// `not_found`).
    pub by_route: BTreeMap<String, u64>,
    /// Failures injected by the fail rate.
    pub injected_failures: u64,
    /// Requests refused with 429 by the rate limit.
    pub rate_limited: u64,
}

/// The live counters, on the loop thread.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: Cell<u64>,
    connections: Cell<u64>,
    open_connections: Cell<u64>,
    by_status: RefCell<BTreeMap<u16, u64>>,
    by_route: RefCell<BTreeMap<&'static str, u64>>,
    injected_failures: Cell<u64>,
    rate_limited: Cell<u64>,
}

fn bump(cell: &Cell<u64>) {
    cell.set(cell.get() + 1);
}

impl Counters {
    pub(crate) fn request(&self, route: &'static str) {
        bump(&self.requests);
        *self.by_route.borrow_mut().entry(route).or_insert(0) += 1;
    }

    pub(crate) fn response(&self, status: u16) {
        *self.by_status.borrow_mut().entry(status).or_insert(0) += 1;
    }

    pub(crate) fn connection_opened(&self) {
        bump(&self.connections);
        bump(&self.open_connections);
    }

    pub(crate) fn connection_closed(&self) {
        self.open_connections
            .set(self.open_connections.get().saturating_sub(1));
    }

    pub(crate) fn open_connections(&self) -> u64 {
        self.open_connections.get()
    }

    pub(crate) fn injected_failure(&self) {
        bump(&self.injected_failures);
    }

    pub(crate) fn rate_limited(&self) {
        bump(&self.rate_limited);
    }

    pub(crate) fn snapshot(&self) -> MockStats {
        MockStats {
            requests: self.requests.get(),
            connections: self.connections.get(),
            open_connections: self.open_connections.get(),
            by_status: self.by_status.borrow().clone(),
            by_route: self
                .by_route
                .borrow()
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            injected_failures: self.injected_failures.get(),
            rate_limited: self.rate_limited.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_snapshot_and_serialise() {
        let c = Counters::default();
        c.connection_opened();
        c.request("item");
        c.request("item");
        c.response(200);
        c.response(500);
        c.injected_failure();
        c.connection_closed();
        let s = c.snapshot();
        assert_eq!(s.requests, 2);
        assert_eq!(s.connections, 1);
        assert_eq!(s.open_connections, 0);
        assert_eq!(s.by_route["item"], 2);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["by_status"]["500"], 1);
        assert_eq!(json["injected_failures"], 1);
    }
}
