//! Batches at cloud scale: items run on `--jobs` workers under an AIMD cap that the service's
//! throttling lowers, at most `--max-rate` calls a second; an item the service throttled past
//! its engine's own retries goes back to the queue; Ctrl-C stops new starts. The journal
//! (`journal`) makes a batch resumable; `summary` gives the account of every item.
//!
//! Where the batch sees a throttle: the cloud engines retry a throttled call themselves (with
//! backoff and jitter, shown as status lines), and call `RunContext::pushback` before each such
//! retry, with the service's `Retry-After` when it sent one; the batch turns that into a lower
//! cap. A call still throttled after the engine's last attempt ends the item with a throttling
//! error, which the batch does not count as a failure but queues again (`Settings::requeues`).

pub mod journal;
pub mod limiter;
pub mod summary;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::edit::engine::Pushback;
use crate::error::{Error, Result};
use limiter::{CapChange, Limiter, Permit, RateLimit};

/// Service error codes that mean "slow down": the call may succeed later, at a lower rate.
pub fn is_throttle_code(code: &str) -> bool {
    matches!(
        code,
        "ThrottlingException"
            | "ModelNotReadyException"
            | "ServiceUnavailableException"
            | "TooManyRequestsException"
            | "HTTP429"
            | "HTTP503"
    )
}

/// Whether an item's error is the service throttling it (worth queueing again).
pub fn is_throttle(e: &Error) -> bool {
    matches!(e, Error::Service { code, .. } if is_throttle_code(code))
}

/// How a batch runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Items at most in flight (`--jobs`).
    pub jobs: usize,
    /// Calls a second at most (`--max-rate`).
    pub max_rate: Option<f64>,
    /// Calls one item makes (for `max_rate`).
    pub calls_per_item: u32,
    /// How often one item throttled past its engine's retries goes back to the queue.
    pub requeues: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            jobs: 1,
            max_rate: None,
            calls_per_item: 1,
            requeues: 8,
        }
    }
}

/// Ctrl-C's two steps: stop starting items, then cancel those in flight.
#[derive(Debug, Default)]
pub struct Stop {
    requested: AtomicBool,
    cancel: CancellationToken,
}

impl Stop {
    /// No new item starts after this.
    pub fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
    }

    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// The items in flight give up (their engines watch the token).
    pub fn cancel_in_flight(&self) {
        self.request();
        self.cancel.cancel();
    }

    /// The token the runs of items in flight watch.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

/// What one item's work gets from the batch.
pub struct Item {
    /// The item's place in the batch.
    pub index: usize,
    /// How often it was queued again after throttling (0 on its first try).
    pub requeued: u32,
    permit: Arc<Permit>,
    pushed_back: Arc<AtomicBool>,
}

impl Item {
    /// The callback for `RunContext::pushback`: lowers the batch's cap when the service
    /// throttles this item's calls.
    pub fn pushback(&self) -> Arc<dyn Fn(Pushback) + Send + Sync> {
        let permit = Arc::clone(&self.permit);
        let seen = Arc::clone(&self.pushed_back);
        Arc::new(move |p: Pushback| {
            seen.store(true, Ordering::Relaxed);
            log_change(permit.throttled(p.retry_after), Some(&p.code));
        })
    }
}

fn log_change(change: Option<CapChange>, throttle: Option<&str>) {
    let Some(c) = change else { return };
    match throttle {
        Some(code) => tracing::info!(
            "{code}: backing off, at most {} in flight (was {}; {} in flight now)",
            c.to,
            c.from,
            c.in_flight
        ),
        None => tracing::info!(
            "calls succeed: at most {} in flight (was {}; {} in flight now)",
            c.to,
            c.from,
            c.in_flight
        ),
    }
}

/// A batch's scheduler.
pub struct Batch {
    settings: Settings,
    limiter: Arc<Limiter>,
    rate: Option<RateLimit>,
    stop: Arc<Stop>,
}

impl Batch {
    pub fn new(settings: Settings, stop: Arc<Stop>) -> Self {
        let rate = settings
            .max_rate
            .filter(|r| *r > 0.0)
            .map(|r| RateLimit::new(r, settings.calls_per_item));
        Batch {
            limiter: Arc::new(Limiter::new(settings.jobs)),
            rate,
            settings,
            stop,
        }
    }

    /// Items in flight now, and the cap on them.
    pub fn in_flight(&self) -> (usize, usize) {
        let (cap, n) = self.limiter.snapshot();
        (n, cap)
    }

    /// Runs `work` on items `0..count` in that order of starting, up to `jobs` at once. Returns
    /// each item's result, or None for those not started (Ctrl-C). `work` is called again for an
    /// item whose error is a throttle, up to `requeues` times, after the items queued meanwhile.
    pub fn run<T, F>(&self, count: usize, work: F) -> Vec<Option<Result<T>>>
    where
        T: Send,
        F: Fn(&Item) -> Result<T> + Sync,
    {
        let queue: Mutex<VecDeque<usize>> = Mutex::new((0..count).collect());
        let results: Vec<Mutex<Option<Result<T>>>> = (0..count).map(|_| Mutex::new(None)).collect();
        let requeued: Vec<AtomicU32> = (0..count).map(|_| AtomicU32::new(0)).collect();
        // items not yet settled: a worker with an empty queue waits while one may come back
        let unsettled = AtomicUsize::new(count);
        let stop = || self.stop.requested();
        let workers = self.settings.jobs.clamp(1, count.max(1));
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        if stop() || unsettled.load(Ordering::SeqCst) == 0 {
                            return;
                        }
                        let Some(permit) = self.limiter.acquire(&stop) else {
                            return;
                        };
                        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                        let Some(index) = next else {
                            drop(permit);
                            std::thread::sleep(Duration::from_millis(20));
                            continue;
                        };
                        if let Some(rate) = &self.rate
                            && !rate.take(self.settings.calls_per_item, &stop)
                        {
                            // stopped while waiting: the item was not started
                            queue
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push_front(index);
                            return;
                        }
                        let item = Item {
                            index,
                            requeued: requeued[index].load(Ordering::SeqCst),
                            permit: Arc::new(permit),
                            pushed_back: Arc::new(AtomicBool::new(false)),
                        };
                        let result = work(&item);
                        match &result {
                            Ok(_) => log_change(item.permit.succeeded(), None),
                            Err(e) if is_throttle(e) => {
                                if !item.pushed_back.load(Ordering::Relaxed) {
                                    log_change(item.permit.throttled(None), Some("throttled"));
                                }
                                let again = requeued[index].fetch_add(1, Ordering::SeqCst) + 1;
                                if again <= self.settings.requeues && !stop() {
                                    tracing::info!(
                                        item = index,
                                        "still throttled after the engine's retries: queued again ({again} of {})",
                                        self.settings.requeues
                                    );
                                    queue
                                        .lock()
                                        .unwrap_or_else(|p| p.into_inner())
                                        .push_back(index);
                                    continue;
                                }
                            }
                            Err(_) => {}
                        }
                        *results[index].lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
                        unsettled.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn throttle() -> Error {
        Error::service("ThrottlingException", "Too many requests")
    }

    #[test]
    fn items_run_at_once_up_to_jobs_and_results_keep_their_places() {
        let batch = Batch::new(
            Settings {
                jobs: 4,
                ..Settings::default()
            },
            Arc::default(),
        );
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let t = Instant::now();
        let out = batch.run(12, |item| {
            let n = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(n, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            running.fetch_sub(1, Ordering::SeqCst);
            if item.index == 5 {
                Err(Error::Input("bad item".into()))
            } else {
                Ok(item.index * 10)
            }
        });
        // 4 in flight at once, never more: what makes the batch faster (timed in benches, not
        // here, where a loaded machine would make a wall-clock bound flaky)
        assert_eq!(peak.load(Ordering::SeqCst), 4);
        let _ = t;
        for (i, r) in out.iter().enumerate() {
            match r {
                Some(Ok(v)) => assert_eq!(*v, i * 10),
                Some(Err(e)) => assert_eq!((i, e.to_string().as_str()), (5, "bad item")),
                None => panic!("{i} not run"),
            }
        }
    }

    #[test]
    fn throttled_items_come_back_and_the_cap_backs_off() {
        let batch = Batch::new(
            Settings {
                jobs: 8,
                ..Settings::default()
            },
            Arc::default(),
        );
        // the first 12 answers are throttles
        let answers = AtomicUsize::new(0);
        let out = batch.run(10, |item| {
            std::thread::sleep(Duration::from_millis(5));
            if answers.fetch_add(1, Ordering::SeqCst) < 12 {
                (item.pushback())(Pushback {
                    code: "ThrottlingException".into(),
                    retry_after: None,
                });
                return Err(throttle());
            }
            Ok(item.requeued)
        });
        assert!(out.iter().all(|r| matches!(r, Some(Ok(_)))), "{out:?}");
        assert!(out.iter().any(|r| matches!(r, Some(Ok(n)) if *n > 0)));
        let (in_flight, cap) = batch.in_flight();
        assert_eq!(in_flight, 0);
        assert!(cap < 8, "the cap backed off: {cap}");
    }

    #[test]
    fn a_throttle_past_the_requeues_is_a_failure_and_stop_leaves_the_rest() {
        let batch = Batch::new(
            Settings {
                jobs: 2,
                requeues: 2,
                ..Settings::default()
            },
            Arc::default(),
        );
        let calls = AtomicUsize::new(0);
        let out: Vec<Option<Result<()>>> = batch.run(1, |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(throttle())
        });
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert!(matches!(&out[0], Some(Err(e)) if is_throttle(e)));

        let stop = Arc::new(Stop::default());
        let batch = Batch::new(
            Settings {
                jobs: 2,
                ..Settings::default()
            },
            Arc::clone(&stop),
        );
        let out = batch.run(20, |item| {
            if item.index == 3 {
                stop.request();
            }
            Ok(())
        });
        let started = out.iter().filter(|r| r.is_some()).count();
        assert!((4..=6).contains(&started), "{started}");
        assert!(out[19].is_none());
    }

    #[test]
    fn max_rate_spaces_the_starts() {
        let batch = Batch::new(
            Settings {
                jobs: 8,
                max_rate: Some(25.0),
                ..Settings::default()
            },
            Arc::default(),
        );
        let t = Instant::now();
        let out = batch.run(6, |_| Ok(()));
        assert_eq!(out.len(), 6);
        // one at once, then one every 40 ms
        assert!(
            t.elapsed() >= Duration::from_millis(190),
            "{:?}",
            t.elapsed()
        );
    }
}
