//! Deleting a Karmada CR under the real operator: its teardown removes the workloads, Services
//! and Secrets but never the etcd PVCs or the namespace (`operator/pkg/tasks/deinit/`), and the
//! disable-cascading-deletion label skips the teardown while the finalizer still goes
//! (`operator/pkg/controller/karmada/controller.go`).
//!
//! The operator works on one CR at a time and, without a kubelet, spends 120 s waiting for
//! etcd's pods before it sees a deletion; it is restarted instead, as after a crash.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Secret, Service};
use kube::api::{Api, DeleteParams};
use multicloud_api::karmada::Karmada;
use multicloud_api::names::KarmadaObjects;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn real_operator_tears_down_all_but_pvcs_and_namespace_unless_the_label_says_not_to() {
    let Some(setup) = RealOperatorSetup::or_skip(
        "real_operator_tears_down_all_but_pvcs_and_namespace_unless_the_label_says_not_to",
    ) else {
        return;
    };
    let plane = global_cluster_with_operator_crd(&setup).await;
    let client = plane.client();
    let gone_url = local_tarball_url("gone");
    let kept_url = local_tarball_url("kept");
    let gone = create_karmada(&client, &rendered("gone", json!({}), &gone_url)).await;
    let mut kept = rendered("kept", json!({}), &kept_url);
    kept.metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert(DISABLE_CASCADING_DELETION_LABEL.into(), "true".into());
    let kept = create_karmada(&client, &kept).await;
    let _caches = [CrdCache::fill(&gone_url), CrdCache::fill(&kept_url)];
    let mut operator = RealOperator::start(&setup, &plane);
    installed_up_to_etcd(&client, &gone).await;
    installed_up_to_etcd(&client, &kept).await;
    for karmada in [&gone, &kept] {
        let name = karmada.metadata.name.clone().unwrap_or_default();
        let namespace = karmada.metadata.namespace.clone().unwrap_or_default();
        object_where(
            &api::<Karmada>(&client, &namespace),
            &name,
            "the finalizer",
            |k| {
                let finalizers = k.metadata.finalizers.clone().unwrap_or_default();
                if finalizers.iter().any(|f| f == FINALIZER) {
                    Ok(())
                } else {
                    Err(format!("finalizers {finalizers:?}"))
                }
            },
        )
        .await;
    }

    operator.stop();
    for (name, namespace) in [("gone", "k-gone"), ("kept", "k-kept")] {
        api::<Karmada>(&client, namespace)
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete is accepted");
        let held = api::<Karmada>(&client, namespace)
            .get(name)
            .await
            .expect("the finalizer holds the CR while the operator is stopped");
        assert!(held.metadata.deletion_timestamp.is_some());
    }
    operator.restart();
    gone_cr(&client, "k-gone", "gone").await;
    gone_cr(&client, "k-kept", "kept").await;

    // Torn down: workloads, Services, Secrets; left: the PVC and the namespace.
    let objects = KarmadaObjects::new("gone");
    until_gone::<StatefulSet>(&api(&client, "k-gone"), &objects.etcd_statefulset()).await;
    for service in etcd_services(&objects) {
        until_gone::<Service>(&api(&client, "k-gone"), &service).await;
    }
    for secret in certificate_secrets(&objects) {
        until_gone::<Secret>(&api(&client, "k-gone"), &secret).await;
    }
    let claims: Api<PersistentVolumeClaim> = api(&client, "k-gone");
    let claim = claims
        .get(&objects.etcd_pvc(0))
        .await
        .expect("the operator leaves etcd's PVC behind");
    assert!(claim.metadata.deletion_timestamp.is_none());
    let namespace = Api::<Namespace>::all(client.clone())
        .get("k-gone")
        .await
        .expect("the operator leaves the namespace behind");
    assert!(namespace.metadata.deletion_timestamp.is_none());

    // Labelled: nothing torn down.
    let objects = KarmadaObjects::new("kept");
    exists::<StatefulSet>(&api(&client, "k-kept"), &objects.etcd_statefulset()).await;
    for secret in certificate_secrets(&objects) {
        exists::<Secret>(&api(&client, "k-kept"), &secret).await;
    }
    assert!(operator.exited().is_none(), "the operator keeps running");
}

async fn gone_cr(client: &kube::Client, namespace: &str, name: &str) {
    until_gone::<Karmada>(&api(client, namespace), name).await;
}
