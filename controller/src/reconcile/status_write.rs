//! Writes a derived status through the status subresource, only when it differs from the stored
//! one, and publishes an Event when the phase changed.

use kube::api::{Api, Patch, PatchParams};
use multicloud_api::{MulticloudInstance, MulticloudInstanceStatus};
use serde_json::{Map, Value};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::events;

/// Writes `derived` as the status of `instance` if it changed.
pub async fn write(
    ctx: &Context,
    instance: &MulticloudInstance,
    derived: MulticloudInstanceStatus,
) -> Result<()> {
    let previous = instance.status.as_ref();
    if previous == Some(&derived) {
        return Ok(());
    }
    let name = instance.name();
    let patch = merge_patch(previous, &derived)?;
    let api: Api<MulticloudInstance> = Api::all(ctx.client.clone());
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .map_err(|e| Error::kube(format!("write the status of instance {name}"), e))?;
    tracing::debug!(instance = name, phase = ?derived.phase, "status written");
    let event = events::transition(previous.and_then(|s| s.phase), &derived);
    let announce = derived
        .phase
        .is_some_and(|phase| ctx.recorder.announce(name, phase));
    if let (Some(event), true) = (event, announce) {
        events::publish(&ctx.recorder, instance, event).await;
    }
    Ok(())
}

/// A merge patch turning `previous` into `derived`: fields `derived` no longer has are nulled,
/// since a merge patch otherwise keeps them.
fn merge_patch(
    previous: Option<&MulticloudInstanceStatus>,
    derived: &MulticloudInstanceStatus,
) -> Result<Value> {
    let encode = |status: &MulticloudInstanceStatus| {
        serde_json::to_value(status).map_err(|source| Error::Encode {
            what: "instance status".into(),
            source,
        })
    };
    let mut status = match encode(derived)? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    if let Some(Value::Object(old)) = previous.map(encode).transpose()? {
        for key in old.keys() {
            status.entry(key.clone()).or_insert(Value::Null);
        }
    }
    Ok(serde_json::json!({ "status": status }))
}

#[cfg(test)]
mod tests {
    use multicloud_api::ObjectRef;
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_gone_from_the_status_are_nulled() {
        let previous = MulticloudInstanceStatus {
            kubeconfig_secret_ref: Some(ObjectRef {
                namespace: "k-demo".into(),
                name: "demo-karmada-admin-config".into(),
            }),
            ..MulticloudInstanceStatus::default()
        };
        let patch =
            merge_patch(Some(&previous), &MulticloudInstanceStatus::default()).expect("encodes");
        assert_eq!(patch["status"]["kubeconfigSecretRef"], Value::Null);
        assert_eq!(patch["status"]["memberClusters"], json!(0));
    }
}
