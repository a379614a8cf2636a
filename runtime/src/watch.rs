//! The one watch driver: a list-then-watch of a kind, fed into an [`Index`] that holds what the
//! process knows of it (kubert's `index` traits), retried with the one [`Backoff`] policy.
//!
//! [`follow`] is for the watches a process keeps its own view from; [`retrying`] is for the
//! streams that feed a kube-runtime `Controller`, which keeps its view in reflector stores.
//! Both retry each watch on its own, so that one failing watch never holds up another.

use std::fmt::Debug;
use std::future::Future;

use futures::{Stream, StreamExt, future};
use kube::runtime::WatchStreamExt;
use kube::runtime::utils::Backoff as _;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;

use crate::backoff::Backoff;
use crate::report::error_chain;

/// What a process keeps of one kind of object, fed by [`follow`].
pub trait Index<K> {
    /// `object` was added or changed.
    fn apply(&mut self, object: K) -> impl Future<Output = ()> + Send;

    /// `object` is gone.
    fn delete(&mut self, object: K) -> impl Future<Output = ()> + Send;

    /// A complete list: everything else known is gone. The first one marks the index synced.
    fn reset(&mut self, objects: Vec<K>) -> impl Future<Output = ()> + Send;

    /// The watch failed for `reason` (already logged) and is retried after a backoff; the index
    /// keeps what it has unless it says otherwise here. An expired watch (`410 Gone`) is no
    /// failure: the API server answered, and the next list resets the index.
    fn failed(&mut self, reason: &str) {
        let _ = reason;
    }
}

/// Follows the objects of `api` that `config` selects into `index`, until the task is aborted.
/// After a failure a fresh watcher lists everything again, so the index is whole again exactly
/// when a list has succeeded. `what` names the watch in the log.
pub async fn follow<K, I>(api: Api<K>, config: watcher::Config, what: &str, index: &mut I)
where
    K: Resource + Clone + Debug + DeserializeOwned + Send + 'static,
    I: Index<K>,
{
    let mut backoff = Backoff::default();
    loop {
        let stream = watcher::watcher(api.clone(), config.clone());
        futures::pin_mut!(stream);
        let mut listing: Option<Vec<K>> = None;
        while let Some(event) = stream.next().await {
            match event {
                Ok(Event::Init) => listing = Some(Vec::new()),
                Ok(Event::InitApply(object)) => listing.get_or_insert_default().push(object),
                Ok(Event::InitDone) => {
                    index.reset(listing.take().unwrap_or_default()).await;
                    backoff.reset();
                }
                Ok(Event::Apply(object)) => index.apply(object).await,
                Ok(Event::Delete(object)) => index.delete(object).await,
                Err(watcher::Error::WatchError(status)) => {
                    tracing::debug!(watch = what, %status, "watch expired; relisting");
                    break;
                }
                Err(error) => {
                    let reason = error_chain(&error);
                    tracing::warn!(watch = what, %reason, "watch failed; retrying");
                    index.failed(&reason);
                    break;
                }
            }
        }
        tokio::time::sleep(backoff.next().unwrap_or(crate::backoff::MAX_RETRY)).await;
    }
}

/// `stream` (a watch, possibly reflected into a store) retried with its own [`Backoff`], its
/// errors logged and dropped: for the triggers of a kube-runtime `Controller`.
///
/// The `Controller` pauses *all* its triggers whenever any trigger stream yields an error, with
/// an exponential backoff that only resets when an object gets through. After an API server
/// restart every watch fails in turn (refused connections, then `410 Gone` for the
/// resourceVersion it held), so those pauses compound: a controller was seen blind to every
/// change, deletions included, for over a minute after the API server was back. Here each watch
/// waits out its own short backoff and the `Controller` never sees an error.
pub fn retrying<T, S>(
    stream: S,
    what: impl Into<String>,
) -> impl Stream<Item = Result<T, watcher::Error>>
where
    S: Stream<Item = Result<T, watcher::Error>>,
{
    let what = what.into();
    stream
        .backoff(Backoff::default())
        .filter_map(move |item| {
            future::ready(match item {
                Ok(object) => Some(Ok(object)),
                Err(error) => {
                    tracing::debug!(watch = %what, reason = %error_chain(&error), "watch failed; retrying");
                    None
                }
            })
        })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::stream;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn errors_are_retried_here_and_never_reach_the_controller() {
        // Eight failures in a row, as a watch sees them while the API server is down: the
        // Controller must get the object that follows, and no error to pause its triggers on.
        let items = (0..8)
            .map(|_| Err(watcher::Error::NoResourceVersion))
            .chain([Ok("instance")]);
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
