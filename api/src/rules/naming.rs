//! Naming: an instance's name must be one from which every object karmada-operator derives is
//! valid (the list and the limits are in [`crate::names`]), its virtual cluster name is exactly
//! `k-<name>`, and registered management clusters may not take the `k-` prefix.

use super::Violation;
use crate::instance::MulticloudInstance;
use crate::keys::{LOCAL_CLUSTER, VIRTUAL_CLUSTER_PREFIX};
use crate::names::{
    self, MAX_INSTANCE_NAME_LENGTH, MAX_KARMADA_INSTANCE_NAME_LENGTH, is_dns1035_label,
    is_dns1123_label,
};

/// Violations of the naming rules by an instance.
pub(super) fn check(instance: &MulticloudInstance) -> Vec<Violation> {
    let name = instance.name();
    let mut violations = Vec::new();
    if let Some(violation) = check_instance_name(name) {
        violations.push(violation);
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

/// Why `name` cannot name an instance, if it cannot.
pub(super) fn check_instance_name(name: &str) -> Option<Violation> {
    let field = "metadata.name";
    if !is_dns1035_label(name) {
        // The operator's Service names start with the instance name (`<name>-karmada-etcd`),
        // and a Service name must start with a letter.
        return Some(Violation::new(
            field,
            format!(
                "`{name}` must be a DNS-1035 label: lower-case letters, digits and '-', starting \
                 with a letter and ending with a letter or digit, because karmada-operator names \
                 Services after it (`{}`)",
                names::KarmadaObjects::for_instance(name).etcd_statefulset()
            ),
        ));
    }
    let longest = names::max_length_of(name);
    if name.len() <= longest {
        return None;
    }
    // The derived name that overflows first: the one with the least room for the instance name.
    let binding = names::derived_names(name)
        .into_iter()
        .filter(|d| !d.fits())
        .max_by_key(|d| d.name.len() - d.kind.max_length());
    let because = match binding {
        Some(derived) => format!(
            "karmada-operator would name its {} `{}` ({} characters), and {}",
            derived.kind,
            derived.name,
            derived.name.len(),
            derived.kind.limit_reason()
        ),
        None => "every object karmada-operator derives from it must stay valid".to_owned(),
    };
    Some(Violation::new(
        field,
        format!(
            "`{name}` has {} characters, at most {MAX_INSTANCE_NAME_LENGTH} are allowed \
             ({MAX_KARMADA_INSTANCE_NAME_LENGTH} when the name contains \"karmada\", which the \
             operator then does not add): {because}; choose a shorter name",
            name.len()
        ),
    ))
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
