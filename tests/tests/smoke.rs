//! The generated CRD on a real kube-apiserver: it is accepted and Established, a valid instance
//! round-trips with the schema's defaults applied, and what the schema forbids is rejected.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};
use multicloud_api::{MulticloudInstance, StorageType};
use multicloud_testenv::{ControlPlane, apply_crd};

/// The CRD exactly as committed, which is what users apply.
fn committed_crd() -> CustomResourceDefinition {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../",
        "manifests/crd/multicloudinstances.multicloud.dev.yaml"
    );
    let text = std::fs::read_to_string(path).expect("committed CRD is readable");
    multicloud_api::yaml::from_str(&text).expect("committed CRD parses")
}

fn instance(json: serde_json::Value) -> MulticloudInstance {
    serde_json::from_value(json).expect("test instance is well-formed")
}

#[tokio::test]
async fn generated_crd_serves_instances_with_defaults_and_rejects_what_the_schema_forbids() {
    let plane = ControlPlane::start().await.expect("control plane starts");
    let client = plane.client();
    apply_crd(&client, &committed_crd())
        .await
        .expect("CRD is accepted and Established");
    let api: Api<MulticloudInstance> = Api::all(client);

    let created = api
        .create(
            &PostParams::default(),
            &instance(serde_json::json!({
                "apiVersion": "multicloud.dev/v1alpha1",
                "kind": "MulticloudInstance",
                "metadata": {"name": "demo"},
                "spec": {"etcd": {"replicas": 3, "storage": {"storageClassName": "fast"}}}
            })),
        )
        .await
        .expect("a valid instance is created");
    assert_eq!(created.metadata.name.as_deref(), Some("demo"));

    let read = api.get("demo").await.expect("the instance reads back");
    assert_eq!(
        read.spec.management_cluster, "local",
        "defaulted by the schema"
    );
    assert_eq!(read.spec.etcd.replicas, 3);
    assert_eq!(
        read.spec.etcd.storage.type_,
        StorageType::PersistentVolumeClaim
    );
    assert_eq!(read.spec.etcd.storage.class_name(), Some("fast"));
    assert_eq!(
        read.spec.karmada.version,
        multicloud_api::instance::DEFAULT_KARMADA_VERSION
    );

    // Short name and category are served too.
    let resources = plane
        .client()
        .list_api_group_resources("multicloud.dev/v1alpha1")
        .await
        .expect("discovery");
    let mci = resources
        .resources
        .iter()
        .find(|r| r.name == "multicloudinstances")
        .expect("served");
    assert_eq!(mci.short_names.as_deref(), Some(&["mci".to_owned()][..]));
    assert_eq!(
        mci.categories.as_deref(),
        Some(&["multicloud".to_owned()][..])
    );

    let raw: Api<kube::api::DynamicObject> = Api::all_with(
        plane.client(),
        &kube::api::ApiResource::erase::<MulticloudInstance>(&()),
    );
    for (name, spec) in [
        (
            "bad-type",
            serde_json::json!({"etcd": {"storage": {"type": "Floppy"}}}),
        ),
        (
            "bad-replicas",
            serde_json::json!({"etcd": {"replicas": "three"}}),
        ),
        (
            "bad-policy",
            serde_json::json!({"deletionPolicy": "Sometimes"}),
        ),
    ] {
        let object: kube::api::DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "multicloud.dev/v1alpha1",
            "kind": "MulticloudInstance",
            "metadata": {"name": name},
            "spec": spec,
        }))
        .expect("well-formed JSON");
        match raw.create(&PostParams::default(), &object).await {
            Err(kube::Error::Api(status)) => {
                assert_eq!(status.code, 422, "{name}: {status:?}");
            }
            other => panic!("{name}: the API server should reject it, got {other:?}"),
        }
        assert!(
            api.get_opt(name).await.expect("get").is_none(),
            "{name} was not stored"
        );
    }
}
