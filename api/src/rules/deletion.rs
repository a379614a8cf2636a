//! Safe delete: an instance with joined member clusters is not deleted under them.

use super::Violation;
use crate::instance::MulticloudInstance;
use crate::names::KarmadaObjects;

/// Violations of the safe-delete rule by deleting `instance`.
pub(super) fn check(instance: &MulticloudInstance) -> Vec<Violation> {
    let members = instance.member_clusters();
    if members <= 0 {
        return Vec::new();
    }
    let name = instance.name();
    let plural = if members == 1 {
        "cluster is"
    } else {
        "clusters are"
    };
    let secret = KarmadaObjects::for_instance(name).admin_kubeconfig_secret();
    vec![Violation::new(
        "status.memberClusters",
        format!(
            "{members} member {plural} still joined to `{}`; unjoin them first (list them with \
             `kubectl get clusters.cluster.karmada.io` against the instance's kubeconfig, from \
             `kubectl multicloud kubeconfig {name}` or Secret {secret}, and run `karmadactl \
             unjoin <cluster>` for each), then delete again",
            instance.expected_virtual_cluster()
        ),
    )]
}
