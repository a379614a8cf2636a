//! A deletion that cannot finish says why, and `kubectl multicloud delete
//! --abandon-control-plane` ends it, saying what it left behind; with karmada-operator running,
//! its teardown lets the deletion finish on its own.

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, DeleteParams};
use multicloud_api::{MulticloudInstance, Phase};
use multicloud_e2e::operator::{StandInOperator, scale_operator};
use multicloud_e2e::plugin::Plugin;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn a_deletion_without_a_running_operator_says_so_and_can_be_abandoned() {
    let Installed {
        operator,
        controller: _controller,
        client,
        plane,
    } = installed("demo", empty_dir(), &[]).await;

    // karmada-operator stops: its process is gone and its Deployment has no replica.
    drop(operator);
    scale_operator(&client, 0).await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "karmada-system");
    eventually("karmada-operator to have no available replica", || async {
        let d = deployments
            .get("karmada-operator")
            .await
            .map_err(|e| e.to_string())?;
        match d.status.and_then(|s| s.available_replicas).unwrap_or(0) {
            0 => Ok(()),
            n => Err(format!("{n} available")),
        }
    })
    .await;

    Api::<MulticloudInstance>::all(client.clone())
        .delete("demo", &DeleteParams::default())
        .await
        .expect("instance deletion is accepted");
    let stuck = status_where(
        &client,
        "demo",
        "the operator named as not running",
        |status| match status.condition("Ready").map(|c| c.reason.as_str()) {
            Some("OperatorNotRunning") => Ok(()),
            other => Err(format!("Ready reason {other:?}")),
        },
    )
    .await;
    let status = stuck.status.unwrap_or_default();
    assert_eq!(status.phase, Some(Phase::Deleting));
    let message = condition_message(&status, "Ready");
    assert!(
        message.contains("karmada-operator is not running"),
        "{message}"
    );
    assert!(
        message.contains("kubectl multicloud delete demo --abandon-control-plane"),
        "{message}"
    );

    let plugin = Plugin::new(plane.kubeconfig_path()).expect("kubectl-multicloud is built");
    let diagnosed = plugin.run(&["diagnose", "demo"]).await;
    diagnosed.expect_code(1);
    assert!(
        diagnosed
            .stdout
            .contains("First problem: deletion can finish")
            && diagnosed.stdout.contains("--abandon-control-plane"),
        "{diagnosed}"
    );

    let described = plugin.run(&["describe", "demo"]).await;
    described.expect_success();
    for part in [
        "Phase:              Deleting",
        "OperatorNotRunning",
        "karmada-operator is not running",
        "kubectl multicloud delete demo --abandon-control-plane",
    ] {
        assert!(
            described.stdout.contains(part),
            "describe lacks {part:?}:\n{described}"
        );
    }

    let abandoned = plugin
        .run(&[
            "delete",
            "demo",
            "--abandon-control-plane",
            "--yes",
            "--timeout",
            "90s",
        ])
        .await;
    abandoned.expect_success();
    assert!(
        abandoned
            .stdout
            .contains("its Karmada control plane was abandoned"),
        "{abandoned}"
    );
    // The operator never tore anything down: what stays is listed, object by object, unless
    // the namespace is already gone with it.
    assert!(
        abandoned
            .stdout
            .contains("Deployment k-demo/demo-karmada-apiserver")
            || abandoned
                .stdout
                .contains("namespace k-demo is gone: it is being deleted")
            || abandoned.stdout.contains("Nothing was left behind"),
        "{abandoned}"
    );
    let karmada = Api::<multicloud_api::karmada::Karmada>::namespaced(client.clone(), "k-demo")
        .get_opt("demo")
        .await
        .expect("Karmada CR is read");
    assert!(karmada.is_none(), "the Karmada CR is gone");
}

#[tokio::test]
async fn a_running_operator_tears_down_and_the_deletion_finishes() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    let _operator = StandInOperator::start(client.clone(), plane.kubeconfig_yaml());
    create(
        &client,
        &instance("demo", json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
    )
    .await;
    let karmada = karmada_of(&client, "demo").await;
    status_where(&client, "demo", "Running", phase_is(Phase::Running)).await;
    let cr = Api::<multicloud_api::karmada::Karmada>::namespaced(client.clone(), "k-demo")
        .get("demo")
        .await
        .expect("Karmada CR");
    assert!(
        cr.metadata
            .finalizers
            .iter()
            .flatten()
            .any(|f| f == "operator.karmada.io/finalizer"),
        "the operator holds its finalizer: {karmada}"
    );
    let api: Api<MulticloudInstance> = Api::all(client.clone());
    api.delete("demo", &DeleteParams::default())
        .await
        .expect("instance deletion is accepted");
    eventually("the instance to be gone", || async {
        match api.get_opt("demo").await.map_err(|e| e.to_string())? {
            None => Ok(()),
            Some(i) => Err(format!("still there: {:?}", i.status)),
        }
    })
    .await;
}
