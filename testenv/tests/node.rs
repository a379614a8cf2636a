//! The single-node cluster against the real binaries: a pod runs, reaches the API server
//! through the `kubernetes` Service, and dropping the cluster leaves nothing behind.
//!
//! Needs root and what scripts/install-node.sh installs.

use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use multicloud_testenv::{NodeCluster, NodeOptions};
use serde_json::json;
use tokio::time::Instant;

/// Polls `probe` every 500 ms until it yields a value; panics with the last reason after
/// `timeout`.
async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let last = match probe().await {
            Ok(value) => return value,
            Err(why) => why,
        };
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; last: {last}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Processes whose command line names `dir` (the node's components and containerd's shims).
fn processes_naming(dir: &std::path::Path) -> Vec<String> {
    let dir = dir.to_string_lossy();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
        .filter(|cmdline| cmdline.contains(&*dir))
        .collect()
}

fn mounts_below(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .filter_map(|line| line.split_whitespace().nth(4).map(str::to_owned))
        .filter(|point| point.starts_with(&*dir.to_string_lossy()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_runs_on_the_node_and_dropping_the_cluster_leaves_nothing() {
    let cluster = NodeCluster::start(NodeOptions::default())
        .await
        .expect("node cluster starts");
    let client = cluster.client();
    let dir: PathBuf = cluster.dir().to_path_buf();

    // The pause image is the one image every node has; it runs as 65535 and does nothing.
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "sleeper", "namespace": "default"},
        "spec": {
            "containers": [{
                "name": "pause",
                "image": "localhost/multicloud-testenv/pause:3.4",
                "imagePullPolicy": "Never"
            }],
            "automountServiceAccountToken": false
        }
    }))
    .expect("a pod");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    // The default ServiceAccount appears a moment after the namespace controller runs.
    eventually("the pod to be created", Duration::from_secs(30), || async {
        pods.create(&PostParams::default(), &pod)
            .await
            .map_err(|e| e.to_string())
    })
    .await;
    let ip = eventually("the pod to run", Duration::from_secs(60), || async {
        let pod = pods.get("sleeper").await.map_err(|e| e.to_string())?;
        let status = pod.status.unwrap_or_default();
        match (status.phase.as_deref(), status.pod_ip) {
            (Some("Running"), Some(ip)) => Ok(ip),
            other => Err(format!("{other:?} {:?}", status.container_statuses)),
        }
    })
    .await;
    assert!(
        ip.starts_with("10.88."),
        "pod address from the bridge: {ip}"
    );
    let uid = pods
        .get("sleeper")
        .await
        .expect("the pod")
        .metadata
        .uid
        .expect("a uid");
    let pod_logs = || {
        std::fs::read_dir("/var/log/pods")
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_name().to_string_lossy().ends_with(&uid))
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(
        pod_logs(),
        1,
        "kubelet keeps the pod's logs in /var/log/pods"
    );
    assert!(!mounts_below(&dir).is_empty(), "the pod's mounts are there");
    assert!(
        processes_naming(&dir)
            .iter()
            .any(|p| p.contains("containerd-shim")),
        "the pod's shim runs"
    );

    let netns = cluster
        .network_namespace()
        .expect("a namespace")
        .to_path_buf();
    let cgroup = PathBuf::from("/sys/fs/cgroup/memory").join(
        cluster
            .cgroup_root()
            .expect("a cgroup root")
            .trim_start_matches('/'),
    );
    assert!(netns.exists() && cgroup.exists());
    drop(cluster);
    assert!(!dir.exists(), "the directory is removed");
    assert_eq!(
        processes_naming(&dir),
        Vec::<String>::new(),
        "every process is gone"
    );
    assert_eq!(mounts_below(&dir), Vec::<String>::new());
    assert!(!netns.exists(), "{} is deleted", netns.display());
    assert!(!cgroup.exists(), "{} is removed", cgroup.display());
    assert_eq!(pod_logs(), 0, "the pod's logs are removed");
}
