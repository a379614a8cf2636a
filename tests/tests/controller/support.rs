//! What the controller's end-to-end tests share beyond `multicloud_e2e`'s global cluster,
//! controller process, stand-in operator CRDs and bounded waits: writing and reading instances
//! and their status.

use kube::api::{Api, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use multicloud_api::karmada::Karmada;
use multicloud_api::{MulticloudInstance, MulticloudInstanceStatus, Phase};
pub use multicloud_e2e::cluster::{
    create_namespace, global_cluster, global_cluster_without_karmada, instance,
};
pub use multicloud_e2e::controller::{Controller, http_get};
pub use multicloud_e2e::operator::{StandInOperator, from_json, karmada_crd, report_ready};
pub use multicloud_e2e::wait::eventually;
pub use multicloud_testenv::ControlPlane;
use serde_json::json;

/// Creates `instance` in the global cluster.
pub async fn create(client: &kube::Client, instance: &MulticloudInstance) {
    Api::<MulticloudInstance>::all(client.clone())
        .create(&PostParams::default(), instance)
        .await
        .expect("instance is created");
}

/// Creates Karmada `Cluster` objects named `members` through `client`: the member clusters an
/// instance's Karmada API reports (the tests serve that API from the global cluster itself).
pub async fn create_member_clusters(client: &kube::Client, members: &[&str]) {
    let clusters: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("cluster.karmada.io", "v1alpha1", "Cluster"),
            "clusters",
        ),
    );
    for member in members {
        let cluster: DynamicObject = from_json(json!({
            "apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
            "metadata": {"name": member}
        }));
        clusters
            .create(&PostParams::default(), &cluster)
            .await
            .expect("member is created");
    }
}

/// Waits for the Karmada CR of `instance` and returns it as JSON.
pub async fn karmada_of(client: &kube::Client, instance: &str) -> serde_json::Value {
    let api: Api<Karmada> =
        Api::namespaced(client.clone(), &multicloud_api::names::namespace(instance));
    let karmada = eventually(&format!("the Karmada CR of {instance}"), || async {
        api.get_opt(instance)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "not created".to_owned())
    })
    .await;
    serde_json::to_value(karmada).expect("encodes")
}

/// Waits until the status of `name` satisfies `check`, which says what is missing otherwise.
pub async fn status_where(
    client: &kube::Client,
    name: &str,
    what: &str,
    check: impl Fn(&MulticloudInstanceStatus) -> Result<(), String>,
) -> MulticloudInstance {
    let api: Api<MulticloudInstance> = Api::all(client.clone());
    eventually(&format!("{name}: {what}"), || async {
        let found = api.get(name).await.map_err(|e| e.to_string())?;
        let status = found.status.clone().unwrap_or_default();
        check(&status).map_err(|why| format!("{why}; status: {status:?}"))?;
        Ok(found)
    })
    .await
}

pub fn phase_is(phase: Phase) -> impl Fn(&MulticloudInstanceStatus) -> Result<(), String> {
    move |status| match status.phase {
        Some(current) if current == phase => Ok(()),
        other => Err(format!("phase {other:?}, want {phase}")),
    }
}

pub fn condition_message(status: &MulticloudInstanceStatus, type_: &str) -> String {
    status
        .condition(type_)
        .map(|c| c.message.clone())
        .unwrap_or_default()
}

/// A global cluster with the controller (given `flags` besides the fast ones) and the stand-in
/// operator running, and the instance `name` with `spec` installed on it and Running: where
/// every test of what happens after an install starts. Fields drop in order, the control plane
/// last.
pub struct Installed {
    /// The stand-in karmada-operator.
    pub operator: StandInOperator,
    /// The controller process.
    pub controller: Controller,
    /// A client of the global cluster.
    pub client: kube::Client,
    /// The global cluster.
    pub plane: ControlPlane,
}

/// [`Installed`] for `name` with `spec`.
pub async fn installed(name: &str, spec: serde_json::Value, flags: &[&str]) -> Installed {
    let plane = global_cluster().await;
    let client = plane.client();
    let controller = Controller::start(&plane, "controller", flags);
    let operator = StandInOperator::start(client.clone(), plane.kubeconfig_yaml());
    create(&client, &instance(name, spec)).await;
    status_where(&client, name, "Running", phase_is(Phase::Running)).await;
    Installed {
        operator,
        controller,
        client,
        plane,
    }
}

/// The storage of an instance that needs no volume.
pub fn empty_dir() -> serde_json::Value {
    json!({"etcd": {"storage": {"type": "EmptyDir"}}})
}
