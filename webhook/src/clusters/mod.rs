//! What the webhook knows of the management clusters, kept current by watches so that no
//! admission request ever waits on an API call.
//!
//! `local` is followed through the webhook's own client. Every other cluster is a Secret in
//! `multicloud-system` labelled `multicloud.dev/cluster=true`; each gets its own client, built
//! from the Secret's kubeconfig, with a StorageClass watch and a probe of its API server.

mod connect;
mod directory;
mod registry;
mod storage;

use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use multicloud_api::keys::LOCAL_CLUSTER;
use tokio::task::JoinHandle;

pub use connect::local_client;
pub use directory::{ClusterRecord, Directory, Generation};
pub use registry::cluster_secret_selector;

/// The background watches; aborted when dropped.
#[derive(Debug)]
pub struct Watches {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Watches {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts following `local` and the registered clusters into `directory`.
pub fn start(client: Client, directory: Arc<Directory>, probe_interval: Duration) -> Watches {
    let generation = directory.register(LOCAL_CLUSTER);
    let tasks = vec![
        tokio::spawn(storage::follow_storage_classes(
            client.clone(),
            directory.clone(),
            LOCAL_CLUSTER.to_owned(),
            generation,
        )),
        tokio::spawn(registry::follow_cluster_secrets(
            client,
            directory,
            probe_interval,
        )),
    ];
    Watches { tasks }
}

/// Whether the webhook may take traffic: `local` has been listed once, and so have the
/// cluster Secrets (before that, every registered cluster would look unknown).
pub fn ready(directory: &Directory) -> bool {
    directory.has_synced(LOCAL_CLUSTER) && directory.secrets_synced()
}
