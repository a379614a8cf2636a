//! Every rule path through the review layer: what goes in on the wire, what comes out.

mod instances;
mod other_kinds;

use base64::Engine as _;
use multicloud_api::clusters::{ClusterCatalog, ClusterState, StorageClassInfo};
use serde_json::{Value, json};

use super::Review;
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
