//! Command-line flags. Each is also read from the environment, as a Deployment sets it: from
//! `MULTICLOUD_CONTROLLER_<FLAG>` (see [`multicloud_runtime::args`]), except the Lease's
//! identity and namespace, which come from the downward API's `POD_NAME` and `POD_NAMESPACE`.

use std::time::Duration;

use clap::Parser;
use multicloud_runtime::args::{Flags, KubeconfigArgs, MetricsArgs, positive_duration as positive};
use multicloud_runtime::logging::LogArgs;

/// The prefix of the environment variable of each flag.
pub const ENV_PREFIX: &str = "MULTICLOUD_CONTROLLER";

/// Reconciles MulticloudInstances into Karmada control planes through karmada-operator.
#[derive(Debug, Clone, Parser)]
#[command(name = "multicloud-controller", version)]
pub struct Args {
    /// The global cluster.
    #[command(flatten)]
    pub kube: KubeconfigArgs,

    /// The probe and metrics server.
    #[command(flatten)]
    pub metrics: MetricsArgs,

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

    /// Logging.
    #[command(flatten)]
    pub log: LogArgs,
}

impl Flags for Args {}

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
    fn every_flag_has_an_environment_variable() {
        let command = multicloud_runtime::args::command::<Args>(ENV_PREFIX);
        for arg in command.get_arguments() {
            let env = arg.get_env().map(|env| env.to_string_lossy().into_owned());
            let expected = match arg.get_id().as_str() {
                "identity" => "POD_NAME".to_owned(),
                "lease_namespace" => "POD_NAMESPACE".to_owned(),
                id => format!("MULTICLOUD_CONTROLLER_{}", id.to_uppercase()),
            };
            assert_eq!(env, Some(expected), "--{}", arg.get_id());
        }
    }

    #[test]
    fn durations_accept_fractions_and_reject_nonsense() {
        let args = Args::try_parse_from(["c", "--poll-interval", "0.5s"]).expect("parses");
        assert_eq!(args.poll_interval, Duration::from_millis(500));
        assert!(Args::try_parse_from(["c", "--poll-interval", "0"]).is_err());
        assert!(Args::try_parse_from(["c", "--poll-interval", "soon"]).is_err());
    }
}
