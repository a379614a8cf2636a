//! `delete`: refused while member clusters are joined, saying how many; otherwise the instance
//! goes, and `--wait` follows it until it is gone.

use kube::api::{Api, DeleteParams, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use multicloud_api::MulticloudInstance;
use multicloud_e2e::operator::from_json;
use multicloud_e2e::wait::eventually;
use serde_json::json;

use super::support::*;

async fn members(client: &kube::Client, count: i32) {
    let api: Api<MulticloudInstance> = Api::all(client.clone());
    eventually(&format!("{count} member cluster(s) counted"), || async {
        let instance = api.get("demo").await.map_err(|e| e.to_string())?;
        match instance.member_clusters() {
            n if n == count => Ok(()),
            n => Err(format!("{n} counted")),
        }
    })
    .await;
}

#[tokio::test]
async fn delete_refuses_while_members_are_joined_and_removes_the_instance_otherwise() {
    let env = Env::start().await;
    env.plugin
        .run(&["create", "demo", "--ephemeral", "--wait", "--timeout", "2m"])
        .await
        .expect_success();

    // A member joins the instance's Karmada API (the global cluster stands in for it).
    let clusters: Api<DynamicObject> = Api::all_with(
        env.client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("cluster.karmada.io", "v1alpha1", "Cluster"),
            "clusters",
        ),
    );
    let member: DynamicObject = from_json(json!({
        "apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
        "metadata": {"name": "member-1"}
    }));
    clusters
        .create(&PostParams::default(), &member)
        .await
        .expect("member joins");
    members(&env.client, 1).await;

    let refused = env.plugin.run(&["delete", "demo", "--yes"]).await;
    refused.expect_code(1);
    assert_contains(
        &refused.stderr,
        &[
            "instance `demo` has 1 member cluster joined; nothing was deleted",
            "karmadactl unjoin",
        ],
    );
    let api: Api<MulticloudInstance> = Api::all(env.client.clone());
    assert!(
        api.get_opt("demo").await.expect("readable").is_some(),
        "still there"
    );

    clusters
        .delete("member-1", &DeleteParams::default())
        .await
        .expect("member leaves");
    members(&env.client, 0).await;

    let deleted = env
        .plugin
        .run(&["delete", "demo", "--yes", "--wait", "--timeout", "2m"])
        .await;
    deleted.expect_success();
    assert_eq!(
        deleted.stdout,
        "multicloudinstance.multicloud.dev/demo deleted\n"
    );
    assert_contains(&deleted.stderr, &["✓ instance demo deleted"]);
    assert!(
        api.get_opt("demo").await.expect("readable").is_none(),
        "gone"
    );

    let again = env.plugin.run(&["delete", "demo", "--yes"]).await;
    again.expect_code(1);
    assert_contains(&again.stderr, &["instance `demo` not found"]);
}
