//! Reads what the status is derived from on the management cluster: the etcd PVCs of an
//! instance and the events of those still Pending (for `StorageReady`), the component workloads
//! by the names karmada-operator gives them, with the Warning events of those not ready; and,
//! while an instance is deleted, whether karmada-operator runs at all.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Event, PersistentVolumeClaim};
use kube::Client;
use kube::api::{Api, ListParams};
use multicloud_api::MulticloudInstance;
use multicloud_api::instance::StorageType;
use multicloud_api::names::{self, KarmadaObjects};
use multicloud_api::observed::events::{latest, latest_warning};
use multicloud_api::observed::{COMPONENTS, Workload, WorkloadKind};

use crate::context::Context;
use crate::status::{ClaimObservation, OperatorPresence, StorageObservation, WorkloadObservation};

/// Label karmada-operator's Deployment carries, both in its Helm chart and in its own
/// manifests (`operator/config/deploy/karmada-operator.yaml`).
pub const OPERATOR_SELECTOR: &str = "app.kubernetes.io/name=karmada-operator";

/// What the management cluster holds of an instance.
pub struct Management {
    /// The etcd storage.
    pub storage: StorageObservation,
    /// The component workloads.
    pub workloads: WorkloadObservation,
}

/// Reads the etcd storage and the workloads of `instance`; `karmada_exists` says whether the
/// operator could have made anything yet.
pub async fn management(
    ctx: &Context,
    instance: &MulticloudInstance,
    karmada_exists: bool,
) -> Management {
    let spec = &instance.spec;
    let node_local = match spec.etcd.storage.type_ {
        StorageType::PersistentVolumeClaim => None,
        other => Some(StorageObservation::NodeLocal(other)),
    };
    if !karmada_exists {
        return Management {
            storage: node_local.unwrap_or(StorageObservation::NotRequested),
            workloads: WorkloadObservation::NotRead,
        };
    }
    let client = match ctx.clusters.client(&spec.management_cluster).await {
        Ok(client) => client,
        Err(blocker) => {
            return Management {
                storage: node_local
                    .unwrap_or_else(|| StorageObservation::Unreachable(blocker.message.clone())),
                workloads: WorkloadObservation::Unreachable(blocker.message),
            };
        }
    };
    let read = async {
        let claims = match node_local {
            Some(_) => None,
            None => Some(claims(client.clone(), instance).await?),
        };
        let workloads = workloads(&client, instance).await?;
        Ok::<_, kube::Error>((claims, workloads))
    };
    let unreachable = |why: String| Management {
        storage: match node_local.clone() {
            Some(local) => local,
            None => StorageObservation::Unreachable(why.clone()),
        },
        workloads: WorkloadObservation::Unreachable(why),
    };
    match tokio::time::timeout(ctx.settings.remote_timeout, read).await {
        Ok(Ok((claims, workloads))) => Management {
            storage: match claims {
                Some(claims) => StorageObservation::Claims(claims),
                None => node_local.unwrap_or(StorageObservation::NotRequested),
            },
            workloads: WorkloadObservation::Read(workloads),
        },
        Ok(Err(error)) => unreachable(format!(
            "management cluster `{}`: {error}",
            spec.management_cluster
        )),
        Err(_) => unreachable(format!(
            "management cluster `{}` did not answer within {}s",
            spec.management_cluster,
            ctx.settings.remote_timeout.as_secs()
        )),
    }
}

async fn claims(
    client: Client,
    instance: &MulticloudInstance,
) -> Result<Vec<ClaimObservation>, kube::Error> {
    let namespace = names::namespace(instance.name());
    let objects = KarmadaObjects::for_instance(instance.name());
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &namespace);
    let listed = pvcs.list(&ListParams::default()).await?;
    let replicas = u32::try_from(instance.spec.etcd.replicas.max(1)).unwrap_or(1);
    let mut observed = Vec::new();
    for ordinal in 0..replicas {
        let name = objects.etcd_pvc(ordinal);
        let phase = listed
            .items
            .iter()
            .find(|pvc| pvc.metadata.name.as_deref() == Some(name.as_str()))
            .map(|pvc| {
                pvc.status
                    .as_ref()
                    .and_then(|s| s.phase.clone())
                    .unwrap_or_else(|| "Pending".into())
            });
        let last_event = if phase.as_deref() == Some("Pending") {
            latest(&events_about(&client, &namespace, "PersistentVolumeClaim", &name).await?)
        } else {
            None
        };
        observed.push(ClaimObservation {
            name,
            phase,
            last_event,
        });
    }
    Ok(observed)
}

/// Every component workload, in install order, by the operator's names.
async fn workloads(
    client: &Client,
    instance: &MulticloudInstance,
) -> Result<Vec<Workload>, kube::Error> {
    let namespace = names::namespace(instance.name());
    let objects = KarmadaObjects::for_instance(instance.name());
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), &namespace);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &namespace);
    let mut seen = Vec::new();
    for component in COMPONENTS {
        let mut workload = match component.kind {
            WorkloadKind::StatefulSet => sets
                .get_opt(&component.name(&objects))
                .await?
                .map(|s| Workload::of_statefulset(component, &objects, &s)),
            WorkloadKind::Deployment => deployments
                .get_opt(&component.name(&objects))
                .await?
                .map(|d| Workload::of_deployment(component, &objects, &d)),
        }
        .unwrap_or_else(|| Workload::missing(component, &objects));
        if workload.exists() && !workload.complete() {
            let kind = component.kind.to_string();
            let events = events_about(client, &namespace, &kind, &workload.name).await?;
            workload.warning = latest_warning(&events);
        }
        seen.push(workload);
    }
    Ok(seen)
}

async fn events_about(
    client: &Client,
    namespace: &str,
    kind: &str,
    name: &str,
) -> Result<Vec<Event>, kube::Error> {
    let selector = format!("involvedObject.kind={kind},involvedObject.name={name}");
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    Ok(events
        .list(&ListParams::default().fields(&selector))
        .await?
        .items)
}

/// Whether karmada-operator runs in the global cluster, from its Deployments.
pub async fn operator(ctx: &Context) -> OperatorPresence {
    let api: Api<Deployment> = Api::all(ctx.client.clone());
    let params = ListParams::default().labels(OPERATOR_SELECTOR);
    let listed = match tokio::time::timeout(ctx.settings.remote_timeout, api.list(&params)).await {
        Ok(Ok(listed)) => listed.items,
        Ok(Err(error)) => return OperatorPresence::Unknown(error.to_string()),
        Err(_) => return OperatorPresence::Unknown("no answer in time".into()),
    };
    if listed.is_empty() {
        return OperatorPresence::Absent;
    }
    let available = |d: &Deployment| {
        d.status
            .as_ref()
            .and_then(|s| s.available_replicas)
            .unwrap_or(0)
    };
    if listed.iter().any(|d| available(d) >= 1) {
        return OperatorPresence::Running;
    }
    let seen: Vec<String> = listed
        .iter()
        .map(|d| {
            format!(
                "Deployment {}/{} has {} of {} replicas available",
                d.metadata.namespace.as_deref().unwrap_or_default(),
                d.metadata.name.as_deref().unwrap_or_default(),
                available(d),
                d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
            )
        })
        .collect();
    OperatorPresence::Stopped(seen.join("; "))
}

/// Why the management cluster of `instance` cannot be reached, if it cannot.
pub async fn management_unreachable(
    ctx: &Context,
    instance: &MulticloudInstance,
) -> Option<String> {
    let cluster = &instance.spec.management_cluster;
    let client = match ctx.clusters.client(cluster).await {
        Ok(client) => client,
        Err(blocker) => return Some(blocker.message),
    };
    match tokio::time::timeout(ctx.settings.remote_timeout, client.apiserver_version()).await {
        Ok(Ok(_)) => None,
        Ok(Err(error)) => Some(format!("management cluster `{cluster}`: {error}")),
        Err(_) => Some(format!(
            "management cluster `{cluster}` did not answer within {}s",
            ctx.settings.remote_timeout.as_secs()
        )),
    }
}

/// A deletion in progress: what it waits for, and why it cannot finish when the facts say so.
pub async fn deletion(
    ctx: &Context,
    instance: &MulticloudInstance,
    karmada: Option<&multicloud_api::karmada::Karmada>,
    waiting: String,
) -> crate::status::DeletionObservation {
    let being_torn_down = karmada.is_some_and(|k| {
        k.metadata.deletion_timestamp.is_some()
            && multicloud_api::observed::operator::holds_finalizer(k)
    });
    let stuck = if being_torn_down {
        let facts = crate::status::Teardown {
            instance: instance.name(),
            management_cluster: &instance.spec.management_cluster,
            karmada,
            operator: operator(ctx).await,
            management_unreachable: management_unreachable(ctx, instance).await,
            now: k8s_openapi::jiff::Timestamp::now(),
            patience: ctx.settings.teardown_timeout,
            previous: instance
                .status
                .as_ref()
                .and_then(|s| s.condition(multicloud_api::observed::READY)),
        };
        multicloud_api::observed::deletion::stuck(&facts)
    } else {
        None
    };
    crate::status::DeletionObservation { waiting, stuck }
}
