//! `cluster list`: every management cluster, `local` first, with its reachability, its
//! StorageClasses and how many instances run there.

use kube::Client;
use multicloud_api::clusters::StorageClassInfo;
use multicloud_api::keys::LOCAL_CLUSTER;
use serde::Serialize;

use super::ClusterListArgs;
use crate::clusters::{kubeconfig_of, registered, storage_classes};
use crate::context::Context;
use crate::error::{CmdError, brief, one_line, report_line};
use crate::flags::OutputFormat;
use crate::instances;
use crate::output::{Output, emit};
use crate::style::Style;
use crate::table::Table;

/// One row of `cluster list`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRow {
    /// Cluster name.
    pub name: String,
    /// API server address.
    pub server: String,
    /// Kubernetes version when reachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why it is not reachable: the whole error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The same in a few words, for the table.
    #[serde(skip)]
    pub reason: Option<String>,
    /// Its StorageClasses.
    pub storage_classes: Vec<StorageClassInfo>,
    /// Instances whose control plane runs there.
    pub instances: usize,
}

impl ClusterListArgs {
    pub(super) async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let global = ctx.client().await?;
        let secrets = registered(&global).await?;
        let instances = instances::list(&global, None).await.unwrap_or_default();
        let using = |name: &str| {
            instances
                .iter()
                .filter(|i| i.spec.management_cluster == name)
                .count()
        };
        let mut rows = vec![
            probe(
                LOCAL_CLUSTER,
                Ok(global.clone()),
                "(the global cluster)".into(),
                using(LOCAL_CLUSTER),
            )
            .await,
        ];
        for secret in &secrets {
            let name = secret.metadata.name.clone().unwrap_or_default();
            let (client, server) = match kubeconfig_of(secret) {
                Ok(text) => (
                    ctx.client_from_kubeconfig(&text, &format!("cluster `{name}`"))
                        .await,
                    multicloud_api::kubeconfig::server_of(&text).unwrap_or_default(),
                ),
                Err(err) => (Err(err), String::new()),
            };
            rows.push(probe(&name, client, server, using(&name)).await);
        }
        let text = emit(self.output, &rows, |rows| {
            Ok(match self.output {
                OutputFormat::Name => rows.iter().map(|r| format!("{}\n", r.name)).collect(),
                _ => render(rows, ctx.stdout),
            })
        })?;
        Ok(Output::text(text))
    }
}

async fn probe(
    name: &str,
    client: Result<Client, CmdError>,
    server: String,
    instances: usize,
) -> ClusterRow {
    let mut row = ClusterRow {
        name: name.to_owned(),
        server,
        version: None,
        error: None,
        reason: None,
        storage_classes: Vec::new(),
        instances,
    };
    let client = match client {
        Ok(client) => client,
        Err(err) => {
            row.error = Some(report_line(&err));
            row.reason = Some(brief(&err));
            return row;
        }
    };
    match client.apiserver_version().await {
        Ok(info) => row.version = Some(info.git_version),
        Err(err) => {
            row.error = Some(one_line(&err));
            row.reason = Some(brief(&err));
            return row;
        }
    }
    match storage_classes(&client).await {
        Ok(classes) => row.storage_classes = classes,
        Err(err) => {
            row.error = Some(format!(
                "StorageClasses cannot be listed: {}",
                one_line(&err)
            ));
            row.reason = Some(format!("StorageClasses cannot be listed: {}", brief(&err)));
        }
    }
    row
}

/// The table of `cluster list`.
pub fn render(rows: &[ClusterRow], style: Style) -> String {
    let mut table = Table::new([
        "name",
        "server",
        "reachable",
        "storage classes",
        "default",
        "instances",
    ]);
    let mut cut_short = false;
    for row in rows {
        cut_short |= row.reason.is_some() && row.reason != row.error;
        let reachable = match (&row.version, &row.reason) {
            (Some(version), None) => format!("yes ({version})"),
            (Some(_), Some(error)) => format!("yes; {error}"),
            (None, Some(error)) => format!("no: {error}"),
            (None, None) => "unknown".to_owned(),
        };
        let classes = row
            .storage_classes
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let default = row
            .storage_classes
            .iter()
            .find(|c| c.default)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        table.row([
            row.name.clone(),
            row.server.clone(),
            reachable,
            classes,
            default,
            row.instances.to_string(),
        ]);
    }
    let mut text = table.render(style, true);
    if cut_short {
        text.push_str("The whole errors: kubectl multicloud cluster list -o yaml\n");
    }
    text
}
