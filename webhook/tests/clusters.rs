//! The cluster watches against real API servers: `local` and a registered cluster are followed
//! from their StorageClasses; adding, changing and removing the cluster Secret takes effect
//! without a restart; a stopped API server is reported unreachable and ready again once back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use multicloud_api::clusters::{ClusterDirectory, ClusterState, StorageClassInfo};
use multicloud_testenv::{ControlPlane, ControllerManager, Options};
use multicloud_webhook::clusters::{self, Directory};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

async fn control_plane() -> ControlPlane {
    ControlPlane::start_with(Options {
        controller_manager: ControllerManager::Disabled,
        ..Options::default()
    })
    .await
    .expect("control plane starts")
}

/// Waits until `check` accepts the state of `cluster`; panics with the last state otherwise.
async fn until(
    directory: &Directory,
    cluster: &str,
    what: &str,
    check: impl Fn(&Option<ClusterState>) -> bool,
) -> Option<ClusterState> {
    let deadline = Instant::now() + WAIT;
    loop {
        let state = directory.cluster(cluster);
        if check(&state) {
            return state;
        }
        assert!(
            Instant::now() < deadline,
            "{cluster} never became {what}; last: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn classes(state: &Option<ClusterState>) -> Option<Vec<String>> {
    match state {
        Some(ClusterState::Ready { storage_classes }) => {
            Some(storage_classes.iter().map(|c| c.name.clone()).collect())
        }
        _ => None,
    }
}

fn storage_class(name: &str) -> StorageClass {
    serde_json::from_value(json!({
        "metadata": {"name": name, "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "example.com/none",
    }))
    .expect("StorageClass")
}

fn cluster_secret(name: &str, kubeconfig: &str) -> Secret {
    Secret {
        metadata: serde_json::from_value(
            json!({"name": name, "labels": {"multicloud.dev/cluster": "true"}}),
        )
        .expect("metadata"),
        data: Some(
            [(
                "kubeconfig".to_owned(),
                ByteString(kubeconfig.as_bytes().to_vec()),
            )]
            .into(),
        ),
        ..Secret::default()
    }
}

#[tokio::test]
async fn clusters_follow_their_secrets_and_their_api_servers() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let global = control_plane().await;
    let mut edge = control_plane().await;
    let client = global.client();
    let namespace: Namespace =
        serde_json::from_value(json!({"metadata": {"name": "multicloud-system"}})).expect("ns");
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .expect("namespace");

    let directory = Arc::new(Directory::new(Duration::from_secs(60)));
    let _watches = clusters::start(
        client.clone(),
        directory.clone(),
        Duration::from_millis(200),
    );
    until(&directory, "local", "ready", |s| classes(s) == Some(vec![])).await;
    let deadline = Instant::now() + WAIT;
    while !clusters::ready(&directory) {
        assert!(
            Instant::now() < deadline,
            "the cluster Secrets were never listed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // local follows its StorageClasses.
    Api::<StorageClass>::all(client.clone())
        .create(&PostParams::default(), &storage_class("standard"))
        .await
        .expect("StorageClass");
    let state = until(&directory, "local", "ready with standard", |s| {
        classes(s) == Some(vec!["standard".into()])
    })
    .await;
    assert_eq!(
        state
            .and_then(|s| s.default_class().cloned())
            .map(|c| c.default),
        Some(true)
    );

    // A Secret registers a cluster; its StorageClasses follow.
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "multicloud-system");
    secrets
        .create(
            &PostParams::default(),
            &cluster_secret("edge-1", &edge.kubeconfig_yaml()),
        )
        .await
        .expect("Secret");
    until(&directory, "edge-1", "ready", |s| {
        classes(s) == Some(vec![])
    })
    .await;
    Api::<StorageClass>::all(edge.client())
        .create(&PostParams::default(), &storage_class("edge-fast"))
        .await
        .expect("StorageClass");
    until(&directory, "edge-1", "ready with edge-fast", |s| {
        classes(s) == Some(vec!["edge-fast".into()])
    })
    .await;
    assert_eq!(directory.cluster_names(), ["edge-1", "local"]);

    // Its API server goes away: unreachable, with the reason. It comes back: ready again.
    edge = tokio::task::spawn_blocking(move || {
        edge.stop_apiserver();
        edge
    })
    .await
    .expect("stop");
    let state = until(&directory, "edge-1", "unreachable", |s| {
        matches!(s, Some(ClusterState::Unreachable { .. }))
    })
    .await;
    eprintln!("edge-1 down: {state:?}");
    edge.restart_apiserver().await.expect("API server restarts");
    until(&directory, "edge-1", "ready again", |s| {
        classes(s) == Some(vec!["edge-fast".into()])
    })
    .await;

    // A changed kubeconfig replaces the watch; an unusable one is reported as such.
    let broken = cluster_secret("edge-1", "apiVersion: v1\nkind: Config\nclusters: []\n");
    secrets
        .patch("edge-1", &PatchParams::default(), &Patch::Merge(&broken))
        .await
        .expect("Secret updated");
    let state = until(&directory, "edge-1", "unusable", |s| {
        matches!(s, Some(ClusterState::Unreachable { .. }))
    })
    .await;
    assert!(format!("{state:?}").contains("kubeconfig"), "{state:?}");
    secrets
        .patch(
            "edge-1",
            &PatchParams::default(),
            &Patch::Merge(&cluster_secret("edge-1", &edge.kubeconfig_yaml())),
        )
        .await
        .expect("Secret updated");
    until(&directory, "edge-1", "ready again", |s| {
        classes(s) == Some(vec!["edge-fast".into()])
    })
    .await;

    // Secrets that may not name a cluster are ignored; removing the Secret forgets the cluster.
    secrets
        .create(
            &PostParams::default(),
            &cluster_secret("k-edge", &edge.kubeconfig_yaml()),
        )
        .await
        .expect("Secret (no webhook runs here)");
    secrets
        .delete("edge-1", &DeleteParams::default())
        .await
        .expect("deleted");
    until(&directory, "edge-1", "gone", Option::is_none).await;
    assert_eq!(directory.cluster_names(), ["local"]);
    assert_eq!(
        directory
            .cluster("local")
            .and_then(|s| s.default_class().cloned()),
        Some(StorageClassInfo {
            provisioner: "example.com/none".into(),
            volume_binding_mode: Some("Immediate".into()),
            ..StorageClassInfo::new("standard", true)
        })
    );
}
