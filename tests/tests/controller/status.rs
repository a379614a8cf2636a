//! The instance's status, from karmada-operator's report, the etcd claims and the component
//! workloads, through the stand-in operator where its behaviour matters.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Event, PersistentVolume, PersistentVolumeClaim, Secret};
use kube::api::{Api, ListParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use multicloud_api::karmada::Karmada;
use multicloud_api::names::KarmadaObjects;
use multicloud_api::{MulticloudInstance, Phase};
use multicloud_e2e::cluster::storage_class;
use multicloud_e2e::operator::StandInOperator;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn status_follows_karmada_operator_from_progressing_to_running_and_failed() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    create(
        &client,
        &instance("demo", json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
    )
    .await;
    karmada_of(&client, "demo").await;

    report_ready(&client, "demo", "False", "Progressing", "installing etcd").await;
    status_where(
        &client,
        "demo",
        "Provisioning",
        phase_is(Phase::Provisioning),
    )
    .await;

    // The "instance's Karmada API" is the global cluster itself, serving two member clusters.
    create_member_clusters(&client, &["member-1", "member-2"]).await;
    let admin: Secret = from_json(json!({
        "metadata": {"name": "demo-karmada-admin-config"},
        "stringData": {KarmadaObjects::ADMIN_KUBECONFIG_KEY: plane.kubeconfig_yaml()}
    }));
    Api::<Secret>::namespaced(client.clone(), "k-demo")
        .create(&PostParams::default(), &admin)
        .await
        .expect("admin kubeconfig Secret is created");

    report_ready(&client, "demo", "True", "Completed", "karmada is ready").await;
    let running = status_where(&client, "demo", "Running with 2 members", |status| {
        phase_is(Phase::Running)(status)?;
        if status.member_clusters == 2 {
            Ok(())
        } else {
            Err(format!("{} member clusters", status.member_clusters))
        }
    })
    .await;
    let status = running.status.unwrap_or_default();
    let kubeconfig = status
        .kubeconfig_secret_ref
        .clone()
        .expect("kubeconfig reference");
    assert_eq!(
        (kubeconfig.namespace.as_str(), kubeconfig.name.as_str()),
        ("k-demo", "demo-karmada-admin-config")
    );
    assert!(status.condition("Ready").is_some_and(|c| c.is_true()));

    // karmada-operator retries a failed run (planner.go): still installing, with its message.
    let failure = "etcd statefulset k-demo/demo-karmada-etcd is not ready: timed out";
    report_ready(&client, "demo", "False", "Failed", failure).await;
    let retrying = status_where(&client, "demo", "Retrying", |status| {
        match status.condition("KarmadaReady").map(|c| c.reason.as_str()) {
            Some("Retrying") => Ok(()),
            other => Err(format!("KarmadaReady reason {other:?}")),
        }
    })
    .await;
    let status = retrying.status.unwrap_or_default();
    assert!(
        condition_message(&status, "KarmadaReady").contains(failure),
        "{status:?}"
    );
    assert_eq!(status.member_clusters, 2, "the last count is kept");

    // Only a validation reason is final (controller.go).
    report_ready(
        &client,
        "demo",
        "False",
        "ValidationError",
        "spec is invalid",
    )
    .await;
    let failed = status_where(&client, "demo", "Failed", phase_is(Phase::Failed)).await;
    let status = failed.status.unwrap_or_default();
    assert!(condition_message(&status, "Ready").contains("spec is invalid"));

    let events: Api<k8s_openapi::api::events::v1::Event> =
        Api::namespaced(client.clone(), "kube-system");
    let reasons = eventually("Events of every transition", || async {
        let list = events
            .list(&ListParams::default())
            .await
            .map_err(|e| e.to_string())?;
        let reasons: Vec<(String, String)> = list
            .items
            .iter()
            .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("demo"))
            .map(|e| {
                (
                    e.reason.clone().unwrap_or_default(),
                    e.type_.clone().unwrap_or_default(),
                )
            })
            .collect();
        let has = |reason: &str| reasons.iter().any(|(r, _)| r == reason);
        if ["Provisioning", "Running", "Failed"].iter().all(|r| has(r)) {
            Ok(reasons)
        } else {
            Err(format!("events so far: {reasons:?}"))
        }
    })
    .await;
    assert!(
        reasons.contains(&("Failed".to_owned(), "Warning".to_owned())),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn pending_etcd_claim_shows_its_provisioning_failure_in_storage_ready() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    let spec = json!({"etcd": {"storage": {"storageClassName": "gold"}}});
    create(&client, &instance("slow", spec)).await;
    karmada_of(&client, "slow").await;

    // As karmada-operator's StatefulSet would: a claim for a class that does not exist, which
    // kube-controller-manager fails to provision and says so in an Event.
    let pvc_name = KarmadaObjects::for_instance("slow").etcd_pvc(0);
    let pvc: PersistentVolumeClaim = from_json(json!({
        "metadata": {"name": pvc_name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "gold",
            "resources": {"requests": {"storage": "1Gi"}}
        }
    }));
    Api::<PersistentVolumeClaim>::namespaced(client.clone(), "k-slow")
        .create(&PostParams::default(), &pvc)
        .await
        .expect("PVC is created");
    let events: Api<Event> = Api::namespaced(client.clone(), "k-slow");
    let failure = eventually("the ProvisioningFailed event", || async {
        let list = events
            .list(&ListParams::default())
            .await
            .map_err(|e| e.to_string())?;
        list.items
            .into_iter()
            .find(|e| e.reason.as_deref() == Some("ProvisioningFailed"))
            .and_then(|e| e.message)
            .ok_or_else(|| "no ProvisioningFailed event yet".to_owned())
    })
    .await;
    let found = status_where(&client, "slow", "StorageReady with the event", |status| {
        let message = condition_message(status, "StorageReady");
        if message.contains(&failure) {
            Ok(())
        } else {
            Err(format!("StorageReady says {message:?}, want {failure:?}"))
        }
    })
    .await;
    let storage = found.status.unwrap_or_default();
    let condition = storage.condition("StorageReady").expect("StorageReady");
    assert_eq!(
        (condition.status.as_str(), condition.reason.as_str()),
        ("False", "ClaimPending")
    );
    assert!(condition.message.contains(&pvc_name));
}

/// The phases the instance `name` goes through, as a watch sees every status write.
fn record_phases(
    client: &kube::Client,
    name: &str,
) -> (Arc<Mutex<Vec<Phase>>>, tokio::task::JoinHandle<()>) {
    let seen: Arc<Mutex<Vec<Phase>>> = Arc::default();
    let shared = seen.clone();
    let api: Api<MulticloudInstance> = Api::all(client.clone());
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let task = tokio::spawn(async move {
        let mut stream = watcher(api, config).applied_objects().boxed();
        while let Some(Ok(instance)) = stream.next().await {
            if let Some(phase) = instance.status.and_then(|s| s.phase)
                && let Ok(mut seen) = shared.lock()
                && seen.last() != Some(&phase)
            {
                seen.push(phase);
            }
        }
    });
    (seen, task)
}

async fn instance_events(client: &kube::Client, name: &str, reason: &str) -> usize {
    let events: Api<k8s_openapi::api::events::v1::Event> =
        Api::namespaced(client.clone(), "kube-system");
    let list = events
        .list(&ListParams::default())
        .await
        .expect("events are listed");
    list.items
        .iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .filter(|e| e.reason.as_deref() == Some(reason))
        .count()
}

#[tokio::test]
async fn a_failed_operator_run_is_retried_while_the_instance_shows_it_installing() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    // Each wait for a component gives up after 1 s (the real one: 120 s), then the run fails.
    let _operator = StandInOperator::start_waiting(
        client.clone(),
        plane.kubeconfig_yaml(),
        Duration::from_secs(1),
    );
    storage_class(&client, "standard", true).await;
    create(&client, &instance("demo", json!({}))).await;

    // No volume: the etcd PVC stays Pending, so etcd never gets ready and each run fails.
    let retried = status_where(&client, "demo", "two failures counted", |status| {
        phase_is(Phase::Provisioning)(status)?;
        match status.install.as_ref().map(|i| i.failures) {
            Some(n) if n >= 2 => Ok(()),
            other => Err(format!("failures {other:?}")),
        }
    })
    .await;
    let status = retried.status.unwrap_or_default();
    let ready = status.condition("Ready").expect("Ready");
    assert_eq!(ready.status, "False");
    let install = status.install.clone().expect("install progress");
    let karmada = condition_message(&status, "KarmadaReady");
    assert!(
        karmada.contains("waiting for karmada-etcd to ready timeout")
            || karmada.contains("karmada init job is in progressing"),
        "{karmada}"
    );
    assert!(
        karmada.contains(&install.deadline),
        "the deadline is visible: {karmada}"
    );
    assert!(karmada.contains("retries"), "{karmada}");

    // A volume binds the claim: the next run completes.
    let volume: PersistentVolume = from_json(json!({
        "metadata": {"name": "demo-etcd-0"},
        "spec": {
            "capacity": {"storage": "5Gi"},
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "standard",
            "hostPath": {"path": "/tmp/demo-etcd-0"}
        }
    }));
    Api::<PersistentVolume>::all(client.clone())
        .create(&PostParams::default(), &volume)
        .await
        .expect("PersistentVolume is created");
    status_where(&client, "demo", "Running", phase_is(Phase::Running)).await;
    assert_eq!(
        instance_events(&client, "demo", "Provisioning").await,
        1,
        "the operator's Failed/Progressing flips are not an event each"
    );
    assert_eq!(instance_events(&client, "demo", "Failed").await, 0);
}

#[tokio::test]
async fn an_operator_rerun_keeps_a_running_instance_running_and_versions_are_read_from_images() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    let operator = StandInOperator::start(client.clone(), plane.kubeconfig_yaml());
    create(
        &client,
        &instance("demo", json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
    )
    .await;
    let running = status_where(&client, "demo", "Running", phase_is(Phase::Running)).await;
    let status = running.status.unwrap_or_default();
    // Versions are read from the workloads' images: the rendering names every component's
    // tag (metrics-adapter too, which the operator would otherwise install at its own version,
    // defaults.go), so every one runs the requested version.
    let upgrading = status.condition("Upgrading").expect("Upgrading");
    assert_eq!(upgrading.status, "False", "{upgrading:?}");
    assert!(
        upgrading.message.contains(&format!(
            "every karmada component runs {}",
            multicloud_api::instance::DEFAULT_KARMADA_VERSION
        )),
        "{upgrading:?}"
    );
    assert!(status.condition("Ready").is_some_and(|c| c.is_true()));

    let karmadas: Api<Karmada> = Api::namespaced(client.clone(), "k-demo");
    let completed_at = |k: &Karmada| {
        k.status
            .as_ref()
            .and_then(|s| s.ready())
            .filter(|c| c.reason == "Completed")
            .and_then(|c| c.last_transition_time.clone())
    };
    let before = completed_at(&karmadas.get("demo").await.expect("CR")).expect("Completed");
    let (phases, watch) = record_phases(&client, "demo");
    // A restarted operator runs every install again, resetting the condition first (helper.go).
    operator.restart();
    eventually(
        "the operator's run after its restart to complete",
        || async {
            let cr = karmadas.get("demo").await.map_err(|e| e.to_string())?;
            match completed_at(&cr) {
                Some(at) if at != before => Ok(()),
                other => Err(format!("Completed at {other:?}")),
            }
        },
    )
    .await;
    // Let the controller reconcile the last write before looking at what it wrote.
    tokio::time::sleep(Duration::from_secs(2)).await;
    watch.abort();
    let seen = phases.lock().map(|p| p.clone()).unwrap_or_default();
    assert_eq!(
        seen,
        vec![Phase::Running],
        "the re-run never showed as Provisioning"
    );
    assert_eq!(instance_events(&client, "demo", "Provisioning").await, 1);
}

#[tokio::test]
async fn etcd_pods_that_cannot_be_created_are_named_with_their_failed_create_event() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    let _operator = StandInOperator::start_waiting(
        client.clone(),
        plane.kubeconfig_yaml(),
        Duration::from_secs(1),
    );
    // 40 characters, admitted before the name rule knew: the StatefulSet's pods would carry a
    // controller-revision-hash label over 63 characters, so kube-controller-manager refuses them.
    let name = "a".repeat(40);
    create(
        &client,
        &instance(&name, json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
    )
    .await;
    let found = status_where(
        &client,
        &name,
        "the FailedCreate event in Ready",
        |status| {
            let ready = condition_message(status, "Ready");
            if ready.contains("FailedCreate") {
                Ok(())
            } else {
                Err(format!("Ready says {ready:?}"))
            }
        },
    )
    .await;
    let status = found.status.unwrap_or_default();
    assert_eq!(status.phase, Some(Phase::Provisioning));
    let ready = status.condition("Ready").expect("Ready");
    assert_eq!(ready.reason, "WorkloadNotReady");
    assert!(
        ready
            .message
            .contains(&format!("{name}-karmada-etcd 0/1 ready")),
        "{ready:?}"
    );
}
