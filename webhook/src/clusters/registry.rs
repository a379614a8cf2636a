//! The registered management clusters: a watch of the cluster Secrets in `multicloud-system`
//! starts, replaces and stops one StorageClass watch (and probe) per cluster, so adding,
//! changing or removing a Secret takes effect without a restart.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::runtime::watcher;
use kube::{Api, Client};
use multicloud_api::keys::{CLUSTER_LABEL, KUBECONFIG_KEY, SYSTEM_NAMESPACE};
use multicloud_api::rules::check_cluster_name;
use multicloud_runtime::watch::{self, Index};
use tokio::task::JoinHandle;

use super::connect::remote_client;
use super::directory::{Directory, Generation};
use super::storage::{follow_storage_classes, probe};

/// The label selector of registered cluster Secrets.
pub fn cluster_secret_selector() -> String {
    format!("{CLUSTER_LABEL}=true")
}

/// Tasks of one registered cluster; aborted when dropped.
struct Running {
    kubeconfig: Option<Vec<u8>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Follows the cluster Secrets of the global cluster until the task is aborted.
pub async fn follow_cluster_secrets(
    client: Client,
    directory: Arc<Directory>,
    probe_interval: Duration,
) {
    let api: Api<Secret> = Api::namespaced(client, SYSTEM_NAMESPACE);
    let config = watcher::Config::default().labels(&cluster_secret_selector());
    let mut registry = Registry {
        directory,
        probe_interval,
        running: BTreeMap::new(),
    };
    watch::follow(api, config, "cluster Secrets", &mut registry).await;
}

struct Registry {
    directory: Arc<Directory>,
    probe_interval: Duration,
    running: BTreeMap<String, Running>,
}

/// A failed watch of the Secrets leaves the registrations as they are: their own watches report
/// their health.
impl Index<Secret> for Registry {
    async fn apply(&mut self, secret: Secret) {
        self.register(&secret).await;
    }

    async fn delete(&mut self, secret: Secret) {
        self.remove(&secret.metadata.name.unwrap_or_default());
    }

    async fn reset(&mut self, secrets: Vec<Secret>) {
        let mut listed = BTreeSet::new();
        for secret in &secrets {
            if let Some(name) = self.register(secret).await {
                listed.insert(name);
            }
        }
        self.retain(&listed);
        self.directory.set_secrets_synced();
    }
}

impl Registry {
    /// Registers or refreshes the cluster of `secret`; returns its name when it is one.
    async fn register(&mut self, secret: &Secret) -> Option<String> {
        let name = secret.metadata.name.clone().unwrap_or_default();
        if let Some(violation) = check_cluster_name(&name).first() {
            // Such a Secret is refused by the webhook; one written before it was installed
            // must still never shadow `local` or a virtual cluster.
            tracing::warn!(cluster = %name, %violation, "ignoring cluster Secret");
            self.remove(&name);
            return None;
        }
        let kubeconfig = secret
            .data
            .as_ref()
            .and_then(|data| data.get(KUBECONFIG_KEY))
            .map(|bytes| bytes.0.clone());
        if self
            .running
            .get(&name)
            .is_some_and(|r| r.kubeconfig == kubeconfig)
        {
            return Some(name);
        }
        // Dropping the previous entry stops its watch before the new one starts.
        self.running.remove(&name);
        let generation = self.directory.register(&name);
        let mut running = Running {
            kubeconfig: kubeconfig.clone(),
            tasks: Vec::new(),
        };
        match client_of(&name, kubeconfig).await {
            Ok(client) => {
                tracing::info!(cluster = %name, "watching management cluster");
                running.tasks = self.watch(client, &name, generation);
            }
            Err(reason) => {
                tracing::warn!(cluster = %name, %reason, "management cluster cannot be watched");
                self.directory
                    .update(&name, generation, |r| r.unusable(reason));
            }
        }
        self.running.insert(name.clone(), running);
        Some(name)
    }

    /// The probe and StorageClass watch of cluster `name`.
    fn watch(&self, client: Client, name: &str, generation: Generation) -> Vec<JoinHandle<()>> {
        let directory = self.directory.clone();
        vec![
            tokio::spawn(probe(
                client.clone(),
                directory.clone(),
                name.to_owned(),
                generation,
                self.probe_interval,
            )),
            tokio::spawn(follow_storage_classes(
                client,
                directory,
                name.to_owned(),
                generation,
            )),
        ]
    }

    fn remove(&mut self, name: &str) {
        if self.running.remove(name).is_some() {
            tracing::info!(cluster = %name, "management cluster unregistered");
            self.directory.remove(name);
        }
    }

    /// After a full list: forget clusters whose Secret is gone.
    fn retain(&mut self, listed: &BTreeSet<String>) {
        let gone: Vec<String> = self
            .running
            .keys()
            .filter(|name| !listed.contains(*name))
            .cloned()
            .collect();
        for name in gone {
            self.remove(&name);
        }
    }
}

/// The client of cluster `name` from the `kubeconfig` value of its Secret, or why there is none.
async fn client_of(name: &str, kubeconfig: Option<Vec<u8>>) -> Result<Client, String> {
    match kubeconfig.map(String::from_utf8) {
        None => Err(format!(
            "Secret {SYSTEM_NAMESPACE}/{name} has no `{KUBECONFIG_KEY}` key"
        )),
        Some(Err(_)) => Err(format!(
            "`{KUBECONFIG_KEY}` in Secret {SYSTEM_NAMESPACE}/{name} is not text"
        )),
        Some(Ok(text)) => remote_client(&text).await,
    }
}
