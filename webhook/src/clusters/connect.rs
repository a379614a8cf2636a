//! Clients for the global cluster and for the registered management clusters.

use std::time::Duration;

use kube::Client;
use multicloud_runtime::args::KubeconfigArgs;
use multicloud_runtime::kubeconfig::ClientOptions;

/// Bound on opening a connection to a management cluster, so an address that silently drops
/// packets is reported unreachable instead of hanging a watch for minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A client of the global cluster, as `--kubeconfig` and `--context` choose.
pub async fn local_client(kube: &KubeconfigArgs) -> anyhow::Result<Client> {
    use anyhow::Context as _;
    let config = kube.config().await?;
    Client::try_from(config).context("building the Kubernetes client")
}

/// A client of a registered management cluster, from the kubeconfig text of its Secret: the
/// same check as the Secret admission rule (`multicloud_runtime::kubeconfig`), so a kubeconfig
/// written while the webhook was not answering admissions is refused here too. Errors never
/// quote the kubeconfig, which holds credentials.
pub async fn remote_client(kubeconfig: &str) -> Result<Client, String> {
    let options = ClientOptions {
        connect_timeout: Some(CONNECT_TIMEOUT),
        ..ClientOptions::default()
    };
    multicloud_runtime::kubeconfig::client_from_text(kubeconfig, &options)
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXEC: &str = r#"
apiVersion: v1
kind: Config
clusters: [{name: edge, cluster: {server: "https://127.0.0.1:6443"}}]
contexts: [{name: edge, context: {cluster: edge, user: plugin}}]
users: [{name: plugin, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/true}}}]
current-context: edge
"#;

    #[tokio::test]
    async fn credential_plugins_are_refused() {
        let Err(error) = remote_client(EXEC).await else {
            panic!("a kubeconfig with an exec plugin was accepted");
        };
        assert!(error.contains("credential plugin"), "{error}");
    }

    #[tokio::test]
    async fn a_kubeconfig_with_one_context_and_a_token_makes_a_client() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let single = EXEC.replace("current-context: edge\n", "").replace(
            "{exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/true}}",
            "{token: abc}",
        );
        assert!(remote_client(&single).await.is_ok());
        assert!(remote_client("not: [yaml").await.is_err());
    }
}
