//! What the real-operator tests share: a global cluster serving the operator's own Karmada CRD,
//! Karmada CRs rendered by `multicloud_api` and created directly, and reads of what the
//! operator made.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Secret, Service};
use kube::api::{Api, PostParams};
use multicloud_api::karmada::{Karmada, KarmadaCondition};
use multicloud_api::names::KarmadaObjects;
use multicloud_testenv::ControlPlane;
use serde_json::{Value, json};

pub use multicloud_e2e::cluster::global_cluster_without_karmada;
pub use multicloud_e2e::operator::from_json;
pub use multicloud_e2e::real_operator::{
    CrdCache, DISABLE_CASCADING_DELETION_LABEL, FINALIZER, RealOperator, RealOperatorSetup,
    default_crd_tarball_url,
};
pub use multicloud_e2e::wait::eventually;

/// A global cluster (with kube-controller-manager, whose StatefulSet controller makes etcd's
/// PVCs) serving the instance CRD and the operator's own Karmada CRD.
pub async fn global_cluster_with_operator_crd(setup: &RealOperatorSetup) -> ControlPlane {
    let plane = global_cluster_without_karmada().await;
    setup.install_karmada_crd(&plane.client()).await;
    plane
}

/// A tarball URL of its own for CR `name` of this test process, on 127.0.0.1 (a cache miss
/// then fails locally instead of downloading).
pub fn local_tarball_url(name: &str) -> String {
    format!(
        "http://127.0.0.1:9/multicloud-e2e/{}/{name}/crds.tar.gz",
        std::process::id()
    )
}

/// The Karmada CR `multicloud_api` renders for instance `name` with `spec`, naming `url` as
/// its CRD tarball.
pub fn rendered(name: &str, spec: Value, url: &str) -> Karmada {
    let instance = from_json(json!({
        "apiVersion": "multicloud.dev/v1alpha1",
        "kind": "MulticloudInstance",
        "metadata": {"name": name},
        "spec": spec
    }));
    let mut karmada = multicloud_api::karmada::render(&instance);
    karmada
        .spec
        .other
        .insert("crdTarball".into(), json!({"httpSource": {"url": url}}));
    karmada
}

/// Creates namespace `namespace` unless it exists.
pub async fn create_karmada_namespace(client: &kube::Client, namespace: &str) {
    let object: Namespace = from_json(json!({"metadata": {"name": namespace}}));
    match Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &object)
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(e) => panic!("namespace {namespace} is not created: {e}"),
    }
}

/// Creates the namespace of `karmada` and `karmada` in it.
pub async fn create_karmada(client: &kube::Client, karmada: &Karmada) -> Karmada {
    let namespace = karmada.metadata.namespace.clone().unwrap_or_default();
    create_karmada_namespace(client, &namespace).await;
    Api::<Karmada>::namespaced(client.clone(), &namespace)
        .create(&PostParams::default(), karmada)
        .await
        .expect("the Karmada CR is accepted by the operator's CRD")
}

/// The API of `K` in `namespace`.
pub fn api<K>(client: &kube::Client, namespace: &str) -> Api<K>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>,
{
    Api::namespaced(client.clone(), namespace)
}

/// Waits until object `name` exists and satisfies `check`, which says what is missing.
pub async fn object_where<K>(
    api: &Api<K>,
    name: &str,
    what: &str,
    check: impl Fn(&K) -> Result<(), String>,
) -> K
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    eventually(&format!("{name}: {what}"), || async {
        let found = api
            .get_opt(name)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "not there".to_owned())?;
        check(&found)?;
        Ok(found)
    })
    .await
}

/// Waits until object `name` exists.
pub async fn exists<K>(api: &Api<K>, name: &str) -> K
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    object_where(api, name, "exists", |_| Ok(())).await
}

/// Waits until object `name` is gone.
pub async fn until_gone<K>(api: &Api<K>, name: &str)
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    eventually(&format!("{name} to be gone"), || async {
        match api.get_opt(name).await.map_err(|e| e.to_string())? {
            None => Ok(()),
            Some(_) => Err("still there".to_owned()),
        }
    })
    .await
}

/// The CR's `Ready` condition, if the operator wrote one.
pub fn ready(karmada: &Karmada) -> Option<&KarmadaCondition> {
    karmada.status.as_ref().and_then(|s| s.ready())
}

/// A check that the CR's `Ready` condition has `reason`.
pub fn reason_is(reason: &'static str) -> impl Fn(&Karmada) -> Result<(), String> {
    move |karmada| match ready(karmada) {
        Some(condition) if condition.reason == reason => Ok(()),
        other => Err(format!("Ready is {other:?}, want reason {reason}")),
    }
}

/// Names of the certificate Secrets the operator uploads before it deploys etcd
/// (`operator/pkg/tasks/init/upload.go`, names from `operator/pkg/util/naming.go`).
pub fn certificate_secrets(objects: &KarmadaObjects) -> Vec<String> {
    ["cert", "etcd-cert", "webhook-cert"]
        .iter()
        .map(|suffix| format!("{}-{suffix}", objects.prefix()))
        .collect()
}

/// The etcd Services the operator makes with the StatefulSet: the headless peer Service named
/// like the StatefulSet, and the client Service (`operator/pkg/controlplane/etcd/etcd.go`).
pub fn etcd_services(objects: &KarmadaObjects) -> Vec<String> {
    vec![
        objects.etcd_statefulset(),
        format!("{}-etcd-client", objects.prefix()),
    ]
}

/// Waits until the operator has made everything it makes before its first wait for pods: the
/// certificate Secrets, the etcd StatefulSet and Services, and (through kube-controller-manager)
/// the first member's PVC when etcd uses claims.
pub async fn installed_up_to_etcd(client: &kube::Client, karmada: &Karmada) -> StatefulSet {
    let namespace = karmada.metadata.namespace.clone().unwrap_or_default();
    let objects = KarmadaObjects::new(karmada.metadata.name.as_deref().unwrap_or_default());
    for secret in certificate_secrets(&objects) {
        exists(&api::<Secret>(client, &namespace), &secret).await;
    }
    for service in etcd_services(&objects) {
        exists(&api::<Service>(client, &namespace), &service).await;
    }
    let statefulset = exists(
        &api::<StatefulSet>(client, &namespace),
        &objects.etcd_statefulset(),
    )
    .await;
    if claim_templates(&statefulset).next().is_some() {
        exists(
            &api::<PersistentVolumeClaim>(client, &namespace),
            &objects.etcd_pvc(0),
        )
        .await;
    }
    statefulset
}

/// The names of the StatefulSet's volume claim templates.
pub fn claim_templates(statefulset: &StatefulSet) -> impl Iterator<Item = String> + '_ {
    statefulset
        .spec
        .iter()
        .flat_map(|spec| spec.volume_claim_templates.iter().flatten())
        .filter_map(|claim| claim.metadata.name.clone())
}

/// The arguments of the StatefulSet's first container (etcd's command line).
pub fn etcd_arguments(statefulset: &StatefulSet) -> Vec<String> {
    statefulset
        .spec
        .as_ref()
        .and_then(|spec| spec.template.spec.as_ref())
        .and_then(|pod| pod.containers.first())
        .map(|container| {
            container
                .command
                .iter()
                .chain(container.args.iter())
                .flatten()
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}
