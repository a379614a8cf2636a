//! `cluster add|list|remove` with a second API server as a management cluster, and `create
//! --management-cluster` on it.

use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use multicloud_api::karmada::Karmada;
use multicloud_api::keys::SYSTEM_NAMESPACE;
use multicloud_e2e::wait::eventually;
use serde_json::Value;

use super::support::*;

#[tokio::test]
async fn cluster_add_registers_a_second_api_server_and_create_runs_an_instance_there() {
    let env = Env::start().await;
    let edge = bare_cluster().await;
    storage_class(&edge.client(), "fast", true).await;
    let edge_kubeconfig = edge.kubeconfig_path().display().to_string();

    let reserved = env
        .plugin
        .run(&[
            "cluster",
            "add",
            "k-edge",
            "--cluster-kubeconfig",
            &edge_kubeconfig,
        ])
        .await;
    reserved.expect_code(1);
    assert_contains(
        &reserved.stderr,
        &["`k-edge` starts with `k-`, which is reserved"],
    );

    let added = env
        .plugin
        .run(&[
            "cluster",
            "add",
            "edge-1",
            "--cluster-kubeconfig",
            &edge_kubeconfig,
        ])
        .await;
    added.expect_success();
    assert_contains(
        &added.stdout,
        &[
            &format!("management cluster edge-1 added: {}", edge.server_url()),
            "StorageClasses: fast (default, Immediate)",
        ],
    );
    let secret = Api::<Secret>::namespaced(env.client.clone(), SYSTEM_NAMESPACE)
        .get("edge-1")
        .await
        .expect("the cluster's Secret is stored");
    assert_eq!(
        secret
            .metadata
            .labels
            .unwrap_or_default()
            .get("multicloud.dev/cluster")
            .map(String::as_str),
        Some("true")
    );

    let again = env
        .plugin
        .run(&[
            "cluster",
            "add",
            "edge-1",
            "--cluster-kubeconfig",
            &edge_kubeconfig,
        ])
        .await;
    again.expect_code(1);
    assert_contains(&again.stderr, &["already registered; pass --overwrite"]);

    let list = env.plugin.run(&["cluster", "list", "-o", "json"]).await;
    let rows: Value = serde_json::from_str(&list.expect_success().stdout).expect("JSON");
    assert_eq!(rows[0]["name"], "local");
    assert_eq!(rows[1]["name"], "edge-1");
    assert_eq!(rows[1]["storageClasses"][0]["name"], "fast");
    assert!(
        rows[1]["version"].is_string(),
        "edge-1 is reachable: {rows}"
    );

    // The webhook learns the new cluster's StorageClasses from its watch; until then it says
    // the cluster is not synced.
    eventually("the webhook to admit an instance on edge-1", || async {
        let run = env
            .plugin
            .run(&[
                "create",
                "edge",
                "--management-cluster",
                "edge-1",
                "--dry-run=server",
            ])
            .await;
        if run.code == 0 {
            Ok(())
        } else {
            Err(run.to_string())
        }
    })
    .await;
    env.plugin
        .run(&["create", "edge", "--management-cluster", "edge-1"])
        .await
        .expect_success();
    let karmada = eventually("the Karmada CR of edge", || async {
        Api::<Karmada>::namespaced(env.client.clone(), "k-edge")
            .get_opt("edge")
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "not created".to_owned())
    })
    .await;
    let host = karmada
        .spec
        .host_cluster
        .and_then(|h| h.secret_ref)
        .expect("a remote host cluster");
    assert_eq!(host.namespace, "k-edge");

    let get = env.plugin.run(&["get", "edge", "-o", "wide"]).await;
    assert_contains(&get.expect_success().stdout, &["edge-1"]);

    let remove = env.plugin.run(&["cluster", "remove", "edge-1"]).await;
    remove.expect_code(1);
    assert_contains(
        &remove.stderr,
        &["management cluster `edge-1` runs 1 instance(s): edge"],
    );
}
