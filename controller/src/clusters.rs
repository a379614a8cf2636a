//! Management clusters: `local` is the global cluster itself; every other one is a Secret in
//! `multicloud-system` holding its kubeconfig. Clients for them are built once per version of
//! their Secret, with every call bounded in time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::client::ClientBuilder;
use kube::runtime::reflector::{ObjectRef, Store};
use multicloud_api::keys::{CLUSTER_LABEL, KUBECONFIG_KEY, LOCAL_CLUSTER, SYSTEM_NAMESPACE};
use multicloud_runtime::kubeconfig::{self, CheckedKubeconfig, ClientOptions};

use crate::metrics::CountingLayer;
use crate::status::Blocker;

/// Clients for management clusters.
pub struct ManagementClusters {
    global: Client,
    secrets: Store<Secret>,
    clients: Mutex<HashMap<String, (String, Client)>>,
    timeout: Duration,
    layer: CountingLayer,
}

impl ManagementClusters {
    /// `secrets` holds the registered clusters' Secrets (from a watch of `multicloud-system`).
    pub fn new(
        global: Client,
        secrets: Store<Secret>,
        timeout: Duration,
        layer: CountingLayer,
    ) -> Self {
        Self {
            global,
            secrets,
            clients: Mutex::default(),
            timeout,
            layer,
        }
    }

    /// The registered cluster's Secret, or why there is none.
    pub fn secret(&self, cluster: &str) -> Result<Arc<Secret>, Blocker> {
        self.secrets
            .get(&ObjectRef::new(cluster).within(SYSTEM_NAMESPACE))
            .ok_or_else(|| Blocker {
                reason: "ManagementClusterNotRegistered",
                message: format!(
                    "management cluster `{cluster}` is not registered: there is no Secret \
                     {SYSTEM_NAMESPACE}/{cluster} labelled {CLUSTER_LABEL}=true; register it with \
                     `kubectl multicloud cluster add {cluster}` or use managementCluster `local`"
                ),
            })
    }

    /// The registered cluster's kubeconfig once it passes the one policy, or why it cannot be
    /// used.
    pub fn kubeconfig(&self, cluster: &str) -> Result<CheckedKubeconfig, Blocker> {
        let secret = self.secret(cluster)?;
        let bytes = secret
            .data
            .as_ref()
            .and_then(|data| data.get(KUBECONFIG_KEY))
            .ok_or_else(|| invalid(cluster, format!("it has no `{KUBECONFIG_KEY}` key")))?;
        kubeconfig::check_bytes(&bytes.0).map_err(|e| invalid(cluster, e.to_string()))
    }

    /// A client for `cluster`: the global client for `local`.
    pub async fn client(&self, cluster: &str) -> Result<Client, Blocker> {
        if cluster == LOCAL_CLUSTER {
            return Ok(self.global.clone());
        }
        let secret = self.secret(cluster)?;
        let version = secret.metadata.resource_version.clone().unwrap_or_default();
        if let Some((_, client)) = self
            .lock()
            .get(cluster)
            .filter(|(cached, _)| *cached == version)
        {
            return Ok(client.clone());
        }
        let checked = self.kubeconfig(cluster)?;
        let client = client_of(&checked, self.timeout, &self.layer)
            .await
            .map_err(|why| invalid(cluster, why))?;
        self.lock()
            .insert(cluster.to_owned(), (version, client.clone()));
        Ok(client)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Client)>> {
        // A panic while holding the lock leaves a plain map behind; it is still usable.
        self.clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn invalid(cluster: &str, why: String) -> Blocker {
    Blocker {
        reason: "ManagementClusterInvalid",
        message: format!(
            "the kubeconfig of management cluster `{cluster}` ({SYSTEM_NAMESPACE}/{cluster}) \
             cannot be used: {why}; register it again with `kubectl multicloud cluster add \
             {cluster}`"
        ),
    }
}

/// A client from kubeconfig bytes whose every request is bounded by `timeout` and counted.
/// The kubeconfig passes the one policy first (`multicloud_runtime::kubeconfig`); errors never
/// quote it: they end up in instance conditions.
pub async fn client_from_kubeconfig(
    kubeconfig: &[u8],
    timeout: Duration,
    layer: &CountingLayer,
) -> Result<Client, String> {
    let checked = kubeconfig::check_bytes(kubeconfig).map_err(|e| e.to_string())?;
    client_of(&checked, timeout, layer).await
}

/// A client of a checked kubeconfig whose every request is bounded by `timeout` and counted.
async fn client_of(
    checked: &CheckedKubeconfig,
    timeout: Duration,
    layer: &CountingLayer,
) -> Result<Client, String> {
    let options = ClientOptions::every_step_within(timeout);
    let config = kubeconfig::config(checked, &options)
        .await
        .map_err(|e| e.to_string())?;
    let builder = ClientBuilder::try_from(config).map_err(|e| e.to_string())?;
    Ok(builder.with_layer(layer).build())
}
