//! The cloud engines' one retry policy: a bounded number of attempts, waits that grow
//! exponentially with jitter (or what the service asked for in `Retry-After`), a throttle reported
//! to the batch so it can lower its rate, each wait said on the status line, and every wait cut
//! short by the run's cancel token. Each engine classifies its own failures into [`Failed`].

use std::future::Future;
use std::time::{Duration, Instant};

use crate::batch::is_throttle_code;
use crate::edit::engine::{Pushback, RunContext};
use crate::error::{Error, Result};

/// How many attempts, and the first wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub max_attempts: u32,
    pub base: Duration,
}

/// A note added to the error when the tries run out, from the attempts made and the time spent.
pub type GaveUp = Box<dyn Fn(u32, Duration) -> String + Send + Sync>;

/// One failed attempt, as the engine that made it classifies it.
pub struct Failed {
    pub error: Error,
    /// Whether another attempt may succeed.
    pub retryable: bool,
    /// How long the service asked to wait.
    pub retry_after: Option<Duration>,
    /// This failure's own limits, where the engine's do not fit it.
    pub policy: Option<Policy>,
    /// Retry for up to this long since the first attempt, however many attempts that takes.
    pub within: Option<Duration>,
    /// The failure as the status line says it before a retry.
    pub said: String,
    /// The note added when the tries run out; None: "gave up after N attempts in S s" when more
    /// than one was made.
    pub gave_up: Option<GaveUp>,
}

impl Failed {
    /// A failure that another attempt may or may not mend, with the engine's policy.
    pub fn new(error: Error, retryable: bool) -> Self {
        let said = error.to_string();
        Failed {
            error,
            retryable,
            retry_after: None,
            policy: None,
            within: None,
            said,
            gave_up: None,
        }
    }
}

/// Exponential backoff with jitter: between half and all of `base * 2^(attempt-1)`, at most 20 s.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let full = base
        .saturating_mul(1 << attempt.saturating_sub(1).min(10))
        .min(Duration::from_secs(20));
    let jitter = 0.5 + rand::random::<f64>() * 0.5;
    full.mul_f64(jitter)
}

/// Service error codes worth retrying (Bedrock's, also when the `/image-edit` API passes them on).
pub fn is_retryable_code(code: &str) -> bool {
    matches!(
        code,
        "ThrottlingException"
            | "ModelNotReadyException"
            | "InternalServerException"
            | "ServiceUnavailableException"
            | "ModelTimeoutException"
    )
}

/// Calls `call` (with the attempt's number, from 1) until it succeeds, fails for good, runs out
/// of attempts (or time) or the run is cancelled.
pub async fn with_retries<T, F, Fut>(policy: Policy, ctx: &RunContext, mut call: F) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = std::result::Result<T, Failed>>,
{
    let started = Instant::now();
    let mut attempt = 1;
    loop {
        let failed = match call(attempt).await {
            Ok(v) => return Ok(v),
            Err(f) => f,
        };
        let p = failed.policy.unwrap_or(policy);
        let delay = failed
            .retry_after
            .unwrap_or_else(|| backoff(p.base, attempt));
        let more = match failed.within {
            Some(limit) => started.elapsed() + delay < limit,
            None => attempt < p.max_attempts,
        };
        if !failed.retryable || !more || ctx.is_cancelled() {
            return Err(give_up(failed, attempt, started.elapsed()));
        }
        if let Error::Service { code, .. } = &failed.error
            && (failed.retry_after.is_some() || is_throttle_code(code))
        {
            (ctx.pushback)(Pushback {
                code: code.clone(),
                retry_after: failed.retry_after,
            });
        }
        let left = match failed.within {
            Some(limit) => format!(
                "retry {attempt} in {:.1} s, for up to {} s",
                delay.as_secs_f64(),
                limit.as_secs()
            ),
            None => format!(
                "retry {attempt} of {} in {:.1} s",
                p.max_attempts - 1,
                delay.as_secs_f64()
            ),
        };
        (ctx.status)(format!("{}: {left}", failed.said));
        ctx.sleep_unless_cancelled(delay).await?;
        attempt += 1;
    }
}

/// The error of the last attempt, with what the tries came to.
fn give_up(failed: Failed, attempt: u32, spent: Duration) -> Error {
    if !failed.retryable {
        return failed.error;
    }
    match &failed.gave_up {
        Some(note) => {
            let note = note(attempt, spent);
            failed.error.with_note(&note)
        }
        None if attempt > 1 => failed.error.with_note(&format!(
            " (gave up after {attempt} attempts in {:.1} s)",
            spent.as_secs_f64()
        )),
        None => failed.error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        let base = Duration::from_millis(100);
        for attempt in 1..8 {
            let d = backoff(base, attempt);
            let full = (base * (1 << (attempt - 1))).min(Duration::from_secs(20));
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
        assert!(backoff(Duration::from_secs(5), 30) <= Duration::from_secs(20));
    }

    fn quick(max_attempts: u32) -> Policy {
        Policy {
            max_attempts,
            base: Duration::from_millis(1),
        }
    }

    fn throttled() -> Failed {
        Failed::new(Error::service("ThrottlingException", "slow down"), true)
    }

    #[tokio::test]
    async fn retries_until_the_attempts_run_out_and_says_so() {
        let said = Arc::new(Mutex::new(Vec::new()));
        let pushed = Arc::new(Mutex::new(0));
        let (s, p) = (Arc::clone(&said), Arc::clone(&pushed));
        let ctx = RunContext {
            status: Arc::new(move |t| s.lock().unwrap().push(t)),
            pushback: Arc::new(move |_| *p.lock().unwrap() += 1),
            ..RunContext::default()
        };
        let mut calls = 0;
        let r: Result<()> = with_retries(quick(3), &ctx, |_| {
            calls += 1;
            async { Err(throttled()) }
        })
        .await;
        assert_eq!(calls, 3);
        let e = r.unwrap_err().to_string();
        assert!(
            e.starts_with("slow down (gave up after 3 attempts in "),
            "{e}"
        );
        assert_eq!(*pushed.lock().unwrap(), 2);
        let said = said.lock().unwrap();
        assert_eq!(said.len(), 2);
        assert!(
            said[0].starts_with("slow down: retry 1 of 2 in "),
            "{}",
            said[0]
        );
    }

    #[tokio::test]
    async fn a_final_failure_is_not_retried_and_a_success_ends_the_loop() {
        let ctx = RunContext::default();
        let mut calls = 0;
        let r: Result<()> = with_retries(quick(5), &ctx, |_| {
            calls += 1;
            async { Err(Failed::new(Error::Auth("no".into()), false)) }
        })
        .await;
        assert_eq!((calls, r.unwrap_err().to_string()), (1, "no".to_string()));
        let v = with_retries(quick(5), &ctx, |attempt| async move {
            if attempt < 3 {
                Err(throttled())
            } else {
                Ok(attempt)
            }
        })
        .await
        .unwrap();
        assert_eq!(v, 3);
    }

    #[tokio::test]
    async fn a_cancelled_run_stops_waiting() {
        let ctx = RunContext::default();
        ctx.cancel.cancel();
        let slow = Policy {
            max_attempts: 5,
            base: Duration::from_secs(60),
        };
        let mut calls = 0;
        let r: Result<()> = with_retries(slow, &ctx, |_| {
            calls += 1;
            async { Err(throttled()) }
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls, 1);
    }
}
