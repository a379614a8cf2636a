//! Command-line flags; every one can also come from the environment, as in a Deployment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Reconciles MulticloudInstances into Karmada control planes through karmada-operator.
#[derive(Debug, Clone, Parser)]
#[command(name = "multicloud-controller", version)]
pub struct Args {
    /// kubeconfig of the global cluster; `$KUBECONFIG`, `~/.kube/config` or the in-cluster
    /// configuration when absent.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,

    /// Context of the kubeconfig to use.
    #[arg(long)]
    pub context: Option<String>,

    /// Address of the HTTP server for /healthz, /readyz and /metrics.
    #[arg(
        long,
        env = "MULTICLOUD_METRICS_ADDRESS",
        default_value = "0.0.0.0:8080"
    )]
    pub metrics_address: SocketAddr,

    /// Run without leader election (only when a single replica can ever run).
    #[arg(long)]
    pub no_leader_election: bool,

    /// Namespace of the leader election Lease.
    #[arg(long, env = "POD_NAMESPACE", default_value = multicloud_api::keys::SYSTEM_NAMESPACE)]
    pub lease_namespace: String,

    /// Name of the leader election Lease.
    #[arg(long, default_value = "multicloud-controller")]
    pub lease_name: String,

    /// Identity in the Lease; the pod name in a Deployment. A random one when absent.
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,

    /// How long a Lease holder that stopped renewing keeps it.
    #[arg(long, value_parser = positive, default_value = "15")]
    pub lease_duration: Duration,

    /// How often unsettled instances (installing, storage not ready, blocked) are looked at again.
    #[arg(long, value_parser = positive, default_value = "15")]
    pub poll_interval: Duration,

    /// How often settled instances are reconciled even when nothing notifies a change.
    #[arg(long, value_parser = positive, default_value = "300")]
    pub resync_interval: Duration,

    /// How often the member clusters of a running instance are counted.
    #[arg(long, value_parser = positive, default_value = "60")]
    pub member_interval: Duration,

    /// Time limit of each call to a management cluster or an instance's Karmada API.
    #[arg(long, value_parser = positive, default_value = "10")]
    pub remote_timeout: Duration,

    /// Time limit of one reconcile. One that passes it (an API server that stopped answering
    /// mid-request) is abandoned and retried with backoff; every step is safe to repeat.
    #[arg(long, value_parser = positive, default_value = "120")]
    pub reconcile_timeout: Duration,

    /// How long an install (from the instance's creation) or a spec change (from the change)
    /// may take before the instance is reported Failed. karmada-operator retries a failed run
    /// on its own, so until then a failure shows as still installing, with a count.
    #[arg(long, value_parser = positive, default_value = "30m")]
    pub install_timeout: Duration,

    /// How long karmada-operator's teardown of a deleted instance may take before the instance
    /// reports that its deletion is not finishing, with the way out.
    #[arg(long, value_parser = positive, default_value = "5m")]
    pub teardown_timeout: Duration,

    /// Instances reconciled at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: u16,

    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// A duration greater than zero (`15`, `15s`, `500ms`, `1m`).
fn positive(value: &str) -> Result<Duration, String> {
    match multicloud_api::duration::parse(value)? {
        Duration::ZERO => Err(format!("`{value}` must be greater than zero")),
        duration => Ok(duration),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_flags() {
        let args = Args::try_parse_from(["multicloud-controller"]).expect("parses");
        assert_eq!(args.lease_name, "multicloud-controller");
        assert_eq!(args.poll_interval, Duration::from_secs(15));
        assert!(!args.no_leader_election);
    }

    #[test]
    fn durations_accept_fractions_and_reject_nonsense() {
        let args = Args::try_parse_from(["c", "--poll-interval", "0.5s"]).expect("parses");
        assert_eq!(args.poll_interval, Duration::from_millis(500));
        assert!(Args::try_parse_from(["c", "--poll-interval", "0"]).is_err());
        assert!(Args::try_parse_from(["c", "--poll-interval", "soon"]).is_err());
    }
}
