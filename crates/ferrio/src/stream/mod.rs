//! asyncio's high-level streams: [`open_connection`] and [`start_server`]
//! give a [`StreamReader`] and a [`StreamWriter`] per connection.
//!
//! The reader buffers: `readline`, `readuntil` (one separator or several),
//! `readexactly`, `read`, with a limit (64 KiB by default) past which
//! [`ReadError::LimitOverrun`] says how much was consumed while memory
//! stays bounded; EOF in the middle of a read gives
//! [`ReadError::IncompleteRead`] with the bytes that did arrive. The
//! writer never waits in `write`; `drain` waits while its buffer is above
//! the high-water mark, which is how a slow reader holds back a fast
//! writer.
//!
//! ```
//! use ferrio::stream::{self, StreamReader, StreamWriter};
//!
//! ferrio::run(async {
//!     // An echo server, one task per connection.
//!     let server = stream::start_server(
//!         |mut reader: StreamReader, writer: StreamWriter| async move {
//!             while let Ok(line) = reader.readline().await {
//!                 if line.is_empty() {
//!                     break; // EOF
//!                 }
//!                 writer.write(&line).unwrap();
//!                 if writer.drain().await.is_err() {
//!                     break;
//!                 }
//!             }
//!         },
//!         "127.0.0.1:0",
//!     )
//!     .await
//!     .unwrap();
//!
//!     let (mut reader, writer) = stream::open_connection(server.sockets()[0]).await.unwrap();
//!     writer.write(b"hello\n").unwrap();
//!     assert_eq!(reader.readline().await.unwrap(), b"hello\n");
//!     writer.close();
//!     writer.wait_closed().await.unwrap();
//!     server.close();
//!     server.wait_closed().await.unwrap();
//! })
//! .unwrap();
//! ```

mod buffer;
pub(crate) mod connection;
mod error;
pub(crate) mod framing;
mod reader;
mod server;
#[cfg(feature = "tls")]
pub mod tls;
pub(crate) mod transport;
mod writer;

#[cfg(feature = "tls")]
pub use tls::{open_connection_tls, start_tls, start_tls_server};

pub use connection::{
    from_io, from_tcp, from_tcp_with, from_unix, open_connection, open_connection_with,
    open_unix_connection,
};
pub use error::{IncompleteRead, LimitOverrun, ReadError, StreamError, WriteError};
pub use reader::{FeedAfterEof, InvalidLimit, StreamFeeder, StreamReader, DEFAULT_LIMIT};
pub use server::{start_server, start_unix_server, Server, ServerOptions, ACCEPT_RETRY_DELAY};
pub use writer::{StreamWriter, DEFAULT_HIGH_WATER};
