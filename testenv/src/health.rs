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
    client: &'a kube::Client,
    path: &'static str,
    /// Send `POST path` with body `{}` instead of `GET path`.
    post: bool,
    /// A 2xx body must contain this.
    expect: &'a str,
}

impl<'a> Check<'a> {
    /// A Kubernetes component's `/readyz` or `/healthz`, which answers `ok`.
    pub(crate) fn kubernetes(client: &'a kube::Client, path: &'static str) -> Self {
        Self {
            client,
            path,
            post: false,
            expect: "ok",
        }
    }

    /// `GET path` answering a body that contains `expect` (kube-proxy's `/healthz` answers
    /// JSON, not `ok`).
    pub(crate) fn answering(client: &'a kube::Client, path: &'static str, expect: &'a str) -> Self {
        Self {
            client,
            path,
            post: false,
            expect,
        }
    }

    /// etcd's member list must name `peer_url`: this proves that the etcd answering is the
    /// one just started, not another test's etcd that took the port first.
    pub(crate) fn etcd(client: &'a kube::Client, peer_url: &'a str) -> Self {
        Self {
            client,
            path: "/v3/cluster/member/list",
            post: true,
            expect: peer_url,
        }
    }

    fn request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        let request = if self.post {
            http::Request::post(self.path).body(b"{}".to_vec())
        } else {
            http::Request::get(self.path).body(Vec::new())
        };
        request.map_err(|err| {
            Error::io(
                "failed to build a health request",
                std::io::Error::other(err),
            )
        })
    }

    fn describe(&self) -> String {
        format!("{} {}", if self.post { "POST" } else { "GET" }, self.path)
    }
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
        let request = check.request()?;
        let response = tokio::time::timeout(REQUEST_TIMEOUT, check.client.request_text(request));
        let last_check = match response.await {
            Ok(Ok(body)) if body.contains(check.expect) => return Ok(()),
            Ok(Ok(body)) => format!("{} answered {body:?}", check.describe()),
            Ok(Err(err)) => format!("{}: {err}", check.describe()),
            Err(_) => format!("{} timed out", check.describe()),
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
