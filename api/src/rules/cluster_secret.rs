//! Registered management clusters are Secrets in `multicloud-system` labelled
//! `multicloud.dev/cluster`: their names follow the cluster naming rules and they must hold a
//! usable kubeconfig under the key `kubeconfig`.

use k8s_openapi::api::core::v1::Secret;

use super::{Decision, Operation, Violation, naming};
use crate::keys::KUBECONFIG_KEY;
use crate::kubeconfig::server_of;

/// The validating decision for a write of a management cluster Secret.
pub fn validate(operation: Operation, secret: Option<&Secret>) -> Decision {
    let secret = match (operation, secret) {
        (Operation::Delete, _) => return Decision::default(),
        (_, Some(secret)) => secret,
        (_, None) => return Decision::deny(vec![super::missing_object()]),
    };
    if secret.metadata.deletion_timestamp.is_some() {
        return Decision::default();
    }
    let name = secret.metadata.name.as_deref().unwrap_or_default();
    let mut violations = naming::check_cluster_name(name);
    violations.extend(kubeconfig_violation(secret));
    Decision::deny(violations)
}

fn kubeconfig_violation(secret: &Secret) -> Option<Violation> {
    let field = format!("data.{KUBECONFIG_KEY}");
    let bytes = secret
        .data
        .as_ref()
        .and_then(|d| d.get(KUBECONFIG_KEY))
        .map(|b| b.0.clone())
        .or_else(|| {
            secret
                .string_data
                .as_ref()
                .and_then(|d| d.get(KUBECONFIG_KEY))
                .map(|s| s.clone().into_bytes())
        });
    let Some(bytes) = bytes else {
        return Some(Violation::new(
            field,
            format!(
                "is missing: a management cluster Secret holds its kubeconfig under the key `{KUBECONFIG_KEY}`"
            ),
        ));
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Some(Violation::new(
            field,
            "is not UTF-8 text, so it is not a kubeconfig",
        ));
    };
    server_of(&text)
        .err()
        .map(|e| Violation::new(field, format!("kubeconfig {e}")))
}
