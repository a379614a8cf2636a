//! Registered management clusters are Secrets in `multicloud-system` labelled
//! `multicloud.dev/cluster`: their names follow the cluster naming rules and they must hold a
//! usable kubeconfig under the key `kubeconfig`.

use k8s_openapi::api::core::v1::Secret;

use super::{Decision, Operation, Violation, naming};
use crate::keys::KUBECONFIG_KEY;
use crate::kubeconfig::{Target, insecure_warning, target_of};

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
    let target = kubeconfig_target(secret);
    let warnings = match &target {
        Ok(target) if target.skips_tls_verify && violations.is_empty() => {
            vec![insecure_warning(&format!(
                "the kubeconfig of cluster `{name}`"
            ))]
        }
        _ => Vec::new(),
    };
    violations.extend(target.err());
    Decision {
        warnings,
        ..Decision::deny(violations)
    }
}

fn kubeconfig_target(secret: &Secret) -> Result<Target, Violation> {
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
        return Err(Violation::new(
            field,
            format!(
                "is missing: a management cluster Secret holds its kubeconfig under the key `{KUBECONFIG_KEY}`"
            ),
        ));
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(Violation::new(
            field,
            "is not UTF-8 text, so it is not a kubeconfig",
        ));
    };
    target_of(&text).map_err(|e| Violation::new(field, format!("kubeconfig {e}")))
}
