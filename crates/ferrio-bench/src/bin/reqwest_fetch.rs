//! The tokio + reqwest peer of ferrio-bench's fetch family: what a Rust
//! user would write instead of `ferrio fetch` — one task per URL, a
//! `Semaphore` of `-c` permits, one shared `reqwest::Client` (its own
//! keep-alive pool), on a tokio `current_thread` runtime (one core, as
//! `ferrio fetch` uses one loop).
//!
//! ```text
//! reqwest-fetch --url-prefix http://127.0.0.1:PORT/item/ --n 10000 -c 200
//! ```
//!
//! Fetches `PREFIX1` … `PREFIXN` and prints
//! `{"ok": …, "failed": …, "bytes": …, "elapsed_ms": …}`; a URL is ok when
//! its status is 2xx and its whole body was read.

#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::Instant;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(prefix), Some(n), Some(c)) = (
        arg(&args, "--url-prefix"),
        arg(&args, "--n").and_then(|v| v.parse::<u64>().ok()),
        arg(&args, "-c").and_then(|v| v.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: reqwest-fetch --url-prefix URL --n N -c CONCURRENCY");
        std::process::exit(2);
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (ok, failed, bytes, elapsed) = rt.block_on(async move {
        let start = Instant::now();
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(c)
            .build()
            .expect("reqwest client");
        let semaphore = Arc::new(tokio::sync::Semaphore::new(c));
        let mut set = tokio::task::JoinSet::new();
        for i in 1..=n {
            let (client, semaphore) = (client.clone(), semaphore.clone());
            let url = format!("{prefix}{i}");
            set.spawn(async move {
                let _permit = semaphore.acquire().await.expect("semaphore closed");
                let resp = client.get(&url).send().await.ok()?;
                let ok = resp.status().is_success();
                let body = resp.bytes().await.ok()?;
                ok.then_some(body.len())
            });
        }
        let (mut ok, mut failed, mut bytes) = (0u64, 0u64, 0usize);
        for outcome in set.join_all().await {
            match outcome {
                Some(len) => {
                    ok += 1;
                    bytes += len;
                }
                None => failed += 1,
            }
        }
        (ok, failed, bytes, start.elapsed())
    });
    println!(
        "{{\"ok\": {ok}, \"failed\": {failed}, \"bytes\": {bytes}, \"elapsed_ms\": {:.3}}}",
        elapsed.as_secs_f64() * 1e3
    );
}
