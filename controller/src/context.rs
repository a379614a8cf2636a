//! What every reconcile shares: clients, watch caches, metrics and per-instance retry state.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::Client;
use kube::api::Api;
use kube::runtime::reflector::{ObjectRef, Store};
use multicloud_api::karmada::Karmada;

use crate::clusters::ManagementClusters;
use crate::error::{Error, is_status};
use crate::events::Recorder;
use crate::members::MemberCounter;
use crate::metrics::Metrics;
use crate::watches::Readiness;

/// Timing of requeues and remote calls.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Requeue of unsettled instances.
    pub poll_interval: Duration,
    /// Requeue of settled instances.
    pub resync_interval: Duration,
    /// Limit of each call to a management cluster or an instance's Karmada API.
    pub remote_timeout: Duration,
    /// Limit of one whole reconcile, global cluster calls included.
    pub reconcile_timeout: Duration,
    /// How long an install or a spec change may take before the instance is reported Failed.
    pub install_timeout: Duration,
    /// How long karmada-operator's teardown may take before it is reported as not finishing.
    pub teardown_timeout: Duration,
}

/// Shared state of the reconciler.
pub struct Context {
    /// Client of the global cluster.
    pub client: Client,
    /// Karmada CRs labelled with an instance, from a watch.
    pub karmadas: Store<Karmada>,
    /// Namespaces labelled with an instance, from a watch.
    pub namespaces: Store<Namespace>,
    /// Management cluster access.
    pub clusters: ManagementClusters,
    /// Member counts of running instances.
    pub members: Arc<MemberCounter>,
    /// Publishes Kubernetes Events.
    pub recorder: Recorder,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Whether the namespace cache is filled (for every reconcile waiting, not one).
    pub namespaces_ready: Readiness,
    /// Whether the management cluster Secret cache is filled.
    pub secrets_ready: Readiness,
    /// Timing.
    pub settings: Settings,
    /// Consecutive failures by instance, for exponential backoff.
    pub failures: Failures,
}

impl Context {
    /// Waits, at most `remote_timeout`, until the watch caches of namespaces and management
    /// cluster Secrets are filled: an empty cache would look like missing objects and cause
    /// needless writes. (The Karmada CR cache may never fill, when karmada-operator is not
    /// installed; see [`Context::karmada`].)
    pub async fn caches_synced(&self) -> Result<(), Error> {
        let limit = self.settings.remote_timeout;
        let namespaces = tokio::time::timeout(limit, self.namespaces_ready.wait()).await;
        if !matches!(namespaces, Ok(true)) {
            return Err(Error::NotSynced("namespaces"));
        }
        let secrets = tokio::time::timeout(limit, self.secrets_ready.wait()).await;
        if !matches!(secrets, Ok(true)) {
            return Err(Error::NotSynced("management cluster Secrets"));
        }
        Ok(())
    }

    /// The Karmada CR `namespace/name`: from the watch cache once it is filled, else (its CRD
    /// not installed yet, or the watch just starting) read from the API server.
    pub async fn karmada(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Arc<Karmada>>, Error> {
        let cached = self.karmadas.wait_until_ready().now_or_never();
        if matches!(cached, Some(Ok(()))) {
            return Ok(self.karmadas.get(&ObjectRef::new(name).within(namespace)));
        }
        let api: Api<Karmada> = Api::namespaced(self.client.clone(), namespace);
        match api.get_opt(name).await {
            Ok(found) => Ok(found.map(Arc::new)),
            // The Karmada CRD is not installed: there is no CR.
            Err(e) if is_status(&e, 404) => Ok(None),
            Err(e) => Err(Error::kube(format!("read Karmada {namespace}/{name}"), e)),
        }
    }
}

/// Consecutive reconcile failures of each instance.
#[derive(Default)]
pub struct Failures(Mutex<HashMap<String, u32>>);

/// First retry delay after a failure; doubled at each further failure.
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// Longest retry delay.
const MAX_RETRY: Duration = Duration::from_secs(300);

impl Failures {
    /// Records a failure of `instance` and returns how long to wait before retrying.
    pub fn failed(&self, instance: &str) -> Duration {
        let mut map = self.lock();
        let count = map.entry(instance.to_owned()).or_insert(0);
        *count = count.saturating_add(1);
        retry_delay(*count)
    }

    /// Forgets the failures of `instance` after a success.
    pub fn succeeded(&self, instance: &str) {
        self.lock().remove(instance);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Delay before retry number `failures` (1-based): 0.5s, 1s, 2s, ... up to five minutes.
pub fn retry_delay(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(1 << exponent).min(MAX_RETRY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_up_to_five_minutes() {
        assert_eq!(retry_delay(1), Duration::from_millis(500));
        assert_eq!(retry_delay(2), Duration::from_secs(1));
        assert_eq!(retry_delay(4), Duration::from_secs(4));
        assert_eq!(retry_delay(40), MAX_RETRY);
    }

    #[test]
    fn success_resets_the_backoff() {
        let failures = Failures::default();
        failures.failed("demo");
        assert_eq!(failures.failed("demo"), Duration::from_secs(1));
        failures.succeeded("demo");
        assert_eq!(failures.failed("demo"), Duration::from_millis(500));
    }
}
