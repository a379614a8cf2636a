//! The global cluster as the end-to-end tests run multicloud against it: a real control plane
//! (with kube-controller-manager, which binds PVCs and finalizes namespaces), the instance CRD,
//! the stand-in karmada-operator CRDs and `multicloud-system`.

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, PostParams};
use multicloud_api::MulticloudInstance;
use multicloud_api::keys::SYSTEM_NAMESPACE;
use multicloud_testenv::{ControlPlane, ControllerManager, Options, apply_crd};
use serde_json::{Value, json};

use crate::operator::{cluster_crd, from_json, karmada_crd};

/// Provisioner of the tests' StorageClasses. Nobody provisions for it, so a claim binds only
/// to a volume the test made.
pub const NO_PROVISIONER: &str = "example.com/nobody";

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
    install_instance_api(&client).await;
    apply_crd(&client, &cluster_crd())
        .await
        .expect("Cluster CRD is served");
    plane
}

/// A control plane without kube-controller-manager: all that admission reads (the instance
/// CRD and `multicloud-system`) and nothing that reconciles.
pub async fn admission_cluster() -> ControlPlane {
    let plane = bare_cluster().await;
    install_instance_api(&plane.client()).await;
    plane
}

/// A control plane without kube-controller-manager and nothing installed: a management
/// cluster as the webhook and the plugin read it.
pub async fn bare_cluster() -> ControlPlane {
    ControlPlane::start_with(Options {
        controller_manager: ControllerManager::Disabled,
        ..Options::default()
    })
    .await
    .expect("control plane starts")
}

/// Serves the instance CRD and creates `multicloud-system`.
async fn install_instance_api(client: &kube::Client) {
    apply_crd(client, &multicloud_api::crd::crd())
        .await
        .expect("instance CRD is served");
    create_namespace(client, SYSTEM_NAMESPACE).await;
}

/// Creates namespace `name`.
pub async fn create_namespace(client: &kube::Client, name: &str) {
    let namespace: Namespace = from_json(json!({"metadata": {"name": name}}));
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .expect("namespace is created");
}

/// Creates StorageClass `name` (binding Immediate, provisioned by [`NO_PROVISIONER`]), marked
/// the default class when `default` is set.
pub async fn storage_class(client: &kube::Client, name: &str, default: bool) {
    let class: StorageClass = from_json(json!({
        "metadata": {
            "name": name,
            "annotations": {"storageclass.kubernetes.io/is-default-class": default.to_string()}
        },
        "provisioner": NO_PROVISIONER,
        "volumeBindingMode": "Immediate"
    }));
    Api::<StorageClass>::all(client.clone())
        .create(&PostParams::default(), &class)
        .await
        .expect("StorageClass is created");
}

/// An instance named `name` with `spec`, as a user would write it (no webhook has run).
pub fn instance(name: &str, spec: Value) -> MulticloudInstance {
    from_json(json!({
        "apiVersion": "multicloud.dev/v1alpha1",
        "kind": "MulticloudInstance",
        "metadata": {"name": name},
        "spec": spec,
    }))
}

/// The annotation `key` of `instance`, if it has one.
pub fn annotation<'a>(instance: &'a MulticloudInstance, key: &str) -> Option<&'a str> {
    instance
        .metadata
        .annotations
        .as_ref()?
        .get(key)
        .map(String::as_str)
}

/// Creates `object` in `collection` (a URL path) through a raw request, to read the `Warning`
/// headers kubectl prints.
pub async fn create_reading_warnings<T>(
    client: &kube::Client,
    collection: &str,
    params: &PostParams,
    object: &T,
) -> (T, Vec<String>)
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let body = serde_json::to_vec(object).expect("encodes");
    let request = kube::core::Request::new(collection)
        .create(params, body)
        .expect("request");
    let response = client
        .send(request.map(kube::client::Body::from))
        .await
        .expect("API server answers");
    let status = response.status();
    let warnings = response
        .headers()
        .get_all("warning")
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .collect();
    let bytes = response.into_body().collect_bytes().await.expect("body");
    assert!(
        status.is_success(),
        "{status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    (
        serde_json::from_slice(&bytes).expect("the created object"),
        warnings,
    )
}
