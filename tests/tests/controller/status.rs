//! The instance's status, from karmada-operator's report and the etcd claims.

use k8s_openapi::api::core::v1::{Event, PersistentVolumeClaim, Secret};
use kube::api::{Api, DynamicObject, ListParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use multicloud_api::Phase;
use multicloud_api::names::KarmadaObjects;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn status_follows_karmada_operator_from_progressing_to_running_and_failed() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    create(
        &client,
        &instance("demo", json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
    )
    .await;
    karmada_of(&client, "demo").await;

    report_ready(&client, "demo", "False", "Progressing", "installing etcd").await;
    status_where(
        &client,
        "demo",
        "Provisioning",
        phase_is(Phase::Provisioning),
    )
    .await;

    // The "instance's Karmada API" is the global cluster itself, serving two member clusters.
    let clusters: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("cluster.karmada.io", "v1alpha1", "Cluster"),
            "clusters",
        ),
    );
    for member in ["member-1", "member-2"] {
        let cluster: DynamicObject = from_json(json!({
            "apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
            "metadata": {"name": member}
        }));
        clusters
            .create(&PostParams::default(), &cluster)
            .await
            .expect("member is created");
    }
    let admin: Secret = from_json(json!({
        "metadata": {"name": "demo-karmada-admin-config"},
        "stringData": {KarmadaObjects::ADMIN_KUBECONFIG_KEY: plane.kubeconfig_yaml()}
    }));
    Api::<Secret>::namespaced(client.clone(), "k-demo")
        .create(&PostParams::default(), &admin)
        .await
        .expect("admin kubeconfig Secret is created");

    report_ready(&client, "demo", "True", "Completed", "karmada is ready").await;
    let running = status_where(&client, "demo", "Running with 2 members", |status| {
        phase_is(Phase::Running)(status)?;
        if status.member_clusters == 2 {
            Ok(())
        } else {
            Err(format!("{} member clusters", status.member_clusters))
        }
    })
    .await;
    let status = running.status.unwrap_or_default();
    let kubeconfig = status
        .kubeconfig_secret_ref
        .clone()
        .expect("kubeconfig reference");
    assert_eq!(
        (kubeconfig.namespace.as_str(), kubeconfig.name.as_str()),
        ("k-demo", "demo-karmada-admin-config")
    );
    assert!(status.condition("Ready").is_some_and(|c| c.is_true()));

    let failure = "etcd statefulset k-demo/demo-karmada-etcd is not ready: timed out";
    report_ready(&client, "demo", "False", "Failed", failure).await;
    let failed = status_where(&client, "demo", "Failed", phase_is(Phase::Failed)).await;
    let status = failed.status.unwrap_or_default();
    assert_eq!(condition_message(&status, "Ready"), failure);
    assert_eq!(status.member_clusters, 2, "the last count is kept");

    let events: Api<k8s_openapi::api::events::v1::Event> =
        Api::namespaced(client.clone(), "kube-system");
    let reasons = eventually("Events of every transition", || async {
        let list = events
            .list(&ListParams::default())
            .await
            .map_err(|e| e.to_string())?;
        let reasons: Vec<(String, String)> = list
            .items
            .iter()
            .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("demo"))
            .map(|e| {
                (
                    e.reason.clone().unwrap_or_default(),
                    e.type_.clone().unwrap_or_default(),
                )
            })
            .collect();
        let has = |reason: &str| reasons.iter().any(|(r, _)| r == reason);
        if ["Provisioning", "Running", "Failed"].iter().all(|r| has(r)) {
            Ok(reasons)
        } else {
            Err(format!("events so far: {reasons:?}"))
        }
    })
    .await;
    assert!(
        reasons.contains(&("Failed".to_owned(), "Warning".to_owned())),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn pending_etcd_claim_shows_its_provisioning_failure_in_storage_ready() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    let spec = json!({"etcd": {"storage": {"storageClassName": "gold"}}});
    create(&client, &instance("slow", spec)).await;
    karmada_of(&client, "slow").await;

    // As karmada-operator's StatefulSet would: a claim for a class that does not exist, which
    // kube-controller-manager fails to provision and says so in an Event.
    let pvc_name = KarmadaObjects::for_instance("slow").etcd_pvc(0);
    let pvc: PersistentVolumeClaim = from_json(json!({
        "metadata": {"name": pvc_name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "gold",
            "resources": {"requests": {"storage": "1Gi"}}
        }
    }));
    Api::<PersistentVolumeClaim>::namespaced(client.clone(), "k-slow")
        .create(&PostParams::default(), &pvc)
        .await
        .expect("PVC is created");
    let events: Api<Event> = Api::namespaced(client.clone(), "k-slow");
    let failure = eventually("the ProvisioningFailed event", || async {
        let list = events
            .list(&ListParams::default())
            .await
            .map_err(|e| e.to_string())?;
        list.items
            .into_iter()
            .find(|e| e.reason.as_deref() == Some("ProvisioningFailed"))
            .and_then(|e| e.message)
            .ok_or_else(|| "no ProvisioningFailed event yet".to_owned())
    })
    .await;
    let found = status_where(&client, "slow", "StorageReady with the event", |status| {
        let message = condition_message(status, "StorageReady");
        if message.contains(&failure) {
            Ok(())
        } else {
            Err(format!("StorageReady says {message:?}, want {failure:?}"))
        }
    })
    .await;
    let storage = found.status.unwrap_or_default();
    let condition = storage.condition("StorageReady").expect("StorageReady");
    assert_eq!(
        (condition.status.as_str(), condition.reason.as_str()),
        ("False", "ClaimPending")
    );
    assert!(condition.message.contains(&pvc_name));
}
