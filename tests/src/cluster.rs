//! The global cluster as the end-to-end tests run multicloud against it: a real control plane
//! (with kube-controller-manager, which binds PVCs and finalizes namespaces), the instance CRD,
//! the stand-in karmada-operator CRDs and `multicloud-system`.

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
use multicloud_api::keys::SYSTEM_NAMESPACE;
use multicloud_testenv::{ControlPlane, apply_crd};
use serde_json::json;

use crate::operator::{cluster_crd, from_json, karmada_crd};

/// A control plane with the instance CRD, the stand-in karmada-operator CRDs and
/// `multicloud-system`, ready for the controller.
pub async fn global_cluster() -> ControlPlane {
    let plane = global_cluster_without_karmada().await;
    apply_crd(&plane.client(), &karmada_crd())
        .await
        .expect("Karmada CRD is served");
    plane
}

/// Like [`global_cluster`], before karmada-operator (its Karmada CRD) is installed.
pub async fn global_cluster_without_karmada() -> ControlPlane {
    let plane = ControlPlane::start().await.expect("control plane starts");
    assert!(
        plane.has_controller_manager(),
        "kube-controller-manager is needed to finalize deleted namespaces"
    );
    let client = plane.client();
    apply_crd(&client, &multicloud_api::crd::crd())
        .await
        .expect("instance CRD is served");
    apply_crd(&client, &cluster_crd())
        .await
        .expect("Cluster CRD is served");
    create_namespace(&client, SYSTEM_NAMESPACE).await;
    plane
}

/// Creates namespace `name`.
pub async fn create_namespace(client: &kube::Client, name: &str) {
    let namespace: Namespace = from_json(json!({"metadata": {"name": name}}));
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .expect("namespace is created");
}
