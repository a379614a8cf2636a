//! What the stand-in operator makes on the host cluster, and the kubelet it plays there.

use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod};
use kube::Client;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use multicloud_api::names::KarmadaObjects;
use serde_json::{Value, json};

use super::{Step, from_json};

pub(super) async fn ensure_namespace(host: &Client, namespace: &str) -> Step {
    let api: Api<Namespace> = Api::all(host.clone());
    if api.get_opt(namespace).await?.is_none() {
        let object: Namespace = from_json(json!({"metadata": {"name": namespace}}));
        match api.create(&PostParams::default(), &object).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 409 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub(super) async fn create_if_missing<K>(
    host: &Client,
    namespace: &str,
    object: Value,
) -> Result<K, kube::Error>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::Serialize
        + serde::de::DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(host.clone(), namespace);
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if let Some(existing) = api.get_opt(&name).await? {
        return Ok(existing);
    }
    api.create(&PostParams::default(), &from_json(object)).await
}

pub(super) fn statefulset(
    karmada: &str,
    objects: &KarmadaObjects,
    replicas: i64,
    volume_data: &Value,
) -> Value {
    let labels = json!({"app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": karmada});
    let mut set = json!({
        "metadata": {"name": objects.etcd_statefulset(), "labels": labels},
        "spec": {
            "replicas": replicas,
            "serviceName": objects.etcd_statefulset(),
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "etcd", "image": "registry.k8s.io/etcd:3.5.16-0"}]}
            }
        }
    });
    if let Some(claim) = volume_data.get("volumeClaim").filter(|c| c.is_object()) {
        let mut claim = claim.clone();
        claim["metadata"] = json!({"name": "etcd-data"});
        set["spec"]["volumeClaimTemplates"] = json!([claim]);
    } else if let Some(path) = volume_data["hostPath"]["path"].as_str() {
        set["spec"]["template"]["spec"]["volumes"] =
            json!([{"name": "etcd-data", "hostPath": {"path": path}}]);
    } else {
        set["spec"]["template"]["spec"]["volumes"] = json!([{"name": "etcd-data", "emptyDir": {}}]);
    }
    set
}

pub(super) fn deployment(karmada: &str, objects: &KarmadaObjects) -> Value {
    let labels = json!({"app.kubernetes.io/name": "karmada-apiserver", "app.kubernetes.io/instance": karmada});
    json!({
        "metadata": {"name": objects.apiserver_deployment(), "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:v1.31.0"}]}
            }
        }
    })
}

/// Marks the instance's pods Running and Ready, as a kubelet would once their volumes attach
/// (only when every PVC they use is Bound).
pub(super) async fn play_kubelet(host: &Client, namespace: &str, karmada: &str) -> Step {
    let pods: Api<Pod> = Api::namespaced(host.clone(), namespace);
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(host.clone(), namespace);
    let selector = format!("app.kubernetes.io/instance={karmada}");
    for pod in pods
        .list(&ListParams::default().labels(&selector))
        .await?
        .items
    {
        let ready = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
        if ready || pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let mut volumes_ready = true;
        for volume in pod
            .spec
            .as_ref()
            .and_then(|s| s.volumes.clone())
            .unwrap_or_default()
        {
            if let Some(claim) = volume.persistent_volume_claim {
                let phase = claims
                    .get_opt(&claim.claim_name)
                    .await?
                    .and_then(|c| c.status)
                    .and_then(|s| s.phase);
                volumes_ready &= phase.as_deref() == Some("Bound");
            }
        }
        if !volumes_ready {
            continue;
        }
        let now = "2025-01-01T00:00:00Z";
        let condition =
            |type_: &str| json!({"type": type_, "status": "True", "lastTransitionTime": now});
        let status = json!({"status": {
            "phase": "Running",
            "startTime": now,
            "conditions": [condition("PodScheduled"), condition("Initialized"), condition("ContainersReady"), condition("Ready")]
        }});
        let name = pod.metadata.name.clone().unwrap_or_default();
        pods.patch_status(&name, &PatchParams::default(), &Patch::Merge(status))
            .await?;
    }
    Ok(())
}
