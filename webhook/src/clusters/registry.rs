//! The registered management clusters: a watch of the cluster Secrets in `multicloud-system`
//! starts, replaces and stops one StorageClass watch (and probe) per cluster, so adding,
//! changing or removing a Secret takes effect without a restart.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use multicloud_api::keys::{CLUSTER_LABEL, KUBECONFIG_KEY, SYSTEM_NAMESPACE};
use multicloud_api::rules::check_cluster_name;
use multicloud_runtime::report::error_chain;
use tokio::task::JoinHandle;

use super::connect::remote_client;
use super::directory::Directory;
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
    let mut backoff = Duration::from_millis(250);
    loop {
        let stream = watcher::watcher(api.clone(), config.clone());
        futures::pin_mut!(stream);
        let mut listed: Option<BTreeSet<String>> = None;
        while let Some(event) = stream.next().await {
            match event {
                Ok(Event::Init) => listed = Some(BTreeSet::new()),
                Ok(Event::InitApply(secret)) => {
                    if let Some(name) = registry.apply(&secret).await {
                        listed.get_or_insert_default().insert(name);
                    }
                }
                Ok(Event::InitDone) => {
                    registry.retain(&listed.take().unwrap_or_default());
                    registry.directory.set_secrets_synced();
                    backoff = Duration::from_millis(250);
                }
                Ok(Event::Apply(secret)) => {
                    registry.apply(&secret).await;
                }
                Ok(Event::Delete(secret)) => {
                    registry.remove(&secret.metadata.name.unwrap_or_default())
                }
                Err(error) => {
                    // Registrations stay as they are: their own watches report their health.
                    tracing::warn!(reason = %error_chain(&error), "cluster Secret watch failed; retrying");
                    break;
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

struct Registry {
    directory: Arc<Directory>,
    probe_interval: Duration,
    running: BTreeMap<String, Running>,
}

impl Registry {
    /// Registers or refreshes the cluster of `secret`; returns its name when it is one.
    async fn apply(&mut self, secret: &Secret) -> Option<String> {
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
        let client = match kubeconfig.map(String::from_utf8) {
            None => Err(format!(
                "Secret {SYSTEM_NAMESPACE}/{name} has no `{KUBECONFIG_KEY}` key"
            )),
            Some(Err(_)) => Err(format!(
                "`{KUBECONFIG_KEY}` in Secret {SYSTEM_NAMESPACE}/{name} is not text"
            )),
            Some(Ok(text)) => remote_client(&text).await,
        };
        match client {
            Ok(client) => {
                tracing::info!(cluster = %name, "watching management cluster");
                let directory = self.directory.clone();
                running.tasks.push(tokio::spawn(probe(
                    client.clone(),
                    directory.clone(),
                    name.clone(),
                    generation,
                    self.probe_interval,
                )));
                running.tasks.push(tokio::spawn(follow_storage_classes(
                    client,
                    directory,
                    name.clone(),
                    generation,
                )));
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
