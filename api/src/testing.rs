//! Builders for tests, here and in the crates built on this API (feature `testing`): the
//! objects the API server and karmada-operator send, written once.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value, json};

use crate::clusters::{ClusterCatalog, ClusterState, StorageClassInfo};
use crate::instance::{MulticloudInstance, MulticloudInstanceSpec};
use crate::karmada::{KarmadaCondition, KarmadaStatus};

/// A new instance named `name` with every default.
pub fn instance(name: &str) -> MulticloudInstance {
    MulticloudInstance {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            ..ObjectMeta::default()
        },
        spec: MulticloudInstanceSpec::default(),
        status: None,
    }
}

/// `local` with a default class `standard` and a class `fast`.
pub fn local_with_default_class() -> ClusterCatalog {
    ClusterCatalog::local(ClusterState::ready(vec![
        StorageClassInfo::new("standard", true),
        StorageClassInfo::new("fast", false),
    ]))
}

/// A Karmada status as karmada-operator reports it: one `Ready` condition.
pub fn karmada_status(status: &str, reason: &str, message: &str) -> KarmadaStatus {
    KarmadaStatus {
        conditions: vec![KarmadaCondition {
            type_: "Ready".into(),
            status: status.into(),
            reason: reason.into(),
            message: message.into(),
            last_transition_time: None,
        }],
        ..KarmadaStatus::default()
    }
}

/// The `admission.k8s.io/v1` AdmissionReview the API server sends when user `admin` creates
/// instance `name` with `spec` (not as a dry run).
pub fn create_review(uid: &str, name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "multicloud.dev", "version": "v1alpha1", "kind": "MulticloudInstance"},
            "resource": {"group": "multicloud.dev", "version": "v1alpha1", "resource": "multicloudinstances"},
            "name": name,
            "operation": "CREATE",
            "userInfo": {"username": "admin"},
            "object": {
                "apiVersion": "multicloud.dev/v1alpha1",
                "kind": "MulticloudInstance",
                "metadata": {"name": name},
                "spec": spec,
            },
            "dryRun": false,
        },
    })
}
