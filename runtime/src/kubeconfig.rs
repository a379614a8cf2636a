//! Clients from kubeconfigs that someone else wrote: management cluster Secrets, instances'
//! admin kubeconfigs, `cluster add`. Every such client is built here, from a
//! [`CheckedKubeconfig`], so the webhook, the controller, the plugin and the tests refuse the
//! same files and pick the same context.
//!
//! Kubeconfigs the operator of a process gives it (`--kubeconfig`, `$KUBECONFIG`, the in-cluster
//! service account) are trusted and loaded by kube as usual; they do not come through here.

use std::time::Duration;

use kube::config::{KubeConfigOptions, KubeconfigError as LoadError, LoadDataError};
use kube::{Client, Config};
pub use multicloud_api::kubeconfig::{CheckedKubeconfig, KubeconfigError, check};

/// Time limits of a client; `None` keeps kube's default for that limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientOptions {
    /// Bound on opening a connection (kube's default: 30 s).
    pub connect_timeout: Option<Duration>,
    /// Bound on waiting for response bytes (kube's default: none).
    pub read_timeout: Option<Duration>,
    /// Bound on sending request bytes (kube's default: 295 s).
    pub write_timeout: Option<Duration>,
}

impl ClientOptions {
    /// Connecting, reading and writing each bounded by `limit`.
    pub fn every_step_within(limit: Duration) -> Self {
        Self {
            connect_timeout: Some(limit),
            read_timeout: Some(limit),
            write_timeout: Some(limit),
        }
    }
}

/// Why no client was made. Never quotes the kubeconfig.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not text.
    #[error("kubeconfig is not UTF-8 text")]
    NotText,
    /// The policy refuses the kubeconfig.
    #[error("kubeconfig {0}")]
    Refused(#[from] KubeconfigError),
    /// Admitted, but kube cannot use a value in it.
    #[error("kubeconfig is not usable: {0}")]
    Unusable(String),
    /// kube could not build a client (its TLS set-up).
    #[error("cannot build a client from the kubeconfig: {0}")]
    Client(#[source] kube::Error),
}

/// Checks kubeconfig bytes (a Secret's value) with the one policy.
pub fn check_bytes(bytes: &[u8]) -> Result<CheckedKubeconfig, Error> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::NotText)?;
    Ok(check(text)?)
}

/// The `kube::Config` of a checked kubeconfig, with `options` applied: for callers that add
/// tower layers (`ClientBuilder::try_from(config)?.with_layer(..)`). A client is built from it
/// once here, so what kube finds wrong only then (the client key and certificate) is reported
/// by this function, in words that quote nothing of the file.
pub async fn config(checked: &CheckedKubeconfig, options: &ClientOptions) -> Result<Config, Error> {
    let load = KubeConfigOptions {
        context: Some(checked.context().to_owned()),
        ..KubeConfigOptions::default()
    };
    let mut config = Config::from_custom_kubeconfig(checked.kubeconfig().clone(), &load)
        .await
        .map_err(|e| Error::Unusable(unusable(&e)))?;
    if let Some(limit) = options.connect_timeout {
        config.connect_timeout = Some(limit);
    }
    if let Some(limit) = options.read_timeout {
        config.read_timeout = Some(limit);
    }
    if let Some(limit) = options.write_timeout {
        config.write_timeout = Some(limit);
    }
    Client::try_from(config.clone()).map_err(built)?;
    Ok(config)
}

/// A client of a checked kubeconfig.
pub async fn client(checked: &CheckedKubeconfig, options: &ClientOptions) -> Result<Client, Error> {
    Client::try_from(config(checked, options).await?).map_err(built)
}

/// Checks kubeconfig text and makes its client: [`check`] then [`client`].
pub async fn client_from_text(text: &str, options: &ClientOptions) -> Result<Client, Error> {
    client(&check(text)?, options).await
}

/// A failed client build, with kube's kubeconfig errors put in words of our own.
fn built(error: kube::Error) -> Error {
    match error {
        kube::Error::InferKubeconfig(e) => Error::Unusable(unusable(&e)),
        other => Error::Client(other),
    }
}

/// What kube found wrong, in words that quote nothing of the file (kube's own messages can
/// quote a byte of bad base64).
fn unusable(error: &LoadError) -> String {
    let data = |field: &str, e: &LoadDataError| match e {
        LoadDataError::DecodeBase64(_) => format!("{field} is not base64"),
        LoadDataError::NoBase64DataOrFile => format!("{field} is missing"),
        // File paths are refused by the check; said in case a later kube finds another.
        LoadDataError::ReadFile(..) => format!("{field} names a file"),
    };
    match error {
        LoadError::MissingClusterUrl => "its cluster has no server address".to_owned(),
        LoadError::ParseClusterUrl(_) => "its server address is not a URL".to_owned(),
        LoadError::LoadCertificateAuthority(e) => data("certificate-authority-data", e),
        LoadError::ParseCertificates(_) => {
            "certificate-authority-data holds no PEM certificate".to_owned()
        }
        LoadError::LoadClientCertificate(e) => data("client-certificate-data", e),
        LoadError::LoadClientKey(e) => data("client-key-data", e),
        LoadError::ParseProxyUrl(_) => {
            "the process's HTTPS_PROXY environment variable is not a URL".to_owned()
        }
        _ => "kube cannot load it".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = r#"
apiVersion: v1
kind: Config
clusters: [{name: edge, cluster: {server: "https://127.0.0.1:6443"}}]
contexts: [{name: edge, context: {cluster: edge, user: admin}}]
users: [{name: admin, user: {token: abc}}]
"#;

    #[tokio::test]
    async fn one_context_without_current_context_makes_a_client() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let checked = check(TOKEN).expect("admitted");
        let config = config(
            &checked,
            &ClientOptions::every_step_within(Duration::from_secs(2)),
        )
        .await
        .expect("usable");
        assert_eq!(config.cluster_url.to_string(), "https://127.0.0.1:6443/");
        assert_eq!(config.read_timeout, Some(Duration::from_secs(2)));
        assert!(client(&checked, &ClientOptions::default()).await.is_ok());
    }

    #[tokio::test]
    async fn refusals_and_bad_values_are_reported_without_quoting_the_file() {
        let exec = TOKEN.replace("{token: abc}", "{exec: {command: /bin/true}}");
        let Err(error) = client_from_text(&exec, &ClientOptions::default()).await else {
            panic!("a credential plugin was admitted");
        };
        assert!(error.to_string().contains("credential plugin"), "{error}");

        let bad = TOKEN.replace(
            "{token: abc}",
            "{client-certificate-data: \"s3cr3t!\", client-key-data: \"s3cr3t!\"}",
        );
        let Err(error) = client_from_text(&bad, &ClientOptions::default()).await else {
            panic!("bad base64 was used");
        };
        let error = error.to_string();
        assert!(
            error.contains("not base64") && !error.contains("s3cr3t"),
            "{error}"
        );
        assert!(matches!(check_bytes(&[0xff, 0xfe]), Err(Error::NotText)));
    }
}
