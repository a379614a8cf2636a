//! Waiting, bounded, for a component's health endpoint, while watching that the component
//! has not died in the meantime.

use std::time::Duration;

use tokio::time::Instant;

use crate::Error;
use crate::process::Process;

/// Bound on one health request, so a hung connection cannot eat the whole start-up budget.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
const MAX_DELAY: Duration = Duration::from_millis(500);

/// What "healthy" means for one component.
pub(crate) struct Check<'a> {
    /// Client for the component's endpoint.
    pub client: &'a kube::Client,
    /// Path of the health endpoint, e.g. `/readyz`.
    pub path: &'static str,
    /// Whether a 2xx body means healthy.
    pub healthy: fn(&str) -> bool,
}

/// Body check for Kubernetes components' `/readyz` and `/healthz`.
pub(crate) fn says_ok(body: &str) -> bool {
    body.trim() == "ok"
}

/// Body check for etcd's `/health`.
pub(crate) fn etcd_healthy(body: &str) -> bool {
    body.replace(' ', "").contains(r#""health":"true""#)
}

/// Polls `check` until it passes, `process` exits, or `timeout` passes. Errors quote the tail
/// of the process's log.
pub(crate) async fn wait_ready(
    process: &mut Process,
    check: Check<'_>,
    timeout: Duration,
) -> Result<(), Error> {
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(50);
    loop {
        if let Some(status) = process.exit_status() {
            return Err(Error::Exited {
                component: process.name(),
                status,
                log: process.log().to_path_buf(),
                log_tail: process.log_tail(),
            });
        }
        let request = http::Request::get(check.path)
            .body(Vec::new())
            .map_err(|err| {
                Error::io(
                    "failed to build a health request",
                    std::io::Error::other(err),
                )
            })?;
        let response = tokio::time::timeout(REQUEST_TIMEOUT, check.client.request_text(request));
        let last_check = match response.await {
            Ok(Ok(body)) if (check.healthy)(&body) => return Ok(()),
            Ok(Ok(body)) => format!("GET {} answered {body:?}", check.path),
            Ok(Err(err)) => format!("GET {}: {err}", check.path),
            Err(_) => format!("GET {} timed out", check.path),
        };
        if Instant::now() + delay > deadline {
            return Err(Error::NotReady {
                component: process.name(),
                timeout,
                last_check,
                log: process.log().to_path_buf(),
                log_tail: process.log_tail(),
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_DELAY);
    }
}
