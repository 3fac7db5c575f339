//! `hedge` on the virtual clock: when the backup starts, which answer
//! wins, failures, the attempt limit, and the losers' cleanup.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use ferrio::Cancelled;
use ferrio_resilience::hedge::hedge;
use ferrio_resilience::race::{Failure, FirstOkError};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[derive(Debug)]
enum Error {
    Down(u32),
    Cancelled(#[allow(dead_code)] Cancelled),
}

/// Attempt `n` (from 1) takes `plan[n-1].0` ms and then returns
/// `plan[n-1].1`; records start times and cleanups.
struct Plan {
    plan: Vec<(u64, bool)>,
    starts: RefCell<Vec<Duration>>,
    cleaned: RefCell<Vec<u32>>,
    start: Cell<Option<std::time::Instant>>,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Down(n) => write!(f, "attempt {n} failed"),
            Error::Cancelled(c) => write!(f, "{c}"),
        }
    }
}

impl Plan {
    fn new(plan: &[(u64, bool)]) -> Rc<Plan> {
        Rc::new(Plan {
            plan: plan.to_vec(),
            starts: RefCell::default(),
            cleaned: RefCell::default(),
            start: Cell::new(None),
        })
    }

    fn attempt(self: &Rc<Self>) -> impl std::future::Future<Output = Result<u32, Error>> + 'static {
        let start = *self.start.get().get_or_insert_with(ferrio::now);
        self.start.set(Some(start));
        self.starts.borrow_mut().push(ferrio::now() - start);
        let n = self.starts.borrow().len() as u32;
        let (took, ok) = self.plan[n as usize - 1];
        let me = self.clone();
        async move {
            if let Err(c) = ferrio::sleep(ms(took)).await {
                ferrio::sleep(ms(5)).await.unwrap();
                me.cleaned.borrow_mut().push(n);
                return Err(Error::Cancelled(c));
            }
            if ok {
                Ok(n)
            } else {
                Err(Error::Down(n))
            }
        }
    }
}

#[ferrio::test]
async fn a_fast_first_attempt_needs_no_hedge() {
    let plan = Plan::new(&[(50, true), (10, true)]);
    let start = ferrio::now();
    let p = plan.clone();
    assert_eq!(hedge(ms(100), move || p.attempt()).await.unwrap(), 1);
    assert_eq!(ferrio::now() - start, ms(50));
    assert_eq!(*plan.starts.borrow(), [ms(0)]);
}

#[ferrio::test]
async fn a_slow_first_attempt_gets_a_backup_and_the_first_success_wins() {
    let plan = Plan::new(&[(1000, true), (30, true)]);
    let start = ferrio::now();
    let p = plan.clone();
    assert_eq!(hedge(ms(100), move || p.attempt()).await.unwrap(), 2);
    // Backup at 100 ms, answered at 130 ms; the first attempt cancelled, 5 ms cleanup.
    assert_eq!(*plan.starts.borrow(), [ms(0), ms(100)]);
    assert_eq!(*plan.cleaned.borrow(), [1]);
    assert_eq!(ferrio::now() - start, ms(135));
}

#[ferrio::test]
async fn the_original_can_still_win_after_the_hedge_started() {
    let plan = Plan::new(&[(150, true), (200, true)]);
    let p = plan.clone();
    let start = ferrio::now();
    assert_eq!(hedge(ms(100), move || p.attempt()).await.unwrap(), 1);
    assert_eq!(*plan.cleaned.borrow(), [2]);
    assert_eq!(ferrio::now() - start, ms(155));
}

#[ferrio::test]
async fn a_failure_starts_the_next_attempt_at_once() {
    let plan = Plan::new(&[(20, false), (40, true), (10, true)]);
    let p = plan.clone();
    let v = hedge(ms(100), move || p.attempt())
        .max_attempts(3)
        .await
        .unwrap();
    assert_eq!(v, 2);
    // Attempt 2 starts at 20 ms, when attempt 1 fails, and answers at 60 ms,
    // before attempt 3 would start (one delay after attempt 2, at 120 ms).
    assert_eq!(*plan.starts.borrow(), [ms(0), ms(20)]);
}

#[ferrio::test]
async fn three_attempts_one_delay_apart() {
    let plan = Plan::new(&[(1000, true), (1000, true), (10, true)]);
    let p = plan.clone();
    let start = ferrio::now();
    let v = hedge(ms(100), move || p.attempt())
        .max_attempts(3)
        .await
        .unwrap();
    assert_eq!(v, 3);
    assert_eq!(*plan.starts.borrow(), [ms(0), ms(100), ms(200)]);
    let mut cleaned = plan.cleaned.borrow().clone();
    cleaned.sort();
    assert_eq!(cleaned, [1, 2]);
    assert_eq!(ferrio::now() - start, ms(215));
}

#[ferrio::test]
async fn when_every_attempt_fails_all_failures_come_back() {
    let plan = Plan::new(&[(10, false), (10, false)]);
    let p = plan.clone();
    let err = hedge(ms(100), move || p.attempt()).await.unwrap_err();
    let failed: Vec<u32> = err
        .failures()
        .unwrap()
        .iter()
        .map(|f| match f {
            Failure::Error(Error::Down(n)) => *n,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(failed, [1, 2]);
    assert!(err.to_string().starts_with("all 2 attempts failed"));
}

#[ferrio::test]
async fn cancelling_the_caller_cancels_both_attempts_and_waits() {
    let plan = Plan::new(&[(1000, true), (1000, true)]);
    let p = plan.clone();
    let caller = ferrio::spawn(async move {
        match hedge(ms(100), move || p.attempt()).await {
            Err(FirstOkError::Cancelled(c)) => Err::<u32, _>(c),
            other => panic!("{other:?}"),
        }
    });
    ferrio::sleep(ms(500)).await.unwrap();
    caller.cancel();
    let at = ferrio::now();
    assert!(caller.await.unwrap_err().is_cancelled());
    assert_eq!(ferrio::now() - at, ms(5));
    let mut cleaned = plan.cleaned.borrow().clone();
    cleaned.sort();
    assert_eq!(cleaned, [1, 2]);
}

#[ferrio::test]
async fn cancelled_before_the_hedge_starts_cancels_the_first_and_starts_none() {
    let plan = Plan::new(&[(1000, true), (1000, true)]);
    let p = plan.clone();
    let caller = ferrio::spawn(async move {
        match hedge(ms(100), move || p.attempt()).await {
            Err(FirstOkError::Cancelled(c)) => Err::<u32, _>(c),
            other => panic!("{other:?}"),
        }
    });
    ferrio::sleep(ms(50)).await.unwrap();
    caller.cancel();
    assert!(caller.await.unwrap_err().is_cancelled());
    assert_eq!(*plan.starts.borrow(), [ms(0)]);
    assert_eq!(*plan.cleaned.borrow(), [1]);
}
