//! The instances of the fault test, created, checked and deleted as a whole.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use multicloud_api::karmada::Karmada;
use multicloud_api::keys::{FINALIZER, INSTANCE_LABEL, SYSTEM_NAMESPACE};
use multicloud_api::{MulticloudInstance, Phase, names};
use multicloud_e2e::wait::{eventually, eventually_within};
use serde_json::json;
use tokio::sync::Semaphore;

use super::support::instance;

/// Creates and deletes in flight at once, as a burst of clients would send them.
pub const IN_FLIGHT: usize = 32;

/// `n` instances named `fault-000`, `fault-001`, ... and the APIs to see what became of them.
pub struct Fleet {
    pub names: Vec<String>,
    pub instances: Api<MulticloudInstance>,
    pub karmadas: Api<Karmada>,
    pub namespaces: Api<Namespace>,
    /// Everything the controller made for an instance carries its label.
    ours: ListParams,
}

impl Fleet {
    pub fn new(client: &kube::Client, n: usize) -> Self {
        Self {
            names: (0..n).map(|i| format!("fault-{i:03}")).collect(),
            instances: Api::all(client.clone()),
            karmadas: Api::all(client.clone()),
            namespaces: Api::all(client.clone()),
            ours: ListParams::default().labels(INSTANCE_LABEL),
        }
    }

    /// Creates every instance, [`IN_FLIGHT`] at a time: one in three each with PVC (the
    /// default), hostPath and emptyDir storage, so that every storage path of a reconcile runs.
    pub async fn create(&self) {
        let specs = [
            json!({}),
            json!({"etcd": {"storage": {"type": "HostPath"}}}),
            json!({"etcd": {"storage": {"type": "EmptyDir"}}}),
        ];
        let work = self.names.iter().cloned().zip(specs.into_iter().cycle());
        in_parallel(work, |(name, spec)| {
            let instances = self.instances.clone();
            async move {
                instances
                    .create(&PostParams::default(), &instance(&name, spec))
                    .await
                    .expect("instance is created");
            }
        })
        .await;
    }

    /// Deletes the instances `doomed`, [`IN_FLIGHT`] at a time.
    pub async fn delete(&self, doomed: &[String]) {
        in_parallel(doomed.iter().cloned(), |name| {
            let instances = self.instances.clone();
            async move {
                instances
                    .delete(&name, &DeleteParams::default())
                    .await
                    .expect("delete is accepted");
            }
        })
        .await;
    }

    /// Karmada CRs made for instances, from the API server's cache (cheap enough to poll).
    pub async fn karmada_count(&self) -> Result<usize, String> {
        count(&self.karmadas, &self.ours.clone().match_any()).await
    }

    /// Instances that have converged.
    pub async fn converged_count(&self) -> usize {
        let list = self
            .instances
            .list(&ListParams::default())
            .await
            .expect("instances are listed");
        list.items
            .iter()
            .filter(|i| unconverged(i).is_none())
            .count()
    }

    /// Waits, at most `limit`, until every instance has its Karmada CR and has converged.
    pub async fn wait_converged(&self, limit: Duration) {
        let n = self.names.len();
        eventually_within(limit, "every instance to converge", || async {
            let count = self.karmada_count().await?;
            if count < n {
                return Err(format!("{count} of {n} Karmada CRs"));
            }
            let list = self
                .instances
                .list(&ListParams::default().match_any())
                .await
                .map_err(|e| e.to_string())?;
            let behind: Vec<String> = list.items.iter().filter_map(unconverged).collect();
            match behind.first() {
                None => Ok(()),
                Some(first) => Err(format!("{} not converged, e.g. {first}", behind.len())),
            }
        })
        .await;
    }

    /// Reads back, consistently, everything there is: every instance, converged, with exactly
    /// one namespace and one Karmada CR where its name puts them; nothing lost, nothing more.
    pub async fn assert_once_each(&self) {
        let listed = self
            .instances
            .list(&ListParams::default())
            .await
            .expect("instances are listed");
        let present: BTreeSet<&str> = listed.items.iter().filter_map(|i| i.meta_name()).collect();
        let expected: BTreeSet<&str> = self.names.iter().map(String::as_str).collect();
        assert_eq!(present, expected, "instances lost or added");
        let stray: Vec<String> = listed.items.iter().filter_map(unconverged).collect();
        assert!(stray.is_empty(), "unconverged: {stray:?}");

        let once_each: BTreeMap<String, usize> =
            self.names.iter().map(|n| (n.clone(), 1)).collect();
        let spaces = self
            .namespaces
            .list(&self.ours)
            .await
            .expect("namespaces are listed");
        let found = per_instance(&spaces.items, |owner| (None, names::namespace(owner)));
        assert_eq!(found, once_each, "namespaces per instance");
        let crs = self
            .karmadas
            .list(&self.ours)
            .await
            .expect("Karmada CRs are listed");
        let found = per_instance(&crs.items, |owner| {
            (Some(names::namespace(owner)), names::karmada(owner))
        });
        assert_eq!(found, once_each, "Karmada CRs per instance");
    }

    /// Waits, at most `limit`, until the controller has taken up the deletion of every instance
    /// in `doomed` (reports Deleting, or has already finished).
    pub async fn wait_deletion_noticed(&self, doomed: &[String], limit: Duration) {
        eventually_within(limit, "the controller to take up the deletions", || async {
            let list = self
                .instances
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?;
            let waiting: Vec<&str> = list
                .items
                .iter()
                .filter(|i| i.meta_name().is_some_and(|n| doomed.iter().any(|d| d == n)))
                .filter(|i| i.status.as_ref().and_then(|s| s.phase) != Some(Phase::Deleting))
                .filter_map(|i| i.meta_name())
                .collect();
            match waiting.first() {
                None => Ok(()),
                Some(first) => Err(format!("{} not Deleting, e.g. {first}", waiting.len())),
            }
        })
        .await;
    }

    /// Waits, at most `limit`, until the Karmada CRs, namespaces and instances of `doomed` are
    /// gone and the others' remain.
    pub async fn wait_deleted(&self, doomed: &[String], limit: Duration) {
        let kept = self.names.len() - doomed.len();
        eventually_within(limit, "the deleted instances to be gone", || async {
            let left = [
                ("Karmada CRs", count(&self.karmadas, &self.ours).await?),
                ("namespaces", count(&self.namespaces, &self.ours).await?),
                (
                    "instances",
                    count(&self.instances, &ListParams::default()).await?,
                ),
            ];
            match left.iter().find(|(_, count)| *count != kept) {
                None => Ok(()),
                Some((what, count)) => Err(format!("{count} {what}, want {kept}")),
            }
        })
        .await;
        for name in doomed {
            let namespace = names::namespace(name);
            let found = self.namespaces.get_opt(&namespace).await.expect("reads");
            assert!(
                found.is_none(),
                "namespace {namespace} of deleted {name} remains"
            );
        }
    }
}

trait MetaName {
    fn meta_name(&self) -> Option<&str>;
}

impl<K: kube::Resource> MetaName for K {
    fn meta_name(&self) -> Option<&str> {
        self.meta().name.as_deref()
    }
}

/// Why `found` has not converged yet, if it has not: our finalizer exactly once, and a status of
/// the current generation that points at its Karmada CR.
fn unconverged(found: &MulticloudInstance) -> Option<String> {
    let name = found.meta_name().unwrap_or_default();
    let finalizers = found.metadata.finalizers.clone().unwrap_or_default();
    if finalizers != [FINALIZER] {
        return Some(format!("{name}: finalizers {finalizers:?}"));
    }
    let status = found.status.clone().unwrap_or_default();
    let points_at_cr = status.karmada.as_ref().is_some_and(|k| {
        (k.namespace.as_str(), k.name.as_str())
            == (
                names::namespace(name).as_str(),
                names::karmada(name).as_str(),
            )
    });
    let current = status.observed_generation.is_some()
        && status.observed_generation == found.metadata.generation;
    let waits_for_operator = status
        .condition("KarmadaReady")
        .is_some_and(|c| c.reason == "WaitingForOperator");
    if points_at_cr && current && waits_for_operator {
        None
    } else {
        Some(format!("{name}: status {status:?}"))
    }
}

/// How many labelled objects each instance has, after checking that each sits where the name of
/// the instance it is labelled with puts it.
fn per_instance<K: kube::Resource>(
    objects: &[K],
    place: impl Fn(&str) -> (Option<String>, String),
) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for object in objects {
        let meta = object.meta();
        let owner = meta
            .labels
            .as_ref()
            .and_then(|l| l.get(INSTANCE_LABEL))
            .cloned()
            .unwrap_or_default();
        let at = (
            meta.namespace.clone(),
            meta.name.clone().unwrap_or_default(),
        );
        assert_eq!(at, place(&owner), "object of instance {owner} misplaced");
        *counts.entry(owner).or_insert(0) += 1;
    }
    counts
}

/// How many objects `api` lists with `params`, as a probe's result.
async fn count<K>(api: &Api<K>, params: &ListParams) -> Result<usize, String>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.list_metadata(params)
        .await
        .map(|list| list.items.len())
        .map_err(|e| e.to_string())
}

/// Runs `task` for every item, [`IN_FLIGHT`] at a time.
async fn in_parallel<T, F, Fut>(items: impl IntoIterator<Item = T>, task: F)
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    for item in items {
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore is open");
        let work = task(item);
        tasks.spawn(async move {
            work.await;
            drop(permit);
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task completes");
    }
}

/// Waits until kube-controller-manager runs its controllers, not only its health endpoint: one
/// that loses its API server while it is still starting exits for good ("unable to get any
/// supported resources"), and without it deleted namespaces are never finalized. Its service
/// account controller giving `multicloud-system` its `default` ServiceAccount shows it is past
/// that point.
pub async fn controller_manager_running(client: &kube::Client) {
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    eventually("kube-controller-manager to run its controllers", || async {
        accounts
            .get_opt("default")
            .await
            .map_err(|e| e.to_string())?
            .map(|_| ())
            .ok_or_else(|| "no default ServiceAccount yet".to_owned())
    })
    .await;
}
