//! `kubeconfig NAME`: the instance's admin kubeconfig, from the Secret its status names, printed
//! or written to a file only its owner can read.

use std::path::{Path, PathBuf};

use clap::Args;
use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::Api;
use multicloud_api::certificate::{api_server_names, covers};
use multicloud_api::http_url::HttpUrl;
use multicloud_api::keys::{KUBECONFIG_KEY, LOCAL_CLUSTER};
use multicloud_api::kubeconfig::server_of;
use multicloud_api::names::{self, KarmadaObjects};
use multicloud_api::{MulticloudInstance, ObjectRef};

use crate::clusters::management_client;
use crate::context::Context;
use crate::error::CmdError;
use crate::flags::{Connection, Overrides, RequestTimeout};
use crate::instances;
use crate::output::Output;

/// Flags of `kubeconfig`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  kubectl multicloud kubeconfig demo --output-file demo.kubeconfig && \
                        kubectl --kubeconfig demo.kubeconfig get clusters"
)]
pub struct KubeconfigArgs {
    /// Instance name.
    pub name: String,

    /// Write it to FILE (mode 0600) instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// The old spelling of --output-file: `-f` reads a file in kubectl (and in `check`).
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        hide = true,
        conflicts_with = "output_file"
    )]
    pub deprecated_file: Option<PathBuf>,

    /// Replace the API server address in it, e.g. with one reachable from outside the cluster;
    /// refused unless the API server certificate covers its host (see spec.karmada.certSANs).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,

    /// kubeconfig file; default `$KUBECONFIG`, then `~/.kube/config`, then in-cluster.
    // The global flags but `-s/--server`, which names the exported kubeconfig's server here
    // (kubectl's `--server` is accepted before the command).
    #[arg(long, value_name = "FILE", help_heading = "Global options")]
    pub kubeconfig: Option<PathBuf>,

    /// kubeconfig context to use; default its current context.
    #[arg(long, value_name = "NAME", help_heading = "Global options")]
    pub context: Option<String>,

    #[command(flatten, next_help_heading = "Global options")]
    pub overrides: Overrides,

    #[command(flatten, next_help_heading = "Global options")]
    pub timeout: RequestTimeout,
}

impl KubeconfigArgs {
    /// The connection flags given after the command.
    pub fn connection(&self) -> Connection {
        Connection {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            server: None,
            overrides: self.overrides.clone(),
            timeout: self.timeout.clone(),
        }
    }

    /// Exports.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        if self.deprecated_file.is_some() {
            ctx.warnings.push(
                "-f/--file after `kubeconfig` is deprecated; use --output-file (in kubectl, -f \
                 names a file to read)"
                    .to_owned(),
            );
            ctx.flush_warnings();
        }
        let client = ctx.client().await?;
        let instance = instances::get(&client, &self.name).await?;
        let reference = secret_ref(&instance)?;
        let secret = find_secret(ctx, &client, &instance, &reference).await?;
        let mut text = kubeconfig_text(&secret, &reference)?;
        if let Some(server) = &self.server {
            check_server_is_covered(&instance, &text, server)?;
            text = with_server(&text, server)?;
        }
        match self.output_file.as_ref().or(self.deprecated_file.as_ref()) {
            None => Ok(Output::text(text)),
            Some(path) => {
                write_private(path, &text)?;
                Ok(Output::text(format!(
                    "wrote the admin kubeconfig of {} to {}\n",
                    self.name,
                    path.display()
                )))
            }
        }
    }
}

fn secret_ref(instance: &MulticloudInstance) -> Result<ObjectRef, CmdError> {
    let status = instance.status.clone().unwrap_or_default();
    status.kubeconfig_secret_ref.ok_or_else(|| {
        let phase = status
            .phase
            .map(|p| p.to_string())
            .unwrap_or_else(|| "Pending".into());
        CmdError::msg(format!(
            "instance `{}` has no admin kubeconfig yet (phase {phase}): karmada-operator writes \
             it when the control plane is installed; wait with `kubectl multicloud describe {}`",
            instance.name(),
            instance.name()
        ))
    })
}

/// The Secret, from the global cluster or, for a remote management cluster, from there.
async fn find_secret(
    ctx: &Context,
    global: &Client,
    instance: &MulticloudInstance,
    reference: &ObjectRef,
) -> Result<Secret, CmdError> {
    let what = format!("Secret {}/{}", reference.namespace, reference.name);
    let read = |client: Client| {
        let what = what.clone();
        async move {
            Api::<Secret>::namespaced(client, &reference.namespace)
                .get_opt(&reference.name)
                .await
                .map_err(|e| CmdError::kube(format!("failed to read {what}"), e))
        }
    };
    if let Some(secret) = read(global.clone()).await? {
        return Ok(secret);
    }
    let cluster = &instance.spec.management_cluster;
    if cluster != LOCAL_CLUSTER {
        let management = management_client(ctx, global, cluster).await?;
        if let Some(secret) = read(management).await? {
            return Ok(secret);
        }
    }
    Err(CmdError::msg(format!(
        "{what}, named by the status of instance `{}`, does not exist",
        instance.name()
    )))
}

fn kubeconfig_text(secret: &Secret, reference: &ObjectRef) -> Result<String, CmdError> {
    let data = secret.data.clone().unwrap_or_default();
    let bytes = [KarmadaObjects::ADMIN_KUBECONFIG_KEY, KUBECONFIG_KEY]
        .iter()
        .find_map(|key| data.get(*key))
        .or_else(|| (data.len() == 1).then(|| data.values().next()).flatten())
        .ok_or_else(|| {
            CmdError::msg(format!(
                "Secret {}/{} has no `{}` key",
                reference.namespace,
                reference.name,
                KarmadaObjects::ADMIN_KUBECONFIG_KEY
            ))
        })?;
    String::from_utf8(bytes.0.clone())
        .map_err(|e| CmdError::with_source("the admin kubeconfig is not text", e))
}

/// Refuses a `--server` whose host the Karmada API server certificate does not cover: the
/// kubeconfig would fail every request with a certificate error, far from this command.
fn check_server_is_covered(
    instance: &MulticloudInstance,
    text: &str,
    server: &str,
) -> Result<(), CmdError> {
    let url = HttpUrl::parse(server).map_err(|e| {
        CmdError::msg(format!(
            "--server \"{server}\" {e}, e.g. https://karmada.example.com:5443"
        ))
    })?;
    if url.scheme != "https" {
        return Err(CmdError::msg(format!(
            "--server \"{server}\" must be https://: the Karmada API server only serves TLS"
        )));
    }
    let names = certificate_names(instance, text);
    if covers(&names, &url.host) {
        return Ok(());
    }
    Err(CmdError::msg(format!(
        "the Karmada API server certificate of instance `{name}` does not cover `{host}`, so \
         every request through --server {server} would fail TLS verification; it covers: {list}. \
         karmada-operator issues the certificate once, when the instance is created: to reach \
         it at `{host}`, create an instance with it in spec.karmada.certSANs (`kubectl \
         multicloud create NAME --cert-san {host}`), or use an address it covers",
        name = instance.name(),
        host = url.host,
        list = names.join(", "),
    )))
}

/// Every name the instance's API server certificate covers. For a remote management cluster
/// the API server is a NodePort Service and the operator adds the node address it wrote into
/// the admin kubeconfig (`operator/pkg/tasks/init/upload.go`, `operator/pkg/certs/certs.go`).
fn certificate_names(instance: &MulticloudInstance, text: &str) -> Vec<String> {
    let remote = instance.spec.management_cluster != LOCAL_CLUSTER;
    let node_address = remote
        .then(|| server_of(text).ok())
        .flatten()
        .and_then(|server| HttpUrl::parse(&server).ok())
        .map(|url| url.host);
    api_server_names(
        &names::namespace(instance.name()),
        &instance.spec.karmada.cert_sans,
        node_address.as_deref(),
    )
}

/// The kubeconfig with every cluster's server set to `server`.
fn with_server(text: &str, server: &str) -> Result<String, CmdError> {
    let mut value: serde_json::Value = multicloud_api::yaml::from_str(text)
        .map_err(|e| CmdError::with_source("the admin kubeconfig is not YAML", e))?;
    if let Some(clusters) = value.get_mut("clusters").and_then(|c| c.as_array_mut()) {
        for cluster in clusters {
            if let Some(cluster) = cluster.get_mut("cluster").and_then(|c| c.as_object_mut()) {
                cluster.insert("server".into(), server.into());
            }
        }
    }
    multicloud_api::yaml::to_string(&value)
        .map_err(|e| CmdError::with_source("failed to render YAML", e))
}

/// Writes `text` to `path`, readable and writable by its owner only (it holds credentials),
/// atomically and never through a symbolic link.
pub fn write_private(path: &Path, text: &str) -> Result<(), CmdError> {
    crate::write_file::write_private(path, text.as_bytes())
        .map_err(|e| CmdError::msg(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_kubeconfig_is_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k.yaml");
        std::fs::write(&path, "old").expect("write");
        write_private(&path, "new").expect("writes");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    const ADMIN: &str = "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    server: https://192.168.1.20:31443\ncontexts:\n- name: k\n  context:\n    cluster: k\n    user: u\ncurrent-context: k\nusers:\n- name: u\n  user:\n    token: t\n";

    fn demo(cluster: &str, sans: &[&str]) -> MulticloudInstance {
        let mut mci = multicloud_api::testing::instance("demo");
        mci.spec.management_cluster = cluster.into();
        mci.spec.karmada.cert_sans = sans.iter().map(|s| (*s).to_owned()).collect();
        mci
    }

    #[test]
    fn a_server_the_certificate_covers_is_accepted() {
        let local = demo("local", &["karmada.example.com", "10.0.0.5"]);
        for server in [
            "https://karmada.example.com:5443",
            "https://10.0.0.5:5443",
            "https://demo-karmada-apiserver.k-demo.svc:5443",
            "https://127.0.0.1:5443",
        ] {
            assert!(
                check_server_is_covered(&local, ADMIN, server).is_ok(),
                "{server}"
            );
        }
        // A remote instance's certificate covers the node address the operator wrote.
        let remote = demo("edge-1", &[]);
        assert!(check_server_is_covered(&remote, ADMIN, "https://192.168.1.20:31443").is_ok());
        assert!(
            check_server_is_covered(&demo("local", &[]), ADMIN, "https://192.168.1.20:31443")
                .is_err()
        );
    }

    #[test]
    fn a_server_the_certificate_does_not_cover_is_refused_with_the_names_and_the_fix() {
        let error =
            check_server_is_covered(&demo("local", &[]), ADMIN, "https://karmada.example.com")
                .expect_err("refused");
        let message = error.to_string();
        for part in [
            "does not cover `karmada.example.com`",
            "it covers: localhost, kubernetes, kubernetes.default, kubernetes.default.svc, \
             *.karmada-system.svc.cluster.local, *.karmada-system.svc, *.k-demo.svc.cluster.local, \
             *.k-demo.svc, 127.0.0.1.",
            "--cert-san karmada.example.com",
        ] {
            assert!(message.contains(part), "missing {part:?} in {message}");
        }
    }

    #[test]
    fn a_server_that_is_not_an_https_url_is_refused() {
        let mci = demo("local", &["karmada.example.com"]);
        for server in [
            "http://karmada.example.com",
            "karmada.example.com:5443",
            "https://u:p@karmada.example.com",
        ] {
            assert!(
                check_server_is_covered(&mci, ADMIN, server).is_err(),
                "{server}"
            );
        }
    }

    #[test]
    fn server_can_be_replaced() {
        let text = "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    server: https://in.cluster:5443\n";
        let replaced = with_server(text, "https://1.2.3.4:30443").expect("rewrites");
        assert!(
            replaced.contains("server: https://1.2.3.4:30443"),
            "{replaced}"
        );
        assert!(!replaced.contains("in.cluster"));
    }
}
