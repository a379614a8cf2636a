//! Installing a CustomResourceDefinition the way a test needs it: applied, and served before
//! the test creates its first custom resource.

use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, Patch, PatchParams};
use tokio::time::Instant;

use crate::Error;

/// Field manager of the harness's server-side applies.
const FIELD_MANAGER: &str = "multicloud-testenv";

/// Bound on a CRD becoming Established.
const ESTABLISHED_TIMEOUT: Duration = Duration::from_secs(30);

/// Server-side applies `crd` (forcing ownership of its fields) and waits, at most 30 s, until
/// the API server reports it `Established`, i.e. serves its resources.
pub async fn apply_crd(client: &kube::Client, crd: &CustomResourceDefinition) -> Result<(), Error> {
    let name = crd.metadata.name.clone().unwrap_or_default();
    let mut crd = crd.clone();
    // Apply rejects these; a CRD read back from a cluster carries them.
    crd.metadata.managed_fields = None;
    crd.metadata.resource_version = None;
    crd.status = None;
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    api.patch(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&crd),
    )
    .await
    .map_err(|source| Error::kube(format!("failed to apply CRD {name:?}"), source))?;

    let deadline = Instant::now() + ESTABLISHED_TIMEOUT;
    loop {
        let current = api
            .get(&name)
            .await
            .map_err(|source| Error::kube(format!("failed to read CRD {name}"), source))?;
        let conditions = current
            .status
            .and_then(|status| status.conditions)
            .unwrap_or_default();
        let established = conditions
            .iter()
            .any(|condition| condition.type_ == "Established" && condition.status == "True");
        if established {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let conditions = conditions
                .iter()
                .map(|condition| {
                    let message = condition.message.as_deref().unwrap_or_default();
                    format!("{}={} ({message})", condition.type_, condition.status)
                })
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Error::CrdNotEstablished {
                name,
                timeout: ESTABLISHED_TIMEOUT,
                conditions: if conditions.is_empty() {
                    "none".into()
                } else {
                    conditions
                },
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
