//! The controller's watches: each retries on its own with the one policy of
//! [`multicloud_runtime::watch::retrying`] (see there why the `Controller` must never see their
//! errors), and [`Readiness`] tells any number of reconciles when a cache has been filled.

use std::hash::Hash;

use kube::runtime::reflector::{Lookup, Store};
use tokio::sync::watch;

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
    use std::time::Duration;

    use kube::runtime::watcher;

    use super::*;

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
}
