//! The lessons that follow the timings, each a small run of its own:
//! failures reported while every other result is kept, and a blocking call
//! in a handler caught by debug mode.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ferrio::event_loop::ExceptionKind;
use ferrio::Handle;

use super::{fetch_items, start_mock, DemoConfig};
use crate::error::CliError;
use crate::fetch::{Discard, FetchConfig, Fetcher, StopHandle, Summary, UrlSource};

/// The failure lesson: `count` calls against a mock failing `fail_rate` of
/// them; the failures are reported by reason and the successes kept — what
/// asyncio's `gather(..., return_exceptions=True)` is for, and what a bare
/// `gather` throws away at the first error.
#[derive(Debug, Clone)]
pub struct FailureLesson {
    /// The fail rate the mock ran with.
    pub fail_rate: f64,
    /// The run.
    pub summary: Summary,
}

/// Runs the failure lesson.
///
/// # Errors
///
/// [`CliError::Io`] if the mock cannot listen.
pub async fn failure_lesson(config: &DemoConfig) -> Result<FailureLesson, CliError> {
    let server = start_mock(config, config.fail_rate).await?;
    let summary = fetch_items(&server, config.count, config.concurrency).await;
    let _ = server.shutdown().await;
    Ok(FailureLesson {
        fail_rate: config.fail_rate,
        summary: summary?,
    })
}

/// The blocking lesson: one handler calls `std::thread::sleep` on the loop
/// thread while other calls are in flight. Every task on the loop waits for
/// it; debug mode reports the slow poll with the handler task's name.
#[derive(Debug, Clone)]
pub struct BlockingLesson {
    /// How long the handler blocked.
    pub blocked_for: Duration,
    /// The other calls made at the same time.
    pub others: Summary,
    /// Debug mode's reports naming the blocking handler (slow polls).
    pub reports: Vec<String>,
}

/// Runs the blocking lesson, with debug mode on for its duration (and the
/// loop's exception handler and debug setting restored after it).
///
/// # Errors
///
/// [`CliError::Io`] if the mock cannot listen; [`CliError::Runtime`] outside
/// a ferrio loop.
pub async fn blocking_lesson(config: &DemoConfig) -> Result<BlockingLesson, CliError> {
    let handle = Handle::try_current()
        .ok_or_else(|| CliError::Runtime("the demo must run on a ferrio loop".into()))?;
    let server = start_mock(config, 0.0).await?;

    let reports = Rc::new(RefCell::new(Vec::new()));
    let seen = reports.clone();
    let was_debug = handle.debug();
    handle.set_debug(true);
    handle.set_exception_handler(Some(
        move |context: &ferrio::event_loop::ExceptionContext| {
            let names_blocking = context
                .task
                .as_ref()
                .is_some_and(|task| task.name.contains("/blocking/"));
            if matches!(context.kind, ExceptionKind::SlowPoll) && names_blocking {
                seen.borrow_mut().push(context.message.clone());
            }
        },
    ));

    let ms = config.blocking_for.as_millis();
    let others = (1..=config.concurrency as u32).map(|i| server.url(&format!("/item/{i}")));
    let urls =
        UrlSource::urls(std::iter::once(server.url(&format!("/blocking/{ms}"))).chain(others));
    let fetcher = Fetcher::new(FetchConfig {
        concurrency: config.concurrency + 1,
        ..FetchConfig::default()
    })?;
    let summary = fetcher.run(urls, &mut Discard, &StopHandle::new()).await;

    handle.set_debug(was_debug);
    handle.set_exception_handler(None::<fn(&ferrio::event_loop::ExceptionContext)>);
    let _ = server.shutdown().await;
    let reports = reports.borrow().clone();
    Ok(BlockingLesson {
        blocked_for: config.blocking_for,
        others: summary?,
        reports,
    })
}
