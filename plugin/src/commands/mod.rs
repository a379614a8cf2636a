//! One module per command; each has an `XArgs` with `run(&self, ctx) -> Result<Output, CmdError>`.

pub mod check;
pub mod cluster;
pub mod completion;
pub mod create;
pub mod delete;
pub mod describe;
pub mod diagnose;
pub mod get;
pub mod install;
pub mod kubeconfig;
pub mod list;
pub mod version;

use crate::cli::{Cli, Command, Connection};
use crate::context::Context;
use crate::error::CmdError;
use crate::output::Output;

/// The connection flags in effect: those after the command win over those before it.
pub fn connection(cli: &Cli) -> Connection {
    let inner = match &cli.command {
        Command::Create(a) => Some(a.connection.clone()),
        Command::List(a) => Some(a.connection.clone()),
        Command::Get(a) => Some(a.connection.clone()),
        Command::Describe(a) => Some(a.connection.clone()),
        Command::Delete(a) => Some(a.connection.clone()),
        Command::Diagnose(a) => Some(a.connection.clone()),
        Command::Kubeconfig(a) => Some(a.connection()),
        Command::Cluster(a) => a.connection(),
        Command::Install(a) => Some(a.connection.clone()),
        Command::Uninstall(a) => Some(a.connection.clone()),
        Command::Version(a) => Some(a.connection.clone()),
        Command::Check(_) | Command::Completion(_) => None,
    };
    match inner {
        Some(inner) => inner.or(&cli.connection),
        None => cli.connection.clone(),
    }
}

/// Runs `command`.
pub async fn run(command: &Command, ctx: &Context) -> Result<Output, CmdError> {
    match command {
        Command::Check(args) => args.run(ctx).await,
        Command::Create(args) => args.run(ctx).await,
        Command::List(args) => args.run(ctx).await,
        Command::Get(args) => args.run(ctx).await,
        Command::Describe(args) => args.run(ctx).await,
        Command::Delete(args) => args.run(ctx).await,
        Command::Diagnose(args) => args.run(ctx).await,
        Command::Kubeconfig(args) => args.run(ctx).await,
        Command::Cluster(args) => args.run(ctx).await,
        Command::Install(args) => args.run(ctx).await,
        Command::Uninstall(args) => args.run(ctx).await,
        Command::Completion(args) => args.run(),
        Command::Version(args) => args.run(ctx).await,
    }
}
