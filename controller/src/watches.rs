//! How the controller's watches survive API server outages: each retries on its own, soon, and
//! its errors go no further.
//!
//! kube-runtime's `Controller` pauses *all* its triggers whenever any trigger stream yields an
//! error, with an exponential backoff that only resets when an object gets through. After an API
//! server restart every watch fails in turn (refused connections, then `410 Gone` for the
//! resourceVersion it held), so those pauses compound: the controller was seen blind to every
//! change, deletions included, for over a minute after the API server was back. Here each watch
//! waits out its own short backoff and the `Controller` never sees an error, so one failing watch
//! never holds up the others.

use std::hash::Hash;
use std::time::Duration;

use futures::{Stream, StreamExt, future};
use kube::runtime::WatchStreamExt;
use kube::runtime::reflector::{Lookup, Store};
use kube::runtime::utils::Backoff;
use kube::runtime::watcher;
use tokio::sync::watch;

/// First retry delay of a failed watch.
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// Longest retry delay of a failed watch: the controller runs four watches, so even an API server
/// that is down for long sees less than one request a second from them.
const MAX_RETRY: Duration = Duration::from_secs(5);

/// Retry delays of one watch: 0.5 s, doubling up to 5 s, back to 0.5 s once an event arrives.
#[derive(Debug, Clone)]
pub struct WatchBackoff {
    next: Duration,
}

impl Default for WatchBackoff {
    fn default() -> Self {
        Self { next: FIRST_RETRY }
    }
}

impl Iterator for WatchBackoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let delay = self.next;
        self.next = delay.saturating_mul(2).min(MAX_RETRY);
        Some(delay)
    }
}

impl Backoff for WatchBackoff {
    fn reset(&mut self) {
        self.next = FIRST_RETRY;
    }
}

/// `stream` (a watch, possibly reflected into a store) retried with its own [`WatchBackoff`],
/// its errors logged and dropped.
pub fn retrying<T, S>(
    stream: S,
    what: impl Into<String>,
) -> impl Stream<Item = Result<T, watcher::Error>>
where
    S: Stream<Item = Result<T, watcher::Error>>,
{
    let what = what.into();
    stream
        .backoff(WatchBackoff::default())
        .filter_map(move |item| {
            future::ready(match item {
                Ok(object) => Some(Ok(object)),
                Err(error) => {
                    tracing::debug!(watch = %what, %error, "watch failed; retrying");
                    None
                }
            })
        })
}

/// Whether a watch cache has been filled, for any number of waiters at once.
///
/// kube-runtime's `Store::wait_until_ready` keeps one waker only (a oneshot receiver behind a
/// lock): of the reconciles that wait on it together after a start, only the last to poll was
/// woken when the cache filled, and the others sat out their whole time limit
/// (`--remote-timeout`) before failing and being retried. Here a single task waits on the store
/// and publishes the answer on a watch channel, which wakes every waiter.
#[derive(Debug, Clone)]
pub struct Readiness(watch::Receiver<bool>);

impl Readiness {
    /// The readiness of `store`, watched by a task of its own.
    pub fn of<K>(store: Store<K>) -> Self
    where
        K: Lookup + Clone + Send + Sync + 'static,
        K::DynamicType: Eq + Hash + Clone + Send + Sync,
    {
        let (ready, readiness) = watch::channel(false);
        tokio::spawn(async move {
            // An error means the writer is gone (shutdown): the cache never fills.
            if store.wait_until_ready().await.is_ok() {
                let _ = ready.send(true);
            }
        });
        Self(readiness)
    }

    /// Waits until the cache is filled; `false` when it never will be.
    pub async fn wait(&self) -> bool {
        let mut readiness = self.0.clone();
        readiness.wait_for(|ready| *ready).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use futures::stream;

    use super::*;

    fn failure() -> watcher::Error {
        watcher::Error::NoResourceVersion
    }

    #[test]
    fn retries_double_up_to_five_seconds_and_start_over_after_a_success() {
        let mut backoff = WatchBackoff::default();
        let delays: Vec<_> = backoff.by_ref().take(6).collect();
        assert_eq!(
            delays,
            [0.5, 1.0, 2.0, 4.0, 5.0, 5.0].map(Duration::from_secs_f64)
        );
        backoff.reset();
        assert_eq!(backoff.next(), Some(FIRST_RETRY));
    }

    #[tokio::test]
    async fn every_waiter_is_woken_when_the_cache_fills() {
        use k8s_openapi::api::core::v1::Namespace;
        use kube::runtime::reflector;

        let (store, mut writer) = reflector::store::<Namespace>();
        let readiness = Readiness::of(store);
        // Sixteen reconciles waiting at once, as after a start with the default concurrency.
        let waiters: Vec<_> = (0..16)
            .map(|_| {
                let readiness = readiness.clone();
                tokio::spawn(async move { readiness.wait().await })
            })
            .collect();
        tokio::task::yield_now().await;
        writer.apply_watcher_event(&watcher::Event::Init);
        writer.apply_watcher_event(&watcher::Event::InitDone);
        for waiter in waiters {
            let woken = tokio::time::timeout(Duration::from_secs(5), waiter).await;
            assert!(matches!(woken, Ok(Ok(true))), "a waiter was not woken");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn errors_are_retried_here_and_never_reach_the_controller() {
        // Eight failures in a row, as a watch sees them while the API server is down: the
        // Controller must get the object that follows, and no error to pause its triggers on.
        let items = (0..8).map(|_| Err(failure())).chain([Ok("instance")]);
        let started = tokio::time::Instant::now();
        let passed: Vec<_> = retrying(stream::iter(items), "test").collect().await;
        assert_eq!(passed.len(), 1);
        assert!(matches!(passed[0], Ok("instance")));
        // 0.5 + 1 + 2 + 4 + 5 + 5 + 5 + 5 seconds of backoff (the paused clock jumps from one
        // deadline to the next, rounding each up to the millisecond): never more than 5 s at once.
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(27_500) && waited < Duration::from_millis(27_600),
            "waited {waited:?}"
        );
    }
}
