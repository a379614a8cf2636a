//! Errors of a reconcile: each says what the controller was doing when it failed, and carries
//! why as its source, which the message does not repeat: show them with
//! [`multicloud_runtime::report::error_chain`].

use thiserror::Error;

/// Why a reconcile failed; it is retried with backoff.
#[derive(Debug, Error)]
pub enum Error {
    /// An API call failed.
    #[error("failed to {action}")]
    Kube {
        /// What was being done, e.g. "apply Karmada k-demo/demo".
        action: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The reconcile did not finish within its time limit.
    #[error(
        "the reconcile did not finish within {} s (--reconcile-timeout); is the API server \
         answering?",
        .0.as_secs_f64()
    )]
    TimedOut(std::time::Duration),
    /// A watch cache has not been filled yet.
    #[error(
        "the watch of {0} has not synced yet; check that the controller may list and watch them"
    )]
    NotSynced(&'static str),
    /// An object could not be turned into JSON (a bug, never the user's input).
    #[error("failed to encode {what}")]
    Encode {
        /// The object.
        what: String,
        /// The encoding error.
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// Wraps an API error with what was being done.
    pub fn kube(action: impl Into<String>, source: kube::Error) -> Self {
        Self::Kube {
            action: action.into(),
            source,
        }
    }
}

/// Whether `error` is an API server response with HTTP status `code`.
pub fn is_status(error: &kube::Error, code: u16) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == code)
}

/// Result of a reconcile step.
pub type Result<T, E = Error> = std::result::Result<T, E>;
