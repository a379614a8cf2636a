//! What the stand-in operator makes on the host cluster, how it takes it down, and the kubelet
//! it plays there.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod, Secret, Service};
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use multicloud_api::karmada::Karmada;
use multicloud_api::names::KarmadaObjects;
use multicloud_api::observed::{COMPONENTS, WorkloadKind};
use serde_json::{Value, json};

use super::{OPERATOR_DEPLOYMENT, OPERATOR_NAMESPACE, Step, from_json};

/// Annotation holding the spec the stand-in last wrote, so that it updates a workload exactly
/// when the CR asks for something else (`pkg/util/apiclient/idempotency.go` updates on change).
const APPLIED: &str = "stand-in.multicloud.dev/applied-spec";

pub(super) async fn ensure_namespace(host: &Client, namespace: &str) -> Step {
    let api: Api<Namespace> = Api::all(host.clone());
    if api.get_opt(namespace).await?.is_none() {
        let object: Namespace = from_json(json!({"metadata": {"name": namespace}}));
        ignore_conflict(api.create(&PostParams::default(), &object).await)?;
    }
    Ok(())
}

fn ignore_conflict<T>(result: Result<T, kube::Error>) -> Step {
    match result {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(e) => Err(e),
    }
}

fn ignore_missing<T>(result: Result<T, kube::Error>) -> Step {
    match result {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

pub(super) async fn ensure_secret(host: &Client, namespace: &str, name: &str, data: Value) -> Step {
    let api: Api<Secret> = Api::namespaced(host.clone(), namespace);
    if api.get_opt(name).await?.is_none() {
        let secret: Secret = from_json(json!({
            "metadata": {"name": name},
            "stringData": data
        }));
        ignore_conflict(api.create(&PostParams::default(), &secret).await)?;
    }
    Ok(())
}

pub(super) async fn ensure_service(
    host: &Client,
    namespace: &str,
    karmada: &str,
    name: &str,
    component: &str,
) -> Step {
    let api: Api<Service> = Api::namespaced(host.clone(), namespace);
    if api.get_opt(name).await?.is_none() {
        // Headless: the test control plane allocates no cluster IPs anyway.
        let service: Service = from_json(json!({
            "metadata": {"name": name, "labels": labels(karmada, component)},
            "spec": {
                "clusterIP": "None",
                "selector": labels(karmada, component),
                "ports": [{"name": "client", "port": 443}]
            }
        }));
        api.create(&PostParams::default(), &service).await?;
    }
    Ok(())
}

/// The labels of a component's pods (`karmada-app` is what `wait.go` selects on).
fn labels(karmada: &str, component: &str) -> Value {
    json!({
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/instance": karmada,
        "karmada-app": component,
    })
}

fn image(settings: &Value) -> String {
    format!(
        "{}:{}",
        settings["imageRepository"].as_str().unwrap_or("unknown"),
        settings["imageTag"].as_str().unwrap_or("latest")
    )
}

fn replicas(settings: &Value) -> i64 {
    settings["replicas"].as_i64().unwrap_or(1)
}

/// Creates or updates the etcd StatefulSet; whether one of its pods is ready.
pub(super) async fn apply_statefulset(
    host: &Client,
    namespace: &str,
    karmada: &str,
    name: &str,
    local: &Value,
) -> Result<bool, kube::Error> {
    let labels = labels(karmada, "etcd");
    let mut spec = json!({
        "replicas": replicas(local),
        "serviceName": name,
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "etcd", "image": image(local)}]}
        }
    });
    let volume_data = &local["volumeData"];
    if let Some(claim) = volume_data.get("volumeClaim").filter(|c| c.is_object()) {
        let mut claim = claim.clone();
        claim["metadata"] = json!({"name": "etcd-data"});
        spec["volumeClaimTemplates"] = json!([claim]);
    } else if let Some(path) = volume_data["hostPath"]["path"].as_str() {
        spec["template"]["spec"]["volumes"] =
            json!([{"name": "etcd-data", "hostPath": {"path": path}}]);
    } else {
        spec["template"]["spec"]["volumes"] = json!([{"name": "etcd-data", "emptyDir": {}}]);
    }
    let applied = apply::<StatefulSet>(host, namespace, name, &labels, spec).await?;
    Ok(applied.status.and_then(|s| s.ready_replicas).unwrap_or(0) >= 1)
}

/// Creates or updates a component Deployment; whether one of its replicas is available.
pub(super) async fn apply_deployment(
    host: &Client,
    namespace: &str,
    karmada: &str,
    name: &str,
    component: &str,
    settings: &Value,
) -> Result<bool, kube::Error> {
    let labels = labels(karmada, component);
    let spec = json!({
        "replicas": replicas(settings),
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": component, "image": image(settings)}]}
        }
    });
    let applied = apply::<Deployment>(host, namespace, name, &labels, spec).await?;
    Ok(applied
        .status
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
        >= 1)
}

/// Creates `name` with `spec`, or replaces its spec when it differs from the one last written:
/// the API server then refuses what it refuses for that kind.
async fn apply<K>(
    host: &Client,
    namespace: &str,
    name: &str,
    labels: &Value,
    spec: Value,
) -> Result<K, kube::Error>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::Serialize
        + serde::de::DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(host.clone(), namespace);
    let written = spec.to_string();
    let Some(existing) = api.get_opt(name).await? else {
        let object = json!({
            "metadata": {"name": name, "labels": labels, "annotations": {APPLIED: written}},
            "spec": spec
        });
        return api.create(&PostParams::default(), &from_json(object)).await;
    };
    let mut object = serde_json::to_value(&existing).unwrap_or_default();
    if object["metadata"]["annotations"][APPLIED].as_str() == Some(written.as_str()) {
        return Ok(existing);
    }
    object["metadata"]["annotations"][APPLIED] = json!(written);
    object["spec"] = spec;
    api.replace(name, &PostParams::default(), &from_json(object))
        .await
}

/// The teardown (`pkg/tasks/deinit/`): workloads, Services and Secrets; PVCs and the
/// namespace stay.
pub(super) async fn tear_down(host: &Client, karmada: &Karmada) -> Step {
    let name = karmada.metadata.name.clone().unwrap_or_default();
    let namespace = karmada.metadata.namespace.clone().unwrap_or_default();
    let objects = KarmadaObjects::new(&name);
    let params = DeleteParams::background();
    for component in COMPONENTS {
        let workload = component.name(&objects);
        match component.kind {
            WorkloadKind::StatefulSet => ignore_missing(
                Api::<StatefulSet>::namespaced(host.clone(), &namespace)
                    .delete(&workload, &params)
                    .await,
            )?,
            WorkloadKind::Deployment => ignore_missing(
                Api::<Deployment>::namespaced(host.clone(), &namespace)
                    .delete(&workload, &params)
                    .await,
            )?,
        }
    }
    let services: Api<Service> = Api::namespaced(host.clone(), &namespace);
    for service in [
        "etcd",
        "etcd-client",
        "apiserver",
        "aggregated-apiserver",
        "webhook",
        "metrics-adapter",
        "search",
    ] {
        ignore_missing(
            services
                .delete(&format!("{}-{service}", objects.prefix()), &params)
                .await,
        )?;
    }
    let secrets: Api<Secret> = Api::namespaced(host.clone(), &namespace);
    for secret in ["cert", "etcd-cert", "webhook-cert", "admin-config"] {
        ignore_missing(
            secrets
                .delete(&format!("{}-{secret}", objects.prefix()), &params)
                .await,
        )?;
    }
    Ok(())
}

/// The stand-in's own Deployment in `karmada-system`, labelled as karmada-operator's is, with
/// its pods played Ready.
pub(super) async fn run_as_deployment(global: &Client) -> Step {
    ensure_namespace(global, OPERATOR_NAMESPACE).await?;
    let api: Api<Deployment> = Api::namespaced(global.clone(), OPERATOR_NAMESPACE);
    if api.get_opt(OPERATOR_DEPLOYMENT).await?.is_none() {
        let labels = json!({"app.kubernetes.io/name": OPERATOR_DEPLOYMENT});
        let deployment: Deployment = from_json(json!({
            "metadata": {"name": OPERATOR_DEPLOYMENT, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "karmada-operator", "image": "docker.io/karmada/karmada-operator:v1.18.2"}]}
                }
            }
        }));
        ignore_conflict(api.create(&PostParams::default(), &deployment).await)?;
    }
    mark_ready(
        global,
        OPERATOR_NAMESPACE,
        &format!("app.kubernetes.io/name={OPERATOR_DEPLOYMENT}"),
        None,
    )
    .await
}

/// Marks the instance's pods Running and Ready, as a kubelet would once their volumes attach
/// (only when every PVC they use is Bound) and their images are pulled (never one tagged
/// `unpullable`: that pod stays as in ImagePullBackOff).
pub(super) async fn play_kubelet(
    host: &Client,
    namespace: &str,
    karmada: &str,
    unpullable: Option<&str>,
) -> Step {
    mark_ready(
        host,
        namespace,
        &format!("app.kubernetes.io/instance={karmada}"),
        unpullable,
    )
    .await
}

async fn mark_ready(
    host: &Client,
    namespace: &str,
    selector: &str,
    unpullable: Option<&str>,
) -> Step {
    let pods: Api<Pod> = Api::namespaced(host.clone(), namespace);
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(host.clone(), namespace);
    for pod in pods
        .list(&ListParams::default().labels(selector))
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
        let pulled = unpullable.is_none_or(|tag| {
            pod.spec.iter().flat_map(|s| &s.containers).all(|c| {
                c.image
                    .as_deref()
                    .is_none_or(|i| !i.ends_with(&format!(":{tag}")))
            })
        });
        if !pulled {
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
