//! Reading instances from the global cluster, with errors that say what to do.

use kube::Client;
use kube::api::{Api, ListParams};
use multicloud_api::MulticloudInstance;

use crate::error::CmdError;

/// The instances API.
pub fn api(client: &Client) -> Api<MulticloudInstance> {
    Api::all(client.clone())
}

/// `kind.group/name`, as `-o name` prints it.
pub fn resource_name(name: &str) -> String {
    format!("multicloudinstance.{}/{name}", multicloud_api::keys::GROUP)
}

/// The instance `name`, or `None` when there is none.
pub async fn get_opt(client: &Client, name: &str) -> Result<Option<MulticloudInstance>, CmdError> {
    api(client)
        .get_opt(name)
        .await
        .map_err(|e| read_error(format!("failed to read instance `{name}`"), e))
}

/// The instance `name`, or an error naming it.
pub async fn get(client: &Client, name: &str) -> Result<MulticloudInstance, CmdError> {
    get_opt(client, name).await?.ok_or_else(|| {
        CmdError::msg(format!(
            "instance `{name}` not found; `kubectl multicloud list` shows the instances"
        ))
    })
}

/// Every instance matching `selector`, sorted by name.
pub async fn list(
    client: &Client,
    selector: Option<&str>,
) -> Result<Vec<MulticloudInstance>, CmdError> {
    Ok(list_versioned(client, selector).await?.0)
}

/// Every instance matching `selector`, sorted by name, and the list's resourceVersion (where
/// a watch of the changes after it starts).
pub async fn list_versioned(
    client: &Client,
    selector: Option<&str>,
) -> Result<(Vec<MulticloudInstance>, String), CmdError> {
    let mut params = ListParams::default();
    if let Some(selector) = selector {
        params = params.labels(selector);
    }
    let list = api(client)
        .list(&params)
        .await
        .map_err(|e| read_error("failed to list instances".to_owned(), e))?;
    let version = list.metadata.resource_version.unwrap_or_default();
    let mut items = list.items;
    items.sort_by(|a, b| a.name().cmp(b.name()));
    Ok((items, version))
}

/// Every instance, or `None` when the MulticloudInstance API is not installed at all.
pub async fn list_if_installed(
    client: &Client,
) -> Result<Option<Vec<MulticloudInstance>>, CmdError> {
    match api(client).list(&ListParams::default()).await {
        Ok(list) => Ok(Some(list.items)),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
        Err(e) => Err(CmdError::kube("failed to list instances", e)),
    }
}

/// A read error; a missing resource type means the CRD is not installed, which is worth saying.
fn read_error(context: String, err: kube::Error) -> CmdError {
    match &err {
        kube::Error::Api(status) if status.code == 404 => CmdError::with_source(
            format!(
                "{context}: the MulticloudInstance API is not installed in this cluster; run \
                 `kubectl multicloud install` (or check --context)"
            ),
            err,
        ),
        _ => CmdError::kube(context, err),
    }
}
