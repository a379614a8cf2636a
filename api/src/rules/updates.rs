//! Updates: the virtual cluster, the management cluster and where etcd keeps its data are fixed
//! at creation; replicas, the karmada version, the display name and the deletion policy may change.

use super::Violation;
use crate::instance::MulticloudInstance;

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
