//! The command line: every command, its flags and their help text.
//!
//! Connection flags (`--kubeconfig`, `--context`, `--request-timeout`) are accepted before the
//! command and after it. They are not clap "global" arguments because `cluster add` gives
//! `--kubeconfig` and `--context` another meaning (the cluster being added), and a global
//! argument would leak that value into the connection to the global cluster.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

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

/// How to reach the global cluster (where instances live): kubectl's global flags.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Global options")]
pub struct Connection {
    /// kubeconfig file; default `$KUBECONFIG`, then `~/.kube/config`, then in-cluster.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// kubeconfig context to use; default its current context.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Address of the API server, replacing the kubeconfig's (works with no kubeconfig too).
    #[arg(short = 's', long, value_name = "URL")]
    pub server: Option<String>,

    #[command(flatten)]
    pub overrides: Overrides,

    #[command(flatten)]
    pub timeout: RequestTimeout,
}

/// kubectl's flags that change one part of the kubeconfig's choice: which cluster and user
/// entry, the credentials, the server's CA, and whom to impersonate.
#[derive(Debug, Clone, Default, Args)]
pub struct Overrides {
    /// kubeconfig cluster entry to use instead of the context's.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,

    /// kubeconfig user entry to use instead of the context's.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Bearer token to authenticate with.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,

    /// CA certificate file (PEM) to verify the API server with, instead of the kubeconfig's.
    #[arg(long, value_name = "FILE")]
    pub certificate_authority: Option<PathBuf>,

    /// Do not verify the API server's certificate (insecure: anyone on the way can read and
    /// change the traffic).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", hide_possible_values = true)]
    pub insecure_skip_tls_verify: Option<bool>,

    /// User to impersonate (the API server decides whether you may).
    #[arg(long = "as", value_name = "USER")]
    pub as_user: Option<String>,

    /// Group to impersonate; repeat for several.
    #[arg(long, value_name = "GROUP")]
    pub as_group: Vec<String>,
}

impl Overrides {
    /// These flags, completed by `outer` (given before the command) where unset here.
    pub fn or(&self, outer: &Overrides) -> Overrides {
        Overrides {
            cluster: self.cluster.clone().or_else(|| outer.cluster.clone()),
            user: self.user.clone().or_else(|| outer.user.clone()),
            token: self.token.clone().or_else(|| outer.token.clone()),
            certificate_authority: self
                .certificate_authority
                .clone()
                .or_else(|| outer.certificate_authority.clone()),
            insecure_skip_tls_verify: self
                .insecure_skip_tls_verify
                .or(outer.insecure_skip_tls_verify),
            as_user: self.as_user.clone().or_else(|| outer.as_user.clone()),
            as_group: if self.as_group.is_empty() {
                outer.as_group.clone()
            } else {
                self.as_group.clone()
            },
        }
    }

    /// Whether any of these flags was given.
    pub fn any(&self) -> bool {
        self.cluster.is_some()
            || self.user.is_some()
            || self.token.is_some()
            || self.certificate_authority.is_some()
            || self.insecure_skip_tls_verify.is_some()
            || self.as_user.is_some()
            || !self.as_group.is_empty()
    }
}

/// Time limit of a single request to an API server.
#[derive(Debug, Clone, Default, Args)]
pub struct RequestTimeout {
    /// Time limit of each request to an API server, e.g. 30s or 1m; 0 means no limit.
    #[arg(long, value_name = "DURATION", value_parser = multicloud_api::duration::parse)]
    pub request_timeout: Option<Duration>,
}

impl Connection {
    /// These flags, completed by `outer` (given before the command) where unset here.
    pub fn or(&self, outer: &Connection) -> Connection {
        Connection {
            kubeconfig: self.kubeconfig.clone().or_else(|| outer.kubeconfig.clone()),
            context: self.context.clone().or_else(|| outer.context.clone()),
            server: self.server.clone().or_else(|| outer.server.clone()),
            overrides: self.overrides.or(&outer.overrides),
            timeout: RequestTimeout {
                request_timeout: self
                    .timeout
                    .request_timeout
                    .or(outer.timeout.request_timeout),
            },
        }
    }
}

/// Output formats (`-o`); each command accepts the ones that make sense for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns or text for people.
    Table,
    /// Like table, with more columns.
    Wide,
    /// JSON, for scripts.
    Json,
    /// YAML, for scripts and people.
    Yaml,
    /// `kind/name` only, one per line.
    Name,
}

/// The formats of a report (`check`, `diagnose`, `version`): a table for people, or the
/// report as JSON or YAML.
pub const REPORT_FORMATS: &[OutputFormat] =
    &[OutputFormat::Table, OutputFormat::Json, OutputFormat::Yaml];

/// A value parser accepting only `allowed` formats, so `--help` lists exactly those.
pub fn formats(allowed: &'static [OutputFormat]) -> impl TypedValueParser<Value = OutputFormat> {
    let names = allowed
        .iter()
        .filter_map(|f| f.to_possible_value())
        .collect::<Vec<_>>();
    PossibleValuesParser::new(names).map(|name| {
        // The name was validated against the enum's own names just above.
        OutputFormat::from_str(&name, false).unwrap_or(OutputFormat::Table)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

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
