//! Server-side apply of the install set, and deletion for `uninstall`, without discovery: the
//! install set has a known, small set of kinds.

use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::core::ApiResource;
use multicloud_api::keys::FIELD_MANAGER;
use serde_json::Value;

use super::manifests::describe;
use crate::error::CmdError;

/// Plural and scope of each kind the install set holds.
const KINDS: &[(&str, &str, bool)] = &[
    ("Namespace", "namespaces", false),
    (
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
    ),
    ("ServiceAccount", "serviceaccounts", true),
    ("ClusterRole", "clusterroles", false),
    ("ClusterRoleBinding", "clusterrolebindings", false),
    ("Role", "roles", true),
    ("RoleBinding", "rolebindings", true),
    ("Issuer", "issuers", true),
    ("Certificate", "certificates", true),
    ("Secret", "secrets", true),
    ("Service", "services", true),
    ("Deployment", "deployments", true),
    ("PodDisruptionBudget", "poddisruptionbudgets", true),
    (
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        false,
    ),
    (
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        false,
    ),
];

/// The API of `object`'s kind (in its namespace), and its name.
fn api_for(client: &Client, object: &Value) -> Result<(Api<DynamicObject>, String), CmdError> {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let kind = object["kind"].as_str().unwrap_or_default();
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let (_, plural, namespaced) = KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .ok_or_else(|| CmdError::msg(format!("the install set holds an unexpected kind {kind}")))?;
    let resource =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    let api = match (namespaced, object["metadata"]["namespace"].as_str()) {
        (true, Some(namespace)) => Api::namespaced_with(client.clone(), namespace, &resource),
        (true, None) => Api::default_namespaced_with(client.clone(), &resource),
        (false, _) => Api::all_with(client.clone(), &resource),
    };
    Ok((api, name))
}

/// What applying an object did, as kubectl says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// It did not exist.
    Created,
    /// It changed.
    Configured,
    /// It already was as applied.
    Unchanged,
}

/// Server-side applies `object`, taking ownership of its fields from other managers (an install
/// is authoritative for what it installs).
pub async fn apply(client: &Client, object: &Value) -> Result<Applied, CmdError> {
    let (api, name) = api_for(client, object)?;
    let what = describe(object);
    let before = api
        .get_opt(&name)
        .await
        .map_err(|e| CmdError::kube(format!("failed to read {what}"), e))?;
    let after = api
        .patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(object),
        )
        .await
        .map_err(|e| CmdError::kube(format!("failed to apply {what}"), e))?;
    Ok(match before {
        None => Applied::Created,
        Some(before) if content(&before) == content(&after) => Applied::Unchanged,
        Some(_) => Applied::Configured,
    })
}

/// What an apply can change: the object without its bookkeeping (resource version, managed
/// fields, which older API servers touch even on a no-op apply) and without its status.
fn content(object: &DynamicObject) -> Value {
    let mut value = serde_json::to_value(object).unwrap_or_default();
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("resourceVersion");
        metadata.remove("managedFields");
    }
    if let Some(object) = value.as_object_mut() {
        object.remove("status");
    }
    value
}

/// Deletes `object` if it exists; `Ok(false)` when it (or its kind) is not there.
pub async fn delete(client: &Client, object: &Value) -> Result<bool, CmdError> {
    let (api, name) = api_for(client, object)?;
    match api.delete(&name, &DeleteParams::background()).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(false),
        Err(e) => Err(CmdError::kube(
            format!("failed to delete {}", describe(object)),
            e,
        )),
    }
}
