//! A stand-in for karmada-operator, which cannot run pods on a test control plane: the CRDs of
//! its resources, and a process-less operator that "installs" each Karmada CR the way the real
//! one does, as far as the objects go. It creates the etcd StatefulSet (with the CR's volume
//! claim template, so real PVCs are made and bound by kube-controller-manager) and the karmada
//! apiserver Deployment, plays the kubelet by marking their pods Running and Ready once their
//! PVCs are Bound, and reports `Ready` on the Karmada CR when both are up.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use multicloud_api::karmada::Karmada;
use multicloud_api::names::KarmadaObjects;
use multicloud_runtime::kubeconfig::ClientOptions;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

mod workloads;

use workloads::{create_if_missing, deployment, ensure_namespace, play_kubelet, statefulset};

/// How often the stand-in looks at the Karmada CRs and their workloads.
const PERIOD: Duration = Duration::from_millis(250);

/// A `T` from JSON written in a test.
pub fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("test object is well-formed")
}

/// karmada-operator's CRD as the tests need it: any content, and a status subresource the
/// tests write as the operator would.
pub fn karmada_crd() -> CustomResourceDefinition {
    stand_in_crd("operator.karmada.io", "Karmada", "karmadas", "Namespaced")
}

/// Karmada's member cluster CRD, served by the "instance's Karmada API" in the tests.
pub fn cluster_crd() -> CustomResourceDefinition {
    stand_in_crd("cluster.karmada.io", "Cluster", "clusters", "Cluster")
}

fn stand_in_crd(group: &str, kind: &str, plural: &str, scope: &str) -> CustomResourceDefinition {
    from_json(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {
            "group": group,
            "scope": scope,
            "names": {"kind": kind, "plural": plural, "singular": kind.to_lowercase()},
            "versions": [{
                "name": "v1alpha1",
                "served": true,
                "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": true
                }}
            }]
        }
    }))
}

/// Plays karmada-operator: writes the Karmada CR's `Ready` condition (and, when `True`, the
/// admin kubeconfig reference).
pub async fn report_ready(
    client: &Client,
    instance: &str,
    status: &str,
    reason: &str,
    message: &str,
) {
    let namespace = multicloud_api::names::namespace(instance);
    let api: Api<Karmada> = Api::namespaced(client.clone(), &namespace);
    let secret =
        multicloud_api::names::KarmadaObjects::for_instance(instance).admin_kubeconfig_secret();
    let mut report = json!({"status": {"conditions": [{
        "type": "Ready",
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": "2025-01-01T00:00:00Z"
    }]}});
    if status == "True" {
        report["status"]["secretRef"] = json!({"namespace": namespace, "name": secret});
    }
    api.patch_status(instance, &PatchParams::default(), &Patch::Merge(report))
        .await
        .expect("Karmada status is written");
}

/// The stand-in operator at work in the background; stopped when dropped.
pub struct StandInOperator {
    task: JoinHandle<()>,
}

impl StandInOperator {
    /// Starts installing every Karmada CR of the `global` cluster. The admin kubeconfig it
    /// writes for each instance is `karmada_api` (the "instance's Karmada API": any API server
    /// serving [`cluster_crd`]).
    pub fn start(global: Client, karmada_api: String) -> Self {
        let task = tokio::spawn(async move {
            loop {
                if let Ok(list) = Api::<Karmada>::all(global.clone())
                    .list(&ListParams::default())
                    .await
                {
                    for karmada in list.items {
                        // A step that fails is retried on the next round, as an operator would.
                        let _ = install(&global, &karmada, &karmada_api).await;
                    }
                }
                tokio::time::sleep(PERIOD).await;
            }
        });
        Self { task }
    }
}

impl Drop for StandInOperator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Step = Result<(), kube::Error>;

/// One round of installing `karmada`.
async fn install(global: &Client, karmada: &Karmada, karmada_api: &str) -> Step {
    if karmada.metadata.deletion_timestamp.is_some() {
        return Ok(());
    }
    let name = karmada.metadata.name.clone().unwrap_or_default();
    let namespace = karmada.metadata.namespace.clone().unwrap_or_default();
    let objects = KarmadaObjects::new(&name);
    let host = host_client(global, karmada).await?;
    ensure_namespace(&host, &namespace).await?;
    let value = serde_json::to_value(karmada).unwrap_or_default();
    let local = &value["spec"]["components"]["etcd"]["local"];
    let replicas = local["replicas"].as_i64().unwrap_or(1);
    let etcd = create_if_missing::<StatefulSet>(
        &host,
        &namespace,
        statefulset(&name, &objects, replicas, &local["volumeData"]),
    )
    .await?;
    let apiserver =
        create_if_missing::<Deployment>(&host, &namespace, deployment(&name, &objects)).await?;
    play_kubelet(&host, &namespace, &name).await?;

    let etcd_ready = etcd.status.and_then(|s| s.ready_replicas).unwrap_or(0)
        >= i32::try_from(replicas).unwrap_or(1);
    let apiserver_up = apiserver
        .status
        .and_then(|s| s.conditions)
        .unwrap_or_default()
        .iter()
        .any(|c| c.type_ == "Available" && c.status == "True")
        && apiserver_available(&host, &namespace, &objects).await?;
    let reported = karmada
        .status
        .as_ref()
        .and_then(|s| s.ready())
        .map(|c| c.status.clone());
    if etcd_ready && apiserver_up {
        if reported.as_deref() != Some("True") {
            let admin: Secret = from_json(json!({
                "metadata": {"name": objects.admin_kubeconfig_secret(), "namespace": namespace},
                "stringData": {KarmadaObjects::ADMIN_KUBECONFIG_KEY: karmada_api}
            }));
            match Api::<Secret>::namespaced(global.clone(), &namespace)
                .create(&PostParams::default(), &admin)
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 409 => {}
                Err(e) => return Err(e),
            }
            report_ready(global, &name, "True", "Completed", "karmada is ready").await;
        }
    } else if reported.is_none() {
        report_ready(
            global,
            &name,
            "False",
            "Progressing",
            "installing the karmada components",
        )
        .await;
    }
    Ok(())
}

/// The Deployment's status read again (it may have changed since it was created).
async fn apiserver_available(
    host: &Client,
    namespace: &str,
    objects: &KarmadaObjects,
) -> Result<bool, kube::Error> {
    let deployment = Api::<Deployment>::namespaced(host.clone(), namespace)
        .get(&objects.apiserver_deployment())
        .await?;
    Ok(deployment
        .status
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
        >= 1)
}

/// The client of the CR's host cluster: the one its `spec.hostCluster.secretRef` names, or
/// the global cluster.
async fn host_client(global: &Client, karmada: &Karmada) -> Result<Client, kube::Error> {
    let Some(reference) = karmada
        .spec
        .host_cluster
        .as_ref()
        .and_then(|h| h.secret_ref.as_ref())
    else {
        return Ok(global.clone());
    };
    let secret = Api::<Secret>::namespaced(global.clone(), &reference.namespace)
        .get(&reference.name)
        .await?;
    let text = secret
        .data
        .and_then(|d| d.get(multicloud_api::keys::KUBECONFIG_KEY).cloned())
        .map(|b| String::from_utf8_lossy(&b.0).into_owned())
        .unwrap_or_default();
    // karmada-operator refuses nothing here, but the stand-in is fed only what the controller
    // wrote, which passed the one policy; going through it keeps the context choice the same.
    multicloud_runtime::kubeconfig::client_from_text(&text, &ClientOptions::default())
        .await
        .map_err(|e| kube::Error::Service(Box::new(e)))
}
