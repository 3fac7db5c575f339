//! Every diagnostic ferrio gives, as a user sees it: debug mode's reports
//! (a blocking call in a task, a dropped task handle, a failure nobody
//! retrieved, two tasks deadlocked on two locks), a watchdog finding an
//! idle task, loop-lag percentiles, and a task dump.
//!
//! The asyncio counterparts: `asyncio.run(main(), debug=True)` (or
//! `PYTHONASYNCIODEBUG=1`) reports "Executing <Task ...> took 0.123
//! seconds" and "Task exception was never retrieved"; the watchdog, the lag
//! monitor and the dump are what aiomonitor-style tools add on top.
//!
//! Run it with `cargo run --example debug_mode` (`FERRIO_DEBUG=1` turns
//! debug mode on for any program).

use std::time::Duration;

use ferrio::debug::{DeadlockAction, IdleAction, LagMonitor, Watchdog};
use ferrio::event_loop::ExceptionContext;
use ferrio::sync::Lock;
use ferrio::task::Builder;
use ferrio::{Cancelled, EventLoop, Task};

/// Prints each report the loop's exception handler receives.
fn print_report(report: &ExceptionContext) {
    println!("  report {:?}: {}", report.kind, report.message);
}

/// A server with two connections: one busy, one stuck waiting for a peer
/// that went away. Cancelled, it closes both.
async fn serve() -> Result<(), Cancelled> {
    let busy = Builder::new().name("conn-1").spawn(async {
        loop {
            ferrio::sleep(Duration::from_secs(10)).await?;
        }
    });
    let stuck = Builder::new()
        .name("conn-2")
        .spawn(ferrio::sleep(Duration::from_secs(3600)));
    let connections = [busy.unwrap(), stuck.unwrap()];
    let outcome = loop {
        // The accept loop.
        if let Err(cancelled) = ferrio::sleep(Duration::from_secs(20)).await {
            break Err(cancelled);
        }
    };
    for connection in connections {
        connection.cancel();
        let _ = connection.await;
    }
    outcome
}

/// A task that takes `first`, works a little, then takes `second`.
fn lock_both(name: &str, first: &Lock, second: &Lock) -> Task<Result<(), Cancelled>> {
    let (first, second) = (first.clone(), second.clone());
    Builder::new()
        .name(name)
        .spawn(async move {
            let _first = first.acquire().await?;
            ferrio::sleep(Duration::from_millis(10)).await?;
            let _second = second.acquire().await?;
            Ok(())
        })
        .unwrap()
}

fn main() {
    // The task below panics on purpose; keep the default panic message
    // out of the output (the loop reports the failure itself).
    std::panic::set_hook(Box::new(|_| {}));

    // Part 1: a virtual-clock loop in debug mode, so the watchdog's
    // one-minute wait takes no time.
    let event_loop = EventLoop::builder()
        .virtual_clock(true)
        .debug(true)
        .slow_callback_duration(Duration::from_millis(20))
        .deadlock_action(DeadlockAction::CancelVictim)
        .exception_handler(print_report)
        .build()
        .expect("cannot create the event loop");
    event_loop
        .run_until_complete(async {
            println!("1. A blocking call inside a task (debug mode):");
            Builder::new()
                .name("blocker")
                .spawn(async { std::thread::sleep(Duration::from_millis(30)) })
                .unwrap()
                .await
                .unwrap();

            println!("2. A task handle dropped without awaiting it:");
            drop(Builder::new().name("forgotten").spawn(async {}).unwrap());

            println!("3. A task that failed, and nobody asked:");
            Builder::new()
                .name("crasher")
                .spawn(async { panic!("connection reset") })
                .unwrap()
                .detach();
            ferrio::yield_now().await.unwrap();
            ferrio::yield_now().await.unwrap();

            println!("4. A task idle for too long, found by a watchdog:");
            let watchdog = Watchdog::start(Duration::from_secs(30), IdleAction::Report);
            let server = Builder::new().name("server").spawn(serve()).unwrap();
            ferrio::sleep(Duration::from_secs(45)).await.unwrap();
            println!("   ({:?})", watchdog.statistics());

            println!("5. A task dump:");
            for line in ferrio::debug::dump().to_string().lines() {
                println!("   {line}");
            }
            watchdog.stop();
            server.cancel();
            let _ = server.await;

            println!("6. Two tasks taking two locks in opposite orders (a deadlock):");
            let accounts = Lock::named("accounts");
            let ledger = Lock::named("ledger");
            let transfer = lock_both("transfer", &accounts, &ledger);
            let audit = lock_both("audit", &ledger, &accounts);
            // DeadlockAction::CancelVictim: the task that closed the cycle
            // is cancelled, and the other one goes on.
            println!("   transfer: {:?}", transfer.await.unwrap());
            println!("   audit: {}", audit.await.unwrap_err());
        })
        .unwrap();

    // Part 2: loop lag on the real clock, where a blocking callback delays
    // everything behind it.
    println!("7. Loop lag while a callback blocks for 50 ms:");
    EventLoop::new()
        .expect("cannot create the event loop")
        .run_until_complete(async {
            let monitor = LagMonitor::start(Duration::from_millis(5));
            ferrio::sleep(Duration::from_millis(20)).await.unwrap();
            EventLoop::current()
                .call_soon(|| std::thread::sleep(Duration::from_millis(50)))
                .unwrap();
            ferrio::sleep(Duration::from_millis(40)).await.unwrap();
            println!("   {}", monitor.percentiles());
        })
        .unwrap();
}
