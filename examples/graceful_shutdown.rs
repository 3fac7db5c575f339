//! Graceful shutdown on SIGTERM: a server whose connections run async
//! cleanup when the service manager stops it.
//!
//! ```sh
//! cargo run --example graceful_shutdown            # demo: sends itself SIGTERM
//! cargo run --example graceful_shutdown -- serve   # until `kill -TERM <pid>` or Ctrl-C
//! ```
//!
//! On SIGTERM the main task stops serving: the server closes, each
//! connection handler gets `Cancelled` at its next await, says goodbye,
//! flushes and closes, and the program exits 0 once all are done. Ctrl-C
//! does the same through the Runner (exit code 130); a second Ctrl-C exits
//! at once.

use std::time::Duration;

use ferrio::signal::{self, SIGTERM};
use ferrio::stream::{self, StreamReader, StreamWriter};

async fn handle(mut reader: StreamReader, writer: StreamWriter) {
    let peer = writer.peer().unwrap_or_default();
    match reader.readline().await {
        Ok(line) => {
            let _ = writer.write(&line);
            let _ = writer.drain().await;
        }
        Err(e) if e.is_cancelled() => {
            // Cleanup may await: tell the client, flush, close.
            let _ = writer.write(b"shutting down, bye\n");
            let _ = writer.drain().await;
            println!("{peer}: told the client goodbye");
        }
        Err(e) => println!("{peer}: {e}"),
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

#[ferrio::main]
async fn main() {
    let demo = std::env::args().nth(1).as_deref() != Some("serve");
    let mut term = signal::signal(SIGTERM).expect("SIGTERM can be handled");
    let server = stream::start_server(handle, "127.0.0.1:0").await.unwrap();
    let addr = server.sockets()[0];
    println!("pid {} serving on {addr}", std::process::id());

    let client = demo.then(|| {
        ferrio::spawn(async move {
            // A client that connects and waits: it will be told goodbye.
            let (mut reader, _writer) = stream::open_connection(addr).await.unwrap();
            let goodbye = reader.readline().await.unwrap();
            print!("client got: {}", String::from_utf8_lossy(&goodbye));
        })
    });
    if demo {
        while server.connections() == 0 {
            ferrio::sleep(Duration::from_millis(1)).await.unwrap();
        }
        signal::raise(SIGTERM).unwrap();
    }

    term.recv().await.unwrap();
    println!("SIGTERM: closing the server");
    server.close();
    server.wait_closed().await.unwrap();
    if let Some(client) = client {
        client.await.unwrap();
    }
    println!("all connections closed cleanly");
}
