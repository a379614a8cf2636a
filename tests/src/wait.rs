//! Bounded waiting: every wait of an end-to-end test polls with a deadline and fails with what
//! it last saw, never hangs and never sleeps in place of an assertion.

use std::future::Future;
use std::time::Duration;

/// Bound on anything a test waits for; namespace deletion by kube-controller-manager is the
/// slowest, a few seconds.
pub const WAIT: Duration = Duration::from_secs(60);

/// Polls `probe` every 200 ms until it yields a value, for at most [`WAIT`]; panics with the
/// last reason it gave otherwise.
pub async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    eventually_within(WAIT, what, probe).await
}

/// [`eventually`] with another bound.
pub async fn eventually_within<T, F, Fut>(limit: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let last = match probe().await {
            Ok(value) => return value,
            Err(why) => why,
        };
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {limit:?} waiting for {what}; last seen: {last}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
