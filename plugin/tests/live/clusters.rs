//! `cluster list` with a cluster that does not answer: the table says why in a few words and
//! points at `-o yaml`, which keeps the whole error.

use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, PostParams};
use multicloud_api::clusters::registration_secret;
use multicloud_api::keys::SYSTEM_NAMESPACE;
use serde_json::json;

use super::support::*;

/// Registers `name` with a kubeconfig whose server is a closed port on loopback.
pub async fn register_unreachable(live: &Live, name: &str) {
    let client = live.plane.client();
    let namespace: Namespace =
        serde_json::from_value(json!({"metadata": {"name": SYSTEM_NAMESPACE}})).expect("valid");
    let _ = Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await;
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n\
         clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:9', \
         certificate-authority-data: {}}}}}]\n\
         users: [{{name: u, user: {{token: t}}}}]\n\
         contexts: [{{name: x, context: {{cluster: c, user: u}}}}]\n",
        base64_pem(live.plane.ca_pem())
    );
    Api::<Secret>::namespaced(client, SYSTEM_NAMESPACE)
        .create(
            &PostParams::default(),
            &registration_secret(name, &kubeconfig),
        )
        .await
        .expect("cluster is registered");
}

fn base64_pem(pem: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(pem)
}

#[tokio::test]
async fn an_unreachable_cluster_reads_as_a_short_reason_in_the_table() {
    let live = Live::start().await;
    register_unreachable(&live, "edge-1").await;

    let table = live.admin(&["cluster", "list"]);
    table.expect_status(0);
    let row = table
        .stdout
        .lines()
        .find(|l| l.starts_with("edge-1"))
        .unwrap_or_else(|| panic!("no edge-1 row: {table:#?}"));
    assert!(row.contains("no: connection refused"), "{row}");
    assert!(row.chars().count() < 160, "one short row: {row}");
    assert!(
        table
            .stdout
            .ends_with("The whole errors: kubectl multicloud cluster list -o yaml\n"),
        "{table:#?}"
    );

    let yaml = live.admin(&["cluster", "list", "-o", "yaml"]);
    yaml.expect_status(0);
    assert!(
        yaml.stdout.contains("127.0.0.1:9") && yaml.stdout.contains("error:"),
        "the whole error: {yaml:#?}"
    );
}

#[tokio::test]
async fn cluster_add_and_remove_print_the_secret_with_o_name() {
    let live = Live::start().await;
    let namespace: Namespace =
        serde_json::from_value(json!({"metadata": {"name": SYSTEM_NAMESPACE}})).expect("valid");
    Api::<Namespace>::all(live.plane.client())
        .create(&PostParams::default(), &namespace)
        .await
        .expect("namespace is created");
    // The global cluster registers itself under another name: a cluster that answers.
    let kubeconfig = live.kubeconfig();
    let added = live.admin(&[
        "cluster",
        "add",
        "edge-1",
        "--cluster-kubeconfig",
        &kubeconfig,
        "-o",
        "name",
    ]);
    added.expect_status(0);
    assert_eq!(added.stdout, "secret/edge-1\n", "{added:#?}");
    let removed = live.admin(&["cluster", "remove", "edge-1", "-o", "name"]);
    removed.expect_status(0);
    assert_eq!(removed.stdout, "secret/edge-1\n", "{removed:#?}");
}
