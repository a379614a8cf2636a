//! What karmada-operator cannot change after creation stays as it was.

use super::*;

fn changed(change: impl FnOnce(&mut MulticloudInstance)) -> (MulticloudInstance, Decision) {
    let old = admitted(&instance("demo"));
    let mut new = old.clone();
    change(&mut new);
    let decision = validate(&update(&old, &new), &local_with_default_class());
    (new, decision)
}

#[test]
fn etcd_replicas_cannot_change_because_membership_is_fixed_at_creation() {
    for (from, to) in [(1, 3), (3, 1), (3, 5)] {
        let mut old = instance("demo");
        old.spec.etcd.replicas = from;
        let old = admitted(&old);
        let mut new = old.clone();
        new.spec.etcd.replicas = to;
        let decision = validate(&update(&old, &new), &local_with_default_class());
        assert_eq!(
            denied_fields(&decision),
            ["spec.etcd.replicas"],
            "{from}->{to}"
        );
        let message = decision.message();
        for part in [
            &format!("is immutable (was \"{from}\", now \"{to}\")"),
            "--initial-cluster",
            "create a new instance",
        ] {
            assert!(message.contains(part), "{part}: {message}");
        }
    }
}

#[test]
fn etcd_storage_size_cannot_change_because_volume_claim_templates_are_fixed() {
    let (_, decision) = changed(|new| new.spec.etcd.storage.size = Some("10Gi".into()));
    assert_eq!(denied_fields(&decision), ["spec.etcd.storage.size"]);
    let message = decision.message();
    assert!(message.contains("was \"5Gi\", now \"10Gi\""), "{message}");
    assert!(message.contains("volumeClaimTemplates"), "{message}");
    assert!(message.contains("create a new instance"), "{message}");
    // Writing the default out is no change.
    let (_, decision) = changed(|new| new.spec.etcd.storage.size = Some("5Gi".into()));
    assert!(decision.allowed(), "{}", decision.message());
}

#[test]
fn the_host_path_cannot_change() {
    let old = admitted(&host_path("demo"));
    let mut new = old.clone();
    new.spec.etcd.storage.host_path = Some("/var/lib/multicloud/k-demo/other".into());
    let decision = validate(&update(&old, &new), &local_with_default_class());
    assert_eq!(denied_fields(&decision), ["spec.etcd.storage.hostPath"]);
}

#[test]
fn an_update_gets_no_default_host_path() {
    // Stored before the webhook filled paths in: an update must not move etcd's data.
    let old = host_path("demo");
    let decision = mutate(&update(&old, &old), &ClusterCatalog::default());
    assert!(
        !decision
            .patch
            .iter()
            .any(|op| op.path().as_str() == "/spec/etcd/storage/hostPath"),
        "{:?}",
        decision.patch
    );
}
