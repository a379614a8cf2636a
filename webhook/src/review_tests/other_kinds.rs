//! Cluster Secrets, everything the rules do not govern, and bodies that are not reviews.

use base64::Engine as _;
use serde_json::{Value, json};

use super::*;
use crate::review::ReviewError;

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
    assert!(reply.mutate(&ClusterCatalog::default()).allowed);

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
