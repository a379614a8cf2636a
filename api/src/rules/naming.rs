//! Naming: an instance's name must leave room for `k-`, its virtual cluster name is exactly
//! `k-<name>`, and registered management clusters may not take the `k-` prefix.

use super::Violation;
use crate::instance::MulticloudInstance;
use crate::keys::{LOCAL_CLUSTER, VIRTUAL_CLUSTER_PREFIX};
use crate::names::{MAX_INSTANCE_NAME_LENGTH, is_dns1123_label};

/// Violations of the naming rules by an instance.
pub(super) fn check(instance: &MulticloudInstance) -> Vec<Violation> {
    let name = instance.name();
    let mut violations = Vec::new();
    if !is_dns1123_label(name) || name.len() > MAX_INSTANCE_NAME_LENGTH {
        violations.push(Violation::new(
            "metadata.name",
            format!(
                "`{name}` must be a DNS-1123 label (lower-case letters, digits and '-', starting \
                 and ending with a letter or digit) of at most {MAX_INSTANCE_NAME_LENGTH} \
                 characters, so that its virtual cluster `{VIRTUAL_CLUSTER_PREFIX}<name>` fits in 63"
            ),
        ));
        return violations;
    }
    let expected = instance.expected_virtual_cluster();
    match instance.spec.virtual_cluster_name.as_deref() {
        Some(actual) if actual == expected => {}
        Some(actual) => violations.push(Violation::new(
            "spec.virtualClusterName",
            format!(
                "must be \"{expected}\" (the `{VIRTUAL_CLUSTER_PREFIX}` prefix and the instance \
                 name), not \"{actual}\"; remove the field and it is filled in"
            ),
        )),
        None => violations.push(Violation::new(
            "spec.virtualClusterName",
            format!(
                "is not set; it must be \"{expected}\". The mutating webhook sets it: check that \
                 multicloud-webhook's MutatingWebhookConfiguration is installed"
            ),
        )),
    }
    violations
}

/// The denial for a create that relies on `metadata.generateName`.
pub(super) fn generate_name_unsupported(instance: &MulticloudInstance) -> Violation {
    let prefix = instance
        .metadata
        .generate_name
        .as_deref()
        .unwrap_or_default();
    Violation::new(
        "metadata.name",
        format!(
            "is required: the virtual cluster `{VIRTUAL_CLUSTER_PREFIX}<name>` is derived from \
             it, so generateName (\"{prefix}\") cannot be used; choose a name"
        ),
    )
}

/// Violations by a management cluster name given to `cluster add` or to a cluster Secret.
pub fn check_cluster_name(name: &str) -> Vec<Violation> {
    let field = "metadata.name";
    if name == LOCAL_CLUSTER {
        return vec![Violation::new(
            field,
            format!(
                "`{LOCAL_CLUSTER}` is reserved for the global cluster itself; choose another name"
            ),
        )];
    }
    if name.starts_with(VIRTUAL_CLUSTER_PREFIX) {
        return vec![Violation::new(
            field,
            format!(
                "`{name}` starts with `{VIRTUAL_CLUSTER_PREFIX}`, which is reserved for virtual \
                 clusters; choose a name without it"
            ),
        )];
    }
    if !is_dns1123_label(name) {
        return vec![Violation::new(
            field,
            format!(
                "`{name}` must be a DNS-1123 label (lower-case letters, digits and '-', starting \
                 and ending with a letter or digit, at most 63 characters)"
            ),
        )];
    }
    Vec::new()
}
