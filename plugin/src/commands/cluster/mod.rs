//! `cluster add|list|remove`: management clusters, registered as Secrets in
//! `multicloud-system` labelled `multicloud.dev/cluster=true` with a kubeconfig under `kubeconfig`.

mod add;
mod flatten;
mod list;
mod remove;

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::context::Context;
use crate::error::CmdError;
use crate::flags::{Connection, OutputFormat, Overrides, RequestTimeout, formats};
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
                        kubectl multicloud --context global cluster add edge-1 --cluster-kubeconfig edge.yaml"
)]
pub struct ClusterAddArgs {
    /// Name of the cluster; not `local` and not starting with `k-`.
    pub name: String,
    /// kubeconfig of the cluster being added (karmadactl join's flag).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "deprecated_kubeconfig"
    )]
    pub cluster_kubeconfig: Option<PathBuf>,
    /// Context of that kubeconfig; default its current context.
    #[arg(long, value_name = "NAME")]
    pub cluster_context: Option<String>,
    /// The old spelling of --cluster-kubeconfig, which shadowed the global --kubeconfig.
    #[arg(
        long = "kubeconfig",
        value_name = "FILE",
        hide = true,
        conflicts_with = "cluster_kubeconfig"
    )]
    pub deprecated_kubeconfig: Option<PathBuf>,
    /// The old spelling of --cluster-context, which shadowed the global --context.
    #[arg(
        long = "context",
        value_name = "NAME",
        hide = true,
        conflicts_with = "cluster_context"
    )]
    pub deprecated_context: Option<String>,
    /// Replace the kubeconfig of a cluster already registered under this name.
    #[arg(long)]
    pub overwrite: bool,
    /// `name`: print only `secret/NAME`, the object written (in multicloud-system).
    #[arg(short, long, value_parser = formats(&[OutputFormat::Name]))]
    pub output: Option<OutputFormat>,
    #[command(flatten, next_help_heading = "Global options")]
    pub overrides: Overrides,
    #[command(flatten, next_help_heading = "Global options")]
    pub timeout: RequestTimeout,
}

impl ClusterAddArgs {
    /// The added cluster's kubeconfig and context, from the flags or their deprecated
    /// spellings (each of which is reported once on stderr).
    pub fn member(&self) -> (Option<&PathBuf>, Option<&str>, Vec<&'static str>) {
        let mut deprecated = Vec::new();
        if self.deprecated_kubeconfig.is_some() {
            deprecated.push("--kubeconfig after `cluster add` is deprecated; use --cluster-kubeconfig (the global cluster's --kubeconfig goes before `cluster`)");
        }
        if self.deprecated_context.is_some() {
            deprecated.push("--context after `cluster add` is deprecated; use --cluster-context (the global cluster's --context goes before `cluster`)");
        }
        (
            self.cluster_kubeconfig
                .as_ref()
                .or(self.deprecated_kubeconfig.as_ref()),
            self.cluster_context
                .as_deref()
                .or(self.deprecated_context.as_deref()),
            deprecated,
        )
    }
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
    /// `name`: print only `secret/NAME`, the object deleted (in multicloud-system).
    #[arg(short, long, value_parser = formats(&[OutputFormat::Name]))]
    pub output: Option<OutputFormat>,
    #[command(flatten)]
    pub connection: Connection,
}

impl ClusterArgs {
    /// The connection flags of the global cluster given after the command.
    pub fn connection(&self) -> Option<Connection> {
        match &self.command {
            // Its (deprecated) --kubeconfig and --context are the added cluster's.
            ClusterCommand::Add(add) => Some(Connection {
                overrides: add.overrides.clone(),
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
