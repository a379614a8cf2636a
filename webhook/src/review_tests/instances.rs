//! MulticloudInstances: mutation, validation, clusters, undecodable objects.

use multicloud_api::clusters::{ClusterCatalog, ClusterState};
use serde_json::{Value, json};

use super::*;

#[test]
fn mutating_a_new_instance_fills_in_the_derived_fields() {
    let reply = review(
        "CREATE",
        instance("demo", json!({"etcd": {"replicas": 3}})),
        Value::Null,
    )
    .mutate(&ClusterCatalog::default());
    assert!(reply.allowed);
    assert_eq!(reply.uid, UID);
    let ops = patch_of(&reply);
    let paths: Vec<&str> = ops.iter().filter_map(|op| op["path"].as_str()).collect();
    assert!(paths.contains(&"/spec/virtualClusterName"), "{paths:?}");
    let text = serde_json::to_string(&ops).expect("JSON");
    assert!(
        text.contains(r#""multicloud.dev/high-availability":"true""#),
        "{text}"
    );
    assert!(text.contains("k-demo"));
    let wire = wire(reply);
    assert_eq!(wire["response"]["patchType"], "JSONPatch");
    assert_eq!(wire["response"]["uid"], UID);
    assert_eq!(wire["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(wire["kind"], "AdmissionReview");
}

#[test]
fn mutating_an_admitted_instance_sends_no_patch() {
    let mut object = admitted("demo", json!({"etcd": {"replicas": 3}}));
    object["metadata"]["labels"] = json!({"multicloud.dev/virtual-cluster": "k-demo"});
    object["metadata"]["annotations"] = json!({"multicloud.dev/high-availability": "true"});
    let reply = review("UPDATE", object.clone(), object).mutate(&ClusterCatalog::default());
    assert!(reply.allowed);
    assert!(reply.patch.is_none());
    assert!(wire(reply)["response"].get("patchType").is_none());
}

#[test]
fn mutating_a_generated_name_is_denied() {
    let mut object = instance("", json!({}));
    object["metadata"] = json!({"generateName": "gen-"});
    let reply = review("CREATE", object, Value::Null).mutate(&ClusterCatalog::default());
    assert!(!reply.allowed);
    assert!(
        reply.message().contains("generateName"),
        "{}",
        reply.message()
    );
    assert_eq!(reply.uid, UID);
}

#[test]
fn mutating_a_delete_admits_without_a_patch() {
    let reply = review("DELETE", Value::Null, admitted("demo", json!({})))
        .mutate(&ClusterCatalog::default());
    assert!(reply.allowed && reply.patch.is_none());
}

#[test]
fn an_instance_without_a_storage_class_is_denied_with_the_fix() {
    let catalog = ClusterCatalog::local(ClusterState::ready(vec![]));
    let reply = review("CREATE", admitted("demo", json!({})), Value::Null).validate(&catalog);
    assert!(!reply.allowed);
    assert_eq!(reply.uid, UID);
    assert_eq!(reply.status.as_ref().map(|s| s.code), Some(403));
    assert_eq!(
        wire(reply.clone())["response"]["status"]["reason"],
        "Forbidden"
    );
    let message = &reply.message();
    assert!(
        message.contains("has no StorageClass") && message.contains("--host-path"),
        "{message}"
    );
}

#[test]
fn an_instance_with_a_default_class_is_admitted() {
    // Three replicas: the default single one is admitted with the not-HA warning.
    let spec = json!({"etcd": {"replicas": 3}});
    let reply =
        review("CREATE", admitted("demo", spec), Value::Null).validate(&with_default_class());
    assert!(reply.allowed, "{}", reply.message());
    assert!(reply.warnings.is_empty());
    assert!(reply.patch.is_none());
}

#[test]
fn a_host_path_instance_is_admitted_with_a_warning() {
    let spec = json!({"etcd": {"storage": {"type": "HostPath", "hostPath": "/var/lib/multicloud/k-demo/etcd"}}});
    let reply = review("CREATE", admitted("demo", spec), Value::Null)
        .validate(&ClusterCatalog::local(ClusterState::ready(vec![])));
    assert!(reply.allowed, "{}", reply.message());
    let warnings = reply.warnings.clone();
    assert!(warnings[0].contains("not highly available"), "{warnings:?}");
    assert_eq!(wire(reply)["response"]["warnings"][0], json!(warnings[0]));
}

#[test]
fn the_default_host_path_carries_the_request_uid() {
    let spec = json!({"etcd": {"storage": {"type": "HostPath"}}});
    let reply =
        review("CREATE", instance("demo", spec), Value::Null).mutate(&ClusterCatalog::default());
    let ops = patch_of(&reply);
    let path = ops
        .iter()
        .find(|op| op["path"] == "/spec/etcd/storage/hostPath")
        .map(|op| op["value"].clone());
    // UID starts 0d5e7a4c.
    assert_eq!(
        path,
        Some(json!("/var/lib/multicloud/k-demo-0d5e7a4c/etcd"))
    );
}

#[test]
fn a_foreign_virtual_cluster_name_is_denied() {
    let mut object = admitted("demo", json!({}));
    object["spec"]["virtualClusterName"] = json!("foo");
    let reply = review("CREATE", object, Value::Null).validate(&with_default_class());
    assert!(!reply.allowed);
    assert!(
        reply.message().contains("\"k-demo\""),
        "{}",
        reply.message()
    );
}

#[test]
fn updates_may_change_the_version_but_not_replicas_or_storage() {
    let old = admitted(
        "demo",
        json!({"etcd": {"replicas": 1}, "karmada": {"version": "v1.17.5"}}),
    );
    let newer = admitted(
        "demo",
        json!({"etcd": {"replicas": 1}, "karmada": {"version": "v1.18.2"}}),
    );
    let reply = review("UPDATE", newer, old.clone()).validate(&with_default_class());
    assert!(reply.allowed, "{}", reply.message());
    let more = admitted("demo", json!({"etcd": {"replicas": 3}}));
    let reply = review("UPDATE", more, old.clone()).validate(&with_default_class());
    assert!(!reply.allowed);
    assert!(
        reply.message().contains("spec.etcd.replicas: is immutable"),
        "{}",
        reply.message()
    );

    let moved = admitted("demo", json!({"etcd": {"storage": {"type": "EmptyDir"}}}));
    let reply = review("UPDATE", moved, old).validate(&with_default_class());
    assert!(!reply.allowed);
    assert!(
        reply.message().contains("spec.etcd.storage"),
        "{}",
        reply.message()
    );
}

#[test]
fn deleting_an_instance_with_members_is_denied() {
    let mut old = admitted("demo", json!({}));
    old["status"] = json!({"memberClusters": 2});
    let reply = review("DELETE", Value::Null, old).validate(&with_default_class());
    assert!(!reply.allowed);
    assert!(
        reply.message().contains("2 member clusters"),
        "{}",
        reply.message()
    );

    let reply =
        review("DELETE", Value::Null, admitted("demo", json!({}))).validate(&with_default_class());
    assert!(reply.allowed);
}

#[test]
fn clusters_that_are_unknown_not_synced_or_unreachable_are_denied_as_such() {
    let catalog = with_default_class()
        .with("edge-1", ClusterState::NotSynced)
        .with(
            "edge-2",
            ClusterState::Unreachable {
                reason: "connection refused".into(),
            },
        );
    let on = |cluster: &str| {
        let reply = review(
            "CREATE",
            admitted("demo", json!({"managementCluster": cluster})),
            Value::Null,
        );
        assert_eq!(reply.cluster_to_consult(), Some(cluster));
        reply.validate(&catalog).message().to_owned()
    };
    assert!(on("edge-1").contains("not synced"));
    let unreachable = on("edge-2");
    assert!(unreachable.contains("unreachable") && unreachable.contains("connection refused"));
    let unknown = on("edge-3");
    assert!(
        unknown.contains("not registered") && unknown.contains("edge-1, edge-2, local"),
        "{unknown}"
    );
}

#[test]
fn only_new_instances_consult_their_cluster() {
    let old = admitted("demo", json!({}));
    assert_eq!(
        review("UPDATE", old.clone(), old.clone()).cluster_to_consult(),
        None
    );
    assert_eq!(
        review("DELETE", Value::Null, old).cluster_to_consult(),
        None
    );
}

#[test]
fn an_instance_that_does_not_decode_is_denied_naming_the_problem() {
    let object = admitted("demo", json!({"etcd": {"replicas": "three"}}));
    let reply = review("CREATE", object.clone(), Value::Null).validate(&with_default_class());
    assert!(!reply.allowed);
    assert_eq!(reply.uid, UID);
    assert!(
        reply.message().contains("not a valid MulticloudInstance"),
        "{}",
        reply.message()
    );
    assert!(reply.message().contains("three"), "{}", reply.message());
    assert!(
        !review("CREATE", object, Value::Null)
            .mutate(&ClusterCatalog::default())
            .allowed
    );
}
