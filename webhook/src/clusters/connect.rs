//! Clients for the global cluster and for the registered management clusters.

use std::path::Path;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// Bound on opening a connection to a management cluster, so an address that silently drops
/// packets is reported unreachable instead of hanging a watch for minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A client of the global cluster: from `kubeconfig` when given, else inferred (in-cluster
/// service account, or `$KUBECONFIG`).
pub async fn local_client(kubeconfig: Option<&Path>) -> anyhow::Result<Client> {
    use anyhow::Context as _;
    let config = match kubeconfig {
        Some(path) => {
            let file = Kubeconfig::read_from(path)
                .with_context(|| format!("reading kubeconfig {}", path.display()))?;
            config_from(file)
                .await
                .with_context(|| format!("using kubeconfig {}", path.display()))?
        }
        None => Config::infer().await.context(
            "finding the cluster: no in-cluster service account and no usable $KUBECONFIG",
        )?,
    };
    Client::try_from(config).context("building the Kubernetes client")
}

/// A client of a registered management cluster, from the kubeconfig text of its Secret.
pub async fn remote_client(kubeconfig: &str) -> Result<Client, String> {
    let file =
        Kubeconfig::from_yaml(kubeconfig).map_err(|e| format!("kubeconfig is not usable: {e}"))?;
    let mut config = config_from(file)
        .await
        .map_err(|e| format!("kubeconfig is not usable: {e}"))?;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    Client::try_from(config).map_err(|e| format!("cannot build a client from the kubeconfig: {e}"))
}

/// The kubeconfig's current context or, lacking one, its only context (the same choice as
/// `multicloud_api::kubeconfig::server_of`, so what the Secret rule accepts is what is used).
async fn config_from(file: Kubeconfig) -> Result<Config, kube::config::KubeconfigError> {
    let context = match (&file.current_context, file.contexts.as_slice()) {
        (None, [only]) => Some(only.name.clone()),
        _ => None,
    };
    let options = KubeConfigOptions {
        context,
        ..KubeConfigOptions::default()
    };
    Config::from_custom_kubeconfig(file, &options).await
}
