//! `version`: the plugin's version and, when the cluster answers, its API server and the
//! versions of the installed webhook and controller.

use clap::Args;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::Api;
use multicloud_api::keys::SYSTEM_NAMESPACE;
use serde::Serialize;

use crate::context::Context;
use crate::error::{CmdError, report_line};
use crate::flags::{Connection, OutputFormat, REPORT_FORMATS, formats};
use crate::output::{Output, emit};

/// Names of the Deployments `install` creates.
pub const COMPONENTS: [&str; 2] = ["multicloud-webhook", "multicloud-controller"];

/// Flags of `version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Only the plugin's version; do not contact the cluster.
    #[arg(long)]
    pub client: bool,

    /// Output format.
    #[arg(short, long, default_value = "table", value_parser = formats(REPORT_FORMATS))]
    pub output: OutputFormat,

    #[command(flatten)]
    pub connection: Connection,
}

/// What `version` reports.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Versions {
    /// The plugin.
    pub client: String,
    /// The cluster, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<Server>,
}

/// The cluster's side.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Server {
    /// kube-apiserver's gitVersion, or why it could not be asked.
    pub kubernetes: String,
    /// Whether the MulticloudInstance CRD is installed; unknown when the cluster did not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crd_installed: Option<bool>,
    /// Image of each multicloud Deployment, by name; absent ones are left out.
    pub components: Vec<(String, String)>,
    /// Whether the API server answered; as with `kubectl version`, an unanswered server makes
    /// the exit status 1 (the client version is still printed).
    #[serde(skip)]
    pub reachable: bool,
}

impl std::fmt::Display for Versions {
    /// As `kubectl version` prints it, with what multicloud installed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Client Version: {}", self.client)?;
        if let Some(server) = &self.server {
            writeln!(f, "Server Version: {}", server.kubernetes)?;
            if server.crd_installed == Some(false) {
                writeln!(
                    f,
                    "multicloud: not installed (run `kubectl multicloud install`)"
                )?;
            }
            for (name, image) in &server.components {
                writeln!(f, "{name}: {image}")?;
            }
        }
        Ok(())
    }
}

impl VersionArgs {
    /// Reports versions.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let server = if self.client {
            None
        } else {
            Some(server(ctx).await)
        };
        let versions = Versions {
            client: format!("v{}", env!("CARGO_PKG_VERSION")),
            server,
        };
        let text = emit(self.output, &versions, |versions| Ok(versions.to_string()))?;
        let reachable = versions.server.as_ref().is_none_or(|s| s.reachable);
        Ok(Output::text(text).with_status(reachable))
    }
}

async fn server(ctx: &Context) -> Server {
    let client = match ctx.client().await {
        Ok(client) => client,
        Err(err) => return unreachable(report_line(&err)),
    };
    let kubernetes = match client.apiserver_version().await {
        Ok(info) => info.git_version,
        Err(err) => return unreachable(crate::error::one_line(&err)),
    };
    let crd = multicloud_api::crd::crd().metadata.name.unwrap_or_default();
    let crd_installed = Api::<CustomResourceDefinition>::all(client.clone())
        .get_opt(&crd)
        .await
        .ok()
        .map(|crd| crd.is_some());
    let deployments: Api<Deployment> = Api::namespaced(client, SYSTEM_NAMESPACE);
    let mut components = Vec::new();
    for name in COMPONENTS {
        if let Ok(Some(deployment)) = deployments.get_opt(name).await {
            let image = deployment
                .spec
                .and_then(|s| s.template.spec)
                .and_then(|s| s.containers.into_iter().next())
                .and_then(|c| c.image)
                .unwrap_or_default();
            components.push((name.to_owned(), image));
        }
    }
    Server {
        kubernetes,
        crd_installed,
        components,
        reachable: true,
    }
}

fn unreachable(why: String) -> Server {
    Server {
        kubernetes: format!("unknown ({why})"),
        crd_installed: None,
        components: Vec::new(),
        reachable: false,
    }
}
