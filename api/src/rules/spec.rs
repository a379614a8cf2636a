//! Checks of the spec on its own: replica counts and storage fields that fit the storage type
//! (the karmada version is `version.rs`'s).

use super::Violation;
use crate::instance::{ALLOWED_ETCD_REPLICAS, EtcdStorage, MulticloudInstanceSpec, StorageType};
use crate::names::is_dns1123_label;
use crate::quantity::is_positive_quantity;

/// Longest display name accepted.
pub const MAX_DISPLAY_NAME_LENGTH: usize = 256;

/// Violations of the spec-only rules.
pub(super) fn check(spec: &MulticloudInstanceSpec) -> Vec<Violation> {
    let mut violations = Vec::new();
    if !is_dns1123_label(&spec.management_cluster) {
        violations.push(Violation::new(
            "spec.managementCluster",
            format!(
                "`{}` is not a cluster name; use `local` or a cluster registered with \
                 `kubectl multicloud cluster add`",
                spec.management_cluster
            ),
        ));
    }
    if !ALLOWED_ETCD_REPLICAS.contains(&spec.etcd.replicas) {
        violations.push(Violation::new(
            "spec.etcd.replicas",
            format!(
                "{} is not allowed; use 1, 3, 5 or 7 (an odd count keeps an etcd quorum)",
                spec.etcd.replicas
            ),
        ));
    }
    if let Some(display) = &spec.display_name
        && (display.chars().count() > MAX_DISPLAY_NAME_LENGTH
            || display.chars().any(char::is_control))
    {
        violations.push(Violation::new(
            "spec.displayName",
            format!(
                "must be at most {MAX_DISPLAY_NAME_LENGTH} characters without control characters"
            ),
        ));
    }
    violations.extend(check_storage(&spec.etcd.storage, spec.etcd.replicas));
    violations
}

fn check_storage(storage: &EtcdStorage, replicas: i32) -> Vec<Violation> {
    let mut violations = Vec::new();
    let kind = storage.type_;
    let only_for = |field: &str, owner: StorageType| {
        Violation::new(
            format!("spec.etcd.storage.{field}"),
            format!("applies to {owner} storage only, and this instance uses {kind}; remove it"),
        )
    };
    if kind != StorageType::PersistentVolumeClaim {
        if storage.class_name().is_some() {
            violations.push(only_for(
                "storageClassName",
                StorageType::PersistentVolumeClaim,
            ));
        }
        if storage.size.as_deref().is_some_and(|s| !s.is_empty()) {
            violations.push(only_for("size", StorageType::PersistentVolumeClaim));
        }
    }
    if kind != StorageType::HostPath && storage.host_path().is_some() {
        violations.push(only_for("hostPath", StorageType::HostPath));
    }
    match kind {
        StorageType::PersistentVolumeClaim => {
            if let Some(class) = storage.class_name()
                && !is_dns_subdomain(class)
            {
                violations.push(Violation::new(
                    "spec.etcd.storage.storageClassName",
                    format!("`{class}` is not a valid StorageClass name"),
                ));
            }
            let size = storage.size_or_default();
            if !is_positive_quantity(size) {
                violations.push(Violation::new(
                    "spec.etcd.storage.size",
                    format!("\"{size}\" is not a positive quantity; use a size such as 5Gi"),
                ));
            }
        }
        StorageType::HostPath => {
            // Where the path may be is checked on CREATE (host_path.rs), against the webhook's
            // root and the other instances; afterwards it is immutable.
            if replicas != 1 {
                violations.push(Violation::new(
                    "spec.etcd.replicas",
                    format!(
                        "HostPath storage needs exactly 1 etcd replica (got {replicas}): every \
                         member would share one node's directory; use PersistentVolumeClaim \
                         storage for more"
                    ),
                ));
            }
        }
        StorageType::EmptyDir => {}
    }
    violations
}

/// Whether `name` is a DNS-1123 subdomain (the rule for StorageClass names).
fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns1123_label)
}
