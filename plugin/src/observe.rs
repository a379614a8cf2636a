//! Everything the plugin can see of one instance's install, in install order: the instance, its
//! Karmada CR, and on the management cluster the StorageClasses, the etcd PVCs, the etcd
//! StatefulSet and the karmada apiserver Deployment. `describe`, `diagnose` and the progress of
//! `create --wait` all read the same observation, so they never disagree.
//!
//! Each part is a `Result`: a part that cannot be read is reported, and the rest still shown.
//! What the parts mean is read in [`multicloud_api::observed`], as the controller reads it.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::Api;
use kube::{Client, Resource};
use multicloud_api::clusters::StorageClassInfo;
use multicloud_api::karmada::Karmada;
use multicloud_api::names::{self, KarmadaObjects};
use multicloud_api::{MulticloudInstance, StorageType};

use crate::clusters::{management_client, storage_classes};
use crate::context::Context;
use crate::error::one_line;
use crate::events;

/// One etcd PVC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// PVC name.
    pub name: String,
    /// `Pending`, `Bound` or `Lost`; `None` while the PVC does not exist.
    pub phase: Option<String>,
    /// Its StorageClass.
    pub class: Option<String>,
    /// For a PVC that is not Bound, its latest Event as `Reason: message`.
    pub event: Option<String>,
}

impl Claim {
    /// Whether the PVC is Bound.
    pub fn bound(&self) -> bool {
        self.phase.as_deref() == Some("Bound")
    }
}

/// Readiness of a StatefulSet or Deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Ready (StatefulSet) or available (Deployment) replicas.
    pub ready: i32,
    /// Desired replicas.
    pub desired: i32,
    /// Whether it counts as up (all ready; for a Deployment, condition Available).
    pub up: bool,
    /// Why not, when its status says.
    pub message: Option<String>,
}

/// What is on the management cluster.
#[derive(Debug, Clone)]
pub struct Management {
    /// The API server version, proving it answered.
    pub version: String,
    /// Its StorageClasses.
    pub storage_classes: Result<Vec<StorageClassInfo>, String>,
    /// The etcd PVCs (empty for hostPath and emptyDir storage).
    pub claims: Result<Vec<Claim>, String>,
    /// The etcd StatefulSet, `None` while it does not exist.
    pub etcd: Result<Option<Workload>, String>,
    /// The karmada apiserver Deployment, `None` while it does not exist.
    pub apiserver: Result<Option<Workload>, String>,
    /// Every component workload in the operator's install order, with the Warning event of
    /// each one not ready (a StatefulSet whose pods cannot be created says `FailedCreate`).
    pub components: Result<Vec<multicloud_api::observed::Workload>, String>,
}

/// The observation of one instance.
#[derive(Debug, Clone)]
pub struct Observation {
    /// The instance as read.
    pub instance: MulticloudInstance,
    /// Whether karmada-operator's CRD (`karmadas.operator.karmada.io`) is installed.
    pub karmada_crd: Result<bool, String>,
    /// The Karmada CR, `None` while it does not exist.
    pub karmada: Result<Option<Karmada>, String>,
    /// The management cluster, or why it cannot be reached.
    pub management: Result<Management, String>,
}

/// Name of karmada-operator's CRD.
pub fn karmada_crd_name() -> String {
    format!("{}.{}", Karmada::plural(&()), Karmada::group(&()))
}

/// Observes `instance` now.
pub async fn observe(ctx: &Context, global: &Client, instance: MulticloudInstance) -> Observation {
    let name = instance.name().to_owned();
    let namespace = names::namespace(&name);
    let crds: Api<CustomResourceDefinition> = Api::all(global.clone());
    let karmada_crd = crds
        .get_opt(&karmada_crd_name())
        .await
        .map(|crd| crd.is_some())
        .map_err(|e| one_line(&e));
    let karmada = match karmada_crd {
        Ok(false) => Ok(None),
        _ => Api::<Karmada>::namespaced(global.clone(), &namespace)
            .get_opt(&names::karmada(&name))
            .await
            .map_err(|e| one_line(&e)),
    };
    let management = observe_management(ctx, global, &instance).await;
    Observation {
        instance,
        karmada_crd,
        karmada,
        management,
    }
}

async fn observe_management(
    ctx: &Context,
    global: &Client,
    instance: &MulticloudInstance,
) -> Result<Management, String> {
    let cluster = &instance.spec.management_cluster;
    let client = management_client(ctx, global, cluster)
        .await
        .map_err(|e| crate::error::report_line(&e))?;
    let version = client
        .apiserver_version()
        .await
        .map_err(|e| one_line(&e))?
        .git_version;
    let namespace = names::namespace(instance.name());
    let objects = KarmadaObjects::for_instance(&names::karmada(instance.name()));
    let storage_classes = storage_classes(&client).await.map_err(|e| one_line(&e));
    let claims = if instance.spec.etcd.storage.type_ == StorageType::PersistentVolumeClaim {
        observe_claims(&client, &namespace, &objects, instance.spec.etcd.replicas).await
    } else {
        Ok(Vec::new())
    };
    let components = observe_components(&client, &namespace, &objects).await;
    let warning_of = |suffix: &str| {
        components
            .as_ref()
            .ok()
            .and_then(|c| c.iter().find(|w| w.component.suffix == suffix))
            .and_then(|w| w.warning.clone())
    };
    let with_warning = |mut workload: Workload, suffix: &str| {
        if !workload.up
            && let Some(warning) = warning_of(suffix)
        {
            workload.message = Some(warning);
        }
        workload
    };
    let etcd = Api::<StatefulSet>::namespaced(client.clone(), &namespace)
        .get_opt(&objects.etcd_statefulset())
        .await
        .map(|s| s.as_ref().map(|s| with_warning(statefulset(s), "etcd")))
        .map_err(|e| one_line(&e));
    let apiserver = Api::<Deployment>::namespaced(client.clone(), &namespace)
        .get_opt(&objects.apiserver_deployment())
        .await
        .map(|d| d.as_ref().map(|d| with_warning(deployment(d), "apiserver")))
        .map_err(|e| one_line(&e));
    Ok(Management {
        version,
        storage_classes,
        claims,
        etcd,
        apiserver,
        components,
    })
}

/// Every component of [`COMPONENTS`] by the operator's names, with the latest Warning event of
/// each that is not ready.
async fn observe_components(
    client: &Client,
    namespace: &str,
    objects: &KarmadaObjects,
) -> Result<Vec<multicloud_api::observed::Workload>, String> {
    use multicloud_api::observed::{COMPONENTS, Workload as Seen, WorkloadKind};
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), namespace);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let mut seen = Vec::new();
    for component in COMPONENTS {
        let name = component.name(objects);
        let found = match component.kind {
            WorkloadKind::StatefulSet => sets
                .get_opt(&name)
                .await
                .map(|s| s.map(|s| Seen::of_statefulset(component, objects, &s))),
            WorkloadKind::Deployment => deployments
                .get_opt(&name)
                .await
                .map(|d| d.map(|d| Seen::of_deployment(component, objects, &d))),
        };
        let mut workload = found
            .map_err(|e| one_line(&e))?
            .unwrap_or_else(|| Seen::missing(component, objects));
        if workload.exists() && !workload.complete() {
            let kind = component.kind.to_string();
            workload.warning = events::about(client, Some(namespace), &kind, &name)
                .await
                .ok()
                .and_then(|events| {
                    events
                        .iter()
                        .rev()
                        .find(|e| e.type_ == "Warning")
                        .map(events::EventLine::summary)
                });
        }
        seen.push(workload);
    }
    Ok(seen)
}

async fn observe_claims(
    client: &Client,
    namespace: &str,
    objects: &KarmadaObjects,
    replicas: i32,
) -> Result<Vec<Claim>, String> {
    let api: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), namespace);
    let mut claims = Vec::new();
    for ordinal in 0..u32::try_from(replicas.max(1)).unwrap_or(1) {
        let name = objects.etcd_pvc(ordinal);
        let pvc = api.get_opt(&name).await.map_err(|e| one_line(&e))?;
        // A claim the volume binder has not looked at yet has no phase: it is Pending.
        let phase = pvc.as_ref().map(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_else(|| "Pending".to_owned())
        });
        let class = pvc
            .as_ref()
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.storage_class_name.clone());
        let event = if pvc.is_some() && phase.as_deref() != Some("Bound") {
            events::about(client, Some(namespace), "PersistentVolumeClaim", &name)
                .await
                .ok()
                .and_then(|events| events.last().map(events::EventLine::summary))
        } else {
            None
        };
        claims.push(Claim {
            name,
            phase,
            class,
            event,
        });
    }
    Ok(claims)
}

fn statefulset(set: &StatefulSet) -> Workload {
    let desired = set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let ready = set
        .status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0);
    Workload {
        ready,
        desired,
        up: ready >= desired,
        message: None,
    }
}

fn deployment(deployment: &Deployment) -> Workload {
    let desired = deployment
        .spec
        .as_ref()
        .and_then(|s| s.replicas)
        .unwrap_or(1);
    let status = deployment.status.as_ref();
    let ready = status.and_then(|s| s.available_replicas).unwrap_or(0);
    let available = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Available"));
    Workload {
        ready,
        desired,
        up: available.is_some_and(|c| c.status == "True") && ready >= desired,
        message: available
            .filter(|c| c.status != "True")
            .and_then(|c| c.message.clone()),
    }
}
