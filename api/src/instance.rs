//! The `MulticloudInstance` custom resource (`multicloud.dev/v1alpha1`).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// karmada release used when an instance names none: the latest stable release.
pub const DEFAULT_KARMADA_VERSION: &str = "v1.18.2";

/// Size of each etcd PVC when an instance names none.
pub const DEFAULT_ETCD_STORAGE_SIZE: &str = "5Gi";

/// etcd member counts that keep a quorum meaningful.
pub const ALLOWED_ETCD_REPLICAS: [i32; 4] = [1, 3, 5, 7];

/// A Karmada control plane, run by karmada-operator on a management cluster and seen as the
/// virtual cluster `k-<name>`.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "multicloud.dev",
    version = "v1alpha1",
    kind = "MulticloudInstance",
    plural = "multicloudinstances",
    shortname = "mci",
    category = "multicloud",
    status = "MulticloudInstanceStatus",
    derive = "PartialEq",
    doc = "A Karmada control plane managed by multicloud.",
    printcolumn = r#"{"name":"Virtual Cluster","type":"string","jsonPath":".spec.virtualClusterName"}"#,
    printcolumn = r#"{"name":"Management Cluster","type":"string","jsonPath":".spec.managementCluster"}"#,
    printcolumn = r#"{"name":"Storage","type":"string","jsonPath":".spec.etcd.storage.type"}"#,
    printcolumn = r#"{"name":"HA","type":"boolean","jsonPath":".status.highAvailability"}"#,
    printcolumn = r#"{"name":"Phase","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct MulticloudInstanceSpec {
    /// `k-` followed by the instance name; set by the mutating webhook, any other value is denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_cluster_name: Option<String>,
    /// Cluster whose nodes run the control plane: `local` (the global cluster) or a registered one.
    #[serde(default = "default_management_cluster")]
    pub management_cluster: String,
    /// Human-friendly alias shown by the plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// karmada components.
    #[serde(default)]
    pub karmada: KarmadaSpec,
    /// The instance's etcd.
    #[serde(default)]
    pub etcd: EtcdSpec,
    /// What deleting the instance does to its Karmada control plane.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

impl Default for MulticloudInstanceSpec {
    fn default() -> Self {
        Self {
            virtual_cluster_name: None,
            management_cluster: default_management_cluster(),
            display_name: None,
            karmada: KarmadaSpec::default(),
            etcd: EtcdSpec::default(),
            deletion_policy: DeletionPolicy::default(),
        }
    }
}

fn default_management_cluster() -> String {
    crate::keys::LOCAL_CLUSTER.to_owned()
}

/// karmada component settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KarmadaSpec {
    /// karmada release (`vMAJOR.MINOR.PATCH`) every component runs; may only be raised.
    #[serde(default = "default_karmada_version")]
    pub version: String,
    /// Registry every image is pulled from instead of docker.io/karmada and registry.k8s.io,
    /// e.g. `registry.example.com:5000/mirror` (it must hold `karmada-*`, `etcd`,
    /// `kube-apiserver` and `kube-controller-manager` under that path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_registry: Option<String>,
    /// Where karmada-operator downloads the Karmada CRDs from; default: the GitHub release of
    /// `version`. Set it on clusters that cannot reach GitHub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crd_tarball: Option<CrdTarball>,
    /// Extra names (DNS names or IP addresses) the Karmada API server certificate covers, e.g.
    /// the address `kubectl multicloud kubeconfig --server` will use. Fixed at creation.
    #[serde(default, rename = "certSANs", skip_serializing_if = "Vec::is_empty")]
    pub cert_sans: Vec<String>,
}

impl Default for KarmadaSpec {
    fn default() -> Self {
        Self {
            version: default_karmada_version(),
            image_registry: None,
            crd_tarball: None,
            cert_sans: Vec::new(),
        }
    }
}

impl KarmadaSpec {
    /// The image registry, treating `""` like an absent one.
    pub fn image_registry(&self) -> Option<&str> {
        self.image_registry.as_deref().filter(|s| !s.is_empty())
    }
}

/// Source of the Karmada CRD tarball (`crds.tar.gz` of a karmada release).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CrdTarball {
    /// `http://` or `https://` URL of the tarball.
    pub url: String,
}

fn default_karmada_version() -> String {
    DEFAULT_KARMADA_VERSION.to_owned()
}

/// etcd settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EtcdSpec {
    /// Number of etcd members: 1, 3, 5 or 7.
    #[serde(default = "default_replicas")]
    pub replicas: i32,
    /// Where etcd keeps its data.
    #[serde(default)]
    pub storage: EtcdStorage,
}

impl Default for EtcdSpec {
    fn default() -> Self {
        Self {
            replicas: default_replicas(),
            storage: EtcdStorage::default(),
        }
    }
}

fn default_replicas() -> i32 {
    1
}

/// etcd data storage.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EtcdStorage {
    /// PersistentVolumeClaim (default), HostPath or EmptyDir.
    #[serde(default, rename = "type")]
    pub type_: StorageType,
    /// PersistentVolumeClaim only: the StorageClass; empty means the cluster's default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
    /// PersistentVolumeClaim only: size of each etcd PVC (default 5Gi).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// HostPath only: directory on the node; default `/var/lib/multicloud/<virtualClusterName>/etcd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<String>,
}

impl EtcdStorage {
    /// The named StorageClass, treating `""` like an absent name.
    pub fn class_name(&self) -> Option<&str> {
        self.storage_class_name.as_deref().filter(|s| !s.is_empty())
    }

    /// The host path, treating `""` like an absent path.
    pub fn host_path(&self) -> Option<&str> {
        self.host_path.as_deref().filter(|s| !s.is_empty())
    }

    /// The PVC size, with the default applied.
    pub fn size_or_default(&self) -> &str {
        self.size
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_ETCD_STORAGE_SIZE)
    }
}

/// Kind of etcd storage.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, JsonSchema)]
pub enum StorageType {
    /// A PVC per etcd member from a StorageClass: survives rescheduling; HA with 3+ replicas.
    #[default]
    PersistentVolumeClaim,
    /// A directory on the node: data bound to one node.
    HostPath,
    /// A pod-lifetime directory: data lost when the pod restarts.
    EmptyDir,
}

impl std::fmt::Display for StorageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::PersistentVolumeClaim => "PersistentVolumeClaim",
            Self::HostPath => "HostPath",
            Self::EmptyDir => "EmptyDir",
        })
    }
}

/// What deleting an instance does to its Karmada control plane.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, JsonSchema)]
pub enum DeletionPolicy {
    /// The Karmada CR and the instance namespace are deleted with the instance (recommended).
    #[default]
    Delete,
    /// The Karmada CR and namespace stay, annotated with the instance they came from.
    Retain,
}

impl std::fmt::Display for DeletionPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Delete => "Delete",
            Self::Retain => "Retain",
        })
    }
}

/// Observed state of an instance, written by the controller.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MulticloudInstanceStatus {
    /// Where the instance is in its life.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// Whether the instance survives the loss of a node (PVC storage and 3+ etcd members).
    #[serde(default)]
    pub high_availability: bool,
    /// Member clusters joined to the instance's Karmada.
    #[serde(default)]
    pub member_clusters: i32,
    /// The Karmada CR this instance drives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub karmada: Option<KarmadaRef>,
    /// Secret holding the instance's admin kubeconfig.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeconfig_secret_ref: Option<ObjectRef>,
    /// Generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, StorageReady, KarmadaReady (and others), each with a reason and message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The install (or the last change) karmada-operator is carrying out, and its time limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<InstallProgress>,
}

/// The install of an instance or of its last spec change: karmada-operator retries a failed
/// run on its own, so a failure is counted and the install is given up only at its deadline.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstallProgress {
    /// Generation of the spec being installed.
    pub generation: i64,
    /// When it began: the instance's creation or its last spec change (RFC 3339).
    pub started: String,
    /// When the controller gives up and reports `Failed` (RFC 3339; `--install-timeout`).
    pub deadline: String,
    /// karmada-operator runs seen ending in `Failed` since it began.
    #[serde(default)]
    pub failures: i32,
    /// The last failure counted (its transition time and message), so each is counted once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
}

impl MulticloudInstanceStatus {
    /// The condition of type `type_`, if present.
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }
}

/// Life cycle phase of an instance.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum Phase {
    /// Accepted; the Karmada CR is not there yet.
    Pending,
    /// karmada-operator is installing the control plane.
    Provisioning,
    /// The control plane is ready.
    Running,
    /// The install failed; see the conditions.
    Failed,
    /// The instance is being deleted.
    Deleting,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pending => "Pending",
            Self::Provisioning => "Provisioning",
            Self::Running => "Running",
            Self::Failed => "Failed",
            Self::Deleting => "Deleting",
        })
    }
}

/// Reference to the Karmada CR of an instance.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KarmadaRef {
    /// Namespace of the Karmada CR.
    pub namespace: String,
    /// Name of the Karmada CR.
    pub name: String,
    /// karmada version it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Namespaced object reference.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default, JsonSchema)]
pub struct ObjectRef {
    /// Namespace of the object.
    pub namespace: String,
    /// Name of the object.
    pub name: String,
}

/// A status condition, as Kubernetes conventions describe them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Condition type, e.g. `Ready`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// One CamelCase word for machines.
    #[serde(default)]
    #[schemars(transform = no_schema_default)]
    pub reason: String,
    /// What happened and what to do, for people.
    #[serde(default)]
    #[schemars(transform = no_schema_default)]
    pub message: String,
    /// When the status last changed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    /// Generation the condition was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// kube-apiserver 1.20 rejects an empty-string schema default (it reads it as null), and an
/// empty reason or message is no useful default anyway.
fn no_schema_default(schema: &mut schemars::Schema) {
    schema.remove("default");
}

impl Condition {
    /// Whether the condition's status is `True`.
    pub fn is_true(&self) -> bool {
        self.status == "True"
    }
}

impl MulticloudInstance {
    /// The instance name (`metadata.name`), empty when the API server has not assigned it yet.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// The virtual cluster this instance must have: `k-<name>`.
    pub fn expected_virtual_cluster(&self) -> String {
        crate::names::virtual_cluster(self.name())
    }

    /// Members joined to the instance's Karmada, as last observed.
    pub fn member_clusters(&self) -> i32 {
        self.status.as_ref().map_or(0, |s| s.member_clusters)
    }
}
