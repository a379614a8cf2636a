//! The command line: every command, its flags and their help text.
//!
//! Connection flags (`--kubeconfig`, `--context`, `--request-timeout`) are accepted before the
//! command and after it. They are not clap "global" arguments because `cluster add` gives
//! `--kubeconfig` and `--context` another meaning (the cluster being added), and a global
//! argument would leak that value into the connection to the global cluster.

use std::ffi::OsString;

use clap::{Parser, Subcommand};

use crate::context::Context;
use crate::error::CmdError;
use crate::flags::Connection;
use crate::output::Output;
use crate::style::ColorMode;

use crate::commands::{
    check::CheckArgs, cluster::ClusterArgs, completion::CompletionArgs, create::CreateArgs,
    delete::DeleteArgs, describe::DescribeArgs, diagnose::DiagnoseArgs, get::GetArgs,
    install::InstallArgs, install::UninstallArgs, kubeconfig::KubeconfigArgs, list::ListArgs,
    version::VersionArgs,
};

/// Create, inspect, diagnose and delete multicloud instances: Karmada control planes run by
/// karmada-operator on a management cluster.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl multicloud",
    bin_name = "kubectl multicloud",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = "Start with `kubectl multicloud check -f manifests/examples --clusters \
                  manifests/examples/clusters.yaml`: it runs the admission rules with no cluster."
)]
pub struct Cli {
    /// Which cluster to talk to (also accepted after the command).
    #[command(flatten)]
    pub connection: Connection,

    /// Log what the plugin does on stderr (-v requests, -vv details, -vvv everything; kubectl's
    /// -v=N too: up to 6 is -v, 7-8 -vv, 9+ -vvv).
    // Ordered after every command's own global options, wherever clap propagates it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help_heading = "Global options", display_order = 900)]
    pub verbose: u8,

    /// kubectl's `-v=N`/`--v=N`, which [`Cli::try_parse_kubectl_style`] renames to this hidden
    /// flag: a long `--v` beside the short `-v` would break the shells' completion of options.
    #[arg(long = KUBECTL_VERBOSITY, value_name = "LEVEL", global = true, hide = true)]
    pub kubectl_verbosity: Option<u8>,

    /// When to colour output: auto honours the terminal, TERM, NO_COLOR and CLICOLOR(_FORCE).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorMode::Auto, global = true, help_heading = "Global options", display_order = 901)]
    pub color: ColorMode,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The hidden flag kubectl's verbosity is read into.
const KUBECTL_VERBOSITY: &str = "kubectl-v";

impl Cli {
    /// Parses the command line after turning kubectl's `-v=N`, `--v=N` and `--v N` into the
    /// hidden `--kubectl-v` (clap would read `-v=6` as a value given to the counted `-v`).
    pub fn try_parse_kubectl_style<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let long = format!("--{KUBECTL_VERBOSITY}");
        Self::try_parse_from(args.into_iter().map(|arg| {
            let arg: OsString = arg.into();
            match arg.to_str() {
                Some("--v") => OsString::from(&long),
                Some(a) => match a.strip_prefix("-v=").or_else(|| a.strip_prefix("--v=")) {
                    Some(level) => OsString::from(format!("{long}={level}")),
                    None => arg,
                },
                None => arg,
            }
        }))
    }

    /// The verbosity as `-v` counts it: the larger of the `-v`s and kubectl's `--v=N`.
    pub fn verbosity(&self) -> u8 {
        let kubectl = match self.kubectl_verbosity {
            None | Some(0) => 0,
            Some(1..=6) => 1,
            Some(7..=8) => 2,
            Some(_) => 3,
        };
        self.verbose.max(kubectl)
    }

    /// The connection flags in effect: those after the command win over those before it.
    pub fn connection(&self) -> Connection {
        let inner = match &self.command {
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
            Some(inner) => inner.or(&self.connection),
            None => self.connection.clone(),
        }
    }
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the admission rules on instance files, offline: no cluster needed.
    Check(CheckArgs),
    /// Create an instance.
    // Boxed: its many flags would make every other command as large.
    Create(Box<CreateArgs>),
    /// List instances.
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one instance.
    Get(GetArgs),
    /// Show an instance in detail: spec, status, conditions, component health and events.
    Describe(DescribeArgs),
    /// Delete instances.
    #[command(visible_alias = "rm")]
    Delete(DeleteArgs),
    /// Walk an instance's install step by step and name the first failing step and its fix.
    Diagnose(DiagnoseArgs),
    /// Print or save an instance's admin kubeconfig.
    Kubeconfig(KubeconfigArgs),
    /// Register, list and remove management clusters.
    Cluster(ClusterArgs),
    /// Install the CRD, the webhook and the controller into the current cluster.
    Install(InstallArgs),
    /// Remove what `install` put into the current cluster.
    Uninstall(UninstallArgs),
    /// Print a shell completion script.
    Completion(CompletionArgs),
    /// Print the plugin's version and, when reachable, the cluster's.
    Version(VersionArgs),
}

impl Command {
    /// Runs the command.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        match self {
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
            Command::Completion(args) => args.run(<Cli as clap::CommandFactory>::command()),
            Command::Version(args) => args.run(ctx).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::path::PathBuf;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn connection_flags_after_the_command_override_those_before() {
        let cli = Cli::try_parse_from([
            "kubectl-multicloud",
            "--context",
            "outer",
            "--kubeconfig",
            "a.yaml",
            "list",
            "--context",
            "inner",
        ])
        .expect("parses");
        let Command::List(list) = &cli.command else {
            panic!("expected list, got {:?}", cli.command);
        };
        let merged = list.connection.or(&cli.connection);
        assert_eq!(merged.context.as_deref(), Some("inner"));
        assert_eq!(merged.kubeconfig, Some(PathBuf::from("a.yaml")));
    }

    #[test]
    fn cluster_add_kubeconfig_names_the_new_cluster_not_the_global_one() {
        let cli = Cli::try_parse_from([
            "kubectl-multicloud",
            "--kubeconfig",
            "global.yaml",
            "cluster",
            "add",
            "edge-1",
            "--kubeconfig",
            "edge.yaml",
        ])
        .expect("parses");
        assert_eq!(
            cli.connection.kubeconfig,
            Some(PathBuf::from("global.yaml"))
        );
        let Command::Cluster(cluster) = &cli.command else {
            panic!("expected cluster, got {:?}", cli.command);
        };
        let crate::commands::cluster::ClusterCommand::Add(add) = &cluster.command else {
            panic!("expected cluster add");
        };
        let (member, _, deprecated) = add.member();
        assert_eq!(member, Some(&PathBuf::from("edge.yaml")));
        assert_eq!(deprecated.len(), 1, "the old spelling is reported");
    }

    #[test]
    fn kubectl_verbosity_flags_map_onto_the_counted_levels() {
        for (args, level) in [
            (&["-v=6"][..], 1),
            (&["--v=8"], 2),
            (&["--v", "9"], 3),
            (&["-v=0"], 0),
            (&["-vv"], 2),
            (&["-v"], 1),
        ] {
            let argv = ["kubectl-multicloud"]
                .into_iter()
                .chain(args.iter().copied())
                .chain(["version", "--client"]);
            let cli = Cli::try_parse_kubectl_style(argv).expect("parses");
            assert_eq!(cli.verbosity(), level, "{args:?}");
        }
    }

    #[test]
    fn output_format_outside_the_allowed_set_is_a_usage_error() {
        let err = Cli::try_parse_from(["kubectl-multicloud", "diagnose", "demo", "-o", "name"])
            .expect_err("name is not a diagnose format");
        assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
    }
}
