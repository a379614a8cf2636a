//! Member clusters of running instances, counted in each instance's own Karmada API with its
//! admin kubeconfig.
//!
//! Counting is off the reconcile path: a reconcile reads the last count and, when it is older
//! than the interval, starts one bounded probe in the background. A probe whose result differs
//! from the last one asks for a reconcile of its instance, which then writes the new status.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::runtime::reflector::ObjectRef;
use multicloud_api::MulticloudInstance;
use multicloud_api::names::KarmadaObjects;
use tokio::sync::{Semaphore, mpsc};

use crate::clusters::client_from_kubeconfig;
use crate::metrics::CountingLayer;
use crate::status::MemberObservation;

/// Probes running at once; the rest wait, so a thousand instances cannot open a thousand
/// connections together.
const CONCURRENT_PROBES: usize = 8;

/// Where an instance's admin kubeconfig is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSecret {
    /// Namespace of the Secret in the global cluster.
    pub namespace: String,
    /// Name of the Secret.
    pub name: String,
}

impl AdminSecret {
    /// The only Secret the admin kubeconfig of `instance` is read from: the one karmada-operator
    /// writes in the instance's own namespace `k-<name>` (never where a Karmada CR's status
    /// points, which anyone able to write that status could choose).
    pub fn for_instance(instance: &str) -> Self {
        Self {
            namespace: multicloud_api::names::namespace(instance),
            name: KarmadaObjects::for_instance(instance).admin_kubeconfig_secret(),
        }
    }
}

#[derive(Debug)]
struct Entry {
    observation: MemberObservation,
    checked: Option<Instant>,
    probing: bool,
}

/// The last member count of every running instance.
pub struct MemberCounter {
    entries: Mutex<HashMap<String, Entry>>,
    global: Client,
    layer: CountingLayer,
    interval: Duration,
    timeout: Duration,
    probes: Arc<Semaphore>,
    trigger: mpsc::UnboundedSender<ObjectRef<MulticloudInstance>>,
}

impl MemberCounter {
    /// A counter reading admin kubeconfigs with `global`; changed counts are sent to `trigger`.
    pub fn new(
        global: Client,
        layer: CountingLayer,
        interval: Duration,
        timeout: Duration,
        trigger: mpsc::UnboundedSender<ObjectRef<MulticloudInstance>>,
    ) -> Self {
        Self {
            entries: Mutex::default(),
            global,
            layer,
            interval,
            timeout,
            probes: Arc::new(Semaphore::new(CONCURRENT_PROBES)),
            trigger,
        }
    }

    /// The last count of `instance`.
    pub fn observe(&self, instance: &str) -> MemberObservation {
        self.lock()
            .get(instance)
            .map_or(MemberObservation::NotCounted, |e| e.observation.clone())
    }

    /// How old a count may grow before a reconcile starts a new one.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Starts a count of `instance` in the background unless a recent one exists or one runs.
    pub fn refresh(self: &Arc<Self>, instance: &str, secret: AdminSecret) {
        {
            let mut entries = self.lock();
            let entry = entries.entry(instance.to_owned()).or_insert(Entry {
                observation: MemberObservation::NotCounted,
                checked: None,
                probing: false,
            });
            let fresh = entry.checked.is_some_and(|at| at.elapsed() < self.interval);
            if entry.probing || fresh {
                return;
            }
            entry.probing = true;
        }
        let counter = Arc::clone(self);
        let instance = instance.to_owned();
        tokio::spawn(async move {
            let observation = match Arc::clone(&counter.probes).acquire_owned().await {
                Ok(_permit) => {
                    let probe = count(&counter.global, &secret, counter.timeout, &counter.layer);
                    match tokio::time::timeout(counter.timeout, probe).await {
                        Ok(Ok(count)) => MemberObservation::Counted(count),
                        Ok(Err(why)) => MemberObservation::Unreachable(why),
                        Err(_) => MemberObservation::Unreachable(format!(
                            "no answer within {}s",
                            counter.timeout.as_secs()
                        )),
                    }
                }
                Err(_) => return,
            };
            counter.record(&instance, observation);
        });
    }

    /// Forgets `instance` (deleted, or no longer running).
    pub fn forget(&self, instance: &str) {
        self.lock().remove(instance);
    }

    fn record(&self, instance: &str, observation: MemberObservation) {
        let changed = {
            let mut entries = self.lock();
            // A forgotten instance stays forgotten.
            let Some(entry) = entries.get_mut(instance) else {
                return;
            };
            entry.probing = false;
            entry.checked = Some(Instant::now());
            let changed = entry.observation != observation;
            entry.observation = observation;
            changed
        };
        if changed {
            // The receiver is gone only while shutting down.
            let _ = self.trigger.send(ObjectRef::new(instance));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `clusters.cluster.karmada.io` objects in the Karmada API the admin kubeconfig points at.
async fn count(
    global: &Client,
    secret: &AdminSecret,
    timeout: Duration,
    layer: &CountingLayer,
) -> Result<i32, String> {
    let secrets: Api<Secret> = Api::namespaced(global.clone(), &secret.namespace);
    let found = secrets
        .get_opt(&secret.name)
        .await
        .map_err(|e| format!("reading Secret {}/{}: {e}", secret.namespace, secret.name))?
        .ok_or_else(|| format!("Secret {}/{} does not exist", secret.namespace, secret.name))?;
    let data = found.data.unwrap_or_default();
    let kubeconfig = data
        .get(KarmadaObjects::ADMIN_KUBECONFIG_KEY)
        .or_else(|| data.get(multicloud_api::keys::KUBECONFIG_KEY))
        .ok_or_else(|| {
            format!(
                "Secret {}/{} has no `{}` key",
                secret.namespace,
                secret.name,
                KarmadaObjects::ADMIN_KUBECONFIG_KEY
            )
        })?;
    let client = client_from_kubeconfig(&kubeconfig.0, timeout, layer)
        .await
        .map_err(|e| format!("admin kubeconfig: {e}"))?;
    let gvk = GroupVersionKind::gvk("cluster.karmada.io", "v1alpha1", "Cluster");
    let clusters: Api<DynamicObject> =
        Api::all_with(client, &ApiResource::from_gvk_with_plural(&gvk, "clusters"));
    let list = clusters
        .list_metadata(&ListParams::default())
        .await
        .map_err(|e| e.to_string())?;
    Ok(i32::try_from(list.items.len()).unwrap_or(i32::MAX))
}
