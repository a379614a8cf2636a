//! Restarts and replicas: the controller converges after being killed at any point, and only
//! the Lease holder reconciles.

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ListParams};
use multicloud_api::MulticloudInstance;
use multicloud_api::karmada::Karmada;
use multicloud_api::keys::{FINALIZER, INSTANCE_LABEL, SYSTEM_NAMESPACE};
use multicloud_testenv::apply_crd;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn controller_stopped_mid_create_converges_without_duplicates_after_restart() {
    // Without karmada-operator's CRD the first replica gets exactly half way: namespaces,
    // finalizers and a status saying what is missing, but no Karmada CR.
    let plane = global_cluster_without_karmada().await;
    let client = plane.client();
    let names = ["one", "two", "three", "four", "five"];
    let mut first = Controller::start(&plane, "first", &[]);
    for name in names {
        let spec = json!({"etcd": {"storage": {"type": "EmptyDir"}}});
        create(&client, &instance(name, spec)).await;
    }
    for name in names {
        status_where(
            &client,
            name,
            "blocked on the missing CRD",
            |status| match status.condition("Ready") {
                Some(c) if c.reason == "KarmadaOperatorMissing" => Ok(()),
                other => Err(format!("Ready {other:?}")),
            },
        )
        .await;
    }
    first.kill();

    // A new replica takes over the killed one's Lease once it expires and finishes the job.
    apply_crd(&client, &karmada_crd())
        .await
        .expect("Karmada CRD is served");
    let second = Controller::start(&plane, "second", &[]);
    let leases: Api<Lease> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    eventually("the second replica to lead", || async {
        let lease = leases
            .get("multicloud-controller")
            .await
            .map_err(|e| e.to_string())?;
        match lease.spec.and_then(|s| s.holder_identity) {
            Some(holder) if holder == "second" => Ok(()),
            other => Err(format!("held by {other:?}")),
        }
    })
    .await;
    for name in names {
        status_where(&client, name, "its Karmada CR", |status| {
            match status.condition("KarmadaReady") {
                Some(c) if c.reason == "WaitingForOperator" => Ok(()),
                other => Err(format!("KarmadaReady {other:?}")),
            }
        })
        .await;
    }
    let ours = ListParams::default().labels(INSTANCE_LABEL);
    let karmadas: Api<Karmada> = Api::all(client.clone());
    let namespaces: Api<Namespace> = Api::all(client.clone());
    assert_eq!(
        karmadas.list(&ours).await.expect("lists").items.len(),
        names.len()
    );
    assert_eq!(
        namespaces.list(&ours).await.expect("lists").items.len(),
        names.len()
    );
    let instances: Api<MulticloudInstance> = Api::all(client.clone());
    for found in instances
        .list(&ListParams::default())
        .await
        .expect("lists")
        .items
    {
        assert_eq!(
            found.metadata.finalizers,
            Some(vec![FINALIZER.to_owned()]),
            "{}\n{}",
            found.name(),
            second.log()
        );
    }
}

#[tokio::test]
async fn only_the_lease_holder_reconciles_and_a_standby_takes_over() {
    let plane = global_cluster().await;
    let client = plane.client();
    let mut replicas = [
        Controller::start(&plane, "replica-a", &[]),
        Controller::start(&plane, "replica-b", &[]),
    ];
    let leases: Api<Lease> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let holder = eventually("a leader", || async {
        let lease = leases
            .get_opt("multicloud-controller")
            .await
            .map_err(|e| e.to_string())?;
        lease
            .and_then(|l| l.spec)
            .and_then(|s| s.holder_identity)
            .ok_or_else(|| "no holder".to_owned())
    })
    .await;
    let (leader, standby) = if holder == "replica-a" {
        (0, 1)
    } else {
        (1, 0)
    };

    create(
        &client,
        &instance("first", json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
    )
    .await;
    karmada_of(&client, "first").await;
    let probes = replicas[standby].metrics_address().await;
    assert_eq!(
        http_get(&probes, "/healthz").await,
        "ok",
        "a standby is healthy"
    );
    let metrics = http_get(&probes, "/metrics").await;
    assert!(
        metrics.contains("multicloud_controller_leader 0"),
        "the standby reports it does not lead:\n{metrics}"
    );
    assert!(
        !replicas[standby].log().contains("applying"),
        "the standby must not reconcile:\n{}",
        replicas[standby].log()
    );

    // SIGTERM: the leader finishes, gives the Lease up and the standby takes over.
    let terminated = std::process::Command::new("kill")
        .args(["-TERM", &replicas[leader].pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(terminated.success());
    eventually("the leader to release its Lease", || async {
        let log = replicas[leader].log();
        if log.contains("released the leader Lease") {
            Ok(())
        } else {
            Err(log)
        }
    })
    .await;
    create(
        &client,
        &instance("second", json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
    )
    .await;
    karmada_of(&client, "second").await;
    let lease = leases
        .get("multicloud-controller")
        .await
        .expect("Lease exists");
    let standby_name = if standby == 0 {
        "replica-a"
    } else {
        "replica-b"
    };
    assert_eq!(
        lease.spec.and_then(|s| s.holder_identity).as_deref(),
        Some(standby_name)
    );
    replicas[leader].kill();
}
