//! The management cluster on create: it must be registered and reachable, and PVC storage needs
//! a StorageClass there (the named one, or a default).

use super::{Violation, list_or_none};
use crate::clusters::{ClusterDirectory, ClusterState, StorageClassInfo};
use crate::instance::{MulticloudInstance, StorageType};
use crate::keys::{DEFAULT_CLASS_ANNOTATION, LOCAL_CLUSTER, SYSTEM_NAMESPACE};

/// Violations of the management-cluster and storage rules by a new instance.
pub(super) fn check(
    instance: &MulticloudInstance,
    clusters: &dyn ClusterDirectory,
) -> Vec<Violation> {
    let cluster = instance.spec.management_cluster.as_str();
    let field = "spec.managementCluster";
    let state = match clusters.cluster(cluster) {
        Some(state) => state,
        None => {
            return vec![Violation::new(
                field,
                format!(
                    "management cluster `{cluster}` is not registered (registered: {}); register \
                     it with `kubectl multicloud cluster add {cluster} --cluster-kubeconfig FILE` \
                     or use one of those",
                    list_or_none(clusters.cluster_names())
                ),
            )];
        }
    };
    match state {
        ClusterState::NotSynced => vec![Violation::new(
            field,
            format!(
                "management cluster `{cluster}` is not synced yet: its StorageClasses are not \
                 known; retry in a few seconds"
            ),
        )],
        ClusterState::Unreachable { reason } => {
            // `local` has no Secret: it is the cluster the webhook itself runs in.
            let check = if cluster == LOCAL_CLUSTER {
                "check the webhook's access to the global cluster (its logs say more)".to_owned()
            } else {
                format!(
                    "check that its API server is up and that the kubeconfig in Secret \
                     {SYSTEM_NAMESPACE}/{cluster} is right"
                )
            };
            vec![Violation::new(
                field,
                format!("management cluster `{cluster}` is unreachable: {reason}; {check}"),
            )]
        }
        ClusterState::Ready { storage_classes } => {
            if instance.spec.etcd.storage.type_ == StorageType::PersistentVolumeClaim {
                check_storage_class(instance, cluster, &storage_classes)
            } else {
                Vec::new()
            }
        }
    }
}

fn check_storage_class(
    instance: &MulticloudInstance,
    cluster: &str,
    classes: &[StorageClassInfo],
) -> Vec<Violation> {
    let field = "spec.etcd.storage.storageClassName";
    let has = describe(classes);
    match instance.spec.etcd.storage.class_name() {
        Some(named) if classes.iter().any(|c| c.name == named) => Vec::new(),
        Some(named) => vec![Violation::new(
            field,
            format!(
                "StorageClass `{named}` does not exist on management cluster `{cluster}` (it \
                 has: {has}); name one of those with --storage-class (spec.etcd.storage.\
                 storageClassName), create `{named}`, or use --host-path (not highly available)"
            ),
        )],
        None if classes.iter().any(|c| c.default) => Vec::new(),
        None if classes.is_empty() => vec![Violation::new(
            field,
            format!(
                "management cluster `{cluster}` has no StorageClass (it has: none), so etcd's \
                 PVCs would stay Pending; install one, name one with --storage-class \
                 (spec.etcd.storage.storageClassName), or use --host-path (not highly available)"
            ),
        )],
        None => vec![Violation::new(
            field,
            format!(
                "management cluster `{cluster}` has no default StorageClass (it has: {has}); \
                 name one with --storage-class (spec.etcd.storage.storageClassName), mark one \
                 default with the annotation {DEFAULT_CLASS_ANNOTATION}: \"true\", or use \
                 --host-path (not highly available)"
            ),
        )],
    }
}

fn describe(classes: &[StorageClassInfo]) -> String {
    list_or_none(classes.iter().map(|c| {
        if c.default {
            format!("{} (default)", c.name)
        } else {
            c.name.clone()
        }
    }))
}
