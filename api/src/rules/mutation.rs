//! The mutating side: the patch that fills in what derives from the instance's name and storage.
//!
//! Every operation is computed from the object as it is, so the patch for an already patched
//! object is empty: the API server may reinvoke the webhook without anything changing twice.

use std::collections::BTreeMap;

use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, PatchOperation, RemoveOperation};
use serde_json::Value;

use super::availability::assess;
use crate::instance::{MulticloudInstance, StorageType};
use crate::keys::{
    HIGH_AVAILABILITY_ANNOTATION, HIGH_AVAILABILITY_REASON_ANNOTATION, VIRTUAL_CLUSTER_LABEL,
};
use crate::names;

/// What the default host path of a new instance is made of.
#[derive(Debug, Clone, Copy)]
pub(super) struct HostPathDefault<'a> {
    /// The directory every host path lies under.
    pub root: &'a str,
    /// The admission request's uid, the source of the creation token.
    pub request_uid: &'a str,
}

/// The JSON Patch that brings `instance` to its admitted form. `new_host_path` is given on
/// CREATE only: an update never moves etcd's data, and the path is immutable.
pub(super) fn patch(
    instance: &MulticloudInstance,
    new_host_path: Option<HostPathDefault<'_>>,
) -> Vec<PatchOperation> {
    let mut ops = Vec::new();
    let name = instance.name();
    // A name that is not admissible is denied by validation; deriving a label from it would
    // only make the API server reject the object with a less helpful message first.
    let name_ok = names::is_instance_name(name);
    let availability = assess(&instance.spec);

    let mut labels = BTreeMap::new();
    if name_ok {
        labels.insert(
            VIRTUAL_CLUSTER_LABEL,
            Some(instance.expected_virtual_cluster()),
        );
    }
    sync_map(
        &mut ops,
        "labels",
        instance.metadata.labels.as_ref(),
        labels,
    );

    let mut annotations = BTreeMap::new();
    annotations.insert(
        HIGH_AVAILABILITY_ANNOTATION,
        Some(availability.high_availability.to_string()),
    );
    annotations.insert(
        HIGH_AVAILABILITY_REASON_ANNOTATION,
        availability.reason.map(|r| r.message().to_owned()),
    );
    sync_map(
        &mut ops,
        "annotations",
        instance.metadata.annotations.as_ref(),
        annotations,
    );

    if name_ok {
        let spec = &instance.spec;
        if spec
            .virtual_cluster_name
            .as_deref()
            .is_none_or(str::is_empty)
        {
            ops.push(add(
                &["spec", "virtualClusterName"],
                instance.expected_virtual_cluster().into(),
            ));
        }
        let storage = &spec.etcd.storage;
        if let Some(default) = new_host_path
            && storage.type_ == StorageType::HostPath
            && storage.host_path().is_none()
        {
            let path = names::default_host_path(
                default.root,
                &instance.expected_virtual_cluster(),
                &names::creation_token(default.request_uid),
            );
            ops.push(add(&["spec", "etcd", "storage", "hostPath"], path.into()));
        }
    }
    ops
}

/// Operations making the metadata map `field` hold `wanted` (`None` values: key absent).
fn sync_map(
    ops: &mut Vec<PatchOperation>,
    field: &str,
    current: Option<&BTreeMap<String, String>>,
    wanted: BTreeMap<&str, Option<String>>,
) {
    let Some(current) = current else {
        let map: serde_json::Map<String, Value> = wanted
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), Value::String(v))))
            .collect();
        if !map.is_empty() {
            // The map must exist before a key can be added to it.
            ops.push(add(&["metadata", field], Value::Object(map)));
        }
        return;
    };
    for (key, value) in wanted {
        match (current.get(key), value) {
            (Some(have), Some(want)) if *have == want => {}
            (_, Some(want)) => ops.push(add(&["metadata", field, key], want.into())),
            (Some(_), None) => ops.push(PatchOperation::Remove(RemoveOperation {
                path: PointerBuf::from_tokens(["metadata", field, key]),
            })),
            (None, None) => {}
        }
    }
}

fn add(tokens: &[&str], value: Value) -> PatchOperation {
    PatchOperation::Add(AddOperation {
        path: PointerBuf::from_tokens(tokens.iter().copied()),
        value,
    })
}
