//! The harness against the real binaries: these tests start kube-apiserver and friends.

use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, PostParams};
use multicloud_testenv::{Binaries, ControlPlane, ControllerManager, Error, Options, apply_crd};
use tokio::time::Instant;

async fn start() -> ControlPlane {
    ControlPlane::start_with(Options {
        controller_manager: ControllerManager::Required,
        ..Options::default()
    })
    .await
    .expect("control plane starts")
}

fn namespace(name: &str) -> Namespace {
    Namespace {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}

/// Polls `done` every 200 ms until it is true; panics after `timeout`.
async fn eventually<F, Fut>(what: &str, timeout: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !done().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn alive(pid: u32) -> bool {
    // A reaped process has no /proc entry; a zombie would mean nobody waited for it.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.contains(") Z "))
        .unwrap_or(false)
}

#[tokio::test]
async fn deleted_namespace_disappears() {
    let cluster = start().await;
    assert!(cluster.has_controller_manager());
    let namespaces: Api<Namespace> = Api::all(cluster.client());
    let names: Vec<String> = namespaces
        .list(&ListParams::default())
        .await
        .expect("list namespaces")
        .into_iter()
        .filter_map(|ns| ns.metadata.name)
        .collect();
    assert!(names.contains(&"kube-system".to_string()), "{names:?}");

    namespaces
        .create(&PostParams::default(), &namespace("doomed"))
        .await
        .expect("create namespace");
    // A configmap inside makes the namespace controller do real work before finalizing.
    let configmaps: Api<ConfigMap> = Api::namespaced(cluster.client(), "doomed");
    let configmap = ConfigMap {
        metadata: ObjectMeta {
            name: Some("content".into()),
            ..ObjectMeta::default()
        },
        ..ConfigMap::default()
    };
    configmaps
        .create(&PostParams::default(), &configmap)
        .await
        .expect("create configmap");
    delete_until_finalized(&namespaces, "doomed").await;
}

/// Deletes namespace `name` and waits until kube-controller-manager has finalized it.
async fn delete_until_finalized(namespaces: &Api<Namespace>, name: &str) {
    namespaces
        .delete(name, &DeleteParams::default())
        .await
        .expect("delete namespace");
    eventually(
        &format!("namespace {name} is gone"),
        Duration::from_secs(60),
        || async { matches!(namespaces.get_opt(name).await, Ok(None)) },
    )
    .await;
}

#[tokio::test]
async fn two_control_planes_are_independent() {
    let (one, two) = tokio::join!(start(), start());
    assert_ne!(one.server_url(), two.server_url());
    assert_ne!(one.ca_pem(), two.ca_pem());
    let in_one: Api<Namespace> = Api::all(one.client());
    let in_two: Api<Namespace> = Api::all(two.client());
    in_one
        .create(&PostParams::default(), &namespace("only-in-one"))
        .await
        .expect("create namespace");
    assert!(in_one.get_opt("only-in-one").await.expect("get").is_some());
    assert!(in_two.get_opt("only-in-one").await.expect("get").is_none());
}

#[tokio::test]
async fn drop_stops_every_process_and_removes_the_directory() {
    let cluster = start().await;
    let pids = cluster.pids();
    let dir = cluster.dir().to_path_buf();
    assert_eq!(pids.len(), 3, "{pids:?}");
    assert!(pids.iter().all(|(_, pid)| alive(*pid)), "{pids:?}");
    drop(cluster);
    for (name, pid) in pids {
        assert!(!alive(pid), "{name} ({pid}) still runs");
    }
    assert!(!dir.exists(), "{} still exists", dir.display());
}

#[tokio::test]
async fn apiserver_restarts_on_the_same_port_with_the_same_data() {
    let mut cluster = ControlPlane::start_with(Options {
        controller_manager: ControllerManager::Disabled,
        ..Options::default()
    })
    .await
    .expect("control plane starts");
    assert!(!cluster.has_controller_manager());
    let namespaces: Api<Namespace> = Api::all(cluster.client());
    namespaces
        .create(&PostParams::default(), &namespace("survivor"))
        .await
        .expect("create namespace");
    let url = cluster.server_url();

    cluster.stop_apiserver();
    assert!(namespaces.get_opt("survivor").await.is_err());

    cluster
        .restart_apiserver()
        .await
        .expect("apiserver restarts");
    assert_eq!(cluster.server_url(), url);
    // The client handed out before the restart still works.
    assert!(namespaces.get_opt("survivor").await.expect("get").is_some());
}

#[tokio::test]
async fn a_controller_manager_that_died_is_started_again_with_the_api_server() {
    let mut cluster = start().await;
    let pid_of_manager = |cluster: &ControlPlane| {
        cluster
            .pids()
            .into_iter()
            .find(|(name, _)| *name == "kube-controller-manager")
            .map(|(_, pid)| pid)
            .expect("kube-controller-manager runs")
    };
    let before = pid_of_manager(&cluster);
    // As it does when the API server goes away while it starts.
    let pid = rustix::process::Pid::from_raw(before as i32).expect("a process id");
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).expect("kill");
    eventually(
        "kube-controller-manager to exit",
        Duration::from_secs(10),
        || async { !alive(before) },
    )
    .await;

    cluster.stop_apiserver();
    cluster
        .restart_apiserver()
        .await
        .expect("API server and controller manager start again");
    let after = pid_of_manager(&cluster);
    assert_ne!(after, before);
    assert!(alive(after), "kube-controller-manager ({after}) runs");
    // It does its work again: a deleted namespace is finalized.
    let namespaces: Api<Namespace> = Api::all(cluster.client());
    namespaces
        .create(&PostParams::default(), &namespace("after-restart"))
        .await
        .expect("create namespace");
    delete_until_finalized(&namespaces, "after-restart").await;
}

#[tokio::test]
async fn kubeconfig_file_matches_the_yaml_and_names_the_server() {
    let cluster = start().await;
    let file = std::fs::read_to_string(cluster.kubeconfig_path()).expect("read kubeconfig");
    assert_eq!(file, cluster.kubeconfig_yaml());
    assert!(file.contains(&format!("server: {}", cluster.server_url())));
    assert!(cluster.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
}

#[tokio::test]
async fn applied_crd_is_served() {
    let cluster = start().await;
    let crd: CustomResourceDefinition = serde_json::from_value(serde_json::json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": "widgets.example.com" },
        "spec": {
            "group": "example.com",
            "names": { "kind": "Widget", "plural": "widgets", "singular": "widget" },
            "scope": "Cluster",
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": { "openAPIV3Schema": { "type": "object", "x-kubernetes-preserve-unknown-fields": true } }
            }]
        }
    }))
    .expect("valid CRD");
    apply_crd(&cluster.client(), &crd)
        .await
        .expect("CRD established");
    // Applying again is a no-op, not an error.
    apply_crd(&cluster.client(), &crd)
        .await
        .expect("CRD re-applied");
    let gvk = kube::api::GroupVersionKind::gvk("example.com", "v1", "Widget");
    let resource = kube::api::ApiResource::from_gvk(&gvk);
    let widgets: Api<kube::api::DynamicObject> = Api::all_with(cluster.client(), &resource);
    widgets
        .list(&ListParams::default())
        .await
        .expect("widgets are served");
}

#[test]
fn missing_binaries_say_what_to_set() {
    let err = Binaries::from_dir(Path::new("/nonexistent/assets")).expect_err("nothing there");
    assert!(matches!(err, Error::BinaryMissing { .. }));
    let message = err.to_string();
    for hint in [
        "/nonexistent/assets/etcd does not exist",
        "KUBEBUILDER_ASSETS",
        "TEST_ASSET_ETCD",
        "scripts/install-control-plane.sh",
    ] {
        assert!(message.contains(hint), "{hint} missing from: {message}");
    }
}

#[tokio::test]
async fn required_controller_manager_without_binary_says_what_to_set() {
    let binaries = Binaries {
        kube_controller_manager: None,
        ..Binaries::from_env().expect("binaries installed")
    };
    let err = ControlPlane::start_with(Options {
        controller_manager: ControllerManager::Required,
        binaries: Some(binaries),
        ..Options::default()
    })
    .await
    .expect_err("kube-controller-manager is required");
    let message = err.to_string();
    assert!(
        message.contains("TEST_ASSET_KUBE_CONTROLLER_MANAGER"),
        "{message}"
    );
    assert!(
        message.contains("scripts/install-control-plane.sh"),
        "{message}"
    );
}

#[tokio::test]
async fn component_that_dies_is_reported_with_its_log() {
    let real = Binaries::from_env().expect("binaries installed");
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = dir.path().join("kube-apiserver");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"boom: cannot start\" >&2\nexit 3\n",
    )
    .expect("write");
    let mut permissions = std::fs::metadata(&fake).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&fake, permissions).expect("chmod");
    let err = ControlPlane::start_with(Options {
        binaries: Some(Binaries {
            kube_apiserver: fake,
            ..real
        }),
        ..Options::default()
    })
    .await
    .expect_err("the fake apiserver exits");
    let message = err.to_string();
    assert!(
        matches!(
            err,
            Error::Exited {
                component: "kube-apiserver",
                ..
            }
        ),
        "{message}"
    );
    assert!(message.contains("boom: cannot start"), "{message}");
    assert!(message.contains("exit status: 3"), "{message}");
    // A failed start keeps its logs for the post-mortem; this one was expected.
    if let Error::Exited { log, .. } = &err {
        let kept = log
            .parent()
            .expect("log is in the control plane's directory");
        assert!(kept.join("etcd.log").exists());
        std::fs::remove_dir_all(kept).expect("remove kept directory");
    }
}
