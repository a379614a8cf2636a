//! The controller touches only what it made: a namespace `k-<name>` that was there before is
//! never taken over or deleted, a retained Karmada CR is adopted only when the instance names its
//! uid, a Karmada CR's status cannot point the controller at another Secret, and `Delete` removes
//! on the management cluster what karmada-operator's teardown leaves (etcd PVCs, the namespace).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, PersistentVolumeClaim, Secret};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use multicloud_api::clusters::registration_secret;
use multicloud_api::karmada::Karmada;
use multicloud_api::keys::{
    ADOPT_KARMADA_ANNOTATION, INSTANCE_LABEL, INSTANCE_UID_LABEL, SYSTEM_NAMESPACE,
};
use multicloud_api::names::{HOST_CLUSTER_SECRET, KarmadaObjects};
use multicloud_api::{MulticloudInstance, Phase};
use multicloud_testenv::ControlPlane;
use serde_json::json;

use super::support::*;

/// Namespace `name` with a ConfigMap in it, as another team would have it.
async fn someone_elses_namespace(client: &kube::Client, name: &str) {
    create_namespace(client, name).await;
    let data: ConfigMap = from_json(json!({
        "metadata": {"name": "payroll"},
        "data": {"owner": "another team"}
    }));
    Api::<ConfigMap>::namespaced(client.clone(), name)
        .create(&PostParams::default(), &data)
        .await
        .expect("ConfigMap is created");
}

/// Asserts namespace `name` is still there, live, unlabelled by us, with its ConfigMap.
async fn untouched(client: &kube::Client, name: &str) {
    let namespace = Api::<Namespace>::all(client.clone())
        .get(name)
        .await
        .expect("the namespace is still there");
    assert!(
        namespace.metadata.deletion_timestamp.is_none(),
        "{name} is being deleted"
    );
    let labels = namespace.metadata.labels.unwrap_or_default();
    assert!(
        !labels.contains_key(INSTANCE_LABEL) && !labels.contains_key(INSTANCE_UID_LABEL),
        "{name} was labelled: {labels:?}"
    );
    let data = Api::<ConfigMap>::namespaced(client.clone(), name)
        .get("payroll")
        .await
        .expect("the ConfigMap is still there");
    assert_eq!(
        data.data.and_then(|d| d.get("owner").cloned()).as_deref(),
        Some("another team")
    );
}

/// Waits until `Ready` of `name` has `reason` and a message containing every one of `needles`.
async fn waits_with(client: &kube::Client, name: &str, reason: &str, needles: &[&str]) {
    status_where(client, name, reason, |status| {
        match status.condition("Ready") {
            Some(c) if c.reason == reason && needles.iter().all(|n| c.message.contains(n)) => {
                Ok(())
            }
            other => Err(format!("Ready {other:?}")),
        }
    })
    .await;
}

async fn delete_and_wait(client: &kube::Client, name: &str) {
    let instances: Api<MulticloudInstance> = Api::all(client.clone());
    instances
        .delete(name, &DeleteParams::default())
        .await
        .expect("delete is accepted");
    eventually(&format!("instance {name} to be gone"), || async {
        match instances.get_opt(name).await.map_err(|e| e.to_string())? {
            None => Ok(()),
            Some(found) => Err(format!(
                "still there: {:?}",
                found.status.map(|s| s.conditions)
            )),
        }
    })
    .await;
}

fn labels_of(value: &serde_json::Value) -> BTreeMap<String, String> {
    serde_json::from_value(value["metadata"]["labels"].clone()).unwrap_or_default()
}

#[tokio::test]
async fn an_existing_namespace_is_never_taken_over_and_survives_the_instance() {
    let plane = global_cluster().await;
    let client = plane.client();
    someone_elses_namespace(&client, "k-victim").await;
    let _controller = Controller::start(&plane, "controller", &[]);
    create(
        &client,
        &instance("victim", json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
    )
    .await;

    waits_with(
        &client,
        "victim",
        "NamespaceConflict",
        &["k-victim already exists", "not created by multicloud"],
    )
    .await;
    untouched(&client, "k-victim").await;
    let karmadas = Api::<Karmada>::namespaced(client.clone(), "k-victim")
        .list(&ListParams::default())
        .await
        .expect("lists");
    assert!(
        karmadas.items.is_empty(),
        "a Karmada CR was put into k-victim"
    );

    // The instance is deleted (policy Delete): the namespace it never owned stays as it was.
    delete_and_wait(&client, "victim").await;
    untouched(&client, "k-victim").await;
}

#[tokio::test]
async fn an_existing_namespace_on_a_management_cluster_is_never_used_and_delete_cleans_up_ours() {
    let plane = global_cluster().await;
    let remote = ControlPlane::start()
        .await
        .expect("remote control plane starts");
    let client = plane.client();
    let remote_client = remote.client();
    Api::<Secret>::namespaced(client.clone(), SYSTEM_NAMESPACE)
        .create(
            &PostParams::default(),
            &registration_secret("edge-1", &remote.kubeconfig_yaml()),
        )
        .await
        .expect("cluster Secret is created");
    someone_elses_namespace(&remote_client, "k-taken").await;
    let _controller = Controller::start(&plane, "controller", &[]);

    // Taken on the management cluster: no Karmada CR, no kubeconfig copy for the operator.
    create(
        &client,
        &instance("taken", json!({"managementCluster": "edge-1"})),
    )
    .await;
    waits_with(
        &client,
        "taken",
        "NamespaceConflict",
        &["k-taken already exists on management cluster `edge-1`"],
    )
    .await;
    untouched(&remote_client, "k-taken").await;
    let karmada = Api::<Karmada>::namespaced(client.clone(), "k-taken")
        .get_opt("taken")
        .await
        .expect("reads");
    assert!(
        karmada.is_none(),
        "a Karmada CR was made for a taken namespace"
    );
    let copy = Api::<Secret>::namespaced(client.clone(), "k-taken")
        .get_opt(HOST_CLUSTER_SECRET)
        .await
        .expect("reads");
    assert!(copy.is_none(), "the management kubeconfig was copied");
    delete_and_wait(&client, "taken").await;
    untouched(&remote_client, "k-taken").await;

    // Free on the management cluster: the controller makes it, marked, before the Karmada CR.
    create(
        &client,
        &instance("far", json!({"managementCluster": "edge-1"})),
    )
    .await;
    karmada_of(&client, "far").await;
    let made = Api::<Namespace>::all(remote_client.clone())
        .get("k-far")
        .await
        .expect("the controller made the namespace on the management cluster");
    let uid = Api::<MulticloudInstance>::all(client.clone())
        .get("far")
        .await
        .expect("reads")
        .metadata
        .uid
        .expect("uid");
    assert_eq!(
        made.metadata
            .labels
            .unwrap_or_default()
            .get(INSTANCE_UID_LABEL),
        Some(&uid)
    );
    // karmada-operator's etcd claim, which its teardown never deletes.
    let pvc_name = KarmadaObjects::for_instance("far").etcd_pvc(0);
    let pvc: PersistentVolumeClaim = from_json(json!({
        "metadata": {"name": pvc_name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    }));
    let claims = Api::<PersistentVolumeClaim>::namespaced(remote_client.clone(), "k-far");
    claims
        .create(&PostParams::default(), &pvc)
        .await
        .expect("remote PVC is created");

    delete_and_wait(&client, "far").await;
    assert!(
        Api::<Namespace>::all(remote_client.clone())
            .get_opt("k-far")
            .await
            .expect("reads")
            .is_none(),
        "the namespace on the management cluster is gone"
    );
    assert!(
        claims.get_opt(&pvc_name).await.expect("reads").is_none(),
        "the etcd PVC is gone"
    );
    assert!(
        Api::<Namespace>::all(client.clone())
            .get_opt("k-far")
            .await
            .expect("reads")
            .is_none(),
        "the namespace in the global cluster is gone"
    );
}

#[tokio::test]
async fn a_status_secret_ref_outside_the_instance_namespace_is_never_followed() {
    let plane = global_cluster().await;
    let client = plane.client();
    // A registered management cluster whose credentials reach a "Karmada API" with members:
    // the global cluster itself, serving two Cluster objects.
    Api::<Secret>::namespaced(client.clone(), SYSTEM_NAMESPACE)
        .create(
            &PostParams::default(),
            &registration_secret("edge-1", &plane.kubeconfig_yaml()),
        )
        .await
        .expect("cluster Secret is created");
    create_member_clusters(&client, &["member-1", "member-2"]).await;
    let _controller = Controller::start(&plane, "controller", &[]);
    create(
        &client,
        &instance("demo", json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
    )
    .await;
    karmada_of(&client, "demo").await;

    // Whoever can write the CR's status points it at the management cluster's Secret.
    report_ready(&client, "demo", "True", "Completed", "karmada is ready").await;
    let pointed =
        json!({"status": {"secretRef": {"namespace": SYSTEM_NAMESPACE, "name": "edge-1"}}});
    Api::<Karmada>::namespaced(client.clone(), "k-demo")
        .patch_status("demo", &PatchParams::default(), &Patch::Merge(pointed))
        .await
        .expect("Karmada status is written");
    let ignored = status_where(
        &client,
        "demo",
        "the secretRef ignored",
        |status| match status.condition("KarmadaAPIReachable") {
            Some(c)
                if c.status == "False"
                    && c.message.contains("multicloud-system/edge-1")
                    && c.message.contains("ignored") =>
            {
                Ok(())
            }
            other => Err(format!("KarmadaAPIReachable {other:?}")),
        },
    )
    .await;
    let status = ignored.status.unwrap_or_default();
    assert_eq!(status.member_clusters, 0, "edge-1's credentials were used");
    assert_eq!(status.kubeconfig_secret_ref, None);

    // Where karmada-operator really writes it, the same members are counted.
    let admin: Secret = from_json(json!({
        "metadata": {"name": KarmadaObjects::for_instance("demo").admin_kubeconfig_secret()},
        "stringData": {KarmadaObjects::ADMIN_KUBECONFIG_KEY: plane.kubeconfig_yaml()}
    }));
    Api::<Secret>::namespaced(client.clone(), "k-demo")
        .create(&PostParams::default(), &admin)
        .await
        .expect("admin kubeconfig Secret is created");
    report_ready(&client, "demo", "True", "Completed", "karmada is ready").await;
    status_where(&client, "demo", "members counted", |status| {
        phase_is(Phase::Running)(status)?;
        match status.member_clusters {
            2 => Ok(()),
            other => Err(format!("memberClusters {other}")),
        }
    })
    .await;
}

#[tokio::test]
async fn a_retained_karmada_cr_is_adopted_only_when_the_instance_names_its_uid() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    let first = json!({"deletionPolicy": "Retain", "etcd": {"storage": {"type": "EmptyDir"}}});
    create(&client, &instance("kept", first)).await;
    karmada_of(&client, "kept").await;
    report_ready(&client, "kept", "True", "Completed", "karmada is ready").await;
    status_where(&client, "kept", "Running", phase_is(Phase::Running)).await;
    delete_and_wait(&client, "kept").await;
    let karmadas: Api<Karmada> = Api::namespaced(client.clone(), "k-kept");
    let retained = karmadas.get("kept").await.expect("the CR is retained");
    let retained_uid = retained.metadata.uid.clone().expect("uid");
    let retained = serde_json::to_value(&retained).expect("encodes");

    // The same name again, with another version: the retained control plane is not touched.
    let second =
        json!({"karmada": {"version": "v1.14.1"}, "etcd": {"storage": {"type": "EmptyDir"}}});
    create(&client, &instance("kept", second.clone())).await;
    let adopt = format!("{ADOPT_KARMADA_ANNOTATION}={retained_uid}");
    waits_with(
        &client,
        "kept",
        "KarmadaNotAdopted",
        &["retained from a former instance `kept`", adopt.as_str()],
    )
    .await;
    let now = serde_json::to_value(karmadas.get("kept").await.expect("reads")).expect("encodes");
    assert_eq!(
        now["spec"], retained["spec"],
        "the retained spec was changed"
    );
    assert_eq!(
        labels_of(&now),
        labels_of(&retained),
        "the retained CR was relabelled"
    );
    let waiting = Api::<MulticloudInstance>::all(client.clone())
        .get("kept")
        .await
        .expect("reads");
    let status = waiting.status.clone().unwrap_or_default();
    assert_ne!(
        status.phase,
        Some(Phase::Running),
        "the old status was inherited"
    );
    assert_eq!(
        status.kubeconfig_secret_ref, None,
        "the old admin kubeconfig was inherited"
    );

    // Asked for by the CR's uid: taken over, with this instance's spec and mark.
    let uid = waiting.metadata.uid.clone().expect("uid");
    let annotate = json!({"metadata": {"annotations": {ADOPT_KARMADA_ANNOTATION: retained_uid}}});
    Api::<MulticloudInstance>::all(client.clone())
        .patch("kept", &PatchParams::default(), &Patch::Merge(annotate))
        .await
        .expect("instance is annotated");
    eventually("the retained CR to be adopted", || async {
        let karmada = karmadas.get("kept").await.map_err(|e| e.to_string())?;
        let value = serde_json::to_value(&karmada).map_err(|e| e.to_string())?;
        let tag = &value["spec"]["components"]["karmadaControllerManager"]["imageTag"];
        let marked = labels_of(&value).get(INSTANCE_UID_LABEL) == Some(&uid);
        if marked && tag == "v1.14.1" {
            Ok(())
        } else {
            Err(format!("labels {:?}, tag {tag}", labels_of(&value)))
        }
    })
    .await;
    let namespace = Api::<Namespace>::all(client.clone())
        .get("k-kept")
        .await
        .expect("reads");
    assert_eq!(
        namespace
            .metadata
            .labels
            .unwrap_or_default()
            .get(INSTANCE_UID_LABEL),
        Some(&uid)
    );
    status_where(
        &client,
        "kept",
        "Running once adopted",
        phase_is(Phase::Running),
    )
    .await;
}

#[tokio::test]
async fn an_instance_from_before_the_uid_mark_keeps_its_namespace_and_karmada_cr() {
    let plane = global_cluster().await;
    let client = plane.client();
    // What an earlier controller left: the instance, then its namespace and Karmada CR with the
    // instance label only.
    create(
        &client,
        &instance("older", json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
    )
    .await;
    let legacy = json!({INSTANCE_LABEL: "older"});
    let namespace: Namespace =
        from_json(json!({"metadata": {"name": "k-older", "labels": legacy}}));
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .expect("namespace is created");
    let karmada: Karmada = from_json(json!({
        "apiVersion": "operator.karmada.io/v1alpha1", "kind": "Karmada",
        "metadata": {"name": "older", "namespace": "k-older", "labels": legacy},
        "spec": {}
    }));
    let karmadas: Api<Karmada> = Api::namespaced(client.clone(), "k-older");
    karmadas
        .create(&PostParams::default(), &karmada)
        .await
        .expect("Karmada CR is created");

    let _controller = Controller::start(&plane, "controller", &[]);
    let uid = Api::<MulticloudInstance>::all(client.clone())
        .get("older")
        .await
        .expect("reads")
        .metadata
        .uid
        .expect("uid");
    eventually("the earlier objects to be marked and applied", || async {
        let karmada = karmadas.get("older").await.map_err(|e| e.to_string())?;
        let value = serde_json::to_value(&karmada).map_err(|e| e.to_string())?;
        let namespace = Api::<Namespace>::all(client.clone())
            .get("k-older")
            .await
            .map_err(|e| e.to_string())?;
        let namespace_uid = namespace
            .metadata
            .labels
            .unwrap_or_default()
            .get(INSTANCE_UID_LABEL)
            .cloned();
        let applied = !value["spec"]["components"]["etcd"].is_null();
        if labels_of(&value).get(INSTANCE_UID_LABEL) == Some(&uid)
            && namespace_uid.as_ref() == Some(&uid)
            && applied
        {
            Ok(())
        } else {
            Err(format!("CR {value}, namespace uid {namespace_uid:?}"))
        }
    })
    .await;
}
