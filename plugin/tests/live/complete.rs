//! `kubectl_complete-multicloud` run as kubectl 1.26+ runs it for `kubectl multicloud <TAB>`:
//! the words after `kubectl multicloud`, the current one last, kubectl's environment (here
//! `KUBECONFIG`); candidates come back one per line, then cobra's `:<directive>`.

use std::process::Command;

use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, PostParams};
use multicloud_api::clusters::registration_secret;
use multicloud_api::keys::SYSTEM_NAMESPACE;
use serde_json::json;

use super::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_kubectl_complete-multicloud");

fn complete(live: &Live, kubeconfig: &str, words: &[&str]) -> Outcome {
    let child = Command::new(BIN)
        .args(words)
        .current_dir(live.home.path())
        .env("HOME", live.home.path())
        .env("KUBECONFIG", kubeconfig)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the completion executable starts");
    finish(child, words)
}

#[tokio::test]
async fn instance_cluster_and_context_names_come_from_the_cluster() {
    let live = Live::start().await;
    live.instance("alpha", &[]).await;
    live.instance("beta", &[]).await;
    let client = live.plane.client();
    let namespace: Namespace =
        serde_json::from_value(json!({"metadata": {"name": SYSTEM_NAMESPACE}})).expect("valid");
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .expect("namespace is created");
    Api::<Secret>::namespaced(client, SYSTEM_NAMESPACE)
        .create(
            &PostParams::default(),
            &registration_secret("edge-1", "apiVersion: v1\nkind: Config\n"),
        )
        .await
        .expect("cluster is registered");
    let kubeconfig = live.kubeconfig();

    let names = complete(&live, &kubeconfig, &["get", ""]);
    names.expect_status(0);
    assert_eq!(names.stdout, "alpha\nbeta\n:4\n", "{names:#?}");

    let one = complete(&live, &kubeconfig, &["delete", "--yes", "b"]);
    assert_eq!(one.stdout, "beta\n:4\n", "{one:#?}");

    let clusters = complete(&live, &kubeconfig, &["cluster", "rm", ""]);
    assert_eq!(clusters.stdout, "edge-1\nlocal\n:4\n", "{clusters:#?}");

    let contexts = complete(&live, &kubeconfig, &["list", "--context", ""]);
    assert_eq!(contexts.stdout, "multicloud-testenv\n:4\n", "{contexts:#?}");

    let commands = complete(&live, &kubeconfig, &["cl"]);
    assert_eq!(
        commands.stdout, "cluster\tRegister, list and remove management clusters\n:4\n",
        "{commands:#?}"
    );
}

#[test]
fn an_unreachable_cluster_gives_no_names_within_the_bound() {
    let home = tempfile::tempdir().expect("temporary directory");
    let kubeconfig = home.path().join("config");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n\
         clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n\
         users: [{name: u, user: {token: t}}]\n\
         contexts: [{name: x, context: {cluster: c, user: u}}]\n",
    )
    .expect("written");
    // `finish` fails the test (and stops the process) past its bound.
    let child = Command::new(BIN)
        .args(["describe", ""])
        .env("HOME", home.path())
        .env("KUBECONFIG", &kubeconfig)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the completion executable starts");
    let out = finish(child, &["describe", ""]);
    assert_eq!(out.stdout, ":4\n", "{out:#?}");
}
