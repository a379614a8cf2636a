//! What the webhook knows of the existing instances: the etcd hostPath directory of each, kept
//! current by a list-then-watch of the MulticloudInstances in the global cluster, so that a new
//! instance is never given a directory another one uses, without an API call on the request
//! path.

use std::collections::BTreeMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use kube::core::{ApiResource, DynamicObject};
use kube::runtime::watcher;
use kube::{Api, Client};
use multicloud_api::MulticloudInstance;
use multicloud_api::clusters::{ClusterDirectory, ClusterState, HostPathInUse};
use multicloud_runtime::watch::{self, Index};

use crate::clusters::Directory;

/// The hostPath directories of the instances, by instance name.
#[derive(Debug, Default)]
pub struct InstanceIndex {
    paths: RwLock<BTreeMap<String, HostPathInUse>>,
    synced: AtomicBool,
}

impl InstanceIndex {
    /// An empty index, not synced.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `instance` as it now is (dropping it when it uses no hostPath).
    pub fn apply(&self, instance: &MulticloudInstance) {
        let name = instance.name().to_owned();
        let used = HostPathInUse::of(instance);
        self.write(|paths| match used {
            Some(used) => {
                paths.insert(name, used);
            }
            None => {
                paths.remove(&name);
            }
        });
    }

    /// Forgets instance `name`, which is gone.
    pub fn delete(&self, name: &str) {
        self.write(|paths| {
            paths.remove(name);
        });
    }

    /// Replaces everything with a complete list: the index is synced from now on.
    pub fn reset(&self, listed: BTreeMap<String, HostPathInUse>) {
        self.write(|paths| *paths = listed);
        self.synced.store(true, Ordering::Release);
    }

    /// Whether the instances have been listed once.
    pub fn has_synced(&self) -> bool {
        self.synced.load(Ordering::Acquire)
    }

    /// The directories in use on management cluster `cluster`, once listed.
    pub fn in_use(&self, cluster: &str) -> Result<Vec<HostPathInUse>, String> {
        if !self.has_synced() {
            return Err("the webhook has not listed the existing instances yet".to_owned());
        }
        let paths = self.paths.read().unwrap_or_else(|e| e.into_inner());
        Ok(paths
            .values()
            .filter(|used| used.management_cluster == cluster)
            .cloned()
            .collect())
    }

    fn write(&self, f: impl FnOnce(&mut BTreeMap<String, HostPathInUse>)) {
        // A poisoned lock only means a writer panicked mid-update of plain data: keep serving.
        let mut paths = self.paths.write().unwrap_or_else(|e| e.into_inner());
        f(&mut paths);
    }
}

/// The instance watch; aborted when dropped.
#[derive(Debug)]
pub struct InstanceWatch(tokio::task::JoinHandle<()>);

impl Drop for InstanceWatch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts following the instances of the global cluster into `index`.
pub fn start(client: Client, index: std::sync::Arc<InstanceIndex>) -> InstanceWatch {
    InstanceWatch(tokio::spawn(follow_instances(client, index)))
}

/// Follows the MulticloudInstances of the global cluster into `index` until the task is
/// aborted. After a failure it lists again; until then the last complete list stays in use
/// (the global cluster is the one calling the webhook, as with its StorageClasses).
pub async fn follow_instances(client: Client, index: std::sync::Arc<InstanceIndex>) {
    // Decoded one by one, so that one undecodable object cannot stop the whole list.
    let resource = ApiResource::erase::<MulticloudInstance>(&());
    let api: Api<DynamicObject> = Api::all_with(client, &resource);
    let mut feed = Feed(index);
    watch::follow(api, watcher::Config::default(), "instances", &mut feed).await;
}

/// The watch's side of an [`InstanceIndex`] that requests read at the same time.
struct Feed(std::sync::Arc<InstanceIndex>);

impl Index<DynamicObject> for Feed {
    async fn apply(&mut self, object: DynamicObject) {
        if let Some(instance) = decode(object) {
            self.0.apply(&instance);
        }
    }

    async fn delete(&mut self, object: DynamicObject) {
        self.0
            .delete(object.metadata.name.as_deref().unwrap_or_default());
    }

    async fn reset(&mut self, objects: Vec<DynamicObject>) {
        let listed: BTreeMap<String, HostPathInUse> = objects
            .into_iter()
            .filter_map(decode)
            .filter_map(|instance| {
                HostPathInUse::of(&instance).map(|used| (instance.name().to_owned(), used))
            })
            .collect();
        tracing::info!(host_paths = listed.len(), "instances synced");
        self.0.reset(listed);
    }
}

fn decode(object: DynamicObject) -> Option<MulticloudInstance> {
    let name = object.metadata.name.clone().unwrap_or_default();
    match object.try_parse::<MulticloudInstance>() {
        Ok(instance) => Some(instance),
        Err(error) => {
            // Such an instance was never admitted by this webhook; it cannot hold a directory
            // the rules would know how to read.
            tracing::warn!(instance = %name, reason = %error, "ignoring an undecodable instance");
            None
        }
    }
}

/// Everything the rules know at one moment: the management clusters from their watches, the
/// instances' directories from theirs, and the configured host-path root.
#[derive(Debug, Clone, Copy)]
pub struct Knowledge<'a> {
    /// The management clusters.
    pub clusters: &'a Directory,
    /// The existing instances' hostPath directories.
    pub instances: &'a InstanceIndex,
    /// `--host-path-root`.
    pub host_path_root: &'a str,
}

impl ClusterDirectory for Knowledge<'_> {
    fn cluster_names(&self) -> Vec<String> {
        self.clusters.cluster_names()
    }

    fn cluster(&self, name: &str) -> Option<ClusterState> {
        self.clusters.cluster(name)
    }

    fn host_path_root(&self) -> &str {
        self.host_path_root
    }

    fn host_paths_in_use(&self, cluster: &str) -> Result<Vec<HostPathInUse>, String> {
        self.instances.in_use(cluster)
    }
}

#[cfg(test)]
mod tests {
    use multicloud_api::MulticloudInstanceSpec;
    use multicloud_api::instance::StorageType;

    use super::*;

    fn host_path(name: &str, cluster: &str, path: Option<&str>) -> MulticloudInstance {
        let mut instance = MulticloudInstance::new(name, MulticloudInstanceSpec::default());
        instance.spec.management_cluster = cluster.into();
        instance.spec.etcd.storage.type_ = StorageType::HostPath;
        instance.spec.etcd.storage.host_path = path.map(str::to_owned);
        instance
    }

    #[test]
    fn nothing_is_known_until_the_first_list() {
        let index = InstanceIndex::new();
        index.apply(&host_path("a", "local", Some("/var/lib/multicloud/a")));
        assert!(index.in_use("local").unwrap_err().contains("not listed"));
        index.reset(BTreeMap::new());
        assert_eq!(index.in_use("local"), Ok(Vec::new()));
    }

    #[test]
    fn directories_follow_the_instances_per_cluster() {
        let index = InstanceIndex::new();
        index.reset(BTreeMap::new());
        index.apply(&host_path("a", "local", Some("/var/lib/multicloud/a")));
        index.apply(&host_path("b", "edge-1", Some("/var/lib/multicloud/b")));
        let mut unset = host_path("c", "local", None);
        unset.metadata.uid = Some("c0ffee00-0000-4000-8000-000000000000".into());
        index.apply(&unset);
        let local = index.in_use("local").expect("synced");
        let paths: Vec<&str> = local.iter().map(|u| u.path.as_str()).collect();
        // An instance stored without a path uses the one its Karmada CR was rendered with.
        assert_eq!(
            paths,
            [
                "/var/lib/multicloud/a",
                "/var/lib/multicloud/k-c-c0ffee00/etcd"
            ]
        );
        index.delete("c");
        // Changed to another storage type, then deleted.
        let mut pvc = host_path("a", "local", Some("/x"));
        pvc.spec.etcd.storage.type_ = StorageType::PersistentVolumeClaim;
        index.apply(&pvc);
        assert_eq!(index.in_use("local"), Ok(Vec::new()));
        index.delete("b");
        assert_eq!(index.in_use("edge-1"), Ok(Vec::new()));
    }
}
