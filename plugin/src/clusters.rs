//! Management clusters as the plugin reaches them: `local` is the global cluster itself, every
//! other one is a Secret in `multicloud-system` holding its kubeconfig. Also what the admission
//! rules need to know of them, learnt live for `create`'s client-side check.

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::Client;
use kube::api::{Api, ListParams};
use multicloud_api::clusters::{ClusterDirectory, ClusterState, StorageClassInfo};
use multicloud_api::keys::{CLUSTER_LABEL, KUBECONFIG_KEY, LOCAL_CLUSTER, SYSTEM_NAMESPACE};
use multicloud_api::{MulticloudInstance, StorageType};

use crate::context::Context;
use crate::error::CmdError;

/// The label selector of registered management cluster Secrets.
pub fn cluster_selector() -> String {
    format!("{CLUSTER_LABEL}=true")
}

/// The registered management cluster Secrets, by name.
pub async fn registered(global: &Client) -> Result<Vec<Secret>, CmdError> {
    let api: Api<Secret> = Api::namespaced(global.clone(), SYSTEM_NAMESPACE);
    let mut secrets = api
        .list(&ListParams::default().labels(&cluster_selector()))
        .await
        .map_err(|e| {
            CmdError::kube(
                format!("failed to list the registered management clusters in {SYSTEM_NAMESPACE}"),
                e,
            )
        })?
        .items;
    secrets.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    Ok(secrets)
}

/// The kubeconfig text stored in a management cluster Secret.
pub fn kubeconfig_of(secret: &Secret) -> Result<String, CmdError> {
    let name = secret.metadata.name.as_deref().unwrap_or_default();
    let bytes = secret
        .data
        .as_ref()
        .and_then(|d| d.get(KUBECONFIG_KEY))
        .ok_or_else(|| {
            CmdError::msg(format!(
                "Secret {SYSTEM_NAMESPACE}/{name} has no `{KUBECONFIG_KEY}` key; register the \
                 cluster again with `kubectl multicloud cluster add {name} --cluster-kubeconfig FILE --overwrite`"
            ))
        })?;
    String::from_utf8(bytes.0.clone()).map_err(|e| {
        CmdError::with_source(format!("Secret {SYSTEM_NAMESPACE}/{name} holds no text"), e)
    })
}

/// A client for management cluster `cluster`: the global client for `local`.
pub async fn management_client(
    ctx: &Context,
    global: &Client,
    cluster: &str,
) -> Result<Client, CmdError> {
    if cluster == LOCAL_CLUSTER {
        return Ok(global.clone());
    }
    let api: Api<Secret> = Api::namespaced(global.clone(), SYSTEM_NAMESPACE);
    let secret = api
        .get_opt(cluster)
        .await
        .map_err(|e| {
            CmdError::kube(
                format!("failed to read Secret {SYSTEM_NAMESPACE}/{cluster} of management cluster `{cluster}`"),
                e,
            )
        })?
        .ok_or_else(|| {
            CmdError::msg(format!(
                "management cluster `{cluster}` is not registered (no Secret \
                 {SYSTEM_NAMESPACE}/{cluster}); register it with `kubectl multicloud cluster add \
                 {cluster} --cluster-kubeconfig FILE`"
            ))
        })?;
    let text = kubeconfig_of(&secret)?;
    ctx.client_from_kubeconfig(&text, &format!("management cluster `{cluster}`"))
        .await
}

/// Every StorageClass of the cluster behind `client`, sorted by name.
pub async fn storage_classes(client: &Client) -> Result<Vec<StorageClassInfo>, kube::Error> {
    let api: Api<StorageClass> = Api::all(client.clone());
    let mut classes: Vec<StorageClassInfo> = api
        .list(&ListParams::default())
        .await?
        .items
        .iter()
        .map(StorageClassInfo::from)
        .collect();
    classes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(classes)
}

/// What the plugin could learn of the management clusters before creating an instance. Where it
/// could learn nothing (no permission to list Secrets or StorageClasses), it assumes the best and
/// leaves the verdict to the webhook, which knows.
pub struct Learned {
    /// Registered names, `local` included; `None` when they could not be listed.
    pub names: Option<Vec<String>>,
    /// The state of the instance's management cluster; `None` when it could not be learnt.
    pub state: Option<(String, ClusterState)>,
    /// The class assumed present when the classes could not be listed.
    assumed: StorageClassInfo,
}

impl Learned {
    /// Learns what `instance` needs: the registered clusters and its cluster's StorageClasses.
    pub async fn for_instance(
        ctx: &Context,
        global: &Client,
        instance: &MulticloudInstance,
    ) -> Self {
        let cluster = instance.spec.management_cluster.clone();
        let names = registered(global).await.ok().map(|secrets| {
            let mut names: Vec<String> = secrets
                .iter()
                .filter_map(|s| s.metadata.name.clone())
                .chain([LOCAL_CLUSTER.to_owned()])
                .collect();
            names.sort();
            names
        });
        let registered = names.as_ref().is_none_or(|n| n.contains(&cluster));
        let state = if !registered {
            None
        } else {
            match management_client(ctx, global, &cluster).await {
                Ok(client) => match storage_classes(&client).await {
                    Ok(classes) => Some((cluster, ClusterState::ready(classes))),
                    // Forbidden or unreachable: the webhook has its own view; do not guess.
                    Err(_) => None,
                },
                Err(_) => None,
            }
        };
        Self {
            names,
            state,
            assumed: needed_class(instance),
        }
    }
}

impl ClusterDirectory for Learned {
    fn cluster_names(&self) -> Vec<String> {
        self.names.clone().unwrap_or_default()
    }

    fn cluster(&self, name: &str) -> Option<ClusterState> {
        if let Some((known, state)) = &self.state
            && known == name
        {
            return Some(state.clone());
        }
        let registered = self
            .names
            .as_ref()
            .is_none_or(|n| n.iter().any(|n| n == name));
        // Unknown state of a registered cluster: assume it has every class, so that only the
        // webhook, which knows, can deny on storage.
        registered.then(|| ClusterState::ready(vec![self.assumed.clone()]))
    }
}

/// Directory answering as if `instance`'s cluster had exactly the StorageClass it asks for:
/// only rules that need no cluster knowledge can deny. Used by `check` without a clusters file.
pub struct AssumeReady<'a>(pub &'a MulticloudInstance);

impl ClusterDirectory for AssumeReady<'_> {
    fn cluster_names(&self) -> Vec<String> {
        vec![self.0.spec.management_cluster.clone()]
    }

    fn cluster(&self, name: &str) -> Option<ClusterState> {
        (name == self.0.spec.management_cluster)
            .then(|| ClusterState::ready(vec![needed_class(self.0)]))
    }
}

fn needed_class(instance: &MulticloudInstance) -> StorageClassInfo {
    let storage = &instance.spec.etcd.storage;
    match (storage.type_, storage.class_name()) {
        (StorageType::PersistentVolumeClaim, Some(class)) => StorageClassInfo::new(class, true),
        _ => StorageClassInfo::new("default", true),
    }
}
