//! `accept` failing with EMFILE: the server keeps running, backs off
//! (asyncio's `ACCEPT_RETRY_DELAY`) and accepts once descriptors are free
//! again. Alone in its test binary: it lowers the process's descriptor
//! limit.

use std::time::Duration;

use ferrio::stream::{self, StreamReader, StreamWriter, ACCEPT_RETRY_DELAY};
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

#[ferrio::test]
async fn accept_out_of_descriptors_backs_off_and_recovers() {
    let server = stream::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let line = reader.readline().await.unwrap();
            writer.write(&line).unwrap();
            writer.drain().await.unwrap();
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    // The client's socket exists before the descriptors run out; the
    // kernel completes its handshake without an accept.
    let (mut reader, writer) = stream::open_connection(server.sockets()[0]).await.unwrap();
    writer.write(b"still served\n").unwrap();

    let saved = getrlimit(Resource::Nofile);
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(512),
            maximum: saved.maximum,
        },
    )
    .unwrap();
    let probe = std::fs::File::open("/dev/null").unwrap();
    let mut hoard = Vec::new();
    let exhausted = loop {
        match probe.try_clone() {
            Ok(f) => hoard.push(f),
            Err(e) => break e,
        }
    };
    assert_eq!(
        exhausted.raw_os_error(),
        Some(rustix::io::Errno::MFILE.raw_os_error())
    );

    // The accept loop fails, waits, retries: nothing is accepted.
    ferrio::sleep(ACCEPT_RETRY_DELAY * 3 + Duration::from_millis(500))
        .await
        .unwrap();
    assert_eq!(server.accepted(), 0);
    assert!(server.is_serving());

    drop(hoard);
    setrlimit(Resource::Nofile, saved).unwrap();
    let line = ferrio::timeout(ACCEPT_RETRY_DELAY * 3, reader.readline())
        .await
        .expect("accepted within a few retries")
        .unwrap();
    assert_eq!(line, b"still served\n");
    assert_eq!(server.accepted(), 1);
    server.close();
    server.wait_closed().await.unwrap();
}
