//! What the real operator does with a change our admission denies (`spec.etcd.replicas` and
//! `spec.etcd.storage.size` are immutable): written straight into the Karmada CR, a replicas
//! change rewrites the etcd StatefulSet into a new cluster of that size
//! (`operator/pkg/controlplane/etcd/etcd.go`, `--initial-cluster-state=new`), and a size
//! change is refused by the API server on every run (`operator/pkg/util/patcher/pather.go`
//! rewrites `volumeClaimTemplates`).
//!
//! The operator is restarted after the change, as in `deletion.rs`, to skip its 120 s wait.

use k8s_openapi::api::apps::v1::StatefulSet;
use kube::api::{Patch, PatchParams};
use multicloud_api::karmada::Karmada;
use multicloud_api::names::KarmadaObjects;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn real_operator_rebuilds_etcd_on_a_replicas_change_and_fails_on_a_size_change() {
    let Some(setup) = RealOperatorSetup::or_skip(
        "real_operator_rebuilds_etcd_on_a_replicas_change_and_fails_on_a_size_change",
    ) else {
        return;
    };
    let plane = global_cluster_with_operator_crd(&setup).await;
    let client = plane.client();
    let grow_url = local_tarball_url("grow");
    let resize_url = local_tarball_url("resize");
    let grow = create_karmada(&client, &rendered("grow", json!({}), &grow_url)).await;
    let resize = create_karmada(
        &client,
        &rendered(
            "resize",
            json!({"etcd": {"storage": {"size": "5Gi"}}}),
            &resize_url,
        ),
    )
    .await;
    let _caches = [CrdCache::fill(&grow_url), CrdCache::fill(&resize_url)];
    let mut operator = RealOperator::start(&setup, &plane);
    installed_up_to_etcd(&client, &grow).await;
    installed_up_to_etcd(&client, &resize).await;

    operator.stop();
    let replicas = json!({"spec": {"components": {"etcd": {"local": {"replicas": 3}}}}});
    api::<Karmada>(&client, "k-grow")
        .patch("grow", &PatchParams::default(), &Patch::Merge(&replicas))
        .await
        .expect("the replicas change is written");
    let size = json!({"spec": {"components": {"etcd": {"local": {"volumeData": {"volumeClaim":
        {"spec": {"resources": {"requests": {"storage": "10Gi"}}}}}}}}}});
    api::<Karmada>(&client, "k-resize")
        .patch("resize", &PatchParams::default(), &Patch::Merge(&size))
        .await
        .expect("the size change is written");
    operator.restart();

    let objects = KarmadaObjects::new("grow");
    let statefulset = object_where(
        &api::<StatefulSet>(&client, "k-grow"),
        &objects.etcd_statefulset(),
        "3 replicas",
        |s| match s.spec.as_ref().and_then(|spec| spec.replicas) {
            Some(3) => Ok(()),
            other => Err(format!("replicas {other:?}")),
        },
    )
    .await;
    let args = etcd_arguments(&statefulset);
    let initial_cluster = args
        .iter()
        .find_map(|a| a.strip_prefix("--initial-cluster="))
        .unwrap_or_default();
    assert_eq!(
        initial_cluster.split(',').count(),
        3,
        "three members from the start: {initial_cluster}"
    );
    assert!(
        args.iter().any(|a| a == "--initial-cluster-state=new"),
        "and a new cluster, not a member added to the old one: {args:?}"
    );

    let karmada = object_where(
        &api::<Karmada>(&client, "k-resize"),
        "resize",
        "Failed",
        reason_is("Failed"),
    )
    .await;
    let message = ready(&karmada)
        .map(|c| c.message.clone())
        .unwrap_or_default();
    eprintln!(
        "observed: after 1 -> 3 replicas --initial-cluster={initial_cluster}; after 5Gi -> 10Gi: {message}"
    );
    assert!(
        message.contains("Forbidden")
            && message.contains(&KarmadaObjects::new("resize").etcd_statefulset()),
        "the API server refuses the StatefulSet update: {message}"
    );
}
