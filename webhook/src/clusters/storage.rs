//! Keeps one cluster's StorageClasses in the directory, from a list-then-watch of the
//! cluster's API server, and probes that API server so an outage is known at once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::storage::v1::StorageClass;
use kube::runtime::watcher;
use kube::{Api, Client};
use multicloud_api::clusters::StorageClassInfo;
use multicloud_runtime::report::error_chain;
use multicloud_runtime::watch::{self, Index};

use super::directory::{Directory, Generation};

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
    let what = format!("StorageClasses of {cluster}");
    let mut index = StorageClasses {
        directory,
        cluster,
        generation,
    };
    watch::follow(
        Api::all(client),
        watcher::Config::default(),
        &what,
        &mut index,
    )
    .await;
}

/// What one cluster's StorageClass watch keeps: its record in the directory.
struct StorageClasses {
    directory: Arc<Directory>,
    cluster: String,
    generation: Generation,
}

impl Index<StorageClass> for StorageClasses {
    async fn apply(&mut self, class: StorageClass) {
        let info = StorageClassInfo::from(&class);
        self.directory
            .update(&self.cluster, self.generation, |r| r.applied(info));
    }

    async fn delete(&mut self, class: StorageClass) {
        let name = class.metadata.name.unwrap_or_default();
        self.directory
            .update(&self.cluster, self.generation, |r| r.deleted(&name));
    }

    async fn reset(&mut self, classes: Vec<StorageClass>) {
        let classes: BTreeMap<String, StorageClassInfo> = classes
            .iter()
            .map(StorageClassInfo::from)
            .map(|info| (info.name.clone(), info))
            .collect();
        let cluster = &self.cluster;
        tracing::info!(%cluster, classes = classes.len(), "StorageClasses synced");
        self.directory
            .update(cluster, self.generation, |r| r.synced(classes));
    }

    fn failed(&mut self, reason: &str) {
        // The global cluster is the one calling us: while its watch is broken the last
        // complete list is still the best knowledge, so keep serving it. A registered cluster
        // that fails is reported, so requests are told why.
        if self.cluster != multicloud_api::keys::LOCAL_CLUSTER {
            let reason = reason.to_owned();
            self.directory
                .update(&self.cluster, self.generation, |r| r.watch_failed(reason));
        }
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
