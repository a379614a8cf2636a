//! `cluster add|list|remove`: management clusters, registered as Secrets in
//! `multicloud-system` labelled `multicloud.dev/cluster=true` with a kubeconfig under `kubeconfig`.

mod add;
mod list;
mod remove;

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli::{Connection, OutputFormat, RequestTimeout, formats};
use crate::context::Context;
use crate::error::CmdError;
use crate::output::Output;

/// Flags of `cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ClusterCommand,
}

/// `cluster` subcommands.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Register a management cluster from a kubeconfig.
    Add(ClusterAddArgs),
    /// List management clusters, their reachability and StorageClasses.
    #[command(visible_alias = "ls")]
    List(ClusterListArgs),
    /// Unregister a management cluster no instance uses.
    #[command(visible_alias = "rm")]
    Remove(ClusterRemoveArgs),
}

/// Flags of `cluster add`.
#[derive(Debug, Args)]
#[command(
    after_help = "The global cluster is the one of $KUBECONFIG, or of --kubeconfig and \
                        --context given before `cluster`:\n  \
                        kubectl multicloud --context global cluster add edge-1 --kubeconfig edge.yaml"
)]
pub struct ClusterAddArgs {
    /// Name of the cluster; not `local` and not starting with `k-`.
    pub name: String,
    /// kubeconfig of the cluster being added.
    #[arg(long, value_name = "FILE", required = true)]
    pub kubeconfig: PathBuf,
    /// Context of that kubeconfig; default its current context.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Replace the kubeconfig of a cluster already registered under this name.
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub timeout: RequestTimeout,
}

/// Flags of `cluster list`.
#[derive(Debug, Args)]
pub struct ClusterListArgs {
    /// Output format.
    #[arg(short, long, default_value = "table", value_parser = formats(&[OutputFormat::Table, OutputFormat::Json, OutputFormat::Yaml, OutputFormat::Name]))]
    pub output: OutputFormat,
    #[command(flatten)]
    pub connection: Connection,
}

/// Flags of `cluster remove`.
#[derive(Debug, Args)]
pub struct ClusterRemoveArgs {
    /// Name of the cluster.
    pub name: String,
    #[command(flatten)]
    pub connection: Connection,
}

impl ClusterArgs {
    /// The connection flags of the global cluster given after the command.
    pub fn connection(&self) -> Option<Connection> {
        match &self.command {
            // Its --kubeconfig and --context are the added cluster's.
            ClusterCommand::Add(add) => Some(Connection {
                timeout: add.timeout.clone(),
                ..Connection::default()
            }),
            ClusterCommand::List(list) => Some(list.connection.clone()),
            ClusterCommand::Remove(remove) => Some(remove.connection.clone()),
        }
    }

    /// Runs the subcommand.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        match &self.command {
            ClusterCommand::Add(args) => args.run(ctx).await,
            ClusterCommand::List(args) => args.run(ctx).await,
            ClusterCommand::Remove(args) => args.run(ctx).await,
        }
    }
}
