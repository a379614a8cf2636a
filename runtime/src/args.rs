//! Flags: the groups every server shares, how flags meet the environment, and the one way a
//! server's flags are parsed and checked.
//!
//! Every flag of a server can also be set from the environment, as a Deployment does: a flag
//! without a variable of its own gets `<PREFIX>_<FLAG>` (`--log-format` of the webhook is
//! `MULTICLOUD_WEBHOOK_LOG_FORMAT`), so the names never drift from the flags.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{Command, CommandFactory, Parser};
use kube::config::{InferConfigError, KubeConfigOptions, Kubeconfig, KubeconfigError};

/// A server's flags, checked against each other once parsed.
pub trait Flags: Parser {
    /// Checks the flags against each other; the message says what to change.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// The flags of this process: from the command line, else `<env_prefix>_<FLAG>`. A usage
/// mistake (a bad value, flags that contradict each other) ends the process with clap's usage
/// error (status 2).
pub fn parse<A: Flags>(env_prefix: &str) -> A {
    let mut command = command::<A>(env_prefix);
    let parsed = A::from_arg_matches(&command.get_matches_mut());
    let args = parsed.unwrap_or_else(|error| error.format(&mut command).exit());
    if let Err(message) = args.check() {
        command.error(ErrorKind::ArgumentConflict, message).exit();
    }
    args
}

/// The command of `A`, each flag without a variable of its own read from `<env_prefix>_<FLAG>`
/// too.
pub fn command<A: CommandFactory>(env_prefix: &str) -> Command {
    A::command().mut_args(|arg| {
        if arg.get_env().is_some() || arg.is_positional() {
            return arg;
        }
        let name = format!("{env_prefix}_{}", arg.get_id().as_str().to_uppercase());
        // clap keeps variable names as `&'static str`; a command is built once a process.
        arg.env(&*Box::leak(name.into_boxed_str()))
    })
}

/// A duration greater than zero (`15`, `15s`, `500ms`, `1m`), for flags where zero would mean
/// spinning or never.
pub fn positive_duration(value: &str) -> Result<Duration, String> {
    match multicloud_api::duration::parse(value)? {
        Duration::ZERO => Err(format!("`{value}` must be greater than zero")),
        duration => Ok(duration),
    }
}

/// Which cluster the process works on: the kubeconfig its operator gives it. Trusted, so kube
/// loads it as usual (credential plugins included); kubeconfigs that others wrote go through
/// [`crate::kubeconfig`] instead.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct KubeconfigArgs {
    /// Kubeconfig of the global cluster; without it `$KUBECONFIG`, `~/.kube/config` or the
    /// in-cluster service account.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,

    /// Context of the kubeconfig; without it the current context, else its only one.
    #[arg(long)]
    pub context: Option<String>,
}

/// Why the process's own kubeconfig could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file is missing or not a kubeconfig.
    #[error("failed to read kubeconfig {}", .path.display())]
    Read {
        /// `--kubeconfig`.
        path: PathBuf,
        /// What kube found.
        #[source]
        source: KubeconfigError,
    },
    /// The file was read but its context cannot be used.
    #[error("failed to load kubeconfig {}", .path.display())]
    Load {
        /// `--kubeconfig`.
        path: PathBuf,
        /// What kube found.
        #[source]
        source: KubeconfigError,
    },
    /// `--context` without `--kubeconfig`, and the default kubeconfig does not serve it.
    #[error("failed to load the kubeconfig context `{context}`")]
    Context {
        /// `--context`.
        context: String,
        /// What kube found.
        #[source]
        source: KubeconfigError,
    },
    /// Neither flag, and no configuration to infer.
    #[error(
        "failed to find a Kubernetes configuration (in-cluster, $KUBECONFIG or ~/.kube/config)"
    )]
    Infer(#[source] InferConfigError),
}

impl KubeconfigArgs {
    /// The client configuration these flags choose.
    pub async fn config(&self) -> Result<kube::Config, ConfigError> {
        let mut options = KubeConfigOptions {
            context: self.context.clone(),
            ..KubeConfigOptions::default()
        };
        match (&self.kubeconfig, &self.context) {
            (Some(path), _) => {
                let file = Kubeconfig::read_from(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                if options.context.is_none() && file.current_context.is_none() {
                    // The choice of `multicloud_api::kubeconfig::check`: lacking a current
                    // context, the only one.
                    if let [only] = file.contexts.as_slice() {
                        options.context = Some(only.name.clone());
                    }
                }
                kube::Config::from_custom_kubeconfig(file, &options)
                    .await
                    .map_err(|source| ConfigError::Load {
                        path: path.clone(),
                        source,
                    })
            }
            (None, Some(context)) => {
                kube::Config::from_kubeconfig(&options)
                    .await
                    .map_err(|source| ConfigError::Context {
                        context: context.clone(),
                        source,
                    })
            }
            (None, None) => kube::Config::infer().await.map_err(ConfigError::Infer),
        }
    }
}

/// Where a server that answers its probes apart from its main port serves them.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct MetricsArgs {
    /// Address of the HTTP server for /healthz, /readyz and /metrics.
    #[arg(long, default_value = "0.0.0.0:8080")]
    pub metrics_address: SocketAddr,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Parser)]
    struct Server {
        #[command(flatten)]
        kubeconfig: KubeconfigArgs,
        /// Has a variable of its own.
        #[arg(long, env = "POD_NAME")]
        identity: Option<String>,
        #[arg(long, value_parser = positive_duration, default_value = "1s")]
        interval: Duration,
    }

    impl Flags for Server {}

    #[test]
    fn every_flag_has_an_environment_variable_named_after_it() {
        let command = command::<Server>("MULTICLOUD_TEST");
        let env = |id: &str| {
            command
                .get_arguments()
                .find(|arg| arg.get_id() == id)
                .and_then(|arg| arg.get_env())
                .map(|env| env.to_string_lossy().into_owned())
        };
        assert_eq!(
            env("kubeconfig").as_deref(),
            Some("MULTICLOUD_TEST_KUBECONFIG")
        );
        assert_eq!(env("context").as_deref(), Some("MULTICLOUD_TEST_CONTEXT"));
        assert_eq!(env("interval").as_deref(), Some("MULTICLOUD_TEST_INTERVAL"));
        assert_eq!(env("identity").as_deref(), Some("POD_NAME"));
    }

    #[test]
    fn zero_is_no_interval() {
        assert!(Server::try_parse_from(["s", "--interval", "0"]).is_err());
        let server = Server::try_parse_from(["s", "--interval", "0.5s"]).expect("parses");
        assert_eq!(server.interval, Duration::from_millis(500));
    }

    #[tokio::test]
    async fn a_kubeconfig_without_current_context_uses_its_only_one() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("kubeconfig");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n\
             users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n",
        )
        .expect("kubeconfig is written");
        let args = KubeconfigArgs {
            kubeconfig: Some(path.clone()),
            context: None,
        };
        let config = args.config().await.expect("usable");
        assert_eq!(config.cluster_url.to_string(), "https://127.0.0.1:1/");

        let elsewhere = KubeconfigArgs {
            kubeconfig: Some(path),
            context: Some("nowhere".into()),
        };
        let error = elsewhere.config().await.expect_err("no such context");
        let text = crate::report::error_chain(&error);
        assert!(
            text.contains("failed to load kubeconfig") && text.contains("nowhere"),
            "{text}"
        );
    }
}
