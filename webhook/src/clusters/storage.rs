//! Keeps one cluster's StorageClasses in the directory, from a list-then-watch of the
//! cluster's API server, and probes that API server so an outage is known at once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use multicloud_api::clusters::StorageClassInfo;
use multicloud_runtime::report::error_chain;

use super::directory::{Directory, Generation};

/// First wait before re-listing after a failure; doubled up to [`MAX_BACKOFF`].
const INITIAL_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between two attempts to reach a cluster that is down.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Follows the StorageClasses of `cluster` until the task is aborted.
///
/// Each failure marks the cluster unreachable with the error and starts a fresh watcher after
/// a backoff; a fresh watcher lists everything again, so the cluster is ready again exactly
/// when a list has succeeded.
pub async fn follow_storage_classes(
    client: Client,
    directory: Arc<Directory>,
    cluster: String,
    generation: Generation,
) {
    let api: Api<StorageClass> = Api::all(client);
    let mut backoff = INITIAL_BACKOFF;
    loop {
        let stream = watcher::watcher(api.clone(), watcher::Config::default());
        futures::pin_mut!(stream);
        let mut listing: Option<BTreeMap<String, StorageClassInfo>> = None;
        while let Some(event) = stream.next().await {
            match event {
                Ok(Event::Init) => listing = Some(BTreeMap::new()),
                Ok(Event::InitApply(class)) => {
                    let info = StorageClassInfo::from(&class);
                    listing
                        .get_or_insert_default()
                        .insert(info.name.clone(), info);
                }
                Ok(Event::InitDone) => {
                    let classes = listing.take().unwrap_or_default();
                    tracing::info!(%cluster, classes = classes.len(), "StorageClasses synced");
                    directory.update(&cluster, generation, |r| r.synced(classes));
                    backoff = INITIAL_BACKOFF;
                }
                Ok(Event::Apply(class)) => {
                    let info = StorageClassInfo::from(&class);
                    directory.update(&cluster, generation, |r| r.applied(info));
                }
                Ok(Event::Delete(class)) => {
                    let name = class.metadata.name.unwrap_or_default();
                    directory.update(&cluster, generation, |r| r.deleted(&name));
                }
                Err(watcher::Error::WatchError(status)) => {
                    // The API server answered (e.g. 410 Gone): it is reachable; relist.
                    tracing::debug!(%cluster, %status, "StorageClass watch expired; relisting");
                    break;
                }
                Err(error) => {
                    let reason = error_chain(&error);
                    tracing::warn!(%cluster, %reason, "StorageClass watch failed");
                    // The global cluster is the one calling us: while its watch is broken the
                    // last complete list is still the best knowledge, so keep serving it.
                    // A registered cluster that fails is reported, so requests are told why.
                    if cluster != multicloud_api::keys::LOCAL_CLUSTER {
                        directory.update(&cluster, generation, |r| r.watch_failed(reason));
                    }
                    break;
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Asks the API server of `cluster` for `/readyz` every `interval`, recording whether it
/// answered in time. Any HTTP answer below 500 counts as reachable: the webhook only needs to
/// know the server is there, not what this kubeconfig may read. A refused or failed request
/// counts at once; a request left unanswered only the second time in a row (see
/// [`recorded`]).
pub async fn probe(
    client: Client,
    directory: Arc<Directory>,
    cluster: String,
    generation: Generation,
    interval: Duration,
) {
    let timeout = interval.max(Duration::from_secs(1));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut was_healthy = true;
    let mut silent_in_a_row: u32 = 0;
    loop {
        ticker.tick().await;
        let request = http::Request::get("/readyz").body(Vec::new());
        let Ok(request) = request else { return };
        let answer = tokio::time::timeout(timeout, client.request_text(request)).await;
        silent_in_a_row = if answer.is_err() {
            silent_in_a_row.saturating_add(1)
        } else {
            0
        };
        let result = match answer {
            Err(_) => Err(format!(
                "its API server did not answer /readyz within {}s",
                timeout.as_secs_f64()
            )),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(kube::Error::Api(status))) if status.code < 500 => Ok(()),
            Ok(Err(error)) => Err(format!(
                "its API server does not answer: {}",
                error_chain(&error)
            )),
        };
        let Some(result) = recorded(result, silent_in_a_row) else {
            tracing::debug!(%cluster, "API server probe unanswered once; asking again");
            continue;
        };
        if result.is_ok() != was_healthy {
            match &result {
                Ok(()) => tracing::info!(%cluster, "API server answers again"),
                Err(reason) => tracing::warn!(%cluster, %reason, "API server probe failed"),
            }
            was_healthy = result.is_ok();
        }
        directory.update(&cluster, generation, |r| r.probed(result));
    }
}

/// What a probe's `result` changes, given how many probes in a row (this one included) got no
/// answer in time: nothing after the first unanswered one, so that one slow answer of a busy
/// API server denies no request; a refused connection or an error answer, which are certain,
/// and a second silence are recorded.
fn recorded(result: Result<(), String>, silent_in_a_row: u32) -> Option<Result<(), String>> {
    (silent_in_a_row != 1).then_some(result)
}

#[cfg(test)]
mod tests {
    use super::recorded;

    #[test]
    fn one_unanswered_probe_changes_nothing_and_a_second_is_recorded() {
        let silent = || Err("its API server did not answer /readyz within 1s".to_owned());
        assert_eq!(recorded(silent(), 1), None);
        assert_eq!(recorded(silent(), 2), Some(silent()));
        assert_eq!(recorded(silent(), 3), Some(silent()));
    }

    #[test]
    fn answers_and_refusals_are_recorded_at_once() {
        assert_eq!(recorded(Ok(()), 0), Some(Ok(())));
        let refused = Err("its API server does not answer: connection refused".to_owned());
        assert_eq!(recorded(refused.clone(), 0), Some(refused));
    }
}
