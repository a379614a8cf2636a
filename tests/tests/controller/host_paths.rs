//! One hostPath directory, two instances: creates that race past the webhook (each replica
//! admits against its own watch) still end with one etcd per directory, because the controller
//! makes a Karmada CR only for the instance that holds the directory.

use kube::api::{Api, ListParams};
use multicloud_api::karmada::Karmada;
use serde_json::json;

use super::support::*;

const SHARED: &str = "/var/lib/multicloud/shared/etcd";

fn host_path(path: &str) -> serde_json::Value {
    json!({"etcd": {"storage": {"type": "HostPath", "hostPath": path}}})
}

/// Whether instance `name` has its Karmada CR.
async fn has_karmada(client: &kube::Client, name: &str) -> bool {
    Api::<Karmada>::namespaced(client.clone(), &format!("k-{name}"))
        .list(&ListParams::default())
        .await
        .map(|list| !list.items.is_empty())
        .unwrap_or(false)
}

/// Waits until `name` waits with reason `HostPathConflict` naming `holder`.
async fn waits_for(client: &kube::Client, name: &str, holder: &str) {
    let needle = format!("instance `{holder}`");
    status_where(client, name, "HostPathConflict", |status| {
        match status.condition("Ready") {
            Some(c) if c.reason == "HostPathConflict" && c.message.contains(&needle) => Ok(()),
            other => Err(format!("Ready {other:?}")),
        }
    })
    .await;
}

#[tokio::test]
async fn a_directory_already_in_use_gets_no_second_etcd() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    create(&client, &instance("first", host_path(SHARED))).await;
    karmada_of(&client, "first").await;

    // Admitted while no webhook saw `first` (or by a replica whose watch lagged): a directory
    // that contains the one in use.
    create(
        &client,
        &instance("second", host_path("/var/lib/multicloud/shared")),
    )
    .await;
    waits_for(&client, "second", "first").await;
    assert!(
        !has_karmada(&client, "second").await,
        "a second etcd was given the directory"
    );
    assert!(
        has_karmada(&client, "first").await,
        "the holder lost its CR"
    );
}

#[tokio::test]
async fn of_two_racing_creates_exactly_one_gets_the_directory() {
    let plane = global_cluster().await;
    let client = plane.client();
    // Both exist before any controller looks: neither has a Karmada CR yet.
    create(&client, &instance("left", host_path(SHARED))).await;
    create(&client, &instance("right", host_path(SHARED))).await;
    let _one = Controller::start(&plane, "controller", &[]);

    let (winner, loser) = eventually("one of the two to get its Karmada CR", || async {
        match (
            has_karmada(&client, "left").await,
            has_karmada(&client, "right").await,
        ) {
            (true, false) => Ok(("left", "right")),
            (false, true) => Ok(("right", "left")),
            (true, true) => Ok(("both", "both")),
            (false, false) => Err("neither yet".to_owned()),
        }
    })
    .await;
    assert_ne!(
        winner, "both",
        "both instances got an etcd on one directory"
    );
    waits_for(&client, loser, winner).await;
    assert!(
        !has_karmada(&client, loser).await,
        "{loser} got a Karmada CR after all"
    );
}
