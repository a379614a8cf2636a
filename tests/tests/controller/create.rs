//! Creating an instance: its namespace, and its Karmada CR with the storage and management
//! cluster it asks for.

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Secret};
use kube::api::{Api, PostParams};
use multicloud_api::Phase;
use multicloud_api::clusters::registration_secret;
use multicloud_api::keys::{FINALIZER, INSTANCE_LABEL, KUBECONFIG_KEY, SYSTEM_NAMESPACE};
use multicloud_api::names::{HOST_CLUSTER_SECRET, KarmadaObjects};
use multicloud_testenv::ControlPlane;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn creates_namespace_and_karmada_cr_with_the_requested_storage() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    let storage_class = json!({"replicas": 3, "storage": {
        "type": "PersistentVolumeClaim", "storageClassName": "fast", "size": "10Gi"}});
    create(
        &client,
        &instance("classed", json!({"etcd": storage_class})),
    )
    .await;
    create(
        &client,
        &instance("pinned", json!({"etcd": {"storage": {"type": "HostPath"}}})),
    )
    .await;
    create(
        &client,
        &instance(
            "scratch",
            json!({"etcd": {"storage": {"type": "EmptyDir"}}}),
        ),
    )
    .await;

    let classed = karmada_of(&client, "classed").await;
    let etcd = &classed["spec"]["components"]["etcd"]["local"];
    assert_eq!(etcd["replicas"], json!(3));
    let claim = &etcd["volumeData"]["volumeClaim"]["spec"];
    assert_eq!(claim["storageClassName"], json!("fast"));
    assert_eq!(claim["resources"]["requests"]["storage"], json!("10Gi"));
    assert_eq!(
        classed["metadata"]["labels"][INSTANCE_LABEL],
        json!("classed")
    );
    assert!(
        classed["spec"]["hostCluster"].is_null(),
        "local instances use the operator's cluster"
    );

    let pinned = karmada_of(&client, "pinned").await;
    // Stored without the mutating webhook: the default directory, fresh per instance (its uid).
    let uid = Api::<multicloud_api::MulticloudInstance>::all(client.clone())
        .get("pinned")
        .await
        .expect("pinned is stored")
        .metadata
        .uid
        .unwrap_or_default();
    assert_eq!(
        pinned["spec"]["components"]["etcd"]["local"]["volumeData"]["hostPath"]["path"],
        json!(format!(
            "/var/lib/multicloud/k-pinned-{}/etcd",
            &uid.replace('-', "")[..8]
        ))
    );
    let scratch = karmada_of(&client, "scratch").await;
    assert_eq!(
        scratch["spec"]["components"]["etcd"]["local"]["volumeData"]["emptyDir"],
        json!({})
    );

    let namespace = Api::<Namespace>::all(client.clone())
        .get("k-classed")
        .await
        .expect("the instance namespace exists");
    let labels = namespace.metadata.labels.unwrap_or_default();
    assert_eq!(
        labels.get(INSTANCE_LABEL).map(String::as_str),
        Some("classed")
    );

    let found = status_where(
        &client,
        "classed",
        "waiting for karmada-operator",
        |status| match status.condition("KarmadaReady") {
            Some(c) if c.reason == "WaitingForOperator" => Ok(()),
            other => Err(format!("KarmadaReady {other:?}")),
        },
    )
    .await;
    let status = found.status.unwrap_or_default();
    assert_eq!(status.phase, Some(Phase::Pending));
    assert!(
        status.high_availability,
        "PVC storage with 3 members is highly available"
    );
    let karmada = status.karmada.expect("karmada reference");
    assert_eq!(
        (karmada.namespace.as_str(), karmada.name.as_str()),
        ("k-classed", "classed")
    );
    assert_eq!(found.metadata.finalizers, Some(vec![FINALIZER.to_owned()]));
    let pinned = status_where(
        &client,
        "pinned",
        "storage on the node",
        |status| match status.condition("StorageReady") {
            Some(c) if c.reason == "HostPath" => Ok(()),
            other => Err(format!("StorageReady {other:?}")),
        },
    )
    .await;
    assert_eq!(pinned.status.map(|s| s.high_availability), Some(false));

    // Reported HA only because the rendering makes it so (operator type.go CommonSettings):
    // etcd members spread across nodes with a budget, every other component with more than
    // one replica, spread and a budget; a non-HA instance keeps the operator's defaults.
    let ha = |karmada: &serde_json::Value, field: &str| {
        let component = if field == "etcd" {
            &karmada["spec"]["components"]["etcd"]["local"]
        } else {
            &karmada["spec"]["components"][field]
        };
        (
            component["replicas"].as_i64().unwrap_or(1),
            component["affinity"]["podAntiAffinity"].is_object(),
            component["podDisruptionBudgetConfig"].is_object(),
        )
    };
    let scratch = karmada_of(&client, "scratch").await;
    for field in [
        "etcd",
        "karmadaAPIServer",
        "karmadaAggregatedAPIServer",
        "kubeControllerManager",
        "karmadaControllerManager",
        "karmadaScheduler",
        "karmadaWebhook",
        "karmadaMetricsAdapter",
    ] {
        let (replicas, spread, budget) = ha(&classed, field);
        assert!(
            replicas > 1 && spread && budget,
            "{field} of an HA instance: {replicas} replicas, spread {spread}, budget {budget}"
        );
        let (_, spread, budget) = ha(&scratch, field);
        assert!(!spread && !budget, "{field} of a non-HA instance");
    }
}

#[tokio::test]
async fn remote_management_cluster_gets_its_kubeconfig_copied_and_its_claims_read() {
    let plane = global_cluster().await;
    let remote = ControlPlane::start()
        .await
        .expect("remote control plane starts");
    let client = plane.client();
    let register = |cluster: &'static str| {
        let secrets: Api<Secret> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
        let secret = registration_secret(cluster, &remote.kubeconfig_yaml());
        async move {
            secrets
                .create(&PostParams::default(), &secret)
                .await
                .expect("cluster Secret is created");
        }
    };
    register("edge-1").await;
    let _controller = Controller::start(&plane, "controller", &[]);
    create(
        &client,
        &instance("far", json!({"managementCluster": "edge-1"})),
    )
    .await;

    let karmada = karmada_of(&client, "far").await;
    assert_eq!(
        karmada["spec"]["hostCluster"]["secretRef"],
        json!({"namespace": "k-far", "name": HOST_CLUSTER_SECRET})
    );
    assert_eq!(
        karmada["spec"]["components"]["karmadaAPIServer"]["serviceType"],
        json!("NodePort")
    );
    let copy = Api::<Secret>::namespaced(client.clone(), "k-far")
        .get(HOST_CLUSTER_SECRET)
        .await
        .expect("the kubeconfig is copied into the instance namespace");
    // Re-serialised from the checked kubeconfig, never the Secret's bytes.
    let data = copy.data.unwrap_or_default();
    let checked = multicloud_api::kubeconfig::check(&remote.kubeconfig_yaml()).expect("admitted");
    assert_eq!(
        data.get(KUBECONFIG_KEY),
        Some(&ByteString(checked.to_yaml().into_bytes()))
    );

    // The controller made the namespace on the management cluster (karmada-operator keeps an
    // existing one: operator/pkg/util/apiclient/idempotency.go `CreateNamespace`) and
    // karmada-operator makes the etcd PVC there; with no StorageClass it stays Pending, and the
    // status must say so from the remote cluster's events.
    let remote_client = remote.client();
    let made = Api::<Namespace>::all(remote_client.clone())
        .get("k-far")
        .await
        .expect("the namespace is made on the management cluster");
    assert_eq!(
        made.metadata
            .labels
            .unwrap_or_default()
            .get(INSTANCE_LABEL)
            .map(String::as_str),
        Some("far")
    );
    let pvc_name = KarmadaObjects::for_instance("far").etcd_pvc(0);
    let pvc: PersistentVolumeClaim = from_json(json!({
        "metadata": {"name": pvc_name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    }));
    Api::<PersistentVolumeClaim>::namespaced(remote_client, "k-far")
        .create(&PostParams::default(), &pvc)
        .await
        .expect("remote PVC is created");
    report_ready(&client, "far", "False", "Progressing", "waiting for etcd").await;
    status_where(
        &client,
        "far",
        "StorageReady from the remote claim",
        |status| {
            let message = condition_message(status, "StorageReady");
            if message.contains(&format!("{pvc_name} is Pending: FailedBinding")) {
                Ok(())
            } else {
                Err(format!("StorageReady says {message:?}"))
            }
        },
    )
    .await;

    // An instance on a cluster not registered yet waits, says why, and proceeds once it is.
    create(
        &client,
        &instance("later", json!({"managementCluster": "edge-2"})),
    )
    .await;
    status_where(
        &client,
        "later",
        "blocked on registration",
        |status| match status.condition("Ready") {
            Some(c)
                if c.reason == "ManagementClusterNotRegistered" && c.message.contains("edge-2") =>
            {
                Ok(())
            }
            other => Err(format!("Ready {other:?}")),
        },
    )
    .await;
    register("edge-2").await;
    karmada_of(&client, "later").await;
}
