//! What the admission rules know of the management clusters: which are registered, for each its
//! StorageClasses (or why they are not known), the directory every hostPath must lie under, and
//! the hostPath directories the instances on each cluster already use.
//!
//! The webhook fills this from watches, the plugin's offline `check` from a clusters file, tests
//! from literals; the rules only read it through [`ClusterDirectory`].

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use crate::instance::{MulticloudInstance, StorageType};
use crate::keys::{
    BETA_DEFAULT_CLASS_ANNOTATION, CLUSTER_LABEL, DEFAULT_CLASS_ANNOTATION, KUBECONFIG_KEY,
    LOCAL_CLUSTER, SYSTEM_NAMESPACE,
};
use crate::names::{self, DEFAULT_HOST_PATH_ROOT};

/// One StorageClass of a management cluster, reduced to what the rules and the plugin show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageClassInfo {
    /// Class name.
    pub name: String,
    /// Marked as the cluster's default (GA or beta annotation).
    #[serde(default)]
    pub default: bool,
    /// Provisioner, e.g. `rancher.io/local-path`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provisioner: String,
    /// `Immediate` or `WaitForFirstConsumer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_binding_mode: Option<String>,
}

impl StorageClassInfo {
    /// A class with only a name and whether it is the default.
    pub fn new(name: impl Into<String>, default: bool) -> Self {
        Self {
            name: name.into(),
            default,
            provisioner: String::new(),
            volume_binding_mode: None,
        }
    }
}

impl From<&StorageClass> for StorageClassInfo {
    fn from(class: &StorageClass) -> Self {
        let annotations = class.metadata.annotations.as_ref();
        let marked = |key: &str| {
            annotations
                .and_then(|a| a.get(key))
                .is_some_and(|v| v == "true")
        };
        Self {
            name: class.metadata.name.clone().unwrap_or_default(),
            default: marked(DEFAULT_CLASS_ANNOTATION) || marked(BETA_DEFAULT_CLASS_ANNOTATION),
            provisioner: class.provisioner.clone(),
            volume_binding_mode: class.volume_binding_mode.clone(),
        }
    }
}

/// What is known of one management cluster right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum ClusterState {
    /// Synced: these are all its StorageClasses.
    Ready {
        /// Every StorageClass of the cluster.
        #[serde(default, rename = "storageClasses")]
        storage_classes: Vec<StorageClassInfo>,
    },
    /// Registered, but its StorageClasses have not been listed yet.
    NotSynced,
    /// Registered, but it cannot be reached (or its kubeconfig is unusable).
    Unreachable {
        /// Why, in words.
        reason: String,
    },
}

impl ClusterState {
    /// A synced cluster with these classes.
    pub fn ready(storage_classes: Vec<StorageClassInfo>) -> Self {
        Self::Ready { storage_classes }
    }

    /// The default class of a synced cluster (the first by name when several are marked).
    pub fn default_class(&self) -> Option<&StorageClassInfo> {
        match self {
            Self::Ready { storage_classes } => storage_classes.iter().find(|c| c.default),
            _ => None,
        }
    }
}

/// The etcd hostPath directory an existing instance uses on its management cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostPathInUse {
    /// The instance's name.
    pub instance: String,
    /// The management cluster whose nodes hold the directory.
    pub management_cluster: String,
    /// The directory, as the instance names it.
    pub path: String,
}

impl HostPathInUse {
    /// The directory `instance` uses, when its etcd keeps data in a hostPath.
    pub fn of(instance: &MulticloudInstance) -> Option<Self> {
        let storage = &instance.spec.etcd.storage;
        if storage.type_ != StorageType::HostPath {
            return None;
        }
        let path = match storage.host_path() {
            Some(path) => path.to_owned(),
            // Stored without the mutating webhook: the directory the Karmada CR was rendered
            // with (`karmada::volume_data`).
            None => names::default_host_path(
                DEFAULT_HOST_PATH_ROOT,
                &instance.expected_virtual_cluster(),
                &names::creation_token(instance.metadata.uid.as_deref().unwrap_or("")),
            ),
        };
        Some(Self {
            instance: instance.name().to_owned(),
            management_cluster: instance.spec.management_cluster.clone(),
            path,
        })
    }
}

/// Read access to everything the rules know of the management clusters.
pub trait ClusterDirectory {
    /// Every management cluster an instance may name, `local` included, sorted.
    fn cluster_names(&self) -> Vec<String>;
    /// What is known of `name`, or `None` when no such cluster is registered.
    fn cluster(&self, name: &str) -> Option<ClusterState>;
    /// The directory every hostPath must lie strictly under (the webhook's `--host-path-root`).
    fn host_path_root(&self) -> &str {
        DEFAULT_HOST_PATH_ROOT
    }
    /// The hostPath directories of the instances that exist on management cluster `cluster`,
    /// or why they are not known (then a hostPath instance cannot be admitted there).
    fn host_paths_in_use(&self, cluster: &str) -> Result<Vec<HostPathInUse>, String> {
        let _ = cluster;
        Ok(Vec::new())
    }
}

/// A [`ClusterDirectory`] held in memory; also the format of the plugin's clusters file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterCatalog {
    /// State by cluster name.
    pub clusters: BTreeMap<String, ClusterState>,
    /// The host-path root the webhook enforces; absent means `/var/lib/multicloud`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path_root: Option<String>,
    /// hostPath directories already used by instances, which a new one may not overlap.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_paths: Vec<HostPathInUse>,
}

impl ClusterCatalog {
    /// A catalog with only `local`, in the given state.
    pub fn local(state: ClusterState) -> Self {
        Self::default().with(LOCAL_CLUSTER, state)
    }

    /// The catalog with cluster `name` set to `state`.
    pub fn with(mut self, name: &str, state: ClusterState) -> Self {
        self.clusters.insert(name.to_owned(), state);
        self
    }
}

impl ClusterDirectory for ClusterCatalog {
    fn cluster_names(&self) -> Vec<String> {
        self.clusters.keys().cloned().collect()
    }

    fn cluster(&self, name: &str) -> Option<ClusterState> {
        self.clusters.get(name).cloned()
    }

    fn host_path_root(&self) -> &str {
        self.host_path_root
            .as_deref()
            .unwrap_or(DEFAULT_HOST_PATH_ROOT)
    }

    fn host_paths_in_use(&self, cluster: &str) -> Result<Vec<HostPathInUse>, String> {
        Ok(self
            .host_paths
            .iter()
            .filter(|used| used.management_cluster == cluster)
            .cloned()
            .collect())
    }
}

/// Another directory's knowledge with a different host-path root, for a root given on the
/// command line.
pub struct WithHostPathRoot<'a> {
    /// Everything else comes from here.
    pub inner: &'a dyn ClusterDirectory,
    /// The root to enforce.
    pub root: &'a str,
}

impl ClusterDirectory for WithHostPathRoot<'_> {
    fn cluster_names(&self) -> Vec<String> {
        self.inner.cluster_names()
    }

    fn cluster(&self, name: &str) -> Option<ClusterState> {
        self.inner.cluster(name)
    }

    fn host_path_root(&self) -> &str {
        self.root
    }

    fn host_paths_in_use(&self, cluster: &str) -> Result<Vec<HostPathInUse>, String> {
        self.inner.host_paths_in_use(cluster)
    }
}

/// The Secret that registers management cluster `name`: in `multicloud-system`, labelled
/// `multicloud.dev/cluster=true`, holding a self-contained `kubeconfig`.
pub fn registration_secret(name: &str, kubeconfig: &str) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(SYSTEM_NAMESPACE.to_owned()),
            labels: Some([(CLUSTER_LABEL.to_owned(), "true".to_owned())].into()),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".to_owned()),
        data: Some(
            [(
                KUBECONFIG_KEY.to_owned(),
                ByteString(kubeconfig.as_bytes().to_vec()),
            )]
            .into(),
        ),
        ..Secret::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn class(name: &str, annotation: Option<(&str, &str)>) -> StorageClass {
        StorageClass {
            metadata: ObjectMeta {
                name: Some(name.into()),
                annotations: annotation.map(|(k, v)| [(k.to_owned(), v.to_owned())].into()),
                ..Default::default()
            },
            provisioner: "example.com/disk".into(),
            volume_binding_mode: Some("WaitForFirstConsumer".into()),
            ..Default::default()
        }
    }

    #[test]
    fn default_class_is_read_from_ga_and_beta_annotations() {
        let ga = StorageClassInfo::from(&class("ga", Some((DEFAULT_CLASS_ANNOTATION, "true"))));
        let beta =
            StorageClassInfo::from(&class("b", Some((BETA_DEFAULT_CLASS_ANNOTATION, "true"))));
        let off = StorageClassInfo::from(&class("off", Some((DEFAULT_CLASS_ANNOTATION, "false"))));
        let none = StorageClassInfo::from(&class("none", None));
        assert!(ga.default && beta.default);
        assert!(!off.default && !none.default);
        assert_eq!(ga.provisioner, "example.com/disk");
        assert_eq!(
            ga.volume_binding_mode.as_deref(),
            Some("WaitForFirstConsumer")
        );
    }

    #[test]
    fn catalog_parses_from_yaml_file_format() {
        let yaml = r#"
clusters:
  local:
    state: ready
    storageClasses:
      - { name: standard, default: true }
  edge-1:
    state: unreachable
    reason: connection refused
  edge-2:
    state: notSynced
hostPathRoot: /srv/multicloud
hostPaths:
  - { instance: lab, managementCluster: local, path: /srv/multicloud/k-lab/etcd }
"#;
        let catalog: ClusterCatalog = crate::yaml::from_str(yaml).expect("parses");
        assert_eq!(catalog.cluster_names(), ["edge-1", "edge-2", "local"]);
        assert_eq!(
            catalog
                .cluster("local")
                .and_then(|s| s.default_class().cloned()),
            Some(StorageClassInfo::new("standard", true))
        );
        assert_eq!(catalog.cluster("edge-2"), Some(ClusterState::NotSynced));
        assert!(catalog.cluster("nope").is_none());
        assert_eq!(catalog.host_path_root(), "/srv/multicloud");
        assert_eq!(catalog.host_paths_in_use("local").map(|u| u.len()), Ok(1));
        assert_eq!(catalog.host_paths_in_use("edge-1"), Ok(Vec::new()));
        assert_eq!(
            ClusterCatalog::default().host_path_root(),
            DEFAULT_HOST_PATH_ROOT
        );
    }
}
