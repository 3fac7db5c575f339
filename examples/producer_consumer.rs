//! Producer/consumer, the asyncio way: a bounded queue for backpressure,
//! `task_done`/`join` to know when every item is processed, and a graceful
//! `shutdown` to stop the consumers.
//!
//! The asyncio original (Python 3.13):
//!
//! ```python
//! async def producer(queue, jobs):
//!     for job in range(jobs):
//!         await queue.put(job)            # waits while the queue is full
//!         print(f"produced job {job} (queue size {queue.qsize()})")
//!
//! async def consumer(name, queue):
//!     done = 0
//!     while True:
//!         try:
//!             job = await queue.get()
//!         except asyncio.QueueShutDown:
//!             return done
//!         await asyncio.sleep(0.001)      # "process" the job
//!         print(f"{name} finished job {job}")
//!         done += 1
//!         queue.task_done()
//!
//! async def main():
//!     queue = asyncio.Queue(maxsize=3)
//!     consumers = [asyncio.create_task(consumer(f"consumer-{i}", queue)) for i in range(3)]
//!     await producer(queue, 12)
//!     await queue.join()                  # every job processed
//!     queue.shutdown()                    # consumers see QueueShutDown
//!     done = await asyncio.gather(*consumers)
//!     print(f"jobs per consumer: {done}")
//!
//! asyncio.run(main())
//! ```
//!
//! Run it with `cargo run --example producer_consumer`.

use std::time::Duration;

use ferrio::queue::{GetError, Queue};
use ferrio::Cancelled;

async fn producer(queue: Queue<u32>, jobs: u32) -> Result<(), Cancelled> {
    for job in 0..jobs {
        if let Err(e) = queue.put(job).await {
            // Cancelled, or the queue was shut down: the job comes back.
            println!("producer stopped: {e}");
            return Ok(());
        }
        println!("produced job {job} (queue size {})", queue.qsize());
    }
    Ok(())
}

async fn consumer(name: String, queue: Queue<u32>) -> Result<u32, Cancelled> {
    let mut done = 0;
    loop {
        let job = match queue.get().await {
            Ok(job) => job,
            Err(GetError::ShutDown(_)) => return Ok(done),
            Err(GetError::Cancelled(c)) => return Err(c),
        };
        ferrio::sleep(Duration::from_millis(1)).await?; // "process" the job
        println!("{name} finished job {job}");
        done += 1;
        queue
            .task_done()
            .expect("one task_done per job taken from the queue");
    }
}

fn main() {
    let done = ferrio::run(async {
        let queue = Queue::new(3);
        let consumers: Vec<_> = (0..3)
            .map(|i| ferrio::spawn(consumer(format!("consumer-{i}"), queue.clone())))
            .collect();
        producer(queue.clone(), 12).await?;
        queue.join().await?;
        queue.shutdown();
        let mut done = Vec::new();
        for consumer in consumers {
            done.push(consumer.await.expect("consumer failed")?);
        }
        Ok::<_, Cancelled>(done)
    })
    .expect("the event loop failed")
    .expect("main was cancelled");
    println!("jobs per consumer: {done:?}");
    assert_eq!(done.iter().sum::<u32>(), 12);
}
