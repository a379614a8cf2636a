//! A deletion that cannot finish says so, with its cause and the way out, in the instance's
//! status and in what `kubectl multicloud describe` and `diagnose` print: the management
//! cluster unreachable during karmada-operator's teardown, the teardown failing, the teardown
//! never finishing. (The operator stopped: `teardown.rs`.) Each ends once its cause goes.

use kube::api::{Api, DeleteParams, PostParams};
use multicloud_api::clusters::registration_secret;
use multicloud_api::keys::SYSTEM_NAMESPACE;
use multicloud_api::{MulticloudInstance, Phase};
use multicloud_e2e::operator::{StandInOperator, TeardownFault};
use multicloud_e2e::plugin::Plugin;
use multicloud_testenv::ControlPlane;
use serde_json::json;

use super::support::*;

/// Deletes `name` and waits until its `Ready` condition gives `reason`; returns its message.
async fn delete_until_stuck(client: &kube::Client, name: &str, reason: &str) -> String {
    Api::<MulticloudInstance>::all(client.clone())
        .delete(name, &DeleteParams::default())
        .await
        .expect("instance deletion is accepted");
    let stuck = status_where(client, name, reason, |status| {
        match status.condition("Ready").map(|c| c.reason.as_str()) {
            Some(r) if r == reason => Ok(()),
            other => Err(format!("Ready reason {other:?}")),
        }
    })
    .await;
    let status = stuck.status.unwrap_or_default();
    assert_eq!(status.phase, Some(Phase::Deleting));
    let message = condition_message(&status, "Ready");
    assert!(
        message.contains(&format!(
            "kubectl multicloud delete {name} --abandon-control-plane"
        )),
        "the way out is named: {message}"
    );
    message
}

/// What `describe` and `diagnose` print of the stuck deletion of `name`: both name `reason`
/// and every one of `parts`, and `diagnose` puts it first, with the way out.
async fn plugin_says(plane: &ControlPlane, name: &str, reason: &str, parts: &[&str]) {
    let plugin = Plugin::new(plane.kubeconfig_path()).expect("kubectl-multicloud is built");
    let described = plugin.run(&["describe", name]).await;
    described.expect_success();
    for part in ["Phase:              Deleting", reason].iter().chain(parts) {
        assert!(
            described.stdout.contains(part),
            "describe lacks {part:?}:\n{described}"
        );
    }
    let diagnosed = plugin.run(&["diagnose", name]).await;
    diagnosed.expect_code(1);
    let first = diagnosed
        .stdout
        .split_once("First problem: deletion can finish")
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_default();
    for part in [reason, "--abandon-control-plane"].iter().chain(parts) {
        assert!(
            diagnosed.stdout.contains(part),
            "diagnose lacks {part:?}:\n{diagnosed}"
        );
    }
    assert!(
        first.contains("cause:") && first.contains("--abandon-control-plane"),
        "the deletion is the first problem, with its cause and the way out:\n{diagnosed}"
    );
}

async fn gone(client: &kube::Client, name: &str) {
    let api: Api<MulticloudInstance> = Api::all(client.clone());
    eventually(&format!("{name} to be gone"), || async {
        match api.get_opt(name).await.map_err(|e| e.to_string())? {
            None => Ok(()),
            Some(i) => Err(format!("still there: {:?}", i.status)),
        }
    })
    .await;
}

#[tokio::test]
async fn a_deletion_while_the_management_cluster_is_unreachable_says_so_and_ends_once_it_answers() {
    let plane = global_cluster().await;
    let mut remote = ControlPlane::start()
        .await
        .expect("remote control plane starts");
    let client = plane.client();
    Api::<k8s_openapi::api::core::v1::Secret>::namespaced(client.clone(), SYSTEM_NAMESPACE)
        .create(
            &PostParams::default(),
            &registration_secret("edge-1", &remote.kubeconfig_yaml()),
        )
        .await
        .expect("cluster Secret is created");
    let _controller = Controller::start(&plane, "controller", &[]);
    let _operator = StandInOperator::start(client.clone(), plane.kubeconfig_yaml());
    create(
        &client,
        &instance(
            "far",
            json!({"managementCluster": "edge-1", "etcd": {"storage": {"type": "EmptyDir"}}}),
        ),
    )
    .await;
    status_where(&client, "far", "Running", phase_is(Phase::Running)).await;

    // The management cluster goes away before the deletion: karmada-operator's teardown
    // cannot reach it (it fails, and retries).
    remote.stop_apiserver();
    let message = delete_until_stuck(&client, "far", "ManagementClusterUnreachable").await;
    assert!(
        message.contains("management cluster `edge-1` is unreachable")
            && message.contains("make it reachable again"),
        "{message}"
    );
    plugin_says(
        &plane,
        "far",
        "ManagementClusterUnreachable",
        &["make it reachable again"],
    )
    .await;

    // Once it answers again, the teardown and the deletion finish on their own.
    remote
        .restart_apiserver()
        .await
        .expect("the remote API server starts again");
    gone(&client, "far").await;
}

#[tokio::test]
async fn a_failing_teardown_says_what_the_operator_reports_and_ends_once_it_succeeds() {
    let Installed {
        operator,
        controller: _controller,
        client,
        plane,
    } = installed("demo", empty_dir(), &[]).await;

    // As RBAC that no longer lets the operator delete would make it (deinit/component.go).
    let refusal = "failed to remove component karmada-apiserver, err: deployments.apps \
                   \"demo-karmada-apiserver\" is forbidden: User \
                   \"system:serviceaccount:karmada-system:karmada-operator\" cannot delete \
                   resource \"deployments\" in API group \"apps\" in the namespace \"k-demo\"";
    operator.set_teardown(TeardownFault::Fails(refusal.to_owned()));
    let message = delete_until_stuck(&client, "demo", "TeardownFailing").await;
    assert!(
        message.contains(refusal) && message.contains("kubectl -n karmada-system logs"),
        "{message}"
    );
    plugin_says(&plane, "demo", "TeardownFailing", &[refusal]).await;
    // The operator retries, each run reset to Progressing first (planner.go): the failure
    // stays reported between its runs.
    for _ in 0..10 {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let found = Api::<MulticloudInstance>::all(client.clone())
            .get("demo")
            .await
            .expect("instance is read");
        let status = found.status.unwrap_or_default();
        assert_eq!(
            status.condition("Ready").map(|c| c.reason.as_str()),
            Some("TeardownFailing"),
            "{status:?}"
        );
    }

    operator.set_teardown(TeardownFault::None);
    gone(&client, "demo").await;
}

#[tokio::test]
async fn a_teardown_that_never_finishes_is_reported_after_the_teardown_timeout() {
    let Installed {
        operator,
        controller: _controller,
        client,
        plane,
    } = installed("demo", empty_dir(), &["--teardown-timeout", "3s"]).await;

    operator.set_teardown(TeardownFault::Hangs);
    let message = delete_until_stuck(&client, "demo", "TeardownNotFinishing").await;
    assert!(
        message.contains("has not removed its finalizer")
            && message.contains("karmada deinit job is in progressing"),
        "{message}"
    );
    plugin_says(
        &plane,
        "demo",
        "TeardownNotFinishing",
        &["karmada deinit job is in progressing"],
    )
    .await;

    // The way out: the control plane is given up, and the deletion finishes.
    let plugin = Plugin::new(plane.kubeconfig_path()).expect("kubectl-multicloud is built");
    let abandoned = plugin
        .run(&[
            "delete",
            "demo",
            "--abandon-control-plane",
            "--yes",
            "--timeout",
            "60s",
        ])
        .await;
    abandoned.expect_success();
    assert!(
        abandoned
            .stdout
            .contains("its Karmada control plane was abandoned"),
        "{abandoned}"
    );
    gone(&client, "demo").await;
    drop(operator);
}
