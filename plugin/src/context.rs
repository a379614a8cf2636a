//! What every command gets: the connection to the global cluster (made once, on first use),
//! clients for management clusters, the warnings the API servers sent, and how to style output.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use kube::config::{Kubeconfig, KubeconfigError};
use kube::{Client, Config};
use multicloud_runtime::kubeconfig::{self, CheckedKubeconfig, ClientOptions};
use tokio::sync::OnceCell;

use crate::duration::human_duration;
use crate::error::CmdError;
use crate::flags::Connection;
use crate::overrides;
use crate::style::{Paint, Style};
use crate::warnings::Warnings;

/// Time limit of each request to a management cluster when `--request-timeout` is not given:
/// an unreachable cluster must not make `describe` or `diagnose` hang.
pub const MANAGEMENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Shared state of one run of the plugin.
pub struct Context {
    connection: Connection,
    client: OnceCell<Client>,
    /// Warnings from every API server response, printed on stderr.
    pub warnings: Warnings,
    /// Styling of stdout.
    pub stdout: Style,
    /// Styling of stderr.
    pub stderr: Style,
    /// Whether a person is at a terminal (stdin and stderr), so the plugin may ask questions
    /// and redraw progress lines.
    pub interactive: bool,
}

impl Context {
    /// A context for the streams of this process.
    pub fn new(connection: Connection) -> Self {
        Self {
            connection,
            client: OnceCell::new(),
            warnings: Warnings::default(),
            stdout: Style::detect(&std::io::stdout()),
            stderr: Style::detect(&std::io::stderr()),
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        }
    }

    /// Prints the API servers' warnings received so far on stderr, as kubectl does.
    pub fn flush_warnings(&self) {
        for warning in self.warnings.take() {
            eprintln!("{} {warning}", self.stderr.paint(Paint::Warn, "Warning:"));
        }
    }

    /// The client of the global cluster.
    pub async fn client(&self) -> Result<Client, CmdError> {
        self.client
            .get_or_try_init(|| async {
                let config = global_config(&self.connection).await?;
                self.client_for(config, self.connection.timeout.request_timeout)
            })
            .await
            .cloned()
    }

    /// A client for `config`, with the request timeout applied and warnings collected.
    pub fn client_for(
        &self,
        mut config: Config,
        timeout: Option<Duration>,
    ) -> Result<Client, CmdError> {
        if let Some(timeout) = timeout {
            let limit = (!timeout.is_zero()).then_some(timeout);
            config.connect_timeout = limit;
            config.read_timeout = limit;
            config.write_timeout = limit;
        }
        let limit = config.read_timeout;
        let server = config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_owned();
        let builder = kube::client::ClientBuilder::try_from(config)
            .map_err(|e| CmdError::kube(format!("failed to set up a client for {server}"), e))?;
        Ok(builder
            .with_layer(&self.warnings.layer())
            .with_layer(&naming_the_server(server, limit))
            .build())
    }

    /// A client for a kubeconfig given as text (a management cluster's Secret), once it passes
    /// the policy every multicloud process applies (`multicloud_runtime::kubeconfig`).
    pub async fn client_from_kubeconfig(&self, text: &str, what: &str) -> Result<Client, CmdError> {
        let checked = check_kubeconfig(text, what)?;
        self.client_from_checked(&checked, what).await
    }

    /// A client for a kubeconfig that passed the policy, bounded by `--request-timeout` (or
    /// [`MANAGEMENT_REQUEST_TIMEOUT`]), with the API server's warnings collected.
    pub async fn client_from_checked(
        &self,
        checked: &CheckedKubeconfig,
        what: &str,
    ) -> Result<Client, CmdError> {
        let config = kubeconfig::config(checked, &ClientOptions::default())
            .await
            .map_err(|e| {
                CmdError::with_source(format!("the kubeconfig of {what} cannot be used"), e)
            })?;
        let timeout = self
            .connection
            .timeout
            .request_timeout
            .unwrap_or(MANAGEMENT_REQUEST_TIMEOUT);
        self.client_for(config, Some(timeout))
    }
}

/// The policy of `multicloud_runtime::kubeconfig` over the kubeconfig of `what`, as the
/// webhook and the controller apply it.
pub fn check_kubeconfig(text: &str, what: &str) -> Result<CheckedKubeconfig, CmdError> {
    kubeconfig::check(text)
        .map_err(|e| CmdError::msg(format!("the kubeconfig of {what} cannot be used: it {e}")))
}

/// The configuration of the global cluster from the connection flags, as kubectl finds it:
/// the kubeconfig (`--kubeconfig`, `$KUBECONFIG`, `~/.kube/config`) with kubectl's global
/// flags applied, or, with none of them and no kubeconfig, the in-cluster configuration.
async fn global_config(connection: &Connection) -> Result<Config, CmdError> {
    if !overrides::wanted(connection) {
        return Config::infer().await.map_err(|e| {
            CmdError::with_source(
                "no cluster configured: no usable kubeconfig ($KUBECONFIG, ~/.kube/config) and \
                 not running in a cluster; pass --kubeconfig FILE or --server URL",
                e,
            )
        });
    }
    let mut kubeconfig = match &connection.kubeconfig {
        Some(path) => read_kubeconfig(path)?,
        None => match Kubeconfig::read() {
            Ok(kubeconfig) => kubeconfig,
            // kubectl lets `--server` (with `--token`, `--certificate-authority`, ...) stand
            // alone when there is no kubeconfig at all.
            Err(_) if connection.server.is_some() => Kubeconfig::default(),
            // In a pod, as kubectl there: the service account's config, with the flags that
            // apply to it.
            Err(e) => match Config::incluster() {
                Ok(mut config) if connection.context.is_none() => {
                    overrides::apply_to_config(&mut config, &connection.overrides)?;
                    return Ok(config);
                }
                _ => return Err(CmdError::with_source("failed to read the kubeconfig", e)),
            },
        },
    };
    let options = overrides::apply(&mut kubeconfig, connection)?;
    Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| CmdError::with_source("the kubeconfig cannot be used", e))
}

/// A request that got no HTTP answer: which API server it went to, the time limit when that
/// is what ended it, then why.
#[derive(Debug, thiserror::Error)]
#[error(
    "no answer from the API server at {server}{}",
    within.map(|limit| format!(" within {}", limit_text(limit))).unwrap_or_default()
)]
pub struct NoAnswer {
    server: String,
    within: Option<Duration>,
    #[source]
    source: tower::BoxError,
}

/// A layer for kube's `ClientBuilder` that names `server` in every error without an HTTP
/// answer (refused connections, TLS failures, timeouts): kube's own say only "client error
/// (Connect)" or "deadline has elapsed", and a user with several clusters needs to know which.
fn naming_the_server(
    server: String,
    limit: Option<Duration>,
) -> tower::util::MapErrLayer<impl Fn(tower::BoxError) -> tower::BoxError + Clone> {
    tower::util::MapErrLayer::new(move |source: tower::BoxError| -> tower::BoxError {
        Box::new(NoAnswer {
            server: server.clone(),
            within: limit.filter(|_| timed_out(source.as_ref())),
            source,
        })
    })
}

/// A time limit as the user wrote it: `1500ms` stays exact, whole seconds read `30s`, `2m`.
fn limit_text(limit: Duration) -> String {
    if limit.subsec_millis() == 0 {
        human_duration(limit)
    } else {
        format!("{}ms", limit.as_millis())
    }
}

/// Whether a time limit ended the request: tokio's `Elapsed` (kube's connect timeout) or an
/// I/O error of kind `TimedOut` (its read and write timeouts) somewhere in the chain.
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |e| e.source()).any(|e| {
        e.is::<tokio::time::error::Elapsed>()
            || e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::TimedOut)
    })
}

/// Reads a kubeconfig file, naming it in the error.
pub fn read_kubeconfig(path: &Path) -> Result<Kubeconfig, CmdError> {
    let failed = || format!("failed to read kubeconfig {}", path.display());
    // kube's read, for what it adds: relative certificate paths resolved against the file. A
    // file that cannot be read is an I/O error (exit code and message), not a parse error.
    Kubeconfig::read_from(path).map_err(|e| match e {
        KubeconfigError::ReadConfig(source, _) => CmdError::io(failed(), source),
        other => CmdError::with_source(failed(), other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_limits_read_as_written() {
        assert_eq!(limit_text(Duration::from_secs(1)), "1s");
        assert_eq!(limit_text(Duration::from_secs(90)), "1m30s");
        assert_eq!(limit_text(Duration::from_millis(1500)), "1500ms");
    }

    #[test]
    fn a_time_limit_is_found_anywhere_in_the_cause_chain() {
        let read = std::io::Error::new(std::io::ErrorKind::TimedOut, "read timed out");
        let wrapped = NoAnswer {
            server: "https://127.0.0.1:1".into(),
            within: None,
            source: Box::new(read),
        };
        assert!(timed_out(&wrapped));
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(!timed_out(&refused));
    }
}
