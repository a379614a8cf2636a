//! Small builders for tests.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::clusters::{ClusterCatalog, ClusterState, StorageClassInfo};
use crate::instance::{MulticloudInstance, MulticloudInstanceSpec};

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
