//! An echo server: asyncio's `start_server` with one task per connection.
//!
//! ```sh
//! cargo run --example echo_server            # serves 127.0.0.1:8888 until Ctrl-C
//! cargo run --example echo_client            # in another terminal
//! ```
//!
//! Ctrl-C cancels the main task: the server closes, every connection's
//! handler is cancelled and runs its cleanup, and the program exits with
//! code 130.

use ferrio::stream::{self, ReadError, StreamReader, StreamWriter};

async fn handle(mut reader: StreamReader, writer: StreamWriter) {
    let peer = writer.peer().unwrap_or_default();
    println!("{peer}: connected");
    loop {
        match reader.readline().await {
            Ok(line) if line.is_empty() => break, // EOF
            Ok(line) => {
                if writer.write(&line).is_err() || writer.drain().await.is_err() {
                    break;
                }
            }
            Err(ReadError::LimitOverrun(e)) => {
                let _ = writer.write(format!("line too long ({e})\n").as_bytes());
            }
            Err(ReadError::Cancelled(_)) => {
                // The server is closing: say goodbye (async cleanup).
                let _ = writer.write(b"server shutting down\n");
                let _ = writer.drain().await;
                break;
            }
            Err(e) => {
                println!("{peer}: {e}");
                break;
            }
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
    println!("{peer}: closed");
}

#[ferrio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8888".into());
    let server = stream::start_server(handle, addr.as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {addr}: {e}"));
    println!("serving on {:?}; Ctrl-C stops", server.sockets());
    // Until Ctrl-C cancels us; then close and wait for the handlers.
    let _ = server.serve_forever().await;
    println!("server closed");
}
