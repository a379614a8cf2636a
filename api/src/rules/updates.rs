//! Updates: the virtual cluster, the management cluster, the etcd membership and where and how
//! much etcd keeps its data are fixed at creation; the karmada version, the display name and the
//! deletion policy may change.
//!
//! karmada-operator cannot change an etcd it made: it writes `--initial-cluster` from the replica
//! count (operator/pkg/controlplane/etcd/etcd.go) with `--initial-cluster-state=new`
//! (operator/pkg/controlplane/etcd/manifests.go) and replaces the StatefulSet on a change
//! (operator/pkg/util/apiclient/idempotency.go), so new members form a cluster of their own
//! behind the same client Service, and fewer lose quorum. It writes the size into the
//! StatefulSet's `volumeClaimTemplates` (operator/pkg/util/patcher/pather.go), which the API
//! server refuses to update, so every later run of the operator fails at the etcd step.

use super::Violation;
use crate::instance::{MulticloudInstance, StorageType};

/// Violations of immutability by an update from `old` to `new`.
pub(super) fn check(old: &MulticloudInstance, new: &MulticloudInstance) -> Vec<Violation> {
    let (o, n) = (&old.spec, &new.spec);
    let (os, ns) = (&o.etcd.storage, &n.etcd.storage);
    let mut violations = Vec::new();
    let mut immutable = |field: &str, before: String, after: String, hint: &str| {
        if before != after {
            violations.push(Violation::new(
                field,
                format!("is immutable (was \"{before}\", now \"{after}\"); {hint}"),
            ));
        }
    };
    let recreate = "create a new instance to change it";
    let migrate = "create a new instance with the new value and move the workloads to it";
    immutable(
        "spec.etcd.replicas",
        o.etcd.replicas.to_string(),
        n.etcd.replicas.to_string(),
        &format!(
            "karmada-operator fixes etcd's membership when it creates the instance \
             (--initial-cluster, --initial-cluster-state=new) and cannot add or remove members: \
             added members would form a second etcd cluster, removed ones lose quorum; {migrate}"
        ),
    );
    if os.type_ == StorageType::PersistentVolumeClaim && ns.type_ == os.type_ {
        immutable(
            "spec.etcd.storage.size",
            os.size_or_default().to_owned(),
            ns.size_or_default().to_owned(),
            &format!(
                "karmada-operator writes the size into the etcd StatefulSet's \
                 volumeClaimTemplates, which Kubernetes does not let it update, and every later \
                 install step would fail; {migrate}"
            ),
        );
    }
    // An instance stored before the webhook existed may gain its virtual cluster name once.
    if let Some(before) = o.virtual_cluster_name.clone() {
        let after = n.virtual_cluster_name.clone().unwrap_or_default();
        immutable(
            "spec.virtualClusterName",
            before,
            after,
            "it names the virtual cluster",
        );
    }
    immutable(
        "spec.managementCluster",
        o.management_cluster.clone(),
        n.management_cluster.clone(),
        "the control plane cannot move between clusters; create a new instance there",
    );
    immutable(
        "spec.etcd.storage.type",
        os.type_.to_string(),
        ns.type_.to_string(),
        recreate,
    );
    immutable(
        "spec.etcd.storage.storageClassName",
        os.class_name().unwrap_or_default().to_owned(),
        ns.class_name().unwrap_or_default().to_owned(),
        recreate,
    );
    immutable(
        "spec.etcd.storage.hostPath",
        os.host_path().unwrap_or_default().to_owned(),
        ns.host_path().unwrap_or_default().to_owned(),
        recreate,
    );
    violations
}
