//! An echo client: asyncio's `open_connection`, `readline`, `drain`.
//!
//! ```sh
//! cargo run --example echo_server &
//! cargo run --example echo_client -- 127.0.0.1:8888 "hello" "ferrio"
//! ```
//!
//! Without a server at the address it starts one of its own on a free
//! port, so `cargo run --example echo_client` works alone.

use ferrio::stream::{self, StreamReader, StreamWriter};

#[ferrio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next();
    let mut lines: Vec<String> = args.collect();
    if lines.is_empty() {
        lines = vec!["hello".into(), "from".into(), "ferrio".into()];
    }
    let (mut reader, writer, _server) = match addr {
        Some(addr) => {
            let (r, w) = stream::open_connection(addr.as_str())
                .await
                .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
            (r, w, None)
        }
        None => {
            let server = stream::start_server(
                |mut r: StreamReader, w: StreamWriter| async move {
                    while let Ok(line) = r.readline().await {
                        if line.is_empty() || w.write(&line).is_err() || w.drain().await.is_err() {
                            break;
                        }
                    }
                },
                "127.0.0.1:0",
            )
            .await
            .unwrap();
            println!(
                "(no address given: started a server on {})",
                server.sockets()[0]
            );
            let (r, w) = stream::open_connection(server.sockets()[0]).await.unwrap();
            (r, w, Some(server))
        }
    };
    for line in &lines {
        writer.write(format!("{line}\n").as_bytes()).unwrap();
        writer.drain().await.unwrap();
        let echo = reader.readline().await.unwrap();
        print!("echo: {}", String::from_utf8_lossy(&echo));
    }
    writer.close();
    writer.wait_closed().await.unwrap();
}
