//! A change admission would deny, made where no webhook is registered: the etcd storage size.
//! karmada-operator writes the new `volumeClaimTemplates` into the etcd StatefulSet
//! (`operator/pkg/util/patcher/pather.go`, through `apiclient.CreateOrUpdateStatefulSet` in
//! `operator/pkg/util/apiclient/idempotency.go`); the API server refuses that update, so every
//! run fails at the etcd step and is retried. The instance says exactly that, and keeps saying
//! that its components still serve.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::PersistentVolume;
use kube::api::{Api, Patch, PatchParams, PostParams};
use multicloud_api::names::KarmadaObjects;
use multicloud_api::{MulticloudInstance, Phase};
use multicloud_e2e::cluster::storage_class;
use multicloud_e2e::operator::StandInOperator;
use multicloud_e2e::plugin::Plugin;
use serde_json::json;

use super::support::*;

fn template_size(statefulset: &StatefulSet) -> Option<String> {
    statefulset
        .spec
        .as_ref()?
        .volume_claim_templates
        .as_ref()?
        .first()?
        .spec
        .as_ref()?
        .resources
        .as_ref()?
        .requests
        .as_ref()?
        .get("storage")
        .map(|q| q.0.clone())
}

#[tokio::test]
async fn a_size_change_past_admission_shows_the_refused_statefulset_update_while_it_retries() {
    let plane = global_cluster().await;
    let client = plane.client();
    storage_class(&client, "standard", true).await;
    let volume: PersistentVolume = from_json(json!({
        "metadata": {"name": "demo-etcd-0"},
        "spec": {
            "capacity": {"storage": "5Gi"},
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "standard",
            "persistentVolumeReclaimPolicy": "Retain",
            "hostPath": {"path": "/tmp/demo-etcd-0"}
        }
    }));
    Api::<PersistentVolume>::all(client.clone())
        .create(&PostParams::default(), &volume)
        .await
        .expect("PersistentVolume is created");
    let _controller = Controller::start(&plane, "controller", &[]);
    let _operator = StandInOperator::start(client.clone(), plane.kubeconfig_yaml());
    create(
        &client,
        &instance("demo", json!({"etcd": {"storage": {"size": "5Gi"}}})),
    )
    .await;
    status_where(&client, "demo", "Running", phase_is(Phase::Running)).await;
    let etcd = KarmadaObjects::new("demo").etcd_statefulset();
    let statefulsets: Api<StatefulSet> = Api::namespaced(client.clone(), "k-demo");
    let created = statefulsets.get(&etcd).await.expect("etcd StatefulSet");
    assert_eq!(
        template_size(&created).as_deref(),
        Some("5Gi"),
        "the operator's StatefulSet carries the claim template"
    );

    // No webhook runs here: the API server alone admits the change.
    let patch = json!({"spec": {"etcd": {"storage": {"size": "10Gi"}}}});
    Api::<MulticloudInstance>::all(client.clone())
        .patch("demo", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("the size change is written past admission");

    let retried = status_where(&client, "demo", "the refusal retried twice", |status| {
        let karmada = status.condition("KarmadaReady");
        match karmada.map(|c| (c.reason.as_str(), c.message.as_str())) {
            Some(("Retrying", message))
                if message.contains("times and retries") && message.contains("Forbidden") =>
            {
                Ok(())
            }
            other => Err(format!("KarmadaReady {other:?}")),
        }
    })
    .await;
    let status = retried.status.unwrap_or_default();
    let message = condition_message(&status, "KarmadaReady");
    assert!(
        message.contains("failed to install etcd component")
            && message.contains(&format!("StatefulSet.apps \"{etcd}\" is invalid"))
            && message.contains("every component still serves"),
        "the operator's failure, as the API server refused it: {message}"
    );
    assert_eq!(
        status.phase,
        Some(Phase::Running),
        "the control plane still runs on its old StatefulSet"
    );
    let kept = statefulsets.get(&etcd).await.expect("etcd StatefulSet");
    assert_eq!(
        template_size(&kept).as_deref(),
        Some("5Gi"),
        "the refused update changed nothing"
    );

    let plugin = Plugin::new(plane.kubeconfig_path()).expect("kubectl-multicloud is built");
    let described = plugin.run(&["describe", "demo"]).await;
    described.expect_success();
    assert!(
        described.stdout.contains("Retrying") && described.stdout.contains("Forbidden"),
        "{described}"
    );
}

#[tokio::test]
async fn an_upgrade_whose_new_pods_never_start_stays_upgrading_though_the_operator_completes() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    let operator = StandInOperator::start(client.clone(), plane.kubeconfig_yaml());
    create(
        &client,
        &instance(
            "demo",
            json!({"karmada": {"version": "v1.17.5"}, "etcd": {"storage": {"type": "EmptyDir"}}}),
        ),
    )
    .await;
    status_where(&client, "demo", "Running at v1.17.5", |status| {
        phase_is(Phase::Running)(status)?;
        match status.condition("Upgrading") {
            Some(c) if c.status == "False" && c.message.contains("runs v1.17.5") => Ok(()),
            other => Err(format!("Upgrading {other:?}")),
        }
    })
    .await;

    // The new images cannot be pulled: the old pods go on serving, which is all the operator's
    // wait asks (wait.go: one ready pod), so its run completes.
    operator.set_unpullable_tag(Some("v1.18.2"));
    let patch = json!({"spec": {"karmada": {"version": "v1.18.2"}}});
    Api::<MulticloudInstance>::all(client.clone())
        .patch("demo", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("the upgrade is written");
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(client.clone(), "k-demo");
    let webhook = format!("{}-webhook", KarmadaObjects::new("demo").prefix());
    eventually("the operator to roll the webhook to v1.18.2", || async {
        let d = deployments.get(&webhook).await.map_err(|e| e.to_string())?;
        let image = d
            .spec
            .and_then(|s| s.template.spec)
            .and_then(|s| s.containers.first().and_then(|c| c.image.clone()))
            .unwrap_or_default();
        let karmada = karmada_of(&client, "demo").await;
        let completed = karmada["status"]["conditions"][0]["reason"] == "Completed";
        if image.ends_with(":v1.18.2") && completed {
            Ok(())
        } else {
            Err(format!("image {image}, Karmada CR {}", karmada["status"]))
        }
    })
    .await;
    let upgrading = status_where(
        &client,
        "demo",
        "Upgrading, rolling out",
        |status| match status.condition("Upgrading") {
            Some(c) if c.status == "True" && c.message.contains("webhook (v1.18.2;") => Ok(()),
            other => Err(format!("Upgrading {other:?}")),
        },
    )
    .await;
    let status = upgrading.status.unwrap_or_default();
    let message = condition_message(&status, "Upgrading");
    assert!(
        message.contains("waiting for every karmada component to run v1.18.2")
            && message.contains("webhook (v1.18.2; rolling out: 1 old replicas still running)"),
        "the old pods are named as still running: {message}"
    );
    assert_eq!(status.phase, Some(Phase::Running), "the old version serves");

    // Once the images pull, the rollout ends and the instance runs the version it asks for.
    operator.set_unpullable_tag(None);
    status_where(&client, "demo", "at v1.18.2", |status| {
        match status.condition("Upgrading") {
            Some(c) if c.status == "False" && c.message.contains("runs v1.18.2") => Ok(()),
            other => Err(format!("Upgrading {other:?}")),
        }
    })
    .await;
}
