//! The admin kubeconfig: written to a file for processes (the plugin, kube-controller-manager)
//! and loaded in-process for the test's `kube::Client`. Certificates are embedded, so the YAML
//! stays valid when copied elsewhere (e.g. into a Secret) after the files are gone.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::Error;

/// Name of the cluster, user and context in the admin kubeconfig.
pub(crate) const CONTEXT: &str = "multicloud-testenv";

/// Renders an admin kubeconfig for `server` (e.g. `https://127.0.0.1:6443`).
pub(crate) fn render(server: &str, ca_pem: &str, cert_pem: &str, key_pem: &str) -> String {
    let ca = STANDARD.encode(ca_pem);
    let cert = STANDARD.encode(cert_pem);
    let key = STANDARD.encode(key_pem);
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {CONTEXT}
  cluster:
    server: {server}
    certificate-authority-data: {ca}
users:
- name: {CONTEXT}
  user:
    client-certificate-data: {cert}
    client-key-data: {key}
contexts:
- name: {CONTEXT}
  context:
    cluster: {CONTEXT}
    user: {CONTEXT}
    namespace: default
current-context: {CONTEXT}
"
    )
}

/// Builds a client from kubeconfig YAML, with a read timeout so that no request of the harness
/// can hang a test.
pub(crate) async fn client(yaml: &str) -> Result<kube::Client, Error> {
    let kubeconfig = Kubeconfig::from_yaml(yaml).map_err(|source| Error::Kubeconfig { source })?;
    let mut config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(|source| Error::Kubeconfig { source })?;
    config.connect_timeout = Some(Duration::from_secs(5));
    kube::Client::try_from(config)
        .map_err(|source| Error::kube("failed to build the admin client", source))
}

/// A client for a component's health endpoint that is served over plain HTTP (etcd) or with a
/// self-signed certificate (kube-controller-manager); it carries no credentials.
pub(crate) fn health_client(url: &str) -> Result<kube::Client, Error> {
    let uri = url.parse().map_err(|source: http::uri::InvalidUri| {
        Error::io(
            format!("invalid health URL {url}"),
            std::io::Error::new(std::io::ErrorKind::InvalidInput, source),
        )
    })?;
    let mut config = kube::Config::new(uri);
    config.accept_invalid_certs = true;
    config.connect_timeout = Some(Duration::from_secs(2));
    kube::Client::try_from(config)
        .map_err(|source| Error::kube(format!("failed to build a client for {url}"), source))
}
