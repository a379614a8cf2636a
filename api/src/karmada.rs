//! The karmada-operator `Karmada` custom resource (`operator.karmada.io/v1alpha1`), typed with only
//! the fields multicloud writes or reads; every other field is kept as it came, so an object read
//! back and written again loses nothing. [`render`] turns an instance into the CR it needs.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, HostPathVolumeSource, PersistentVolumeClaimSpec,
    PersistentVolumeClaimTemplate, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::CustomResource;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::instance::{MulticloudInstance, StorageType};
use crate::keys::{INSTANCE_LABEL, LOCAL_CLUSTER};
use crate::names;

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
    /// Everything else.
    #[serde(flatten)]
    pub other: Unmodelled,
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
    /// Everything else.
    #[serde(flatten)]
    pub other: Unmodelled,
}

/// Settings common to karmada components that multicloud writes.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// Image tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag: Option<String>,
    /// Service type (apiserver only): ClusterIP, NodePort or LoadBalancer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
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

/// `spec.components.etcd.local`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LocalEtcd {
    /// etcd members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Where etcd keeps its data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_data: Option<VolumeData>,
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

/// The Karmada CR an instance needs, in the instance's namespace.
pub fn render(instance: &MulticloudInstance) -> Karmada {
    let name = instance.name();
    let spec = &instance.spec;
    let namespace = names::namespace(name);
    let remote = spec.management_cluster != LOCAL_CLUSTER;
    let version = Some(spec.karmada.version.clone());
    let karmada_component = || {
        Some(Component {
            image_tag: version.clone(),
            ..Component::default()
        })
    };
    let components = Components {
        etcd: Some(Etcd {
            local: Some(LocalEtcd {
                replicas: Some(spec.etcd.replicas),
                volume_data: Some(volume_data(instance)),
                other: Unmodelled::new(),
            }),
            other: Unmodelled::new(),
        }),
        karmada_api_server: remote.then(|| Component {
            service_type: Some(REMOTE_APISERVER_SERVICE_TYPE.to_owned()),
            ..Component::default()
        }),
        karmada_aggregated_api_server: karmada_component(),
        karmada_controller_manager: karmada_component(),
        karmada_scheduler: karmada_component(),
        karmada_webhook: karmada_component(),
        other: Unmodelled::new(),
    };
    let host_cluster = remote.then(|| HostCluster {
        secret_ref: Some(SecretRef {
            namespace: namespace.clone(),
            name: names::HOST_CLUSTER_SECRET.to_owned(),
        }),
        other: Unmodelled::new(),
    });
    let mut karmada = Karmada::new(
        &names::karmada(name),
        KarmadaCrSpec {
            host_cluster,
            components: Some(components),
            other: Unmodelled::new(),
        },
    );
    karmada.metadata.namespace = Some(namespace);
    karmada.metadata.labels = Some([(INSTANCE_LABEL.to_owned(), name.to_owned())].into());
    karmada
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
                path: storage.host_path().map(str::to_owned).unwrap_or_else(|| {
                    // Stored without the mutating webhook: fresh per instance all the same.
                    names::default_host_path(
                        names::DEFAULT_HOST_PATH_ROOT,
                        &instance.expected_virtual_cluster(),
                        &names::creation_token(instance.metadata.uid.as_deref().unwrap_or("")),
                    )
                }),
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

#[cfg(test)]
mod tests;
