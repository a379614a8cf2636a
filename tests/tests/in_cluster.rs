//! multicloud in a real cluster, as a user runs it: `kubectl multicloud install` into a
//! single-node cluster (testenv's [`NodeCluster`]: kubelet, containerd, kube-proxy) that runs
//! the images `scripts/build-images.sh` wrote. The API server reaches the webhook through its
//! Service, with the certificate made for the Service's DNS name; the controller runs with its
//! ServiceAccount's permissions only; the probes, the read-only root filesystem and the mounted
//! token are the manifests' own.
//!
//! Needs root, `scripts/install-node.sh` and `scripts/build-images.sh` (scripts/test.sh runs
//! both).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams, PostParams};
use multicloud_api::MulticloudInstance;
use multicloud_api::karmada::Karmada;
use multicloud_api::keys::{
    HIGH_AVAILABILITY_ANNOTATION, HIGH_AVAILABILITY_REASON_ANNOTATION, SYSTEM_NAMESPACE,
    VIRTUAL_CLUSTER_LABEL,
};
use multicloud_e2e::cluster::{annotation, create_reading_warnings, instance, storage_class};
use multicloud_e2e::operator::karmada_crd;
use multicloud_e2e::plugin::Plugin;
use multicloud_e2e::wait::eventually_within;
use multicloud_testenv::{NodeCluster, NodeOptions, apply_crd};
use serde_json::json;
use tokio::task::JoinHandle;

const IMAGES: [&str; 2] = ["multicloud-webhook", "multicloud-controller"];
const WEBHOOK: &str = "multicloud-webhook";
const CONTROLLER: &str = "multicloud-controller";
const PART_OF: &str = "app.kubernetes.io/part-of=multicloud";

/// Bound on pods becoming Ready, a rollout, a certificate reaching the pods: image unpacking,
/// probes and kubelet's volume updates take seconds each on two busy cores.
const SLOW: Duration = Duration::from_secs(180);

/// The archives `scripts/build-images.sh` writes under target/images for this machine.
fn image_archives() -> Vec<PathBuf> {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let tag = concat!("v", env!("CARGO_PKG_VERSION"));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/images");
    IMAGES
        .iter()
        .map(|image| {
            let archive = dir.join(format!("{image}_{tag}_linux_{arch}.oci.tar"));
            assert!(
                archive.is_file(),
                "{} is missing: run scripts/build-images.sh (scripts/test.sh does)",
                archive.display()
            );
            archive
        })
        .collect()
}

/// A node cluster with the images, karmada-operator's CRD (the controller's target), and
/// multicloud installed by the plugin with its webhook and controller pods Ready.
async fn installed() -> (NodeCluster, Plugin) {
    let cluster = NodeCluster::start(NodeOptions {
        images: image_archives(),
        start_timeout: Duration::from_secs(120),
    })
    .await
    .expect("node cluster starts");
    let client = cluster.client();
    apply_crd(&client, &karmada_crd())
        .await
        .expect("Karmada CRD is served");
    let plugin = Plugin::new(cluster.kubeconfig_path()).expect("kubectl-multicloud is built");
    let install = plugin.run(&["install"]).await;
    install.expect_success();
    assert!(
        install.stdout.contains("webhook certificate self-signed"),
        "{install}"
    );
    for deployment in [WEBHOOK, CONTROLLER] {
        rolled_out(&client, deployment).await;
    }
    (cluster, plugin)
}

/// Waits until every replica of `deployment` runs its current template and is Ready, and no
/// pod of an older one is left.
async fn rolled_out(client: &kube::Client, deployment: &str) {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let pods: Api<Pod> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let selector = format!("app.kubernetes.io/name={deployment}");
    eventually_within(SLOW, &format!("{deployment} to roll out"), || async {
        let current = deployments
            .get(deployment)
            .await
            .map_err(|e| e.to_string())?;
        let wanted = current.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let status = current.status.clone().unwrap_or_default();
        let generation = current.metadata.generation.unwrap_or_default();
        let done = status.observed_generation.unwrap_or_default() >= generation
            && status.updated_replicas == Some(wanted)
            && status.ready_replicas == Some(wanted)
            && status.available_replicas == Some(wanted)
            && status.replicas == Some(wanted);
        let listed = pods
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|e| e.to_string())?;
        let count = i32::try_from(listed.items.len()).unwrap_or(i32::MAX);
        if done && count == wanted {
            Ok(())
        } else {
            Err(format!(
                "status {status:?}; pods: {:?}",
                listed.items.iter().map(pod_state).collect::<Vec<_>>()
            ))
        }
    })
    .await;
}

fn pod_state(pod: &Pod) -> String {
    let status = pod.status.clone().unwrap_or_default();
    let ready = status
        .conditions
        .unwrap_or_default()
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    let waiting: Vec<String> = status
        .container_statuses
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone())
        .collect();
    format!(
        "{} {:?} ready={ready} {waiting:?}{}",
        pod.metadata.name.as_deref().unwrap_or_default(),
        status.phase,
        if pod.metadata.deletion_timestamp.is_some() {
            " terminating"
        } else {
            ""
        }
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installed_on_a_node_the_webhook_guards_through_its_service_and_the_controller_reconciles()
{
    let (cluster, plugin) = installed().await;
    let client = cluster.client();
    let instances: Api<MulticloudInstance> = Api::all(client.clone());

    // Each pod runs the image it was given, with the manifests' hardening.
    let pods: Api<Pod> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let listed = pods.list(&ListParams::default()).await.expect("pods");
    assert_eq!(listed.items.len(), 4, "two webhooks, two controllers");
    for pod in &listed.items {
        let spec = pod.spec.clone().unwrap_or_default();
        let container = &spec.containers[0];
        let read_only = container
            .security_context
            .as_ref()
            .and_then(|s| s.read_only_root_filesystem);
        assert_eq!(read_only, Some(true), "{}", pod_state(pod));
        assert_eq!(
            spec.node_name.as_deref(),
            Some(multicloud_testenv::node::NODE_NAME)
        );
    }

    // 1. No StorageClass: denied by the webhook the API server called through its Service.
    let demo = instance("demo", json!({"etcd": {"replicas": 1}}));
    match instances.create(&PostParams::default(), &demo).await {
        Err(kube::Error::Api(status)) => {
            assert!(
                status.message.contains("denied the request")
                    && status.message.contains("has no StorageClass"),
                "{status:?}"
            );
        }
        other => panic!("expected a denial, got {other:?}"),
    }

    // 2. With a default class (the webhook learns of it from its watch): admitted, mutated.
    storage_class(&client, "standard", true).await;
    let created = eventually_within(SLOW, "demo to be admitted", || async {
        instances
            .create(&PostParams::default(), &demo)
            .await
            .map_err(|e| e.to_string())
    })
    .await;
    let labels = created.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels.get(VIRTUAL_CLUSTER_LABEL).map(String::as_str),
        Some("k-demo")
    );
    assert_eq!(
        annotation(&created, HIGH_AVAILABILITY_ANNOTATION),
        Some("false")
    );

    // 3. hostPath: admitted with the warning kubectl would print.
    let (pinned, warnings) = create_reading_warnings(
        &client,
        "/apis/multicloud.dev/v1alpha1/multicloudinstances",
        &PostParams::default(),
        &instance("pinned", json!({"etcd": {"storage": {"type": "HostPath"}}})),
    )
    .await;
    assert!(annotation(&pinned, HIGH_AVAILABILITY_REASON_ANNOTATION).is_some());
    assert!(
        warnings.iter().any(|w| w.contains("not highly available")),
        "warnings: {warnings:?}"
    );

    // 4. The controller pod, with its ServiceAccount's permissions only, makes the Karmada CR.
    let karmadas: Api<Karmada> =
        Api::namespaced(client.clone(), &multicloud_api::names::namespace("demo"));
    eventually_within(SLOW, "the controller to make demo's Karmada CR", || async {
        karmadas
            .get_opt("demo")
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "not yet".to_owned())
    })
    .await;
    let status = eventually_within(SLOW, "the controller to report demo's status", || async {
        let current = instances.get("demo").await.map_err(|e| e.to_string())?;
        current
            .status
            .filter(|s| s.phase.is_some())
            .ok_or_else(|| "no phase yet".to_owned())
    })
    .await;
    assert!(status.phase.is_some(), "{status:?}");

    // 5. Delete the instances, uninstall: nothing of multicloud is left.
    for name in ["demo", "pinned"] {
        instances
            .delete(name, &DeleteParams::default())
            .await
            .expect("instance deletion is accepted");
    }
    eventually_within(SLOW, "the instances to be gone", || async {
        let left = instances
            .list(&ListParams::default())
            .await
            .map_err(|e| e.to_string())?;
        match left.items.len() {
            0 => Ok(()),
            n => Err(format!("{n} left")),
        }
    })
    .await;
    let uninstall = plugin.run(&["uninstall"]).await;
    uninstall.expect_success();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    eventually_within(SLOW, "multicloud to be gone", || async {
        let mut left = Vec::new();
        if namespaces
            .get_opt(SYSTEM_NAMESPACE)
            .await
            .map_err(|e| e.to_string())?
            .is_some()
        {
            left.push(format!("namespace {SYSTEM_NAMESPACE}"));
        }
        if crds
            .get_opt("multicloudinstances.multicloud.dev")
            .await
            .map_err(|e| e.to_string())?
            .is_some()
        {
            left.push("the CRD".to_owned());
        }
        let labelled = ListParams::default().labels(PART_OF);
        let count = |n: usize, what: &str, left: &mut Vec<String>| {
            if n > 0 {
                left.push(format!("{n} {what}"));
            }
        };
        let roles = Api::<ClusterRole>::all(client.clone())
            .list(&labelled)
            .await;
        count(
            roles.map_err(|e| e.to_string())?.items.len(),
            "ClusterRoles",
            &mut left,
        );
        let bindings = Api::<ClusterRoleBinding>::all(client.clone())
            .list(&labelled)
            .await;
        count(
            bindings.map_err(|e| e.to_string())?.items.len(),
            "ClusterRoleBindings",
            &mut left,
        );
        let mutating = Api::<MutatingWebhookConfiguration>::all(client.clone())
            .list(&labelled)
            .await;
        count(
            mutating.map_err(|e| e.to_string())?.items.len(),
            "mutating webhook configurations",
            &mut left,
        );
        let validating = Api::<ValidatingWebhookConfiguration>::all(client.clone())
            .list(&labelled)
            .await;
        count(
            validating.map_err(|e| e.to_string())?.items.len(),
            "validating webhook configurations",
            &mut left,
        );
        let pods = Api::<Pod>::all(client.clone())
            .list(&ListParams::default())
            .await
            .map_err(|e| e.to_string())?;
        count(pods.items.len(), "pods", &mut left);
        if left.is_empty() {
            Ok(())
        } else {
            Err(left.join(", "))
        }
    })
    .await;
}

/// Dry-run creates of an admissible instance through the API server, one after the other, until
/// stopped; every failure is kept with its message.
struct Load {
    stop: Arc<AtomicBool>,
    task: JoinHandle<(usize, Vec<String>)>,
}

impl Load {
    fn start(client: &kube::Client) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let instances: Api<MulticloudInstance> = Api::all(client.clone());
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let params = PostParams {
                dry_run: true,
                ..PostParams::default()
            };
            let (mut sent, mut failures) = (0, Vec::new());
            while !flag.load(Ordering::Relaxed) {
                let probe = instance(&format!("load-{sent}"), json!({"etcd": {"replicas": 1}}));
                sent += 1;
                if let Err(err) = instances.create(&params, &probe).await {
                    failures.push(err.to_string());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (sent, failures)
        });
        Self { stop, task }
    }

    async fn finish(self) -> (usize, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("the load task ends")
    }
}

/// Whether every webhook pod's log says it reloaded its serving certificate.
async fn every_webhook_reloaded(pods: &Api<Pod>) -> Result<(), String> {
    let listed = pods
        .list(&ListParams::default().labels(&format!("app.kubernetes.io/name={WEBHOOK}")))
        .await
        .map_err(|e| e.to_string())?;
    for pod in &listed.items {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let log = pods
            .logs(&name, &LogParams::default())
            .await
            .map_err(|e| format!("logs of {name}: {e}"))?;
        if !log.contains("serving certificate reloaded") {
            return Err(format!("{name} serves the old certificate"));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_restarts_and_renews_its_certificate_under_load_without_failing_a_request() {
    let (cluster, plugin) = installed().await;
    let client = cluster.client();
    storage_class(&client, "standard", true).await;
    let instances: Api<MulticloudInstance> = Api::all(client.clone());
    let dry_run = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    eventually_within(SLOW, "a dry-run create to be admitted", || async {
        instances
            .create(
                &dry_run,
                &instance("warm", json!({"etcd": {"replicas": 1}})),
            )
            .await
            .map_err(|e| e.to_string())
    })
    .await;

    // `kubectl rollout restart`: a new pod template, the old pods replaced one by one.
    let load = Load::start(&client);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let restart = json!({"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": k8s_openapi::jiff::Timestamp::now().to_string()
    }}}}});
    deployments
        .patch(WEBHOOK, &PatchParams::default(), &Patch::Merge(&restart))
        .await
        .expect("rollout restart");
    rolled_out(&client, WEBHOOK).await;
    let (sent, failures) = load.finish().await;
    assert!(sent > 20, "only {sent} requests during the rollout");
    assert!(
        failures.is_empty(),
        "{} of {sent} requests failed during the rollout: {failures:#?}",
        failures.len()
    );

    // `install --renew-certificate`: a new CA and certificate; the pods change over when
    // kubelet updates their Secret volume.
    let pods: Api<Pod> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let before = every_webhook_reloaded(&pods).await;
    assert!(
        before
            .as_ref()
            .is_err_and(|why| why.ends_with("serves the old certificate")),
        "before the renewal no pod has reloaded: {before:?}"
    );
    let load = Load::start(&client);
    let renew = plugin.run(&["install", "--renew-certificate"]).await;
    renew.expect_success();
    eventually_within(
        SLOW,
        "every webhook pod to serve the new certificate",
        || every_webhook_reloaded(&pods),
    )
    .await;
    // Requests after the change-over, too.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (sent, failures) = load.finish().await;
    assert!(sent > 20, "only {sent} requests during the renewal");
    assert!(
        failures.is_empty(),
        "{} of {sent} requests failed during the renewal: {failures:#?}",
        failures.len()
    );
    let validating = Api::<ValidatingWebhookConfiguration>::all(client.clone())
        .get(WEBHOOK)
        .await
        .expect("validating webhook configuration");
    let bundle = validating.webhooks.unwrap_or_default()[0]
        .client_config
        .ca_bundle
        .clone()
        .expect("a caBundle");
    assert_eq!(
        String::from_utf8_lossy(&bundle.0)
            .matches("BEGIN CERTIFICATE")
            .count(),
        2,
        "the old and the new CA are trusted"
    );
}
