//! `run_on_cores`: one loop per thread, results and panics of every loop
//! back to the caller, and a `SO_REUSEPORT` server with one listener per
//! loop serving connections from a bounded client.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use ferrio::cores::{CoreError, Cores};
use ferrio::stream::{ServerOptions, StreamReader, StreamWriter};

#[test]
fn every_loop_returns_its_result_in_order() {
    let results = Cores::new(3).run(|core| async move {
        let task = ferrio::spawn(async move { core.index + 100 });
        (core.index, core.count, task.await.unwrap())
    });
    let values: Vec<_> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(values, [(0, 3, 100), (1, 3, 101), (2, 3, 102)]);
}

#[test]
fn a_panicking_loop_fails_alone() {
    let results = Cores::new(2).run(|core| async move {
        if core.index == 1 {
            panic!("core one fails");
        }
        "fine"
    });
    assert_eq!(results[0].as_ref().unwrap(), &"fine");
    match &results[1] {
        Err(CoreError::Panicked(m)) => assert!(m.contains("core one fails")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pinned_loops_say_where_they_run() {
    let results = ferrio::run_on_cores(2, |core| async move { core.cpu });
    let cpus = std::thread::available_parallelism().unwrap().get();
    for (i, r) in results.into_iter().enumerate() {
        // Pinning may be refused (a restricted CPU set): then `None`.
        if let Some(cpu) = r.unwrap() {
            assert_eq!(cpu, i % cpus);
        }
    }
}

#[test]
fn one_reuseport_listener_per_loop_serves_every_connection() {
    const CONNECTIONS: usize = 64;
    // A free port (closed again before the loops bind it).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (bound_tx, bound_rx) = mpsc::channel::<()>();
    let stops: Vec<_> = (0..2).map(|_| mpsc::channel::<()>()).collect();
    let (senders, receivers): (Vec<_>, Vec<_>) = stops.into_iter().unzip();
    let receivers = Arc::new(Mutex::new(
        receivers.into_iter().map(Some).collect::<Vec<_>>(),
    ));
    let bound_tx = Arc::new(Mutex::new(bound_tx));
    let handle = std::thread::spawn(move || {
        Cores::new(2).run(move |core| {
            let stop = receivers.lock().unwrap()[core.index].take().unwrap();
            let bound = bound_tx.lock().unwrap().clone();
            async move {
                let server = ServerOptions::new()
                    .reuse_port(true)
                    .start(
                        |mut r: StreamReader, w: StreamWriter| async move {
                            let line = r.readline().await.unwrap();
                            w.write(&line).unwrap();
                            w.drain().await.unwrap();
                        },
                        ("127.0.0.1", port),
                    )
                    .await
                    .unwrap();
                bound.send(()).unwrap();
                // Serve until the test says stop (a blocking wait, off the loop).
                ferrio::to_thread(move || stop.recv())
                    .await
                    .unwrap()
                    .unwrap();
                server.close();
                server.wait_closed().await.unwrap();
                server.accepted()
            }
        })
    });
    bound_rx.recv().unwrap();
    bound_rx.recv().unwrap();
    for i in 0..CONNECTIONS {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let msg = format!("hello {i}\n");
        s.write_all(msg.as_bytes()).unwrap();
        let mut back = vec![0; msg.len()];
        s.read_exact(&mut back).unwrap();
        assert_eq!(back, msg.as_bytes());
    }
    for s in senders {
        s.send(()).unwrap();
    }
    let accepted: u64 = handle.join().unwrap().into_iter().map(Result::unwrap).sum();
    assert_eq!(accepted, CONNECTIONS as u64);
}
