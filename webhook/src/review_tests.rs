//! Every rule path through the review layer: what goes in on the wire, what comes out.

use base64::Engine as _;
use multicloud_api::clusters::{ClusterCatalog, ClusterState, StorageClassInfo};
use serde_json::{Value, json};

use super::*;
use crate::wire::Reply;

const UID: &str = "0d5e7a4c-6c1f-4bb0-9a51-2f3c1b8a1e11";

fn body(
    kind: Value,
    operation: &str,
    namespace: Option<&str>,
    object: Value,
    old: Value,
) -> Vec<u8> {
    let mut request = json!({
        "uid": UID,
        "kind": kind,
        "resource": {"group": "multicloud.dev", "version": "v1alpha1", "resource": "multicloudinstances"},
        "name": "demo",
        "operation": operation,
        "userInfo": {"username": "admin"},
        "object": object,
        "oldObject": old,
        "dryRun": false,
    });
    if let Some(namespace) = namespace {
        request["namespace"] = json!(namespace);
    }
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": request,
    }))
    .expect("serializes")
}

fn instance_kind() -> Value {
    json!({"group": "multicloud.dev", "version": "v1alpha1", "kind": "MulticloudInstance"})
}

fn instance(name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "multicloud.dev/v1alpha1",
        "kind": "MulticloudInstance",
        "metadata": {"name": name},
        "spec": spec,
    })
}

fn admitted(name: &str, spec: Value) -> Value {
    let mut object = instance(name, spec);
    object["spec"]["virtualClusterName"] = json!(format!("k-{name}"));
    object
}

fn review(operation: &str, object: Value, old: Value) -> Review {
    Review::parse(&body(instance_kind(), operation, None, object, old)).expect("parses")
}

fn with_default_class() -> ClusterCatalog {
    ClusterCatalog::local(ClusterState::ready(vec![StorageClassInfo::new(
        "standard", true,
    )]))
}

fn patch_of(reply: &Reply) -> Vec<Value> {
    let encoded = reply.patch.as_ref().expect("has a patch");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("patch is base64");
    serde_json::from_slice(&bytes).expect("patch is JSON")
}

fn wire(reply: Reply) -> Value {
    serde_json::from_slice(&reply.to_json().expect("encodes")).expect("JSON")
}

#[test]
fn mutating_a_new_instance_fills_in_the_derived_fields() {
    let reply = review(
        "CREATE",
        instance("demo", json!({"etcd": {"replicas": 3}})),
        Value::Null,
    )
    .mutate();
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
    let reply = review("UPDATE", object.clone(), object).mutate();
    assert!(reply.allowed);
    assert!(reply.patch.is_none());
    assert!(wire(reply)["response"].get("patchType").is_none());
}

#[test]
fn mutating_a_generated_name_is_denied() {
    let mut object = instance("", json!({}));
    object["metadata"] = json!({"generateName": "gen-"});
    let reply = review("CREATE", object, Value::Null).mutate();
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
    let reply = review("DELETE", Value::Null, admitted("demo", json!({}))).mutate();
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
    let reply =
        review("CREATE", admitted("demo", json!({})), Value::Null).validate(&with_default_class());
    assert!(reply.allowed, "{}", reply.message());
    assert!(reply.warnings.is_empty());
    assert!(reply.patch.is_none());
}

#[test]
fn a_host_path_instance_is_admitted_with_a_warning() {
    let spec = json!({"etcd": {"storage": {"type": "HostPath", "hostPath": "/data/etcd"}}});
    let reply = review("CREATE", admitted("demo", spec), Value::Null)
        .validate(&ClusterCatalog::local(ClusterState::ready(vec![])));
    assert!(reply.allowed, "{}", reply.message());
    let warnings = reply.warnings.clone();
    assert!(warnings[0].contains("not highly available"), "{warnings:?}");
    assert_eq!(wire(reply)["response"]["warnings"][0], json!(warnings[0]));
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
fn updates_may_change_replicas_but_not_storage() {
    let old = admitted("demo", json!({"etcd": {"replicas": 1}}));
    let more = admitted("demo", json!({"etcd": {"replicas": 3}}));
    let reply = review("UPDATE", more, old.clone()).validate(&with_default_class());
    assert!(reply.allowed, "{}", reply.message());

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
    assert!(!review("CREATE", object, Value::Null).mutate().allowed);
}

fn secret(name: &str, kubeconfig: Option<&str>, labelled: bool) -> Value {
    let mut secret = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "multicloud-system"},
    });
    if labelled {
        secret["metadata"]["labels"] = json!({"multicloud.dev/cluster": "true"});
    }
    if let Some(kubeconfig) = kubeconfig {
        let encoded = base64::engine::general_purpose::STANDARD.encode(kubeconfig);
        secret["data"] = json!({"kubeconfig": encoded});
    }
    secret
}

const KUBECONFIG: &str = r#"
apiVersion: v1
kind: Config
clusters: [{name: edge, cluster: {server: "https://127.0.0.1:6443"}}]
contexts: [{name: edge, context: {cluster: edge, user: admin}}]
users: [{name: admin, user: {token: abc}}]
current-context: edge
"#;

fn secret_review(operation: &str, namespace: &str, object: Value) -> Reply {
    let kind = json!({"group": "", "version": "v1", "kind": "Secret"});
    Review::parse(&body(kind, operation, Some(namespace), object, Value::Null))
        .expect("parses")
        .validate(&with_default_class())
}

#[test]
fn cluster_secrets_are_checked_for_name_and_kubeconfig() {
    let reply = secret_review(
        "CREATE",
        "multicloud-system",
        secret("edge-1", Some(KUBECONFIG), true),
    );
    assert!(reply.allowed, "{}", reply.message());

    let reply = secret_review(
        "CREATE",
        "multicloud-system",
        secret("k-edge", Some(KUBECONFIG), true),
    );
    assert!(!reply.allowed && reply.message().contains("reserved for virtual clusters"));

    let reply = secret_review("UPDATE", "multicloud-system", secret("edge-1", None, true));
    assert!(
        !reply.allowed && reply.message().contains("kubeconfig"),
        "{}",
        reply.message()
    );

    let reply = secret_review(
        "CREATE",
        "multicloud-system",
        secret("edge-1", Some("not: [a kubeconfig"), true),
    );
    assert!(!reply.allowed, "{}", reply.message());
    assert_eq!(reply.uid, UID);
}

#[test]
fn secrets_that_are_not_cluster_secrets_are_admitted() {
    assert!(secret_review("CREATE", "multicloud-system", secret("k-edge", None, false)).allowed);
    assert!(secret_review("CREATE", "default", secret("k-edge", None, true)).allowed);
    assert!(secret_review("DELETE", "multicloud-system", Value::Null).allowed);
}

#[test]
fn subresources_other_kinds_and_connect_are_admitted() {
    let mut request: Value = serde_json::from_slice(&body(
        instance_kind(),
        "UPDATE",
        None,
        admitted("demo", json!({"etcd": {"replicas": "bad"}})),
        Value::Null,
    ))
    .expect("JSON");
    request["request"]["subResource"] = json!("status");
    let reply = Review::parse(&serde_json::to_vec(&request).expect("JSON"))
        .expect("parses")
        .validate(&with_default_class());
    assert!(reply.allowed);

    let pod = json!({"group": "", "version": "v1", "kind": "Pod"});
    let reply = Review::parse(&body(
        pod,
        "CREATE",
        Some("default"),
        json!({"metadata": {"name": "p"}}),
        Value::Null,
    ))
    .expect("parses");
    assert!(reply.mutate().allowed);

    let reply = review("CONNECT", Value::Null, Value::Null);
    assert_eq!(reply.operation_label(), "CONNECT");
    assert!(reply.validate(&with_default_class()).allowed);
}

#[test]
fn bodies_that_are_not_reviews_are_errors() {
    assert!(matches!(
        Review::parse(b"not json"),
        Err(ReviewError::Decode(_))
    ));
    assert!(matches!(
        Review::parse(br#"{"request": {"uid": 1}}"#),
        Err(ReviewError::Decode(_))
    ));
    let response_only = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"x","allowed":true,"status":{}}}"#;
    assert!(matches!(
        Review::parse(response_only),
        Err(ReviewError::NoRequest)
    ));
    let message = Review::parse(b"[]")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        message.contains("not an admission.k8s.io/v1 AdmissionReview"),
        "{message}"
    );
}
