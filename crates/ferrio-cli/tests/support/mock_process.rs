//! `ferrio serve-mock` as a child process, for the end-to-end tests: its
//! address from its first line, its counters from `/_stats`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use super::cli::ferrio;

/// A running `ferrio serve-mock`, killed on drop.
pub struct MockProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Connections `stats` itself opened (the server counts them too).
    own_connections: std::cell::Cell<u64>,
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl MockProcess {
    /// Starts `ferrio serve-mock --port 0 --seed 1 extra…`.
    pub fn start(extra: &[&str]) -> MockProcess {
        let mut args = vec!["serve-mock", "--port", "0", "--seed", "1"];
        args.extend_from_slice(extra);
        let mut child = ferrio(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ferrio serve-mock runs");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let mut reader = BufReader::new(stdout);
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep draining so the server never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let mut mock = MockProcess {
            child,
            base: String::new(),
            own_connections: std::cell::Cell::new(0),
        };
        let line = rx
            .recv_timeout(super::cli::CHILD_LIMIT)
            .expect("serve-mock prints its address");
        mock.base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .trim_end_matches('/')
            .to_string();
        mock
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `/_stats`, as JSON.
    pub fn stats(&self) -> serde_json::Value {
        let authority = self.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(authority).unwrap();
        self.own_connections.set(self.own_connections.get() + 1);
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(stream, "GET /_stats HTTP/1.0\r\nHost: {authority}\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (_, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
        serde_json::from_str(body.trim()).unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    pub fn requests(&self) -> u64 {
        self.stats()["requests"].as_u64().unwrap()
    }

    /// Connections accepted, without the ones `stats` opened.
    pub fn connections(&self) -> u64 {
        let all = self.stats()["connections"].as_u64().unwrap();
        all - self.own_connections.get()
    }

    /// Requests to one route (`item`, `status`, `hang`, …).
    pub fn route(&self, name: &str) -> u64 {
        self.stats()["by_route"][name].as_u64().unwrap_or(0)
    }
}
