//! Reads the etcd PVCs of an instance on its management cluster, and the events of those still
//! Pending, for `StorageReady`.

use k8s_openapi::api::core::v1::{Event, PersistentVolumeClaim};
use kube::Client;
use kube::api::{Api, ListParams};
use multicloud_api::MulticloudInstance;
use multicloud_api::instance::StorageType;
use multicloud_api::names::{self, KarmadaObjects};

use crate::context::Context;
use crate::status::{ClaimObservation, StorageObservation};

/// The state of the instance's etcd storage; `karmada_exists` says whether the operator could
/// have made PVCs yet.
pub async fn storage(
    ctx: &Context,
    instance: &MulticloudInstance,
    karmada_exists: bool,
) -> StorageObservation {
    let spec = &instance.spec;
    match spec.etcd.storage.type_ {
        StorageType::PersistentVolumeClaim if !karmada_exists => StorageObservation::NotRequested,
        StorageType::PersistentVolumeClaim => {
            let client = match ctx.clusters.client(&spec.management_cluster).await {
                Ok(client) => client,
                Err(blocker) => return StorageObservation::Unreachable(blocker.message),
            };
            let read = claims(client, instance);
            match tokio::time::timeout(ctx.settings.remote_timeout, read).await {
                Ok(Ok(claims)) => StorageObservation::Claims(claims),
                Ok(Err(error)) => StorageObservation::Unreachable(format!(
                    "management cluster `{}`: {error}",
                    spec.management_cluster
                )),
                Err(_) => StorageObservation::Unreachable(format!(
                    "management cluster `{}` did not answer within {}s",
                    spec.management_cluster,
                    ctx.settings.remote_timeout.as_secs()
                )),
            }
        }
        other => StorageObservation::NodeLocal(other),
    }
}

async fn claims(
    client: Client,
    instance: &MulticloudInstance,
) -> Result<Vec<ClaimObservation>, kube::Error> {
    let namespace = names::namespace(instance.name());
    let objects = KarmadaObjects::for_instance(instance.name());
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &namespace);
    let events: Api<Event> = Api::namespaced(client, &namespace);
    let listed = pvcs.list(&ListParams::default()).await?;
    let replicas = u32::try_from(instance.spec.etcd.replicas.max(1)).unwrap_or(1);
    let mut observed = Vec::new();
    for ordinal in 0..replicas {
        let name = objects.etcd_pvc(ordinal);
        let phase = listed
            .items
            .iter()
            .find(|pvc| pvc.metadata.name.as_deref() == Some(name.as_str()))
            .map(|pvc| {
                pvc.status
                    .as_ref()
                    .and_then(|s| s.phase.clone())
                    .unwrap_or_else(|| "Pending".into())
            });
        let last_event = if phase.as_deref() == Some("Pending") {
            let selector =
                format!("involvedObject.kind=PersistentVolumeClaim,involvedObject.name={name}");
            let list = events
                .list(&ListParams::default().fields(&selector))
                .await?;
            latest(&list.items)
        } else {
            None
        };
        observed.push(ClaimObservation {
            name,
            phase,
            last_event,
        });
    }
    Ok(observed)
}

/// The most recent event as `Reason: message`, preferring warnings: a Pending PVC's story is in
/// its last warning (ProvisioningFailed), not in the routine normal events around it.
fn latest(events: &[Event]) -> Option<String> {
    let when = |event: &Event| {
        event
            .last_timestamp
            .as_ref()
            .map(|t| t.0)
            .or(event.event_time.as_ref().map(|t| t.0))
            .or(event.first_timestamp.as_ref().map(|t| t.0))
            .or(event.metadata.creation_timestamp.as_ref().map(|t| t.0))
    };
    let warning = |event: &&Event| event.type_.as_deref() == Some("Warning");
    let chosen = events
        .iter()
        .filter(warning)
        .max_by_key(|e| when(e))
        .or_else(|| events.iter().max_by_key(|e| when(e)))?;
    let reason = chosen.reason.as_deref().unwrap_or("Event");
    let message = chosen.message.as_deref().unwrap_or_default().trim();
    Some(format!("{reason}: {message}"))
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use k8s_openapi::jiff::Timestamp;

    use super::*;

    fn event(type_: &str, reason: &str, message: &str, second: i64) -> Event {
        Event {
            type_: Some(type_.into()),
            reason: Some(reason.into()),
            message: Some(message.into()),
            last_timestamp: Timestamp::from_second(second).ok().map(Time),
            ..Event::default()
        }
    }

    #[test]
    fn latest_warning_tells_why_a_claim_is_pending() {
        let events = [
            event(
                "Warning",
                "ProvisioningFailed",
                "class \"gold\" not found",
                10,
            ),
            event("Normal", "WaitForFirstConsumer", "waiting", 20),
            event(
                "Warning",
                "ProvisioningFailed",
                "class \"gold\" still not found",
                15,
            ),
        ];
        assert_eq!(
            latest(&events).as_deref(),
            Some("ProvisioningFailed: class \"gold\" still not found")
        );
        assert_eq!(
            latest(&events[1..2]).as_deref(),
            Some("WaitForFirstConsumer: waiting")
        );
        assert_eq!(latest(&[]), None);
    }
}
