//! What the plugin's end-to-end tests share: a global cluster with everything multicloud needs
//! running, and StorageClasses and volumes for it.

use std::time::Duration;

use k8s_openapi::api::core::v1::PersistentVolume;
use kube::api::{Api, PostParams};
pub use multicloud_e2e::cluster::{bare_cluster, global_cluster, storage_class};
use multicloud_e2e::controller::Controller;
use multicloud_e2e::operator::{COMPONENT_WAIT, StandInOperator, from_json};
use multicloud_e2e::plugin::Plugin;
use multicloud_e2e::webhook::Webhook;
use multicloud_testenv::ControlPlane;
use serde_json::json;

/// A global cluster as `kubectl multicloud install` leaves it, with the stand-in operator: the
/// CRDs, `multicloud-system`, the webhook and the controller as processes.
pub struct Env {
    /// The plugin, pointed at the global cluster.
    pub plugin: Plugin,
    /// An admin client of the global cluster.
    pub client: kube::Client,
    // Dropped in this order: nothing may call the API server after it is gone.
    _operator: StandInOperator,
    _controller: Controller,
    _webhook: Webhook,
    /// The global cluster.
    pub plane: ControlPlane,
}

/// How [`Env::start_with`] sets the global cluster up.
pub struct Setup {
    /// Whether the webhook is registered with the API server (else nothing admits but it).
    pub webhook_registered: bool,
    /// The stand-in operator's wait for each component (the real one's: 120 s).
    pub component_wait: Duration,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            webhook_registered: true,
            component_wait: COMPONENT_WAIT,
        }
    }
}

impl Env {
    /// Starts it all and waits until the webhook is called by the API server.
    pub async fn start() -> Self {
        Self::start_with(Setup::default()).await
    }

    /// Starts it all as `setup` says.
    pub async fn start_with(setup: Setup) -> Self {
        let plane = global_cluster().await;
        let client = plane.client();
        let webhook = Webhook::start(plane.kubeconfig_path(), &["--probe-interval", "500ms"])
            .await
            .expect("webhook starts");
        if setup.webhook_registered {
            webhook
                .register(&client)
                .await
                .expect("webhook is registered");
        }
        // A settled instance's member count is refreshed at each resync; make that often.
        let controller = Controller::start(&plane, "controller", &["--resync-interval", "1"]);
        // The instance's "Karmada API" is the global cluster, which serves the Cluster CRD.
        let operator = StandInOperator::start_waiting(
            client.clone(),
            plane.kubeconfig_yaml(),
            setup.component_wait,
        );
        let plugin = Plugin::new(plane.kubeconfig_path()).expect("kubectl-multicloud is built");
        Self {
            plugin,
            client,
            _operator: operator,
            _controller: controller,
            _webhook: webhook,
            plane,
        }
    }
}

/// Creates a 5Gi PersistentVolume of `class`, which kube-controller-manager binds to a
/// matching PVC: what a provisioner would have made.
pub async fn volume(client: &kube::Client, name: &str, class: &str) {
    let volume: PersistentVolume = from_json(json!({
        "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": "5Gi"},
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": class,
            "persistentVolumeReclaimPolicy": "Retain",
            "hostPath": {"path": format!("/tmp/{name}")}
        }
    }));
    Api::<PersistentVolume>::all(client.clone())
        .create(&PostParams::default(), &volume)
        .await
        .expect("PersistentVolume is created");
}

/// Whether `text` contains every one of `parts`; panics naming the missing one otherwise.
pub fn assert_contains(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "missing {part:?} in:\n{text}");
    }
}
