//! The webhook's [`ClusterDirectory`]: what the watches have learnt of every management
//! cluster, read by the rules without any I/O.

use std::collections::BTreeMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use multicloud_api::clusters::{ClusterDirectory, ClusterState, StorageClassInfo};
use tokio::sync::watch;

/// Identifies one registration of a cluster, so that the watch of a replaced kubeconfig can
/// never overwrite what the watch of its successor found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

/// What the watches and probes of one cluster have reported.
#[derive(Debug, Clone)]
pub struct ClusterRecord {
    generation: Generation,
    registered: Instant,
    /// Every StorageClass, once listed.
    classes: Option<BTreeMap<String, StorageClassInfo>>,
    /// The kubeconfig cannot be used at all.
    config_error: Option<String>,
    /// The StorageClass watch failed and has not relisted since.
    watch_error: Option<String>,
    /// The last `/readyz` probe failed.
    probe_error: Option<String>,
}

impl ClusterRecord {
    fn new(generation: Generation) -> Self {
        Self {
            generation,
            registered: Instant::now(),
            classes: None,
            config_error: None,
            watch_error: None,
            probe_error: None,
        }
    }

    /// Records a complete list of StorageClasses: the watch is healthy again.
    pub fn synced(&mut self, classes: BTreeMap<String, StorageClassInfo>) {
        self.classes = Some(classes);
        self.watch_error = None;
    }

    /// Records one added or changed StorageClass seen by a healthy watch.
    pub fn applied(&mut self, class: StorageClassInfo) {
        if let Some(classes) = &mut self.classes {
            classes.insert(class.name.clone(), class);
        }
        self.watch_error = None;
    }

    /// Records one deleted StorageClass seen by a healthy watch.
    pub fn deleted(&mut self, name: &str) {
        if let Some(classes) = &mut self.classes {
            classes.remove(name);
        }
        self.watch_error = None;
    }

    /// Records that the watch failed; the cluster is unreachable until it relists.
    pub fn watch_failed(&mut self, reason: String) {
        self.watch_error = Some(reason);
    }

    /// Records the outcome of a probe of the cluster's API server.
    pub fn probed(&mut self, result: Result<(), String>) {
        self.probe_error = result.err();
    }

    /// Records that the cluster's kubeconfig cannot be used.
    pub fn unusable(&mut self, reason: String) {
        self.config_error = Some(reason);
    }

    /// Whether the StorageClasses have been listed at least once.
    pub fn has_synced(&self) -> bool {
        self.classes.is_some()
    }

    /// The state the rules see.
    pub fn state(&self, sync_timeout: Duration) -> ClusterState {
        if let Some(reason) = self
            .config_error
            .as_ref()
            .or(self.probe_error.as_ref())
            .or(self.watch_error.as_ref())
        {
            return ClusterState::Unreachable {
                reason: reason.clone(),
            };
        }
        match &self.classes {
            Some(classes) => ClusterState::ready(classes.values().cloned().collect()),
            None if self.registered.elapsed() >= sync_timeout => ClusterState::Unreachable {
                reason: format!(
                    "its StorageClasses could not be listed within {}s",
                    sync_timeout.as_secs_f64()
                ),
            },
            None => ClusterState::NotSynced,
        }
    }
}

/// Every management cluster the webhook knows of, `local` included.
#[derive(Debug)]
pub struct Directory {
    records: RwLock<BTreeMap<String, ClusterRecord>>,
    next_generation: AtomicU64,
    secrets_synced: AtomicBool,
    sync_timeout: Duration,
    changes: watch::Sender<()>,
}

impl Directory {
    /// An empty directory; clusters not listed within `sync_timeout` count as unreachable.
    pub fn new(sync_timeout: Duration) -> Self {
        Self {
            records: RwLock::new(BTreeMap::new()),
            next_generation: AtomicU64::new(0),
            secrets_synced: AtomicBool::new(false),
            sync_timeout,
            changes: watch::Sender::new(()),
        }
    }

    /// Starts (or restarts) the record of `name` as not synced, returning its generation.
    pub fn register(&self, name: &str) -> Generation {
        let generation = Generation(self.next_generation.fetch_add(1, Ordering::Relaxed));
        self.write(|records| {
            records.insert(name.to_owned(), ClusterRecord::new(generation));
        });
        generation
    }

    /// Forgets `name`.
    pub fn remove(&self, name: &str) {
        self.write(|records| {
            records.remove(name);
        });
    }

    /// Applies `change` to the record of `name`, unless that registration was replaced.
    pub fn update(
        &self,
        name: &str,
        generation: Generation,
        change: impl FnOnce(&mut ClusterRecord),
    ) {
        self.write(|records| {
            if let Some(record) = records.get_mut(name).filter(|r| r.generation == generation) {
                change(record);
            }
        });
    }

    /// Whether `name`'s StorageClasses have been listed at least once.
    pub fn has_synced(&self, name: &str) -> bool {
        self.read(|records| records.get(name).is_some_and(ClusterRecord::has_synced))
    }

    /// Marks the cluster Secrets as listed: from now on an unknown cluster is really unknown.
    pub fn set_secrets_synced(&self) {
        if !self.secrets_synced.swap(true, Ordering::Relaxed) {
            self.changes.send_replace(());
        }
    }

    /// Whether the cluster Secrets have been listed.
    pub fn secrets_synced(&self) -> bool {
        self.secrets_synced.load(Ordering::Relaxed)
    }

    /// Every cluster with its state, by name.
    pub fn snapshot(&self) -> Vec<(String, ClusterState)> {
        self.read(|records| {
            records
                .iter()
                .map(|(name, record)| (name.clone(), record.state(self.sync_timeout)))
                .collect()
        })
    }

    /// Waits up to `wait` for `name` to be known and synced (or found unreachable), so that a
    /// cluster registered a moment ago is not denied as unknown.
    pub async fn settle(&self, name: &str, wait: Duration) {
        // The common case, a synced cluster, costs one read lock and no copy.
        if self.is_settled(name) {
            return;
        }
        let deadline = tokio::time::Instant::now() + wait;
        let mut changes = self.changes.subscribe();
        loop {
            // Marked before reading, so a change right after the read still wakes us.
            changes.mark_unchanged();
            if self.is_settled(name)
                || tokio::time::timeout_at(deadline, changes.changed())
                    .await
                    .is_err()
            {
                return;
            }
        }
    }

    fn is_settled(&self, name: &str) -> bool {
        self.read(|records| {
            records.get(name).is_some_and(|record| {
                // Mirrors `ClusterRecord::state` without copying the classes.
                record.has_synced()
                    || record.config_error.is_some()
                    || record.probe_error.is_some()
                    || record.watch_error.is_some()
                    || record.registered.elapsed() >= self.sync_timeout
            })
        })
    }

    fn read<T>(&self, f: impl FnOnce(&BTreeMap<String, ClusterRecord>) -> T) -> T {
        // A poisoned lock only means a writer panicked mid-update of plain data: keep serving.
        let records = self.records.read().unwrap_or_else(|e| e.into_inner());
        f(&records)
    }

    fn write(&self, f: impl FnOnce(&mut BTreeMap<String, ClusterRecord>)) {
        {
            let mut records = self.records.write().unwrap_or_else(|e| e.into_inner());
            f(&mut records);
        }
        self.changes.send_replace(());
    }
}

impl ClusterDirectory for Directory {
    fn cluster_names(&self) -> Vec<String> {
        self.read(|records| records.keys().cloned().collect())
    }

    fn cluster(&self, name: &str) -> Option<ClusterState> {
        self.read(|records| records.get(name).map(|r| r.state(self.sync_timeout)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(names: &[&str]) -> BTreeMap<String, StorageClassInfo> {
        names
            .iter()
            .map(|n| (n.to_string(), StorageClassInfo::new(*n, false)))
            .collect()
    }

    #[test]
    fn a_registered_cluster_is_not_synced_until_listed() {
        let directory = Directory::new(Duration::from_secs(60));
        let generation = directory.register("edge-1");
        assert_eq!(directory.cluster("edge-1"), Some(ClusterState::NotSynced));
        directory.update("edge-1", generation, |r| r.synced(classes(&["fast"])));
        assert_eq!(
            directory.cluster("edge-1"),
            Some(ClusterState::ready(vec![StorageClassInfo::new(
                "fast", false
            )]))
        );
        assert_eq!(directory.cluster_names(), ["edge-1"]);
    }

    #[test]
    fn errors_make_a_cluster_unreachable_until_it_recovers() {
        let directory = Directory::new(Duration::from_secs(60));
        let generation = directory.register("edge-1");
        directory.update("edge-1", generation, |r| r.synced(classes(&[])));
        directory.update("edge-1", generation, |r| {
            r.watch_failed("connection refused".into())
        });
        assert!(matches!(
            directory.cluster("edge-1"),
            Some(ClusterState::Unreachable { reason }) if reason == "connection refused"
        ));
        directory.update("edge-1", generation, |r| {
            r.probed(Err("probe timed out".into()))
        });
        directory.update("edge-1", generation, |r| r.synced(classes(&["a"])));
        assert!(matches!(
            directory.cluster("edge-1"),
            Some(ClusterState::Unreachable { .. })
        ));
        directory.update("edge-1", generation, |r| r.probed(Ok(())));
        assert!(matches!(
            directory.cluster("edge-1"),
            Some(ClusterState::Ready { .. })
        ));
    }

    #[test]
    fn a_replaced_registration_ignores_its_old_watch() {
        let directory = Directory::new(Duration::from_secs(60));
        let old = directory.register("edge-1");
        let _new = directory.register("edge-1");
        directory.update("edge-1", old, |r| r.synced(classes(&["stale"])));
        assert_eq!(directory.cluster("edge-1"), Some(ClusterState::NotSynced));
    }

    #[test]
    fn a_cluster_that_never_syncs_becomes_unreachable() {
        let directory = Directory::new(Duration::ZERO);
        directory.register("edge-1");
        assert!(matches!(
            directory.cluster("edge-1"),
            Some(ClusterState::Unreachable { reason }) if reason.contains("could not be listed")
        ));
    }

    #[tokio::test]
    async fn waiting_ends_when_the_cluster_syncs() {
        let directory = std::sync::Arc::new(Directory::new(Duration::from_secs(60)));
        let generation = directory.register("edge-1");
        let writer = directory.clone();
        let sync = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            writer.update("edge-1", generation, |r| r.synced(classes(&["fast"])));
        });
        directory.settle("edge-1", Duration::from_secs(30)).await;
        assert!(matches!(
            directory.cluster("edge-1"),
            Some(ClusterState::Ready { .. })
        ));
        sync.await.expect("writer task");
    }

    #[tokio::test]
    async fn waiting_is_bounded() {
        let directory = Directory::new(Duration::from_secs(60));
        directory.register("edge-1");
        directory.settle("edge-1", Duration::from_millis(10)).await;
        assert_eq!(directory.cluster("edge-1"), Some(ClusterState::NotSynced));
        directory.settle("nope", Duration::from_millis(10)).await;
        assert_eq!(directory.cluster("nope"), None);
    }
}
