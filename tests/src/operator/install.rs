//! One run of the install, in karmada-operator's order (`operator/pkg/init.go` `NewInitJob`):
//! namespace, certificates (Secrets), etcd, the karmada apiserver and its admin kubeconfig,
//! the aggregated apiserver, then the other components, waiting for one ready pod of each
//! step as `operator/pkg/tasks/init/wait.go` does.

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, PostParams};
use multicloud_api::karmada::Karmada;
use multicloud_api::names::KarmadaObjects;
use multicloud_api::observed::{COMPONENTS, WorkloadKind};
use serde_json::{Value, json};

use super::{from_json, host_client, workloads};

/// How far a run got.
pub(super) enum Progress {
    /// Every component has a ready pod.
    Completed,
    /// Waiting for the named component's pods.
    Waiting(String),
}

/// A step the API server refused, with the operator's kind of message.
pub(super) struct Failure(pub String);

impl From<kube::Error> for Failure {
    fn from(error: kube::Error) -> Self {
        Self(message_of(&error))
    }
}

/// What a Go client's error says: the API server's message for a refusal (a `StatusError`'s
/// `Error()`), else the error itself.
pub(super) fn message_of(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

/// Takes the run as far as the objects allow now.
pub(super) async fn run(
    global: &Client,
    karmada: &Karmada,
    karmada_api: &str,
) -> Result<Progress, Failure> {
    let name = karmada.metadata.name.clone().unwrap_or_default();
    let namespace = karmada.metadata.namespace.clone().unwrap_or_default();
    let objects = KarmadaObjects::new(&name);
    download_crds(karmada).await?;
    let host = host_client(global, karmada).await?;
    workloads::ensure_namespace(&host, &namespace).await?;
    let spec = serde_json::to_value(&karmada.spec).unwrap_or_default();
    let components = &spec["components"];
    for suffix in ["cert", "etcd-cert", "webhook-cert"] {
        workloads::ensure_secret(
            &host,
            &namespace,
            &format!("{}-{suffix}", objects.prefix()),
            json!({}),
        )
        .await?;
    }
    for component in COMPONENTS {
        let Some(settings) = settings(components, component.suffix) else {
            continue;
        };
        let workload = component.name(&objects);
        for service in services(component.suffix) {
            workloads::ensure_service(
                &host,
                &namespace,
                &name,
                &format!("{}-{service}", objects.prefix()),
                component.suffix,
            )
            .await?;
        }
        let ready = match component.kind {
            WorkloadKind::StatefulSet => {
                // The wrapping of `runDeployEtcd` (`pkg/tasks/init/etcd.go`) around
                // `installKarmadaEtcd` (`pkg/controlplane/etcd/etcd.go`).
                workloads::apply_statefulset(&host, &namespace, &name, &workload, settings)
                    .await
                    .map_err(|e| {
                        Failure(format!(
                            "failed to install etcd component, err: error when creating Etcd \
                             statefulset, err: {}",
                            message_of(&e)
                        ))
                    })?
            }
            WorkloadKind::Deployment => {
                workloads::apply_deployment(
                    &host,
                    &namespace,
                    &name,
                    &workload,
                    component.suffix,
                    settings,
                )
                .await?
            }
        };
        if !ready {
            return Ok(Progress::Waiting(format!("karmada-{}", component.suffix)));
        }
        if component.suffix == "apiserver" {
            // upload-kubeconfig (`pkg/tasks/init/upload.go`): the admin kubeconfig, copied to
            // the global cluster for a remote host (`planner.go` `afterRunJob`).
            let admin = json!({KarmadaObjects::ADMIN_KUBECONFIG_KEY: karmada_api});
            workloads::ensure_secret(
                &host,
                &namespace,
                &objects.admin_kubeconfig_secret(),
                admin.clone(),
            )
            .await?;
            let copy: Secret = from_json(json!({
                "metadata": {"name": objects.admin_kubeconfig_secret(), "namespace": namespace},
                "stringData": admin
            }));
            match Api::<Secret>::namespaced(global.clone(), &namespace)
                .create(&PostParams::default(), &copy)
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 409 => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(Progress::Completed)
}

/// The first task, `crd` (`pkg/tasks/init/crd.go` `runCrdsDownload`, through `DownloadFile` in
/// `pkg/util/util.go`): the tarball of `spec.crdTarball.httpSource.url`. The stand-in never
/// leaves the machine: it tries a TCP connection only to a `http://127.0.0.1:PORT/...` URL, so
/// that a test can point it at a closed port, and takes any other URL as downloaded.
async fn download_crds(karmada: &Karmada) -> Result<(), Failure> {
    let spec = serde_json::to_value(&karmada.spec).unwrap_or_default();
    let Some(url) = spec["crdTarball"]["httpSource"]["url"].as_str() else {
        return Ok(());
    };
    let Some(address) = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse::<u16>().ok())
        .map(|port| std::net::SocketAddr::from(([127, 0, 0, 1], port)))
    else {
        return Ok(());
    };
    let connect = tokio::net::TcpStream::connect(address);
    let refusal = match tokio::time::timeout(std::time::Duration::from_secs(5), connect).await {
        Ok(Ok(_)) => return Ok(()),
        Ok(Err(_)) => "connect: connection refused",
        Err(_) => "i/o timeout",
    };
    // As Go's http.Client words it, wrapped as crd.go does.
    Err(Failure(format!(
        "failed to download CRD tar, err: Get \"{url}\": dial tcp {address}: {refusal}"
    )))
}

/// The CR's settings of a component, `None` for an optional one it does not ask for.
fn settings<'a>(components: &'a Value, suffix: &str) -> Option<&'a Value> {
    let field = match suffix {
        "etcd" => return components["etcd"].get("local"),
        "apiserver" => "karmadaAPIServer",
        "aggregated-apiserver" => "karmadaAggregatedAPIServer",
        "kube-controller-manager" => "kubeControllerManager",
        "controller-manager" => "karmadaControllerManager",
        "scheduler" => "karmadaScheduler",
        "webhook" => "karmadaWebhook",
        "metrics-adapter" => "karmadaMetricsAdapter",
        "search" => "karmadaSearch",
        _ => return None,
    };
    components.get(field).filter(|v| v.is_object())
}

/// The Services of a component (`pkg/controlplane/**/manifests.go`).
fn services(suffix: &str) -> &'static [&'static str] {
    match suffix {
        "etcd" => &["etcd", "etcd-client"],
        "apiserver" => &["apiserver"],
        "aggregated-apiserver" => &["aggregated-apiserver"],
        "webhook" => &["webhook"],
        "metrics-adapter" => &["metrics-adapter"],
        "search" => &["search"],
        _ => &[],
    }
}
