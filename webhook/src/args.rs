//! Command-line flags. Each is also read from `MULTICLOUD_WEBHOOK_<FLAG>` (as a Deployment sets
//! it): see [`multicloud_runtime::args`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use multicloud_runtime::args::{Flags, KubeconfigArgs, positive_duration};
use multicloud_runtime::logging::LogArgs;

/// The prefix of the environment variable of each flag.
pub const ENV_PREFIX: &str = "MULTICLOUD_WEBHOOK";

/// The admission webhook for MulticloudInstances and management cluster Secrets.
#[derive(Debug, Clone, Parser)]
#[command(name = "multicloud-webhook", version, about, long_about = None)]
pub struct Args {
    /// Address to serve HTTPS on.
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub addr: SocketAddr,

    /// PEM certificate chain of the serving certificate; re-read when it changes.
    #[arg(long, default_value = "/etc/multicloud-webhook/tls/tls.crt")]
    pub tls_cert: PathBuf,

    /// PEM private key of the serving certificate; re-read when it changes.
    #[arg(long, default_value = "/etc/multicloud-webhook/tls/tls.key")]
    pub tls_key: PathBuf,

    /// The global cluster (`local`).
    #[command(flatten)]
    pub kube: KubeconfigArgs,

    /// Longest a request waits for a management cluster that is not synced yet (or not yet
    /// known) before it is denied; keep it well below the webhook's timeoutSeconds.
    #[arg(long, default_value = "2s", value_parser = multicloud_api::duration::parse)]
    pub cluster_wait: Duration,

    /// A registered cluster whose StorageClasses are not listed within this time is reported
    /// unreachable.
    #[arg(long, default_value = "10s", value_parser = multicloud_api::duration::parse)]
    pub sync_timeout: Duration,

    /// How often the API server of each registered cluster is probed (`/readyz`), so that a
    /// cluster that went away is known before a request needs it. A refused connection marks
    /// the cluster unreachable at once; silence (no answer within the interval, at least 1 s)
    /// only at the second probe in a row.
    #[arg(long, default_value = "1s", value_parser = positive_duration)]
    pub probe_interval: Duration,

    /// Directory every etcd hostPath must lie strictly under; the default path of a new
    /// instance is `<root>/k-<name>-<token>/etcd`. Absolute, in normal form, not `/`.
    #[arg(
        long,
        default_value = multicloud_api::names::DEFAULT_HOST_PATH_ROOT
    )]
    pub host_path_root: String,

    /// Bound on handling one HTTP request.
    #[arg(long, default_value = "4s", value_parser = positive_duration)]
    pub request_timeout: Duration,

    /// On SIGTERM/SIGINT, how long in-flight requests may take to finish.
    #[arg(long, default_value = "20s", value_parser = multicloud_api::duration::parse)]
    pub drain_timeout: Duration,

    /// On SIGTERM/SIGINT, how long to keep accepting connections (reporting not ready) before
    /// the drain, so that the API server stops picking this pod before it stops answering.
    #[arg(long, default_value = "0s", value_parser = multicloud_api::duration::parse)]
    pub shutdown_delay: Duration,

    /// How often the certificate files are checked for a new certificate.
    #[arg(long, default_value = "1s", value_parser = positive_duration)]
    pub cert_reload_interval: Duration,

    /// Connections open at once; more are closed as soon as they arrive.
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,

    /// Bound on a client finishing its TLS handshake.
    #[arg(long, default_value = "10s", value_parser = positive_duration)]
    pub handshake_timeout: Duration,

    /// Bound on receiving the headers of an HTTP/1 request, from when the server starts waiting
    /// for them; also how long a kept-alive HTTP/1 connection may stay idle.
    #[arg(long, default_value = "10s", value_parser = positive_duration)]
    pub header_read_timeout: Duration,

    /// A connection (HTTP/1 or HTTP/2) on which nothing is read or written for this long is
    /// closed; longer than --request-timeout.
    #[arg(long, default_value = "90s", value_parser = multicloud_api::duration::parse)]
    pub idle_timeout: Duration,

    /// HTTP/2 requests in flight at once on one connection.
    #[arg(long, default_value_t = 32)]
    pub max_concurrent_streams: u32,

    /// Logging.
    #[command(flatten)]
    pub log: LogArgs,
}

impl Flags for Args {
    fn check(&self) -> Result<(), String> {
        Args::check(self)
    }
}

impl Args {
    /// Checks the flags against each other (each alone is checked as it is parsed); the
    /// message says what to change.
    pub fn check(&self) -> Result<(), String> {
        if self.cluster_wait >= self.request_timeout {
            return Err(format!(
                "--cluster-wait ({:?}) must be shorter than --request-timeout ({:?}), so a \
                 request waiting for a cluster is still answered",
                self.cluster_wait, self.request_timeout
            ));
        }
        if let Err(problem) = multicloud_api::rules::check_host_path_form(&self.host_path_root) {
            return Err(format!("--host-path-root: {problem}"));
        }
        if self.host_path_root == "/" {
            return Err(
                "--host-path-root must not be `/`: etcd could then be given any directory of \
                 the node, such as /etc/kubernetes; use a directory of its own, such as \
                 /var/lib/multicloud"
                    .to_owned(),
            );
        }
        if self.idle_timeout <= self.request_timeout {
            return Err(format!(
                "--idle-timeout ({:?}) must be longer than --request-timeout ({:?}), so a \
                 connection waiting for its answer is not closed as idle",
                self.idle_timeout, self.request_timeout
            ));
        }
        if self.max_connections == 0 || self.max_concurrent_streams == 0 {
            return Err(
                "--max-connections and --max-concurrent-streams must be greater than zero".into(),
            );
        }
        Ok(())
    }

    /// The connection limits these flags set.
    pub fn limits(&self) -> crate::server::Limits {
        crate::server::Limits {
            max_connections: self.max_connections,
            handshake_timeout: self.handshake_timeout,
            header_read_timeout: self.header_read_timeout,
            idle_timeout: self.idle_timeout,
            max_concurrent_streams: self.max_concurrent_streams,
            ..crate::server::Limits::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_consistent() {
        let args = Args::parse_from(["multicloud-webhook"]);
        assert_eq!(args.cluster_wait, Duration::from_secs(2));
        assert_eq!(args.check(), Ok(()));
        assert_eq!(args.limits(), crate::server::Limits::default());
    }

    #[test]
    fn idle_timeout_must_outlast_a_request() {
        let args = Args::parse_from(["multicloud-webhook", "--idle-timeout", "3s"]);
        assert!(args.check().unwrap_err().contains("--idle-timeout"));
    }

    #[test]
    fn the_host_path_root_is_a_normal_absolute_directory_other_than_slash() {
        let args = Args::parse_from(["multicloud-webhook"]);
        assert_eq!(args.host_path_root, "/var/lib/multicloud");
        for (root, expected) in [
            ("/", "must not be `/`"),
            ("srv", "absolute"),
            ("/srv//mc", "write it as \"/srv/mc\""),
            ("/srv/mc/", "write it as \"/srv/mc\""),
        ] {
            let args = Args::parse_from(["multicloud-webhook", "--host-path-root", root]);
            let problem = args.check().unwrap_err();
            assert!(problem.contains(expected), "{root}: {problem}");
        }
        let args = Args::parse_from(["multicloud-webhook", "--host-path-root", "/srv/mc"]);
        assert_eq!(args.check(), Ok(()));
    }

    #[test]
    fn every_flag_has_a_multicloud_webhook_variable() {
        let command = multicloud_runtime::args::command::<Args>(ENV_PREFIX);
        for arg in command.get_arguments() {
            let env = arg.get_env().map(|env| env.to_string_lossy().into_owned());
            let expected = format!(
                "MULTICLOUD_WEBHOOK_{}",
                arg.get_id().as_str().to_uppercase()
            );
            assert_eq!(env, Some(expected), "--{}", arg.get_id());
        }
    }

    #[test]
    fn zero_intervals_and_timeouts_are_refused_naming_the_flag() {
        for flag in [
            "--probe-interval",
            "--request-timeout",
            "--handshake-timeout",
        ] {
            let error = Args::try_parse_from(["multicloud-webhook", flag, "0s"])
                .expect_err("zero is refused")
                .to_string();
            assert!(
                error.contains(flag) && error.contains("greater than zero"),
                "{error}"
            );
        }
    }

    #[test]
    fn cluster_wait_must_fit_in_the_request_timeout() {
        let args = Args::parse_from(["multicloud-webhook", "--cluster-wait", "5s"]);
        assert!(args.check().unwrap_err().contains("--request-timeout"));
    }
}
