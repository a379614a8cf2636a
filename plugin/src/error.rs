//! The plugin's errors and the one place that turns them into what the user reads.
//!
//! Every error is one clear line saying what failed, followed by its causes ("caused by: ..."),
//! so the user can tell "the instance is denied" from "the API server is down" at a glance.
//! Admission denials are printed verbatim, as kubectl prints them, since the API server's message
//! already carries the webhook's explanation.

use std::error::Error as StdError;
use std::fmt::Write as _;

use kube::core::Status;
use thiserror::Error;

use crate::style::{Paint, Style};

/// Any error a command can end with.
#[derive(Debug, Error)]
pub enum CmdError {
    /// The API server refused a request; `status` is its answer.
    #[error("{context}")]
    Api {
        /// What was being done.
        context: String,
        /// The API server's Status.
        status: Box<Status>,
    },
    /// A request to an API server failed before it was answered.
    #[error("{context}")]
    Kube {
        /// What was being done.
        context: String,
        /// Why it failed.
        #[source]
        source: kube::Error,
    },
    /// A file could not be read or written.
    #[error("{context}")]
    Io {
        /// What was being done, naming the file.
        context: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The input breaks the admission rules; found before anything was sent.
    #[error("{headline}")]
    Invalid {
        /// What was refused.
        headline: String,
        /// Each rule broken, as `field: what to do`.
        reasons: Vec<String>,
    },
    /// Anything else, with an optional cause.
    #[error("{message}")]
    Failed {
        /// What went wrong and what to do.
        message: String,
        /// Why, when another error says it.
        #[source]
        source: Option<Box<dyn StdError + Send + Sync>>,
    },
}

impl CmdError {
    /// An error that is its own explanation.
    pub fn msg(message: impl Into<String>) -> Self {
        Self::Failed {
            message: message.into(),
            source: None,
        }
    }

    /// An error with a cause.
    pub fn with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        Self::Failed {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A failed API call: the server's answer is kept apart so denials print verbatim.
    pub fn kube(context: impl Into<String>, source: kube::Error) -> Self {
        match source {
            kube::Error::Api(status) => Self::Api {
                context: context.into(),
                status,
            },
            source => Self::Kube {
                context: context.into(),
                source,
            },
        }
    }

    /// A failed file operation.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    /// The API server's HTTP status code, when it answered.
    pub fn api_code(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(status.code),
            _ => None,
        }
    }

    /// Exit status of a failed command (usage errors are clap's, with status 2).
    pub fn exit_code(&self) -> u8 {
        1
    }
}

/// Whether an API server message is an admission webhook's denial.
pub fn is_denial(status: &Status) -> bool {
    status.message.contains("denied the request")
}

/// `Error from server (Reason): message`, as kubectl prints an API server's answer.
pub fn from_server(status: &Status) -> String {
    let reason = if status.reason.is_empty() {
        status.code.to_string()
    } else {
        status.reason.clone()
    };
    format!("Error from server ({reason}): {}", status.message)
}

/// The text printed on stderr for `err`: a headline and its causes.
pub fn report(err: &CmdError, style: Style) -> String {
    let mut out = String::new();
    let error = style.paint(Paint::Bad, "error:");
    match err {
        CmdError::Api { status, .. } if is_denial(status) => {
            let _ = writeln!(out, "{}", from_server(status));
            return out;
        }
        CmdError::Api { context, status } => {
            let _ = writeln!(out, "{error} {context}");
            let _ = writeln!(out, "  caused by: {}", from_server(status));
            return out;
        }
        CmdError::Invalid { headline, reasons } => {
            let _ = writeln!(out, "{error} {headline}");
            for reason in reasons {
                let _ = writeln!(out, "  {reason}");
            }
            return out;
        }
        _ => {
            let _ = writeln!(out, "{error} {err}");
        }
    }
    let mut previous = err.to_string();
    for cause in causes(err) {
        // Many errors repeat their cause in their own message; say each thing once.
        if cause.is_empty() || previous.contains(&cause) {
            continue;
        }
        let _ = writeln!(out, "  caused by: {cause}");
        previous = cause;
    }
    out
}

/// The cause chain of `err` in words, with kube's debug-heavy messages made readable.
fn causes(err: &(dyn StdError + 'static)) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = err.source();
    while let Some(cause) = next {
        out.push(describe(cause));
        next = cause.source();
    }
    out
}

/// An error and its causes on one line (`what: why: why`), for checklists and tables.
pub fn one_line(err: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![describe(err)];
    parts.extend(causes(err));
    join_distinct(parts)
}

/// The few words a table cell has room for: why `err` happened, not the whole chain (which
/// `-o json`/`-o yaml` keep): a refused connection, a time limit, a TLS failure, the API
/// server's status, else the deepest cause, cut at [`BRIEF_LIMIT`] characters.
pub fn brief(err: &(dyn StdError + 'static)) -> String {
    let chain: Vec<&(dyn StdError + 'static)> =
        std::iter::successors(Some(err), |e| (*e).source()).collect();
    for cause in &chain {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".to_owned(),
                std::io::ErrorKind::TimedOut => return "timed out".to_owned(),
                _ => {}
            }
        }
        if cause.is::<tokio::time::error::Elapsed>() {
            return "timed out".to_owned();
        }
        if let Some(kube::Error::Api(status)) = cause.downcast_ref::<kube::Error>() {
            return format!("{} {}", status.code, status.reason);
        }
        if let Some(CmdError::Api { status, .. }) = cause.downcast_ref::<CmdError>() {
            return format!("{} {}", status.code, status.reason);
        }
    }
    let deepest = chain.last().map(|e| describe(*e)).unwrap_or_default();
    let text = if chain.iter().any(|e| {
        let text = e.to_string().to_lowercase();
        text.contains("certificate") || text.contains("tls")
    }) && !deepest.to_lowercase().contains("tls")
    {
        format!("TLS: {deepest}")
    } else {
        deepest
    };
    cut(&text, BRIEF_LIMIT)
}

/// Longest [`brief`] text.
pub const BRIEF_LIMIT: usize = 60;

fn cut(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(limit - 1).collect();
    short.push('…');
    short
}

/// A command error on one line, as [`one_line`].
pub fn report_line(err: &CmdError) -> String {
    match err {
        CmdError::Api { status, .. } if is_denial(status) => from_server(status),
        CmdError::Api { context, status } => format!("{context}: {}", from_server(status)),
        CmdError::Invalid { headline, reasons } => format!("{headline}: {}", reasons.join("; ")),
        _ => {
            let mut parts = vec![err.to_string()];
            parts.extend(causes(err));
            join_distinct(parts)
        }
    }
}

fn join_distinct(parts: Vec<String>) -> String {
    let mut line = String::new();
    for part in parts {
        if part.is_empty() || line.contains(&part) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&part);
    }
    line
}

fn describe(cause: &(dyn StdError + 'static)) -> String {
    match cause.downcast_ref::<kube::Error>() {
        Some(kube::Error::Api(status)) => from_server(status),
        // These wrap an inner error that is listed next; their own prefix adds nothing.
        Some(kube::Error::Service(_) | kube::Error::HyperError(_)) => String::new(),
        Some(kube::Error::Auth(_)) => "authentication with the API server failed".to_owned(),
        _ => cause.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brief_errors_name_the_cause_in_a_few_words() {
        let refused = CmdError::with_source(
            "cannot reach cluster `edge-1`",
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "tcp connect error"),
        );
        assert_eq!(brief(&refused), "connection refused");
        let api = CmdError::with_source(
            "listing",
            kube::Error::Api(status(401, "Unauthorized", "long story")),
        );
        assert_eq!(brief(&api), "401 Unauthorized");
        let long = CmdError::msg("x".repeat(200));
        assert_eq!(brief(&long).chars().count(), BRIEF_LIMIT);
        let tls = CmdError::with_source(
            "tls handshake failed",
            std::io::Error::other("invalid peer certificate: UnknownIssuer"),
        );
        assert_eq!(brief(&tls), "TLS: invalid peer certificate: UnknownIssuer");
    }

    fn status(code: u16, reason: &str, message: &str) -> Box<Status> {
        Box::new(Status {
            code,
            reason: reason.into(),
            message: message.into(),
            ..Status::default()
        })
    }

    #[test]
    fn denial_is_printed_verbatim_on_one_line() {
        let message = "admission webhook \"validate.multicloud.dev\" denied the request: \
                       spec.etcd.storage.storageClassName: no StorageClass";
        let err = CmdError::kube(
            "failed to create instance demo",
            kube::Error::Api(status(403, "Forbidden", message)),
        );
        assert_eq!(
            report(&err, Style::plain()),
            format!("Error from server (Forbidden): {message}\n")
        );
        assert_eq!(err.exit_code(), 1);
    }

    #[test]
    fn other_server_errors_name_the_action_then_the_answer() {
        let err = CmdError::kube(
            "failed to read instance demo",
            kube::Error::Api(status(404, "NotFound", "not found")),
        );
        assert_eq!(
            report(&err, Style::plain()),
            "error: failed to read instance demo\n  caused by: Error from server (NotFound): not found\n"
        );
    }

    #[test]
    fn causes_are_listed_once_each() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let err = CmdError::io("failed to read clusters.yaml", io);
        assert_eq!(
            report(&err, Style::plain()),
            "error: failed to read clusters.yaml\n  caused by: No such file or directory\n"
        );
    }
}
