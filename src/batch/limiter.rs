//! How many items of a batch run at once and how fast they start: an AIMD cap on the items in
//! flight (halved when the service throttles, one more per window of successes, never above
//! `--jobs`), an optional `--max-rate` token bucket, and a pause the service can ask for with
//! `Retry-After`.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The longest single wait between checks of the stop flag, so Ctrl-C is seen at once.
const POLL: Duration = Duration::from_millis(50);

/// A change of the cap, for the log (`-v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapChange {
    pub from: usize,
    pub to: usize,
    pub in_flight: usize,
}

#[derive(Debug)]
struct State {
    cap: usize,
    in_flight: usize,
    /// Counts the decreases; a throttle seen by an item that started before the last decrease
    /// (its permit's epoch is older) is part of the same congestion and does not halve again.
    epoch: u64,
    successes: usize,
    not_before: Option<Instant>,
}

/// The AIMD limit on items in flight.
#[derive(Debug)]
pub struct Limiter {
    max: usize,
    state: Mutex<State>,
    freed: Condvar,
}

/// One item's place in flight; given back on drop.
#[derive(Debug)]
pub struct Permit {
    limiter: Arc<Limiter>,
    epoch: std::sync::atomic::AtomicU64,
}

impl Limiter {
    /// A limiter allowing up to `max` (at least 1) items at once, starting at `max`.
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Limiter {
            max,
            state: Mutex::new(State {
                cap: max,
                in_flight: 0,
                epoch: 0,
                successes: 0,
                not_before: None,
            }),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cap and the number of items in flight now.
    pub fn snapshot(&self) -> (usize, usize) {
        let s = self.lock();
        (s.cap, s.in_flight)
    }

    /// Waits for a place under the cap (and for any `Retry-After` pause to end); None when
    /// `stop` turns true first.
    pub fn acquire(self: &Arc<Self>, stop: &dyn Fn() -> bool) -> Option<Permit> {
        let mut s = self.lock();
        loop {
            if stop() {
                return None;
            }
            let now = Instant::now();
            let paused = s.not_before.filter(|t| *t > now);
            if s.in_flight < s.cap && paused.is_none() {
                s.in_flight += 1;
                let epoch = s.epoch;
                return Some(Permit {
                    limiter: Arc::clone(self),
                    epoch: epoch.into(),
                });
            }
            let wait = paused.map_or(POLL, |t| (t - now).min(POLL));
            s = self
                .freed
                .wait_timeout(s, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn release(&self) {
        let mut s = self.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        drop(s);
        self.freed.notify_all();
    }
}

impl Permit {
    /// The service throttled this item's call: halves the cap (once per congestion event) and
    /// pauses new starts for `retry_after` when the service said how long. Returns the change.
    pub fn throttled(&self, retry_after: Option<Duration>) -> Option<CapChange> {
        use std::sync::atomic::Ordering;
        let l = &self.limiter;
        let mut s = l.lock();
        if let Some(d) = retry_after {
            let until = Instant::now() + d;
            if s.not_before.is_none_or(|t| t < until) {
                s.not_before = Some(until);
            }
        }
        s.successes = 0;
        let mine = self.epoch.load(Ordering::Relaxed);
        if mine < s.epoch {
            // an earlier throttle already answered this congestion; a further one from this
            // item (a retry after the decrease) counts again
            self.epoch.store(s.epoch, Ordering::Relaxed);
            return None;
        }
        let from = s.cap;
        s.cap = (s.cap / 2).max(1);
        s.epoch += 1;
        self.epoch.store(s.epoch, Ordering::Relaxed);
        (from != s.cap).then_some(CapChange {
            from,
            to: s.cap,
            in_flight: s.in_flight,
        })
    }

    /// This item's call succeeded: one more place after a window of `cap` successes.
    pub fn succeeded(&self) -> Option<CapChange> {
        let l = &self.limiter;
        let mut s = l.lock();
        s.successes += 1;
        if s.cap >= l.max || s.successes < s.cap {
            return None;
        }
        s.successes = 0;
        let from = s.cap;
        s.cap += 1;
        drop(s);
        l.freed.notify_all();
        let (to, in_flight) = l.snapshot();
        Some(CapChange {
            from,
            to,
            in_flight,
        })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.release();
    }
}

/// `--max-rate`: at most `rate` calls per second, evenly spaced (the bucket holds one item's
/// calls, so no burst goes past the rate).
#[derive(Debug)]
pub struct RateLimit {
    rate: f64,
    capacity: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimit {
    /// `rate` calls per second (> 0); an item takes `per_item` of them.
    pub fn new(rate: f64, per_item: u32) -> Self {
        let capacity = f64::from(per_item.max(1));
        RateLimit {
            rate,
            capacity,
            state: Mutex::new((capacity, Instant::now())),
        }
    }

    /// Takes `n` tokens, waiting as long as needed; false when `stop` turns true first.
    pub fn take(&self, n: u32, stop: &dyn Fn() -> bool) -> bool {
        let n = f64::from(n.max(1)).min(self.capacity);
        loop {
            if stop() {
                return false;
            }
            let wait = {
                let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                let (tokens, at) = *s;
                let filled =
                    (tokens + now.duration_since(at).as_secs_f64() * self.rate).min(self.capacity);
                if filled >= n {
                    *s = (filled - n, now);
                    return true;
                }
                *s = (filled, now);
                Duration::from_secs_f64((n - filled) / self.rate)
            };
            std::thread::sleep(wait.min(POLL));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    const NEVER: &dyn Fn() -> bool = &|| false;

    #[test]
    fn the_cap_halves_once_per_congestion_and_grows_by_one_per_window() {
        let l = Arc::new(Limiter::new(8));
        let permits: Vec<_> = (0..8).map(|_| l.acquire(NEVER).unwrap()).collect();
        assert_eq!(l.snapshot(), (8, 8));
        // all eight throttled at once: one halving, not eight
        let changes: Vec<_> = permits.iter().filter_map(|p| p.throttled(None)).collect();
        assert_eq!(
            changes,
            [CapChange {
                from: 8,
                to: 4,
                in_flight: 8
            }]
        );
        // the same items throttled again on their retries: congestion goes on, halve again
        assert_eq!(permits[1].throttled(None).map(|c| c.to), Some(2));
        drop(permits);
        assert_eq!(l.snapshot(), (2, 0));
        let p = l.acquire(NEVER).unwrap();
        assert_eq!(p.succeeded(), None);
        assert_eq!(p.succeeded().map(|c| (c.from, c.to)), Some((2, 3)));
        for _ in 0..100 {
            p.succeeded();
        }
        assert_eq!(l.snapshot().0, 8, "never above --jobs");
        drop(p);
        // one place at least, however hard the throttling
        for _ in 0..10 {
            let q = l.acquire(NEVER).unwrap();
            q.throttled(None);
        }
        assert_eq!(l.snapshot().0, 1);
    }

    #[test]
    fn no_more_than_the_cap_run_at_once_and_stop_wakes_waiters() {
        let l = Arc::new(Limiter::new(3));
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..12 {
                s.spawn(|| {
                    let _p = l.acquire(NEVER).unwrap();
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        let _held: Vec<_> = (0..3).map(|_| l.acquire(NEVER).unwrap()).collect();
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| l.acquire(&|| stop.load(Ordering::SeqCst)).is_none());
            std::thread::sleep(Duration::from_millis(20));
            stop.store(true, Ordering::SeqCst);
            assert!(waiter.join().unwrap());
        });
    }

    #[test]
    fn retry_after_pauses_new_starts() {
        let l = Arc::new(Limiter::new(4));
        let p = l.acquire(NEVER).unwrap();
        p.throttled(Some(Duration::from_millis(150)));
        drop(p);
        let t = Instant::now();
        let _q = l.acquire(NEVER).unwrap();
        assert!(
            t.elapsed() >= Duration::from_millis(140),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn the_rate_limit_spaces_starts() {
        let r = RateLimit::new(20.0, 1);
        let t = Instant::now();
        for _ in 0..6 {
            assert!(r.take(1, NEVER));
        }
        // the first is free, the other five wait 50 ms each
        let e = t.elapsed();
        assert!(
            e >= Duration::from_millis(240) && e < Duration::from_secs(2),
            "{e:?}"
        );
        let slow = RateLimit::new(0.01, 1);
        assert!(slow.take(1, NEVER));
        assert!(!slow.take(1, &|| true));
    }
}
