//! The flags several commands share, and the output formats: kubectl's global connection flags
//! (`--kubeconfig`, `--context`, `-s`, the overrides, `--request-timeout`) and `-o`.
//!
//! A leaf of the module graph: commands take their flags from here, and only `cli` knows the
//! commands.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, ValueEnum};

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
