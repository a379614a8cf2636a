//! The one error type of the harness. Every variant says what failed and, where a process was
//! involved, ends with the tail of that process's log so a failing test explains itself.

use std::path::PathBuf;
use std::time::Duration;

/// Why a control plane could not be started, restarted or used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A required binary (etcd or kube-apiserver, or kube-controller-manager when required)
    /// was not found. The message says which variable to set or which script to run.
    #[error("{message}")]
    BinaryMissing {
        /// Name of the missing binary, e.g. `kube-apiserver`.
        binary: &'static str,
        /// Full explanation, including how to provide the binary.
        message: String,
    },

    /// A filesystem or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, e.g. "failed to write /tmp/x/ca.crt".
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },

    /// Generating a certificate or key failed.
    #[error("failed to generate the {what}: {source}")]
    Certificate {
        /// Which certificate or key, e.g. "serving certificate".
        what: &'static str,
        /// The underlying error.
        source: rcgen::Error,
    },

    /// The admin kubeconfig could not be turned into a client configuration.
    #[error("failed to load the admin kubeconfig: {source}")]
    Kubeconfig {
        /// The underlying error.
        source: kube::config::KubeconfigError,
    },

    /// A Kubernetes API request failed.
    #[error("{context}: {source}")]
    Kube {
        /// What was being done, e.g. "failed to apply CRD widgets.example.com".
        context: String,
        /// The underlying error.
        source: kube::Error,
    },

    /// A component exited while it was being started.
    #[error(
        "{component} exited during start-up ({status}); last lines of {}:\n{log_tail}",
        log.display()
    )]
    Exited {
        /// `etcd`, `kube-apiserver` or `kube-controller-manager`.
        component: &'static str,
        /// How it exited.
        status: String,
        /// The component's combined stdout/stderr log file.
        log: PathBuf,
        /// The last lines of that log.
        log_tail: String,
    },

    /// A component did not report healthy in time.
    #[error(
        "{component} was not ready after {timeout:?} (last check: {last_check}); last lines of {}:\n{log_tail}",
        log.display()
    )]
    NotReady {
        /// `etcd`, `kube-apiserver` or `kube-controller-manager`.
        component: &'static str,
        /// How long was waited.
        timeout: Duration,
        /// The result of the last health check.
        last_check: String,
        /// The component's combined stdout/stderr log file.
        log: PathBuf,
        /// The last lines of that log.
        log_tail: String,
    },

    /// A CustomResourceDefinition was applied but did not become Established in time.
    #[error("CRD {name} was not Established after {timeout:?}; its conditions: {conditions}")]
    CrdNotEstablished {
        /// The CRD's name.
        name: String,
        /// How long was waited.
        timeout: Duration,
        /// The CRD's last seen status conditions.
        conditions: String,
    },
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn kube(context: impl Into<String>, source: kube::Error) -> Self {
        Self::Kube {
            context: context.into(),
            source,
        }
    }

    /// The component's log tail, when the error came from a component failing to start.
    fn log_tail(&self) -> Option<&str> {
        match self {
            Self::Exited { log_tail, .. } | Self::NotReady { log_tail, .. } => Some(log_tail),
            _ => None,
        }
    }

    /// Whether the failure looks like a lost race for a port, so starting again on other
    /// ports may succeed.
    pub(crate) fn is_port_conflict(&self) -> bool {
        self.log_tail()
            .is_some_and(|tail| tail.contains("address already in use"))
    }
}
