use super::*;
use crate::instance::StorageType;
use crate::testing::instance;

fn volume(karmada: &Karmada) -> &VolumeData {
    karmada
        .spec
        .components
        .as_ref()
        .and_then(|c| c.etcd.as_ref())
        .and_then(|e| e.local.as_ref())
        .and_then(|l| l.volume_data.as_ref())
        .expect("volume data rendered")
}

#[test]
fn renders_pvc_with_named_class_size_and_replicas() {
    let mut mci = instance("demo");
    mci.spec.etcd.replicas = 3;
    mci.spec.etcd.storage.storage_class_name = Some("fast".into());
    mci.spec.etcd.storage.size = Some("10Gi".into());
    let karmada = render(&mci);
    assert_eq!(karmada.metadata.name.as_deref(), Some("demo"));
    assert_eq!(karmada.metadata.namespace.as_deref(), Some("k-demo"));
    let claim = volume(&karmada)
        .volume_claim
        .as_ref()
        .expect("volume claim");
    assert_eq!(claim.spec.storage_class_name.as_deref(), Some("fast"));
    let requests = claim
        .spec
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref());
    assert_eq!(
        requests
            .and_then(|r| r.get("storage"))
            .map(|q| q.0.as_str()),
        Some("10Gi")
    );
    let local = karmada
        .spec
        .components
        .as_ref()
        .and_then(|c| c.etcd.as_ref())
        .and_then(|e| e.local.as_ref());
    assert_eq!(local.and_then(|l| l.replicas), Some(3));
    assert!(karmada.spec.host_cluster.is_none());
}

#[test]
fn pvc_without_class_leaves_it_to_the_default_class() {
    let karmada = render(&instance("demo"));
    let claim = volume(&karmada)
        .volume_claim
        .as_ref()
        .expect("volume claim");
    assert_eq!(claim.spec.storage_class_name, None);
    let requests = claim
        .spec
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref());
    assert_eq!(
        requests
            .and_then(|r| r.get("storage"))
            .map(|q| q.0.as_str()),
        Some("5Gi")
    );
}

#[test]
fn renders_host_path_with_default_directory() {
    let mut mci = instance("demo");
    mci.spec.etcd.storage.type_ = StorageType::HostPath;
    let karmada = render(&mci);
    let host_path = volume(&karmada).host_path.as_ref().expect("host path");
    assert_eq!(host_path.path, "/var/lib/multicloud/k-demo/etcd");
    assert!(volume(&karmada).volume_claim.is_none());
}

#[test]
fn renders_empty_dir() {
    let mut mci = instance("demo");
    mci.spec.etcd.storage.type_ = StorageType::EmptyDir;
    assert!(volume(&render(&mci)).empty_dir.is_some());
}

#[test]
fn remote_management_cluster_gets_secret_ref_and_node_port() {
    let mut mci = instance("demo");
    mci.spec.management_cluster = "edge-1".into();
    let karmada = render(&mci);
    let secret = karmada
        .spec
        .host_cluster
        .as_ref()
        .and_then(|h| h.secret_ref.as_ref());
    assert_eq!(
        secret,
        Some(&SecretRef {
            namespace: "k-demo".into(),
            name: names::HOST_CLUSTER_SECRET.into()
        })
    );
    let api = karmada
        .spec
        .components
        .as_ref()
        .and_then(|c| c.karmada_api_server.as_ref());
    assert_eq!(
        api.and_then(|a| a.service_type.as_deref()),
        Some("NodePort")
    );
}

#[test]
fn version_sets_karmada_component_tags_only() {
    let mut mci = instance("demo");
    mci.spec.karmada.version = "v1.14.1".into();
    let components = render(&mci).spec.components.expect("components");
    for component in [
        &components.karmada_aggregated_api_server,
        &components.karmada_controller_manager,
        &components.karmada_scheduler,
        &components.karmada_webhook,
    ] {
        assert_eq!(
            component.as_ref().and_then(|c| c.image_tag.as_deref()),
            Some("v1.14.1")
        );
    }
    assert!(
        components.karmada_api_server.is_none(),
        "the apiserver is a kube-apiserver image"
    );
}

#[test]
fn unknown_fields_survive_a_round_trip() {
    let json = serde_json::json!({
        "apiVersion": "operator.karmada.io/v1alpha1",
        "kind": "Karmada",
        "metadata": {"name": "demo", "namespace": "k-demo"},
        "spec": {
            "featureGates": {"Failover": true},
            "components": {
                "etcd": {"local": {"imageTag": "3.5.16-0", "replicas": 3}},
                "karmadaDescheduler": {"replicas": 1}
            }
        },
        "status": {
            "secretRef": {"namespace": "k-demo", "name": "demo-karmada-admin-config"},
            "apiServerService": {"name": "demo-karmada-apiserver"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "Completed", "message": ""}]
        }
    });
    let karmada: Karmada = serde_json::from_value(json.clone()).expect("parses");
    assert_eq!(
        karmada
            .status
            .as_ref()
            .and_then(|s| s.ready())
            .map(|c| c.reason.as_str()),
        Some("Completed")
    );
    assert_eq!(serde_json::to_value(&karmada).expect("serialises"), json);
}
