//! A stand-in for karmada-operator, which cannot run pods on a test control plane: the CRDs of
//! its resources, and a process-less operator that handles each Karmada CR the way the real
//! one does (karmada-io/karmada, folder `operator/`), as far as the objects go:
//!
//! - on its first sight of a CR it adds its finalizer and the `disable-cascading-deletion:
//!   "false"` label and writes the CR's spec defaults (`pkg/controller/karmada/controller.go`
//!   `ensureKarmada`, `pkg/apis/operator/v1alpha1/defaults.go`);
//! - it runs the install only when the spec changed, after a failure, or after a restart
//!   (`controller.go` `onKarmadaUpdate`; controller-runtime requeues a failed run); every run
//!   first resets the conditions to `Ready=False Progressing` (`v1alpha1/helper.go`,
//!   `planner.go` `preRunJob`), a run that fails writes `Failed` (`planner.go` `runJobErr`) and
//!   is retried, and one that succeeds writes `Completed` and `status.secretRef`;
//!   `status.observedGeneration` is never written;
//! - the install creates, and on a later run UPDATES, the etcd StatefulSet with the CR's volume
//!   claim template (`pkg/controlplane/etcd`, `pkg/util/apiclient/idempotency.go`), so the real
//!   API server refuses what it refuses (a changed volume claim template); then the karmada
//!   apiserver, the aggregated apiserver and the other components, waiting for each step's
//!   pods as `pkg/tasks/init/wait.go` does (120 s by default, then the run fails);
//! - before a run it validates the spec as `pkg/controller/karmada/validating.go` does (the CRD
//!   tarball URL, the karmada apiserver's Service type): a CR it refuses gets
//!   `Ready=False ValidationError` and is not retried until its spec changes;
//! - on deletion it tears down the workloads, Services and Secrets it made, never PVCs or the
//!   namespace (`pkg/tasks/deinit/`), unless the label says otherwise, then removes its
//!   finalizer (`controller.go`); the teardown is a run of its own, reset to `Progressing`
//!   ("karmada deinit job is in progressing") and `Failed` with the error when it fails, then
//!   retried (`planner.go`). [`TeardownFault`] makes it fail or never finish, for the tests of a
//!   deletion that cannot.
//!
//! It plays the kubelet too, on every round: pods of the instance are marked Running and Ready
//! once their PVCs are Bound, unless their image is one it was told cannot be pulled. It also runs as a Deployment of its own name and label in `karmada-system`, so
//! that "is karmada-operator running" has the answer the real one's install gives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ListParams, Patch, PatchParams};
use multicloud_api::karmada::Karmada;
use multicloud_runtime::kubeconfig::ClientOptions;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

mod defaults;
mod install;
mod teardown;
mod validation;
mod workloads;

pub use defaults::OPERATOR_VERSION;
pub use teardown::TeardownFault;

/// How often the stand-in looks at the Karmada CRs and their workloads.
const PERIOD: Duration = Duration::from_millis(250);

/// How long a failed run waits before the next (controller-runtime's first backoff steps are
/// sub-second to seconds).
const RETRY: Duration = Duration::from_millis(500);

/// Bound on one step of a round (a handful of API calls).
const STEP_LIMIT: Duration = Duration::from_secs(10);

/// The real operator's wait for each component (`pkg/tasks/init/wait.go`).
pub const COMPONENT_WAIT: Duration = Duration::from_secs(120);

/// Namespace and name of the stand-in's own Deployment, as karmada-operator's manifests have it
/// (`operator/config/deploy/karmada-operator.yaml`).
pub const OPERATOR_NAMESPACE: &str = "karmada-system";
/// Name of the stand-in's own Deployment.
pub const OPERATOR_DEPLOYMENT: &str = "karmada-operator";

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

/// Plays karmada-operator: writes the Karmada CR's `Ready` condition as its `helper.go` does
/// (replacing every condition, stamped now) and, when `True`, the admin kubeconfig reference.
pub async fn report_ready(
    client: &Client,
    instance: &str,
    status: &str,
    reason: &str,
    message: &str,
) {
    write_ready(client, instance, status, reason, message)
        .await
        .expect("Karmada status is written");
}

/// [`report_ready`], for the stand-in: a write that fails is its error, tried again later.
async fn write_ready(
    client: &Client,
    instance: &str,
    status: &str,
    reason: &str,
    message: &str,
) -> Result<(), kube::Error> {
    let namespace = multicloud_api::names::namespace(instance);
    let api: Api<Karmada> = Api::namespaced(client.clone(), &namespace);
    let secret =
        multicloud_api::names::KarmadaObjects::for_instance(instance).admin_kubeconfig_secret();
    let mut report = json!({"status": {"conditions": [{
        "type": "Ready",
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": now()
    }]}});
    if status == "True" {
        report["status"]["secretRef"] = json!({"namespace": namespace, "name": secret});
    }
    api.patch_status(instance, &PatchParams::default(), &Patch::Merge(report))
        .await?;
    Ok(())
}

/// Now, in RFC 3339 with sub-second precision, so that two reports differ.
pub fn now() -> String {
    k8s_openapi::jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// The run of one CR's install in progress, or the generation it last completed.
#[derive(Debug, Clone)]
pub(crate) enum Run {
    /// A run in progress, waiting for the component `at` since `since`.
    Running { at: String, since: Instant },
    /// A run that failed; the next one starts after [`RETRY`].
    Failed { at: Instant, generation: i64 },
    /// The install of `generation` completed.
    Done { generation: i64 },
    /// `generation` was refused by validation; nothing runs until the spec changes.
    Refused { generation: i64 },
    /// A teardown run in progress (it never ends under [`TeardownFault::Hangs`]).
    TearingDown,
}

type Runs = Arc<Mutex<HashMap<String, Run>>>;
type Fault = Arc<Mutex<TeardownFault>>;
type Tag = Arc<Mutex<Option<String>>>;

/// The stand-in operator at work in the background; stopped when dropped.
pub struct StandInOperator {
    task: JoinHandle<()>,
    runs: Runs,
    teardown: Fault,
    unpullable: Tag,
}

impl StandInOperator {
    /// Starts handling every Karmada CR of the `global` cluster. The admin kubeconfig it writes
    /// for each instance is `karmada_api` (the "instance's Karmada API": any API server serving
    /// [`cluster_crd`]).
    pub fn start(global: Client, karmada_api: String) -> Self {
        Self::start_waiting(global, karmada_api, COMPONENT_WAIT)
    }

    /// Like [`Self::start`], giving up each wait for a component after `wait` (the real one
    /// waits [`COMPONENT_WAIT`]).
    pub fn start_waiting(global: Client, karmada_api: String, wait: Duration) -> Self {
        let runs: Runs = Arc::default();
        let shared = runs.clone();
        let teardown: Fault = Arc::default();
        let fault = teardown.clone();
        let unpullable: Tag = Arc::default();
        let refused = unpullable.clone();
        let task = tokio::spawn(async move {
            loop {
                // The clients have no read timeout: a request that never gets an answer (an API
                // server under load, or stopped mid-request) must not stall the stand-in for
                // good, so each step is bounded and tried again on the next round.
                let _ =
                    tokio::time::timeout(STEP_LIMIT, workloads::run_as_deployment(&global)).await;
                let listed = tokio::time::timeout(
                    STEP_LIMIT,
                    Api::<Karmada>::all(global.clone()).list(&ListParams::default()),
                )
                .await;
                if let Ok(Ok(list)) = listed {
                    for karmada in list.items {
                        let key = format!(
                            "{}/{}",
                            karmada.metadata.namespace.as_deref().unwrap_or_default(),
                            karmada.metadata.name.as_deref().unwrap_or_default()
                        );
                        let tag = refused.lock().ok().and_then(|t| t.clone());
                        let kubelet = async {
                            if karmada.metadata.deletion_timestamp.is_none()
                                && let Ok(host) = host_client(&global, &karmada).await
                            {
                                let namespace =
                                    karmada.metadata.namespace.as_deref().unwrap_or_default();
                                let name = karmada.metadata.name.as_deref().unwrap_or_default();
                                let _ =
                                    workloads::play_kubelet(&host, namespace, name, tag.as_deref())
                                        .await;
                            }
                        };
                        let _ = tokio::time::timeout(STEP_LIMIT, kubelet).await;
                        let round = Round {
                            global: &global,
                            karmada_api: &karmada_api,
                            runs: &shared,
                            key: &key,
                            wait,
                            teardown: &fault,
                        };
                        // A step that cannot even be tried (a write refused) is tried again on
                        // the next round, as controller-runtime would requeue it.
                        let _ = tokio::time::timeout(STEP_LIMIT, handle(&round, &karmada)).await;
                    }
                }
                tokio::time::sleep(PERIOD).await;
            }
        });
        Self {
            task,
            runs,
            teardown,
            unpullable,
        }
    }

    /// Makes the kubelet it plays unable to pull any image tagged `tag` (`None`: every image
    /// pulls): such pods are never Ready, as in ImagePullBackOff.
    pub fn set_unpullable_tag(&self, tag: Option<&str>) {
        if let Ok(mut current) = self.unpullable.lock() {
            *current = tag.map(str::to_owned);
        }
    }

    /// Makes every later teardown run go as `fault` says.
    pub fn set_teardown(&self, fault: TeardownFault) {
        if let Ok(mut current) = self.teardown.lock() {
            *current = fault;
        }
    }

    /// Forgets every completed install, as a restarted operator does: each CR is installed
    /// again on its next round, its condition reset to `Progressing` first.
    pub fn restart(&self) {
        if let Ok(mut runs) = self.runs.lock() {
            runs.clear();
        }
    }
}

impl Drop for StandInOperator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Step = Result<(), kube::Error>;

/// What one round of the stand-in works with.
struct Round<'a> {
    global: &'a Client,
    karmada_api: &'a str,
    runs: &'a Runs,
    key: &'a str,
    wait: Duration,
    teardown: &'a Fault,
}

/// One round of handling `karmada`.
async fn handle(round: &Round<'_>, karmada: &Karmada) -> Step {
    let Round {
        global,
        karmada_api,
        runs,
        key,
        wait,
        ..
    } = *round;
    if karmada.metadata.deletion_timestamp.is_some() {
        return teardown::delete(round, karmada).await;
    }
    if defaults::ensure(global, karmada).await? {
        // Written: the next round reads the CR as it now is.
        return Ok(());
    }
    let generation = karmada.metadata.generation.unwrap_or_default();
    let current = runs.lock().ok().and_then(|r| r.get(key).cloned());
    if matches!(current, Some(Run::Refused { generation: refused }) if refused == generation) {
        return Ok(());
    }
    let name = karmada.metadata.name.as_deref().unwrap_or_default();
    if let Err(message) = validation::validate(karmada) {
        // validating.go: the condition and an Event, then no requeue (controller.go returns
        // nil); the next spec change is validated again.
        write_ready(global, name, "False", "ValidationError", &message).await?;
        set(runs, key, Run::Refused { generation });
        return Ok(());
    }
    let (at, since) = match current {
        Some(Run::Done { generation: done }) if done == generation => return Ok(()),
        Some(Run::Failed {
            at,
            generation: failed,
        }) if failed == generation && at.elapsed() < RETRY => {
            return Ok(());
        }
        Some(Run::Running { at, since }) => (at, since),
        _ => {
            // A new run: the condition is reset first (helper.go KarmadaInProgressing).
            write_ready(
                global,
                name,
                "False",
                "Progressing",
                "karmada init job is in progressing",
            )
            .await?;
            let since = Instant::now();
            set(
                runs,
                key,
                Run::Running {
                    at: String::new(),
                    since,
                },
            );
            (String::new(), since)
        }
    };
    let outcome = install::run(global, karmada, karmada_api).await;
    match outcome {
        Ok(install::Progress::Completed) => {
            write_ready(
                global,
                name,
                "True",
                "Completed",
                "karmada init job is completed",
            )
            .await?;
            set(runs, key, Run::Done { generation });
        }
        // Each step has its own wait (wait.go): a step reached anew starts its clock.
        Ok(install::Progress::Waiting(component)) if component != at => {
            let since = Instant::now();
            set(
                runs,
                key,
                Run::Running {
                    at: component,
                    since,
                },
            );
        }
        Ok(install::Progress::Waiting(component)) if since.elapsed() >= wait => {
            // `pkg/tasks/init/wait.go` and its callers (e.g. `runWaitEtcd` in
            // `pkg/tasks/init/etcd.go`); the job's error is the condition's message as it is.
            let message =
                format!("waiting for {component} to ready timeout, err: context deadline exceeded");
            write_ready(global, name, "False", "Failed", &message).await?;
            set(
                runs,
                key,
                Run::Failed {
                    at: Instant::now(),
                    generation,
                },
            );
        }
        Ok(install::Progress::Waiting(_)) => {}
        Err(install::Failure(message)) => {
            write_ready(global, name, "False", "Failed", &message).await?;
            set(
                runs,
                key,
                Run::Failed {
                    at: Instant::now(),
                    generation,
                },
            );
        }
    }
    Ok(())
}

fn set(runs: &Runs, key: &str, run: Run) {
    if let Ok(mut runs) = runs.lock() {
        runs.insert(key.to_owned(), run);
    }
}

/// The client of the CR's host cluster: the one its `spec.hostCluster.secretRef` names, or
/// the global cluster.
pub(crate) async fn host_client(global: &Client, karmada: &Karmada) -> Result<Client, kube::Error> {
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

/// Scales the stand-in's own Deployment to `replicas` (0: "karmada-operator is stopped").
pub async fn scale_operator(global: &Client, replicas: i32) {
    let patch = json!({"spec": {"replicas": replicas}});
    Api::<Deployment>::namespaced(global.clone(), OPERATOR_NAMESPACE)
        .patch(
            OPERATOR_DEPLOYMENT,
            &PatchParams::default(),
            &Patch::Merge(patch),
        )
        .await
        .expect("karmada-operator Deployment is scaled");
}
