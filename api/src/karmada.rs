//! The karmada-operator `Karmada` custom resource (`operator.karmada.io/v1alpha1`), typed with only
//! the fields multicloud writes or reads; every other field is kept as it came, so an object read
//! back and written again loses nothing. [`render`] turns an instance into the CR it needs.
//!
//! Field shapes follow karmada-operator's API, `operator/pkg/apis/operator/v1alpha1/type.go`
//! (v1.18.2); defaults it applies to what we leave out are in `defaults.go` next to it.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, EmptyDirVolumeSource, HostPathVolumeSource, PersistentVolumeClaimSpec,
    PersistentVolumeClaimTemplate, PodAffinityTerm, PodAntiAffinity, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::CustomResource;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::instance::{MulticloudInstance, StorageType};
use crate::keys::{INSTANCE_LABEL, LOCAL_CLUSTER};
use crate::names;
use crate::release::Release;
use crate::rules::{HA_MAX_UNAVAILABLE, SPREAD_TOPOLOGY_KEY, availability_plan};

/// Fields of an object this crate does not model, kept verbatim.
pub type Unmodelled = BTreeMap<String, Value>;

/// Desired state of a Karmada control plane, as karmada-operator reads it.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "operator.karmada.io",
    version = "v1alpha1",
    kind = "Karmada",
    plural = "karmadas",
    namespaced,
    status = "KarmadaStatus",
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct KarmadaCrSpec {
    /// Where the control plane runs when not on the operator's own cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_cluster: Option<HostCluster>,
    /// The components to install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Components>,
    /// Where the Karmada CRDs are downloaded from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crd_tarball: Option<CrdTarball>,
    /// The registry images are pulled from. karmada-operator v1.18.2 reads it into its run data
    /// but never uses it (`operator/pkg/init.go`); [`render`] also sets every component's
    /// `imageRepository`, which it does use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_registry: Option<ImageRegistry>,
    /// Everything else.
    #[serde(flatten)]
    pub other: Unmodelled,
}

/// `spec.crdTarball`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CrdTarball {
    /// Download over HTTP(S).
    #[serde(
        default,
        rename = "httpSource",
        skip_serializing_if = "Option::is_none"
    )]
    pub http_source: Option<HttpSource>,
    /// Everything else (`crdDownloadPolicy`).
    #[serde(flatten)]
    pub other: Unmodelled,
}

/// `spec.crdTarball.httpSource`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct HttpSource {
    /// URL of the tarball.
    #[serde(default)]
    pub url: String,
    /// Everything else (`proxy`).
    #[serde(flatten)]
    pub other: Unmodelled,
}

/// `spec.privateRegistry`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageRegistry {
    /// Registry host (and path).
    #[serde(default)]
    pub registry: String,
}

/// `spec.hostCluster`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HostCluster {
    /// Secret with the host cluster's kubeconfig under the key `kubeconfig`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
    /// Everything else.
    #[serde(flatten)]
    pub other: Unmodelled,
}

/// A namespaced Secret reference (karmada's `LocalSecretReference`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct SecretRef {
    /// Namespace of the Secret.
    #[serde(default)]
    pub namespace: String,
    /// Name of the Secret.
    #[serde(default)]
    pub name: String,
}

/// `spec.components`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Components {
    /// etcd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etcd: Option<Etcd>,
    /// The karmada apiserver (a kube-apiserver image; its tag is not the karmada version).
    #[serde(
        default,
        rename = "karmadaAPIServer",
        skip_serializing_if = "Option::is_none"
    )]
    pub karmada_api_server: Option<Component>,
    /// karmada-aggregated-apiserver.
    #[serde(
        default,
        rename = "karmadaAggregatedAPIServer",
        skip_serializing_if = "Option::is_none"
    )]
    pub karmada_aggregated_api_server: Option<Component>,
    /// karmada-controller-manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub karmada_controller_manager: Option<Component>,
    /// karmada-scheduler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub karmada_scheduler: Option<Component>,
    /// karmada-webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub karmada_webhook: Option<Component>,
    /// kube-controller-manager (a Kubernetes image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_controller_manager: Option<Component>,
    /// karmada-metrics-adapter; the operator installs it even when absent, at its own version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub karmada_metrics_adapter: Option<Component>,
    /// Everything else.
    #[serde(flatten)]
    pub other: Unmodelled,
}

/// Settings common to karmada components that multicloud writes (karmada's `CommonSettings`
/// and the few component fields it sets).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// Image repository, e.g. `docker.io/karmada/karmada-scheduler`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_repository: Option<String>,
    /// Image tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag: Option<String>,
    /// Pods of the Deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Scheduling constraints of its pods; replaces the operator's default when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// A PodDisruptionBudget for its pods (karmada-operator v1.16 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_disruption_budget_config: Option<PodDisruptionBudgetConfig>,
    /// Service type (apiserver only): ClusterIP, NodePort or LoadBalancer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    /// Extra names of the API server certificate (apiserver only).
    #[serde(default, rename = "certSANs", skip_serializing_if = "Vec::is_empty")]
    pub cert_sans: Vec<String>,
    /// Everything else.
    #[serde(flatten)]
    pub other: Unmodelled,
}

/// `spec.components.etcd`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Etcd {
    /// etcd run by the operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalEtcd>,
    /// Everything else.
    #[serde(flatten)]
    pub other: Unmodelled,
}

/// karmada's `PodDisruptionBudgetConfig`: exactly one of the two is set.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PodDisruptionBudgetConfig {
    /// Pods that must stay available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_available: Option<IntOrString>,
    /// Pods that may be unavailable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
}

/// `spec.components.etcd.local`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LocalEtcd {
    /// Image repository (default `registry.k8s.io/etcd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_repository: Option<String>,
    /// Image tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag: Option<String>,
    /// etcd members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Where etcd keeps its data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_data: Option<VolumeData>,
    /// Scheduling constraints of the members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// A PodDisruptionBudget for the members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_disruption_budget_config: Option<PodDisruptionBudgetConfig>,
    /// Everything else.
    #[serde(flatten)]
    pub other: Unmodelled,
}

/// `spec.components.etcd.local.volumeData`: exactly one of the three is set.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VolumeData {
    /// A PVC template per member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_claim: Option<PersistentVolumeClaimTemplate>,
    /// A node directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<HostPathVolumeSource>,
    /// A pod-lifetime directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_dir: Option<EmptyDirVolumeSource>,
}

/// Observed state, written by karmada-operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct KarmadaStatus {
    /// Generation the operator last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Secret holding the admin kubeconfig.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
    /// Conditions; the operator writes only `Ready`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<KarmadaCondition>,
    /// Everything else.
    #[serde(flatten)]
    pub other: Unmodelled,
}

impl KarmadaStatus {
    /// The `Ready` condition, if the operator wrote one.
    pub fn ready(&self) -> Option<&KarmadaCondition> {
        self.conditions.iter().find(|c| c.type_ == "Ready")
    }
}

/// A condition of the Karmada CR.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KarmadaCondition {
    /// Condition type (`Ready`).
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    #[serde(default)]
    pub status: String,
    /// Progressing, Completed, Failed or ValidationError.
    #[serde(default)]
    pub reason: String,
    /// Details.
    #[serde(default)]
    pub message: String,
    /// When it last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
}

/// Kind of Service for the karmada apiserver on a remote management cluster: the global
/// cluster has to reach it from outside that cluster.
pub const REMOTE_APISERVER_SERVICE_TYPE: &str = "NodePort";

/// Where karmada-operator downloads the CRDs of a release by default (`defaultCrdURL` in
/// `operator/pkg/init.go`); it fills in its own version, [`render`] the instance's.
pub const RELEASE_CRD_URL: &str = "https://github.com/karmada-io/karmada/releases/download";

/// The CRD tarball URL of karmada release `version`.
pub fn release_crd_url(version: &str) -> String {
    format!("{RELEASE_CRD_URL}/{version}/crds.tar.gz")
}

/// A component the operator installs: its `app.kubernetes.io/name` pod label
/// (`operator/pkg/controlplane/**/manifests.go`) and its image's name
/// (`operator/pkg/apis/operator/v1alpha1/defaults.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentKind {
    /// Value of the `app.kubernetes.io/name` label of its pods.
    pub app: &'static str,
    /// Last path element of its image repository.
    pub image: &'static str,
}

/// etcd (image `registry.k8s.io/etcd`).
pub const ETCD: ComponentKind = ComponentKind {
    app: "etcd",
    image: "etcd",
};
/// The Karmada API server (image `registry.k8s.io/kube-apiserver`).
pub const API_SERVER: ComponentKind = ComponentKind {
    app: "karmada-apiserver",
    image: "kube-apiserver",
};
/// kube-controller-manager (image `registry.k8s.io/kube-controller-manager`).
pub const KUBE_CONTROLLER_MANAGER: ComponentKind = ComponentKind {
    app: "kube-controller-manager",
    image: "kube-controller-manager",
};
/// karmada-aggregated-apiserver.
pub const AGGREGATED_API_SERVER: ComponentKind = karmada_image("karmada-aggregated-apiserver");
/// karmada-controller-manager.
pub const CONTROLLER_MANAGER: ComponentKind = karmada_image("karmada-controller-manager");
/// karmada-scheduler.
pub const SCHEDULER: ComponentKind = karmada_image("karmada-scheduler");
/// karmada-webhook.
pub const WEBHOOK: ComponentKind = karmada_image("karmada-webhook");
/// karmada-metrics-adapter.
pub const METRICS_ADAPTER: ComponentKind = karmada_image("karmada-metrics-adapter");

const fn karmada_image(name: &'static str) -> ComponentKind {
    ComponentKind {
        app: name,
        image: name,
    }
}

/// The Karmada CR an instance needs, in the instance's namespace.
///
/// Every image karmada-operator runs is named: the karmada components at `spec.karmada.version`
/// (karmada-metrics-adapter included, which otherwise runs at the operator's own version), and
/// etcd, kube-apiserver and kube-controller-manager at the tags that release was built with,
/// never older than the oldest supported operator's ([`Release::pinned_images`]). High availability follows [`availability_plan`].
pub fn render(instance: &MulticloudInstance) -> Karmada {
    let name = instance.name();
    let spec = &instance.spec;
    let namespace = names::namespace(name);
    let karmada_name = names::karmada(name);
    let remote = spec.management_cluster != LOCAL_CLUSTER;
    let version = &spec.karmada.version;
    let companions = Release::parse(version).and_then(Release::pinned_images);
    let plan = availability_plan(spec);
    let registry = spec.karmada.image_registry();
    let repository = |kind: ComponentKind| registry.map(|r| format!("{r}/{}", kind.image));
    let spread = |kind: ComponentKind| {
        plan.spread_across_nodes
            .then(|| anti_affinity(kind, &karmada_name))
    };
    let budget = || {
        plan.disruption_budgets.then(|| PodDisruptionBudgetConfig {
            max_unavailable: Some(IntOrString::Int(HA_MAX_UNAVAILABLE)),
            ..PodDisruptionBudgetConfig::default()
        })
    };
    let component = |kind: ComponentKind, tag: Option<&str>| Component {
        image_repository: repository(kind),
        image_tag: tag.map(str::to_owned),
        replicas: plan.component_replicas,
        affinity: spread(kind),
        pod_disruption_budget_config: budget(),
        ..Component::default()
    };
    let karmada_component = |kind| Some(component(kind, Some(version)));
    let kubernetes_tag = companions.map(|c| c.kubernetes);
    let components = Components {
        etcd: Some(Etcd {
            local: Some(LocalEtcd {
                image_repository: repository(ETCD),
                image_tag: companions.map(|c| c.etcd.to_owned()),
                replicas: Some(spec.etcd.replicas),
                volume_data: Some(volume_data(instance)),
                affinity: spread(ETCD),
                pod_disruption_budget_config: budget(),
                other: Unmodelled::new(),
            }),
            other: Unmodelled::new(),
        }),
        karmada_api_server: Some(Component {
            service_type: remote.then(|| REMOTE_APISERVER_SERVICE_TYPE.to_owned()),
            cert_sans: spec.karmada.cert_sans.clone(),
            ..component(API_SERVER, kubernetes_tag)
        }),
        karmada_aggregated_api_server: karmada_component(AGGREGATED_API_SERVER),
        karmada_controller_manager: karmada_component(CONTROLLER_MANAGER),
        karmada_scheduler: karmada_component(SCHEDULER),
        karmada_webhook: karmada_component(WEBHOOK),
        kube_controller_manager: Some(component(KUBE_CONTROLLER_MANAGER, kubernetes_tag)),
        karmada_metrics_adapter: karmada_component(METRICS_ADAPTER),
        other: Unmodelled::new(),
    };
    let host_cluster = remote.then(|| HostCluster {
        secret_ref: Some(SecretRef {
            namespace: namespace.clone(),
            name: names::HOST_CLUSTER_SECRET.to_owned(),
        }),
        other: Unmodelled::new(),
    });
    let crd_url = spec
        .karmada
        .crd_tarball
        .as_ref()
        .map(|t| t.url.clone())
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| release_crd_url(version));
    let mut karmada = Karmada::new(
        &karmada_name,
        KarmadaCrSpec {
            host_cluster,
            components: Some(components),
            crd_tarball: Some(CrdTarball {
                http_source: Some(HttpSource {
                    url: crd_url,
                    other: Unmodelled::new(),
                }),
                other: Unmodelled::new(),
            }),
            private_registry: registry.map(|r| ImageRegistry {
                registry: r.to_owned(),
            }),
            other: Unmodelled::new(),
        },
    );
    karmada.metadata.namespace = Some(namespace);
    karmada.metadata.labels = Some([(INSTANCE_LABEL.to_owned(), name.to_owned())].into());
    karmada
}

/// Pods of `kind` of Karmada CR `karmada` on distinct nodes, required: a member that cannot
/// get a node of its own stays Pending, visibly, rather than sharing a node's fate.
fn anti_affinity(kind: ComponentKind, karmada: &str) -> Affinity {
    let labels = [
        ("app.kubernetes.io/name".to_owned(), kind.app.to_owned()),
        ("app.kubernetes.io/instance".to_owned(), karmada.to_owned()),
    ];
    Affinity {
        pod_anti_affinity: Some(PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: Some(vec![PodAffinityTerm {
                label_selector: Some(LabelSelector {
                    match_labels: Some(labels.into()),
                    ..LabelSelector::default()
                }),
                topology_key: SPREAD_TOPOLOGY_KEY.to_owned(),
                ..PodAffinityTerm::default()
            }]),
            ..PodAntiAffinity::default()
        }),
        ..Affinity::default()
    }
}

fn volume_data(instance: &MulticloudInstance) -> VolumeData {
    let storage = &instance.spec.etcd.storage;
    match storage.type_ {
        StorageType::PersistentVolumeClaim => VolumeData {
            volume_claim: Some(PersistentVolumeClaimTemplate {
                metadata: Some(ObjectMeta {
                    name: Some("etcd-data".to_owned()),
                    ..ObjectMeta::default()
                }),
                spec: PersistentVolumeClaimSpec {
                    access_modes: Some(vec!["ReadWriteOnce".to_owned()]),
                    storage_class_name: storage.class_name().map(str::to_owned),
                    resources: Some(VolumeResourceRequirements {
                        requests: Some(
                            [(
                                "storage".to_owned(),
                                Quantity(storage.size_or_default().to_owned()),
                            )]
                            .into(),
                        ),
                        ..VolumeResourceRequirements::default()
                    }),
                    ..PersistentVolumeClaimSpec::default()
                },
            }),
            ..VolumeData::default()
        },
        StorageType::HostPath => VolumeData {
            host_path: Some(HostPathVolumeSource {
                path: host_path(instance),
                type_: Some("DirectoryOrCreate".to_owned()),
            }),
            ..VolumeData::default()
        },
        StorageType::EmptyDir => VolumeData {
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..VolumeData::default()
        },
    }
}

/// The node directory of a hostPath-backed instance's etcd: the one it names, or (stored
/// without the mutating webhook) a default that is fresh per instance all the same.
pub fn host_path(instance: &MulticloudInstance) -> String {
    instance
        .spec
        .etcd
        .storage
        .host_path()
        .map(str::to_owned)
        .unwrap_or_else(|| {
            names::default_host_path(
                names::DEFAULT_HOST_PATH_ROOT,
                &instance.expected_virtual_cluster(),
                &names::creation_token(instance.metadata.uid.as_deref().unwrap_or("")),
            )
        })
}

#[cfg(test)]
mod tests;
