//! The deletion policy: Delete tears the Karmada instance down first, Retain keeps it.

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use multicloud_api::karmada::Karmada;
use multicloud_api::keys::RETAINED_FROM_ANNOTATION;
use multicloud_api::{MulticloudInstance, Phase};
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn delete_policy_removes_karmada_cr_then_namespace_then_instance() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    create(
        &client,
        &instance("gone", json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
    )
    .await;
    karmada_of(&client, "gone").await;

    // karmada-operator holds its own finalizer on the CR until it has torn the workloads down.
    let karmadas: Api<Karmada> = Api::namespaced(client.clone(), "k-gone");
    let hold = json!({"metadata": {"finalizers": ["operator.karmada.io/finalizer"]}});
    karmadas
        .patch("gone", &PatchParams::default(), &Patch::Merge(hold))
        .await
        .expect("operator finalizer is added");
    let instances: Api<MulticloudInstance> = Api::all(client.clone());
    instances
        .delete("gone", &DeleteParams::default())
        .await
        .expect("delete is accepted");

    status_where(&client, "gone", "Deleting", phase_is(Phase::Deleting)).await;
    eventually("the Karmada CR to be deleted", || async {
        let karmada = karmadas.get("gone").await.map_err(|e| e.to_string())?;
        karmada
            .metadata
            .deletion_timestamp
            .map(|_| ())
            .ok_or_else(|| "not deleted".to_owned())
    })
    .await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace = namespaces
        .get("k-gone")
        .await
        .expect("namespace stays while the CR goes");
    assert!(
        namespace.metadata.deletion_timestamp.is_none(),
        "namespace waits for the CR"
    );
    assert!(
        instances.get_opt("gone").await.expect("reads").is_some(),
        "instance waits for the CR"
    );

    let release = json!({"metadata": {"finalizers": null}});
    karmadas
        .patch("gone", &PatchParams::default(), &Patch::Merge(release))
        .await
        .expect("operator finalizer is removed");
    eventually("the instance to be gone", || async {
        match instances.get_opt("gone").await.map_err(|e| e.to_string())? {
            None => Ok(()),
            Some(found) => Err(format!(
                "still there: {:?}",
                found.status.and_then(|s| s.conditions.into_iter().next())
            )),
        }
    })
    .await;
    assert!(
        karmadas.get_opt("gone").await.expect("reads").is_none(),
        "Karmada CR gone first"
    );
    assert!(
        namespaces.get_opt("k-gone").await.expect("reads").is_none(),
        "namespace gone first"
    );
}

#[tokio::test]
async fn retain_policy_keeps_the_karmada_cr_annotated_with_its_instance() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    let spec = json!({"deletionPolicy": "Retain", "etcd": {"storage": {"type": "EmptyDir"}}});
    create(&client, &instance("kept", spec)).await;
    let created = karmada_of(&client, "kept").await;
    status_where(&client, "kept", "the finalizer", |status| {
        status
            .phase
            .map(|_| ())
            .ok_or_else(|| "no status yet".to_owned())
    })
    .await;
    let instances: Api<MulticloudInstance> = Api::all(client.clone());
    instances
        .delete("kept", &DeleteParams::default())
        .await
        .expect("delete is accepted");
    eventually("the instance to be gone", || async {
        match instances.get_opt("kept").await.map_err(|e| e.to_string())? {
            None => Ok(()),
            Some(_) => Err("still there".to_owned()),
        }
    })
    .await;
    let karmada = Api::<Karmada>::namespaced(client.clone(), "k-kept")
        .get("kept")
        .await
        .expect("the Karmada CR is retained");
    let annotations = karmada.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(
        annotations
            .get(RETAINED_FROM_ANNOTATION)
            .map(String::as_str),
        Some("kept")
    );
    assert!(karmada.metadata.deletion_timestamp.is_none());
    let retained = serde_json::to_value(&karmada).expect("encodes");
    assert_eq!(
        retained["spec"], created["spec"],
        "the retained spec is untouched"
    );
    let namespace = Api::<Namespace>::all(client)
        .get("k-kept")
        .await
        .expect("namespace stays");
    assert!(namespace.metadata.deletion_timestamp.is_none());
}
